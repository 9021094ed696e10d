"""The experiment status follows its blocks and says only what is true when it is read."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from catalog.cli import main
from catalog.runner.status import experiment_status
from catalog.store import check_bytes
from tests.conftest import git
from tests.runner.conftest import block_yaml, experiment_yaml

EXP = "records/experiments/e.yaml"
MakeRunner = Callable[..., Path]
MISSING = "22222222-2222-4222-8222-222222222222"


@pytest.mark.parametrize(
    ("current", "blocks", "ready", "expected"),
    [
        ("pending", ["done", "pending"], True, "scheduled"),
        ("running", ["done", "pending"], True, "scheduled"),
        ("scheduled", ["done", "pending"], False, "pending"),
        ("scheduled", ["processing", "pending"], True, "running"),
        ("scheduled", ["done", "done"], True, "done"),
        ("scheduled", ["done", "failed", "cancelled"], False, "failed"),
        ("cancelling", ["done", "pending"], True, "cancelling"),
        ("cancelling", ["done", "cancelled"], False, "failed"),
    ],
)
def test_status_of_blocks(current: str, blocks: list[str], ready: bool, expected: str) -> None:
    assert experiment_status(current, blocks, ready=ready) == expected


def _record(raw: str) -> dict[str, Any]:
    entry = check_bytes(EXP, raw.encode()).entry
    assert entry is not None
    return entry.data


def _statuses_in_history(root: Path) -> list[str]:
    """The experiment's status in each commit that changed it, oldest first."""
    shas = git(root, "log", "--reverse", "--format=%H", "--", EXP).split()
    return [_record(git(root, "show", f"{sha}:{EXP}"))["status"] for sha in shas]


def _run(root: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["run", "--root", str(root), *args])
    return result.exit_code, result.output


def test_between_waves_the_experiment_is_scheduled_then_done(runner_catalog: MakeRunner) -> None:
    blocks = block_yaml("a") + block_yaml("b", inputs="[{name: x, block: a, output: out}]")
    root = runner_catalog(
        {EXP: experiment_yaml("e", blocks).replace("\nblocks:", "\nstatus: pending\nblocks:")}
    )
    assert _run(root, "--max-jobs", "1")[0] == 0
    # a ran; b is ready and left for the next run: nothing of it is running any more.
    assert _record((root / EXP).read_text())["status"] == "scheduled"
    assert _run(root)[0] == 0
    assert _statuses_in_history(root) == ["pending", "scheduled", "done"]


def test_blocks_left_waiting_for_input_data_keep_the_experiment_pending(
    runner_catalog: MakeRunner,
) -> None:
    missing = (
        f"kind: dataset\nuuid: {MISSING}\nname: spikes.times.copy.npy\n"
        "session: SW001/2024-01-05/001\ncollection: alf\n"
        "dataset_type: spikes.times\ndata_format: npy\nfile_records:\n"
        "  - repository: local-main\n    relative_path: copies/spikes.times.copy.npy\n"
    )
    inputs = f"[{{name: x, block: a, output: out}}, {{name: y, dataset: {MISSING}}}]"
    blocks = block_yaml("a") + block_yaml("b", inputs=inputs)
    root = runner_catalog(
        {
            EXP: experiment_yaml("e", blocks),
            "records/datasets/s1/spikes.times.copy.npy.yaml": missing,
        }
    )
    code, out = _run(root)
    assert code == 0, out
    data = _record((root / EXP).read_text())
    assert [b.get("status", "pending") for b in data["blocks"]] == ["done", "pending"]
    assert data["status"] == "pending"  # b waits for a copy of the dataset, not for a worker
