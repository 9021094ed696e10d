"""``catalog check-change``: apply the change rules to the difference of two revisions.

Both sides are read from git and parsed with the catalog's loader, so problems point at
lines in HEAD — or, for a deleted record, at the file and line it had in BASE. A changed
file that does not even load in HEAD is reported with its loader errors instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from catalog.checks.changes import Pair, check_changes
from catalog.gitcmd import open_repo
from catalog.problems import Problem
from catalog.recorddiff import Side, Version, diff_revisions, endpoints


@dataclass(slots=True)
class ChangeCheck:
    """The outcome of checking the change from ``base`` to ``head``."""

    base: str
    head: str
    problems: list[Problem]


def _gone_or_renamed(pair: Pair) -> bool:
    old, new = pair
    if old is None or old.kind not in ("tag", "revision", "notice"):
        return False
    return new is None or getattr(new.model, "name", None) != getattr(old.model, "name", None)


def check_change(
    root: Path, base: str, head: str = "HEAD", *, use_merge_base: bool = True
) -> ChangeCheck:
    """Problems with the change from ``base`` (by default its merge base with ``head``)."""
    with open_repo(root) as repo:
        base_sha, head_sha = endpoints(repo, base, head, use_merge_base=use_merge_base)
        memo: dict[tuple[str, str], Version] = {}
        before, after = Side(repo, base_sha, memo), Side(repo, head_sha, memo)
        problems: list[Problem] = []
        pairs: list[Pair] = []
        for c in diff_revisions(before, after):
            if c.new is not None and c.new.entry is None:
                problems += c.new.problems  # cannot judge a record that does not load
                continue
            if c.old is not None and c.old.entry is None:
                continue  # nothing valid to protect at BASE
            pairs.append((c.old.entry if c.old else None, c.new.entry if c.new else None))
        kinds = {"dataset", "notice"} if any(map(_gone_or_renamed, pairs)) else set()
        rules = check_changes(pairs, before.records({"tag"}), after.records(kinds))
        for p in rules:
            version = after.version(p.path) or before.version(p.path)
            if version is not None and version.doc is not None:
                p = p.at(*version.doc.where(p.where))
            problems.append(p if p.line else p.at(1, 1))
    problems.sort(key=Problem.sort_key)
    return ChangeCheck(base_sha, head_sha, problems)


__all__ = ["ChangeCheck", "check_change"]
