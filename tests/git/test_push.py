"""Pushing to a real bare repository that refuses non-fast-forwards: fetch, rebase, retry.

The remote is a bare repository in a temp folder, reached over the file system with
``git push`` — real git on both ends; only the network host is missing.
"""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from catalog.errors import GitError
from catalog.gitrepo import Committer, Edit
from tests.git.conftest import batch_ids, git, show
from tests.git.driver import commit_many, writers
from tests.git.reliability import build_template, copy_repo, make_remote

RAW = "records/tags/raw.yaml"


@pytest.fixture
def remote(tmp_path: Path) -> tuple[Path, Path, Path]:
    """(bare remote, clone A, clone B) of a small catalog."""
    template = build_template(tmp_path / "template")
    bare, a = make_remote(template, tmp_path)
    b = copy_repo(a, tmp_path / "b")
    return bare, a, b


def fast_forwards_only(bare: Path) -> bool:
    """Whether every update in the bare repository's reflog of main was a fast-forward."""
    log = (bare / "logs/refs/heads/main").read_text().splitlines()
    for line in log:
        old, new = line.split()[:2]
        if set(old) != {"0"}:
            ancestor = git(bare, "merge-base", "--is-ancestor", old, new) == ""
            if not ancestor:
                return False
    return len(log) > 1


@pytest.mark.slow
def test_concurrent_pushes_all_land_as_fast_forwards(remote: tuple[Path, Path, Path]) -> None:
    bare, a, b = remote
    other = writers().Process(target=commit_many, args=(str(b), "b", 50, "origin"))
    other.start()
    failed: list[BaseException] = []

    def mine() -> None:
        try:
            commit_many(str(a), "a", 50, remote="origin", session=False)
        except BaseException as exc:
            failed.append(exc)

    me = threading.Thread(target=mine)
    me.start()
    me.join()
    other.join(600)
    assert (other.exitcode, failed) == (0, [])
    for clone in (a, b):
        with Committer(clone, remote="origin") as c:
            c.push()  # the last fetch-and-rebase for whoever pushed first
    ids = batch_ids(bare, "main")
    assert sorted(ids) == sorted([f"a-0-{i}" for i in range(50)] + [f"b-0-{i}" for i in range(50)])
    assert git(bare, "rev-list", "--merges", "main") == ""
    assert fast_forwards_only(bare)
    assert git(a, "status", "--porcelain") == ""
    assert (a / "records/tags/b-0-49.yaml").exists()


def test_edits_to_different_lines_of_one_record_merge(remote: tuple[Path, Path, Path]) -> None:
    bare, a, b = remote
    t1 = "records/tags/t1.yaml"
    with Committer(b, remote="origin") as theirs:
        theirs.apply([Edit(t1, b"kind: tag\nname: t1\ndescription: theirs\n")], "describe")
        theirs.push()
    with Committer(a, remote="origin") as mine:
        mine_text = b"kind: tag\npublic: true\nname: t1\ndescription: start\n"
        mine.apply([Edit(t1, mine_text)], "publish", batch_id="m1")
        mine.push()
    merged = "kind: tag\npublic: true\nname: t1\ndescription: theirs\n"
    assert show(bare, "main", t1) == merged
    assert (a / t1).read_text() == merged
    assert batch_ids(bare, "main") == ["m1"]
    assert git(a, "status", "--porcelain") == ""


def test_true_conflict_is_reported_and_nothing_is_dropped(
    remote: tuple[Path, Path, Path],
) -> None:
    bare, a, b = remote
    with Committer(b, remote="origin") as theirs:
        theirs.apply([Edit(RAW, b"kind: tag\nname: raw\ndescription: theirs\n")], "theirs")
        theirs.push()
    remote_tip = git(bare, "rev-parse", "main")
    with Committer(a, remote="origin") as mine:
        mine.apply([Edit(RAW, b"kind: tag\nname: raw\ndescription: mine\n")], "mine", batch_id="m1")
        with pytest.raises(GitError) as info:
            mine.push()
    assert str(info.value).startswith(
        "cannot rebase 'mine' onto origin/main: records/tags/raw.yaml was changed on both sides"
    )
    assert git(bare, "rev-parse", "main") == remote_tip
    assert batch_ids(a) == ["m1"]
    assert (a / RAW).read_text() == "kind: tag\nname: raw\ndescription: mine\n"


def test_merge_that_breaks_a_record_is_a_conflict(remote: tuple[Path, Path, Path]) -> None:
    """Both sides add the same key in different places: git merges the text cleanly, but
    the result has a duplicate key, so the rebase stops instead of committing it."""
    _bare, a, b = remote
    t1 = "records/tags/t1.yaml"
    with Committer(b, remote="origin") as theirs:
        theirs.apply([Edit(t1, b"kind: tag\nprotected: true\nname: t1\ndescription: start\n")], "p")
        theirs.push()
    with Committer(a, remote="origin") as mine:
        mine.apply([Edit(t1, b"kind: tag\nname: t1\ndescription: start\nprotected: false\n")], "u")
        with pytest.raises(GitError) as info:
            mine.push()
    assert "records/tags/t1.yaml gives an invalid record (line 5: duplicate key" in str(info.value)


def test_no_remote_is_a_clear_error(tmp_path: Path) -> None:
    root = build_template(tmp_path / "repo")
    with Committer(root) as c, pytest.raises(GitError, match="no remote to push to"):
        c.push()


def test_remote_files_come_in_with_their_modes(remote: tuple[Path, Path, Path]) -> None:
    _bare, a, b = remote
    script = b / "scripts/check.sh"
    script.parent.mkdir()
    script.write_text("#!/bin/sh\necho ok\n")
    script.chmod(0o755)
    git(b, "add", "scripts/check.sh")
    git(b, "commit", "-q", "-m", "add a script")
    git(b, "push", "-q", "origin", "main")
    with Committer(a, remote="origin") as mine:
        mine.apply([Edit("records/tags/t1.yaml", b"kind: tag\nname: t1\n")], "mine")
        mine.push()
    assert (a / "scripts/check.sh").stat().st_mode & 0o777 == 0o755
    assert git(a, "status", "--porcelain") == ""


def test_a_remote_that_refuses_is_reported_with_its_reason(
    remote: tuple[Path, Path, Path],
) -> None:
    bare, a, _b = remote
    hook = bare / "hooks/pre-receive"
    hook.write_text("#!/bin/sh\necho 'records are frozen for the release' >&2\nexit 1\n")
    hook.chmod(0o755)
    with Committer(a, remote="origin") as mine:
        mine.apply([Edit("records/tags/t1.yaml", b"kind: tag\nname: t1\n")], "mine")
        with pytest.raises(GitError, match="records are frozen for the release"):
            mine.push()
