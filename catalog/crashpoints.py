"""Named crash points of the committer, for proving that a crash anywhere is harmless.

Setting ``CATALOG_CRASH_AT=<point>`` makes the process kill itself with SIGKILL when it
reaches that point — no clean-up, no ``finally`` blocks, exactly like a power cut of the
process. The reliability tests restart the writer afterwards and check that the repository
is valid and every batch is either committed once or still pending. Unset (the normal
case), a crash point costs one dictionary lookup.

Points, in the order a batch passes them:

``before-temp-write``  records read and validated, nothing written yet
``after-temp-write``   new record contents written to temporary files
``after-fsync``        temporary files flushed to disk
``after-rename``       temporary files renamed over the record files
``after-index-write``  the git index updated
``after-commit-object`` the commit object written (no branch points at it yet)
``after-update-ref``   the branch moved to the new commit
``after-mark-done``    the caller marked the batch done in its queue (called by the caller)
``during-push``        rebased onto the remote, local branch moved, not yet pushed
``after-push``         the remote accepted the push
"""

from __future__ import annotations

import os
import signal

ENV_VAR = "CATALOG_CRASH_AT"

POINTS = (
    "before-temp-write",
    "after-temp-write",
    "after-fsync",
    "after-rename",
    "after-index-write",
    "after-commit-object",
    "after-update-ref",
    "after-mark-done",
    "during-push",
    "after-push",
)


def crash_point(name: str) -> None:
    """SIGKILL this process if ``CATALOG_CRASH_AT`` names this point."""
    if os.environ.get(ENV_VAR) == name:
        os.kill(os.getpid(), signal.SIGKILL)
