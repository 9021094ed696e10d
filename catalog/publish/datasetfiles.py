"""The two files of every dataset — its page and its JSON — decided in one tight pass.

At 100,000 datasets these are 200,000 of a site's files, and after a one-record edit all but
a handful are unchanged. Making a job object, a digest and a comparison for each file was
most of the rebuild, so this pass digests each dataset's inputs once (``fingerprint``),
compares that with the last build's manifest for both files, and makes jobs only for the
files whose inputs changed.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from functools import partial

from catalog.publish import api, paths
from catalog.publish.dataset_views import dataset_page, fingerprints
from catalog.publish.gather import Site
from catalog.publish.jobs import Job
from catalog.publish.render import Renderer
from catalog.records import Entry

API_MARK = "j"
"""Prefix of a dataset JSON file's manifest digest (its page's digest follows)."""


@dataclass(slots=True)
class DatasetFiles:
    """Every dataset page and JSON file: their digests, and jobs for those that changed."""

    files: dict[str, str] = field(default_factory=dict)
    todo: list[Job] = field(default_factory=list)


def _page(renderer: Renderer, site: Site, e: Entry) -> bytes:
    return renderer.render(dataset_page(site, e))


def page_paths(site: Site) -> list[str]:
    """The page of every dataset."""
    return [paths.record_page("dataset", e.data["uuid"]) for e in site.datasets]


def dataset_files(
    site: Site, renderer: Renderer, inputs: bytes, before: dict[str, str]
) -> DatasetFiles:
    """Digest every dataset once; jobs for the pages and JSON files whose inputs changed."""
    out = DatasetFiles()
    files, todo, blake2b = out.files, out.todo, hashlib.blake2b
    fingerprint = fingerprints(site)
    for e in site.datasets:
        uid = e.data["uuid"]
        page, data = paths.record_page("dataset", uid), paths.record_api("dataset", uid)
        d = blake2b(inputs + fingerprint(e), digest_size=16).hexdigest()
        files[page] = d
        files[data] = j = API_MARK + d
        if before.get(page) != d:
            todo.append(Job(page, partial(_page, renderer, site, e)))
        if before.get(data) != j:
            todo.append(Job(data, partial(api.dataset_file, site, e)))
    return out
