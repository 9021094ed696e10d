"""Catalogs whose experiments run real commands, and job specs built by hand."""

from __future__ import annotations

import hashlib
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from catalog.runner.report import Report
from catalog.runner.worker import run_job
from tests.conftest import MakeCatalog, git

INPUT = b"0123456789" * 10
INPUT_SHA = hashlib.sha256(INPUT).hexdigest()
DATASET = "11111111-1111-4111-8111-111111111111"
REPO = {"kind": "repository", "name": "local-main", "type": "local", "url": "data/main"}

STEP = '''
"""A block command whose behaviour the block's parameters choose (tests only)."""
import json, os, pathlib, sys, time

p = json.loads(os.environ["CATALOG_PARAMS"])
mode = p.get("mode", "ok")
log = pathlib.Path(p["log"]) if "log" in p else None
if log is not None:  # one line per real run, with the run interval
    with log.open("a") as fh:
        fh.write(f"start {os.environ['CATALOG_JOB_ID']} {time.time()}\\n")
data = b"".join(
    pathlib.Path(v).read_bytes() for k, v in sorted(os.environ.items())
    if k.startswith("CATALOG_INPUT_")
)
time.sleep(p.get("sleep", 0))
if mode == "fail":
    print("about to fail", file=sys.stderr)
    sys.exit(3)
if mode == "spam":
    chunk = "x" * 1023 + "\\n"
    for _ in range(p["kib"]):
        sys.stdout.write(chunk)
out = p.get("write", "out.bin")
if mode != "nowrite":
    target = pathlib.Path(out)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data + p.get("suffix", "").encode())
if "results" in p:
    pathlib.Path("results.json").write_text(json.dumps(p["results"]))
print(f"wrote {len(data)} bytes")
'''


def experiment_yaml(name: str, blocks: str, results: str = "") -> str:
    """An experiment record (blocks and results given as indented YAML)."""
    text = f"kind: experiment\nname: {name}\nrepository: local-main\nblocks:\n"
    text += textwrap.indent(textwrap.dedent(blocks).strip("\n"), "  ") + "\n"
    if results:
        text += "results:\n" + textwrap.indent(textwrap.dedent(results).strip("\n"), "  ") + "\n"
    return text


def block_yaml(name: str, params: dict[str, Any] | None = None, **fields: str) -> str:
    """One block running ``steps.step`` with ``params``, reading the dataset by default."""
    import json

    inputs = fields.pop("inputs", f"[{{name: src, dataset: {DATASET}}}]")
    outputs = fields.pop("outputs", "[{name: out, path: out.bin}]")
    extra = "".join(f"  {k}: {v}\n" for k, v in fields.items())
    return (
        f"- name: {name}\n  command: [python, -m, steps.step]\n"
        f"  parameters: {json.dumps(params or {})}\n"
        f"  inputs: {inputs}\n  outputs: {outputs}\n{extra}"
    )


RUNNER_FILES: dict[str, str | bytes | None] = {
    "steps/__init__.py": "",
    "steps/step.py": STEP,
    "data/main/SW001/2024-01-05/001/alf/spikes.times.npy": INPUT,
    "records/datasets/s1/spikes.times.npy.yaml": f"""
        kind: dataset
        uuid: {DATASET}
        name: spikes.times.npy
        session: SW001/2024-01-05/001
        collection: alf
        dataset_type: spikes.times
        data_format: npy
        file_size: {len(INPUT)}
        hash: {INPUT_SHA}
        file_records:
          - repository: local-main
            relative_path: SW001/2024-01-05/001/alf/spikes.times.npy
            exists: true
    """,
}


@pytest.fixture
def runner_catalog(make_catalog: MakeCatalog) -> Callable[..., Path]:
    """A git catalog with a real input file and the given experiment records."""

    def make(files: dict[str, str | bytes | None] | None = None) -> Path:
        root = make_catalog({**RUNNER_FILES, **(files or {})}, git_init=True)
        (root / ".gitignore").write_text(".catalog/\ndata/\n")
        git(root, "add", ".gitignore")
        git(root, "commit", "-q", "-m", "ignore state and data")
        return root

    return make


@pytest.fixture
def block_spec(tmp_path: Path) -> Callable[..., dict[str, Any]]:
    """A job spec for one block running ``steps.step``, ready for ``run_job``."""
    root = tmp_path / "root"
    (root / "steps").mkdir(parents=True)
    (root / "steps" / "__init__.py").write_text("")
    (root / "steps" / "step.py").write_text(STEP)
    data = root / "data" / "main"
    (data / "in").mkdir(parents=True)
    (data / "in" / "src.bin").write_bytes(INPUT)

    def make(params: dict[str, Any] | None = None, **over: Any) -> dict[str, Any]:
        spec: dict[str, Any] = {
            "version": 1,
            "job_id": "block:exp/b",
            "kind": "block",
            "attempt": 1,
            "action": "run",
            "experiment": "exp",
            "block": "b",
            "cache_key": "ab" * 32,
            "command": ["python", "-m", "steps.step"],
            "parameters": params or {},
            "timeout_s": None,
            "inputs": [
                {
                    "name": "src",
                    "repository": REPO,
                    "relative_path": "in/src.bin",
                    "hash": INPUT_SHA,
                    "hash_algorithm": "sha256",
                    "file_size": len(INPUT),
                }
            ],
            "outputs": [{"name": "out", "path": "out.bin", "repository": REPO}],
            "results": [],
            "root": str(root),
            "runs_dir": str(tmp_path / "runs"),
        }
        spec.update(over)
        return spec

    return make


def run(spec: dict[str, Any]) -> Report:
    """Run a spec with the worker entry point."""
    return run_job(spec)
