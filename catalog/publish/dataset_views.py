"""Page contexts about datasets: the dataset page, the datasets table, and its JSON."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from typing import Any

from catalog.models import Repository
from catalog.publish import datasetdata as dd
from catalog.publish import paths
from catalog.publish.gather import Site
from catalog.publish.linkeddata import (
    absolute,
    dataset_jsonld,
    download_url,
    script_json,
)
from catalog.publish.markdown import plain_text, render_markdown
from catalog.publish.pages import (
    DatasetPage,
    DatasetTablePage,
    Field,
    FileRow,
    Filters,
    Link,
    VersionRow,
)
from catalog.publish.svg import block_anchor
from catalog.publish.views import (
    dataset,
    dataset_link,
    dataset_row,
    fields,
    human_size,
    links,
    notice_item,
    qc_badge,
    record_link,
    sync_badge,
    text_field,
)
from catalog.records import Entry

TABLE_ROWS = 100
"""Rows per page of the static datasets table."""


def fingerprints(site: Site) -> Callable[[Entry], bytes]:
    """What a dataset's page and JSON depend on, as bytes: records, sync findings, commits.

    Called for every dataset on every build, so it only gathers versions and ids: the
    dataset itself, the records it names (type, format, tags, repositories), its notices,
    its other revisions, what it was made from and what was made from it, the last sync
    findings on its files, and the commits that touched it. (The build hashes it.) The
    lookups are set up once per build and the dataset's data read directly: no model.
    """
    version, sync, history = site.version, site.sync, site.history.files
    refs: dict[str, dict[str, bytes]] = defaultdict(dict)
    for (kind, name), v in site.ref_versions().items():
        refs[kind][name] = v
    types, formats, tags, repos = (
        refs["dataset-type"],
        refs["format"],
        refs["tag"],
        refs["repository"],
    )
    experiments, notices_of, children = refs["experiment"], site.notices_of, site.children
    versions, dataset = site.versions, site.dataset
    # Whether any sync report exists shows; when the last one ran is on repository pages.
    tail = b"synced" if sync.finished else b"-"

    def fingerprint(e: Entry) -> bytes:
        d = e.data
        uid = d["uuid"]
        parts = [e.digest or version(e), types.get(d["dataset_type"], b"-")]
        parts.append(formats.get(d["data_format"], b"-"))
        for t in d.get("tags") or ():
            parts.append(tags.get(t, b"-"))
        for fr in d.get("file_records") or ():
            parts.append(repos.get(fr["repository"], b"-"))
            if sync.files:
                s = sync.status(uid, fr["repository"], fr["relative_path"])
                if s is not None:
                    parts.append(f"{s.status}|{s.checked}|{s.verified_at}|{s.detail}".encode())
        # Most datasets have none of what follows: look before building lists.
        if uid in notices_of:
            parts += [version(n) for n in notices_of[uid]]
        group = versions.get((d.get("session", ""), d.get("collection", ""), d["name"]), ())
        if len(group) > 1:
            parts += [version(v) for v in group]
        if uid in children:
            parts += [version(c) for c in children[uid]]
        if d.get("provenance"):
            parents, experiment = dd.provenance(e)
            parts += [version(p) for u in parents if (p := dataset(u))]
            if experiment is not None:
                parts.append(experiments.get(experiment, b"-"))
        if e.path in history:
            parts += [c.sha.encode() for c in history[e.path]]
        parts.append(tail)
        return b"|".join(parts)

    return fingerprint


def _files(site: Site, e: Entry, repos: dict[str, Repository]) -> list[FileRow]:
    d = dataset(e)
    rows = []
    for fr in d.file_records:
        s = site.sync.status(d.uuid, fr.repository, fr.relative_path)
        rows.append(
            FileRow(
                repository=record_link("repository", fr.repository),
                relative_path=fr.relative_path,
                download=download_url(repos.get(fr.repository), fr.relative_path),
                recorded_exists=fr.exists,
                status=sync_badge(s.status) if s else None,
                checked=s.checked if s else "",
                verified_at=(s.verified_at or "") if s else "",
                detail=s.detail if s else "",
            )
        )
    return rows


def _versions(site: Site, e: Entry) -> list[VersionRow]:
    d = dataset(e)
    group = site.versions.get((d.session, d.collection, d.name), [])
    if len(group) < 2:
        return []
    return [
        VersionRow(
            link=dataset_link(v),
            revision=dataset(v).revision or "(no revision)",
            default=dataset(v).default_dataset,
            current=v is e,
            qc=qc_badge(dataset(v).qc),
        )
        for v in group
    ]


def record_json(e: Entry) -> dict[str, Any]:
    """What ``api/<kind>/<name>.json`` holds for one record."""
    key = paths.record_key(e.kind, e.model)
    return {
        "kind": e.kind,
        "key": key,
        "page": paths.record_page(e.kind, key),
        "source": e.path,
        "record": e.data,
    }


def dataset_json(site: Site, e: Entry) -> dict[str, Any]:
    """A dataset's API document: the record plus its notices and last sync findings."""
    d = dataset(e)
    out = record_json(e)
    out["notices"] = [n.model.key() for n in site.notices_of.get(d.uuid, ())]
    out["sync"] = [
        {"repository": fr.repository, "relative_path": fr.relative_path, "status": s.status,
         "checked": s.checked, "verified_at": s.verified_at}
        for fr in d.file_records
        if (s := site.sync.status(d.uuid, fr.repository, fr.relative_path)) is not None
    ]  # fmt: skip
    return out


