"""The scheduler thread: one cycle at a time — pull, validate, sync, plan, build.

A cycle runs at start, every ``sync_interval_s`` and when GitHub says the branch moved.
Requests that arrive during a cycle are coalesced into one more cycle after it. Commits of
the committer thread ask for a re-plan (validate, plan, build: jobs that became ready are
offered, pages rebuilt), coalesced the same way; a sync or build never runs alongside
another.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from catalog.errors import CatalogError
from catalog.service import steps

if TYPE_CHECKING:
    from catalog.service.runtime import Service

log = logging.getLogger(__name__)

Step = Callable[["Service"], str]

CYCLE: tuple[tuple[str, Step], ...] = (
    ("pull", steps.pull),
    ("sync", steps.sync),
    ("validate", steps.reload),
    ("plan", steps.plan_jobs),
    ("build", steps.build),
    ("tidy", steps.tidy),
)
"""The steps of a full cycle, in order; a failed pull or validate ends the cycle early.
(sync loads and checks the catalog on its own; validate then reloads what sync committed.)"""

REPLAN: tuple[tuple[str, Step], ...] = (
    ("pull", steps.pull),
    ("validate", steps.reload),
    ("plan", steps.plan_jobs),
    ("build", steps.build),
)
"""After commits of the committer thread: the results are pushed (with a remote), jobs that
became ready are planned, pages rebuilt."""

MUST_PASS = frozenset({"pull", "validate"})


class Scheduler:
    """Runs cycles and builds in one thread, coalescing requests."""

    def __init__(self, svc: Service) -> None:
        self.svc = svc
        self._cond = threading.Condition()
        self._want_cycle: str | None = "start" if svc.settings.cycle_at_start else None
        self._want_replan = False
        self._stop = False
        self._thread = threading.Thread(target=self._run, name="scheduler", daemon=True)
        self.running: str | None = None
        self.coalesced = 0
        self.cycles = 0
        self.replans = 0
        self.last_cycle: dict[str, Any] | None = None
        self.last_replan: dict[str, Any] | None = None
        self.next_due: float | None = None
        self.done = threading.Event()
        """Set after each cycle (tests and --once wait on it)."""

    def start(self) -> None:
        """Start the thread; the first cycle runs at once."""
        self._thread.start()

    def stop(self) -> None:
        """Stop after the step in hand."""
        with self._cond:
            self._stop = True
            self._cond.notify_all()
        self._thread.join(timeout=120)

    def request(self, reason: str) -> None:
        """Ask for a full cycle (coalesced with any already asked for)."""
        with self._cond:
            if self._want_cycle is not None:
                self.coalesced += 1  # folded into the cycle already asked for
            self._want_cycle = self._want_cycle or reason
            self._cond.notify_all()

    def request_replan(self, paths: list[str] | None = None) -> None:
        """After commits: plan what became ready and rebuild the site (coalesced)."""
        del paths  # planning and the site builder work out what changed themselves
        with self._cond:
            self._want_replan = True
            self._cond.notify_all()

    def idle(self) -> bool:
        """Nothing running and nothing asked for."""
        with self._cond:
            return self.running is None and self._want_cycle is None and not self._want_replan

    def summary(self) -> dict[str, Any]:
        """The scheduler's state, for the status API and page."""
        return {
            "running": self.running,
            "cycles": self.cycles,
            "replans": self.replans,
            "coalesced_requests": self.coalesced,
            "pending_cycle": self._want_cycle,
            "pending_replan": self._want_replan,
            "next_due_in_s": None
            if self.next_due is None
            else round(max(0.0, self.next_due - time.time()), 1),
            "last_cycle": self.last_cycle,
            "last_replan": self.last_replan,
        }

    def _next(self) -> tuple[str, str] | None:
        interval = self.svc.settings.sync_interval_s
        with self._cond:
            while not self._stop:
                now = time.time()
                if self._want_cycle is None and self.next_due is not None and now >= self.next_due:
                    self._want_cycle = "schedule"
                if self._want_cycle is not None:
                    reason, self._want_cycle = self._want_cycle, None
                    self._want_replan = False  # a cycle plans and builds too
                    self.next_due = now + interval if interval > 0 else None
                    self.running = "cycle"
                    return "cycle", reason
                if self._want_replan:
                    self._want_replan = False
                    self.running = "replan"
                    return "replan", "reports applied"
                wait = None if self.next_due is None else max(0.0, self.next_due - now)
                self._cond.wait(wait)
        return None

    def _run(self) -> None:
        while True:
            job = self._next()
            if job is None:
                return
            what, reason = job
            try:
                if what == "cycle":
                    self.last_cycle = self._steps(CYCLE, reason)
                    self.cycles += 1
                else:
                    self.last_replan = self._steps(REPLAN, reason)
                    self.replans += 1
            finally:
                with self._cond:
                    self.running = None
                self.done.set()

    def _steps(self, which: tuple[tuple[str, Step], ...], reason: str) -> dict[str, Any]:
        record: dict[str, Any] = {"reason": reason, "started": time.time(), "steps": {}}
        for name, step in which:
            t0 = time.perf_counter()
            try:
                detail = step(self.svc)
                record["steps"][name] = {"ok": True, "detail": detail}
            except (CatalogError, OSError) as exc:
                log.warning("%s failed: %s", name, exc)
                record["steps"][name] = {"ok": False, "detail": str(exc)}
            except Exception as exc:
                log.exception("%s failed", name)
                record["steps"][name] = {"ok": False, "detail": f"internal error: {exc}"}
            record["steps"][name]["seconds"] = round(time.perf_counter() - t0, 3)
            if not record["steps"][name]["ok"] and name in MUST_PASS:
                break
            if self._stop:
                break
        record["finished"] = time.time()
        return record
