"""`catalog check-change`: the rules a pull request must keep, each with where it points."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from catalog.cli import main
from catalog.gitrepo import check_change
from tests.git.conftest import GitCatalog, commit, git

DATASET = "records/datasets/s1/spikes.times.npy.yaml"
FROZEN = """\
kind: dataset
uuid: 11111111-1111-4111-8111-111111111111
name: spikes.times.npy
session: SW001/2024-01-05/001
collection: alf
dataset_type: spikes.times
data_format: npy
revision: 2024-01-01
tags: [raw, paper]
file_size: 1024
file_records:
  - repository: local-main
    relative_path: SW001/2024-01-05/001/alf/spikes.times.npy
    exists: false
"""
PAPER = "kind: tag\nname: paper\ndescription: data of the 2024 paper\nprotected: true\n"
NOTICE = """\
kind: notice
name: bad-channels
importance: MAJOR
selector:
  tags: [raw]
"""
Found = list[tuple[str, int, str]]


@pytest.fixture
def catalog(git_catalog: GitCatalog) -> Path:
    """A catalog with a dataset frozen by the protected tag 'paper', and a notice."""
    return git_catalog(
        {DATASET: FROZEN, "records/tags/paper.yaml": PAPER, "records/notices/bad.yaml": NOTICE}
    )


def change(root: Path, files: dict[str, str | None]) -> Found:
    """Commit ``files`` on a branch off main; the (path, line, message) of each problem."""
    git(root, "checkout", "-q", "-B", "pr", "main")
    commit(root, files, "proposed change")
    found = check_change(root, "main").problems
    return [(p.path, p.line, p.message) for p in found]


@pytest.mark.parametrize(
    ("old", "new", "line", "message"),
    [
        ("name: spikes.times.npy", "name: spikes.times.new.npy", 3, "'name' of a dataset"),
        ("session: SW001/2024-01-05/001", "session: SW001/2024-01-06/001", 4, "'session'"),
        ("collection: alf", "collection: alf/probe00", 5, "'collection'"),
        ("revision: 2024-01-01", "revision: 2024-02-01", 8, "'revision'"),
        ("dataset_type: spikes.times", "dataset_type: spikes.amps", 6, "'dataset_type'"),
        ("data_format: npy", "data_format: bin", 7, "'data_format'"),
        ("file_size: 1024", "file_size: 2048", 10, "'file_size'"),
        ("file_size: 1024", "file_size: 1024\nhash: " + "a" * 64, 11, "'hash'"),
    ],
)
def test_frozen_dataset_fields_may_not_change(
    catalog: Path, old: str, new: str, line: int, message: str
) -> None:
    [(path, at, text)] = change(catalog, {DATASET: FROZEN.replace(old, new)})
    assert (path, at) == (DATASET, line)
    assert text.startswith(message)
    assert "frozen by protected tag 'paper' may not change" in text


def test_new_copies_exists_flips_and_notes_are_allowed(catalog: Path) -> None:
    edited = FROZEN.replace("exists: false", "exists: true").replace(
        "file_size: 1024", "file_size: 1024\nqc: PASS\ndescription: spike times"
    ) + ("  - repository: local-main\n    relative_path: backup/spikes.times.npy\n")
    assert change(catalog, {DATASET: edited}) == []


def test_frozen_dataset_may_not_be_deleted(catalog: Path) -> None:
    assert change(catalog, {DATASET: None}) == [
        (DATASET, 9, "dataset is frozen by protected tag 'paper' and may not be deleted")
    ]


def test_a_copy_of_frozen_data_may_not_be_removed(catalog: Path) -> None:
    edited = FROZEN.split("file_records:")[0] + "file_records: []\n"
    [(path, line, text)] = change(catalog, {DATASET: edited})
    assert (path, line) == (DATASET, 11)
    assert text.startswith("file record 0 (on 'local-main', SW001/2024-01-05/001/alf/")


def test_protected_tag_may_not_be_removed_from_a_dataset(catalog: Path) -> None:
    assert change(catalog, {DATASET: FROZEN.replace("[raw, paper]", "[raw]")}) == [
        (DATASET, 9, "protected tag 'paper' may not be removed from a dataset")
    ]


def test_protected_tag_may_not_be_deleted(catalog: Path) -> None:
    found = change(
        catalog, {"records/tags/paper.yaml": None, DATASET: FROZEN.replace(", paper", "")}
    )
    assert ("records/tags/paper.yaml", 4, "protected tag 'paper' may not be deleted") in found


def test_unprotecting_alone_is_allowed(catalog: Path) -> None:
    unprotected = PAPER.replace("protected: true", "protected: false")
    assert change(catalog, {"records/tags/paper.yaml": unprotected}) == []


def test_unprotecting_while_editing_its_datasets_is_refused(catalog: Path) -> None:
    unprotected = PAPER.replace("protected: true", "protected: false")
    found = change(
        catalog,
        {
            "records/tags/paper.yaml": unprotected,
            DATASET: FROZEN.replace("file_size: 1024", "file_size: 1"),
        },
    )
    assert found == [
        (
            DATASET,
            10,
            "'file_size' of a dataset frozen by protected tag 'paper' may not change (1024 → 1)",
        ),
        (
            "records/tags/paper.yaml",
            4,
            "tag 'paper' is unprotected in the same change that edits 1 of its frozen dataset(s)",
        ),
    ]


def test_uuid_never_changes(git_catalog: GitCatalog) -> None:
    root = git_catalog()
    text = (root / DATASET).read_text().replace("11111111-1111", "22222222-2222")
    assert change(root, {DATASET: text}) == [
        (DATASET, 2, "a record's uuid never changes (was 11111111-1111-4111-8111-111111111111)")
    ]


def test_kind_never_changes(git_catalog: GitCatalog) -> None:
    long = "description: raw recordings straight from the acquisition rig, unprocessed\n"
    root = git_catalog({"records/tags/raw.yaml": f"kind: tag\nname: raw\n{long}"})
    git(root, "checkout", "-q", "-b", "pr")
    (root / "records/revisions/raw.yaml").write_text(f"kind: revision\nname: raw\n{long}")
    git(root, "rm", "-q", "records/tags/raw.yaml")
    git(root, "add", "records/revisions/raw.yaml")
    git(root, "commit", "-q", "-m", "tag becomes revision")
    found = [(p.path, p.line, p.message) for p in check_change(root, "main").problems]
    assert (
        "records/revisions/raw.yaml",
        1,
        "a record's kind never changes (was 'tag', now 'revision')",
    ) in found


@pytest.mark.parametrize(
    ("path", "message"),
    [
        (
            "records/revisions/2024-01-01.yaml",
            "revision '2024-01-01' is deleted but 1 record(s) still use it: " + DATASET,
        ),
        (
            "records/tags/raw.yaml",
            f"tag 'raw' is deleted but 2 record(s) still use it: {DATASET}, "
            "records/notices/bad.yaml",
        ),
    ],
)
def test_referenced_revision_or_tag_may_not_be_deleted(
    catalog: Path, path: str, message: str
) -> None:
    assert change(catalog, {path: None}) == [(path, 1, message)]


def test_deleting_a_notice_that_still_applies_is_a_warning(catalog: Path) -> None:
    found = change(catalog, {"records/notices/bad.yaml": None})
    assert found == [
        (
            "records/notices/bad.yaml",
            1,
            "notice 'bad-channels' is deleted while it still affects 1 dataset(s)",
        )
    ]
    cli = CliRunner()
    assert cli.invoke(main, ["check-change", "main", "--root", str(catalog)]).exit_code == 0
    strict = ["check-change", "main", "--root", str(catalog), "--strict"]
    assert cli.invoke(main, strict).exit_code == 1


def test_editing_a_notice_is_fine(catalog: Path) -> None:
    assert change(catalog, {"records/notices/bad.yaml": NOTICE + "title: Bad channels\n"}) == []


def test_a_changed_file_that_does_not_load_is_reported(catalog: Path) -> None:
    [(path, line, text)] = change(catalog, {"records/tags/paper.yaml": PAPER + "colour: red\n"})
    assert (path, line, text) == ("records/tags/paper.yaml", 5, "unknown field 'colour'")


def test_github_annotations_and_exit_status(catalog: Path) -> None:
    change(catalog, {DATASET: None})
    args = ["check-change", "main", "HEAD", "--root", str(catalog), "--format", "github"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 1
    assert result.output.startswith(f"::error file={DATASET},line=9,col=13,title=dataset ")
    assert "may not be deleted" in result.output


def test_json_output(catalog: Path) -> None:
    change(catalog, {DATASET: FROZEN.replace("file_size: 1024", "file_size: 7")})
    args = ["check-change", "main", "--root", str(catalog), "--format", "json"]
    [problem] = json.loads(CliRunner().invoke(main, args).output.split("\nchange ")[0])
    assert (problem["file"], problem["line"], problem["code"]) == (DATASET, 10, "frozen-dataset")
