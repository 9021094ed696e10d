"""Planning replication copies: a copy recorded missing is made from one that verifies.

A file record with ``exists: false`` gets a ``replication`` job when its dataset has a
checksum and a copy elsewhere that verifies. Sources follow ``catalog sync --replicate``:
shared repositories before personal ones (see ``sync.replicate.source_rank``), offline ones
never. Offline and read-only (HTTP) repositories are never written; ``runner.replicate_to``
in catalog.yaml limits the repositories the runner copies into.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from catalog.errors import ConfigError
from catalog.models import Dataset, Repository
from catalog.models.data import FileRecord
from catalog.records import Entry, Records
from catalog.runner.jobs import SPEC_VERSION, FileRef, Job, Plan, Verifier, copy_job_id
from catalog.sync.replicate import source_rank


def targets(runner: Mapping[str, Any], records: Records) -> set[str] | None:
    """``runner.replicate_to`` from catalog.yaml as a set (None: every writable repository)."""
    names = runner.get("replicate_to")
    if names is None:
        return None
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise ConfigError("runner.replicate_to: give a list of repository names, e.g. [local-main]")
    known = sorted(r.name for r in records.models(Repository))
    for n in names:
        if n not in known:
            raise ConfigError(
                f"runner.replicate_to: unknown repository '{n}'. Known: {', '.join(known)}."
            )
    return set(names)


def writable(repository: Repository) -> bool:
    """Whether the runner may copy into the repository (HTTP stores are read-only)."""
    return not repository.offline and repository.type.value != "http"


def plan_copies(
    records: Records,
    verified: Verifier,
    ctx: dict[str, Any],
    out: Plan,
    into: Collection[str] | None = None,
) -> None:
    """Add a job to ``out`` for each missing copy that can be made, or say why it waits."""
    for entry in sorted(records.by_kind["dataset"], key=lambda e: e.path):
        d = entry.model
        assert isinstance(d, Dataset)
        for fr in d.file_records:
            if fr.exists or (into is not None and fr.repository not in into):
                continue
            dest = records.get("repository", fr.repository)
            if dest is None or not isinstance(dest.model, Repository) or not writable(dest.model):
                continue
            job_id = copy_job_id(fr.repository, d.uuid)
            if job_id in out.waiting or any(j.id == job_id for j in out.jobs):
                continue  # a second path in the same repository: one copy at a time
            if d.hash is None:
                out.waiting[job_id] = f"dataset '{d.key()}' has no checksum yet (catalog sync)"
                continue
            source = _source(records, d, verified)
            if source is None:
                out.waiting[job_id] = f"no verified copy of dataset '{d.key()}' to copy from"
                continue
            out.jobs.append(_job(entry, d, source, fr, dest, job_id, ctx))


def _source(records: Records, d: Dataset, verified: Verifier) -> tuple[FileRecord, Entry] | None:
    """The copy to read from: the first that verifies, shared before personal repositories."""
    candidates = []
    for fr in d.file_records:
        repo = records.get("repository", fr.repository)
        if not fr.exists or repo is None or not isinstance(repo.model, Repository):
            continue
        if repo.model.offline:
            continue
        candidates.append((source_rank(repo.model), fr, repo))
    candidates.sort(key=lambda c: c[0])
    for _, fr, repo in candidates:
        ref = FileRef(fr.repository, fr.relative_path, d.hash, d.hash_algorithm.value, d.file_size)
        if verified(ref):
            return fr, repo
    return None


def _job(
    entry: Entry,
    d: Dataset,
    source: tuple[FileRecord, Entry],
    fr: FileRecord,
    dest: Entry,
    job_id: str,
    ctx: dict[str, Any],
) -> Job:
    src_fr, src_repo = source
    spec = {
        "version": SPEC_VERSION,
        "job_id": job_id,
        "kind": "replication",
        "attempt": 1,
        "action": "run",
        "dataset": d.uuid,
        "label": entry.label,
        "source": {"repository": src_repo.data, "relative_path": src_fr.relative_path},
        "destination": {"repository": dest.data, "relative_path": fr.relative_path},
        "hash": d.hash,
        "hash_algorithm": d.hash_algorithm.value,
        "file_size": d.file_size,
        **ctx,
    }
    return Job(id=job_id, kind="replication", dataset=d.uuid, repository=fr.repository, spec=spec)
