"""`catalog init` starts a catalog that validates; `catalog new` writes valid skeletons."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from catalog.cli import main
from catalog.models import KINDS
from catalog.schemas import stale
from tests.conftest import MakeCatalog, git, write_files


def run(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


def test_init_makes_a_git_repository_that_validates(tmp_path: Path) -> None:
    root = tmp_path / "lab-catalog"
    result = run("init", str(root))
    assert result.exit_code == 0, result.output
    assert git(root, "rev-parse", "--is-inside-work-tree").strip() == "true"
    assert git(root, "config", "core.fsync").strip() == "all"
    assert "name: lab-catalog" in (root / "catalog.yaml").read_text()
    assert ".catalog/" in (root / ".gitignore").read_text().splitlines()
    assert all((root / "records" / m.FOLDER / ".gitkeep").is_file() for m in KINDS.values())
    assert stale(root / "schemas") == []
    check = run("validate", "--root", str(root))
    assert (check.exit_code, check.stderr) == (
        0,
        "0 valid records (none); 0 error(s), 0 warning(s)\n",
    )


def test_the_new_catalog_workflow_pins_actions_and_validates_pull_requests(tmp_path: Path) -> None:
    run("init", str(tmp_path))
    workflow = (tmp_path / ".github/workflows/validate.yml").read_text()
    uses = re.findall(r"uses: (\S+)", workflow)
    assert uses
    assert all(re.fullmatch(r"[\w-]+/[\w-]+@[0-9a-f]{40}", u) for u in uses)
    assert "pull_request:" in workflow
    assert "catalog validate --format github" in workflow
    assert "timeout-minutes:" in workflow


def test_init_refuses_to_overwrite_a_catalog(tmp_path: Path) -> None:
    write_files(tmp_path, {"catalog.yaml": "name: mine\n"})
    result = run("init", str(tmp_path))
    assert result.exit_code == 1
    assert (
        result.stderr
        == f"Error: {tmp_path}/catalog.yaml exists already; not overwriting a catalog\n"
    )
    assert (tmp_path / "catalog.yaml").read_text() == "name: mine\n"


NAMES = {
    "repository": "archive",
    "format": "pqt",
    "dataset-type": "clusters.metrics",
    "tag": "2024_paper",
    "revision": "2024-06-01",
    "dataset": "SW002/2024-02-01/001/alf/spikes.times.npy",
    "notice": "bad-sync",
    "experiment": "drift-check",
    "training": "fl-mnist",
    "worker": "worker-a",
}


@pytest.mark.parametrize("kind", list(KINDS))
def test_new_writes_a_valid_record_with_the_schema_line(
    make_catalog: MakeCatalog, kind: str
) -> None:
    root = make_catalog()
    result = run("new", kind, NAMES[kind], "--root", str(root))
    assert result.exit_code == 0, result.output
    rel = result.stdout.removeprefix("wrote ").strip()
    assert rel.startswith(f"records/{KINDS[kind].FOLDER}/")
    depth = rel.count("/")
    first = (root / rel).read_text().splitlines()[0]
    assert first == f"# yaml-language-server: $schema={'../' * depth}schemas/{kind}.schema.json"
    check = run("validate", "--root", str(root))
    assert (check.exit_code, check.stdout) == (0, "")
    again = run("new", kind, NAMES[kind], "--root", str(root))
    assert (again.exit_code, again.stderr) == (
        1,
        f"Error: {rel} exists already; not overwriting it\n",
    )


def test_a_new_dataset_gets_its_type_format_and_place_from_its_name(
    make_catalog: MakeCatalog,
) -> None:
    root = make_catalog(
        {
            "records/formats/pqt.yaml": "kind: format\nname: pqt\nfile_extension: .pqt\n",
            "records/dataset-types/clusters.metrics.yaml": (
                "kind: dataset-type\nname: clusters.metrics\n"
                "filename_pattern: '*clusters.metrics*.pqt'\n"
            ),
        }
    )
    path = "SW002/2024-02-01/003/alf/probe00/#2024-01-01#/clusters.metrics.pqt"
    result = run("new", "dataset", path, "--root", str(root))
    assert result.exit_code == 0, result.output
    text = (root / result.stdout.removeprefix("wrote ").strip()).read_text()
    for line in (
        "name: clusters.metrics.pqt",
        "session: SW002/2024-02-01/003",
        "collection: alf/probe00",
        "revision: '2024-01-01'",
        "dataset_type: clusters.metrics",
        "data_format: pqt",
    ):
        assert line in text.splitlines()
    assert run("validate", "--root", str(root)).exit_code == 0


def test_new_refuses_an_unknown_kind_as_a_usage_error(make_catalog: MakeCatalog) -> None:
    result = run("new", "tga", "x", "--root", str(make_catalog()))
    assert result.exit_code == 2
    assert "'tga' is not one of 'repository', 'format'" in result.stderr
