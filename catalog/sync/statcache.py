"""What sync already knows: (repository, path) → size, mtime, identity, digest, in SQLite.

A file whose size, mtime and identity (inode locally, ETag on object stores) match its row
is not read again. Rows carry a format version and the algorithm of their digest; a row of
another version, another algorithm or with a malformed field is a miss, never an error, and
a database that cannot be opened is set aside and started afresh.

``--verify full`` looks nothing up (:class:`NoStatCache`) but still stores what it hashes,
and checkpoints each hashed file in the same transaction, so an interrupted full verify
resumes without hashing any finished file again (as ``git annex fsck`` does).
"""

from __future__ import annotations

import logging
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from catalog.sync.hashing import is_digest
from catalog.sync.storage import Stat

log = logging.getLogger(__name__)

FORMAT = 1
"""Version of the rows; rows of any other version are ignored."""
FILE_NAME = "statcache.sqlite"
FLUSH_ROWS = 2000
FLUSH_SECONDS = 1.0
STALE_RUN_DAYS = 7
"""An unfinished full verify older than this is started over, not resumed."""

_SCHEMA = """
CREATE TABLE IF NOT EXISTS files (
    repository TEXT NOT NULL, path TEXT NOT NULL,
    size INTEGER, mtime_ns INTEGER, ident TEXT,
    algorithm TEXT, digest TEXT, verified_at TEXT, version INTEGER,
    PRIMARY KEY (repository, path)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS full_runs (
    id INTEGER PRIMARY KEY, scope TEXT NOT NULL, started REAL NOT NULL, finished REAL);
CREATE TABLE IF NOT EXISTS full_done (
    run INTEGER NOT NULL, repository TEXT NOT NULL, path TEXT NOT NULL,
    PRIMARY KEY (run, repository, path)) WITHOUT ROWID;
"""


@dataclass(frozen=True, slots=True)
class Cached:
    """A digest the cache vouches for, and when it was last verified."""

    digest: str
    verified_at: str


Row = tuple[Any, ...]


def _valid(row: Row, stat: Stat, algorithm: str) -> Cached | None:
    try:
        size, mtime_ns, ident, algo, digest, verified_at, version = row
    except (TypeError, ValueError):
        return None
    if version != FORMAT or algo != algorithm or not is_digest(digest, algorithm):
        return None
    if (size, mtime_ns, ident) != (stat.size, stat.mtime_ns, stat.ident):
        return None
    if not isinstance(verified_at, str):
        return None
    return Cached(digest, verified_at)


class NoStatCache:
    """A cache that knows nothing: every file is hashed again (``--verify full``)."""

    def lookup(self, repository: str, path: str, stat: Stat, algorithm: str) -> Cached | None:
        """Always a miss."""
        return None


