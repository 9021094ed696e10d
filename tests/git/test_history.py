"""`catalog history`, file_histories and recent_commits: who changed what, when and why."""

from __future__ import annotations

import json
import textwrap

import pytest
from click.testing import CliRunner

from catalog.cli import main
from catalog.gitrepo import file_histories, recent_commits, record_history
from tests.conftest import BASE_FILES
from tests.git.conftest import GitCatalog, commit, git

DATASET = "records/datasets/s1/spikes.times.npy.yaml"
UUID = "11111111-1111-4111-8111-111111111111"


def _dataset(old: str, new: str) -> str:
    """The base dataset record with one piece of text replaced."""
    text = textwrap.dedent(str(BASE_FILES[DATASET])).lstrip("\n")
    assert old in text
    return text.replace(old, new)


def test_field_changes_newest_first(git_catalog: GitCatalog) -> None:
    root = git_catalog({"records/tags/paper.yaml": "kind: tag\nname: paper\n"})
    commit(root, {DATASET: _dataset("tags: [raw]", "tags: [raw, paper]")}, "Tag for the paper")
    commit(root, {DATASET: _dataset("tags: [raw]", "tags: [raw, paper]\nqc: PASS")}, "QC passed")
    entries = record_history(root, DATASET)
    assert [e.commit.message for e in entries] == [
        "QC passed",
        "Tag for the paper",
        "initial catalog",
    ]
    assert [f.describe() for f in entries[0].changes] == ["qc: set to PASS"]
    assert [f.describe() for f in entries[1].changes] == ["tags: +paper"]
    assert entries[2].status == "added"
    assert entries[0].commit.author == "Test User"


def test_history_follows_renames(git_catalog: GitCatalog) -> None:
    root = git_catalog()
    git(root, "mv", "records/tags/raw.yaml", "records/tags/raw-data.yaml")
    git(root, "commit", "-q", "-m", "Rename the file")
    commit(root, {"records/tags/raw-data.yaml": "kind: tag\nname: raw\npublic: true\n"}, "Public")
    entries = record_history(root, "records/tags/raw-data.yaml")
    assert [(e.status, e.commit.message) for e in entries] == [
        ("modified", "Public"),
        ("renamed", "Rename the file"),
        ("added", "initial catalog"),
    ]
    assert entries[1].old_path == "records/tags/raw.yaml"
    assert [f.describe() for f in entries[0].changes] == ["public: set to true"]


def test_deleted_record_keeps_its_history(git_catalog: GitCatalog) -> None:
    root = git_catalog()
    commit(root, {"records/tags/raw.yaml": None}, "Drop raw")
    entries = record_history(root, "records/tags/raw.yaml")
    assert [(e.status, e.commit.message) for e in entries] == [
        ("deleted", "Drop raw"),
        ("added", "initial catalog"),
    ]


def test_a_new_file_under_an_old_name_is_another_record(git_catalog: GitCatalog) -> None:
    root = git_catalog()
    git(root, "mv", "records/tags/raw.yaml", "records/tags/old.yaml")
    git(root, "commit", "-q", "-m", "Move raw away")
    commit(root, {"records/tags/raw.yaml": "kind: tag\nname: fresh\n"}, "New raw file")
    histories = file_histories(root, ["records/tags/raw.yaml", "records/tags/old.yaml"])
    assert [c.message for c in histories["records/tags/raw.yaml"]] == ["New raw file"]
    assert [c.message for c in histories["records/tags/old.yaml"]] == [
        "Move raw away",
        "initial catalog",
    ]
    # One record's history (a log of its own names) agrees with the one-pass walk.
    for path, commits in histories.items():
        assert [e.commit for e in record_history(root, path)] == commits


def test_file_histories_cover_every_record_and_respect_the_limit(
    git_catalog: GitCatalog,
) -> None:
    root = git_catalog()
    for i in range(3):
        commit(root, {"records/tags/raw.yaml": f"kind: tag\nname: raw\ndescription: v{i}\n"})
    histories = file_histories(root, limit_per_path=2)
    assert set(histories) == {p for p in BASE_FILES if p.startswith("records/")}
    assert len(histories["records/tags/raw.yaml"]) == 2
    assert [c.message for c in histories["records/formats/npy.yaml"]] == ["initial catalog"]


def test_recent_commits(git_catalog: GitCatalog) -> None:
    root = git_catalog()
    commit(root, {"records/tags/raw.yaml": "kind: tag\nname: raw\npublic: true\n"}, "Make public")
    [newest, first] = recent_commits(root, 5)
    assert (newest.message, first.message) == ("Make public", "initial catalog")
    assert newest.date[:4].isdigit()
    assert "T" in newest.date
    assert len(newest.sha) == 40


@pytest.mark.parametrize("target", [DATASET, UUID, f"dataset/{UUID}", "tag/raw", "raw"])
def test_cli_finds_the_record_by_path_uuid_or_name(git_catalog: GitCatalog, target: str) -> None:
    root = git_catalog()
    result = CliRunner().invoke(main, ["history", target, "--root", str(root), "--format", "json"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.output)
    assert doc["commits"][0]["message"] == "initial catalog"
    assert doc["path"] in (DATASET, "records/tags/raw.yaml")


def test_cli_text_shows_hash_date_author_and_fields(git_catalog: GitCatalog) -> None:
    root = git_catalog()
    commit(root, {"records/tags/raw.yaml": "kind: tag\nname: raw\npublic: true\n"}, "Make public")
    result = CliRunner().invoke(main, ["history", "tag/raw", "--root", str(root)])
    lines = result.output.splitlines()
    assert lines[0] == "tag 'raw'  records/tags/raw.yaml"
    assert lines[2].endswith("Test User")
    assert len(lines[2].split()[0]) == 10
    assert lines[3:5] == ["    Make public", "    public: set to true"]


def test_cli_unknown_record_is_a_clear_error(git_catalog: GitCatalog) -> None:
    root = git_catalog()
    result = CliRunner().invoke(main, ["history", "tag/nope", "--root", str(root)])
    assert result.exit_code == 1
    assert "no record 'tag/nope'" in result.output
