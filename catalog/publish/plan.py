"""Plan a build: every file of the site as a job, with what it depends on."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path

from catalog.errors import CatalogError
from catalog.publish import api, datasetfiles, paths
from catalog.publish.dataset_views import (
    table_page,
    table_pages,
    table_slice,
)
from catalog.publish.gather import Site
from catalog.publish.jobs import Job
from catalog.publish.pages import Filters, Page
from catalog.publish.record_views import (
    FACET_PAGES,
    LISTED,
    facet_page,
    home_page,
    index_page,
    not_found_page,
    notice_page,
    search_page,
)
from catalog.publish.render import Renderer
from catalog.publish.run_views import experiment_page, training_page, worker_page
from catalog.publish.views import filters as make_filters
from catalog.records import Entry


def _page(renderer: Renderer, build: Callable[[], Page]) -> bytes:
    return renderer.render(build())


def _listing_digest(site: Site, e: Entry, listed: list[Entry], *extra: object) -> bytes:
    h = hashlib.blake2b(site.version(e) + repr((len(listed), extra)).encode(), digest_size=16)
    for d in listed[:LISTED]:
        h.update(site.version(d))
    return h.digest()


RECORD_PAGES = {
    "experiment": experiment_page,
    "training": training_page,
    "worker": worker_page,
    "notice": notice_page,
}


def page_jobs(site: Site, renderer: Renderer, filters: Filters) -> list[Job]:
    """Every HTML page but the datasets' own (see datasetfiles)."""

    def job(
        path: str, build: Callable[..., Page], *args: object, digest: bytes | None = None
    ) -> Job:
        return Job(path, partial(_page, renderer, partial(build, *args)), digest)

    jobs = [
        job(paths.HOME, home_page, site),
        job(paths.SEARCH, search_page, filters),
        job(paths.NOT_FOUND, not_found_page),
    ]
    for n in range(1, table_pages(site) + 1):
        head = repr((filters if n == 1 else None, n, len(site.datasets))).encode()
        h = hashlib.blake2b(head, digest_size=16)
        for e in table_slice(site, n):
            h.update(site.version(e))
        jobs.append(job(paths.table_page(n), table_page, site, n, filters, digest=h.digest()))
    for kind, entries in site.records.by_kind.items():
        if kind == "dataset":
            continue
        jobs.append(job(paths.kind_index(kind), index_page, site, kind))
        for e in entries:
            name = e.model.key()
            path = paths.record_page(kind, name)
            if kind in FACET_PAGES:
                listed = site.using[kind].get(name, [])
                sync: object = None
                if kind == "repository":  # only repository pages show the sync summary
                    sync = (site.sync.repositories.get(name), site.sync.finished)
                digest = _listing_digest(site, e, listed, repr(sync))
                jobs.append(job(path, facet_page, site, e, digest=digest))
            elif kind == "notice":
                digest = _listing_digest(site, e, site.affects.get(name, []))
                jobs.append(job(path, notice_page, site, e, digest=digest))
            else:
                jobs.append(job(path, RECORD_PAGES[kind], site, e))
    return jobs


def static_jobs(static: Path) -> list[Job]:
    """The theme's static files, copied under static/."""
    return [
        Job(f"{paths.STATIC}/{p.relative_to(static).as_posix()}", p.read_bytes)
        for p in sorted(static.rglob("*"))
        if p.is_file()
    ]


def _unchanged() -> bytes:
    raise AssertionError("a kept file is never made")


def plan(
    site: Site,
    renderer: Renderer,
    static: Path,
    search_files: dict[str, bytes],
    search_kept: Sequence[str] = (),
) -> list[Job]:
    """Every file of the site but the datasets' pages and JSON (see datasetfiles).

    Refuses two records that would share a file.
    """
    filters = make_filters(site)
    jobs = page_jobs(site, renderer, filters)
    jobs += api.record_jobs(site) + api.index_jobs(site) + api.catalog_jobs(site)
    dataset_pages = datasetfiles.page_paths(site)
    jobs += api.sitemap_jobs(site, [j.path for j in jobs] + dataset_pages)
    jobs += static_jobs(static)
    jobs += [Job(p, partial(bytes, data)) for p, data in search_files.items()]
    jobs += [Job(p, _unchanged, keep=True) for p in search_kept]
    jobs.append(Job(".nojekyll", partial(bytes, b"")))
    seen: set[str] = set()
    for path in [j.path for j in jobs] + dataset_pages:
        if path in seen:
            raise CatalogError(f"two records would be published as {path}; rename one of them")
        seen.add(path)
    return jobs
