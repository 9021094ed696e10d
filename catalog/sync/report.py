"""The sync report: what one `catalog sync` found, as JSON under ``<state>/reports/``.

Each run writes ``reports/<timestamp>.json`` and replaces ``reports/latest.json`` (both
atomically); the site and the service read the latest one with :func:`load_latest`.

::

    {"version": 1, "started": "ISO", "finished": "ISO",
     "repositories": {"<name>": {"status": "ok|unreachable|denied|misconfigured|skipped",
                                 "message": "", "counts": {"verified": 0, ...}}},
     "files": [{"dataset": "<uuid>", "repository": "<name>", "relative_path": "…",
                "status": "verified|…", "checked": "ISO", "verified_at": "ISO or null",
                "detail": ""}],
     "orphans": [{"repository": "<name>", "relative_path": "…", "size": 0, "detail": ""}]}
"""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal, cast

from catalog.atomic import TEMP_PREFIX, atomic_write, fsync_dir

REPORT_VERSION = 1
"""Format version of the report JSON; readers ignore reports of another version."""

REPORTS_DIR = "reports"
LATEST = "latest.json"
KEEP = 200
"""Timestamped reports kept at most; older ones are deleted (a report per run adds up)."""
KEEP_BYTES = 512 << 20
"""Older reports go once the newer ones fill this much: at 100,000 datasets one report is
some 20 MB, and 200 of them would fill 4 GB."""
KEEP_AT_LEAST = 5
"""The newest reports kept whatever their size."""

RepoStatus = Literal["ok", "unreachable", "denied", "misconfigured", "skipped"]
"""How looking at a whole repository went."""

FileStatus = Literal[
    "verified", "unverified", "missing", "size_mismatch", "hash_mismatch", "unreachable"
]
"""What sync found for one copy of a dataset's file."""

FILE_STATUSES: tuple[FileStatus, ...] = (
    "verified",
    "unverified",
    "missing",
    "size_mismatch",
    "hash_mismatch",
    "unreachable",
)
REPO_STATUSES: tuple[RepoStatus, ...] = ("ok", "unreachable", "denied", "misconfigured", "skipped")
PROBLEM_STATUSES: frozenset[str] = frozenset({"missing", "size_mismatch", "hash_mismatch"})
"""Statuses that make `catalog sync` exit 1: the copy is not what the record says."""


