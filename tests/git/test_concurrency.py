"""Many writers at once: 8 processes × 200 commits and 16 threads × 50 in one process."""

from __future__ import annotations

import subprocess
import threading

import pytest

from tests.git.conftest import GitCatalog, batch_ids, git
from tests.git.driver import commit_many, writers


@pytest.mark.slow
def test_every_change_lands_once_in_a_linear_history(git_catalog: GitCatalog) -> None:
    root = git_catalog()
    ctx = writers()
    procs = [ctx.Process(target=commit_many, args=(str(root), f"p{i}", 200)) for i in range(8)]
    for p in procs:
        p.start()
    failed: list[BaseException] = []

    def threads() -> None:
        try:
            commit_many(str(root), "t", 50, threads=16, session=False)
        except BaseException as exc:
            failed.append(exc)

    runner = threading.Thread(target=threads)
    runner.start()
    runner.join()
    for p in procs:
        p.join(600)
    assert [p.exitcode for p in procs] == [0] * 8
    assert failed == []
    expected = {f"p{i}-0-{n}" for i in range(8) for n in range(200)}
    expected |= {f"t-{t}-{n}" for t in range(16) for n in range(50)}
    ids = batch_ids(root)
    assert len(ids) == len(set(ids)) == 2400
    assert set(ids) == expected
    assert git(root, "rev-list", "--merges", "HEAD") == ""
    assert git(root, "rev-list", "--count", "HEAD") == "2401\n"
    files = git(root, "ls-tree", "--name-only", "HEAD", "records/tags/").split()
    assert {f"records/tags/{b}.yaml" for b in expected} <= set(files)
    assert git(root, "status", "--porcelain") == ""
    fsck = subprocess.run(["git", "fsck", "--strict"], cwd=root, capture_output=True, check=False)
    assert fsck.returncode == 0
