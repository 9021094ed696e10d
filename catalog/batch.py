"""A batch of record edits: what it holds, how it is checked, and how its commit is named.

``apply_edits`` turns the current content of the files and a batch of edits into the new
content, refusing the whole batch if any changed file fails the catalog's loader.
``BatchIds`` remembers which batch ids the branch's history holds (the ``Catalog-Batch``
trailer), so that a replayed batch is a no-op.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from catalog.checks.naming import path_problem
from catalog.errors import GitError, RecordError, SchemaError, YAMLSyntaxError
from catalog.gitcmd import read_object, run_git
from catalog.records import Entry
from catalog.store import RECORDS_DIR, SUFFIXES, check_bytes, edit_bytes
from catalog.treecache import TreeCache

TRAILER = "Catalog-Batch"
"""Commit trailer that carries a batch id; its presence in history makes a replay a no-op."""

_BATCH_ID = re.compile(r"[A-Za-z0-9._:@/+=-]{1,200}\Z")


@dataclass(frozen=True)
class Edit:
    """One change to a record file: new content, a round-trip edit, or (neither) a deletion."""

    path: str
    """Posix path relative to the catalog root, e.g. records/tags/raw.yaml."""
    content: bytes | None = None
    """The file's new full content; None (and no fn) deletes the file."""
    fn: Callable[[Any], None] | None = None
    """Round-trip edit of the current file's YAML tree, applied under the lock."""


@dataclass(frozen=True)
class CommitResult:
    """What ``Committer.apply`` did."""

    sha: str | None
    """The new commit, or None when nothing changed or the batch was applied before."""
    batch_id: str | None
    applied: bool
    """False when this batch id was already in the history (a replay)."""
    changed: list[str]
    """Paths changed by the commit."""
    entries: dict[str, Entry] = field(default_factory=dict)
    """The validated records of the changed files as committed (deleted files have none)."""


def check_batch_id(batch_id: str | None) -> None:
    """Batch ids go into commit trailers: one line of plain characters."""
    if batch_id is not None and not _BATCH_ID.match(batch_id):
        raise GitError(f"batch id '{batch_id}' may only hold letters, digits and ._:@/+=-")


def check_edit(e: Edit) -> None:
    """Refuse an edit that names no record file or gives both content and fn."""
    if e.content is not None and e.fn is not None:
        raise ValueError(f"edit of {e.path}: give content or fn, not both")
    why = path_problem(e.path)
    if why is None and not (e.path.startswith(f"{RECORDS_DIR}/") and e.path.endswith(SUFFIXES)):
        why = f"is not a record file (records/<kind folder>/…{SUFFIXES[0]})"
    if why is not None:
        raise RecordError(e.path, 1, 1, f"path {why}", hint="Pass a path like records/tags/x.yaml.")


def apply_edits(
    before: dict[str, bytes | None], edits: Sequence[Edit], trees: TreeCache | None = None
) -> tuple[dict[str, bytes | None], dict[str, Entry]]:
    """The new content of every path, and the validated records of the changed files
    (deleted ones have none); raises RecordError if any changed file is invalid.

    With ``trees``, round-trip edits reuse the trees kept from earlier edits of the same
    content (and keep theirs for the next batch).
    """
    after = dict(before)
    for e in edits:
        if e.fn is not None:
            current = after[e.path]
            if current is None:
                raise RecordError(
                    e.path,
                    1,
                    1,
                    "cannot edit a record that does not exist at the branch tip",
                    hint="Give the new file's full content instead.",
                )
            if trees is not None:
                after[e.path] = trees.edit(e.path, current, e.fn)
            else:
                after[e.path] = edit_bytes(current, e.fn)
        else:
            after[e.path] = e.content
    bad = []
    entries: dict[str, Entry] = {}
    for path, content in after.items():
        if content is None or content == before[path]:
            continue
        result = check_bytes(path, content)
        if result.entry is None:
            bad += result.problems
        else:
            entries[path] = result.entry
    if bad:
        first = bad[0]
        more = f" ({len(bad) - 1} more problem(s) in this batch)" if len(bad) > 1 else ""
        error = YAMLSyntaxError if first.code == "yaml" else SchemaError
        raise error(
            first.path,
            first.line,
            first.col,
            first.message,
            record=first.record,
            field=first.field,
            hint=(first.hint + more).strip() + " Nothing was written.",
        )
    return after, entries


def commit_message(
    message: str,
    before: dict[str, bytes | None],
    after: dict[str, bytes | None],
    changed: list[str],
    batch_id: str | None,
) -> str:
    """The caller's message, the list of records changed, and the batch trailer."""
    lines = [message.strip() or "Update records", "", "Records changed:"]
    for p in changed:
        what = "added" if before[p] is None else "deleted" if after[p] is None else "modified"
        lines.append(f"- {what} {p}")
    if batch_id is not None:
        lines += ["", f"{TRAILER}: {batch_id}"]
    return "\n".join(lines) + "\n"


class BatchIds:
    """The batch ids in a branch's history, kept up to date as the branch moves."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._ids: set[str] | None = None
        self._tip: str | None = None

    def seen(self, tip: str | None) -> set[str]:
        """Batch ids in the history up to ``tip`` (only new commits are read)."""
        if tip is None:
            return set()
        if self._ids is None or self._tip is None:
            self._ids = _trailer_values(self.root, tip)
        elif self._tip != tip:
            try:
                self._ids |= _trailer_values(self.root, f"{self._tip}..{tip}")
            except GitError:  # the old tip is gone (rebased away): scan everything again
                self._ids = _trailer_values(self.root, tip)
        self._tip = tip
        return self._ids

    def committed(self, parent: str | None, sha: str, batch_id: str | None) -> None:
        """Our own commit ``sha`` on top of ``parent`` carries ``batch_id``."""
        if self._ids is not None and batch_id is not None:
            self._ids.add(batch_id)
        if self._tip == parent:
            self._tip = sha

    def learn(self, stdin: IO[bytes], stdout: IO[bytes], tip: str, body: bytes) -> None:
        """Read the commits between the last tip seen and ``tip`` through an open
        ``git cat-file --batch`` (a short, linear stretch; else ``seen`` runs git log)."""
        if self._ids is None or self._tip is None or self._tip == tip:
            return
        found: set[str] = set()
        for _ in range(200):
            found |= trailers_in(body)
            parents = [
                ln[7:].decode()
                for ln in body.split(b"\n\n", 1)[0].splitlines()
                if ln.startswith(b"parent ")
            ]
            if len(parents) != 1:
                return
            if parents[0] == self._tip:
                self._ids |= found
                self._tip = tip
                return
            stdin.write(f"{parents[0]}\n".encode())
            stdin.flush()
            _sha, next_body = read_object(stdout)
            if next_body is None:
                return
            body = next_body

    def forget(self) -> None:
        """Drop what was learnt."""
        self._ids = None
        self._tip = None


def trailers_in(commit: bytes) -> set[str]:
    """Batch ids in the trailer block (last paragraph) of a raw commit object."""
    message = commit.split(b"\n\n", 1)[1] if b"\n\n" in commit else b""
    last = message.rstrip().rsplit(b"\n\n", 1)[-1].decode("utf-8", "replace")
    prefix = f"{TRAILER}: "
    return {ln[len(prefix) :].strip() for ln in last.splitlines() if ln.startswith(prefix)}


def _trailer_values(root: Path, revs: str) -> set[str]:
    fmt = f"--format=%(trailers:key={TRAILER},valueonly)"
    out = run_git(root, "log", fmt, revs).stdout.decode("utf-8", "replace")
    return {line.strip() for line in out.splitlines() if line.strip()}
