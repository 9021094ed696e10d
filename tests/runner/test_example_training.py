"""The example training: `catalog run` aggregates its round 0 with FedAvg and records it."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from catalog.models import Training
from catalog.runner.plan import make_plan
from catalog.runner.run import default_backend, run_catalog
from catalog.validate import load_catalog
from tests.conftest import git

np = pytest.importorskip("numpy")

TRAINING = "records/trainings/unit-classifier-fedavg.yaml"


def _training(root: Path) -> Training:
    entry = load_catalog(root).get("training", "unit-classifier-fedavg")
    assert entry is not None
    assert isinstance(entry.model, Training)
    return entry.model


def test_catalog_run_aggregates_the_example_round_with_fedavg(example: Path) -> None:
    data = example / "data" / "local-main"
    before = _training(example)
    [first] = before.rounds
    weights = [np.load(data / str(u.path)) for u in first.updates]
    samples = [u.num_samples or 0 for u in first.updates]
    expected = sum(n * w for n, w in zip(samples, weights, strict=True)) / sum(samples)
    assert not np.allclose(expected, sum(weights) / len(weights))  # the counts matter
    head = git(example, "rev-parse", "HEAD").strip()

    summary = run_catalog(example, backend=default_backend(example))

    assert not summary.failed, [o.report.error_report for o in summary.outcomes]
    [outcome] = [o for o in summary.outcomes if o.job.kind == "training-round"]
    assert (outcome.job.id, outcome.report.status, outcome.recorded) == (
        "round:unit-classifier-fedavg/0",
        "done",
        True,
    )
    after = _training(example)
    assert after.state == "ongoing"
    assert [r.number for r in after.rounds] == [0, 1]
    done, opened = after.rounds
    assert done.updates == first.updates
    assert opened.updates == []
    assert done.finished is not None
    assert after.last_update == done.finished
    assert before.last_update is not None
    assert after.last_update > before.last_update
    assert done.aggregated_path is not None
    stored = data / done.aggregated_path
    assert hashlib.sha256(stored.read_bytes()).hexdigest() == done.aggregated_hash
    np.testing.assert_allclose(np.load(stored), expected, rtol=0, atol=1e-12)
    # The round's outcome is one commit of the session.
    [commit] = git(example, "log", "--format=%H", f"{head}..HEAD", "--", TRAINING).split()
    assert commit in summary.commits
    assert git(example, "status", "--porcelain", "records") == ""
    # Round 1 waits for the participants' next updates.
    waiting = make_plan(load_catalog(example)).waiting
    assert waiting["round:unit-classifier-fedavg/1"] == "waiting for participants' updates"
