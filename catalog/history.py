"""Who changed a record, when and why — field by field — from one pass over ``git log``.

One ``git log --raw -M`` over records/ gives, for every commit, the files it touched with
their blob ids before and after, renames included. Walking it newest first while following
each record's earlier names yields every record's history at once; a record's field-level
changes come from parsing the two blob versions with the catalog's loader and diffing the
data. Reads go through GitPython; every ``Repo`` is closed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import git

from catalog.config import load_config
from catalog.errors import CatalogError, RecordError
from catalog.fielddiff import FieldChange, diff_data
from catalog.gitcmd import ZERO_SHA, list_tree, open_repo, read_blobs
from catalog.models import KINDS
from catalog.records import Entry
from catalog.store import RECORDS_DIR, SUFFIXES, load_file, load_records
from catalog.yamlio import load_bytes

_FORMAT = "--format=%x1e%H%x1f%aI%x1f%an%x1f%s"
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\Z")
_STATUS = {"A": "added", "M": "modified", "T": "modified", "D": "deleted", "R": "renamed"}


@dataclass(frozen=True)
class CommitInfo:
    """A commit as people see it in a history."""

    sha: str
    date: str
    """Author date, ISO 8601."""
    author: str
    message: str
    """Subject line."""


@dataclass(frozen=True)
class FileChange:
    """One file touched by one commit, with blob ids (None: absent on that side)."""

    status: str
    old_path: str
    new_path: str
    old_blob: str | None
    new_blob: str | None


@dataclass(frozen=True)
class HistoryEntry:
    """One commit in a record's history, with the fields it changed."""

    commit: CommitInfo
    status: str
    """added, modified, renamed or deleted."""
    path: str
    """The record's path after the commit (before it, for a deletion)."""
    old_path: str
    changes: list[FieldChange] = field(default_factory=list)
    note: str = ""
    """Why field changes are missing, e.g. a version that did not parse."""


def _parse_log(stream: Iterable[bytes]) -> Iterator[tuple[CommitInfo, list[FileChange]]]:
    buf = b""
    for chunk in stream:
        buf += chunk
        *complete, buf = buf.split(b"\x1e")
        for record in complete:
            if record:
                yield _parse_commit(record)
    if buf:
        yield _parse_commit(buf)


def _parse_commit(record: bytes) -> tuple[CommitInfo, list[FileChange]]:
    header, _, rest = record.partition(b"\0")
    sha, date, author, subject = header.decode("utf-8", "replace").split("\x1f", 3)
    tokens = rest.lstrip(b"\n").split(b"\0")
    changes: list[FileChange] = []
    i = 0
    while i < len(tokens) and tokens[i].startswith(b":"):
        meta = tokens[i].decode().split()
        old_blob, new_blob, status = meta[2], meta[3], meta[4][0]
        if status in "RC":
            old, new = tokens[i + 1].decode(), tokens[i + 2].decode()
            i += 3
        else:
            old = new = tokens[i + 1].decode()
            i += 2
        changes.append(
            FileChange(
                "A" if status == "C" else status,
                old,
                new,
                None if old_blob == ZERO_SHA or status == "C" else old_blob,
                None if new_blob == ZERO_SHA else new_blob,
            )
        )
    return CommitInfo(sha, date, author, subject), changes


def _stream(repo: git.Repo, *args: str) -> Iterator[bytes]:
    """stdout of a git command in chunks; the process is ended when the caller stops."""
    handle = repo.git.execute(["git", *args], as_process=True)
    proc = handle.proc  # keep ``handle`` referenced: dropping it kills the process
    assert proc is not None
    assert proc.stdout is not None
    try:
        while chunk := proc.stdout.read(1 << 16):
            yield chunk
    finally:
        proc.kill()
        proc.wait()
        proc.stdout.close()
        if proc.stderr is not None:
            proc.stderr.close()
        del handle


def _walk(
    repo: git.Repo, rev: str, paths: Iterable[str], limit: int | None
) -> dict[str, list[tuple[CommitInfo, FileChange]]]:
    """For each path (at ``rev``), the commits that touched it, following renames."""
    found: dict[str, list[tuple[CommitInfo, FileChange]]] = {p: [] for p in paths}
    alias = {p: p for p in found}  # name in the commit being read → path at rev
    open_keys = len(found)
    args = ["log", "--raw", "-z", "-M", "--no-abbrev", _FORMAT, rev, "--", RECORDS_DIR]
    for info, changes in _parse_log(_stream(repo, *args)):
        for ch in changes:
            key = alias.get(ch.new_path) if ch.status != "D" else alias.get(ch.old_path)
            if key is None:
                continue
            hits = found[key]
            if limit is not None and len(hits) >= limit:
                continue
            hits.append((info, ch))
            if limit is not None and len(hits) == limit:
                open_keys -= 1
            if ch.status == "R":
                del alias[ch.new_path]
                alias[ch.old_path] = key
            elif ch.status == "A":
                del alias[ch.new_path]  # older commits' file of that name is another record
        if limit is not None and open_keys == 0:
            break
    return found


