"""Turn what sync found into record edits, and write them back (one commit, or none).

Only real changes become edits: an ``exists`` that no longer tells the truth, a first
checksum or size, a new dataset for a registered file. Each edit is a round-trip function
applied to the record as it is *when it is written* (so a curator's edit made meanwhile
survives), and it re-checks the condition it relies on: a checksum is filled only where
there still is none, and a recorded checksum is never replaced.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from catalog import store
from catalog.config import CatalogConfig
from catalog.sync.reconcile import Reconciliation

log = logging.getLogger(__name__)


@dataclass(slots=True)
class DatasetEdit:
    """The edits to one dataset record."""

    path: str
    label: str
    flips: dict[tuple[str, str], bool] = field(default_factory=dict)
    """(repository, relative_path) → the new value of that file record's ``exists``."""
    fill: dict[str, Any] = field(default_factory=dict)
    """Fields to set where the record has none yet (hash, file_size)."""

    def lines(self) -> list[str]:
        """One human line per change."""
        out = [
            f"{self.label}: {repo}:{rel} exists: {'true' if v else 'false'}"
            for (repo, rel), v in sorted(self.flips.items())
        ]
        out += [f"{self.label}: {k}: {v}" for k, v in self.fill.items()]
        return out

    def apply(self, tree: Any) -> None:
        """Apply to the record's round-trip tree (comments and layout survive)."""
        for fr in tree.get("file_records") or []:
            key = (fr.get("repository"), fr.get("relative_path"))
            if key in self.flips:
                fr["exists"] = self.flips[key]
        for k, v in self.fill.items():
            if tree.get(k) is not None:
                continue  # learned meanwhile by someone else: theirs stands
            if k in tree:
                tree[k] = v
            else:
                # Keep the facts about the file together, before the list of its copies.
                at = list(tree).index("file_records") if "file_records" in tree else len(tree)
                tree.insert(at, k, v)


@dataclass(frozen=True, slots=True)
class NewRecord:
    """A record file to create (a dataset registered from an orphan file)."""

    path: str
    data: dict[str, Any]
    label: str


def plan_changes(result: Reconciliation) -> list[DatasetEdit]:
    """The record edits the reconciliation calls for, by record file."""
    changes: dict[str, DatasetEdit] = {}
    for c in result.copies:
        if c.exists is None:
            continue
        if c.recorded == c.exists:
            continue
        change = changes.setdefault(c.entry.path, DatasetEdit(c.entry.path, c.entry.label))
        change.flips[(c.repository, c.relative_path)] = c.exists
    for path, fill in result.fills.items():
        entry_label = next(c.entry.label for c in result.copies if c.entry.path == path)
        changes.setdefault(path, DatasetEdit(path, entry_label)).fill.update(fill)
    return [changes[p] for p in sorted(changes)]


def commit_message(changes: Sequence[DatasetEdit], new: Sequence[NewRecord]) -> str:
    """A subject saying what changed, and a body listing each change."""
    flips = [v for ch in changes for v in ch.flips.values()]
    found, gone = sum(flips), len(flips) - sum(flips)
    learned = sum("hash" in ch.fill for ch in changes)
    parts = []
    if found:
        parts.append(f"{found} cop{'y' if found == 1 else 'ies'} found")
    if gone:
        parts.append(f"{gone} cop{'y' if gone == 1 else 'ies'} missing or wrong")
    if learned:
        parts.append(f"{learned} first checksum{'s' if learned != 1 else ''}")
    if new:
        parts.append(f"{len(new)} new dataset{'s' if len(new) != 1 else ''}")
    body = describe(changes, new)
    shown = body[:200] + ([f"… and {len(body) - 200} more"] if len(body) > 200 else [])
    return f"sync: {', '.join(parts) or 'no change'}\n\n" + "\n".join(shown) + "\n"


def write_back(
    config: CatalogConfig,
    changes: Sequence[DatasetEdit],
    new: Sequence[NewRecord],
    *,
    commit: bool,
    batch_id: str,
) -> str | None:
    """Write the changes: one commit through the committer, or plain file edits.

    Returns the new commit's sha (None when nothing was committed).
    """
    if not changes and not new:
        return None
    root = config.root
    if not commit:
        for ch in changes:
            store.edit_record(root, ch.path, ch.apply)
        for n in new:
            store.create_record(root, n.path, n.data, config.schemas_dir)
        return None
    from catalog.gitrepo import Committer, Edit

    edits: list[Edit] = [Edit(ch.path, fn=ch.apply) for ch in changes]
    edits += [
        Edit(n.path, content=store.render_new(root, n.path, n.data, config.schemas_dir))
        for n in new
    ]
    with Committer(root) as committer:
        result = committer.apply(edits, commit_message(changes, new), batch_id=batch_id)
    return result.sha


def describe(changes: Sequence[DatasetEdit], new: Sequence[NewRecord]) -> list[str]:
    """Every change as a line, for --dry-run and the summary."""
    return [line for ch in changes for line in ch.lines()] + [
        f"{n.label}: new record {n.path}" for n in new
    ]
