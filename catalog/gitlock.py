"""Locks around the repository: the committer's own lock, and git's ``*.lock`` files.

The committer's lock (``.git/catalog.lock``) serializes every writer: threads of one
process queue on a ``threading.Lock``, processes on ``flock``. The kernel drops an
``flock`` when its process dies, so a killed writer never blocks the next one. The file
is removed on release (after checking that it is still the file we locked), so nothing
is left behind between commits.

git's own lock files (``index.lock``, ``refs/heads/main.lock``, ...) are different: git
creates them exclusively and a killed git leaves them behind forever. ``wait_for_git_lock``
waits one interval for such a file to go, then removes it only when no live git process
works in this repository — a lock held by a running git is never touched.
"""

from __future__ import annotations

import fcntl
import logging
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from catalog.errors import GitError

log = logging.getLogger(__name__)

LOCK_NAME = "catalog.lock"
"""The committer's lock file, inside the .git folder."""

_MUTEXES: dict[str, threading.Lock] = {}
_MUTEXES_GUARD = threading.Lock()


def _forget_mutexes() -> None:
    # A child forked while another thread held a mutex would inherit it locked forever.
    global _MUTEXES_GUARD
    _MUTEXES.clear()
    _MUTEXES_GUARD = threading.Lock()


os.register_at_fork(after_in_child=_forget_mutexes)


def _mutex(key: str) -> threading.Lock:
    with _MUTEXES_GUARD:
        return _MUTEXES.setdefault(key, threading.Lock())


@contextmanager
def writer_lock(git_dir: Path, timeout: float) -> Iterator[None]:
    """Hold the repository's writer lock (threads and processes); GitError after timeout."""
    deadline = time.monotonic() + timeout
    mutex = _mutex(str(git_dir))
    if not mutex.acquire(timeout=max(timeout, 0.0)):
        raise GitError(f"another thread kept the catalog writer lock of {git_dir} for {timeout}s")
    try:
        fd = _flock(git_dir / LOCK_NAME, deadline, timeout)
        try:
            yield
        finally:
            # Unlink while still holding the flock: a waiter that opened the old file sees
            # that its inode is gone and opens the path again.
            try:
                os.unlink(git_dir / LOCK_NAME)
            except FileNotFoundError:
                pass
            os.close(fd)
    finally:
        mutex.release()


def _flock(path: Path, deadline: float, timeout: float) -> int:
    pause = 0.0005
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            if time.monotonic() >= deadline:
                raise GitError(
                    f"another catalog writer held {path} for more than {timeout}s; "
                    "is a sync or service process stuck?"
                ) from None
            time.sleep(pause)
            pause = min(pause * 2, 0.01)
            continue
        try:
            same = os.fstat(fd).st_ino == os.stat(path).st_ino
        except FileNotFoundError:
            same = False
        if same:
            os.ftruncate(fd, 0)
            os.write(fd, f"{os.getpid()}\n".encode())
            return fd
        os.close(fd)


def try_writer_lock(git_dir: Path) -> int | None:
    """The writer lock's fd if it is free right now, else None (for start-up clean-up)."""
    try:
        return _flock(git_dir / LOCK_NAME, time.monotonic(), 0.0)
    except GitError:
        return None


def release_writer_lock(git_dir: Path, fd: int) -> None:
    """Release a lock taken by ``try_writer_lock``."""
    try:
        os.unlink(git_dir / LOCK_NAME)
    except FileNotFoundError:
        pass
    os.close(fd)


# ---------------------------------------------------------------- git's lock files


_READ_ONLY = frozenset(
    (b"cat-file", b"log", b"rev-list", b"ls-tree", b"diff-tree", b"show", b"rev-parse")
)
"""git commands that never take a lock (GitPython keeps ``git cat-file`` helpers alive)."""


def live_git_pids(worktree: Path, git_dir: Path, lock: Path | None = None) -> list[int]:
    """Pids of running git processes that work in this repository or hold ``lock`` open.

    git closes a lock file's descriptor while it keeps the lock (``git commit`` waiting for
    its editor holds ``index.lock`` with no open descriptor), so any git process whose
    current folder is inside the repository counts as a possible holder.
    """
    me = os.getpid()
    places = (str(worktree), str(git_dir))
    target = str(lock) if lock is not None else None
    found: list[int] = []
    try:
        entries = os.listdir("/proc")
    except OSError:  # pragma: no cover - not Linux: assume someone may hold it
        return [-1]
    for entry in entries:
        if not entry.isdigit() or int(entry) == me:
            continue
        try:
            if _holds(f"/proc/{entry}", places, target):
                found.append(int(entry))
        except OSError:
            continue  # the process ended, or is not ours to look at
    return found


def _holds(proc: str, places: tuple[str, ...], target: str | None) -> bool:
    with open(f"{proc}/comm", "rb") as fh:
        if not fh.read().startswith(b"git"):
            return False
    with open(f"{proc}/cmdline", "rb") as fh:
        argv = fh.read().split(b"\0")
    if len(argv) > 1 and argv[1] in _READ_ONLY:
        return False
    cwd = os.readlink(f"{proc}/cwd")
    if any(cwd == p or cwd.startswith(p + os.sep) for p in places):
        return True
    if target is not None:
        return any(os.readlink(f"{proc}/fd/{fd}") == target for fd in os.listdir(f"{proc}/fd"))
    return False


def wait_for_git_lock(
    lock: Path, worktree: Path, git_dir: Path, *, interval: float, timeout: float
) -> None:
    """Return once git's ``lock`` is gone; remove it after ``interval`` if no git holds it.

    Raises GitError when a live git keeps it longer than ``timeout``.
    """
    if not lock.exists():
        return
    start = time.monotonic()
    while lock.exists():
        waited = time.monotonic() - start
        if waited >= interval:
            holders = live_git_pids(worktree, git_dir, lock)
            if not holders:
                remove_stale(lock)
                return
            if waited >= timeout:
                pids = ", ".join(str(p) for p in holders)
                raise GitError(
                    f"{lock} is held by a running git (pid {pids}) for more than {timeout:.0f}s. "
                    "Let it finish, or stop it; the catalog never removes a live lock."
                )
        time.sleep(min(0.02, max(interval / 20, 0.001)))


def remove_stale(lock: Path) -> None:
    """Remove a lock file that a killed git left behind."""
    try:
        lock.unlink()
    except FileNotFoundError:
        return
    log.warning("removed stale git lock %s (no git process was holding it)", lock)


def git_lock_files(git_dir: Path) -> list[Path]:
    """git's lock files in the repository: index, HEAD, refs, config, packed-refs, ..."""
    found = [p for p in git_dir.glob("*.lock") if p.name != LOCK_NAME]
    refs = git_dir / "refs"
    if refs.is_dir():
        found += list(refs.rglob("*.lock"))
    return found
