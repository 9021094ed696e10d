"""git lock files: a killed git's lock is cleared, a running git's lock is never touched."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from catalog.errors import GitError
from catalog.gitrepo import Committer, Edit, recover
from tests.git.conftest import GitCatalog, git, tag_yaml
from tests.git.reliability import kill_group

NEW = "records/tags/new.yaml"


@pytest.fixture
def git_holding_index_lock(git_catalog: GitCatalog) -> Iterator[tuple[Path, int]]:
    """A real ``git commit -a`` waiting for its editor, holding index.lock; (root, pid)."""
    root = git_catalog()
    (root / "records/tags/raw.yaml").write_text(tag_yaml("raw", "edited by hand"))
    proc = subprocess.Popen(
        ["git", "commit", "-a"],
        cwd=root,
        env=os.environ | {"GIT_EDITOR": "sleep 60;:"},
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while not (root / ".git/index.lock").exists() and time.monotonic() < deadline:
        time.sleep(0.01)
    assert (root / ".git/index.lock").exists()
    yield root, proc.pid
    kill_group(proc.pid)
    proc.wait()


def test_lock_of_a_killed_git_is_cleared_within_two_intervals(
    git_holding_index_lock: tuple[Path, int],
) -> None:
    root, pid = git_holding_index_lock
    kill_group(pid)
    assert (root / ".git/index.lock").exists()
    with Committer(root, lock_wait=1.0) as c:
        start = time.monotonic()
        result = c.apply([Edit(NEW, tag_yaml("new").encode())], "after a crash")
        elapsed = time.monotonic() - start
    assert elapsed < 2 * 1.0
    assert result.sha == git(root, "rev-parse", "HEAD").strip()
    assert not (root / ".git/index.lock").exists()
    assert git(root, "status", "--porcelain") == " M records/tags/raw.yaml\n"


def test_lock_of_a_running_git_is_never_removed(
    git_holding_index_lock: tuple[Path, int],
) -> None:
    root, pid = git_holding_index_lock
    with (
        Committer(root, lock_wait=0.2, lock_timeout=1.0) as c,
        pytest.raises(GitError, match=rf"held by a running git \(pid {pid}\)"),
    ):
        c.apply([Edit(NEW, tag_yaml("new").encode())], "while a person commits")
    recover(root)
    assert (root / ".git/index.lock").exists()
    assert git(root, "rev-list", "--count", "HEAD") == "1\n"
    assert not (root / NEW).exists()


def test_stale_branch_lock_is_cleared(git_catalog: GitCatalog) -> None:
    root = git_catalog()
    (root / ".git/refs/heads/main.lock").write_text("left by a killed git\n")
    with Committer(root, lock_wait=0.2) as c:
        c.apply([Edit(NEW, tag_yaml("new").encode())], "after a crash")
    assert git(root, "log", "-1", "--format=%s") == "after a crash\n"
    assert not (root / ".git/refs/heads/main.lock").exists()


def test_writers_wait_for_each_other(git_catalog: GitCatalog) -> None:
    """A second process holding the writer lock makes apply wait, then give up clearly."""
    root = git_catalog()
    holder = subprocess.Popen(
        ["flock", str(root / ".git/catalog.lock"), "sleep", "30"], start_new_session=True
    )
    try:
        deadline = time.monotonic() + 5
        while not (root / ".git/catalog.lock").exists() and time.monotonic() < deadline:
            time.sleep(0.01)
        time.sleep(0.1)
        with (
            Committer(root, lock_timeout=0.5) as c,
            pytest.raises(GitError, match="another catalog writer held"),
        ):
            c.apply([Edit(NEW, tag_yaml("new").encode())], "blocked")
    finally:
        os.killpg(holder.pid, signal.SIGKILL)
        holder.wait()
    with Committer(root, lock_timeout=5) as c:
        assert c.apply([Edit(NEW, tag_yaml("new").encode())], "free again").sha


def test_a_reading_git_does_not_keep_a_stale_lock(git_catalog: GitCatalog) -> None:
    """GitPython keeps `git cat-file` running in the repository; it never holds a lock."""
    root = git_catalog()
    reader = subprocess.Popen(["git", "cat-file", "--batch"], cwd=root, stdin=subprocess.PIPE)
    try:
        (root / ".git/index.lock").write_text("")
        with Committer(root, lock_wait=0.2, lock_timeout=5) as c:
            assert c.apply([Edit(NEW, tag_yaml("new").encode())], "while reading").sha
    finally:
        assert reader.stdin is not None
        reader.stdin.close()
        reader.wait()
