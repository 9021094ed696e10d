"""`catalog run` end to end: real subprocesses, a real git repository, one commit per wave."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from catalog.cli import main
from catalog.models import Experiment
from catalog.validate import load_catalog
from tests.conftest import git
from tests.runner.conftest import block_yaml, experiment_yaml

EXP = "records/experiments/e.yaml"
MakeRunner = Callable[..., Path]


def _run(root: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["run", "--root", str(root), *args])
    return result.exit_code, result.output


def _experiment(root: Path, name: str = "e") -> Experiment:
    entry = load_catalog(root).get("experiment", name)
    assert entry is not None
    assert isinstance(entry.model, Experiment)
    return entry.model


def _commits(root: Path) -> list[str]:
    return git(root, "log", "--format=%s").splitlines()


def test_a_pipeline_runs_in_order_with_one_commit_per_wave(
    runner_catalog: MakeRunner, tmp_path: Path
) -> None:
    log = tmp_path / "runs.log"
    blocks = block_yaml("a", {"log": str(log), "suffix": "A"}) + block_yaml(
        "b", {"log": str(log), "suffix": "B"}, inputs="[{name: x, block: a, output: out}]"
    )
    results = "- {name: n, type: int32, block: b}\n"
    root = runner_catalog({EXP: experiment_yaml("e", blocks, results)})
    before = len(_commits(root))
    code, out = _run(root)
    assert code == 0, out
    assert "2 job(s): 2 done; 2 commit(s)" in out
    assert len(_commits(root)) == before + 2
    assert git(root, "status", "--porcelain", "records") == ""
    x = _experiment(root)
    assert x.status == "done"
    a, b = x.blocks
    assert (a.status, b.status) == ("done", "done")
    assert b.outputs[0].relative_path is not None
    stored = (root / "data/main" / b.outputs[0].relative_path).read_bytes()
    assert stored.endswith(b"AB")
    assert [line.split()[1] for line in log.read_text().splitlines()] == ["block:e/a", "block:e/b"]


def test_the_record_keeps_its_comments(runner_catalog: MakeRunner) -> None:
    text = "# why this experiment exists\n" + experiment_yaml("e", block_yaml("a"))
    root = runner_catalog({EXP: text.replace("name: e\n", "name: e  # the name\n")})
    assert _run(root)[0] == 0
    after = (root / EXP).read_text()
    assert after.startswith("# why this experiment exists\n")
    assert "name: e  # the name\n" in after


def test_results_are_recorded_typed(runner_catalog: MakeRunner) -> None:
    params = {"results": {"n": 3, "ok": True}}
    results = "- {name: n, type: int32, block: a}\n- {name: ok, type: bool}\n"
    root = runner_catalog({EXP: experiment_yaml("e", block_yaml("a", params), results)})
    assert _run(root)[0] == 0
    assert {r.name: r.value for r in _experiment(root).results} == {"n": 3, "ok": True}


def test_nothing_runs_twice_and_an_identical_block_reuses_the_cache(
    runner_catalog: MakeRunner, tmp_path: Path
) -> None:
    log = tmp_path / "runs.log"
    root = runner_catalog({EXP: experiment_yaml("e", block_yaml("a", {"log": str(log)}))})
    assert _run(root)[0] == 0
    code, out = _run(root)
    assert (code, out.strip()) == (0, "nothing to run")
    (root / "records/experiments/f.yaml").write_text(
        experiment_yaml("f", block_yaml("same", {"log": str(log)}))
    )
    assert "commit them first" in _run(root)[1]
    git(root, "add", "records")
    git(root, "commit", "-qm", "add f")
    code, out = _run(root)
    assert code == 0, out
    assert "from cache" in out
    assert len(log.read_text().splitlines()) == 1  # the command ran once in all
    f = _experiment(root, "f").blocks[0]
    assert f.from_cache
    assert f.outputs[0].hash == _experiment(root).blocks[0].outputs[0].hash


def test_force_runs_done_blocks_again(runner_catalog: MakeRunner, tmp_path: Path) -> None:
    log = tmp_path / "runs.log"
    root = runner_catalog({EXP: experiment_yaml("e", block_yaml("a", {"log": str(log)}))})
    assert _run(root)[0] == 0
    code, out = _run(root, "--force")
    assert code == 0, out
    assert len(log.read_text().splitlines()) == 2
    assert _experiment(root).blocks[0].status == "done"


def test_a_failed_block_cancels_its_dependents_and_exits_1(runner_catalog: MakeRunner) -> None:
    blocks = (
        block_yaml("a", {"mode": "fail"})
        + block_yaml("b", inputs="[{name: x, block: a, output: out}]")
        + block_yaml("c", inputs="[{name: x, block: b, output: out}]")
        + block_yaml("free")
    )
    root = runner_catalog({EXP: experiment_yaml("e", blocks)})
    code, out = _run(root)
    assert code == 1
    assert "the command exited with status 3" in out
    x = _experiment(root)
    assert [b.status for b in x.blocks] == ["failed", "cancelled", "cancelled", "done"]
    assert x.blocks[1].error_report == "not run: block 'a' did not complete"
    assert x.status == "failed"


def test_a_timed_out_block_is_recorded_as_failed_without_outputs(
    runner_catalog: MakeRunner,
) -> None:
    block = block_yaml("a", {"sleep": 30}, timeout_s="0.5")
    root = runner_catalog({EXP: experiment_yaml("e", block)})
    code, out = _run(root)
    assert code == 1
    assert "timed_out" in out
    a = _experiment(root).blocks[0]
    assert a.status == "failed"
    assert a.error_report == "timed out: killed after the time limit of 0.5 s"
    assert a.outputs[0].hash is None


def test_max_jobs_limits_what_runs(runner_catalog: MakeRunner) -> None:
    blocks = block_yaml("a") + block_yaml("b", {"suffix": "b"})  # not a cache hit of a
    root = runner_catalog({EXP: experiment_yaml("e", blocks)})
    code, out = _run(root, "--max-jobs", "1")
    assert code == 0, out
    assert [b.status for b in _experiment(root).blocks] == ["done", "pending"]


def test_a_block_needing_more_slots_than_the_pool_fails_at_once(
    runner_catalog: MakeRunner,
) -> None:
    root = runner_catalog(
        {
            EXP: experiment_yaml("e", block_yaml("a", slots="64")),
            "catalog.yaml": "name: test\nrunner: {local: {slots: 2}}\n",
        }
    )
    code, out = _run(root)
    assert code == 1
    assert "the job needs 64 slots; this machine's pool has 2" in out


def _readme_steps(readme: str) -> list[list[str]]:
    """The `catalog …` commands of the README's set-up snippet that contains `catalog run`."""
    section = readme.split("## Set up and go", 1)[1].split("\n## ", 1)[0]
    snippets = re.findall(r"```bash\n(.*?)```|`([^`]+)`", section, flags=re.S)
    for text in (" ".join((a or b).split()) for a, b in snippets):
        if "catalog run" in text:
            parts = [p.split() for p in text.split("&&")]
            return [p[1:] for p in parts if p and p[0] == "catalog"]
    raise AssertionError("the README's set-up section does not run `catalog run`")


@pytest.mark.slow
def test_the_readme_set_up_runs_the_example_experiment(
    repo_root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", str(repo_root), str(clone))
    commands = _readme_steps((repo_root / "README.md").read_text())
    monkeypatch.chdir(clone)
    for args in commands:
        if args[0] == "serve":
            continue  # the service runs the same steps; its own tests cover it
        result = CliRunner().invoke(main, args)
        assert result.exit_code == 0, (args, result.output)
    x = _experiment(clone, "unit-quality-sw023-2024-01-06")
    assert x.status == "done"
    assert {r.name for r in x.results if r.value is not None} == {
        "good_units",
        "max_drift_um",
        "median_firing_rate_hz",
        "session_passes",
    }
