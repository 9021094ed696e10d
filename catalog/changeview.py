"""How record changes are shown: a diff of two revisions (text, JSON, Markdown for a pull
request's job summary) and a record's history (text, JSON)."""

from __future__ import annotations

import json

from catalog.history import HistoryEntry
from catalog.recorddiff import RecordChange, RevisionDiff

MARKDOWN_ROWS = 300
"""Rows shown in the Markdown table; GitHub caps a job summary at 1 MiB."""

_SIGN = {"added": "+", "removed": "-", "changed": "~"}


def _counts_line(d: RevisionDiff) -> str:
    c = d.counts()
    total = sum(c.values())
    if not total:
        return "no record changed"
    return (
        f"{total} record(s) changed: {c['added']} added, {c['removed']} removed, "
        f"{c['changed']} changed"
    )


def render_text(d: RevisionDiff) -> str:
    """One block per record: status, record and file, then one line per field change."""
    lines = [f"records {d.base[:10]}..{d.head[:10]}"]
    for c in d.changes:
        v = c.current
        lines.append(f"{_SIGN[c.status]} {c.status:<7} {v.label}  {v.path}")
        if c.moved:
            assert c.old is not None
            lines.append(f"    moved from {c.old.path}")
        lines += [f"    {f.describe()}" for f in c.fields]
        if c.note:
            lines.append(f"    {c.note}")
    lines.append(_counts_line(d))
    return "\n".join(lines)


def render_json(d: RevisionDiff) -> str:
    """``{"base", "head", "counts", "changes": [...]}``."""
    doc = {
        "base": d.base,
        "head": d.head,
        "counts": d.counts(),
        "changes": [c.as_json() for c in d.changes],
    }
    return json.dumps(doc, indent=2, ensure_ascii=False, default=str)


def _cell(text: str) -> str:
    # Markdown table cells: no pipes or newlines, and no HTML from record values.
    text = " ".join(text.split()).replace("|", "\\|")
    return text.replace("<", "&lt;").replace(">", "&gt;")


def _row(c: RecordChange) -> str:
    v = c.current
    return f"| {c.status} | {_cell(v.label)} | `{_cell(v.path)}` | {_cell(c.summary()) or '—'} |"


def render_markdown(d: RevisionDiff) -> str:
    """A table for ``$GITHUB_STEP_SUMMARY``: one row per record with its change summary."""
    lines = [
        f"### Catalog changes `{d.base[:10]}`…`{d.head[:10]}`",
        "",
        _counts_line(d) + ".",
    ]
    if d.changes:
        lines += ["", "| | record | file | change |", "|---|---|---|---|"]
        lines += [_row(c) for c in d.changes[:MARKDOWN_ROWS]]
        if len(d.changes) > MARKDOWN_ROWS:
            lines += ["", f"… and {len(d.changes) - MARKDOWN_ROWS} more (see `catalog diff`)."]
    return "\n".join(lines) + "\n"


DIFF_RENDERERS = {"text": render_text, "json": render_json, "markdown": render_markdown}


def render_history_text(path: str, label: str, entries: list[HistoryEntry]) -> str:
    """Newest first: hash, date, author, subject, then the fields that changed."""
    lines = [f"{label}  {path}" if label else path]
    if not entries:
        lines.append("no commit touched this record")
    for h in entries:
        c = h.commit
        lines += ["", f"{c.sha[:10]}  {c.date}  {c.author}", f"    {c.message}"]
        if h.status == "renamed":
            lines.append(f"    moved from {h.old_path}")
        elif h.status in ("added", "deleted"):
            lines.append(f"    record {h.status}")
        lines += [f"    {f.describe()}" for f in h.changes]
        if h.note:
            lines.append(f"    {h.note}")
    return "\n".join(lines)


def render_history_json(path: str, label: str, entries: list[HistoryEntry]) -> str:
    """``{"path", "record", "commits": [{sha, date, author, message, status, fields}]}``."""
    commits = [
        {
            "sha": h.commit.sha,
            "date": h.commit.date,
            "author": h.commit.author,
            "message": h.commit.message,
            "status": h.status,
            "path": h.path,
            "old_path": h.old_path,
            "fields": [f.as_json() for f in h.changes],
            "note": h.note,
        }
        for h in entries
    ]
    doc = {"path": path, "record": label, "commits": commits}
    return json.dumps(doc, indent=2, ensure_ascii=False, default=str)
