"""Training rounds: FedAvg over NumPy weights, and the round's outcome in the record."""

from __future__ import annotations

import hashlib
import io
from collections.abc import Callable
from pathlib import Path

import pytest

from catalog.models import Training
from catalog.runner.plan import make_plan
from catalog.runner.run import run_catalog
from catalog.runner.trainings import AggregationError, aggregate
from catalog.validate import load_catalog
from tests.conftest import git

np = pytest.importorskip("numpy")

TRAINING = "records/trainings/t.yaml"


def _npy(array: object) -> bytes:
    buf = io.BytesIO()
    np.save(buf, np.asarray(array, dtype=np.float64))
    return buf.getvalue()


def _catalog(runner_catalog: Callable[..., Path], method: str = "FedAvg", target: int = 4) -> Path:
    w1, w2 = _npy([1.0, 2.0]), _npy([3.0, 6.0])
    files: dict[str, str | bytes | None] = {
        "data/main/u/w1.npy": w1,
        "data/main/u/w2.npy": w2,
        "records/workers/w1.yaml": "kind: worker\nname: w1\n",
        "records/workers/w2.yaml": "kind: worker\nname: w2\n",
        TRAINING: f"""
            kind: training
            uuid: 22222222-2222-4222-8222-222222222222
            name: t
            model: mlp
            actor: me
            participants: [w1, w2]
            state: ongoing
            num_updates: {target}
            target_num_updates: {target}
            aggregation_method: {method}
            repository: local-main
            rounds:
              - number: 0
                updates:
                  - {{participant: w1, num_samples: 10, path: u/w1.npy,
                      hash: {hashlib.sha256(w1).hexdigest()}}}
                  - {{participant: w2, num_samples: 30, path: u/w2.npy,
                      hash: {hashlib.sha256(w2).hexdigest()}}}
        """,
    }
    return runner_catalog(files)


def _training(root: Path) -> Training:
    entry = load_catalog(root).get("training", "t")
    assert entry is not None
    assert isinstance(entry.model, Training)
    return entry.model


def test_fedavg_weights_updates_by_their_samples() -> None:
    updates = [("a", np.array([1.0, 2.0]), 10), ("b", np.array([3.0, 6.0]), 30)]
    assert aggregate("FedAvg", updates).tolist() == [2.5, 5.0]
    no_counts = [("a", np.array([1.0]), None), ("b", np.array([3.0]), None)]
    assert aggregate("FedAvg", no_counts).tolist() == [2.0]


@pytest.mark.parametrize(
    ("method", "updates", "message"),
    [
        (
            "FedProx",
            [("a", [1.0], 1)],
            "aggregation method FedProx is not supported by this runner",
        ),
        ("FedDC", [("a", [1.0], 1)], "aggregation method FedDC is not supported by this runner"),
        ("FedAvg", [("a", [1.0], 1), ("b", [1.0, 2.0], 1)], "the update from 'b' has shape"),
        ("FedAvg", [], "a round needs at least one update"),
    ],
)
def test_updates_that_cannot_be_aggregated_are_refused(
    method: str, updates: list[tuple[str, list[float], int]], message: str
) -> None:
    arrays = [(n, np.array(w), c) for n, w, c in updates]
    with pytest.raises(AggregationError, match=message):
        aggregate(method, arrays)


def test_a_round_is_ready_only_when_every_participant_sent_an_update(
    runner_catalog: Callable[..., Path],
) -> None:
    root = _catalog(runner_catalog)
    assert [j.id for j in make_plan(load_catalog(root)).jobs] == ["round:t/0"]
    path = root / TRAINING
    path.write_text(
        path.read_text().replace("participants: [w1, w2]", "participants: [w1, w2, w3]")
    )
    (root / "records/workers/w3.yaml").write_text("kind: worker\nname: w3\n")
    p = make_plan(load_catalog(root))
    assert p.jobs == []
    assert p.waiting == {"round:t/0": "round 0 waits for an update from 'w3'"}


def test_a_round_job_aggregates_and_advances_the_training(
    runner_catalog: Callable[..., Path],
) -> None:
    root = _catalog(runner_catalog)
    summary = run_catalog(root)
    assert not summary.failed, [o.report.error_report for o in summary.outcomes]
    t = _training(root)
    assert t.state == "ongoing"
    assert [r.number for r in t.rounds] == [0, 1]
    first = t.rounds[0]
    assert first.aggregated_path is not None
    model = np.load(root / "data/main" / first.aggregated_path)
    assert model.tolist() == [2.5, 5.0]
    assert (
        first.aggregated_hash
        == hashlib.sha256((root / "data/main" / first.aggregated_path).read_bytes()).hexdigest()
    )
    assert t.last_update == first.finished


def test_the_training_completes_at_its_target(runner_catalog: Callable[..., Path]) -> None:
    root = _catalog(runner_catalog, target=2)
    assert not run_catalog(root).failed
    t = _training(root)
    assert t.state == "completed"
    assert len(t.rounds) == 1
    assert make_plan(load_catalog(root)).jobs == []


def test_an_unsupported_method_puts_the_training_in_error(
    runner_catalog: Callable[..., Path],
) -> None:
    root = _catalog(runner_catalog, method="FedProx")
    summary = run_catalog(root)
    assert summary.failed
    [outcome] = summary.outcomes
    assert "FedProx is not supported by this runner" in outcome.report.error_report
    assert _training(root).state == "error"
    assert git(root, "status", "--porcelain", "records") == ""
