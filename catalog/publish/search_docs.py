"""What the search index knows about each record: weighted text, filter values, a result row.

Tokenizing here and in ``site/static/search.js`` must agree: lower case, accents and other
marks removed (NFKD), then runs of letters and digits; a UUID stays one token.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any

from catalog.models import Dataset
from catalog.publish import datasetdata as dd
from catalog.publish import paths
from catalog.publish.gather import Site
from catalog.publish.markdown import plain_text
from catalog.publish.views import QC_ORDER
from catalog.records import Entry

_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_WORD = re.compile(r"[^\W_]+")
TOKEN_MAX = 40
"""Longer tokens are cut to this many characters (the same in the browser)."""

SORTS = ("type", "format", "revision", "qc", "created", "size")
"""Fields the datasets table sorts on besides the name (which is the document order)."""


def _is_mark(c: str) -> bool:
    return unicodedata.category(c)[0] == "M"


def tokens(text: str) -> set[str]:
    """The search tokens of a text."""
    t = text.lower()
    if not t.isascii():
        t = "".join(c for c in unicodedata.normalize("NFKD", t) if not _is_mark(c))
    found = set(_UUID.findall(t))
    if found:
        t = _UUID.sub(" ", t)
    found.update(w[:TOKEN_MAX] for w in _WORD.findall(t))
    return found


@dataclass(slots=True)
class Doc:
    """One record as the search index sees it."""

    kind: str
    key: str
    row: list[Any]
    text: tuple[str, str, str]
    """Text weighted 3 (name, title), 2 (type, tags, session, ...), 1 (description, ...)."""
    facets: list[tuple[str, str]] = field(default_factory=list)
    sort: dict[str, Any] = field(default_factory=dict)

    def terms(self) -> dict[str, int]:
        """token → the highest weight it appears with."""
        out: dict[str, int] = {}
        for weight, text in zip((3, 2, 1), self.text, strict=True):
            for t in tokens(text):
                if out.get(t, 0) < weight:
                    out[t] = weight
        return out


def dataset_doc(site: Site, e: Entry) -> Doc:
    """A dataset's search document (also a row of the datasets table)."""
    d = e.model
    assert isinstance(d, Dataset)
    repos = list(dict.fromkeys(fr.repository for fr in d.file_records))
    notices = [str(getattr(n.model, "name", "")) for n in site.notices_of.get(d.uuid, ())]
    created = (d.created_datetime or "")[:10]
    row = [
        "dataset",
        d.key(),
        paths.record_page("dataset", d.uuid),
        d.dataset_type,
        d.data_format,
        d.revision or "",
        d.tags,
        d.qc,
        d.file_size,
        created,
        repos,
        1 if d.default_dataset else 0,
        plain_text(d.description, 160),
    ]
    facets = [
        ("kind", "dataset"),
        ("type", d.dataset_type),
        ("format", d.data_format),
        ("qc", d.qc),
        ("default", "yes" if d.default_dataset else "no"),
    ]
    if d.revision:
        facets.append(("revision", d.revision))
    facets += [("tag", t) for t in dict.fromkeys(d.tags)]
    facets += [("repository", r) for r in repos]
    facets += [("notice", n) for n in notices]
    return Doc(
        kind="dataset",
        key=d.uuid,
        row=row,
        text=(
            d.name,
            " ".join(
                [d.uuid, d.session, d.collection, d.revision or "", d.dataset_type, d.data_format]
                + d.tags
            ),
            " ".join(
                x for x in (d.description, d.created_by, d.generating_software, d.version) if x
            ),
        ),
        facets=facets,
        sort={
            "type": d.dataset_type,
            "format": d.data_format,
            "revision": d.revision or "",
            "qc": QC_ORDER.index(d.qc),
            "created": d.created_datetime or "",
            "size": d.file_size if d.file_size is not None else -1,
        },
    )


_EXTRA = {
    "notice": ("importance", "created_by"),
    "experiment": ("author", "status"),
    "training": ("model", "actor", "state", "aggregation_method"),
    "worker": ("queues", "capabilities"),
    "repository": ("type", "hostname"),
    "format": ("file_extension",),
    "dataset-type": ("filename_pattern",),
}


def _text(value: object) -> str:
    if isinstance(value, list):
        return " ".join(map(str, value))
    return str(getattr(value, "value", value)) if value is not None else ""


def record_doc(e: Entry) -> Doc:
    """The search document of a record other than a dataset."""
    m = e.model
    name = m.key()
    title = str(getattr(m, "title", "") or name)
    description = str(getattr(m, "description", ""))
    badge = _text(getattr(m, "importance", None) or getattr(m, "status", None) or "")
    badge = badge or _text(getattr(m, "state", None) or "")
    extra = " ".join(_text(getattr(m, a, None)) for a in _EXTRA.get(e.kind, ()))
    row = [e.kind, title, paths.record_page(e.kind, name), plain_text(description, 160), badge]
    return Doc(
        kind=e.kind,
        key=name,
        row=row,
        text=(f"{name} {title}", extra, description),
        facets=[("kind", e.kind)],
    )


def entries(site: Site) -> list[Entry]:
    """The records in document order: datasets as in the table, then the other kinds by key."""
    out = list(site.datasets)
    for kind, records in site.records.by_kind.items():
        if kind != "dataset":
            out += sorted(records, key=lambda e: e.model.key())
    return out


def identity(e: Entry) -> str:
    """What names a document across builds."""
    if e.kind == "dataset":
        return "dataset/" + dd.uuid(e)
    return f"{e.kind}/{e.model.key()}"


def fingerprint(site: Site, e: Entry) -> bytes:
    """A digest of a document's inputs: the record, and for a dataset the notices on it."""
    if e.kind != "dataset":
        return site.version(e)
    uid = dd.uuid(e)
    if uid not in site.notices_of:
        return site.version(e)
    notices = "|".join(n.model.key() for n in site.notices_of[uid])
    return site.version(e) + notices.encode()


def identities(site: Site, entries: list[Entry]) -> tuple[list[str], list[bytes]]:
    """``identity`` and ``fingerprint`` of every entry, in one pass (run on every build)."""
    ids: list[str] = []
    fps: list[bytes] = []
    notices_of, version = site.notices_of, site.version
    for e in entries:
        if e.kind != "dataset":
            ids.append(identity(e))
            fps.append(fingerprint(site, e))
            continue
        uid = e.data["uuid"]
        ids.append("dataset/" + uid)
        v = e.digest or version(e)
        if uid in notices_of:
            v += "|".join(n.model.key() for n in notices_of[uid]).encode()
        fps.append(v)
    return ids, fps


def document(site: Site, e: Entry) -> Doc:
    """The search document of one record."""
    return dataset_doc(site, e) if e.kind == "dataset" else record_doc(e)
