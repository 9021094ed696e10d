"""The committer: one commit per batch, validated, replay-safe, never overwriting others."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import catalog.committer
from catalog.errors import GitError, RecordError, SchemaError, YAMLSyntaxError
from catalog.gitrepo import Committer, Edit
from catalog.scaffold import init_catalog
from tests.git.conftest import GitCatalog, batch_ids, git, show, tag_yaml, write_files

NEW = "records/tags/new.yaml"


def test_batch_is_one_commit_with_trailer_and_clean_tree(git_catalog: GitCatalog) -> None:
    root = git_catalog()
    edits = [Edit(NEW, tag_yaml("new").encode()), Edit("records/tags/raw.yaml")]
    with Committer(root) as c:
        result = c.apply(edits, "Add new, drop raw", batch_id="b-1")
    assert result.applied
    assert result.changed == [NEW, "records/tags/raw.yaml"]
    assert git(root, "rev-parse", "HEAD").strip() == result.sha
    assert git(root, "log", "-1", "--format=%an <%ae>") == "catalog-bot <catalog-bot@localhost>\n"
    assert git(root, "log", "-1", "--format=%B") == (
        "Add new, drop raw\n\nRecords changed:\n- added records/tags/new.yaml\n"
        "- deleted records/tags/raw.yaml\n\nCatalog-Batch: b-1\n\n"
    )
    assert (root / NEW).read_text() == tag_yaml("new")
    assert not (root / "records/tags/raw.yaml").exists()
    assert git(root, "status", "--porcelain") == ""


def test_replayed_batch_id_changes_nothing(git_catalog: GitCatalog) -> None:
    root = git_catalog()
    with Committer(root) as c:
        first = c.apply([Edit(NEW, tag_yaml("new").encode())], "add", batch_id="b-1")
        again = c.apply([Edit(NEW, tag_yaml("new", "other").encode())], "add", batch_id="b-1")
        assert c.is_applied("b-1")
        assert not c.is_applied("b-2")
    assert (again.sha, again.applied, again.changed) == (None, False, [])
    assert git(root, "rev-parse", "HEAD").strip() == first.sha
    assert batch_ids(root) == ["b-1"]


def test_replay_is_detected_by_a_new_committer_too(git_catalog: GitCatalog) -> None:
    root = git_catalog()
    with Committer(root) as c:
        c.apply([Edit(NEW, tag_yaml("new").encode())], "add", batch_id="b-1")
    with Committer(root) as c:
        assert not c.apply([Edit(NEW, b"kind: tag\nname: x\n")], "add", batch_id="b-1").applied


BAD = [
    (
        b"kind: tag\nname: x\nprotected: maybe\n",
        SchemaError,
        "records/tags/x.yaml:3:1: tag 'x': protected: Input should be a valid boolean",
    ),
    (
        b"kind: tag\nname: x\ncolour: red\n",
        SchemaError,
        "records/tags/x.yaml:3:1: tag 'x': colour: unknown field 'colour'",
    ),
    (b"kind: tag\nname: [x\n", YAMLSyntaxError, "records/tags/x.yaml:3:1: YAML syntax error"),
    (
        b"kind: revision\nname: x\n",
        SchemaError,
        "records/tags/x.yaml:1:1: 'x.yaml': kind: kind 'revision' does not match folder 'tags/'",
    ),
]


@pytest.mark.parametrize(("content", "error", "message"), BAD)
def test_invalid_file_refuses_the_whole_batch(
    git_catalog: GitCatalog, content: bytes, error: type[RecordError], message: str
) -> None:
    root = git_catalog()
    head = git(root, "rev-parse", "HEAD")
    edits = [Edit(NEW, tag_yaml("new").encode()), Edit("records/tags/x.yaml", content)]
    with Committer(root) as c, pytest.raises(error) as info:
        c.apply(edits, "bad batch")
    assert str(info.value).startswith(message)
    assert "Nothing was written." in str(info.value)
    assert git(root, "rev-parse", "HEAD") == head
    assert not (root / NEW).exists()
    assert git(root, "status", "--porcelain") == ""


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("records/../x.yaml", "path contains '.' or '..'"),
        ("/etc/x.yaml", "path is absolute"),
        ("catalog.yaml", "path is not a record file"),
    ],
)
def test_paths_outside_records_are_refused(
    git_catalog: GitCatalog, path: str, message: str
) -> None:
    root = git_catalog()
    with Committer(root) as c, pytest.raises(RecordError, match=message):
        c.apply([Edit(path, b"kind: tag\nname: x\n")], "bad path")


def test_round_trip_edit_keeps_comments(git_catalog: GitCatalog) -> None:
    root = git_catalog({"records/tags/raw.yaml": "# raw data\nkind: tag\nname: raw  # keep\n"})

    def describe(tree: Any) -> None:
        tree["description"] = "unprocessed"

    with Committer(root) as c:
        c.apply([Edit("records/tags/raw.yaml", fn=describe)], "describe raw")
    assert show(root, "HEAD", "records/tags/raw.yaml") == (
        "# raw data\nkind: tag\nname: raw  # keep\ndescription: unprocessed\n"
    )


def _set(key: str, value: Any) -> Any:
    def edit(tree: Any) -> None:
        tree[key] = value

    return edit


def test_a_person_editing_the_same_record_between_batches_is_kept(
    git_catalog: GitCatalog,
) -> None:
    """The committer keeps the parsed file between batches; a commit of a person to the
    same file in between must not be overwritten by that stale copy."""
    raw = "records/tags/raw.yaml"
    root = git_catalog({raw: "kind: tag\nname: raw\n"})
    with Committer(root) as c:
        c.apply([Edit(raw, fn=_set("description", "first batch"))], "bot 1")
        person = show(root, "HEAD", raw)
        assert person is not None
        person = "# curated by hand\n" + person.replace("name: raw", "name: raw  # keep")
        write_files(root, {raw: person + "public: true\n"})
        git(root, "commit", "-q", "-am", "person")
        c.apply([Edit(raw, fn=_set("protected", True))], "bot 2")
    assert show(root, "HEAD", raw) == (
        "# curated by hand\nkind: tag\nname: raw  # keep\ndescription: first batch\n"
        "public: true\nprotected: true\n"
    )


def test_a_refused_batch_leaves_nothing_for_the_next_one(git_catalog: GitCatalog) -> None:
    raw = "records/tags/raw.yaml"
    root = git_catalog({raw: "kind: tag\nname: raw\n"})

    def half_then_fail(tree: Any) -> None:
        tree["description"] = "half done"
        raise ValueError("edit failed")

    with Committer(root) as c:
        c.apply([Edit(raw, fn=_set("public", True))], "bot 1")
        with pytest.raises(SchemaError):
            c.apply([Edit(raw, fn=_set("protected", "maybe"))], "invalid")
        c.apply([Edit(raw, fn=_set("description", "after refusal"))], "bot 2")
        assert show(root, "HEAD", raw) == (
            "kind: tag\nname: raw\npublic: true\ndescription: after refusal\n"
        )
        with pytest.raises(ValueError, match="edit failed"):
            c.apply([Edit(raw, fn=half_then_fail)], "broken edit")
        c.apply([Edit(raw, fn=_set("protected", True))], "bot 3")
    assert show(root, "HEAD", raw) == (
        "kind: tag\nname: raw\npublic: true\ndescription: after refusal\nprotected: true\n"
    )


def test_editing_a_missing_record_is_refused(git_catalog: GitCatalog) -> None:
    root = git_catalog()
    with Committer(root) as c, pytest.raises(RecordError, match="does not exist at the branch"):
        c.apply([Edit(NEW, fn=lambda tree: None)], "edit nothing")


def test_unchanged_content_makes_no_commit(git_catalog: GitCatalog) -> None:
    root = git_catalog()
    same = (root / "records/tags/raw.yaml").read_bytes()
    with Committer(root) as c:
        result = c.apply([Edit("records/tags/raw.yaml", same)], "no-op", batch_id="b-1")
    assert (result.sha, result.applied, result.changed) == (None, True, [])
    assert git(root, "rev-list", "--count", "HEAD") == "1\n"


def test_person_committing_meanwhile_is_kept_and_batch_reapplied(
    git_catalog: GitCatalog, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A person commits in the working tree after the batch's commit object is written
    but before the branch moves (the committer's own hook point): compare-and-swap sees
    the branch moved, and the batch lands on top of the person's commit."""
    root = git_catalog()
    real = catalog.committer.crash_point

    def person_commits(point: str) -> None:
        if point == "after-commit-object" and not (root / "records/tags/human.yaml").exists():
            write_files(root, {"records/tags/human.yaml": tag_yaml("human")})
            git(root, "add", "records/tags/human.yaml")
            git(root, "commit", "-q", "-m", "person", "--", "records/tags/human.yaml")
        real(point)

    monkeypatch.setattr(catalog.committer, "crash_point", person_commits)
    with Committer(root) as c:
        result = c.apply([Edit(NEW, tag_yaml("new").encode())], "bot", batch_id="b-1")
    log = git(root, "log", "--format=%s", "--name-only").split()
    assert log[:4] == ["bot", NEW, "person", "records/tags/human.yaml"]
    assert git(root, "rev-parse", "HEAD~1:records/tags/human.yaml")
    assert result.sha == git(root, "rev-parse", "HEAD").strip()
    assert git(root, "status", "--porcelain") == ""


