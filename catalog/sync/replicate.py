"""replicate(): copy datasets verified in one repository to where they are missing.

A copy is written under a temporary name beside its target, its checksum is computed from
what landed, and only a match gets the final name (a hard link or server-side copy that
never replaces a file). An interrupted copy therefore leaves at most a temporary file, which
the next run removes; never a wrong or partial file under a final name.

Sources are copies verified in this run. Personal repositories (a laptop) serve only when no
shared repository has the file; offline and read-only (HTTP) repositories are never written.
"""

from __future__ import annotations

import fcntl
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from catalog.sync.hashing import CHUNK
from catalog.sync.reconcile import Copy, Reconciliation
from catalog.sync.report import now_iso
from catalog.sync.statcache import StatCache
from catalog.sync.storage import RepositoryRef, Stat, Storage

log = logging.getLogger(__name__)
LOCK_NAME = "replicate.lock"


@dataclass(slots=True)
class Replication:
    """What was copied, and what could not be (with why)."""

    copied: list[tuple[Copy, str]] = field(default_factory=list)
    """(destination copy, source repository)."""
    failed: list[tuple[Copy, str]] = field(default_factory=list)
    planned: list[tuple[Copy, str]] = field(default_factory=list)
    """With ``dry_run``: what would be copied."""


def _chunks(stream: IO[bytes]) -> Iterator[bytes]:
    with stream:
        while chunk := stream.read(CHUNK):
            yield chunk


def source_rank(repository: RepositoryRef) -> tuple[bool, str]:
    """Shared repositories before personal ones; then by name, for a stable choice."""
    return (repository.personal, repository.name)


def _pick_source(sources: list[Copy], result: Reconciliation) -> Copy:
    return min(sources, key=lambda c: source_rank(result.storages[c.repository].repository))


def copy_file(
    source: Storage, source_path: str, dest: Storage, dest_path: str, algorithm: str, digest: str
) -> Stat:
    """Copy one file between repositories: temp name, checksum of what landed, final name."""
    return dest.put_verified(dest_path, _chunks(source.open_read(source_path)), algorithm, digest)


def plan_copies(
    result: Reconciliation, *, sources: set[str] | None, targets: set[str] | None
) -> list[tuple[Copy, Copy]]:
    """(source, destination) pairs: a verified copy and a missing one of the same dataset."""
    by_dataset: dict[str, list[Copy]] = {}
    for c in result.copies:
        by_dataset.setdefault(c.entry.path, []).append(c)
    pairs: list[tuple[Copy, Copy]] = []
    for copies in by_dataset.values():
        if copies[0].dataset.hash is None:
            continue  # nothing to verify a copy against
        good = [
            c
            for c in copies
            if c.status == "verified"
            and c.repository in result.storages
            and (sources is None or c.repository in sources)
        ]
        if not good:
            continue
        for dest in copies:
            storage = result.storages.get(dest.repository)
            if dest.status != "missing" or storage is None or storage.readonly:
                continue
            if targets is not None and dest.repository not in targets:
                continue
            pairs.append((_pick_source(good, result), dest))
    return pairs


@contextmanager
def replication_lock(state_path: Path, *, shared: bool = False) -> Iterator[None]:
    """One replication at a time per catalog: only then are leftover temp files stale.

    Single copies (the runner's) take it ``shared``: they run side by side, but never while
    a replication removes leftovers.
    """
    state_path.mkdir(parents=True, exist_ok=True)
    with (state_path / LOCK_NAME).open("a") as fh:
        fcntl.flock(fh.fileno(), fcntl.LOCK_SH if shared else fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


def replicate(
    result: Reconciliation,
    cache: StatCache,
    *,
    sources: set[str] | None = None,
    targets: set[str] | None = None,
    dry_run: bool = False,
) -> Replication:
    """Copy each missing copy from a verified one; flip it to verified on success.

    Call under :func:`replication_lock`: temporary files found by the walk are removed first.
    """
    out = Replication()
    pairs = plan_copies(result, sources=sources, targets=targets)
    if dry_run:
        out.planned = [(dest, src.repository) for src, dest in pairs]
        return out
    for name, listing in result.listings.items():
        if listing.leftovers and not result.storages[name].readonly:
            folders = {rel.rpartition("/")[0] for rel in listing.leftovers}
            n = result.storages[name].remove_leftovers(sorted(folders))
            log.info("removed %d temporary file(s) of interrupted copies in %s", n, name)
    for src, dest in pairs:
        d = dest.dataset
        assert d.hash is not None
        algo = d.hash_algorithm.value
        to = result.storages[dest.repository]
        try:
            source = result.storages[src.repository]
            stat = copy_file(source, src.relative_path, to, dest.relative_path, algo, d.hash)
        except Exception as exc:  # noqa: BLE001 - one failed copy must not stop the others
            log.warning("could not copy %s to %s: %s", src.relative_path, dest.repository, exc)
            out.failed.append((dest, str(exc)))
            continue
        when = now_iso()
        cache.store(dest.repository, dest.relative_path, stat, algo, d.hash, when)
        dest.stat, dest.digest, dest.verified_at = stat, d.hash, when
        dest.settle("verified", f"copied from {src.repository}", exists=True)
        out.copied.append((dest, src.repository))
    cache.flush()
    return out
