"""Field-level differences between two versions of a record's data (pure, no IO).

Nested mappings are compared key by key. Lists of plain values (tags) report the values
added and removed. Lists of mappings are matched by their identity — file records by
(repository, relative_path), blocks, results and keys by name — so that reordering is not a
change and a changed ``exists`` flag reads as such.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Literal

Op = Literal["changed", "added", "removed"]

_IDENTITY_KEYS = (("repository", "relative_path"), ("name",), ("key",), ("id",), ("number",))


@dataclass(frozen=True)
class FieldChange:
    """One difference: the field, how it changed, and the old and new values."""

    field: str
    """Where, e.g. ``revision``, ``tags`` or ``file_records[s3-archive:a/b.npy].exists``."""
    op: Op
    old: Any = None
    new: Any = None

    def describe(self) -> str:
        """``revision: v1 → v2``, ``tags: +2024_paper``, ``file record added on s3``."""
        if self.field == "file_records" and self.op != "changed":
            value = self.new if self.op == "added" else self.old
            repo = value.get("repository", "?") if isinstance(value, dict) else "?"
            where = "on" if self.op == "added" else "from"
            return f"file record {self.op} {where} {repo}"
        if self.field.startswith("file_records[") and self.field.endswith("].exists"):
            repo = self.field[len("file_records[") :].split(":", 1)[0]
            return f"file on {repo} {'now exists' if self.new else 'is now missing'}"
        if self.op == "added":
            sign = "+" if _is_item(self.new) else "set to "
            return f"{self.field}: {sign}{short(self.new)}"
        if self.op == "removed":
            sign = "-" if _is_item(self.old) else "removed, was "
            return f"{self.field}: {sign}{short(self.old)}"
        return f"{self.field}: {short(self.old)} → {short(self.new)}"

    def as_json(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {"field": self.field, "op": self.op, "old": self.old, "new": self.new}


def _is_item(value: Any) -> bool:
    return isinstance(value, str | int | float) and not isinstance(value, bool)


def short(value: Any, limit: int = 60) -> str:
    """A value shown in one short line."""
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def diff_data(old: Any, new: Any, field: str = "") -> list[FieldChange]:
    """Every field that differs between ``old`` and ``new``, in a stable order."""
    if old == new:
        return []
    if isinstance(old, dict) and isinstance(new, dict):
        out: list[FieldChange] = []
        for key in [*old, *(k for k in new if k not in old)]:
            sub = f"{field}.{key}" if field else str(key)
            if key not in new:
                out.append(FieldChange(sub, "removed", old=old[key]))
            elif key not in old:
                out.append(FieldChange(sub, "added", new=new[key]))
            else:
                out += diff_data(old[key], new[key], sub)
        return out
    if isinstance(old, list) and isinstance(new, list):
        return _diff_list(old, new, field)
    return [FieldChange(field, "changed", old=old, new=new)]


def _identity(items: list[Any]) -> tuple[str, ...] | None:
    """The keys that identify the mappings of a list, if every item has them, uniquely."""
    if not items or not all(isinstance(i, dict) for i in items):
        return None
    for keys in _IDENTITY_KEYS:
        ids = [tuple(i.get(k) for k in keys) for i in items]
        if all(None not in x for x in ids) and len(set(ids)) == len(ids):
            return keys
    return None


def _diff_list(old: list[Any], new: list[Any], field: str) -> list[FieldChange]:
    if all(not isinstance(v, dict | list) for v in old + new):
        gone = [v for v in old if v not in new]
        came = [v for v in new if v not in old]
        if not gone and not came:  # same values, new order
            return [FieldChange(field, "changed", old=old, new=new)]
        return [FieldChange(field, "removed", old=v) for v in gone] + [
            FieldChange(field, "added", new=v) for v in came
        ]
    keys = _identity(old + new) if old or new else None
    if keys is None:
        out: list[FieldChange] = []
        for i in range(max(len(old), len(new))):
            sub = f"{field}[{i}]"
            if i >= len(new):
                out.append(FieldChange(field, "removed", old=old[i]))
            elif i >= len(old):
                out.append(FieldChange(field, "added", new=new[i]))
            else:
                out += diff_data(old[i], new[i], sub)
        return out
    before = {tuple(i[k] for k in keys): i for i in old}
    after = {tuple(i[k] for k in keys): i for i in new}
    out = [FieldChange(field, "removed", old=v) for k, v in before.items() if k not in after]
    for k, v in after.items():
        if k not in before:
            out.append(FieldChange(field, "added", new=v))
        else:
            out += diff_data(before[k], v, f"{field}[{':'.join(map(str, k))}]")
    return out
