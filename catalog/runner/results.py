"""Typed result values: what a block's ``results.json`` may hold for each declared result."""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from catalog.errors import CatalogError

INT32 = (-(2**31), 2**31 - 1)
FLOAT32_MAX = 3.4028234663852886e38


class ResultError(CatalogError):
    """A result value that does not match its declared type or schema."""


def _typed(name: str, kind: str, schema: dict[str, Any] | None, value: Any) -> Any:
    if kind == "int32":
        if isinstance(value, bool) or not isinstance(value, int):
            raise ResultError(f"result '{name}' must be an int32, got {value!r}")
        if not INT32[0] <= value <= INT32[1]:
            raise ResultError(f"result '{name}' = {value} is outside the int32 range")
        return value
    if kind == "float32":
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ResultError(f"result '{name}' must be a float32, got {value!r}")
        if not math.isfinite(value) or abs(value) > FLOAT32_MAX:
            raise ResultError(f"result '{name}' = {value} is not a finite float32")
        return float(value)
    if kind == "bool":
        if not isinstance(value, bool):
            raise ResultError(f"result '{name}' must be true or false, got {value!r}")
        return value
    if kind == "string":
        if not isinstance(value, str):
            raise ResultError(f"result '{name}' must be a string, got {value!r}")
        return value
    import jsonschema  # imported when needed: its format checkers take a second to load

    try:
        jsonschema.validate(value, schema or {})
    except jsonschema.ValidationError as exc:
        where = "/".join(str(p) for p in exc.absolute_path) or "the value"
        raise ResultError(
            f"result '{name}' does not match its schema: {where}: {exc.message}"
        ) from None
    except jsonschema.SchemaError as exc:
        raise ResultError(f"result '{name}' has an invalid schema: {exc.message}") from None
    return value


def typed_results(declared: Sequence[dict[str, Any]], raw: dict[str, Any]) -> dict[str, Any]:
    """Check every declared result's value against its type or schema.

    Values under names the experiment does not declare for the block are left out: the
    record has no place for them (a command may report more than one experiment uses).
    """
    out: dict[str, Any] = {}
    for d in declared:
        name = d["name"]
        if name in raw:
            out[name] = _typed(name, d["type"], d.get("schema"), raw[name])
    return out


def read_results(path: Path) -> dict[str, Any]:
    """The ``results.json`` a command wrote ({} when it wrote none)."""
    if not path.exists():
        return {}
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ResultError(f"results.json is not valid JSON: {exc}") from None
    if not isinstance(value, dict):
        raise ResultError("results.json must hold a JSON object of result name → value")
    return value
