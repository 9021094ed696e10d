"""Job leases: planned jobs offered to workers that pull work, each for a limited time.

A job is ``offered``; a worker claims it (``leased`` until ``expires``, attempt + 1); its
report makes it ``reported``, then ``finished`` once applied or parked. A lease that expires
without a report is offered again: the next claim gets the job under a new attempt number.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from catalog.service.db import Database


@dataclass(frozen=True, slots=True)
class Offer:
    """A job the planner wants run."""

    id: str
    kind: str
    queue: str
    slots: int
    spec: dict[str, Any]
    capabilities: tuple[str, ...] = ()
    job: dict[str, Any] = field(default_factory=dict)
    """The planner's description of the job (its fields other than the spec)."""


@dataclass(frozen=True, slots=True)
class Lease:
    """A job as the service tracks it."""

    job_id: str
    kind: str
    queue: str
    slots: int
    state: str
    attempt: int
    worker: str | None
    expires: float | None
    spec: dict[str, Any] = field(repr=False)
    capabilities: tuple[str, ...] = ()
    job: dict[str, Any] = field(default_factory=dict, repr=False)

    def public(self) -> dict[str, Any]:
        """The job as the read API shows it."""
        return {
            "id": self.job_id,
            "kind": self.kind,
            "queue": self.queue,
            "slots": self.slots,
            "state": self.state,
            "attempt": self.attempt,
            "worker": self.worker,
            "lease_expires": self.expires,
            "capabilities": list(self.capabilities),
        }


_SELECT = (
    "SELECT job_id, kind, queue, slots, state, attempt, worker, expires, spec, capabilities,"
    " job FROM leases"
)


def _lease(row: Sequence[Any]) -> Lease:
    return Lease(
        job_id=str(row[0]),
        kind=str(row[1]),
        queue=str(row[2]),
        slots=int(row[3]),
        state=str(row[4]),
        attempt=int(row[5]),
        worker=row[6],
        expires=row[7],
        spec=json.loads(row[8]),
        capabilities=tuple(json.loads(row[9])),
        job=json.loads(row[10]),
    )


