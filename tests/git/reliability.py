"""What must hold after a writer is killed and the service starts again."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from collections.abc import Iterable
from pathlib import Path

from catalog.gitrepo import recover
from catalog.validate import validate
from tests.conftest import BASE_FILES, git, write_files
from tests.git.driver import Batch, pending

TAGS = 50


def tag_text(i: int, note: str) -> str:
    """Tag t<i> with a description that says which batch wrote it."""
    return f"kind: tag\nname: t{i}\ndescription: {note}\n"


def build_template(root: Path) -> Path:
    """A committed catalog: the base records and tags t0..t49."""
    tags = {f"records/tags/t{i}.yaml": tag_text(i, "start") for i in range(TAGS)}
    write_files(root, dict(BASE_FILES) | tags)
    git(root, "init", "-q", "--initial-branch=main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "initial catalog")
    return root


def copy_repo(template: Path, dest: Path) -> Path:
    """A private copy of the template repository."""
    shutil.copytree(template, dest, symlinks=True)
    return dest


def make_remote(template: Path, tmp: Path) -> tuple[Path, Path]:
    """A bare remote that refuses non-fast-forwards, and a clone of it (the writer's)."""
    bare = tmp / "remote.git"
    git(tmp, "clone", "-q", "--bare", str(template), str(bare))
    git(bare, "config", "receive.denyNonFastForwards", "true")
    git(bare, "config", "core.logAllRefUpdates", "true")
    clone = tmp / "clone"
    git(tmp, "clone", "-q", str(bare), str(clone))
    return bare, clone


def kill_group(pid: int) -> None:
    """SIGKILL a writer and the git processes it started, and wait until they are gone."""
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    deadline = time.monotonic() + 10
    while _group_alive(pid) and time.monotonic() < deadline:
        time.sleep(0.005)


def _group_alive(pgid: int) -> bool:
    """Whether any process of the group still runs (zombies do not count)."""
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as fh:
                stat = fh.read()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        if int(fields[2]) == pgid and fields[0] != "Z":
            return True
    return False


def leftovers(root: Path) -> list[str]:
    """Lock and temp files that must not survive start-up."""
    gd = root / ".git"
    found = [p for p in gd.rglob("*.lock")]
    found += [p for p in (root / "records").rglob(".catalog-tmp-*")]
    found += [p for p in (gd / "objects").rglob("tmp_*")]
    return sorted(str(p.relative_to(root)) for p in found)


def read_many(root: Path, specs: Iterable[str]) -> list[str | None]:
    """Content of ``<rev>:<path>`` for each spec (None: absent), through one git process."""
    specs = list(specs)
    proc = subprocess.run(
        ["git", "cat-file", "--batch"],
        cwd=root,
        input="".join(f"{s}\n" for s in specs).encode(),
        capture_output=True,
        check=True,
    )
    out: list[str | None] = []
    data = proc.stdout
    for _ in specs:
        header, _, data = data.partition(b"\n")
        if header.endswith(b" missing"):
            out.append(None)
            continue
        size = int(header.split()[2])
        out.append(data[:size].decode())
        data = data[size + 1 :]
    return out


def commits_by_batch(root: Path) -> dict[str, list[tuple[str, set[str]]]]:
    """batch id → the commits that carry it, each with the files it changed (one git log)."""
    out: dict[str, list[tuple[str, set[str]]]] = {}
    fmt = "--format=%x01%H%x00%(trailers:key=Catalog-Batch,valueonly)%x00"
    for record in git(root, "log", fmt, "--name-only").split("\x01")[1:]:
        sha, ids, files = record.split("\0", 2)
        for bid in ids.split():
            out.setdefault(bid, []).append((sha, set(files.split())))
    return out


def check_restart(root: Path, queue: Path, batches: dict[str, Batch]) -> None:
    """Start up as the service would, then check everything a crash must not break."""
    recover(root)
    assert leftovers(root) == []
    fsck = subprocess.run(
        ["git", "fsck", "--full", "--strict", "--no-dangling"],
        cwd=root,
        capture_output=True,
        text=True,
        check=False,
    )
    assert fsck.returncode == 0, fsck.stdout + fsck.stderr
    assert git(root, "status", "--porcelain") == ""
    problems = validate(root, use_cache=False).problems
    assert problems == []
    queued = {str(b["id"]) for b in pending(queue)}
    carried = commits_by_batch(root)
    specs = []
    for bid, files in batches.items():
        commits = carried.get(bid, [])
        assert len(commits) <= 1, f"batch {bid} committed {len(commits)} times"
        if not commits:
            assert bid in queued, f"batch {bid} is neither committed nor queued"
            continue
        sha, changed = commits[0]
        # Whole and alone: the commit changed only this batch's files ...
        assert changed <= set(files), f"{bid} changed {changed - set(files)}"
        specs += [(f"{sha}:{p}", c) for p, c in files.items()]
    # ... and holds every one of them.
    got = read_many(root, [s for s, _ in specs])
    assert got == [c for _, c in specs]
