"""The Dask backend: jobs as tasks on a ``dask.distributed`` cluster (extra: dask).

With a scheduler address (catalog.yaml ``runner.dask.scheduler``) jobs go to that cluster;
without one a LocalCluster is started on 127.0.0.1 (no dashboard, nothing else listening).
A job's slots are a Dask resource: each worker offers ``slots`` (its thread count unless
configured) and each task asks for the job's slots, so Dask never runs more slots' worth on
a worker than it has. Memory (``memory_mb``) and queues (``queue:<name>``) are honoured when
the workers advertise those resources too.

A worker that dies mid-job is a ``KilledWorker`` for the task (our LocalCluster allows no
silent reschedules); the job is submitted once more as attempt 2, then reported failed.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Iterator, Sequence
from typing import Any

from catalog.errors import CatalogError
from catalog.runner.backends import MAX_ATTEMPTS, Event, failed_report, retry_spec
from catalog.runner.jobs import Job
from catalog.runner.report import Report
from catalog.runner.worker import run_job_json

INSTALL = "pip install 'catalog[dask]'"
WAIT_FOR_WORKERS_S = 60
log = logging.getLogger(__name__)


def _distributed() -> Any:
    try:
        import distributed
    except ImportError:
        raise CatalogError(f"the dask backend needs dask.distributed: {INSTALL}") from None
    return distributed


def local_cluster(
    n_workers: int = 2, threads_per_worker: int = 1, slots_per_worker: int | None = None
) -> Any:
    """A LocalCluster on 127.0.0.1 whose workers offer ``slots`` resources."""
    import dask

    distributed = _distributed()
    # allowed-failures 0: a worker death surfaces at once as KilledWorker, and the one retry
    # is ours (visible as attempt 2 in the report), not several silent ones.
    with dask.config.set({"distributed.scheduler.allowed-failures": 0}):
        return distributed.LocalCluster(
            n_workers=n_workers,
            threads_per_worker=threads_per_worker,
            host="127.0.0.1",
            dashboard_address=None,
            processes=True,
            resources={"slots": slots_per_worker or threads_per_worker},
        )


class DaskBackend:
    """Runs jobs as Dask tasks on a cluster (ours or one at ``address``)."""

    name = "dask"

    def __init__(
        self,
        *,
        address: str | None = None,
        cluster: Any = None,
        n_workers: int = 2,
        threads_per_worker: int = 1,
    ) -> None:
        distributed = _distributed()
        self._own_cluster = None
        if address is None and cluster is None:
            cluster = self._own_cluster = local_cluster(n_workers, threads_per_worker)
        self.client = distributed.Client(address if address is not None else cluster)

    def _capacity(self) -> list[dict[str, float]]:
        """Resources of each worker, once there is a worker (a restarted one may be coming)."""
        try:
            self.client.wait_for_workers(1, timeout=WAIT_FOR_WORKERS_S)
        except TimeoutError:
            raise CatalogError(
                f"no Dask worker joined the cluster at {self.client.scheduler.address} "
                f"within {WAIT_FOR_WORKERS_S} s"
            ) from None
        workers = self.client.scheduler_info(n_workers=-1)["workers"].values()
        return [dict(w.get("resources") or {}) for w in workers]

    def _resources(self, job: Job, capacity: list[dict[str, float]]) -> dict[str, float]:
        if not any("slots" in c for c in capacity):
            # Workers started without a 'slots' resource: Dask's own threads limit them.
            log.warning("no worker declares a 'slots' resource; job slots are not enforced")
            return {}
        wanted: dict[str, float] = {"slots": job.slots}
        if job.memory_mb is not None and any("memory_mb" in c for c in capacity):
            wanted["memory_mb"] = job.memory_mb
        queue = f"queue:{job.queue}"
        if any(queue in c for c in capacity):
            wanted[queue] = 1
        return wanted

    def _submit(self, job: Job, attempt: int, resources: dict[str, float]) -> Any:
        spec = retry_spec(job, attempt)
        key = f"catalog-job-{uuid.uuid4().hex}"
        return self.client.submit(
            run_job_json, spec, key=key, resources=resources, pure=False, retries=0
        )

    def run(self, jobs: Sequence[Job], on_event: Event | None = None) -> Iterator[Report]:
        """Submit every job; yield reports as tasks finish, retrying a dead worker's job once."""
        distributed = _distributed()
        capacity = self._capacity()
        now = time.time()
        futures: dict[Any, tuple[Job, int, dict[str, float]]] = {}
        for job in jobs:
            wanted = self._resources(job, capacity)
            fits = any(all(c.get(k, 0) >= v for k, v in wanted.items()) for c in capacity)
            if not fits:
                most = max((c.get("slots", 0) for c in capacity), default=0)
                yield failed_report(
                    job,
                    f"no worker of the cluster offers {wanted} (the largest has {most:g} slots)",
                )
                continue
            job.spec["queued_at"] = now
            futures[self._submit(job, 1, wanted)] = (job, 1, wanted)
            if on_event is not None:
                on_event("started", job)
        pending = distributed.as_completed(list(futures))
        for future in pending:
            job, attempt, wanted = futures.pop(future)
            try:
                yield Report.model_validate(future.result())
            except Exception as exc:  # noqa: BLE001 - KilledWorker, lost connections, …
                if attempt < MAX_ATTEMPTS:
                    again = self._submit(job, attempt + 1, wanted)
                    futures[again] = (job, attempt + 1, wanted)
                    pending.add(again)
                else:
                    yield failed_report(
                        job,
                        f"the worker running the job died or was lost {attempt} times "
                        f"({type(exc).__name__}: {exc})",
                        attempt=attempt,
                    )
            finally:
                future.release()

    def close(self) -> None:
        """Close the client, and the LocalCluster if we started it."""
        self.client.close()
        if self._own_cluster is not None:
            self._own_cluster.close()
