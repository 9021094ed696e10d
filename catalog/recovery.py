"""Start-up clean-up after a crash of a writer (``recover``).

Whatever was killed when, the repository's history is valid: the branch moves in one
atomic step. What a killed writer can leave behind is clutter and a working tree that
lags or leads the branch; ``recover`` removes the first and realigns the second:

- our temp files (``.catalog-tmp-*``) under records/, our private indexes' leftovers;
- git's lock files (``index.lock``, ``refs/heads/<branch>.lock``, ...) and half-written
  object files, but only when no git process is running in the repository;
- the journal: files a batch or a push was writing get the branch tip's content again.
"""

from __future__ import annotations

import logging
from pathlib import Path

from catalog.atomic import remove_leftovers
from catalog.committer import JOURNAL_NAME, Committer
from catalog.gitcmd import git_dir
from catalog.gitlock import git_lock_files, live_git_pids, remove_stale, writer_lock
from catalog.gitpush import REBASE_INDEX
from catalog.store import RECORDS_DIR

log = logging.getLogger(__name__)


def recover(root: Path, *, timeout: float = 60.0) -> None:
    """Clear stale locks and temp files, and realign files an interrupted write touched."""
    root = Path(root).resolve()
    gd = git_dir(root)
    with writer_lock(gd, timeout):
        if (root / RECORDS_DIR).is_dir():
            n = remove_leftovers(root / RECORDS_DIR)
            if n:
                log.warning("removed %d temporary file(s) left by an interrupted write", n)
        holders = live_git_pids(root, gd)
        if holders:
            log.warning(
                "git is running in %s (pid %s); leaving its lock files alone",
                root,
                ", ".join(map(str, holders)),
            )
        else:
            for lock in git_lock_files(gd):
                remove_stale(lock)
            _remove_object_temps(gd)
        (gd / REBASE_INDEX).unlink(missing_ok=True)
        (gd / f"{JOURNAL_NAME}.tmp").unlink(missing_ok=True)
        journal = gd / JOURNAL_NAME
        if journal.exists():
            ref = journal.read_text("utf-8").split("\n", 1)[0]
            committer = Committer(
                root, branch=ref.removeprefix("refs/heads/"), lock_timeout=timeout
            )
            committer.finish_journal()
            log.warning("realigned the files of an interrupted write with %s", ref)


def _remove_object_temps(gd: Path) -> None:
    """Half-written object files of a killed git (git itself ignores them)."""
    objects = gd / "objects"
    if not objects.is_dir():
        return
    for pattern in ("tmp_obj_*", "*/tmp_obj_*", "pack/tmp_*"):
        for p in objects.glob(pattern):
            p.unlink(missing_ok=True)
