"""Record-level differences between two revisions of the catalog.

The files that differ come from git (renames detected); each side's version is read from
git and parsed and validated with the catalog's own loader, so both sides are judged by
the same rules as ``catalog validate``. Records are matched across the change by file
(same path or a detected rename), then — for files that moved beyond recognition — by
identity: a dataset by its uuid, any other record by kind and name.

Only changed files are parsed; ``Side.records`` loads whole kinds on demand for the rules
that need the rest of the catalog (who still references a deleted tag).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import git

from catalog.errors import RecordError
from catalog.fielddiff import FieldChange, diff_data
from catalog.gitcmd import changed_files, list_tree, merge_base, open_repo, read_blobs, resolve
from catalog.problems import Problem
from catalog.records import Entry, Records
from catalog.store import RECORDS_DIR, SUFFIXES, check_document, kind_of
from catalog.yamlio import Document, load_bytes

Status = Literal["added", "removed", "changed"]


@dataclass(slots=True)
class Version:
    """One record file as it is at one revision."""

    path: str
    blob: str
    doc: Document | None
    entry: Entry | None
    problems: list[Problem]

    @property
    def kind(self) -> str:
        """The kind its folder stands for (or the kind it claims, outside kind folders)."""
        claimed = self.doc.data.get("kind") if self.doc else None
        return kind_of(self.path) or str(claimed or "?")

    @property
    def identity(self) -> tuple[str, str] | None:
        """(kind, uuid) for records with a uuid, else (kind, name)."""
        data = self.doc.data if self.doc else {}
        key = data.get("uuid") or data.get("name")
        return (self.kind, str(key)) if key is not None else None

    @property
    def label(self) -> str:
        """How the record is named in summaries."""
        data = self.doc.data if self.doc else {}
        if self.entry is not None:
            name = self.entry.model.key()
        else:
            name = str(data.get("name") or self.path.rsplit("/", 1)[-1])
        uid = data.get("uuid")
        return f"{self.kind} {name}" + (f" (uuid {uid})" if uid else "")


def is_record_file(path: str) -> bool:
    """Whether a path in a tree is a record file (what ``store.iter_record_files`` lists)."""
    parts = path.split("/")
    return (
        parts[0] == RECORDS_DIR
        and path.endswith(SUFFIXES)
        and not any(p.startswith(".") for p in parts)
    )


class Side:
    """The record files of one revision, parsed on demand (and shared with the other side)."""

    def __init__(self, repo: git.Repo, rev: str, memo: dict[tuple[str, str], Version]) -> None:
        self.repo = repo
        self.rev = rev
        self.tree = {
            p: b for p, b in list_tree(repo, rev, RECORDS_DIR).items() if is_record_file(p)
        }
        self._memo = memo
        self._all: dict[frozenset[str], Records] = {}

    def versions(self, paths: list[str]) -> dict[str, Version]:
        """Parsed versions of ``paths`` that exist at this revision."""
        wanted = [(p, self.tree[p]) for p in paths if p in self.tree]
        todo = [(p, b) for p, b in wanted if (p, b) not in self._memo]
        blobs = read_blobs(self.repo, [b for _, b in todo])
        for p, b in todo:
            self._memo[(p, b)] = _parse(p, b, blobs[b])
        return {p: self._memo[(p, b)] for p, b in wanted}

    def version(self, path: str) -> Version | None:
        """The parsed version of one path, or None."""
        return self.versions([path]).get(path)

    def records(self, kinds: set[str]) -> Records:
        """Every valid record of ``kinds`` at this revision."""
        key = frozenset(kinds)
        if key not in self._all:
            paths = [p for p in self.tree if kind_of(p) in kinds]
            found = self.versions(paths)
            self._all[key] = Records([v.entry for v in found.values() if v.entry is not None])
        return self._all[key]


def _parse(path: str, blob: str, raw: bytes) -> Version:
    try:
        doc = load_bytes(raw, path)
    except RecordError as exc:
        return Version(path, blob, None, None, [Problem.from_error(exc, "yaml")])
    result = check_document(path, doc)
    placed = [p.at(*doc.where(p.where)) if not p.line else p for p in result.problems]
    return Version(path, blob, doc, result.entry, placed)


@dataclass(slots=True)
class RecordChange:
    """One record added, removed or changed between two revisions."""

    status: Status
    old: Version | None
    new: Version | None
    fields: list[FieldChange] = field(default_factory=list)
    note: str = ""

    @property
    def current(self) -> Version:
        """The newest version there is."""
        v = self.new or self.old
        assert v is not None
        return v

    @property
    def moved(self) -> bool:
        """Whether the record's file was renamed."""
        return self.old is not None and self.new is not None and self.old.path != self.new.path

    def summary(self) -> str:
        """One line: ``revision v1 → v2; tags +2024_paper; file record added on s3``."""
        parts = []
        if self.moved:
            assert self.old is not None
            parts.append(f"moved from {self.old.path}")
        parts += summarize(self.fields)
        if self.note:
            parts.append(self.note)
        return "; ".join(parts)

    def as_json(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        v = self.current
        data = v.doc.data if v.doc else {}
        return {
            "status": self.status,
            "kind": v.kind,
            "record": v.label,
            "uuid": data.get("uuid"),
            "old_path": self.old.path if self.old else None,
            "new_path": self.new.path if self.new else None,
            "summary": self.summary(),
            "fields": [f.as_json() for f in self.fields],
        }


def summarize(fields: list[FieldChange]) -> list[str]:
    """Phrases like ``revision v1 → v2``, ``tags +2024_paper -raw``, ``file record added on
    s3``; values added to and removed from one list share a phrase."""
    out: list[str] = []
    lists: dict[str, list[str]] = {}
    for f in fields:
        subject, what = f.parts()
        if f.item and subject:
            if subject not in lists:
                lists[subject] = []
                out.append(subject)  # placeholder, filled below
            lists[subject].append(what)
        else:
            out.append(f"{subject} {what}" if subject else what)
    return [f"{o} {' '.join(lists[o])}" if o in lists else o for o in out]


def diff_revisions(base: Side, head: Side) -> list[RecordChange]:
    """Records added, removed and changed from ``base`` to ``head``, sorted by path."""
    files = [
        (st, old, new)
        for st, old, new in changed_files(base.repo, base.rev, head.rev, RECORDS_DIR)
        if is_record_file(old or new)
    ]
    olds = base.versions([old for _, old, _ in files if old])
    news = head.versions([new for _, _, new in files if new])
    pairs: list[tuple[Version | None, Version | None]] = []
    gone: list[Version] = []
    came: list[Version] = []
    for _status, old, new in files:
        o, n = olds.get(old), news.get(new)
        if o is not None and n is not None:
            pairs.append((o, n))
        elif o is not None:
            gone.append(o)
        elif n is not None:
            came.append(n)
    by_id = {v.identity: v for v in came if v.identity is not None}
    for o in gone:
        n = by_id.pop(o.identity, None) if o.identity is not None else None
        pairs.append((o, n))
        if n is not None:
            came.remove(n)
    pairs += [(None, n) for n in came]
    changes = [_change(o, n) for o, n in pairs]
    changes.sort(key=lambda c: c.current.path)
    return changes


def _change(old: Version | None, new: Version | None) -> RecordChange:
    if old is None:
        return RecordChange("added", None, new)
    if new is None:
        return RecordChange("removed", old, None)
    if old.doc is None or new.doc is None:
        return RecordChange("changed", old, new, note="a version does not parse; see its errors")
    return RecordChange("changed", old, new, diff_data(old.doc.data, new.doc.data))


@dataclass(slots=True)
class RevisionDiff:
    """The record-level changes from one commit to another."""

    base: str
    head: str
    changes: list[RecordChange]

    def counts(self) -> dict[str, int]:
        """How many records were added, removed and changed."""
        out = {"added": 0, "removed": 0, "changed": 0}
        for c in self.changes:
            out[c.status] += 1
        return out


def endpoints(repo: git.Repo, base: str, head: str, *, use_merge_base: bool) -> tuple[str, str]:
    """Commit ids of BASE and HEAD; BASE becomes their merge base (like ``git diff A...B``)."""
    head_sha = resolve(repo, head)
    base_sha = resolve(repo, base)
    if use_merge_base:
        base_sha = merge_base(repo, base_sha, head_sha)
    return base_sha, head_sha


def diff(root: Path, base: str, head: str = "HEAD", *, use_merge_base: bool = True) -> RevisionDiff:
    """Records added, removed and changed between two revisions of the catalog at ``root``."""
    with open_repo(root) as repo:
        base_sha, head_sha = endpoints(repo, base, head, use_merge_base=use_merge_base)
        memo: dict[tuple[str, str], Version] = {}
        changes = diff_revisions(Side(repo, base_sha, memo), Side(repo, head_sha, memo))
    return RevisionDiff(base_sha, head_sha, changes)
