"""Small view helpers shared by the page builders: badges, sizes, dataset rows, filters."""

from __future__ import annotations

from collections import Counter
from typing import Any

from catalog.models import Dataset, Notice
from catalog.publish import datasetdata as dd
from catalog.publish import paths
from catalog.publish.gather import Site
from catalog.publish.linkeddata import dumps
from catalog.publish.markdown import render_markdown
from catalog.publish.pages import Badge, DatasetRow, Field, Filters, Link, NoticeItem, Option
from catalog.records import Entry

QC_ORDER = ("CRITICAL", "FAIL", "WARNING", "PASS", "NOT_SET")
"""QC levels, worst first (the order filters list them in)."""

SYNC_TONES = {
    "verified": "ok",
    "unverified": "muted",
    "missing": "bad",
    "size_mismatch": "bad",
    "hash_mismatch": "bad",
    "unreachable": "warn",
    "ok": "ok",
    "denied": "bad",
    "misconfigured": "bad",
    "skipped": "muted",
}


def badge(text: str, family: str) -> Badge:
    """A badge whose colour comes from ``family`` and the value, e.g. qc-pass."""
    return Badge(text.replace("_", " "), f"{family}-{text.lower().replace('_', '-')}")


def qc_badge(qc: str) -> Badge:
    """QC as a coloured badge."""
    return badge(qc, "qc")


def sync_badge(status: str) -> Badge:
    """A sync status as a badge (verified green, missing or mismatch red, ...)."""
    return Badge(status.replace("_", " "), f"sync-{SYNC_TONES.get(status, 'muted')}")


def human_size(n: int | None) -> str:
    """Bytes as a short human size, e.g. '1.5 MB'."""
    if n is None:
        return ""
    size = float(n)
    for unit in ("B", "kB", "MB", "GB", "TB"):
        if size < 1000 or unit == "TB":
            return f"{int(size)} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1000
    return f"{n} B"


def seconds(s: float | None) -> str:
    """Seconds, readable."""
    if s is None:
        return ""
    if s < 60:
        return f"{s:.2f} s"
    return f"{s / 60:.1f} min" if s < 3600 else f"{s / 3600:.1f} h"


def record_link(kind: str, key: str, text: str | None = None) -> Link:
    """A link to a record's page."""
    return Link(text if text is not None else key, paths.record_page(kind, key))


def links(kind: str, names: list[str] | tuple[str, ...]) -> tuple[Link, ...]:
    """Links to several records of one kind."""
    return tuple(record_link(kind, n) for n in names)


def dataset(e: Entry) -> Dataset:
    """The dataset model of an entry."""
    assert isinstance(e.model, Dataset)
    return e.model


def dataset_link(e: Entry) -> Link:
    """A link to a dataset page, showing its key."""
    d = dataset(e)
    return Link(d.key(), paths.record_page("dataset", d.uuid))


def dataset_row(e: Entry) -> DatasetRow:
    """A dataset as one table row."""
    d = dataset(e)
    return DatasetRow(
        link=dataset_link(e),
        name=d.name,
        where=d.key()[: -len(d.name)].rstrip("/"),
        dataset_type=d.dataset_type,
        data_format=d.data_format,
        revision=d.revision or "",
        tags=tuple(d.tags),
        qc=qc_badge(d.qc),
        size=human_size(d.file_size),
        created=(d.created_datetime or "")[:10],
        default=d.default_dataset,
        repositories=tuple(dict.fromkeys(fr.repository for fr in d.file_records)),
    )


def notice_item(e: Entry, *, with_description: bool = False) -> NoticeItem:
    """A notice for lists and banners."""
    n = e.model
    assert isinstance(n, Notice)
    return NoticeItem(
        link=record_link("notice", n.name),
        title=n.title or n.name,
        badge=badge(n.importance, "imp"),
        created=n.created or "",
        description=render_markdown(n.description) if with_description else render_markdown(""),
    )


def text_field(label: str, value: Any, *, code: bool = False) -> Field | None:
    """A field showing ``value`` as text; None when there is nothing to show."""
    if value is None or value == "" or value == [] or value == {}:
        return None
    if isinstance(value, bool):
        return Field(label, text="yes" if value else "no")
    if isinstance(value, dict | list):
        return Field(label, text=dumps(value, indent=2), code=True, block=True)
    return Field(label, text=str(value), code=code)


def fields(*items: Field | None) -> list[Field]:
    """The given fields, without the empty ones."""
    return [f for f in items if f is not None]


def _options(counter: Counter[str], order: tuple[str, ...] | None = None) -> tuple[Option, ...]:
    keys = [k for k in order if k in counter] if order else sorted(counter)
    return tuple(Option(k, counter[k]) for k in keys)


def filters(site: Site) -> Filters:
    """Filter choices of the datasets table and the search page, with counts."""
    qc: Counter[str] = Counter(dd.qc(e) for e in site.datasets)
    kinds = Counter({k: len(v) for k, v in site.records.by_kind.items() if v})
    notices = Counter({k: len(v) for k, v in site.affects.items() if v})
    return Filters(
        kinds=tuple(Option(k, kinds[k]) for k in kinds),
        types=_counts(site, "dataset-type"),
        formats=_counts(site, "format"),
        tags=_counts(site, "tag"),
        revisions=_counts(site, "revision"),
        qc=_options(qc, QC_ORDER),
        repositories=_counts(site, "repository"),
        notices=_options(notices),
    )


def _counts(site: Site, kind: str) -> tuple[Option, ...]:
    return _options(Counter({k: len(v) for k, v in site.using[kind].items()}))
