"""The Dask backend on a real LocalCluster (2 worker processes on 127.0.0.1)."""

from __future__ import annotations

import json
import os
import signal
import textwrap
import threading
import time
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from catalog.cli import main
from catalog.models import Dataset
from catalog.runner.backends.dask import DaskBackend, local_cluster
from catalog.runner.jobs import Job
from catalog.runner.run import run_catalog
from catalog.validate import load_catalog
from tests.conftest import git
from tests.runner.conftest import INPUT, RUNNER_FILES, experiment_yaml

pytest.importorskip("distributed")


@pytest.fixture(scope="module")
def backend() -> Iterator[DaskBackend]:
    """One cluster for the module: 2 workers of 2 threads, each offering 1 slot.

    Two threads per worker let Dask run two tasks at once on a worker if it ignored the
    slots resource, so the overlap test can tell.
    """
    cluster = local_cluster(n_workers=2, threads_per_worker=2, slots_per_worker=1)
    be = DaskBackend(cluster=cluster)
    yield be
    be.close()
    cluster.close()


def _records(root: Path) -> dict[str, Any]:
    """The experiment records without what differs between runs (timings, paths of logs)."""
    out = {}
    for entry in load_catalog(root).by_kind["experiment"]:
        data = entry.model.model_dump(mode="json")
        for b in data["blocks"]:
            b.pop("timings", None)
        out[entry.path] = data
    return out


@pytest.mark.slow
def test_the_example_experiment_records_the_same_on_local_and_dask(
    backend: DaskBackend, repo_root: Path, tmp_path: Path
) -> None:
    roots = []
    for name, be in (("local", "local"), ("dask", backend)):
        clone = tmp_path / name
        git(tmp_path, "clone", "-q", str(repo_root), str(clone))
        summary = run_catalog(clone, backend=be)  # type: ignore[arg-type]
        assert not summary.failed, [o.report.error_report for o in summary.outcomes]
        roots.append(clone)
    local, dask = (_records(r) for r in roots)
    assert local == dask
    exp = local["records/experiments/unit-quality-sw023-2024-01-06.yaml"]
    assert exp["status"] == "done"


def _job(i: int, params: dict[str, Any], root: Path, runs: Path) -> Job:
    spec = {
        "version": 1,
        "job_id": f"block:e/b{i}",
        "kind": "block",
        "action": "run",
        "experiment": "e",
        "block": f"b{i}",
        "command": ["python", "-m", "steps.step"],
        "parameters": params,
        "inputs": [],
        "outputs": [],
        "results": [],
        "root": str(root),
        "runs_dir": str(runs),
    }
    return Job(id=spec["job_id"], kind="block", experiment="e", block=f"b{i}", spec=spec)


def _interval(started: str | None, finished: str | None) -> tuple[float, float]:
    assert started is not None
    assert finished is not None
    return (
        datetime.fromisoformat(started).timestamp(),
        datetime.fromisoformat(finished).timestamp(),
    )


def _max_overlap(intervals: list[tuple[float, float]]) -> int:
    events = sorted([(s, 1) for s, _ in intervals] + [(e, -1) for _, e in intervals])
    current = best = 0
    for _, step in events:
        current += step
        best = max(best, current)
    return best


def test_one_slot_jobs_never_overlap_more_than_the_workers_slots(
    backend: DaskBackend, runner_catalog: Callable[..., Path], tmp_path: Path
) -> None:
    root = runner_catalog()
    jobs = [_job(i, {"sleep": 0.4}, root, tmp_path / "runs") for i in range(6)]
    reports = list(backend.run(jobs))
    assert sorted(r.status for r in reports) == ["done"] * 6
    intervals = [_interval(r.metrics.started, r.metrics.finished) for r in reports]
    assert _max_overlap(intervals) == 2


def test_a_job_whose_worker_dies_is_retried_once_then_failed(
    backend: DaskBackend, runner_catalog: Callable[..., Path], tmp_path: Path
) -> None:
    root = runner_catalog()
    marks = tmp_path / "marks"
    marks.mkdir()
    # The command notes the pid of the Dask worker process running it, then waits.
    script = (
        "import os, pathlib, time; "
        f"pathlib.Path({str(marks)!r}, str(os.getppid())).touch(); time.sleep(60)"
    )
    job = _job(9, {}, root, tmp_path / "runs")
    job.spec["command"] = ["python", "-c", script]
    killed: list[int] = []

    def kill_when_started() -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            for mark in marks.iterdir():
                pid = int(mark.name)
                if pid not in killed:
                    killed.append(pid)
                    os.kill(pid, signal.SIGKILL)
            if len(killed) == 2:
                return
            time.sleep(0.05)

    killer = threading.Thread(target=kill_when_started, daemon=True)
    killer.start()
    [report] = list(backend.run([job]))
    killer.join(timeout=60)
    assert len(killed) == 2
    assert report.status == "failed"
    assert report.attempt == 2
    assert "died or was lost 2 times" in report.error_report


def test_catalog_run_sends_jobs_to_the_scheduler_in_catalog_yaml(
    backend: DaskBackend, runner_catalog: Callable[..., Path], tmp_path: Path
) -> None:
    address = backend.client.scheduler.address
    where = tmp_path / "parent.pid"
    script = f"import os, pathlib; pathlib.Path({str(where)!r}).write_text(str(os.getppid()))"
    block = (
        f"- name: a\n  command: [python, -c, {json.dumps(script)}]\n  inputs: []\n  outputs: []\n"
    )
    config = f"name: t\nrunner: {{backend: dask, dask: {{scheduler: '{address}'}}}}\n"
    root = runner_catalog(
        {"catalog.yaml": config, "records/experiments/e.yaml": experiment_yaml("e", block)}
    )
    result = CliRunner().invoke(main, ["run", "--root", str(root)])
    assert result.exit_code == 0, result.output
    workers = set(backend.client.run(os.getpid).values())
    assert int(where.read_text()) in workers


def test_a_replication_copy_runs_on_dask_like_any_job(
    backend: DaskBackend, runner_catalog: Callable[..., Path]
) -> None:
    copy_repo = "kind: repository\nname: local-copy\ntype: local\nurl: data/copy\n"
    dataset = RUNNER_FILES["records/datasets/s1/spikes.times.npy.yaml"]
    assert isinstance(dataset, str)
    # The record names a copy in local-copy that is not there yet (exists: false).
    dataset = textwrap.dedent(dataset) + (
        "  - repository: local-copy\n    relative_path: copies/spikes.times.npy\n"
    )
    root = runner_catalog(
        {
            "records/repositories/local-copy.yaml": copy_repo,
            "records/datasets/s1/spikes.times.npy.yaml": dataset,
        }
    )
    (root / "data/copy").mkdir()
    summary = run_catalog(root, backend=backend)  # type: ignore[arg-type]
    assert [(o.job.kind, o.report.status) for o in summary.outcomes] == [("replication", "done")]
    assert (root / "data/copy/copies/spikes.times.npy").read_bytes() == INPUT
    [dataset_record] = load_catalog(root).models(Dataset)
    assert [(fr.repository, fr.exists) for fr in dataset_record.file_records] == [
        ("local-main", True),
        ("local-copy", True),
    ]
    assert len(summary.commits) == 1
