"""1,000 commits leave no helper process and no file descriptor behind."""

from __future__ import annotations

import os

import pytest

from catalog.gitrepo import Committer, Edit, file_histories, recent_commits, record_history
from tests.git.conftest import GitCatalog, tag_yaml


def children() -> list[int]:
    """Pids of this process's live children (every thread's)."""
    pids: list[int] = []
    for task in os.listdir("/proc/self/task"):
        with open(f"/proc/self/task/{task}/children") as fh:
            pids += [int(p) for p in fh.read().split()]
    return sorted(pids)


def open_fds() -> int:
    """Number of open file descriptors of this process."""
    return len(os.listdir("/proc/self/fd"))


@pytest.mark.slow
def test_thousand_commits_leave_no_process_or_descriptor_behind(git_catalog: GitCatalog) -> None:
    root = git_catalog()
    before_children, before_fds = children(), open_fds()
    with Committer(root) as c:
        for i in range(1000):
            path = f"records/tags/t{i % 20}.yaml"
            c.apply(
                [Edit(path, tag_yaml(f"t{i % 20}", f"v{i}").encode())], f"c{i}", batch_id=f"r{i}"
            )
            assert children() == before_children, f"after commit {i}"
            if i % 100 == 99:
                # The read side, through GitPython, must not leave a `git cat-file` running.
                assert len(file_histories(root, [path], limit_per_path=3)[path]) == 3
                assert recent_commits(root, 5)[0].message == f"c{i}"
                assert record_history(root, path, limit=2)[0].changes
                assert children() == before_children, f"after reading at commit {i}"
    assert open_fds() - before_fds <= 5
