"""Where a new record's file goes: safe, readable file names under records/."""

from __future__ import annotations

import re

from catalog.models import KINDS

_UNSAFE = re.compile(r"[^A-Za-z0-9._\-]+")


def slug(name: str) -> str:
    """A file-name-safe form of a record name (letters, digits, '.', '_', '-')."""
    s = _UNSAFE.sub("-", name).strip(".-") or "record"
    return s[:120]


def record_path(kind: str, data: dict[str, object]) -> str:
    """The conventional path of a record file, e.g. records/tags/2024_paper.yaml.

    Datasets are filed by session and collection (``records/datasets/SW023/2024-01-05/001/
    alf/spikes.times.npy.yaml``), with ``#revision#`` as a folder when they have one.
    """
    folder = f"records/{KINDS[kind].FOLDER}"
    name = str(data.get("name", ""))
    if kind != "dataset":
        return f"{folder}/{slug(name)}.yaml"
    parts = [str(data.get("session") or ""), str(data.get("collection") or "")]
    sub = [slug(p) for part in parts if part for p in part.split("/")]
    if data.get("revision"):
        sub.append(f"#{slug(str(data['revision']))}#")
    return "/".join([folder, *sub, f"{slug(name)}.yaml"])
