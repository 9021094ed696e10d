"""The service's state file: one SQLite database in WAL mode with synchronous=FULL.

It holds the report journal, the job leases and the winners of each job. A committed
transaction is on disk before the call returns, which is what makes a 202 a promise.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from catalog.atomic import fsync_dir

SCHEMA_VERSION = 1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS reports (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    worker TEXT NOT NULL,
    key TEXT NOT NULL,
    body BLOB NOT NULL,
    body_sha256 TEXT NOT NULL,
    job_id TEXT NOT NULL,
    attempt INTEGER NOT NULL,
    received REAL NOT NULL,
    state TEXT NOT NULL DEFAULT 'pending',
    batch_id TEXT,
    commit_sha TEXT,
    reason TEXT NOT NULL DEFAULT '',
    tries INTEGER NOT NULL DEFAULT 0,
    finished REAL,
    response BLOB NOT NULL DEFAULT x'',
    UNIQUE (worker, key)
);
CREATE INDEX IF NOT EXISTS reports_by_state ON reports (state, id);
CREATE INDEX IF NOT EXISTS reports_by_job ON reports (job_id);
CREATE TABLE IF NOT EXISTS winners (
    job_id TEXT PRIMARY KEY,
    report_id INTEGER NOT NULL,
    attempt INTEGER NOT NULL,
    worker TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS leases (
    job_id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    queue TEXT NOT NULL,
    slots INTEGER NOT NULL,
    capabilities TEXT NOT NULL DEFAULT '[]',
    spec TEXT NOT NULL,
    job TEXT NOT NULL DEFAULT '{}',
    state TEXT NOT NULL,
    attempt INTEGER NOT NULL DEFAULT 0,
    worker TEXT,
    claim_key TEXT,
    expires REAL,
    offered REAL NOT NULL,
    updated REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS leases_by_state ON leases (state, offered);
"""


class Database:
    """A thread-safe handle on the state file; every write is one durable transaction.

    Writes share one connection, one transaction at a time. Reads use a connection per
    thread: in WAL mode they see the last committed state and never wait for a write's
    fsync.
    """

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._lock = threading.RLock()
        self._local = threading.local()
        self._readers: list[sqlite3.Connection] = []
        self._conn = sqlite3.connect(
            path, isolation_level=None, check_same_thread=False, timeout=30.0
        )
        self._conn.execute("PRAGMA journal_mode=WAL")
        # FULL: the WAL is fsynced at every commit, so an acknowledged report survives a
        # power cut, not only a crash of the process.
        self._conn.execute("PRAGMA synchronous=FULL")
        self._conn.execute("PRAGMA foreign_keys=ON")
        version = self._conn.execute("PRAGMA user_version").fetchone()[0]
        if version not in (0, SCHEMA_VERSION):
            raise RuntimeError(f"{path}: state file version {version}, expected {SCHEMA_VERSION}")
        self._conn.executescript(_SCHEMA)
        self._conn.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
        fsync_dir(path.parent)

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction, committed (and fsynced) on leaving, rolled back on error."""
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    @contextmanager
    def read(self) -> Iterator[sqlite3.Connection]:
        """This thread's reading connection (committed state only)."""
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(
                self.path, isolation_level=None, check_same_thread=False, timeout=30.0
            )
            self._local.conn = conn
            with self._lock:
                self._readers.append(conn)
        yield conn

    def close(self) -> None:
        """Close every connection."""
        with self._lock:
            for conn in self._readers:
                conn.close()
            self._readers.clear()
            self._conn.close()
