"""Gather: everything the pages need, computed once from a valid catalog before writing.

The :class:`Site` holds the records plus the relations between them that pages show: which
notices affect a dataset, its other revisions, what it was made from and what was made from
it, the datasets behind every tag, type, format, revision and repository, git history and
the latest sync report. Nothing here renders or writes.
"""

from __future__ import annotations

import hashlib
import pickle
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from catalog.config import CatalogConfig
from catalog.models import Experiment, Notice, Repository, Tag
from catalog.publish import datasetdata as dd
from catalog.publish.notices import DatasetIndex, affected, importance_rank
from catalog.publish.sources import History, SyncFacts
from catalog.records import Entry, Records

FACETS = ("dataset-type", "format", "revision", "tag", "repository")
"""Kinds whose pages list the datasets that use them."""


@dataclass(slots=True)
class Site:
    """A valid catalog with the relations its pages show."""

    config: CatalogConfig
    records: Records
    history: History
    sync: SyncFacts
    base_url: str
    datasets: list[Entry] = field(default_factory=list)
    """Every dataset, ordered by session/collection/revision/name."""
    notices_of: dict[str, list[Entry]] = field(default_factory=dict)
    """Dataset uuid → the notices that affect it, most important first."""
    affects: dict[str, list[Entry]] = field(default_factory=dict)
    """Notice name → the datasets it affects, in dataset order."""
    versions: dict[tuple[str, str, str], list[Entry]] = field(default_factory=dict)
    """(session, collection, name) → that dataset in every revision, oldest first."""
    children: dict[str, list[Entry]] = field(default_factory=dict)
    """Dataset uuid → datasets whose provenance names it."""
    produced: dict[str, list[Entry]] = field(default_factory=dict)
    """Experiment name → datasets made by its blocks."""
    using: dict[str, dict[str, list[Entry]]] = field(default_factory=dict)
    """Facet kind → record name → datasets using it (see FACETS)."""
    public_tags: frozenset[str] = frozenset()
    """Names of tags marked public."""
    _versions: dict[str, bytes] = field(default_factory=dict)
    _refs: dict[tuple[str, str], bytes] | None = None
    _repos: dict[str, Repository] | None = None

    @property
    def title(self) -> str:
        """The site's title."""
        return self.config.site.title

    def version(self, entry: Entry) -> bytes:
        """A short digest of a record's content: changes whenever the record does."""
        if entry.digest is not None:  # records read from files: digest of path and bytes
            return entry.digest
        v = self._versions.get(entry.path)
        if v is None:
            v = hashlib.blake2b(pickle.dumps(entry.data, 5), digest_size=8).digest()
            self._versions[entry.path] = v
        return v

    def ref_versions(self) -> dict[tuple[str, str], bytes]:
        """(kind, name) → version of every record other than a dataset."""
        if self._refs is None:
            self._refs = {
                (e.kind, e.model.key()): self.version(e)
                for kind, entries in self.records.by_kind.items()
                if kind != "dataset"
                for e in entries
            }
        return self._refs

    def repositories(self) -> dict[str, Repository]:
        """Repository models by name."""
        if self._repos is None:
            self._repos = {r.name: r for r in self.records.models(Repository)}
        return self._repos

    def dataset(self, uuid: str) -> Entry | None:
        """The dataset entry with ``uuid``."""
        return self.records.get("dataset", uuid)


def gather(
    config: CatalogConfig,
    records: Records,
    *,
    history: History | None = None,
    sync: SyncFacts | None = None,
    base_url: str | None = None,
) -> Site:
    """Compute every relation the pages show, once."""
    site = Site(
        config,
        records,
        history or History(),
        sync or SyncFacts(),
        base_url if base_url is not None else config.site.base_url,
    )
    datasets = sorted(records.by_kind["dataset"], key=dd.key)
    site.datasets = datasets
    _relate_datasets(site, datasets)
    _relate_notices(site, records, datasets)
    site.public_tags = frozenset(t.name for t in records.models(Tag) if t.public)
    return site


def _relate_datasets(site: Site, datasets: list[Entry]) -> None:
    versions: dict[tuple[str, str, str], list[Entry]] = defaultdict(list)
    children: dict[str, list[Entry]] = defaultdict(list)
    produced: dict[str, list[Entry]] = defaultdict(list)
    using: dict[str, dict[str, list[Entry]]] = {k: defaultdict(list) for k in FACETS}
    types, formats, revisions = using["dataset-type"], using["format"], using["revision"]
    tags, repositories = using["tag"], using["repository"]
    for e in datasets:  # every dataset, every build: read the data, make no model
        d = e.data
        versions[d.get("session", ""), d.get("collection", ""), d["name"]].append(e)
        types[d["dataset_type"]].append(e)
        formats[d["data_format"]].append(e)
        if d.get("revision"):
            revisions[d["revision"]].append(e)
        for t in d.get("tags") or ():
            tags[t].append(e)
        copies = d.get("file_records")
        if copies:
            if len(copies) == 1:
                repositories[copies[0]["repository"]].append(e)
            else:
                for repo in dict.fromkeys(fr["repository"] for fr in copies):
                    repositories[repo].append(e)
        if d.get("provenance"):
            parents, experiment = dd.provenance(e)
            for parent in dict.fromkeys(parents):
                children[parent].append(e)
            if experiment is not None:
                produced[experiment].append(e)
    for x in site.records.by_kind["experiment"]:
        assert isinstance(x.model, Experiment)
        listed = produced[x.model.name]
        seen = {id(e) for e in listed}
        for uid in x.model.datasets:
            made = site.dataset(uid)
            if made is not None and id(made) not in seen:
                listed.append(made)
                seen.add(id(made))
    site.versions = {
        k: sorted(v, key=lambda e: dd.revision(e) or "") if len(v) > 1 else v
        for k, v in versions.items()
    }
    site.children = dict(children)
    site.produced = dict(produced)
    site.using = {k: dict(v) for k, v in using.items()}


def _relate_notices(site: Site, records: Records, datasets: list[Entry]) -> None:
    index = DatasetIndex(datasets)
    notices = sorted(
        records.by_kind["notice"],
        key=lambda e: (-importance_rank(_notice(e)), _notice(e).name),
    )
    notices_of: dict[str, list[Entry]] = defaultdict(list)
    for n in notices:
        # In table order (by key, as site.datasets): only the few affected are looked at.
        hit = [records.by_uuid[u] for u in affected(_notice(n), index)]
        hit.sort(key=dd.key)
        site.affects[_notice(n).name] = hit
        for e in hit:
            notices_of[e.data["uuid"]].append(n)
    site.notices_of = dict(notices_of)


def _notice(e: Entry) -> Notice:
    assert isinstance(e.model, Notice)
    return e.model


def site_inputs(templates: Path, static: Path) -> bytes:
    """A digest of the templates and static files: every page depends on them."""
    h = hashlib.blake2b(digest_size=16)
    for folder in (templates, static):
        for p in sorted(folder.rglob("*")):
            if p.is_file():
                h.update(p.relative_to(folder).as_posix().encode() + b"\0")
                h.update(p.read_bytes())
    return h.digest()
