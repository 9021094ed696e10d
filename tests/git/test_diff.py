"""`catalog diff`: what a pull request changes, record by record and field by field."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from catalog.cli import main
from catalog.fielddiff import diff_data
from catalog.gitrepo import diff
from tests.git.conftest import GitCatalog, commit, git

DATASET = "records/datasets/s1/spikes.times.npy.yaml"
UUID = "11111111-1111-4111-8111-111111111111"
V1 = """\
kind: dataset
uuid: 11111111-1111-4111-8111-111111111111
name: spikes.times.npy
dataset_type: spikes.times
data_format: npy
revision: v1
tags: [raw]
file_records:
  - repository: local-main
    relative_path: a/spikes.times.npy
"""
V2 = V1.replace("revision: v1", "revision: v2").replace("[raw]", "[raw, 2024_paper]") + (
    "  - repository: s3-archive\n    relative_path: a/spikes.times.npy\n"
)
CONTEXT = {
    "records/revisions/v1.yaml": "kind: revision\nname: v1\n",
    "records/revisions/v2.yaml": "kind: revision\nname: v2\n",
    "records/tags/2024_paper.yaml": "kind: tag\nname: 2024_paper\n",
    "records/repositories/s3-archive.yaml": "kind: repository\nname: s3-archive\ntype: s3\n"
    "url: s3://bucket\n",
    DATASET: V1,
}


@pytest.fixture
def pr(git_catalog: GitCatalog) -> Path:
    """A catalog whose branch 'pr' moves the dataset to v2, tags it and adds a copy."""
    root = git_catalog(CONTEXT)
    git(root, "checkout", "-q", "-b", "pr")
    commit(root, {DATASET: V2, "records/tags/raw.yaml": None}, "Paper release")
    return root


def test_summary_names_each_change(pr: Path) -> None:
    [dataset, tag] = diff(pr, "main").changes
    assert (dataset.status, dataset.current.label) == (
        "changed",
        f"dataset #v2#/spikes.times.npy (uuid {UUID})",
    )
    assert (
        dataset.summary() == "revision v1 → v2; tags +2024_paper; file record added on s3-archive"
    )
    assert (tag.status, tag.current.path, tag.summary()) == ("removed", "records/tags/raw.yaml", "")


def test_markdown_for_the_job_summary(pr: Path) -> None:
    result = CliRunner().invoke(main, ["diff", "main", "--root", str(pr), "--format", "markdown"])
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert lines[2] == "2 record(s) changed: 0 added, 1 removed, 1 changed."
    assert lines[4:6] == ["| | record | file | change |", "|---|---|---|---|"]
    assert lines[6] == (
        f"| changed | dataset #v2#/spikes.times.npy (uuid {UUID}) | `{DATASET}` | "
        "revision v1 → v2; tags +2024_paper; file record added on s3-archive |"
    )


def test_json_lists_field_changes(pr: Path) -> None:
    result = CliRunner().invoke(main, ["diff", "main", "pr", "--root", str(pr), "--format", "json"])
    doc = json.loads(result.output)
    assert doc["counts"] == {"added": 0, "removed": 1, "changed": 1}
    change = doc["changes"][0]
    assert (change["uuid"], change["old_path"], change["new_path"]) == (UUID, DATASET, DATASET)
    assert change["fields"][0] == {
        "field": "revision",
        "op": "changed",
        "old": "v1",
        "new": "v2",
        "item": False,
    }


def test_text_lists_fields_under_each_record(pr: Path) -> None:
    result = CliRunner().invoke(main, ["diff", "main", "--root", str(pr)])
    assert result.output.splitlines()[1:5] == [
        f"~ changed dataset #v2#/spikes.times.npy (uuid {UUID})  {DATASET}",
        "    revision: v1 → v2",
        "    tags: +2024_paper",
        "    file record added on s3-archive",
    ]


def test_base_branch_moving_on_is_not_part_of_the_change(pr: Path) -> None:
    git(pr, "checkout", "-q", "main")
    commit(pr, {"records/tags/later.yaml": "kind: tag\nname: later\n"}, "Meanwhile on main")
    git(pr, "checkout", "-q", "pr")
    assert [c.current.path for c in diff(pr, "main").changes] == [DATASET, "records/tags/raw.yaml"]
    everything = diff(pr, "main", use_merge_base=False).changes
    assert "records/tags/later.yaml" in [c.current.path for c in everything]


def test_a_moved_record_is_one_change(git_catalog: GitCatalog) -> None:
    root = git_catalog({DATASET: V1, **CONTEXT})
    (root / "records/datasets/a").mkdir()
    git(root, "mv", DATASET, "records/datasets/a/spikes.times.npy.yaml")
    git(root, "commit", "-q", "-m", "Move")
    [change] = diff(root, "HEAD~1").changes
    assert (change.status, change.summary()) == ("changed", f"moved from {DATASET}")


def test_markdown_cells_cannot_break_the_table(git_catalog: GitCatalog) -> None:
    root = git_catalog()
    commit(root, {"records/tags/raw.yaml": "kind: tag\nname: raw\ndescription: a|b <img>\n"})
    result = CliRunner().invoke(
        main, ["diff", "HEAD~1", "--root", str(root), "--format", "markdown"]
    )
    assert "description set to a\\|b &lt;img&gt; |" in result.output


def test_unknown_revision_is_a_clear_error(git_catalog: GitCatalog) -> None:
    root = git_catalog()
    result = CliRunner().invoke(main, ["diff", "nope", "--root", str(root)])
    assert result.exit_code == 1
    assert "unknown revision 'nope'" in result.output


@pytest.mark.parametrize(
    ("old", "new", "described"),
    [
        ({"qc": "PASS"}, {"qc": "FAIL"}, ["qc: PASS → FAIL"]),
        ({"tags": ["a", "b"]}, {"tags": ["b", "c"]}, ["tags: -a", "tags: +c"]),
        (
            {"file_records": [{"repository": "r", "relative_path": "x", "exists": False}]},
            {"file_records": [{"repository": "r", "relative_path": "x", "exists": True}]},
            ["file on r now exists"],
        ),
        ({"blocks": [{"name": "a"}]}, {"blocks": [{"name": "a"}, {"name": "b"}]}, ["blocks: +b"]),
        ({"metadata": {"unit": "s"}}, {"metadata": {}}, ["metadata.unit: removed, was s"]),
    ],
)
def test_field_changes(
    old: dict[str, object], new: dict[str, object], described: list[str]
) -> None:
    assert [f.describe() for f in diff_data(old, new)] == described
