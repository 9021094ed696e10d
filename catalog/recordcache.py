"""Cache of what loading each record file gave, keyed by the file's (size, mtime, inode).

Under ``<state>/cache/records/``:

* ``data/<folder digest>.marshal`` — the parsed data of the valid files of one folder, each
  with its stat key: read only when a record's model is needed; only folders whose files
  changed are rewritten.
* ``index.marshal`` and ``claims.marshal`` — what the last validation found per file (see
  recordindex), so that re-validating after a small edit re-checks only what it touches.

marshal rather than pickle: the cached values are plain dicts, lists and tuples, which
marshal reads and writes several times faster. Every file is stamped with a fingerprint of
the loading code and the Python version; a stale, damaged or foreign cache is ignored (and
rebuilt), never an error. Writes go through a temp file and a rename but skip fsync: a
cache lost in a crash is simply rebuilt.
"""

from __future__ import annotations

import hashlib
import logging
import marshal
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

from catalog.recordindex import (
    ClaimsList,
    Index,
    StatKey,
    claims_in,
    claims_out,
    index_in,
    index_out,
)

log = logging.getLogger(__name__)

CACHE_FOLDER = "records"
_FORMAT = 4
_fingerprint: str | None = None


_LOADING_CODE = (
    "alf.py",
    "modelerrors.py",
    "naming_files.py",
    "problems.py",
    "recordcache.py",
    "recordindex.py",
    "records.py",
    "store.py",
    "validate.py",
    "yamlio.py",
    "checks/*.py",
    "models/*.py",
)
"""The modules whose code decides what loading and checking a record gives."""


def code_fingerprint() -> str:
    """A digest of the loading and checking code (names, sizes, mtimes) and Python's version."""
    global _fingerprint
    if _fingerprint is None:
        h = hashlib.sha256(f"{_FORMAT}:{sys.version}:{_pydantic_stamp()}".encode())
        pkg = Path(__file__).parent
        for p in sorted(f for pattern in _LOADING_CODE for f in pkg.glob(pattern)):
            st = p.stat()
            h.update(f"{p.relative_to(pkg)}:{st.st_size}:{st.st_mtime_ns}".encode())
        _fingerprint = h.hexdigest()
    return _fingerprint


def _pydantic_stamp() -> str:
    """Where pydantic is installed and when: cached data must validate with the same one."""
    import importlib.util

    spec = importlib.util.find_spec("pydantic")
    origin = spec.origin if spec is not None else None
    if origin is None:
        return ""
    try:
        st = os.stat(Path(origin).with_name("version.py"))
    except OSError:
        return origin
    return f"{origin}:{st.st_size}:{st.st_mtime_ns}"


def stat_key(path: Path | str) -> StatKey | None:
    """The (size, mtime, inode) of ``path``, or None when it cannot be read."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_size, st.st_mtime_ns, st.st_ino)


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


INTERN_MAX = 16
"""Strings up to this long are interned in cached data (see ``_interned``)."""


def _interned(value: Any) -> Any:
    """``value`` with its keys and short strings interned.

    marshal writes an interned string once per file and refers back to it after, and reads
    it back interned, its hash already known: keys and repeated short values ('dataset',
    'PASS', a repository's name) then cost one lookup instead of a new string each. At
    100,000 records this reads the cache a third faster.
    """
    if isinstance(value, dict):
        return {(sys.intern(k) if type(k) is str else k): _interned(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_interned(v) for v in value]
    if type(value) is str and len(value) <= INTERN_MAX:
        return sys.intern(value)
    return value


class RecordCache:
    """The index of the last run, and the parsed data of valid files, by folder."""

    def __init__(self, folder: Path, settings: str = "") -> None:
        self.folder = folder
        self.stamp = code_fingerprint()
        self.index_stamp = f"{self.stamp}:{settings}"
        self._index: Index | None = None
        self._index_read = False
        self._shards: dict[str, dict[str, tuple[int, int, int, Any, bytes | None]]] = {}
        self._dirty: set[str] = set()

    @classmethod
    def open(cls, cache_dir: Path, settings: str = "") -> RecordCache:
        """The cache under ``cache_dir``; other ``settings`` (that change checks) void the index."""
        return cls(cache_dir / CACHE_FOLDER, settings)

    # ------------------------------------------------------------ index

    @property
    def index(self) -> Index | None:
        """What the last run found, or None when there is no usable index."""
        if not self._index_read:
            self._index_read = True
            raw = _read(self.folder / "index.marshal", self.index_stamp)
            if raw is not None:
                try:
                    self._index = index_in(raw)
                except (TypeError, ValueError) as exc:
                    log.info("ignoring malformed record cache index: %s", exc)
        return self._index

    def claims(self, index: Index) -> ClaimsList | None:
        """The claims of ``index``, read on first use; None when they are missing or stale."""
        if index.claims is None:
            raw = _read(self.folder / "claims.marshal", self.index_stamp)
            try:
                index.claims = claims_in(raw, index) if raw is not None else None
            except (TypeError, ValueError) as exc:
                log.info("ignoring malformed record cache claims: %s", exc)
        return index.claims

    def save_index(self, index: Index) -> None:
        """Write the folders whose data changed, the claims if they changed, then the index."""
        self.flush_data()
        if index.claims_changed:
            _write(self.folder / "claims.marshal", self.index_stamp, claims_out(index))
            index.claims_changed = False
        _write(self.folder / "index.marshal", self.index_stamp, index_out(index))
        self._index, self._index_read = index, True

    # ------------------------------------------------------------ data

    def _shard_path(self, folder: str) -> Path:
        digest = hashlib.sha1(folder.encode(), usedforsecurity=False).hexdigest()[:20]
        return self.folder / "data" / f"{digest}.marshal"

    def _shard(self, folder: str) -> dict[str, tuple[int, int, int, Any, bytes | None]]:
        shard = self._shards.get(folder)
        if shard is None:
            raw = _read(self._shard_path(folder), self.stamp)
            shard = raw if isinstance(raw, dict) else {}
            self._shards[folder] = shard
        return shard

    def folder_rows(self, folder: str) -> dict[str, tuple[int, int, int, Any, bytes | None]]:
        """The cached rows of one folder: file name → (size, mtime, inode, data, digest)."""
        return self._shard(folder)

    def data(self, rel: str, stat: StatKey) -> dict[str, Any] | None:
        """Parsed data of a valid file that has not changed since it was cached."""
        hit = self.row(rel, stat)
        return hit[0] if hit is not None else None

    def row(self, rel: str, stat: StatKey) -> tuple[dict[str, Any], bytes | None] | None:
        """Parsed data and content digest of a valid file unchanged since it was cached."""
        folder, _, name = rel.rpartition("/")
        hit = self._shard(folder).get(name)
        if hit is None or hit[:3] != stat:
            return None
        data, digest = hit[3], hit[4] if len(hit) > 4 else None
        if not isinstance(data, dict):
            return None
        return data, digest if isinstance(digest, bytes) else None

    def put_data(
        self, rel: str, stat: StatKey, data: dict[str, Any] | None, digest: bytes | None = None
    ) -> None:
        """Remember (or, with None, forget) the parsed data of a file and its digest."""
        folder, _, name = rel.rpartition("/")
        shard = self._shard(folder)
        if data is None:
            if shard.pop(name, None) is not None:
                self._dirty.add(folder)
            return
        shard[name] = (*stat, _interned(data), digest)
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
