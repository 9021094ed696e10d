"""Problems found in a catalog, and how they are shown (text, GitHub annotations, JSON)."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, replace
from typing import Literal

from catalog.errors import RecordError

Severity = Literal["error", "warning"]


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with the catalog, located in a file."""

    path: str
    line: int
    col: int
    message: str
    record: str = ""
    field: str = ""
    code: str = "invalid"
    hint: str = ""
    severity: Severity = "error"
    where: tuple[str | int, ...] = dataclasses.field(default=(), compare=False, repr=False)
    """Path of the field inside the record, used to find line and column when they are 0."""

    def at(self, line: int, col: int) -> Problem:
        """The same problem, placed at ``line``:``col``."""
        return replace(self, line=line, col=col)

    @classmethod
    def from_error(cls, err: RecordError, code: str) -> Problem:
        """Turn a raised RecordError into a collected Problem."""
        return cls(
            path=err.path,
            line=err.line,
            col=err.col,
            message=err.message,
            record=err.record,
            field=err.field,
            code=code,
            hint=err.hint,
        )

    def sort_key(self) -> tuple[str, int, int, str]:
        """Order problems by place, then message."""
        return (self.path, self.line, self.col, self.message)


def field_label(where: tuple[str | int, ...]) -> str:
    """``file_records[0].repository`` from ``("file_records", 0, "repository")``."""
    out = ""
    for part in where:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def count_errors(problems: Iterable[Problem], *, strict: bool = False) -> int:
    """Errors, plus warnings when strict."""
    return sum(1 for p in problems if p.severity == "error" or strict)


def render_text(problems: Sequence[Problem]) -> str:
    """``path:line:col: record: field: message hint`` — one line per problem."""
    lines = []
    for p in sorted(problems, key=Problem.sort_key):
        who = f"{p.record}: " if p.record else ""
        what = f"{p.field}: " if p.field else ""
        level = "" if p.severity == "error" else "warning: "
        hint = f" {p.hint}" if p.hint else ""
        lines.append(f"{p.path}:{p.line}:{p.col}: {level}{who}{what}{p.message}{hint}")
    return "\n".join(lines)


def _escape_annotation(text: str, *, prop: bool = False) -> str:
    # GitHub's workflow-command escaping: %, CR, LF always; ':' and ',' inside properties.
    text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    if prop:
        text = text.replace(":", "%3A").replace(",", "%2C")
    return text


def render_github(problems: Sequence[Problem]) -> str:
    """GitHub Actions annotations, so a pull request shows each problem inline."""
    out = []
    for p in sorted(problems, key=Problem.sort_key):
        title = f"{p.record}: {p.field}" if p.field else (p.record or p.code)
        body = f"{p.message} {p.hint}".strip()
        props = (
            f"file={_escape_annotation(p.path, prop=True)},line={p.line},col={p.col},"
            f"title={_escape_annotation(title, prop=True)}"
        )
        out.append(f"::{p.severity} {props}::{_escape_annotation(body)}")
    return "\n".join(out)


def render_json(problems: Sequence[Problem]) -> str:
    """A JSON list of problem objects (file, line, column, record, field, code, ...)."""
    rows = []
    for p in sorted(problems, key=Problem.sort_key):
        d = asdict(p)
        d.pop("where")
        d["file"] = d.pop("path")
        d["column"] = d.pop("col")
        rows.append(d)
    return json.dumps(rows, indent=2, ensure_ascii=False)
