"""The static JSON API: one file per record, paginated indexes, DCAT catalog, sitemap.

``api/<kind>/<name>.json``  one record (datasets add their notices and sync findings)
``api/<kind>.json``         index of a kind, page 1; ``api/<kind>/index/<n>.json`` the rest
``catalog.jsonld``          DCAT catalog, page 1; ``api/catalog/<n>.jsonld`` the rest
``sitemap.xml``             sitemap index over ``sitemaps/<n>.xml``
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from functools import partial
from typing import Any
from xml.sax.saxutils import escape

from catalog.models import Dataset
from catalog.publish import paths
from catalog.publish.dataset_views import dataset_json, record_json
from catalog.publish.gather import Site
from catalog.publish.jobs import Job
from catalog.publish.linkeddata import DCAT_CONTEXT, absolute, dcat_dataset, dumps
from catalog.records import Entry

INDEX_PAGE = 2000
"""Entries per page of an API index and of the DCAT catalog."""
SITEMAP_PAGE = 10_000
"""URLs per sitemap file (the protocol allows 50,000)."""


def _json(value: Any) -> bytes:
    return (dumps(value, indent=1) + "\n").encode("utf-8")


def dataset_file(site: Site, e: Entry) -> bytes:
    """The JSON file of one dataset (see datasetfiles for when it is made)."""
    return _json(dataset_json(site, e))


def _record_file(e: Entry) -> bytes:
    return _json(record_json(e))


def record_jobs(site: Site) -> list[Job]:
    """One JSON file per record other than a dataset (datasetfiles makes theirs)."""
    jobs = []
    for kind, entries in site.records.by_kind.items():
        if kind == "dataset":
            continue
        for e in entries:
            path = paths.record_api(kind, e.model.key())
            jobs.append(Job(path, partial(_record_file, e), b"api" + site.version(e)))
    return jobs


def _summary(e: Entry) -> dict[str, Any]:
    key = paths.record_key(e.kind, e.model)
    item: dict[str, Any] = {
        "key": key,
        "page": paths.record_page(e.kind, key),
        "api": paths.record_api(e.kind, key),
    }
    d = e.model
    if isinstance(d, Dataset):
        item.update(
            name=d.key(),
            dataset_type=d.dataset_type,
            data_format=d.data_format,
            revision=d.revision,
            tags=d.tags,
            qc=d.qc,
            file_size=d.file_size,
            default_dataset=d.default_dataset,
        )
    else:
        for attr in ("title", "importance", "status", "state", "enabled"):
            value = getattr(d, attr, None)
            if value is not None:
                item[attr] = getattr(value, "value", value)
    return item


def _pager(n: int, pages: int, path: Callable[[int], str]) -> dict[str, Any]:
    return {
        "page": n,
        "pages": pages,
        "first": path(1),
        "previous": path(n - 1) if n > 1 else None,
        "next": path(n + 1) if n < pages else None,
    }


def _slices(entries: list[Entry]) -> list[list[Entry]]:
    return [entries[i : i + INDEX_PAGE] for i in range(0, len(entries), INDEX_PAGE)] or [[]]


def _versions(site: Site, entries: list[Entry], *salt: object) -> bytes:
    h = hashlib.blake2b(repr(salt).encode(), digest_size=16)
    for e in entries:
        h.update(site.version(e))
    return h.digest()


def _index_file(kind: str, n: int, pages: int, count: int, chunk: list[Entry]) -> bytes:
    doc = {"kind": kind, "count": count, **_pager(n, pages, partial(paths.kind_api, kind))}
    doc["items"] = [_summary(e) for e in chunk]
    return _json(doc)


def index_jobs(site: Site) -> list[Job]:
    """The paginated index of every kind."""
    jobs = []
    for kind, entries in site.records.by_kind.items():
        ordered = site.datasets if kind == "dataset" else sorted(entries, key=_key)
        chunks = _slices(ordered)
        for n, chunk in enumerate(chunks, 1):
            make = partial(_index_file, kind, n, len(chunks), len(ordered), chunk)
            digest = _versions(site, chunk, kind, n, len(ordered))
            jobs.append(Job(paths.kind_api(kind, n), make, digest))
    return jobs


def _key(e: Entry) -> str:
    return e.model.key()


def dcat_page(n: int) -> str:
    """Page ``n`` of the DCAT catalog."""
    return paths.CATALOG_JSONLD if n == 1 else f"api/catalog/{n}.jsonld"


def _catalog_file(site: Site, n: int, pages: int, chunk: list[Entry]) -> bytes:
    repos = site.repositories()
    doc: dict[str, Any] = {
        "@context": DCAT_CONTEXT,
        "@id": absolute(site.base_url, paths.CATALOG_JSONLD),
        "@type": "dcat:Catalog",
        "dct:title": site.title,
        "dct:description": site.config.description,
        "dcat:dataset": [
            dcat_dataset(
                _model(e),
                url=absolute(site.base_url, paths.record_page("dataset", _model(e).uuid)),
                repositories=repos,
            )
            for e in chunk
        ],
    }
    if pages > 1:
        pager = _pager(n, pages, lambda i: absolute(site.base_url, dcat_page(i)))
        doc["hydra:view"] = {
            "@id": absolute(site.base_url, dcat_page(n)),
            "@type": "hydra:PartialCollectionView",
            "hydra:first": pager["first"],
            "hydra:previous": pager["previous"],
            "hydra:next": pager["next"],
            "hydra:last": absolute(site.base_url, dcat_page(pages)),
        }
    return _json(doc)


def catalog_jobs(site: Site) -> list[Job]:
    """The DCAT catalog (paginated with Hydra, as DCAT harvesters expect)."""
    repositories = site.records.by_kind["repository"]
    chunks = _slices(site.datasets)
    jobs = []
    for n, chunk in enumerate(chunks, 1):
        make = partial(_catalog_file, site, n, len(chunks), chunk)
        digest = _versions(site, chunk + repositories, "dcat", n, len(chunks), site.base_url)
        jobs.append(Job(dcat_page(n), make, digest))
    return jobs


def _model(e: Entry) -> Dataset:
    assert isinstance(e.model, Dataset)
    return e.model


def _sitemap_file(base_url: str, part: list[str]) -> bytes:
    urls = "".join(f"<url><loc>{escape(absolute(base_url, p))}</loc></url>\n" for p in part)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
        f"{urls}</urlset>\n"
    ).encode()


def sitemap_jobs(site: Site, pages: list[str]) -> list[Job]:
    """``sitemap.xml`` (an index) and the sitemap files listing every HTML page."""
    html = sorted(p for p in pages if p.endswith(".html") and p != paths.NOT_FOUND)
    parts = [html[i : i + SITEMAP_PAGE] for i in range(0, len(html), SITEMAP_PAGE)] or [[]]
    jobs = []
    for n, part in enumerate(parts, 1):
        digest = hashlib.blake2b("\n".join([site.base_url, *part]).encode(), digest_size=16)
        make = partial(_sitemap_file, site.base_url, part)
        jobs.append(Job(f"sitemaps/{n}.xml", make, b"sitemap" + digest.digest()))
    index = "".join(
        f"<sitemap><loc>{escape(absolute(site.base_url, f'sitemaps/{n}.xml'))}</loc></sitemap>\n"
        for n in range(1, len(parts) + 1)
    )
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
        f"{index}</sitemapindex>\n"
    ).encode()
    jobs.append(Job(paths.SITEMAP, partial(bytes, body)))
    return jobs
