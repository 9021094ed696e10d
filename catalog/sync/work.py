"""How much work a sync does: its counters and the progress callback it reports to.

Kept apart from reconcile.py so that a run which reuses the last findings (snapshot.py) can
say what it did without importing the record layer.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

Progress = Callable[[int, int, int, int], None]
"""Called with (files done, files to hash, bytes done, bytes to hash)."""


@dataclass(slots=True)
class Counters:
    """How much work the run did: what it hashed and what it could skip."""

    hashed_files: int = 0
    hashed_bytes: int = 0
    from_cache: int = 0
    from_etag: int = 0
    resumed: int = 0
    hash_seconds: float = 0.0
    """Wall time spent hashing (all threads together)."""
