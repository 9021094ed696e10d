"""The report journal: every accepted report is a durable row before its 202 is sent.

A row is ``pending`` until the committer thread applies it (``done``, with the commit) or
finds that it no longer applies (``parked``, with the reason). A row keeps the exact bytes
of its first answer, so a re-sent report gets that answer again and changes nothing.
"""

from __future__ import annotations

import hashlib
import logging
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from catalog.service.db import Database
from catalog.service.responses import Refused

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Row:
    """One journalled report."""

    id: int
    worker: str
    key: str
    body: bytes
    job_id: str
    attempt: int
    received: float
    state: str
    batch_id: str | None
    reason: str
    tries: int


@dataclass(frozen=True, slots=True)
class Intake:
    """What accepting a report came to."""

    outcome: Literal["new", "replay", "key_conflict", "job_conflict"]
    response: bytes = b""
    message: str = ""


@dataclass(slots=True)
class _Waiting:
    """A report waiting for the next group commit, and (then) what became of it."""

    worker: str
    key: str
    body: bytes
    digest: str
    job_id: str
    attempt: int
    answer: Callable[[int], bytes]
    result: Intake | None = None
    error: BaseException | None = None


_SELECT = (
    "SELECT id, worker, key, body, job_id, attempt, received, state, batch_id, reason, tries"
    " FROM reports"
)


def body_digest(body: bytes) -> str:
    """The SHA-256 of a report body, which tells a replay from a conflicting re-use of a key."""
    return hashlib.sha256(body).hexdigest()


