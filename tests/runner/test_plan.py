"""Planning: which jobs are ready, in which order, from cache, cancelled, or refused."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from catalog.cli import main
from catalog.runner.jobs import FileRef, PlanError
from catalog.runner.plan import make_plan, plan
from catalog.store import load_records
from catalog.validate import load_catalog
from tests.runner.conftest import block_yaml, experiment_yaml

EXP = "records/experiments/e.yaml"
MakeRunner = Callable[..., Path]

CHAIN = (
    block_yaml("a")
    + block_yaml("b", inputs="[{name: x, block: a, output: out}]")
    + block_yaml("c", inputs="[{name: x, block: b, output: out}]")
)


def _ids(root: Path, **kwargs: object) -> list[str]:
    return [j.id for j in plan(load_catalog(root), **kwargs)]  # type: ignore[arg-type]


def test_only_blocks_whose_inputs_are_ready_are_planned(runner_catalog: MakeRunner) -> None:
    root = runner_catalog({EXP: experiment_yaml("e", CHAIN)})
    p = make_plan(load_catalog(root))
    assert [j.id for j in p.jobs] == ["block:e/a"]
    assert p.waiting == {
        "block:e/b": "waiting for block 'a'",
        "block:e/c": "waiting for block 'b'",
    }


def test_a_dataset_without_a_verified_copy_waits(runner_catalog: MakeRunner) -> None:
    root = runner_catalog({EXP: experiment_yaml("e", block_yaml("a"))})
    p = make_plan(load_catalog(root), verified=lambda ref: False)
    assert p.jobs == []
    assert p.waiting == {
        "block:e/a": "no verified copy of dataset 'SW001/2024-01-05/001/alf/spikes.times.npy' yet"
    }


def test_a_copy_the_records_do_not_mark_existing_is_not_used(runner_catalog: MakeRunner) -> None:
    root = runner_catalog({EXP: experiment_yaml("e", block_yaml("a"))})
    data = (root / "records/datasets/s1/spikes.times.npy.yaml").read_text()
    (root / "records/datasets/s1/spikes.times.npy.yaml").write_text(
        data.replace("exists: true", "exists: false")
    )
    assert _ids(root) == []


def test_the_spec_carries_everything_the_worker_needs(runner_catalog: MakeRunner) -> None:
    root = runner_catalog({EXP: experiment_yaml("e", block_yaml("a", {"k": 1}, timeout_s="5"))})
    [job] = plan(load_catalog(root), root=root)
    spec = job.spec
    assert spec["command"] == ["python", "-m", "steps.step"]
    assert spec["parameters"] == {"k": 1}
    assert spec["timeout_s"] == 5
    assert spec["inputs"][0]["relative_path"] == "SW001/2024-01-05/001/alf/spikes.times.npy"
    assert spec["outputs"] == [
        {"name": "out", "path": "out.bin", "repository": spec["inputs"][0]["repository"]}
    ]
    assert spec["root"] == str(root)
    assert job.cache_key is not None
    assert len(job.cache_key) == 64


def _done_with(root: Path, key: str, rel: str = "blocks/k/out.bin") -> None:
    path = root / EXP
    path.write_text(
        path.read_text().replace(
            "outputs: [{name: out, path: out.bin}]",
            f"outputs: [{{name: out, path: out.bin, relative_path: {rel}, hash: {'c' * 64},"
            f" file_size: 3}}]\n    status: done\n    cache_key: {key}",
            1,
        )
    )


def test_a_block_whose_key_was_computed_before_is_done_from_cache(
    runner_catalog: MakeRunner,
) -> None:
    root = runner_catalog({EXP: experiment_yaml("e", block_yaml("a"))})
    [job] = plan(load_catalog(root))
    other = "records/experiments/f.yaml"
    (root / other).write_text(experiment_yaml("f", block_yaml("a2")))
    _done_with(root, str(job.cache_key))  # e/a ran with this key before
    jobs = plan(load_catalog(root))
    assert [(j.id, j.action) for j in jobs] == [("block:f/a2", "cache")]
    assert jobs[0].spec["cached"]["source"] == "block:e/a"
    assert [(j.id, j.action) for j in plan(load_catalog(root), force=True)] == [
        ("block:e/a", "run"),
        ("block:f/a2", "run"),
    ]


def test_a_cached_output_that_no_longer_verifies_is_not_reused(
    runner_catalog: MakeRunner,
) -> None:
    root = runner_catalog({EXP: experiment_yaml("e", block_yaml("a"))})
    [job] = plan(load_catalog(root))
    (root / "records/experiments/f.yaml").write_text(experiment_yaml("f", block_yaml("a2")))
    _done_with(root, str(job.cache_key))

    def verified(ref: FileRef) -> bool:
        return ref.relative_path != "blocks/k/out.bin"

    jobs = plan(load_catalog(root), verified=verified)
    assert [(j.id, j.action) for j in jobs] == [("block:f/a2", "run")]


def test_a_done_block_whose_parameters_changed_runs_again(runner_catalog: MakeRunner) -> None:
    root = runner_catalog({EXP: experiment_yaml("e", block_yaml("a", {"k": 1}))})
    [job] = plan(load_catalog(root))
    _done_with(root, str(job.cache_key))
    assert _ids(root) == []
    path = root / EXP
    path.write_text(path.read_text().replace('{"k": 1}', '{"k": 2}'))
    assert _ids(root) == ["block:e/a"]


def test_blocks_behind_a_failed_block_are_cancelled(runner_catalog: MakeRunner) -> None:
    root = runner_catalog({EXP: experiment_yaml("e", CHAIN)})
    path = root / EXP
    path.write_text(
        path.read_text().replace(
            "outputs: [{name: out, path: out.bin}]",
            "outputs: [{name: out, path: out.bin}]\n    status: failed",
            1,
        )
    )
    jobs = plan(load_catalog(root))
    assert [(j.id, j.action) for j in jobs] == [("block:e/b", "cancel"), ("block:e/c", "cancel")]
    assert jobs[0].spec["reason"] == "block 'a' failed"


@pytest.mark.parametrize(
    ("blocks", "message"),
    [
        (
            block_yaml("a", inputs="[{name: x, block: b, output: out}]")
            + block_yaml("b", inputs="[{name: x, block: a, output: out}]"),
            "blocks depend on each other in a cycle",
        ),
        (
            block_yaml("a", inputs="[{name: x, block: ghost, output: out}]"),
            "block 'a' takes input from unknown block 'ghost'",
        ),
        (block_yaml("a", outputs="[{name: out, path: ../up.bin}]"), "output path '../up.bin'"),
    ],
)
def test_broken_experiments_are_refused_at_planning(
    runner_catalog: MakeRunner, blocks: str, message: str
) -> None:
    root = runner_catalog({EXP: experiment_yaml("e", blocks)})
    records, _ = load_records(root)  # loaded without the checks that would refuse it first
    with pytest.raises(PlanError, match=message):
        plan(records)


def test_catalog_run_refuses_a_cycle_with_file_and_line(runner_catalog: MakeRunner) -> None:
    blocks = block_yaml("a", inputs="[{name: x, block: b, output: out}]") + block_yaml(
        "b", inputs="[{name: x, block: a, output: out}]"
    )
    root = runner_catalog({EXP: experiment_yaml("e", blocks)})
    result = CliRunner().invoke(main, ["run", "--plan", "--root", str(root)])
    assert result.exit_code == 1
    assert (
        f"{EXP}:8:5: experiment 'e': blocks[0].inputs: blocks depend on each other in a "
        "cycle: a → b → a" in result.output
    )


def test_plan_prints_ready_and_waiting_jobs(runner_catalog: MakeRunner) -> None:
    root = runner_catalog({EXP: experiment_yaml("e", CHAIN)})
    result = CliRunner().invoke(main, ["run", "--plan", "--root", str(root)])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[2].split()[:3] == ["block:e/a", "run", "default"]
    assert "block:e/c  waiting for block 'b'" in result.output
    assert not (root / "data/main/blocks").exists()  # nothing ran


def test_an_unsafe_output_path_is_refused_with_file_and_line(runner_catalog: MakeRunner) -> None:
    blocks = block_yaml("a", outputs="[{name: out, path: ../up.bin}]")
    root = runner_catalog({EXP: experiment_yaml("e", blocks)})
    result = CliRunner().invoke(main, ["run", "--root", str(root)])
    assert result.exit_code == 1
    assert (
        f"{EXP}:9:27: experiment 'e': blocks[0].outputs[0].path: output path '../up.bin' "
        "contains '.' or '..'" in result.output
    )
    assert not (root / "up.bin").exists()
