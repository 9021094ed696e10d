"""Building problems about a record entry (line and column are found later)."""

from __future__ import annotations

from collections.abc import Iterable

from catalog.problems import Problem, Severity, field_label
from catalog.records import Entry


def problem(
    entry: Entry,
    where: tuple[str | int, ...],
    message: str,
    *,
    code: str,
    hint: str = "",
    severity: Severity = "error",
) -> Problem:
    """A problem with the field at ``where`` of ``entry``."""
    return Problem(
        path=entry.path,
        line=0,
        col=0,
        message=message,
        record=entry.label,
        field=field_label(where),
        code=code,
        hint=hint,
        severity=severity,
        where=where,
    )


def known(values: Iterable[str], limit: int = 12) -> str:
    """``Known: a, b, c`` (shortened), for hints about dangling names."""
    vals = sorted(values)
    if not vals:
        return "There are none yet."
    shown = ", ".join(vals[:limit])
    more = f" and {len(vals) - limit} more" if len(vals) > limit else ""
    return f"Known: {shown}{more}."
