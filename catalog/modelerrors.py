"""How pydantic's validation errors become problems a curator can act on.

Each error gets its place in the record (line and column are found from it later), the
field as people write it (``file_records[0].relative_path``), a message in plain words and
where possible a hint: the close name for a typo, the known fields, true/false for a
YAML 1.1 boolean, a number without quotes.
"""

from __future__ import annotations

import difflib
import typing
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from catalog.checks.consistency import looks_private
from catalog.models import RecordBase
from catalog.problems import Problem, field_label


def close_match(word: str, options: list[str]) -> str:
    """``Did you mean '…'?`` for the option closest to ``word``, or an empty string."""
    match = difflib.get_close_matches(word, options, n=1, cutoff=0.6)
    return f"Did you mean '{match[0]}'?" if match else ""


def _model_at(model: type[BaseModel], loc: tuple[str | int, ...]) -> type[BaseModel] | None:
    """The nested model class that holds the field at ``loc`` (for typo suggestions)."""
    current: Any = model
    for part in loc[:-1]:
        if isinstance(part, int):
            continue
        if not (isinstance(current, type) and issubclass(current, BaseModel)):
            return None
        info = current.model_fields.get(str(part))
        if info is None:
            return None
        ann = info.annotation
        # Unwrap Optional[...] and list[...] down to the model class.
        while True:
            args = [a for a in typing.get_args(ann) if a is not type(None)]
            if isinstance(ann, type) and issubclass(ann, BaseModel):
                break
            if not args:
                break
            ann = args[0]
        current = ann
    if isinstance(current, type) and issubclass(current, BaseModel):
        return current
    return None


def _key_of(kind: str, data: dict[str, Any]) -> str:
    """How messages name a record that did not validate (as Entry.label does for valid ones)."""
    name = data.get("name")
    if kind != "dataset":
        return str(name) if isinstance(name, str | int) else ""
    parts = [data.get("session"), data.get("collection")]
    rev = data.get("revision")
    keep = [p for p in parts if isinstance(p, str) and p]
    if isinstance(rev, str) and rev:
        keep.append(f"#{rev}#")
    return "/".join([*keep, name]) if isinstance(name, str) else ""


def _shown(value: Any) -> str:
    text = repr(value) if isinstance(value, str) else str(value).lower()
    return text if len(text) <= 60 else text[:57] + "…"


_YAML11_BOOLS = frozenset(("yes", "no", "on", "off", "y", "n"))
"""Booleans in YAML 1.1 that YAML 1.2 (and so the catalog) reads as text."""


def _numeric_text(value: Any) -> bool:
    try:
        float(value) if isinstance(value, str) else None
    except ValueError:
        return False
    return isinstance(value, str)


def validation_problems(
    rel: str, model: type[RecordBase], data: dict[str, Any], exc: ValidationError
) -> list[Problem]:
    record = f"{model.KIND} '{_key_of(model.KIND, data) or Path(rel).stem}'"
    problems = []
    for err in exc.errors(include_url=False):
        loc = tuple(err["loc"])
        typ = err["type"]
        hint = ""
        msg = err["msg"]
        if typ == "extra_forbidden":
            owner = _model_at(model, loc)
            options = list(owner.model_fields) if owner else []
            name = str(loc[-1])
            msg = f"unknown field '{name}'"
            hint = close_match(name, options) or (
                f"Known fields: {', '.join(options)}." if options else ""
            )
        elif typ == "missing":
            msg = "required field is missing"
            hint = f"Add '{loc[-1]}: …'."
        elif msg.startswith("Value error, "):
            msg = msg[len("Value error, ") :]
        elif typ in ("literal_error", "enum"):
            given = err.get("input")
            expected = err.get("ctx", {}).get("expected", "")
            msg = f"'{given}' is not allowed; expected {expected}"
            if isinstance(given, str):
                options = [o.strip(" '") for o in str(expected).replace(" or ", ",").split(",")]
                hint = close_match(given, [o for o in options if o])
        elif typ == "string_pattern_mismatch":
            msg = f"'{err.get('input')}' does not match the pattern {err['ctx']['pattern']}"
        elif typ == "bool_type" and str(err.get("input")).lower() in _YAML11_BOOLS:
            msg = f"'{err['input']}' is text, not a boolean"
            hint = "Write true or false (YAML 1.2 reads yes/no/on/off as text)."
        elif typ in ("int_type", "float_type") and _numeric_text(err.get("input")):
            msg = f"'{err['input']}' is text, not a number"
            hint = "Write the number without quotes."
        elif typ.endswith("_type") and isinstance(err.get("input"), (str, int, float, bool)):
            msg = f"{msg}; got {_shown(err['input'])}"
        given = err.get("input")
        if isinstance(given, str) and looks_private(given):
            msg = "this looks like a private key; private keys must never enter the catalog"
            hint = "Remove it, rotate the key, and keep the private key on the worker only."
        where = loc if typ != "missing" else loc[:-1]
        problems.append(
            Problem(
                path=rel,
                line=0,
                col=0,
                message=msg,
                record=record,
                field=field_label(loc),
                code="schema" if typ != "extra_forbidden" else "unknown-field",
                hint=hint,
                where=where,
            )
        )
    return problems