def dataset_page(site: Site, e: Entry) -> DatasetPage:
    """The page of one dataset: every field, files, notices, revisions, provenance, history."""
    d = dataset(e)
    path = paths.record_page("dataset", d.uuid)
    repos = site.repositories()
    history = site.history.files.get(e.path, [])
    fmt = site.records.get("format", d.data_format)
    jsonld = dataset_jsonld(
        d,
        url=absolute(site.base_url, path),
        catalog_name=site.config.name,
        repositories=repos,
        public=any(t in site.public_tags for t in d.tags),
        format_name=(getattr(fmt.model, "file_extension", "") or d.data_format) if fmt else "",
        modified=history[0].date if history else None,
    )
    made_by = None
    if d.provenance is not None and d.provenance.block is not None:
        b = d.provenance.block
        made_by = Link(
            f"{b.experiment} / {b.block}" + (f" / {b.output}" if b.output else ""),
            paths.record_page("experiment", b.experiment) + "#" + block_anchor(b.block),
        )
    made_from = []
    if d.provenance is not None:
        made_from = [dataset_link(p) for u in d.provenance.datasets if (p := site.dataset(u))]
    files = _files(site, e, repos)
    glance = fields(
        _link_field("Type", "dataset-type", [d.dataset_type]),
        _link_field("Format", "format", [d.data_format]),
        _link_field("Revision", "revision", [d.revision] if d.revision else []),
        _link_field("Tags", "tag", d.tags),
        text_field("Size", human_size(d.file_size)),
        text_field("Created", (d.created_datetime or "")[:10]),
    )
    return DatasetPage(
        path=path,
        title=d.key(),
        summary=plain_text(d.description) or f"{d.dataset_type} dataset {d.key()}",
        section="datasets",
        jsonld=script_json(jsonld),
        crumbs=(Link("Datasets", paths.DATASETS_TABLE),),
        uuid=d.uuid,
        name=d.name,
        key=d.key(),
        qc=qc_badge(d.qc),
        description=render_markdown(d.description),
        fields=fields(
            text_field("Name", d.name, code=True),
            text_field("UUID", d.uuid, code=True),
            text_field("Session", d.session, code=True),
            text_field("Collection", d.collection, code=True),
            _link_field("Dataset type", "dataset-type", [d.dataset_type]),
            _link_field("Format", "format", [d.data_format]),
            _link_field("Revision", "revision", [d.revision] if d.revision else []),
            _link_field("Tags", "tag", d.tags),
            text_field("Default dataset", d.default_dataset),
            text_field("File size", f"{human_size(d.file_size)} ({d.file_size:,} bytes)")
            if d.file_size is not None
            else None,
            text_field(f"Hash ({d.hash_algorithm.value})", d.hash, code=True),
            text_field("Version", d.version),
            text_field("Created by", d.created_by),
            text_field("Created", d.created_datetime),
            text_field("Generating software", d.generating_software),
            text_field("Metadata", d.metadata),
        ),
        glance=glance,
        download=next((f.download for f in files if f.download), None),
        files=files,
        synced=bool(site.sync.finished),
        notices=[notice_item(n, with_description=True) for n in site.notices_of.get(d.uuid, [])],
        versions=_versions(site, e),
        made_from=made_from,
        made_by=made_by,
        used_by=[dataset_link(c) for c in site.children.get(d.uuid, [])],
        history=history,
        api=paths.record_api("dataset", d.uuid),
        source=e.path,
    )


def _link_field(label: str, kind: str, names: list[str]) -> Field | None:
    return Field(label, links=links(kind, names)) if names else None


def table_pages(site: Site) -> int:
    """How many pages the static datasets table has."""
    return max(1, -(-len(site.datasets) // TABLE_ROWS))


def table_slice(site: Site, number: int) -> list[Entry]:
    """The datasets on page ``number`` of the table."""
    return site.datasets[(number - 1) * TABLE_ROWS : number * TABLE_ROWS]


def table_page(site: Site, number: int, filters: Filters) -> DatasetTablePage:
    """Page ``number`` of the datasets table.

    The first page carries the filters and the script that makes the whole table
    filterable and sortable; the others are plain pages for readers without script and
    for crawlers, so that filter counts changing does not rewrite them all.
    """
    pages = table_pages(site)
    return DatasetTablePage(
        path=paths.table_page(number),
        title="Datasets" if number == 1 else f"Datasets, page {number}",
        summary=f"All {len(site.datasets)} datasets of {site.title}.",
        section="datasets",
        crumbs=() if number == 1 else (Link("Datasets", paths.DATASETS_TABLE),),
        scripts=("search.js",) if number == 1 else (),
        rows=[dataset_row(e) for e in table_slice(site, number)],
        number=number,
        pages=pages,
        total=len(site.datasets),
        previous=paths.table_page(number - 1) if number > 1 else None,
        next=paths.table_page(number + 1) if number < pages else None,
        filters=filters if number == 1 else Filters(),
    )
