"""Parse request bodies as strict JSON: UTF-8 only, no duplicate keys, bounded nesting."""

from __future__ import annotations

import json
import re
from typing import Any

from catalog.service.responses import Refused

# A JSON string token; skipped when measuring nesting so brackets inside strings do not count.
_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_BRACKETS = re.compile(rb"[\[\]{}]")


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise Refused(400, f"duplicate key {key[:80]!r} in a JSON object", code="duplicate_key")
        out[key] = value
    return out


def _refuse_constant(name: str) -> Any:
    raise Refused(400, f"{name} is not valid JSON", code="bad_json")


def nesting_depth(raw: bytes) -> int:
    """Deepest nesting of arrays and objects in the JSON text ``raw``."""
    depth = best = 0
    for match in _BRACKETS.finditer(_STRING.sub(b'""', raw)):
        if match.group() in (b"[", b"{"):
            depth += 1
            best = max(best, depth)
        else:
            depth -= 1
    return best


def parse(raw: bytes, *, max_depth: int) -> Any:
    """Decode ``raw`` as UTF-8 JSON; refuse (400) anything ambiguous or too deep."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise Refused(
            400, f"the body is not valid UTF-8 (byte {exc.start})", code="bad_encoding"
        ) from None
    # Depth can only exceed the limit when there are more openers than the limit: the exact
    # (slower) scan runs only then.
    if raw.count(b"[") + raw.count(b"{") > max_depth and nesting_depth(raw) > max_depth:
        raise Refused(400, f"JSON nested deeper than {max_depth} levels", code="too_deep")
    try:
        return json.loads(text, object_pairs_hook=_no_duplicates, parse_constant=_refuse_constant)
    except json.JSONDecodeError as exc:
        raise Refused(
            400,
            f"the body is not JSON: {exc.msg} at line {exc.lineno} column {exc.colno}",
            code="bad_json",
        ) from None
    except RecursionError:
        raise Refused(400, "JSON nested too deeply", code="too_deep") from None
