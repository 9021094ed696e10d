"""The service's own workers: claim jobs of the local queues, run them on the runner's backend.

The pool pulls work like any remote worker — a lease per job, kept alive while the job
waits or runs — and hands each wave of claimed jobs to the backend `catalog run` uses
(``runner.backend`` in catalog.yaml: the local process pool, or Dask). It is in the
service's trust domain: its reports go straight into the journal, unsigned, and from there
the committer thread applies them like every other report.
"""

from __future__ import annotations

import logging
import threading
import uuid
from typing import TYPE_CHECKING

from catalog.runner.backends import Backend, open_backend
from catalog.runner.jobs import Job
from catalog.runner.report import Report
from catalog.service.leases import Lease
from catalog.service.webhook import accepted_body, winner_key

if TYPE_CHECKING:
    from catalog.service.runtime import Service

log = logging.getLogger(__name__)

LOCAL_WORKER = "(local pool)"
"""The name the pool's leases and journal rows carry (not a valid worker record name)."""

WAVE_PER_SLOT = 4
"""Jobs claimed at once per slot: enough to keep the backend busy, few enough to share."""


def job_of(lease: Lease) -> Job:
    """The runner's job back from its lease."""
    return Job(**{**lease.job, "spec": lease.spec})


class LocalPool:
    """Claims waves of local-queue jobs and runs them on the runner's backend."""

    def __init__(self, svc: Service) -> None:
        self.svc = svc
        self.slots = svc.settings.local_workers
        self._backend: Backend | None = None
        self._held: dict[str, Lease] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread = threading.Thread(target=self._run, name="local-pool", daemon=True)
        self._keeper = threading.Thread(target=self._keep, name="lease-keeper", daemon=True)
        self.finished = 0

    def start(self) -> None:
        """Start claiming work."""
        self._thread.start()
        self._keeper.start()

    def stop(self) -> None:
        """Stop claiming; the wave in hand finishes and is journalled first."""
        self._stop.set()
        self._wake.set()
        self._thread.join(timeout=300)
        self._keeper.join(timeout=10)
        if self._backend is not None:
            self._backend.close()

    def poke(self) -> None:
        """New jobs were offered: look now rather than at the next tick."""
        self._wake.set()

    def busy(self) -> int:
        """Jobs claimed and not yet reported."""
        with self._lock:
            return len(self._held)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self._wave()
            except Exception:
                log.exception("the local pool failed a wave; its jobs are offered again later")
                with self._lock:
                    self._held.clear()
            self._wake.wait(timeout=1.0)
            self._wake.clear()

    def _claim(self) -> list[Lease]:
        wave: list[Lease] = []
        queues = self.svc.settings.local_queues
        while len(wave) < self.slots * WAVE_PER_SLOT:
            lease = self.svc.leases.claim(LOCAL_WORKER, queues, [], uuid.uuid4().hex)
            if lease is None:
                break
            wave.append(lease)
        return wave

    def _wave(self) -> None:
        wave = self._claim()
        if not wave:
            return
        with self._lock:
            self._held = {lease.job_id: lease for lease in wave}
        if self._backend is None:
            runner = self.svc.config.runner
            name = str(runner.get("backend") or "local")
            settings = {**runner, "local": {"slots": self.slots, **(runner.get("local") or {})}}
            self._backend = open_backend(name, settings, self.svc.config.root)
        jobs = [job_of(lease) for lease in wave]
        for report in self._backend.run(jobs):
            with self._lock:
                lease = self._held.pop(report.job_id, None)
            if lease is not None:
                self._journal(lease, report)

    def _keep(self) -> None:
        # Leases of jobs waiting in the backend's queue or running are renewed well before
        # they lapse, so no other worker is offered a job this pool still has.
        interval = max(0.05, self.svc.leases.lease_s / 3)
        while not self._stop.wait(interval):
            with self._lock:
                held = list(self._held.values())
            for lease in held:
                renewed = self.svc.leases.renew(lease.job_id, LOCAL_WORKER, lease.attempt)
                if renewed is not None:
                    with self._lock:
                        if lease.job_id in self._held:
                            self._held[lease.job_id] = renewed

    def _journal(self, lease: Lease, report: Report) -> None:
        report = report.model_copy(update={"attempt": lease.attempt})
        body = report.model_dump_json().encode("utf-8")
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
