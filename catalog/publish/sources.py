"""Facts the site shows that are not in the records: git history and the latest sync report."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from catalog.errors import CatalogError
from catalog.gitrepo import CommitInfo, file_histories, recent_commits
from catalog.sync.report import (
    FileReport,
    RepositoryReport,
    SyncReport,
    parse_report,
    read_latest,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Commit:
    """One commit as the site shows it."""

    sha: str
    date: str
    author: str
    message: str


@dataclass(slots=True)
class History:
    """Last commits per record file, and the catalog's most recent commits."""

    files: dict[str, list[Commit]] = field(default_factory=dict)
    recent: list[Commit] = field(default_factory=list)


def _commit(info: CommitInfo) -> Commit:
    return Commit(sha=info.sha, date=info.date, author=info.author, message=info.message)


def load_history(root: Path, paths: Iterable[str] | None = None, *, per_file: int = 10) -> History:
    """Per-file history (one ``git log`` pass) and recent commits; empty outside git."""
    if not (root / ".git").exists():
        return History()
    try:
        files = file_histories(root, paths, limit_per_path=per_file)
        recent = recent_commits(root, 20)
    except CatalogError as exc:
        log.warning("no history on the site: %s", exc)
        return History()
    return History(
        files={p: [_commit(c) for c in cs] for p, cs in files.items()},
        recent=[_commit(c) for c in recent],
    )


@dataclass(slots=True)
class SyncFacts:
    """The latest sync report, indexed for pages: per file copy and per repository."""

    finished: str = ""
    files: dict[tuple[str, str, str], FileReport] = field(default_factory=dict)
    repositories: dict[str, RepositoryReport] = field(default_factory=dict)
    digest: bytes = b""
    """Identifies the report (a digest of its file): pages that show it change with it."""

    @classmethod
    def from_report(cls, report: SyncReport | None, digest: bytes = b"") -> SyncFacts:
        """Index a report (None: no sync has run, nothing to show)."""
        if report is None:
            return cls()
        files = {(f.dataset, f.repository, f.relative_path): f for f in report.files}
        return cls(report.finished, files, dict(report.repositories), digest)

    def status(self, uuid: str, repository: str, relative_path: str) -> FileReport | None:
        """What the last sync found for one copy of a dataset, if it looked."""
        return self.files.get((uuid, repository, relative_path))


def load_sync(state_path: Path) -> SyncFacts:
    """The latest sync report under the state folder, indexed (empty when there is none)."""
    raw = read_latest(state_path)
    if raw is None:
        return SyncFacts()
    digest = hashlib.blake2b(raw, digest_size=16).digest()
    return SyncFacts.from_report(parse_report(raw), digest)
