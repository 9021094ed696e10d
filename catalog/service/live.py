"""The records the service works with, kept current as commits and pulls change them."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Mapping
from pathlib import Path

from catalog.models.workers import Worker
from catalog.problems import Problem, count_errors
from catalog.records import Entry, Records
from catalog.store import load_file
from catalog.validate import validate

log = logging.getLogger(__name__)


class LiveRecords:
    """The catalog's records in memory; swapped whole, so readers never see half an update."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._lock = threading.Lock()
        self._records = Records([])
        self._version = 0
        self.problems: list[Problem] = []

    @property
    def records(self) -> Records:
        """The current records (a snapshot: later updates replace it, never change it)."""
        return self._records

    def reload(self) -> list[Problem]:
        """Load and check the whole catalog; keep the old records if it has errors."""
        while True:
            seen = self._version
            result = validate(self.root)
            with self._lock:
                if self._version != seen:
                    continue  # a commit was applied meanwhile: what we read may predate it
                self.problems = result.problems
                if count_errors(result.problems) and len(self._records):
                    log.warning(
                        "the catalog has %d error(s); the service keeps the records it had",
                        count_errors(result.problems),
                    )
                    return result.problems
                self._records = result.records
                self._version += 1
            return result.problems

    def refresh(self, paths: Iterable[str], entries: Mapping[str, Entry] | None = None) -> None:
        """Take the records at ``paths`` (changed by a commit of the service) from ``entries``,
        which the committer validated, or else re-read their files."""
        changed = set(paths)
        if not changed:
            return
        with self._lock:
            keep: dict[str, Entry] = {
                e.path: e for e in self._records.entries if e.path not in changed
            }
            for rel in changed:
                if entries is not None and rel in entries:
                    keep[rel] = entries[rel]
                elif (self.root / rel).is_file():
                    entry = load_file(self.root, rel).entry
                    if entry is not None:
                        keep[rel] = entry
            self._records = Records([keep[p] for p in sorted(keep)])
            self._version += 1

    def worker(self, name: str) -> Worker | None:
        """The worker record called ``name``, or None."""
        entry = self._records.get("worker", name)
        return entry.model if entry is not None and isinstance(entry.model, Worker) else None
