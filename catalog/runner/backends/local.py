"""The local backend: a process pool on this machine, the default.

Each pool process runs one job at a time (the worker entry point, which spawns the job's
command). Slots are counted: a job asking for 2 slots waits until 2 are free, and smaller
jobs behind it fill the gaps. A job asking for more slots than the pool has, or more
memory than the machine has, fails at once.
"""

from __future__ import annotations

import multiprocessing
import os
import time
from collections import deque
from collections.abc import Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool

from catalog.runner.backends import MAX_ATTEMPTS, Event, failed_report, retry_spec
from catalog.runner.jobs import Job
from catalog.runner.report import Report
from catalog.runner.worker import run_job_json


def machine_memory_mb() -> int | None:
    """Physical memory of this machine in MiB, where the OS says."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // (1024 * 1024)
    except (ValueError, OSError, AttributeError):
        return None


class LocalBackend:
    """Runs jobs in a pool of ``slots`` processes."""

    name = "local"

    def __init__(self, slots: int | None = None) -> None:
        self.slots = int(slots or os.cpu_count() or 1)
        self.memory_mb = machine_memory_mb()
        self._pool: ProcessPoolExecutor | None = None

    def _executor(self) -> ProcessPoolExecutor:
        if self._pool is None:
            # spawn: pool processes start clean, with this process's sys.path (forkserver in
            # Python 3.11 imports from the working directory instead), and never from a fork
            # of this possibly threaded process.
            ctx = multiprocessing.get_context("spawn")
            self._pool = ProcessPoolExecutor(max_workers=self.slots, mp_context=ctx)
        return self._pool

    def _refusal(self, job: Job) -> str | None:
        if job.slots > self.slots:
            return (
                f"the job needs {job.slots} slots; this machine's pool has {self.slots} "
                "(runner.local.slots in catalog.yaml)"
            )
        if job.memory_mb is not None and self.memory_mb is not None:
            if job.memory_mb > self.memory_mb:
                return f"the job needs {job.memory_mb} MiB; this machine has {self.memory_mb} MiB"
        return None

    def run(self, jobs: Sequence[Job], on_event: Event | None = None) -> Iterator[Report]:
        """Run ``jobs`` on the pool, at most ``slots`` slots' worth at a time."""
        now = time.time()
        queue: deque[tuple[Job, int]] = deque()
        for job in jobs:
            why = self._refusal(job)
            if why is not None:
                yield failed_report(job, why)
            else:
                job.spec["queued_at"] = now
                queue.append((job, 1))
        free = self.slots
        running: dict[Future[dict[str, object]], tuple[Job, int]] = {}
        while queue or running:
            waiting: deque[tuple[Job, int]] = deque()
            while queue and free > 0:
                job, attempt = queue.popleft()
                if job.slots > free:
                    waiting.append((job, attempt))  # smaller jobs behind it may fit now
                    continue
                spec = retry_spec(job, attempt)
                running[self._executor().submit(run_job_json, spec)] = (job, attempt)
                free -= job.slots
                if on_event is not None:
                    on_event("started", job)
            queue.extendleft(reversed(waiting))
            done, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in done:
                job, attempt = running.pop(future)
                free += job.slots
                try:
                    yield Report.model_validate(future.result())
                except BrokenProcessPool:
                    # A pool process died (killed, out of memory): the pool is unusable.
                    self._reset()
                    if attempt < MAX_ATTEMPTS:
                        queue.append((job, attempt + 1))
                    else:
                        yield failed_report(
                            job,
                            f"the process running the job died {attempt} times",
                            attempt=attempt,
                        )

    def _reset(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None

    def close(self) -> None:
        """Stop the pool processes."""
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None
