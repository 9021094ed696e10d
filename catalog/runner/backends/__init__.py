"""Backends launch the worker entry point for jobs; they never touch git.

A backend takes jobs and yields their reports as they finish. It honours the slots (and,
where it can, the memory and queue) a job asks for; a job that no worker could ever take
gets a failed report at once instead of waiting forever. When the process running a job
dies, the job is retried once (attempt 2), then reported failed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, Protocol

from catalog.errors import ConfigError
from catalog.runner.jobs import Job
from catalog.runner.report import Report

Event = Callable[[str, Job], None]
"""Called with ("started", job) when a job is handed to a worker."""

MAX_ATTEMPTS = 2
"""A job whose worker died is run once more, then reported failed."""


class Backend(Protocol):
    """Something that runs jobs and hands back their reports."""

    name: str

    def run(self, jobs: Sequence[Job], on_event: Event | None = None) -> Iterator[Report]:
        """Run ``jobs``; yield each report as its job finishes (in any order)."""
        ...

    def close(self) -> None:
        """Release workers and clusters."""
        ...


def failed_report(job: Job, reason: str, *, attempt: int = 1) -> Report:
    """The report of a job that could not be run at all (or whose worker died)."""
    spec = job.spec
    return Report.model_validate(
        {
            "job_id": job.id,
            "attempt": attempt,
            "kind": job.kind,
            "status": "failed",
            "experiment": job.experiment,
            "block": job.block,
            "training": job.training,
            "round": job.round,
            "dataset": job.dataset,
            "cache_key": spec.get("cache_key"),
            "error_report": reason,
        }
    )


def retry_spec(job: Job, attempt: int) -> dict[str, Any]:
    """The job's spec for another attempt."""
    return {**job.spec, "attempt": attempt}


def open_backend(name: str, settings: dict[str, Any], root: Path) -> Backend:
    """The backend called ``name`` (local or dask) with catalog.yaml's ``runner`` settings."""
    if name == "local":
        from catalog.runner.backends.local import LocalBackend

        local = settings.get("local") or {}
        return LocalBackend(slots=local.get("slots"))
    if name == "dask":
        from catalog.runner.backends.dask import DaskBackend

        dask = settings.get("dask") or {}
        return DaskBackend(
            address=dask.get("scheduler"),
            n_workers=int(dask.get("n_workers", 2)),
            threads_per_worker=int(dask.get("threads_per_worker", 1)),
        )
    raise ConfigError(f"unknown runner backend '{name}'; use local or dask")