class Leases:
    """The job table: offers from the planner, claims and renewals from workers."""

    def __init__(
        self, db: Database, lease_s: float, *, clock: Callable[[], float] = time.time
    ) -> None:
        self.db = db
        self.lease_s = lease_s
        self.clock = clock

    def finished(self) -> set[str]:
        """Jobs whose report has been applied or parked (read this before planning)."""
        with self.db.read() as c:
            rows = c.execute(
                "SELECT job_id FROM leases WHERE state = 'finished' UNION "
                "SELECT w.job_id FROM winners w LEFT JOIN reports r ON r.id = w.report_id "
                "WHERE r.id IS NULL OR r.state != 'pending'"
            ).fetchall()
        return {str(r[0]) for r in rows}

    def offer(self, jobs: Iterable[Offer], finished_before: set[str]) -> int:
        """Offer the planned ``jobs``; return how many are newly offered.

        A job that was reported and is planned again (its record was reset) is offered
        again only when its report had finished before the plan was made
        (``finished_before``): otherwise the plan may predate the report. Offers no longer
        planned are withdrawn; leased jobs are left to their workers.
        """
        now = self.clock()
        planned = {j.id: j for j in jobs}
        new = 0
        with self.db.write() as c:
            known = {str(r[0]): str(r[1]) for r in c.execute("SELECT job_id, state FROM leases")}
            for job_id, state in known.items():
                if state in ("offered", "finished") and job_id not in planned:
                    c.execute("DELETE FROM leases WHERE job_id = ?", (job_id,))
            for job in planned.values():
                now_state = known.get(job.id)
                if now_state in ("offered", "leased", "reported"):
                    continue
                if now_state is None:
                    now_state = self._reported_state(c, job.id)
                    c.execute(
                        "INSERT INTO leases (job_id, kind, queue, slots, state, attempt, worker,"
                        " expires, spec, capabilities, job, offered, updated) "
                        "VALUES (?, ?, ?, ?, ?, 0, NULL, NULL, ?, ?, ?, ?, ?)",
                        (
                            job.id,
                            job.kind,
                            job.queue,
                            job.slots,
                            now_state or "offered",
                            json.dumps(job.spec),
                            json.dumps(list(job.capabilities)),
                            json.dumps(job.job),
                            now,
                            now,
                        ),
                    )
                if now_state is None or (now_state == "finished" and job.id in finished_before):
                    c.execute(
                        "UPDATE leases SET state = 'offered', worker = NULL, expires = NULL,"
                        " claim_key = NULL, spec = ?, job = ?, offered = ?, updated = ?"
                        " WHERE job_id = ?",
                        (json.dumps(job.spec), json.dumps(job.job), now, now, job.id),
                    )
                    c.execute("DELETE FROM winners WHERE job_id = ?", (job.id,))
                    new += 1
        return new

    @staticmethod
    def _reported_state(c: sqlite3.Connection, job_id: str) -> str | None:
        # A job reported by a worker that never claimed it (pushing on its own).
        row = c.execute(
            "SELECT r.state FROM winners w LEFT JOIN reports r ON r.id = w.report_id"
            " WHERE w.job_id = ?",
            (job_id,),
        ).fetchone()
        if row is None:
            return None
        return "reported" if row[0] == "pending" else "finished"

    def claim(
        self, worker: str, queues: Sequence[str], capabilities: Sequence[str], key: str
    ) -> Lease | None:
        """Lease the oldest job ``worker`` can run, or None; a retried claim gets its lease."""
        now = self.clock()
        # Only placeholders are put into the SQL text; every value is a bound parameter.
        marks = ",".join("?" * len(queues))
        claimable = (
            f"queue IN ({marks}) AND (state = 'offered' OR (state = 'leased' AND expires < ?))"
        )
        with self.db.read() as c:
            # Most claims find nothing: answer those without taking the write lock.
            if not c.execute(
                "SELECT 1 FROM leases WHERE "  # noqa: S608
                + claimable
                + " OR (worker = ? AND claim_key = ?) LIMIT 1",
                (*queues, now, worker, key),
            ).fetchone():
                return None
        with self.db.write() as c:
            again = c.execute(
                _SELECT + " WHERE worker = ? AND claim_key = ?",
                (worker, key),
            ).fetchone()
            if again is not None:
                return _lease(again)
            rows = c.execute(
                f"{_SELECT} WHERE {claimable} ORDER BY offered, job_id", (*queues, now)
            ).fetchall()
            have = set(capabilities)
            for row in rows:
                lease = _lease(row)
                if not set(lease.capabilities) <= have:
                    continue
                expires = now + self.lease_s
                c.execute(
                    "UPDATE leases SET state = 'leased', attempt = attempt + 1, worker = ?,"
                    " claim_key = ?, expires = ?, updated = ? WHERE job_id = ?",
                    (worker, key, expires, now, lease.job_id),
                )
                return replace(
                    lease, state="leased", attempt=lease.attempt + 1, worker=worker, expires=expires
                )
        return None

    def renew(self, job_id: str, worker: str, attempt: int) -> Lease | None:
        """Extend a lease its holder still has; None when it lapsed to another attempt."""
        now = self.clock()
        with self.db.write() as c:
            cur = c.execute(
                "UPDATE leases SET expires = ?, updated = ? WHERE job_id = ? AND worker = ?"
                " AND attempt = ? AND state = 'leased'",
                (now + self.lease_s, now, job_id, worker, attempt),
            )
            if cur.rowcount == 0:
                return None
            row = c.execute(_SELECT + " WHERE job_id = ?", (job_id,)).fetchone()
        return _lease(row)

    def get(self, job_id: str) -> Lease | None:
        """One job, or None."""
        with self.db.read() as c:
            row = c.execute(_SELECT + " WHERE job_id = ?", (job_id,)).fetchone()
        return None if row is None else _lease(row)

    def all(self) -> list[Lease]:
        """Every job the service tracks, oldest offer first."""
        with self.db.read() as c:
            rows = c.execute(_SELECT + " ORDER BY offered, job_id").fetchall()
        return [_lease(r) for r in rows]

    def counts(self) -> dict[str, int]:
        """Jobs per state; leases past their expiry count as offered again."""
        out = {"offered": 0, "leased": 0, "reported": 0, "finished": 0}
        now = self.clock()
        for lease in self.all():
            state = lease.state
            if state == "leased" and lease.expires is not None and lease.expires < now:
                state = "offered"
            out[state] = out.get(state, 0) + 1
        return out
