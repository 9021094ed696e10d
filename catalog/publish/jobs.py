"""Output files as jobs: where a file goes, what it depends on, and how to make it.

A job with a ``digest`` says cheaply what its file depends on (record versions, sync
findings, commits); the file is made only when that digest differs from the last build's.
A job without one is made every time and its bytes are the digest; it is written only if
they changed. Large builds make their files in worker processes (fork: the gathered site
is shared, nothing is pickled but results).
"""

from __future__ import annotations

import gc
import hashlib
import multiprocessing
import os
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from catalog.publish.output import Staging

PARALLEL_FROM = 3000
"""Below this many files to make, one process is faster than starting workers."""


@dataclass(slots=True)
class Job:
    """One output file."""

    path: str
    make: Callable[[], bytes]
    digest: bytes | None = None
    keep: bool = False
    """The file is known unchanged: leave it as the last build wrote it."""


def digest_of(data: bytes) -> bytes:
    """The digest of a file's bytes, for jobs that have no cheaper one."""
    return hashlib.blake2b(data, digest_size=16).digest()


_WORK: list[Job] = []
_STAGE: Staging | None = None


def _make_range(bounds: tuple[int, int]) -> int:
    assert _STAGE is not None
    for job in _WORK[bounds[0] : bounds[1]]:
        _STAGE.write(job.path, job.make())
    return bounds[1] - bounds[0]


def _chunks(n: int, size: int) -> Iterator[tuple[int, int]]:
    for start in range(0, n, size):
        yield (start, min(n, start + size))


def workers() -> int:
    """How many processes to make files with (one in a threaded process, e.g. the service).

    Forking a process that runs other threads can copy a lock one of them holds, and the
    child then waits for it forever.
    """
    if sys.platform == "win32" or "fork" not in multiprocessing.get_all_start_methods():
        return 1
    if threading.active_count() > 1:
        return 1
    return max(1, min(len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1, 8))


def make_all(
    jobs: list[Job], stage: Staging, progress: Callable[[int, int], None] | None = None
) -> None:
    """Make every job's file into the staging folder, in parallel when there are many."""
    global _WORK, _STAGE
    total = len(jobs)
    n = workers()
    if total < PARALLEL_FROM or n < 2:
        for i, job in enumerate(jobs):
            stage.write(job.path, job.make())
            if progress is not None and (i % 500 == 0 or i == total - 1):
                progress(i + 1, total)
        return
    _WORK, _STAGE = jobs, stage
    # Frozen objects are never scanned by the collector, so forked workers do not touch
    # (and copy) the pages of the gathered site just to look for cycles.
    gc.freeze()
    try:
        ctx = multiprocessing.get_context("fork")
        done = 0
        with ctx.Pool(n) as pool:
            for count in pool.imap_unordered(_make_range, _chunks(total, 500)):
                done += count
                if progress is not None:
                    progress(done, total)
    finally:
        gc.unfreeze()
        _WORK, _STAGE = [], None
