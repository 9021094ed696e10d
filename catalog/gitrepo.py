"""Git as the catalog's database: the serialized committer and the read-side history.

This module is the one import for everything git (see the modules for the details):

- writing — ``Committer`` applies a batch of ``Edit`` objects as one commit, serialized
  across threads and processes, crash-safe, with compare-and-swap on the branch and a
  ``Catalog-Batch`` trailer that makes replays no-ops (``catalog.committer``); ``push``
  fetches, rebases and retries, never forces (``catalog.gitpush``); ``recover`` cleans up
  after a crash at start-up (``catalog.recovery``);
- reading — ``file_histories`` and ``recent_commits`` from one ``git log`` pass, and
  ``record_history`` with field-level changes (``catalog.history``);
- comparing — ``diff`` of two revisions record by record (``catalog.recorddiff``) and
  ``check_change``, the rules a pull request must keep (``catalog.changecheck``).
"""

from __future__ import annotations

from catalog.changecheck import ChangeCheck, check_change
from catalog.committer import TRAILER, CommitResult, Committer, Edit
from catalog.crashpoints import crash_point
from catalog.history import (
    CommitInfo,
    HistoryEntry,
    file_histories,
    find_record,
    recent_commits,
    record_history,
)
from catalog.recorddiff import RecordChange, RevisionDiff, diff
from catalog.recovery import recover

__all__ = [
    "TRAILER",
    "ChangeCheck",
    "CommitInfo",
    "CommitResult",
    "Committer",
    "Edit",
    "HistoryEntry",
    "RecordChange",
    "RevisionDiff",
    "check_change",
    "crash_point",
    "diff",
    "file_histories",
    "find_record",
    "recent_commits",
    "record_history",
    "recover",
]
