"""A dataset's fields read straight from its record data, for loops over every dataset.

A site of 100,000 datasets relates, sorts and digests every one of them on each build, but
renders only the pages that changed. These readers take the few plain fields those loops
need from the validated data (string fields the model keeps as they are, with the model's
defaults), so that no model is made for a dataset whose page is not rendered.
"""

from __future__ import annotations

from catalog.models.data import QC, dataset_key
from catalog.records import Entry


def uuid(e: Entry) -> str:
    """The dataset's uuid."""
    u: str = e.data["uuid"]
    return u


def key(e: Entry) -> str:
    """session/collection/#revision#/name, as Dataset.key() gives it."""
    d = e.data
    return dataset_key(d.get("session", ""), d.get("collection", ""), d.get("revision"), d["name"])


def revision(e: Entry) -> str | None:
    """The revision name, or None."""
    r: str | None = e.data.get("revision")
    return r


def qc(e: Entry) -> str:
    """The QC level's name (records may give Alyx's number)."""
    v = e.data.get("qc", "NOT_SET")
    return QC(v).name if isinstance(v, int) else str(v)


def provenance(e: Entry) -> tuple[list[str], str | None]:
    """(uuids of the datasets it was made from, experiment of the block it came from)."""
    p = e.data.get("provenance")
    if not p:
        return [], None
    block = p.get("block")
    return p.get("datasets") or [], block["experiment"] if block else None
