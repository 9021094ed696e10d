"""Cache of what validating each record file gave, keyed by the file's (size, mtime, inode).

Two parts, under ``<state>/cache/records/``:

* ``index.marshal`` — one row per record file: its stat key, its Claims (what uniqueness
  compares), its own problems (already placed at line and column), and whether its checks
  depend on the set of dataset uuids. Read and written whole on every run: about 0.1 s for
  100,000 files. With it, re-validating after editing a few datasets re-checks only those.
* ``data/<folder digest>.marshal`` — the parsed data of the valid files of one folder, each
  with its stat key. Read only when a record's model is needed; only the folders whose files
  changed are rewritten.

marshal rather than pickle: rows are plain tuples, which marshal reads and writes several
times faster. Every file is stamped with a fingerprint of the catalog's code and the Python
version; a stale, damaged or foreign cache is ignored (and rebuilt), never an error. Writes
go through a temp file and a rename but skip fsync: a cache lost in a crash is rebuilt.
"""

from __future__ import annotations

import hashlib
import logging
import marshal
import os
import sys
import tempfile
from pathlib import Path
from typing import Any, NamedTuple

from catalog.checks.uniqueness import Claims
from catalog.problems import Problem

log = logging.getLogger(__name__)

CACHE_FOLDER = "records"
_FORMAT = 2
_fingerprint: str | None = None

StatKey = tuple[int, int, int]
"""(size, mtime in ns, inode) of a file."""


def code_fingerprint() -> str:
    """A digest of the catalog package's source files (names, sizes, mtimes) and Python."""
    global _fingerprint
    if _fingerprint is None:
        h = hashlib.sha256(f"{_FORMAT}:{sys.version}".encode())
        pkg = Path(__file__).parent
        for p in sorted(pkg.rglob("*.py")):
            st = p.stat()
            h.update(f"{p.relative_to(pkg)}:{st.st_size}:{st.st_mtime_ns}".encode())
        _fingerprint = h.hexdigest()
    return _fingerprint


def stat_key(path: Path | str) -> StatKey | None:
    """The (size, mtime, inode) of ``path``, or None when it cannot be read."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_size, st.st_mtime_ns, st.st_ino)


class Row(NamedTuple):
    """What the last run found for one record file."""

    stat: StatKey
    claims: Claims | None
    """None when the file holds no valid record."""
    problems: tuple[Problem, ...]
    """The file's own problems: loading, and its record's checks (not uniqueness)."""
    uses_uuids: bool
    """Its checks look up datasets by uuid, so they are redone when the uuids change."""


def _problem_row(p: Problem) -> tuple[Any, ...]:
    return (p.path, p.line, p.col, p.message, p.record, p.field, p.code, p.hint, p.severity)


def _row_out(r: Row) -> tuple[Any, ...]:
    claims = tuple(r.claims) if r.claims is not None else None
    return (r.stat, claims, tuple(_problem_row(p) for p in r.problems), r.uses_uuids)


def _row_in(t: tuple[Any, ...]) -> Row:
    stat, claims, problems, uses = t
    return Row(
        stat,
        Claims._make(claims) if claims is not None else None,
        tuple(Problem(*p) for p in problems) if problems else (),
        uses,
    )


def _read(path: Path, stamp: str) -> Any:
    """The payload of a cache file stamped ``stamp``, or None."""
    try:
        # loads() of the whole file: marshal.load() on a file object is >10x slower. The
        # file is our own, in the catalog's gitignored state folder.
        got_stamp, payload = marshal.loads(path.read_bytes())  # noqa: S302
    except FileNotFoundError:
        return None
    except Exception as exc:  # noqa: BLE001 - any damage means "start afresh"
        log.info("ignoring unreadable cache file %s: %s", path, exc)
        return None
    return payload if got_stamp == stamp else None


def _write(path: Path, stamp: str, payload: Any) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        data = marshal.dumps((stamp, payload))
        fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=path.parent)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except (OSError, ValueError) as exc:
        log.info("could not write cache file %s: %s", path, exc)


class RecordCache:
    """Rows of the last run, and the parsed data of valid files, by folder."""

    def __init__(self, folder: Path, settings: str = "") -> None:
        self.folder = folder
        self.stamp = code_fingerprint()
        self.index_stamp = f"{self.stamp}:{settings}"
        self._rows: dict[str, Row] | None = None
        self._rows_read = False
        self._shards: dict[str, dict[str, tuple[int, int, int, Any]]] = {}
        self._dirty: set[str] = set()

    @classmethod
    def open(cls, cache_dir: Path, settings: str = "") -> RecordCache:
        """The cache under ``cache_dir``; ``settings`` that change checks invalidate rows."""
        return cls(cache_dir / CACHE_FOLDER, settings)

    # ------------------------------------------------------------ rows

    @property
    def rows(self) -> dict[str, Row] | None:
        """rel path → Row of the last run, or None when there is no usable index."""
        if not self._rows_read:
            self._rows_read = True
            raw = _read(self.folder / "index.marshal", self.index_stamp)
            if isinstance(raw, dict):
                try:
                    self._rows = {rel: _row_in(t) for rel, t in raw.items()}
                except (TypeError, ValueError) as exc:
                    log.info("ignoring malformed record cache index: %s", exc)
        return self._rows

    def save_rows(self, rows: dict[str, Row]) -> None:
        """Replace the index with ``rows`` and write the folders whose data changed."""
        self.flush_data()
        _write(
            self.folder / "index.marshal",
            self.index_stamp,
            {rel: _row_out(r) for rel, r in rows.items()},
        )
        self._rows, self._rows_read = rows, True

    # ------------------------------------------------------------ data

    def _shard_path(self, folder: str) -> Path:
        digest = hashlib.sha1(folder.encode(), usedforsecurity=False).hexdigest()[:20]
        return self.folder / "data" / f"{digest}.marshal"

    def _shard(self, folder: str) -> dict[str, tuple[int, int, int, Any]]:
        shard = self._shards.get(folder)
        if shard is None:
            raw = _read(self._shard_path(folder), self.stamp)
            shard = raw if isinstance(raw, dict) else {}
            self._shards[folder] = shard
        return shard

    def data(self, rel: str, stat: StatKey) -> dict[str, Any] | None:
        """Parsed data of a valid file that has not changed since it was cached."""
        folder, _, name = rel.rpartition("/")
        hit = self._shard(folder).get(name)
        if hit is None or hit[:3] != stat:
            return None
        data = hit[3]
        return data if isinstance(data, dict) else None

    def put_data(self, rel: str, stat: StatKey, data: dict[str, Any] | None) -> None:
        """Remember (or, with None, forget) the parsed data of a file."""
        folder, _, name = rel.rpartition("/")
        shard = self._shard(folder)
        if data is None:
            if shard.pop(name, None) is not None:
                self._dirty.add(folder)
            return
        shard[name] = (*stat, data)
        self._dirty.add(folder)

    def forget_missing(self, present: set[str]) -> None:
        """Drop cached data of files that no longer exist (in folders already read)."""
        for folder, shard in self._shards.items():
            for name in [n for n in shard if f"{folder}/{n}" not in present]:
                del shard[name]
                self._dirty.add(folder)

    def flush_data(self) -> None:
        """Write the folders whose cached data changed."""
        for folder in sorted(self._dirty):
            shard = self._shards[folder]
            path = self._shard_path(folder)
            if shard:
                _write(path, self.stamp, shard)
            else:
                path.unlink(missing_ok=True)
        self._dirty.clear()
