"""Records built from plain dicts, for dict-in/Problem-out tests of the checks."""

from __future__ import annotations

from typing import Any

from catalog.models import KINDS
from catalog.naming_files import record_path
from catalog.records import Entry, Records

UUID1 = "11111111-1111-4111-8111-111111111111"
UUID2 = "22222222-2222-4222-8222-222222222222"


def entry(data: dict[str, Any], path: str | None = None) -> Entry:
    """One valid record; its path is the conventional one unless given."""
    kind = data["kind"]
    return Entry(kind, path or record_path(kind, data), KINDS[kind].model_validate(data), data)


def records(*items: dict[str, Any] | Entry) -> Records:
    """Records of the given dicts (or entries), in the order given."""
    return Records([i if isinstance(i, Entry) else entry(i) for i in items])


def dataset(name: str = "spikes.times.npy", **fields: Any) -> dict[str, Any]:
    """A dataset dict in session SW001/2024-01-05/001, collection alf."""
    return {
        "kind": "dataset",
        "uuid": UUID1,
        "name": name,
        "session": "SW001/2024-01-05/001",
        "collection": "alf",
        "dataset_type": "spikes.times",
        "data_format": "npy",
        **fields,
    }


def type_(name: str, pattern: str = "", **fields: Any) -> dict[str, Any]:
    """A dataset type dict."""
    return {"kind": "dataset-type", "name": name, "filename_pattern": pattern, **fields}


BASE = (
    {"kind": "repository", "name": "local-main", "type": "local", "url": "data"},
    {"kind": "format", "name": "npy", "file_extension": ".npy"},
    type_("spikes.times", "*spikes.times*.npy"),
    {"kind": "tag", "name": "raw"},
    {"kind": "revision", "name": "2024-01-01"},
)
"""What a dataset of dataset() refers to."""


def where(problems: list[Any]) -> list[tuple[str, str, str]]:
    """(record, field, code) of each problem, for compact assertions."""
    return [(p.record, p.field, p.code) for p in problems]
