"""The two files of every dataset — its page and its JSON — decided in one tight pass.

At 100,000 datasets these are 200,000 of a site's files, and after a one-record edit all but
a handful are unchanged. Each dataset's inputs are digested (``fingerprint``) and compared
with the last build's manifest for both files; jobs are made only for the files whose
inputs changed.

Even digesting every dataset was most of a one-edit rebuild, so the last build also leaves
what it knew of each dataset (:class:`Known`): the version of its file, the digest of its
page's inputs, and — for the few with other revisions or parents — its revision group and
parents; plus one digest of everything site-wide a dataset page shows (the other records,
the sync report) and the newest commit. When the site-wide part is unchanged, only the
datasets a change can reach are digested again: the changed ones, their revision groups
and parents (before and after), the datasets made from them, and those whose files new
commits touched. The rest keep their digests. The manifest itself lists only the other
files: naming 200,000 dataset files there took longer to read and write than the rest.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from catalog.publish import api, paths
from catalog.publish import datasetdata as dd
from catalog.publish.dataset_views import dataset_page, fingerprints
from catalog.publish.gather import Site
from catalog.publish.jobs import Job
from catalog.publish.render import Renderer
from catalog.records import Entry

KNOWN_VERSION = 1

Row = tuple[Any, ...]
"""What a build knew of one dataset: its version (a digest of its file's path and bytes) and
the digest of its page's (and JSON's) inputs; then, only when it has other revisions or parents, its
revision group and parents (what a change to it can reach besides itself)."""


@dataclass(slots=True)
class Known:
    """What the last build knew of the datasets (saved with its manifest)."""

    context: bytes = b""
    """Digest of the site-wide inputs of dataset pages (empty: not comparable)."""
    head: str = ""
    """Newest commit of the history shown."""
    shas: frozenset[str] = frozenset()
    """Every commit the shown history named."""
    rows: dict[str, Row] = field(default_factory=dict)
    """Dataset uuid → what it was."""

    def dump(self) -> tuple[Any, ...]:
        """Plain data for the manifest."""
        return (KNOWN_VERSION, self.context, self.head, self.shas, self.rows)

    @classmethod
    def load(cls, raw: object) -> Known | None:
        """Back from ``dump``; None when it is from another version or damaged."""
        if not isinstance(raw, tuple) or len(raw) != 5 or raw[0] != KNOWN_VERSION:
            return None
        _, context, head, shas, rows = raw
        if not (
            isinstance(context, bytes)
            and isinstance(head, str)
            and isinstance(shas, frozenset)
            and isinstance(rows, dict)
        ):
            return None
        return cls(context, head, shas, rows)


@dataclass(slots=True)
class DatasetFiles:
    """Jobs for the dataset pages and JSON files that changed, and what to remember."""

    todo: list[Job] = field(default_factory=list)
    known: Known = field(default_factory=Known)
    removed: list[str] = field(default_factory=list)
    """Files of datasets that are gone."""
    digested: int = 0
    """How many datasets were digested (the rest kept the last build's digests)."""

    @property
    def count(self) -> int:
        """Files of every dataset: a page and a JSON file each."""
        return 2 * len(self.known.rows)


def files_of(uid: str) -> tuple[str, str]:
    """The page and the JSON file of the dataset ``uid``."""
    return paths.record_page("dataset", uid), paths.record_api("dataset", uid)


def _page(renderer: Renderer, site: Site, e: Entry) -> bytes:
    return renderer.render(dataset_page(site, e))


def page_paths(site: Site) -> list[str]:
    """The page of every dataset."""
    return [paths.record_page("dataset", e.data["uuid"]) for e in site.datasets]


def context_of(site: Site, inputs: bytes) -> bytes:
    """Digest of what every dataset page may show besides datasets: b'' when unknown."""
    if site.sync.files and not site.sync.digest:
        return b""  # a report not read from a file: nothing to tell two apart
    h = hashlib.blake2b(inputs, digest_size=16)
    for (kind, name), v in sorted(site.ref_versions().items()):
        h.update(f"{kind}\0{name}\0".encode() + v + b"\0")
    h.update(site.sync.digest + (b"synced" if site.sync.finished else b"-"))
    return h.digest()


def _links(site: Site, e: Entry) -> tuple[tuple[str, str, str], tuple[str, ...]]:
    d = e.data
    parents = tuple(dd.provenance(e)[0]) if d.get("provenance") else ()
    return (d.get("session", ""), d.get("collection", ""), d["name"]), parents


def _shas(site: Site) -> frozenset[str]:
    return frozenset(c.sha for commits in site.history.files.values() for c in commits)


def _reach(site: Site, changed: list[Entry], then: list[Row], gone: list[str]) -> set[str]:
    """Uuids of the datasets whose pages may show a changed or removed one."""
    out: set[str] = set()
    links = [_links(site, e) for e in changed] + [(r[2], r[3]) for r in then if len(r) > 2]
    for group, parents in links:
        out.update(v.data["uuid"] for v in site.versions.get(group, ()))
        out.update(parents)
    for uid in [*(e.data["uuid"] for e in changed), *gone]:
        out.add(uid)
        out.update(c.data["uuid"] for c in site.children.get(uid, ()))
    return out


def _history_reach(site: Site, known: Known, now: Known) -> set[str] | None:
    """Files whose shown history changed since the last build (None: cannot tell)."""
    if now.head == known.head:
        return set()
    if not known.shas <= now.shas:
        return None  # history was rewritten: commits vanished from it
    new = now.shas - known.shas
    return {p for p, commits in site.history.files.items() if any(c.sha in new for c in commits)}


def dataset_files(
    site: Site, renderer: Renderer, inputs: bytes, known: Known | None = None
) -> DatasetFiles:
    """Digest the datasets a change can reach; jobs for the pages and JSON files that changed."""
    out = DatasetFiles()
    recent = site.history.recent
    head = recent[0].sha if recent else ""
    shas = known.shas if known is not None and known.head == head else _shas(site)
    context = context_of(site, inputs)
    old_rows = known.rows if known is not None else {}
    rows: dict[str, Row] = {}
    # Which datasets changed: their file (path and bytes) is not what the last build read.
    changed: list[Entry] = []
    for e in site.datasets:
        uid = e.data["uuid"]
        old = old_rows.get(uid)
        v = site.version(e)
        if old is not None and old[0] == v:
            rows[uid] = old
        else:
            rows[uid] = (v, b"")
            changed.append(e)
    gone = [uid for uid in old_rows if uid not in rows]
    out.known = now = Known(context, head, shas, rows)
    out.removed = [f for uid in gone for f in files_of(uid)]

    todo: list[Entry] | None = None
    if known is not None and known.context and known.context == context:
        touched = _history_reach(site, known, now)
        if touched is not None:
            then = [old_rows[u] for u in gone]
            then += [r for c in changed if (r := old_rows.get(c.data["uuid"])) is not None]
            uids = _reach(site, changed, then, gone)
            if touched:
                uids.update(x.data["uuid"] for x in site.datasets if x.path in touched)
            todo = [x for u in sorted(uids) if (x := site.dataset(u)) is not None]
    fingerprint = fingerprints(site)
    blake2b, versions = hashlib.blake2b, site.versions
    for e in site.datasets if todo is None else todo:
        out.digested += 1
        uid = e.data["uuid"]
        d = blake2b(inputs + fingerprint(e), digest_size=16).digest()
        group, parents = _links(site, e)
        old = old_rows.get(uid)
        row = rows[uid]
        rows[uid] = (
            (row[0], d, group, parents)
            if parents or len(versions.get(group, ())) > 1
            else (row[0], d)
        )
        if old is None or old[1] != d:
            page, data = files_of(uid)
            out.todo.append(Job(page, partial(_page, renderer, site, e)))
            out.todo.append(Job(data, partial(api.dataset_file, site, e)))
    return out