def test_staged_work_of_a_person_stays_out_of_the_commit(git_catalog: GitCatalog) -> None:
    root = git_catalog()
    write_files(root, {"records/tags/draft.yaml": tag_yaml("draft")})
    git(root, "add", "records/tags/draft.yaml")
    with Committer(root) as c:
        c.apply([Edit(NEW, tag_yaml("new").encode())], "bot")
    assert git(root, "show", "--name-only", "--format=", "HEAD") == f"{NEW}\n"
    assert git(root, "status", "--porcelain") == "A  records/tags/draft.yaml\n"


def test_branch_not_checked_out_is_committed_without_touching_files(
    git_catalog: GitCatalog,
) -> None:
    root = git_catalog()
    git(root, "branch", "bot")
    with Committer(root, branch="bot") as c:
        c.apply([Edit(NEW, tag_yaml("new").encode())], "bot")
    assert show(root, "bot", NEW) == tag_yaml("new")
    assert not (root / NEW).exists()
    assert git(root, "rev-list", "--count", "main") == "1\n"


def test_identity_and_branch_come_from_catalog_yaml(git_catalog: GitCatalog) -> None:
    root = git_catalog(
        {"catalog.yaml": "name: test\ngit:\n  author: {name: Sync, email: sync@lab.example}\n"}
    )
    with Committer(root) as c:
        c.apply([Edit(NEW, tag_yaml("new").encode())], "bot")
    assert git(root, "log", "-1", "--format=%an <%ae>|%cn") == "Sync <sync@lab.example>|Sync\n"


def test_detached_head_needs_a_branch(git_catalog: GitCatalog) -> None:
    root = git_catalog()
    git(root, "checkout", "-q", "--detach")
    with pytest.raises(GitError, match="no branch checked out"):
        Committer(root)


def test_not_a_repository_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(GitError, match="is not a git repository"):
        Committer(tmp_path)


def test_first_commit_of_a_new_catalog(tmp_path: Path) -> None:
    init_catalog(tmp_path / "new")
    with Committer(tmp_path / "new") as c:
        result = c.apply([Edit(NEW, tag_yaml("new").encode())], "First record")
    root = tmp_path / "new"
    assert git(root, "log", "--format=%s") == "First record\n"
    assert git(root, "ls-tree", "-r", "--name-only", "HEAD") == f"{NEW}\n"
    assert result.sha == git(root, "rev-parse", "main").strip()
