"""Reports into record edits: what is written, and which reports are refused as stale."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from catalog.runner.apply import StaleReportError, batch_edits, report_edits
from catalog.runner.plan import plan
from catalog.runner.report import Report
from catalog.store import check_bytes, edit_bytes
from catalog.validate import load_catalog
from tests.runner.conftest import block_yaml, experiment_yaml

EXP = "records/experiments/e.yaml"
MakeRunner = Callable[..., Path]


def _report(**fields: Any) -> Report:
    base: dict[str, Any] = {
        "job_id": "block:e/a",
        "kind": "block",
        "status": "done",
        "experiment": "e",
        "block": "a",
    }
    return Report.model_validate({**base, **fields})


def _apply(root: Path, report: Report, **kwargs: Any) -> dict[str, Any]:
    [edit] = report_edits(load_catalog(root), report, **kwargs)
    assert edit.fn is not None
    raw = edit_bytes((root / edit.path).read_bytes(), edit.fn)
    (root / edit.path).write_bytes(raw)
    entry = check_bytes(edit.path, raw).entry
    assert entry is not None
    return entry.data


@pytest.fixture
def root(runner_catalog: MakeRunner) -> Path:
    blocks = block_yaml("a") + block_yaml("b", inputs="[{name: x, block: a, output: out}]")
    return runner_catalog({EXP: experiment_yaml("e", blocks)})


def test_a_done_report_fills_in_the_block(root: Path) -> None:
    [job] = plan(load_catalog(root))
    out = {
        "name": "out",
        "repository": "local-main",
        "relative_path": "blocks/x/out.bin",
        "hash": "a" * 64,
        "file_size": 5,
    }
    stdout = "line one\n  indented\nlast\n"
    data = _apply(
        root, _report(cache_key=job.cache_key, outputs=[out], stdout=stdout, metrics={"cpu_s": 0.5})
    )
    a = data["blocks"][0]
    assert (a["status"], a["cache_key"], a["stdout"]) == ("done", job.cache_key, stdout)
    assert a["timings"] == {"cpu_s": 0.5}
    assert a["outputs"][0]["relative_path"] == "blocks/x/out.bin"
    assert "stdout: |\n" in (root / EXP).read_text()  # multi-line text as a literal block
    assert data["status"] == "scheduled"  # a done; b ready, queued, not started


def test_a_failed_report_cancels_the_blocks_behind_it(root: Path) -> None:
    data = _apply(root, _report(status="timed_out", error_report="timed out"))
    assert [b["status"] for b in data["blocks"]] == ["failed", "cancelled"]
    assert data["status"] == "failed"


def _set_status(root: Path, status: str, key: str | None = None) -> None:
    path = root / EXP
    extra = f"\n    status: {status}" + (f"\n    cache_key: {key}" if key else "")
    text = path.read_text().replace(
        "outputs: [{name: out, path: out.bin}]", "outputs: [{name: out, path: out.bin}]" + extra, 1
    )
    path.write_text(text)


@pytest.mark.parametrize(
    ("report", "status", "message"),
    [
        (
            _report(experiment="nope", job_id="block:nope/a"),
            None,
            "unknown job: there is no experiment 'nope'",
        ),
        (_report(block="zz", job_id="block:e/zz"), None, "unknown job: 'e' has no block 'zz'"),
        (_report(), "failed", "block 'a' is failed, not pending or processing any more"),
        (_report(cache_key="f" * 64), None, "the record changed"),
    ],
)
def test_stale_reports_are_refused(
    root: Path, report: Report, status: str | None, message: str
) -> None:
    if status is not None:
        _set_status(root, status)
    with pytest.raises(StaleReportError, match=message):
        report_edits(load_catalog(root), report)


@pytest.mark.parametrize("status", ["done", "failed"])
def test_a_copy_report_about_no_dataset_is_refused(root: Path, status: str) -> None:
    # A failed copy records nothing, but a report about a job that never was is not taken
    # as "nothing to record": the service parks it with the reason.
    uid = "00000000-0000-4000-8000-000000000000"
    report = _report(
        kind="replication", job_id=f"copy:local/{uid}", dataset=uid, status=status, block=None
    )
    with pytest.raises(StaleReportError, match="unknown job: there is no dataset"):
        report_edits(load_catalog(root), report)


def test_a_done_block_takes_a_report_only_when_rerun(root: Path) -> None:
    [job] = plan(load_catalog(root))
    _set_status(root, "done", job.cache_key)
    report = _report(cache_key=job.cache_key)
    with pytest.raises(StaleReportError, match="is done, not pending"):
        report_edits(load_catalog(root), report)
    assert report_edits(load_catalog(root), report, rerun=True)


def test_a_batch_is_one_edit_per_record_file(root: Path) -> None:
    reports = [
        _report(status="failed"),
        _report(block="b", job_id="block:e/b"),
        _report(experiment="x", job_id="block:x/a"),
    ]
    edits, stale = batch_edits(load_catalog(root), reports)
    assert [e.path for e in edits] == [EXP]
    assert [s.job_id for s in stale] == ["block:x/a"]


TRAINING = """
    kind: training
    uuid: 22222222-2222-4222-8222-222222222222
    name: t
    model: mlp
    actor: me
    participants: [w1]
    state: initial
    num_updates: 2
    target_num_updates: 2
    repository: local-main
"""


def _update(participant: str = "w1", number: int = 0) -> Report:
    return Report.model_validate(
        {
            "job_id": f"round:t/{number}",
            "kind": "training-round",
            "status": "done",
            "training": "t",
            "round": number,
            "metrics": {"finished": "2024-01-01T00:00:00Z"},
            "update": {"participant": participant, "num_samples": 5, "path": "u/w1.npy"},
        }
    )


@pytest.fixture
def training_root(runner_catalog: MakeRunner) -> Path:
    return runner_catalog(
        {
            "records/trainings/t.yaml": TRAINING,
            "records/workers/w1.yaml": "kind: worker\nname: w1\n",
            "records/workers/w2.yaml": "kind: worker\nname: w2\n",
        }
    )


def test_a_participants_update_opens_the_round(training_root: Path) -> None:
    [edit] = report_edits(load_catalog(training_root), _update())
    assert edit.fn is not None
    path = training_root / edit.path
    path.write_bytes(edit_bytes(path.read_bytes(), edit.fn))
    t = load_catalog(training_root).get("training", "t")
    assert t is not None
    assert t.data["state"] == "ongoing"
    assert t.data["rounds"][0]["updates"][0]["participant"] == "w1"
    assert t.data["last_update"] == "2024-01-01T00:00:00Z"
    with pytest.raises(StaleReportError, match="round 0 already has an update from 'w1'"):
        report_edits(load_catalog(training_root), _update())


@pytest.mark.parametrize(
    ("report", "message"),
    [
        (_update("w2"), "'w2' is not a participant of 't'"),
        (_update(number=3), "round 3 is not the open round \\(0\\)"),
    ],
)
def test_stale_training_reports_are_refused(
    training_root: Path, report: Report, message: str
) -> None:
    with pytest.raises(StaleReportError, match=message):
        report_edits(load_catalog(training_root), report)
