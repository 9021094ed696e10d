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
    item: bool = False
    """Whether a list item was added or removed (rather than a field set or unset)."""

    def parts(self) -> tuple[str, str]:
        """(subject, what happened): ("revision", "v1 → v2"), ("", "file record added on s3")."""
        if self.field == "file_records" and self.item:
            value = self.new if self.op == "added" else self.old
            repo = value.get("repository", "?") if isinstance(value, dict) else "?"
            return "", f"file record {self.op} {'on' if self.op == 'added' else 'from'} {repo}"
        if self.field.startswith("file_records[") and self.field.endswith("].exists"):
            repo = self.field[len("file_records[") :].split(":", 1)[0]
            return "", f"file on {repo} {'now exists' if self.new else 'is now missing'}"
        if self.op == "added":
            return self.field, f"{'+' if self.item else 'set to '}{short(_named(self.new))}"
        if self.op == "removed":
            return self.field, f"{'-' if self.item else 'removed, was '}{short(_named(self.old))}"
        return self.field, f"{short(self.old)} → {short(self.new)}"

    def describe(self) -> str:
        """``revision: v1 → v2``, ``tags: +2024_paper``, ``file record added on s3``."""
        subject, what = self.parts()
        return f"{subject}: {what}" if subject else what

    def as_json(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {
            "field": self.field,
            "op": self.op,
            "old": self.old,
            "new": self.new,
            "item": self.item,
        }


def _named(value: Any) -> Any:
    """A list item as people call it: a block or result by its name."""
    return value["name"] if isinstance(value, dict) and "name" in value else value


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


def _identity(old: list[Any], new: list[Any]) -> tuple[str, ...] | None:
    """The keys that identify the mappings of both lists (every item has them, unique)."""
    if not all(isinstance(i, dict) for i in old + new):
        return None
    for keys in _IDENTITY_KEYS:
        ok = True
        for items in (old, new):
            ids = [tuple(i.get(k) for k in keys) for i in items]
            ok = ok and all(None not in x for x in ids) and len(set(ids)) == len(ids)
        if ok:
            return keys
    return None


def _diff_list(old: list[Any], new: list[Any], field: str) -> list[FieldChange]:
    if all(not isinstance(v, dict | list) for v in old + new):
        gone = [v for v in old if v not in new]
        came = [v for v in new if v not in old]
        if not gone and not came:  # same values, new order
            return [FieldChange(field, "changed", old=old, new=new)]
        return [FieldChange(field, "removed", old=v, item=True) for v in gone] + [
            FieldChange(field, "added", new=v, item=True) for v in came
        ]
    keys = _identity(old, new)
    if keys is None:
        out: list[FieldChange] = []
        for i in range(max(len(old), len(new))):
            sub = f"{field}[{i}]"
            if i >= len(new):
                out.append(FieldChange(field, "removed", old=old[i], item=True))
            elif i >= len(old):
                out.append(FieldChange(field, "added", new=new[i], item=True))
            else:
                out += diff_data(old[i], new[i], sub)
        return out
    before = {tuple(i[k] for k in keys): i for i in old}
    after = {tuple(i[k] for k in keys): i for i in new}
    out = [
        FieldChange(field, "removed", old=v, item=True) for k, v in before.items() if k not in after
    ]
    for k, v in after.items():
        if k not in before:
            out.append(FieldChange(field, "added", new=v, item=True))
        else:
            out += diff_data(before[k], v, f"{field}[{':'.join(map(str, k))}]")
    return out
