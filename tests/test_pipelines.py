"""The example experiments' block commands run by hand under the block execution contract.

Each block runs as ``python -m pipelines.<module>`` in a fresh working directory with its
inputs at ``inputs/<name>`` (and in ``CATALOG_INPUT_<NAME>``), its parameters in
``params.json`` and ``CATALOG_PARAMS``, and the catalog root on ``PYTHONPATH``.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from catalog.checks.graph import execution_order
from catalog.models import Block, Dataset, Experiment, Repository
from catalog.records import Records
from catalog.validate import validate


@pytest.fixture
def records(repo_root: Path) -> Records:
    result = validate(repo_root, use_cache=False)
    assert result.problems == []
    return result.records


def dataset_file(root: Path, records: Records, uuid: str) -> Path:
    """The local-main copy of a dataset."""
    entry = records.get("dataset", uuid)
    assert entry is not None
    assert isinstance(entry.model, Dataset)
    [fr] = [fr for fr in entry.model.file_records if fr.repository == "local-main"]
    repo = records.get("repository", "local-main")
    assert repo is not None
    assert isinstance(repo.model, Repository)
    return root / repo.model.url / fr.relative_path


def run_block(
    root: Path, work: Path, block: Block, inputs: dict[str, Path]
) -> subprocess.CompletedProcess[str]:
    """Lay out ``work`` as the contract says and run the block's command there."""
    (work / "inputs").mkdir(parents=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("CATALOG_")}
    for name, src in inputs.items():
        shutil.copyfile(src, work / "inputs" / name)
        env["CATALOG_INPUT_" + re.sub(r"[^A-Za-z0-9]", "_", name).upper()] = str(
            work / "inputs" / name
        )
    (work / "params.json").write_text(json.dumps(block.parameters))
    env |= {"CATALOG_PARAMS": json.dumps(block.parameters), "CATALOG_ROOT": str(root)}
    env["PYTHONPATH"] = str(root)
    assert block.command is not None
    assert block.command[0] == "python"
    argv = [sys.executable, *block.command[1:]]
    return subprocess.run(argv, cwd=work, env=env, capture_output=True, text=True, timeout=60)


def run_experiment(
    root: Path, tmp_path: Path, records: Records, x: Experiment
) -> dict[str, dict[str, Any]]:
    """Run every block in dependency order; return each block's results.json."""
    blocks = {b.name: b for b in x.blocks}
    results: dict[str, dict[str, Any]] = {}
    for name in execution_order(x):
        block = blocks[name]
        inputs = {
            i.name: dataset_file(root, records, i.dataset)
            if i.dataset
            else tmp_path
            / str(i.block)
            / next(o.path for o in blocks[str(i.block)].outputs if o.name == i.output)
            for i in block.inputs
        }
        proc = run_block(root, tmp_path / name, block, inputs)
        assert proc.returncode == 0, proc.stderr
        assert proc.stdout.strip()
        for o in block.outputs:
            assert (tmp_path / name / o.path).is_file(), (name, o.path)
        results[name] = json.loads((tmp_path / name / "results.json").read_text())
    return results


def experiment(records: Records, name: str) -> Experiment:
    entry = records.get("experiment", name)
    assert entry is not None
    assert isinstance(entry.model, Experiment)
    return entry.model


def test_pending_experiment_runs_end_to_end(
    repo_root: Path, tmp_path: Path, records: Records
) -> None:
    x = experiment(records, "unit-quality-sw023-2024-01-06")
    results = run_experiment(repo_root, tmp_path, records, x)
    for r in x.results:
        value = results[str(r.block)][r.name]
        expected = {"int32": int, "float32": float, "bool": bool}[r.type]
        assert type(value) is expected, (r.name, value)
    summary = json.loads((tmp_path / "summary" / "summary.json").read_text())
    assert summary["good_units"] == len(summary["good_clusters"]) > 0


def test_finished_experiment_reproduces_its_recorded_outputs(
    repo_root: Path, tmp_path: Path, records: Records
) -> None:
    x = experiment(records, "drift-sw023-2024-01-05")
    results = run_experiment(repo_root, tmp_path, records, x)
    for block in x.blocks:
        for o in block.outputs:
            digest = hashlib.sha256((tmp_path / block.name / o.path).read_bytes()).hexdigest()
            assert digest == o.hash, (block.name, o.name)
    assert {r.name: results[str(r.block)][r.name] for r in x.results} == {
        r.name: r.value for r in x.results
    }


@pytest.mark.parametrize(
    ("params", "message"),
    [
        (None, "error: input 'spikes' not found at inputs/spikes"),
        ("[1, 2]", "error: parameters must be a JSON object"),
    ],
)
def test_block_refuses_bad_contract_input(
    repo_root: Path, tmp_path: Path, params: str | None, message: str
) -> None:
    if params is not None:
        (tmp_path / "params.json").write_text(params)
        (tmp_path / "inputs").mkdir()
        (tmp_path / "inputs" / "spikes").write_bytes(b"")
    env = {k: v for k, v in os.environ.items() if not k.startswith("CATALOG_")}
    env["PYTHONPATH"] = str(repo_root)
    proc = subprocess.run(
        [sys.executable, "-m", "pipelines.drift"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
    )
    assert (proc.returncode, proc.stderr.strip()) == (2, message)
    assert not (tmp_path / "results.json").exists()