class Journal:
    """Durable queue of reports between the webhook and the committer thread."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._arrived = threading.Condition()
        self._group = threading.Condition()
        self._queue: list[_Waiting] = []
        self._leading = False

    def accept(
        self,
        worker: str,
        key: str,
        body: bytes,
        job_id: str,
        attempt: int,
        answer: Callable[[int], bytes],
    ) -> Intake:
        """Journal a report, or say why not; ``answer(row id)`` gives the 202 body to keep.

        Returns once the row is on disk. Concurrent callers share transactions (group
        commit): one thread writes every report waiting at that moment and fsyncs once.
        """
        item = _Waiting(worker, key, body, body_digest(body), job_id, attempt, answer)
        with self._group:
            self._queue.append(item)
            while item.result is None and item.error is None:
                if self._leading:
                    self._group.wait()
                    continue
                self._leading = True
                batch, self._queue = self._queue, []
                self._group.release()
                try:
                    self._write_group(batch)
                finally:
                    self._group.acquire()
                    self._leading = False
                    self._group.notify_all()
        if item.error is not None:
            raise item.error
        assert item.result is not None
        if item.result.outcome == "new":
            with self._arrived:
                self._arrived.notify_all()
        return item.result

    def _write_group(self, batch: list[_Waiting]) -> None:
        try:
            with self.db.write() as c:
                for item in batch:
                    item.result = self._admit(c, item)
        except Exception as exc:
            # Nothing of the group was written; say so, and let the workers send again.
            log.exception("the journal could not be written")
            refusal = Refused(
                503,
                f"the journal could not be written ({exc}); nothing was accepted, send again",
                code="journal_unavailable",
                headers={"Retry-After": "5"},
            )
            for item in batch:
                item.result, item.error = None, refusal
        except BaseException as exc:
            for item in batch:
                item.result, item.error = None, exc
            raise

    @staticmethod
    def _admit(c: sqlite3.Connection, w: _Waiting) -> Intake:
        seen = c.execute(
            "SELECT body_sha256, response FROM reports WHERE worker = ? AND key = ?",
            (w.worker, w.key),
        ).fetchone()
        if seen is not None:
            if seen[0] == w.digest:
                return Intake("replay", bytes(seen[1]))
            return Intake(
                "key_conflict",
                message=f"idempotency key {w.key!r} was already used for another report",
            )
        won = c.execute(
            "SELECT attempt, worker FROM winners WHERE job_id = ?", (w.job_id,)
        ).fetchone()
        if won is not None:
            return Intake(
                "job_conflict",
                message=f"job {w.job_id!r} was already reported by attempt {won[0]} "
                f"(worker {won[1]!r}); this report (attempt {w.attempt}) is not applied",
            )
        cur = c.execute(
            "INSERT INTO reports (worker, key, body, body_sha256, job_id, attempt, received)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (w.worker, w.key, w.body, w.digest, w.job_id, w.attempt, time.time()),
        )
        row_id = int(cur.lastrowid or 0)
        response = w.answer(row_id)
        c.execute("UPDATE reports SET response = ? WHERE id = ?", (response, row_id))
        c.execute(
            "INSERT INTO winners (job_id, report_id, attempt, worker) VALUES (?, ?, ?, ?)",
            (w.job_id, row_id, w.attempt, w.worker),
        )
        c.execute(
            "UPDATE leases SET state = 'reported', updated = ? WHERE job_id = ?",
            (time.time(), w.job_id),
        )
        return Intake("new", response)

    def lookup(self, worker: str, key: str) -> tuple[str, bytes] | None:
        """(body digest, first answer) of the report ``worker`` sent under ``key``, if any."""
        with self.db.read() as c:
            seen = c.execute(
                "SELECT body_sha256, response FROM reports WHERE worker = ? AND key = ?",
                (worker, key),
            ).fetchone()
        return None if seen is None else (str(seen[0]), bytes(seen[1]))

    def wait(self, timeout: float) -> None:
        """Sleep until a report arrives or ``timeout`` seconds pass."""
        with self._arrived:
            self._arrived.wait(timeout)

    def wake(self) -> None:
        """Wake a thread sleeping in :meth:`wait` (at shutdown)."""
        with self._arrived:
            self._arrived.notify_all()

    def pending(self, limit: int) -> list[Row]:
        """The oldest pending reports not yet in a batch."""
        with self.db.read() as c:
            rows = c.execute(
                _SELECT + " WHERE state = 'pending' AND batch_id IS NULL ORDER BY id LIMIT ?",
                (limit,),
            ).fetchall()
        return [Row(*r) for r in rows]

    def oldest_pending_age(self) -> float | None:
        """Seconds the oldest pending report has waited, or None when there is none."""
        with self.db.read() as c:
            row = c.execute("SELECT MIN(received) FROM reports WHERE state = 'pending'").fetchone()
        return None if row[0] is None else max(0.0, time.time() - float(row[0]))

    def open_batches(self) -> dict[str, list[Row]]:
        """Batches that were being committed when the service stopped, by batch id."""
        with self.db.read() as c:
            rows = c.execute(
                _SELECT + " WHERE state = 'pending' AND batch_id IS NOT NULL ORDER BY id"
            ).fetchall()
        out: dict[str, list[Row]] = {}
        for r in rows:
            row = Row(*r)
            out.setdefault(str(row.batch_id), []).append(row)
        return out

    def assign(self, ids: Iterable[int], batch_id: str) -> None:
        """Record (durably, before committing) which reports make up a batch."""
        with self.db.write() as c:
            c.executemany(
                "UPDATE reports SET batch_id = ?, tries = tries + 1 WHERE id = ?",
                [(batch_id, i) for i in ids],
            )

    def unassign(self, ids: Iterable[int], error: str) -> None:
        """Put a batch that failed to commit back in the queue, noting why."""
        with self.db.write() as c:
            c.executemany(
                "UPDATE reports SET batch_id = NULL, reason = ? WHERE id = ?",
                [(error, i) for i in ids],
            )

    def done(self, ids: Iterable[int], commit_sha: str | None) -> None:
        """Mark reports applied (by ``commit_sha``; None when they changed nothing)."""
        now = time.time()
        ids = list(ids)
        with self.db.write() as c:
            c.executemany(
                "UPDATE reports SET state = 'done', commit_sha = ?, reason = '', finished = ?"
                " WHERE id = ?",
                [(commit_sha, now, i) for i in ids],
            )
            self._finish_leases(c, ids)

    def park(self, row_id: int, reason: str) -> None:
        """Keep a report that no longer applies, with the reason, for people to look at."""
        self.settle([(row_id, reason)], [])

    def settle(self, parked: Sequence[tuple[int, str]], unchanged: Sequence[int]) -> None:
        """In one transaction: park reports (with reasons), and mark done those that
        changed nothing."""
        if not parked and not unchanged:
            return
        now = time.time()
        with self.db.write() as c:
            c.executemany(
                "UPDATE reports SET state = 'parked', reason = ?, finished = ?, batch_id = NULL"
                " WHERE id = ?",
                [(reason, now, row_id) for row_id, reason in parked],
            )
            c.executemany(
                "UPDATE reports SET state = 'done', reason = '', finished = ? WHERE id = ?",
                [(now, row_id) for row_id in unchanged],
            )
            self._finish_leases(c, [row_id for row_id, _ in parked] + list(unchanged))

    @staticmethod
    def _finish_leases(c: sqlite3.Connection, ids: Iterable[int]) -> None:
        c.executemany(
            "UPDATE leases SET state = 'finished', expires = NULL WHERE job_id = "
            "(SELECT job_id FROM reports WHERE id = ?)",
            [(i,) for i in ids],
        )

    def counts(self) -> dict[str, int]:
        """Number of reports per state."""
        out = {"pending": 0, "done": 0, "parked": 0}
        with self.db.read() as c:
            for state, n in c.execute("SELECT state, COUNT(*) FROM reports GROUP BY state"):
                out[str(state)] = int(n)
        return out

    def parked(self, limit: int = 100) -> list[Row]:
        """The most recently parked reports."""
        with self.db.read() as c:
            rows = c.execute(
                _SELECT + " WHERE state = 'parked' ORDER BY id DESC LIMIT ?",
                (limit,),
            ).fetchall()
        return [Row(*r) for r in rows]

    def prune(self, older_than_s: float) -> int:
        """Forget applied reports finished more than ``older_than_s`` ago; parked ones stay.

        Their keys can no longer be replayed anyway: the signature window is far shorter.
        """
        cutoff = time.time() - older_than_s
        with self.db.write() as c:
            cur = c.execute("DELETE FROM reports WHERE state = 'done' AND finished < ?", (cutoff,))
        return int(cur.rowcount)
