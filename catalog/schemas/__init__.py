"""The published JSON Schemas of record kinds, generated from the models."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from catalog.models import KINDS

SCHEMA_DIR = Path(__file__).parent
DIALECT = "https://json-schema.org/draft/2020-12/schema"


def schema_for(kind: str) -> dict[str, Any]:
    """The JSON Schema (Draft 2020-12) of one record kind."""
    model = KINDS[kind]
    schema = model.model_json_schema(mode="validation")
    out: dict[str, Any] = {"$schema": DIALECT, "$id": f"{kind}.schema.json"}
    out.update(schema)
    out["title"] = f"catalog {kind} record"
    # Lines such as '# yaml-language-server: ...' are comments; nothing to allow for them.
    return out


def api_schemas() -> dict[str, Callable[[], dict[str, Any]]]:
    """Schemas of API bodies published beside the record kinds (name → builder)."""
    from catalog.runner.report import report_schema

    return {"report": report_schema}


def render(kind: str) -> str:
    """The text of a kind's (or an API body's) schema file."""
    api = api_schemas()
    schema = api[kind]() if kind in api else schema_for(kind)
    return json.dumps(schema, indent=2, ensure_ascii=False, sort_keys=False) + "\n"


def generate(folder: Path = SCHEMA_DIR) -> list[Path]:
    """Write ``<kind>.schema.json`` for every kind into ``folder``; return the paths."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for kind in (*KINDS, *api_schemas()):
        path = folder / f"{kind}.schema.json"
        path.write_text(render(kind), encoding="utf-8")
        written.append(path)
    return written


def stale(folder: Path = SCHEMA_DIR) -> list[str]:
    """Names of schema files in ``folder`` that are missing or differ from the models."""
    out = []
    for kind in (*KINDS, *api_schemas()):
        path = folder / f"{kind}.schema.json"
        if not path.exists() or path.read_text(encoding="utf-8") != render(kind):
            out.append(path.name)
    return out