def _walk_one(
    repo: git.Repo, rev: str, path: str, limit: int | None
) -> list[tuple[CommitInfo, FileChange]]:
    """The commits that touched one file, following renames: a ``git log`` limited to the
    file's name (fast: git skips every other path), and where the file first appears, a
    rename check of that one commit to carry on under the earlier name."""
    hits: list[tuple[CommitInfo, FileChange]] = []
    name = path
    while True:
        args = ["log", "--raw", "-z", "--no-abbrev", _FORMAT, rev, "--", name]
        origin: tuple[str, str] | None = None
        for info, changes in _parse_log(_stream(repo, *args)):
            ch = next((c for c in changes if c.new_path == name), None)
            if ch is None:
                continue  # a merge: no diff of its own
            if ch.status == "A":
                ch = _renamed_to(repo, info.sha, name) or ch
            hits.append((info, ch))
            if limit is not None and len(hits) >= limit:
                return hits
            if ch.status == "A":
                return hits
            if ch.status == "R":
                origin = (f"{info.sha}^", ch.old_path)
                break
        if origin is None:
            return hits
        rev, name = origin


def _renamed_to(repo: git.Repo, sha: str, path: str) -> FileChange | None:
    """The rename that created ``path`` in commit ``sha``, if it was one."""
    raw = repo.git.diff_tree(
        "-r", "-z", "-M", "--raw", "--no-abbrev", "--no-commit-id", "--root", sha
    )
    tokens = raw.split("\0")
    i = 0
    while i < len(tokens) - 1:
        meta = tokens[i].split()
        if len(meta) >= 5 and meta[4].startswith("R"):
            if tokens[i + 2] == path:
                return FileChange("R", tokens[i + 1], path, meta[2], meta[3])
            i += 3
        else:
            i += 2
    return None


def _head(repo: git.Repo) -> str | None:
    try:
        return str(repo.head.commit.hexsha)
    except ValueError:  # no commit yet
        return None


def file_histories(
    root: Path, paths: Iterable[str] | None = None, limit_per_path: int = 10
) -> dict[str, list[CommitInfo]]:
    """The latest commits that touched each record file (default: every one at HEAD)."""
    with open_repo(root) as repo:
        head = _head(repo)
        if head is None:
            return {p: [] for p in paths or []}
        keys = list(paths) if paths is not None else list(list_tree(repo, head, RECORDS_DIR))
        found = _walk(repo, head, keys, limit_per_path)
    return {p: [info for info, _ in hits] for p, hits in found.items()}


def recent_commits(root: Path, n: int = 20) -> list[CommitInfo]:
    """The ``n`` newest commits of HEAD."""
    with open_repo(root) as repo:
        if _head(repo) is None:
            return []
        out = repo.git.log(f"-n{n}", "--format=%H%x1f%aI%x1f%an%x1f%s", "HEAD")
    return [CommitInfo(*line.split("\x1f", 3)) for line in out.splitlines() if line]


def record_history(root: Path, path: str, limit: int | None = None) -> list[HistoryEntry]:
    """Every commit that touched the record at ``path``, newest first, with field changes."""
    with open_repo(root) as repo:
        head = _head(repo)
        if head is None:
            return []
        hits = _walk_one(repo, head, path, limit)
        blobs = read_blobs(
            repo, [b for _, ch in hits for b in (ch.old_blob, ch.new_blob) if b is not None]
        )
    out = []
    for info, ch in hits:
        changes: list[FieldChange] = []
        note = ""
        if ch.status not in "AD":
            try:
                old = load_bytes(blobs[ch.old_blob or ""], ch.old_path).data
                new = load_bytes(blobs[ch.new_blob or ""], ch.new_path).data
                changes = diff_data(old, new)
            except RecordError as exc:
                note = f"a version does not parse ({exc.message}); fields not compared"
        where = ch.old_path if ch.status == "D" else ch.new_path
        out.append(HistoryEntry(info, _STATUS[ch.status], where, ch.old_path, changes, note))
    return out


def _names(e: Entry) -> tuple[object, ...]:
    """What a record can be called on the command line: name, key (datasets), uuid."""
    return (getattr(e.model, "name", None), e.model.key(), getattr(e.model, "uuid", None))


def find_record(root: Path, target: str) -> tuple[str, Entry | None]:
    """The file of the record named by ``target``: a path, a uuid, or ``kind/name``."""
    root = root.resolve()
    if target.endswith(SUFFIXES):
        candidate = Path(target)
        for base in (Path.cwd(), root):
            full = (base / candidate).resolve()
            if full.is_relative_to(root) and (full.exists() or base == root):
                rel = full.relative_to(root).as_posix()
                return rel, load_file(root, rel).entry if full.exists() else None
    config = load_config(root)
    records, _problems = load_records(config.root, cache_dir=config.state_path / "cache")
    if _UUID.match(target) and target in records.by_uuid:
        e = records.by_uuid[target]
        return e.path, e
    kind, _, name = target.partition("/")
    if kind in KINDS and name:
        matches = [e for e in records.by_kind[kind] if name in _names(e)]
    else:
        matches = [e for e in records if target in _names(e)]
    if len(matches) == 1:
        return matches[0].path, matches[0]
    if not matches:
        raise CatalogError(
            f"no record '{target}' in {root}. Give a file path (also for deleted records), "
            "a uuid, or kind/name such as tag/raw."
        )
    options = ", ".join(f"{e.kind}/{e.model.key()}" for e in matches[:8])
    raise CatalogError(f"'{target}' names {len(matches)} records: {options}. Say which.")


__all__ = [
    "CommitInfo",
    "FileChange",
    "HistoryEntry",
    "file_histories",
    "find_record",
    "recent_commits",
    "record_history",
]
