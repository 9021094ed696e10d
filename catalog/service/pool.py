"""The service's own workers: claim jobs of the local queues and run them on this machine.

The pool pulls work like any remote worker (a lease per job, renewed while it runs), but
is in the service's trust domain: its reports go straight into the journal, unsigned, and
from there the committer thread applies them like every other report.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any

from catalog.service.leases import Lease
from catalog.service.webhook import accepted_body, winner_key

if TYPE_CHECKING:
    from catalog.runner.report import Report
    from catalog.service.runtime import Service

log = logging.getLogger(__name__)

LOCAL_WORKER = "(local pool)"
"""The name the pool's leases and journal rows carry (not a valid worker record name)."""


def run_spec(spec: dict[str, Any], root: Path) -> Report:
    """Run one job spec with the runner's worker entry point."""
    from catalog.runner.worker import run_job

    return run_job(spec, root=root)


class LocalPool:
    """Claims jobs for the local queues and runs up to ``local_workers`` at once."""

    def __init__(self, svc: Service) -> None:
        self.svc = svc
        self.slots = svc.settings.local_workers
        self._executor = ThreadPoolExecutor(self.slots, thread_name_prefix="job")
        self._running: dict[str, tuple[Lease, Future[Report]]] = {}
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread = threading.Thread(target=self._run, name="local-pool", daemon=True)
        self.finished = 0

    def start(self) -> None:
        """Start claiming work."""
        self._thread.start()

    def stop(self) -> None:
        """Stop claiming; jobs in flight finish and are journalled."""
        self._stop.set()
        self._wake.set()
        self._thread.join(timeout=30)
        self._executor.shutdown(wait=True, cancel_futures=True)

    def poke(self) -> None:
        """New jobs were offered: look now rather than at the next tick."""
        self._wake.set()

    def busy(self) -> int:
        """Jobs running now."""
        return len(self._running)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self._tick()
            except Exception:
                log.exception("the local pool failed a round; trying again")
            self._wake.wait(timeout=0.5)
            self._wake.clear()

    def _tick(self) -> None:
        half = self.svc.leases.lease_s / 2
        for job_id, (held, fut) in list(self._running.items()):
            if fut.done():
                del self._running[job_id]
                self._journal(held, fut)
            elif held.expires is not None and held.expires - time.time() < half:
                renewed = self.svc.leases.renew(job_id, LOCAL_WORKER, held.attempt)
                if renewed is not None:
                    self._running[job_id] = (renewed, fut)
        while len(self._running) < self.slots and not self._stop.is_set():
            lease = self.svc.leases.claim(
                LOCAL_WORKER, self.svc.settings.local_queues, [], uuid.uuid4().hex
            )
            if lease is None:
                return
            self._running[lease.job_id] = (lease, self._executor.submit(self._run_job, lease))

    def _run_job(self, lease: Lease) -> Report:
        report = run_spec(lease.spec, self.svc.config.root)
        self._wake.set()
        return report

    def _journal(self, lease: Lease, fut: Future[Report]) -> None:
        exc = fut.exception()
        if exc is not None:
            # The runner reports failures of the job itself; this is the runner failing.
            log.error("job %s (attempt %d) could not run: %s", lease.job_id, lease.attempt, exc)
            return
        report = fut.result().model_copy(update={"attempt": lease.attempt})
        body = report.model_dump_json(exclude_defaults=False).encode("utf-8")
        key = f"local:{lease.attempt}:{uuid.uuid5(uuid.NAMESPACE_URL, lease.job_id).hex}"
        intake = self.svc.journal.accept(
            LOCAL_WORKER,
            key,
            body,
            winner_key(report),
            lease.attempt,
            lambda row_id: accepted_body(row_id, key, report),
        )
        if intake.outcome not in ("new", "replay"):
            log.warning("local report for %s not journalled: %s", lease.job_id, intake.message)
        self.finished += 1
