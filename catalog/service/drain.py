"""The committer thread: drains the journal into git, one commit per batch of reports.

A batch closes when ``batch_size`` reports wait or the oldest has waited
``batch_interval_s``; when a full batch waits, it takes up to ``batch_size_deep``. Its
members are written to the journal (with the batch id) before the commit, and the commit
carries the batch id as a trailer, so after a crash the batch is recognised: already in
history → marked done; not → applied again. A report that no longer applies is parked with
the reason; a batch that fails to commit is retried with back-off; a batch that would make
a record invalid is split to find and park the report at fault.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from catalog.crashpoints import crash_point
from catalog.errors import CatalogError, RecordError
from catalog.runner.report import Report
from catalog.service.journal import Row

if TYPE_CHECKING:
    from catalog.committer import Committer, Edit
    from catalog.service.runtime import Service

log = logging.getLogger(__name__)

IDLE_POLL_S = 0.1
"""How often an idle committer looks for new reports."""

MESSAGE_JOBS = 30
"""Most job ids listed in a commit message."""


def commit_message(rows: Sequence[Row]) -> str:
    """``Apply N worker report(s)`` and the jobs they settle."""
    jobs = [f"- {r.job_id} (attempt {r.attempt}, {r.worker})" for r in rows[:MESSAGE_JOBS]]
    more = [f"- … and {len(rows) - MESSAGE_JOBS} more"] if len(rows) > MESSAGE_JOBS else []
    return "\n".join([f"Apply {len(rows)} worker report(s)", "", *jobs, *more])


def _chain(fns: list[Callable[[Any], None]]) -> Callable[[Any], None]:
    def apply_all(tree: Any) -> None:
        for fn in fns:
            fn(tree)

    return apply_all


def make_committer(svc: Service) -> Committer:
    """The git committer for the catalog, with the bot identity and remote from catalog.yaml."""
    from catalog.committer import Committer

    git: dict[str, Any] = svc.config.git
    author = git.get("author")
    ident = (str(author["name"]), str(author["email"])) if isinstance(author, dict) else None
    return Committer(
        svc.config.root, author=ident, branch=git.get("branch"), remote=git.get("remote")
    )


class Drainer:
    """Applies journalled reports to records through the committer, in batches."""

    def __init__(self, svc: Service) -> None:
        self.svc = svc
        self.on_commit: Callable[[list[str]], None] | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="committer", daemon=True)
        self._delay = 0.0
        self.last: dict[str, Any] = {}
        self.commits = 0
        self.applied = 0
        self.recovered = 0
        self.idle = threading.Event()

    # ------------------------------------------------------------------ thread

    def start(self) -> None:
        """Start draining (after finishing batches a previous run left open)."""
        self._thread.start()

    def stop(self) -> None:
        """Finish the batch in hand, then stop."""
        self._stop.set()
        self.svc.journal.wake()
        self._thread.join(timeout=60)

    @property
    def committer(self) -> Committer:
        """The service's committer (one per process)."""
        assert self.svc.committer is not None, "start_background makes the committer"
        return self.svc.committer

    def summary(self) -> dict[str, Any]:
        """What the committer thread has done, for the status API."""
        return {
            "commits": self.commits,
            "applied": self.applied,
            "recovered_batches": self.recovered,
            "retry_in_s": round(self._delay, 1),
            "last": self.last,
        }

    def _run(self) -> None:
        try:
            self.recover()
        except Exception:
            log.exception("the committer could not start; reports stay in the journal")
            return
        while not self._stop.is_set():
            try:
                self.step()
            except Exception:
                # A bug, not a bad report: keep the reports, log, and try again later.
                log.exception("the committer failed; the batch stays in the journal")
                self._backoff("internal error")

    def step(self) -> None:
        """Wait for a batch to be due, then apply it."""
        s = self.svc.settings
        rows = self.svc.journal.pending(s.batch_size)
        if not rows:
            self.idle.set()
            # Reports journalled by this process wake us at once; those of another process
            # (the web process, when the background runs in its own) are seen by polling.
            self.svc.journal.wait(IDLE_POLL_S)
            return
        self.idle.clear()
        # Let the batch fill until it is full or its oldest report has waited long enough.
        while len(rows) < s.batch_size and not self._stop.is_set():
            age = time.time() - rows[0].received
            if age >= s.batch_interval_s:
                break
            self.svc.journal.wait(s.batch_interval_s - age)
            rows = self.svc.journal.pending(s.batch_size)
        if len(rows) >= s.batch_size and s.batch_size_deep > s.batch_size:
            # Behind: a larger batch edits each record file once for more of its reports.
            rows = self.svc.journal.pending(s.batch_size_deep)
        self.apply(rows)

    def _backoff(self, error: str) -> None:
        self._delay = min(self.svc.settings.retry_max_s, max(0.25, self._delay * 2))
        self.last = {"error": error, "retry_in_s": self._delay, "at": time.time()}
        self._stop.wait(self._delay)

    # ------------------------------------------------------------------ batches

    def recover(self) -> None:
        """Settle batches a crash left open: done if their commit exists, else re-queued."""
        committer = self.committer
        for batch_id, rows in self.svc.journal.open_batches().items():
            ids = [r.id for r in rows]
            if committer.is_applied(batch_id):
                self.svc.journal.done(ids, None)
                self.applied += len(ids)
            else:
                self.svc.journal.unassign(ids, "")
            self.recovered += 1

    def _edits(self, rows: Sequence[Row]) -> tuple[list[Edit], list[Row]]:
        """One edit per record file for the rows that apply; the others are parked."""
        from catalog.committer import Edit
        from catalog.runner.apply import StaleReportError, report_edits

        records = self.svc.live.records
        fns: dict[str, list[Callable[[Any], None]]] = {}
        members: list[Row] = []
        parked: list[tuple[int, str]] = []
        no_change: list[int] = []
        for row in rows:
            try:
                report = Report.model_validate_json(row.body, strict=True)
                found = report_edits(records, report)
            except StaleReportError as exc:
                parked.append((row.id, exc.reason))
                continue
            except (CatalogError, ValidationError) as exc:
                parked.append((row.id, f"cannot apply: {exc}"))
                continue
            if not found:
                no_change.append(row.id)
                continue
            for edit in found:
                assert edit.fn is not None, "reports edit records in place"
                fns.setdefault(edit.path, []).append(edit.fn)
            members.append(row)
        # One transaction for all that need no commit (one fsync, not one per report).
        self.svc.journal.settle(parked, no_change)
        # Many reports about one record become one edit: the file is parsed and written once.
        return [Edit(path, fn=_chain(chain)) for path, chain in fns.items()], members

    def apply(self, rows: Sequence[Row]) -> None:
        """Apply ``rows`` in one commit (or park those that no longer apply)."""
        t0 = time.perf_counter()
        edits, members = self._edits(rows)
        if not members:
            return
        ids = [r.id for r in members]
        batch_id = f"reports-{ids[0]}-{ids[-1]}-{uuid.uuid4().hex[:8]}"
        self.svc.journal.assign(ids, batch_id)
        try:
            result = self.committer.apply(edits, commit_message(members), batch_id=batch_id)
        except RecordError as exc:
            self.svc.journal.unassign(ids, str(exc))
            if len(members) == 1:
                self.svc.journal.park(ids[0], f"applying it would make a record invalid: {exc}")
            else:
                # One of them is at fault: apply each alone to find it.
                for row in members:
                    self.apply([row])
            return
        except (CatalogError, OSError) as exc:
            log.warning("commit of %d report(s) failed, will retry: %s", len(ids), exc)
            self.svc.journal.unassign(ids, str(exc))
            self._backoff(str(exc))
            return
        self._delay = 0.0
        # Records first, then the journal: whoever sees a report done (the planner) must
        # also see the records it changed.
        self.svc.live.refresh(result.changed, result.entries)
        self.svc.journal.done(ids, result.sha)
        crash_point("after-mark-done")
        self.commits += 1 if result.sha else 0
        self.applied += len(ids)
        self.last = {
            "batch_id": batch_id,
            "sha": result.sha,
            "reports": len(ids),
            "files": len(result.changed),
            "seconds": round(time.perf_counter() - t0, 3),
            "at": time.time(),
        }
        if self.on_commit is not None and result.changed:
            self.on_commit(list(result.changed))