class StatCache:
    """The SQLite stat cache under the catalog's state folder; use from one thread."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.db = self._connect(path)
        self._rows: dict[str, dict[str, Row]] = {}
        self._pending: list[Row] = []
        self._flushed = time.monotonic()

    @classmethod
    def open(cls, state_path: Path) -> StatCache:
        """Open (or create) ``<state_path>/statcache.sqlite``."""
        state_path.mkdir(parents=True, exist_ok=True)
        return cls(state_path / FILE_NAME)

    @staticmethod
    def _connect(path: Path) -> sqlite3.Connection:
        for attempt in (1, 2):
            db: sqlite3.Connection | None = None
            try:
                db = sqlite3.connect(path, isolation_level=None, timeout=30)
                db.execute("PRAGMA journal_mode=WAL")
                db.execute("PRAGMA synchronous=NORMAL")
                db.executescript(_SCHEMA)
                return db
            except sqlite3.DatabaseError as exc:
                if db is not None:
                    db.close()  # else the damaged file stays open for the process's life
                if attempt == 2:
                    raise
                # A damaged cache only costs re-hashing: keep it aside for a post-mortem.
                log.warning("stat cache %s is unreadable (%s); starting a new one", path, exc)
                path.replace(path.with_name(path.name + ".corrupt"))
        raise AssertionError("unreachable")  # pragma: no cover

    # -- lookups ---------------------------------------------------------------------------
    def _repo_rows(self, repository: str) -> dict[str, Row]:
        rows = self._rows.get(repository)
        if rows is None:
            # One query per repository: a dict lookup per file beats a SELECT per file.
            cur = self.db.execute(
                "SELECT path, size, mtime_ns, ident, algorithm, digest, verified_at, version "
                "FROM files WHERE repository = ?",
                (repository,),
            )
            rows = {str(r[0]): tuple(r[1:]) for r in cur}
            self._rows[repository] = rows
        return rows

    def lookup(self, repository: str, path: str, stat: Stat, algorithm: str) -> Cached | None:
        """The cached digest of an unchanged file, or None."""
        if not stat.cacheable:
            return None
        row = self._repo_rows(repository).get(path)
        return None if row is None else _valid(row, stat, algorithm)

    def last_verified(self, repository: str, path: str) -> str | None:
        """When this path was last verified, whatever it looks like now (for reports)."""
        row = self._repo_rows(repository).get(path)
        if row is None or len(row) != 7 or row[6] != FORMAT or not isinstance(row[5], str):
            return None
        return row[5]

    # -- storing ---------------------------------------------------------------------------
    def store(
        self, repository: str, path: str, stat: Stat, algorithm: str, digest: str, when: str
    ) -> None:
        """Remember a verified digest (written in batches; see :meth:`flush`)."""
        if not stat.cacheable:
            return
        row = (stat.size, stat.mtime_ns, stat.ident, algorithm, digest, when, FORMAT)
        self._rows.setdefault(repository, {})[path] = row
        self._pending.append((repository, path, *row))
        if len(self._pending) >= FLUSH_ROWS or time.monotonic() - self._flushed > FLUSH_SECONDS:
            self.flush()

    def flush(self) -> None:
        """Write pending rows in one transaction."""
        if self._pending:
            self.db.execute("BEGIN")
            self.db.executemany(
                "INSERT OR REPLACE INTO files VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", self._pending
            )
            self.db.execute("COMMIT")
            self._pending.clear()
        self._flushed = time.monotonic()

    def close(self) -> None:
        """Flush and close."""
        try:
            self.flush()
        finally:
            self.db.close()

    # -- checkpoints of a full verify --------------------------------------------------------
    def start_full(self, scope: str) -> tuple[int, set[tuple[str, str]]]:
        """The full verify to run over ``scope``: an unfinished one to resume, or a new one.

        Returns the run's id and the (repository, path) pairs it already hashed.
        """
        cutoff = time.time() - STALE_RUN_DAYS * 86400
        row = self.db.execute(
            "SELECT id FROM full_runs WHERE scope = ? AND finished IS NULL AND started > ? "
            "ORDER BY id DESC LIMIT 1",
            (scope, cutoff),
        ).fetchone()
        if row is None:
            cur = self.db.execute(
                "INSERT INTO full_runs (scope, started) VALUES (?, ?)", (scope, time.time())
            )
            return int(cur.lastrowid or 0), set()
        run = int(row[0])
        done = self.db.execute("SELECT repository, path FROM full_done WHERE run = ?", (run,))
        return run, {(str(r), str(p)) for r, p in done}

    def checkpoint(
        self,
        run: int,
        repository: str,
        path: str,
        stat: Stat,
        algorithm: str,
        digest: str,
        when: str,
    ) -> None:
        """Store a digest and mark the file done in ``run``, durably, in one transaction."""
        self.store(repository, path, stat, algorithm, digest, when)
        self.db.execute("BEGIN")
        self.db.executemany(
            "INSERT OR REPLACE INTO files VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", self._pending
        )
        self.db.execute("INSERT OR IGNORE INTO full_done VALUES (?, ?, ?)", (run, repository, path))
        self.db.execute("COMMIT")
        self._pending.clear()

    def finish_full(self, run: int) -> None:
        """Mark a full verify complete and drop its checkpoints."""
        self.flush()
        self.db.execute("BEGIN")
        self.db.execute("UPDATE full_runs SET finished = ? WHERE id = ?", (time.time(), run))
        self.db.execute("DELETE FROM full_done WHERE run = ?", (run,))
        self.db.execute("COMMIT")
