"""Planning training rounds: a round is ready once every participant sent its update."""

from __future__ import annotations

from typing import Any

from catalog.models import Repository, Training
from catalog.models.trainings import Round
from catalog.records import Entry, Records
from catalog.runner.jobs import SPEC_VERSION, FileRef, Job, Plan, Verifier, round_job_id

ACTIVE = ("initial", "ongoing")


def updates_done(training: Training) -> int:
    """Participants' updates in the rounds aggregated so far (what the target counts)."""
    return sum(len(r.updates) for r in training.rounds if r.finished is not None)


def open_round(training: Training) -> Round | None:
    """The first round not aggregated yet, if any."""
    return next((r for r in training.rounds if r.finished is None), None)


def model_folder(training: Training, number: int) -> str:
    """Folder of a round's aggregated model in the training's repository."""
    return f"trainings/{training.uuid}/round-{number}"


def plan_training(
    records: Records, entry: Entry, verified: Verifier, ctx: dict[str, Any], out: Plan
) -> None:
    """Add the training's next round job to ``out``, or say why it waits."""
    t = entry.model
    assert isinstance(t, Training)
    current = open_round(t)
    job_id = round_job_id(t.name, current.number if current else len(t.rounds))
    if t.state not in ACTIVE or t.locked:
        return
    if updates_done(t) >= t.target_num_updates:
        out.waiting[job_id] = f"reached its target of {t.target_num_updates} update(s)"
        return
    repo_entry = records.get("repository", t.repository) if t.repository else None
    if repo_entry is None:
        out.waiting[job_id] = "the training has no repository for weights files"
        return
    repo = repo_entry.model
    assert isinstance(repo, Repository)
    if current is None or not current.updates:
        out.waiting[job_id] = "waiting for participants' updates"
        return
    have = {u.participant for u in current.updates}
    missing = sorted(set(t.participants) - have)
    if missing:
        out.waiting[job_id] = f"round {current.number} waits for an update from '{missing[0]}'"
        return
    updates = []
    for u in current.updates:
        if u.path is None:
            out.waiting[job_id] = f"the update from '{u.participant}' has no weights file path"
            return
        algorithm = repo.hash_algorithm.value
        if not verified(FileRef(repo.name, u.path, u.hash, algorithm, None)):
            out.waiting[job_id] = f"the update from '{u.participant}' does not verify yet"
            return
        updates.append(
            {
                "participant": u.participant,
                "path": u.path,
                "num_samples": u.num_samples,
                "hash": u.hash,
                "hash_algorithm": algorithm,
            }
        )
    queue = t.options.get("queue", "default")
    spec = {
        "version": SPEC_VERSION,
        "job_id": job_id,
        "kind": "training-round",
        "attempt": 1,
        "action": "run",
        "training": t.name,
        "round": current.number,
        "method": t.aggregation_method.value,
        "repository": repo_entry.data,
        "updates": updates,
        "output_dir": model_folder(t, current.number),
        **ctx,
    }
    out.jobs.append(
        Job(
            id=job_id,
            kind="training-round",
            queue=queue if isinstance(queue, str) else "default",
            training=t.name,
            round=current.number,
            repository=repo.name,
            spec=spec,
        )
    )
