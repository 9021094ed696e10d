"""Streaming checksums, in parallel over files.

Large files are read in big chunks into one reused buffer; hashlib releases the GIL while
it digests more than a couple of kilobytes, and file reads release it too, so a few threads
keep every core busy on large files. Small files are grouped into batches so that the cost
of handing work to a thread is paid per batch, not per file.

A file is hashed between two looks at it (stat before, stat after); if size, mtime or
identity moved meanwhile, the result is marked ``changed`` and must not be trusted.
"""

from __future__ import annotations

import hashlib
import logging
import os
from collections.abc import Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING, Any

if TYPE_CHECKING:
    from catalog.sync.storage import Stat, Storage

log = logging.getLogger(__name__)

ALGORITHMS = ("md5", "sha1", "sha256", "blake2b")
"""Algorithms a dataset may name; hex digest lengths 32, 40, 64 and 128."""

DIGEST_LENGTH = {"md5": 32, "sha1": 40, "sha256": 64, "blake2b": 128}

CHUNK = 4 * 1024 * 1024
"""Bytes read per call: large enough that per-call overhead vanishes next to hashing."""

BATCH_BYTES = 8 * 1024 * 1024
BATCH_FILES = 128
"""Small files travel to a thread in batches of up to this many files or bytes."""


def new_hasher(algorithm: str) -> Any:
    """A fresh hash object; checksums here verify integrity, they are not security."""
    if algorithm not in DIGEST_LENGTH:
        raise ValueError(f"unknown hash algorithm '{algorithm}'; use {', '.join(ALGORITHMS)}")
    return hashlib.new(algorithm, usedforsecurity=False)


def is_digest(value: object, algorithm: str) -> bool:
    """Whether ``value`` looks like a lower-case hex digest of ``algorithm``."""
    if not isinstance(value, str) or len(value) != DIGEST_LENGTH.get(algorithm, -1):
        return False
    try:
        int(value, 16)
    except ValueError:
        return False
    return value == value.lower()


def hash_bytes(data: bytes, algorithm: str) -> str:
    """Hex digest of ``data``."""
    h = new_hasher(algorithm)
    h.update(data)
    return str(h.hexdigest())


def hash_fd(fd: int, algorithm: str, size_hint: int) -> tuple[str, int]:
    """Hash an open file descriptor from its current position to the end: (digest, bytes)."""
    h = new_hasher(algorithm)
    if size_hint < CHUNK:
        # One read (plus one to see the end) is the cheapest path for small files.
        data = os.read(fd, size_hint + 1)
        total = len(data)
        h.update(data)
        while data:
            data = os.read(fd, CHUNK)
            total += len(data)
            h.update(data)
        return str(h.hexdigest()), total
    buf = bytearray(CHUNK)
    view = memoryview(buf)
    total = 0
    while True:
        n = os.readv(fd, [buf])
        if not n:
            break
        h.update(view[:n])
        total += n
    return str(h.hexdigest()), total


def hash_stream(stream: IO[bytes], algorithm: str) -> tuple[str, int]:
    """Hash a readable binary stream to its end: (digest, bytes)."""
    h = new_hasher(algorithm)
    total = 0
    while True:
        chunk = stream.read(CHUNK)
        if not chunk:
            break
        h.update(chunk)
        total += len(chunk)
    return str(h.hexdigest()), total


@dataclass(frozen=True, slots=True)
class HashJob:
    """One file to hash: where it is, what it looked like when listed, which algorithm."""

    storage: Storage
    relative_path: str
    stat: Stat
    algorithm: str


@dataclass(frozen=True, slots=True)
class HashResult:
    """The digest of a job's file, or why there is none."""

    job: HashJob
    digest: str | None
    nbytes: int
    changed: bool = False
    """The file changed while it was read: the digest (if any) must not be used."""
    error: str = ""
    """Why the file could not be read (permission, vanished, unreachable)."""
    missing: bool = False
    """The file was gone when it was opened."""


def _run_batch(jobs: list[HashJob]) -> list[HashResult]:
    return [job.storage.digest(job.relative_path, job.algorithm, job.stat) for job in jobs]


def _batches(jobs: Iterable[HashJob]) -> Iterator[list[HashJob]]:
    # Largest first: long files start early and small ones fill the gaps at the end.
    ordered = sorted(jobs, key=lambda j: j.stat.size, reverse=True)
    batch: list[HashJob] = []
    size = 0
    for job in ordered:
        if job.stat.size >= BATCH_BYTES:
            yield [job]
            continue
        batch.append(job)
        size += job.stat.size
        if size >= BATCH_BYTES or len(batch) >= BATCH_FILES:
            yield batch
            batch, size = [], 0
    if batch:
        yield batch


def hash_many(jobs: Iterable[HashJob], *, workers: int) -> Iterator[HashResult]:
    """Hash every job on ``workers`` threads; results come back as files finish.

    At most a few batches per thread are queued at once, so memory stays flat however many
    files there are, and an interrupted run has not started work it will never collect.
    """
    pending = _batches(jobs)
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="hash") as pool:
        running: set[Future[list[HashResult]]] = set()
        limit = workers * 2
        exhausted = False
        while running or not exhausted:
            while not exhausted and len(running) < limit:
                batch = next(pending, None)
                if batch is None:
                    exhausted = True
                    break
                running.add(pool.submit(_run_batch, batch))
            if not running:
                break
            done, running = wait(running, return_when=FIRST_COMPLETED)
            for fut in done:
                yield from fut.result()
