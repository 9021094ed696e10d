"""Cache of per-file load results, keyed by each file's (size, mtime, inode).

Re-validating a large catalog after editing one file then re-parses only that file. The
cache is one pickle under the state folder, stamped with a fingerprint of the catalog's own
code so that a new version never reuses results of an older model. A damaged or foreign
cache file is ignored, never an error.
"""

from __future__ import annotations

import hashlib
import logging
import os
import pickle
from pathlib import Path
from typing import TYPE_CHECKING, Any

from catalog.atomic import atomic_write

if TYPE_CHECKING:
    from catalog.store import FileResult

log = logging.getLogger(__name__)
CACHE_NAME = "records.pickle"
_FORMAT = 1
_fingerprint: str | None = None


def code_fingerprint() -> str:
    """A digest of the catalog package's source files (names, sizes, mtimes)."""
    global _fingerprint
    if _fingerprint is None:
        h = hashlib.sha256(str(_FORMAT).encode())
        pkg = Path(__file__).parent
        for p in sorted(pkg.rglob("*.py")):
            st = p.stat()
            h.update(f"{p.relative_to(pkg)}:{st.st_size}:{st.st_mtime_ns}".encode())
        _fingerprint = h.hexdigest()
    return _fingerprint


class RecordCache:
    """rel path → (stat key, FileResult)."""

    def __init__(self, root: Path, path: Path, rows: dict[str, tuple[Any, FileResult]]) -> None:
        self.root = root
        self.path = path
        self.rows = rows
        self.seen: set[str] = set()
        self.dirty = False

    @classmethod
    def open(cls, root: Path, cache_dir: Path) -> RecordCache:
        """Open the cache in ``cache_dir``, empty when missing, stale or unreadable."""
        path = cache_dir / CACHE_NAME
        rows: dict[str, tuple[Any, FileResult]] = {}
        try:
            with path.open("rb") as fh:
                # The cache lives in the catalog's own gitignored state folder, written by us.
                stamp, loaded = pickle.load(fh)  # noqa: S301
            if stamp == code_fingerprint() and isinstance(loaded, dict):
                rows = loaded
        except FileNotFoundError:
            pass
        except Exception as exc:  # noqa: BLE001 - any damage means "start afresh"
            log.info("ignoring unreadable record cache %s: %s", path, exc)
        return cls(root, path, rows)

    def _stat_key(self, rel: str) -> tuple[int, int, int] | None:
        try:
            st = os.stat(self.root / rel)
        except OSError:
            return None
        return (st.st_size, st.st_mtime_ns, st.st_ino)

    def get(self, rel: str) -> FileResult | None:
        """The cached result for ``rel`` if the file is unchanged."""
        self.seen.add(rel)
        row = self.rows.get(rel)
        if row is None:
            return None
        key = self._stat_key(rel)
        if key is None or row[0] != key:
            return None
        return row[1]

    def put(self, rel: str, result: FileResult) -> None:
        """Remember the result of loading ``rel`` as it is now."""
        key = self._stat_key(rel)
        if key is not None:
            self.rows[rel] = (key, result)
            self.dirty = True

    def save(self) -> None:
        """Write the cache back (dropping files that no longer exist)."""
        gone = set(self.rows) - self.seen
        for rel in gone:
            del self.rows[rel]
        if not (self.dirty or gone):
            return
        try:
            data = pickle.dumps((code_fingerprint(), self.rows), protocol=pickle.HIGHEST_PROTOCOL)
            atomic_write(self.path, data)
        except OSError as exc:
            log.info("could not write record cache %s: %s", self.path, exc)