def now_iso() -> str:
    """The current time in UTC, ISO 8601 with seconds and a Z."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def empty_counts() -> dict[str, int]:
    """A zero count for every file status."""
    return dict.fromkeys(FILE_STATUSES, 0)


@dataclass(slots=True)
class RepositoryReport:
    """How one repository was looked at, and how many of its copies got each status."""

    status: RepoStatus = "ok"
    message: str = ""
    counts: dict[str, int] = field(default_factory=empty_counts)


@dataclass(slots=True)
class FileReport:
    """What sync found for one file record (one copy of one dataset)."""

    dataset: str
    repository: str
    relative_path: str
    status: FileStatus
    checked: str
    verified_at: str | None = None
    detail: str = ""


@dataclass(slots=True)
class Orphan:
    """A file found in a repository that no file record names."""

    repository: str
    relative_path: str
    size: int
    detail: str = ""
    """Why it was not registered (with --register), e.g. "matches no dataset type"."""


@dataclass(slots=True)
class SyncReport:
    """One sync run: per-repository status and counts, per-file findings, orphans."""

    started: str = field(default_factory=now_iso)
    finished: str = ""
    repositories: dict[str, RepositoryReport] = field(default_factory=dict)
    files: list[FileReport] = field(default_factory=list)
    orphans: list[Orphan] = field(default_factory=list)
    version: int = REPORT_VERSION

    def add(self, finding: FileReport) -> None:
        """Record one file's finding and count it under its repository."""
        self.files.append(finding)
        repo = self.repositories.get(finding.repository)
        if repo is None:
            repo = self.repositories[finding.repository] = RepositoryReport()
        repo.counts[finding.status] = repo.counts.get(finding.status, 0) + 1

    def problems(self) -> list[FileReport]:
        """Copies that are missing or do not match their record (these make sync exit 1)."""
        return [f for f in self.files if f.status in PROBLEM_STATUSES]

    def totals(self) -> dict[str, int]:
        """Counts per file status over every repository."""
        out = empty_counts()
        for f in self.files:
            out[f.status] += 1
        return out

    def to_json(self) -> dict[str, Any]:
        """The report as the JSON object described in the module docstring."""
        # Plain comprehensions, not dataclasses.asdict: a million files must stay cheap.
        return {
            "version": self.version,
            "started": self.started,
            "finished": self.finished,
            "repositories": {
                k: {"status": v.status, "message": v.message, "counts": dict(v.counts)}
                for k, v in self.repositories.items()
            },
            "files": [
                {
                    "dataset": f.dataset,
                    "repository": f.repository,
                    "relative_path": f.relative_path,
                    "status": f.status,
                    "checked": f.checked,
                    "verified_at": f.verified_at,
                    "detail": f.detail,
                }
                for f in self.files
            ],
            "orphans": [
                {
                    "repository": o.repository,
                    "relative_path": o.relative_path,
                    "size": o.size,
                    "detail": o.detail,
                }
                for o in self.orphans
            ],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> SyncReport:
        """Rebuild a report from its JSON object (unknown keys are ignored)."""
        repos = {
            str(name): RepositoryReport(
                status=cast(RepoStatus, r.get("status", "ok")),
                message=str(r.get("message", "")),
                counts={**empty_counts(), **{str(k): int(v) for k, v in r["counts"].items()}},
            )
            for name, r in data.get("repositories", {}).items()
        }
        try:
            # Our own reports have exactly the fields: the fast path for large reports.
            files = [FileReport(**f) for f in data.get("files", [])]
        except TypeError:
            files = [
                FileReport(
                    dataset=str(f["dataset"]),
                    repository=str(f["repository"]),
                    relative_path=str(f["relative_path"]),
                    status=cast(FileStatus, f["status"]),
                    checked=str(f.get("checked", "")),
                    verified_at=f.get("verified_at"),
                    detail=str(f.get("detail", "")),
                )
                for f in data.get("files", [])
            ]
        orphans = [
            Orphan(
                str(o["repository"]),
                str(o["relative_path"]),
                int(o.get("size", 0)),
                str(o.get("detail", "")),
            )
            for o in data.get("orphans", [])
        ]
        return cls(
            started=str(data.get("started", "")),
            finished=str(data.get("finished", "")),
            repositories=repos,
            files=files,
            orphans=orphans,
            version=int(data.get("version", REPORT_VERSION)),
        )


def stamp_of(iso: str) -> str:
    """A report's file name stem for a time: sortable and safe everywhere."""
    # 2024-05-01T12:00:00Z → 20240501T120000Z
    return iso.replace("-", "").replace(":", "") or "unknown"


def report_bytes(report: SyncReport) -> bytes:
    """The report as written to disk: compact JSON, one line."""
    # Compact JSON goes through the C encoder (an indented dump does not).
    return (json.dumps(report.to_json(), separators=(",", ":")) + "\n").encode("utf-8")


def write_report(state_path: Path, report: SyncReport) -> Path:
    """Write ``report`` to ``reports/<timestamp>.json`` and ``reports/latest.json``."""
    if not report.finished:
        report.finished = now_iso()
    return write_report_bytes(state_path, report_bytes(report), report.finished)


def write_report_bytes(state_path: Path, raw: bytes, finished: str) -> Path:
    """Write a report already encoded as ``reports/<timestamp>.json`` and ``latest.json``."""
    folder = state_path / REPORTS_DIR
    stamp = stamp_of(finished)
    path = folder / f"{stamp}.json"
    n = 1
    while path.exists():  # two runs in the same second keep both reports
        n += 1
        path = folder / f"{stamp}-{n}.json"
    atomic_write(path, raw)
    _link_latest(path, folder / LATEST, raw)
    prune(folder)
    return path


def _link_latest(path: Path, latest: Path, raw: bytes) -> None:
    # latest.json is a second name for the file just written (reports are never changed in
    # place): a link renamed over the old one is as atomic as a copy, without writing and
    # syncing the bytes twice. Where links are not supported, a copy.
    tmp = latest.with_name(f"{TEMP_PREFIX}{secrets.token_hex(6)}")
    try:
        os.link(path, tmp)
        os.replace(tmp, latest)
    except OSError:
        tmp.unlink(missing_ok=True)
        atomic_write(latest, raw)
        return
    fsync_dir(latest.parent)


def prune(folder: Path, keep: int = KEEP, budget: int = KEEP_BYTES) -> None:
    """Keep the newest ``keep`` timestamped reports in ``folder`` that fit in ``budget``
    bytes together (the newest ``KEEP_AT_LEAST`` always); delete the rest."""
    reports = sorted(
        (p for p in folder.glob("*.json") if p.name != LATEST), key=_report_order, reverse=True
    )
    used = 0
    for n, p in enumerate(reports):
        try:
            used += p.stat().st_size
        except FileNotFoundError:
            continue
        if n >= keep or (n >= KEEP_AT_LEAST and used > budget):
            p.unlink(missing_ok=True)


def _report_order(path: Path) -> tuple[str, int]:
    # '20240501T120000Z-2' is the second report of that second: after the plain one.
    stem, _, n = path.stem.partition("-")
    return stem, int(n) if n.isdigit() else 1


def load_latest(state_path: Path) -> SyncReport | None:
    """The latest report under ``state_path``, or None when there is none (or it is unreadable)."""
    raw = read_latest(state_path)
    return parse_report(raw) if raw is not None else None


def read_latest(state_path: Path) -> bytes | None:
    """The bytes of the latest report under ``state_path`` (None when there is none)."""
    try:
        return (state_path / REPORTS_DIR / LATEST).read_bytes()
    except OSError:
        return None


def parse_report(raw: bytes) -> SyncReport | None:
    """A report from its JSON bytes, or None when they are not a report of this version."""
    try:
        data = json.loads(raw)
    except ValueError:
        return None
    if not isinstance(data, dict) or data.get("version") != REPORT_VERSION:
        return None
    try:
        return SyncReport.from_json(data)
    except (KeyError, TypeError, ValueError, AttributeError):
        return None
