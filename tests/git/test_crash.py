"""SIGKILL at every named crash point and at random moments: nothing breaks, nothing is lost.

Each writer is a real process (forked from a fork server, see driver.py) that drains a
queue of batches through the committer. After every kill the service's start-up runs
(``recover``) and ``check_restart`` asserts: ``git fsck --full --strict`` clean, no lock or
temp file left, working tree equal to HEAD, every record valid, and every batch either
committed whole exactly once or still queued. A restarted writer then replays the queue,
and each batch ends up committed exactly once.
"""

from __future__ import annotations

import multiprocessing.context
import random
import signal
import time
from pathlib import Path

import pytest

from catalog.crashpoints import POINTS
from catalog.gitrepo import Committer, Edit
from tests.git.conftest import batch_ids, git
from tests.git.driver import Batch, drain, enqueue, pending, writers
from tests.git.reliability import (
    TAGS,
    build_template,
    check_restart,
    copy_repo,
    kill_group,
    make_remote,
    read_many,
    tag_text,
)

PUSH_POINTS = ("during-push", "after-push")


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The catalog every scenario starts from (copied, never changed)."""
    return build_template(tmp_path_factory.mktemp("template"))


@pytest.fixture(scope="module")
def ctx() -> multiprocessing.context.ForkServerContext:
    """Where writer processes come from."""
    return writers()


def batch_of(size: int, note: str) -> Batch:
    """``size`` edits: new content for t1..t<size-1> (beyond t49: new files), t0 deleted."""
    files: Batch = {f"records/tags/t{i}.yaml": tag_text(i, note) for i in range(1, max(size, 2))}
    if size > 1:
        files["records/tags/t0.yaml"] = None
    return files


def run_writer(
    ctx: multiprocessing.context.ForkServerContext,
    root: Path,
    queue: Path,
    crash_at: str = "",
    remote: str = "",
) -> int | None:
    p = ctx.Process(target=drain, args=(str(root), str(queue), crash_at, remote))
    p.start()
    p.join(60)
    return p.exitcode


@pytest.mark.slow
@pytest.mark.parametrize("size", [1, 10, 100])
@pytest.mark.parametrize("point", POINTS)
def test_crash_point(
    point: str,
    size: int,
    template: Path,
    tmp_path: Path,
    ctx: multiprocessing.context.ForkServerContext,
) -> None:
    remote = ""
    if point in PUSH_POINTS:
        # The remote moved on meanwhile, so the push has to rebase.
        bare, root = make_remote(template, tmp_path)
        other = copy_repo(root, tmp_path / "other")
        (other / "records/tags/other.yaml").write_text("kind: tag\nname: other\n")
        git(other, "add", "-A")
        git(other, "commit", "-q", "-m", "someone else")
        git(other, "push", "-q", "origin", "main")
        remote = "origin"
    else:
        root = copy_repo(template, tmp_path / "repo")
    queue = tmp_path / "queue"
    files = batch_of(size, f"batch at {point}")
    enqueue(queue, 0, "b0", files)

    assert run_writer(ctx, root, queue, crash_at=point, remote=remote) == -signal.SIGKILL
    check_restart(root, queue, {"b0": files})
    assert run_writer(ctx, root, queue, remote=remote) == 0
    check_restart(root, queue, {"b0": files})
    assert batch_ids(root) == ["b0"]
    assert pending(queue) == []
    assert read_many(root, [f"HEAD:{p}" for p in files]) == list(files.values())
    if remote:
        assert batch_ids(bare, "main") == ["b0"]
        assert git(bare, "rev-parse", "main") == git(root, "rev-parse", "HEAD")


@pytest.mark.slow
def test_random_kills(
    template: Path, tmp_path: Path, ctx: multiprocessing.context.ForkServerContext
) -> None:
    rng = random.Random(20240501)
    root = copy_repo(template, tmp_path / "repo")
    queue = tmp_path / "queue"
    batches: dict[str, Batch] = {}

    def refill(n: int) -> None:
        for _ in range(n):
            seq = len(batches)
            picks = rng.sample(range(TAGS + 10), rng.choice([1, 2, 3, 5]))
            files: Batch = {f"records/tags/t{i}.yaml": tag_text(i, f"b{seq}") for i in picks}
            if len(picks) > 1 and rng.random() < 0.3:  # never a batch that changes nothing
                files[f"records/tags/t{picks[0]}.yaml"] = None
            batches[f"b{seq}"] = files
            enqueue(queue, seq, f"b{seq}", files)

    refill(200)
    for _kill in range(100):
        if len(pending(queue)) < 20:
            refill(100)
        ready = ctx.Event()
        p = ctx.Process(target=drain, args=(str(root), str(queue), "", "", ready))
        p.start()
        if rng.random() < 0.8:  # most kills hit a writer at work, the rest its start-up
            ready.wait(30)
        time.sleep(rng.uniform(0.0, 0.15))
        assert p.pid is not None
        kill_group(p.pid)
        p.join(30)
        assert p.exitcode in (0, -signal.SIGKILL)
        check_restart(root, queue, batches)
    assert len(batch_ids(root)) >= 50  # the kills hit writers at work, not only at start-up
    assert run_writer(ctx, root, queue) == 0
    check_restart(root, queue, batches)
    assert sorted(batch_ids(root)) == sorted(batches)


def test_next_batch_realigns_the_files_of_a_crashed_one(
    template: Path, tmp_path: Path, ctx: multiprocessing.context.ForkServerContext
) -> None:
    """Even without ``recover``, the next batch puts a crashed batch's files back in line."""
    root = copy_repo(template, tmp_path / "repo")
    queue = tmp_path / "queue"
    enqueue(queue, 0, "b0", batch_of(10, "crashed"))
    assert run_writer(ctx, root, queue, crash_at="after-rename") == -signal.SIGKILL
    assert git(root, "status", "--porcelain") != ""
    with Committer(root) as c:
        c.apply([Edit("records/tags/other.yaml", tag_text(99, "other").encode())], "other")
    assert git(root, "status", "--porcelain") == ""
    assert (root / "records/tags/t1.yaml").read_text() == tag_text(1, "start")
