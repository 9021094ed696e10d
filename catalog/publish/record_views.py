"""Page contexts of the records other than datasets, and of the site-wide pages."""

from __future__ import annotations

from urllib.parse import quote

from catalog.models import (
    DataFormat,
    DatasetType,
    Experiment,
    Notice,
    Repository,
    Revision,
    Tag,
    Training,
    Worker,
)
from catalog.publish import paths
from catalog.publish.gather import Site
from catalog.publish.markdown import plain_text, render_markdown, safe_url
from catalog.publish.notices import importance_rank
from catalog.publish.pages import (
    Badge,
    DatasetTypePage,
    FacetPage,
    Field,
    Filters,
    FormatPage,
    HomePage,
    IndexRow,
    KindCount,
    KindIndexPage,
    Link,
    NotFoundPage,
    NoticePage,
    RepositoryPage,
    RepoSummary,
    RevisionPage,
    SearchPage,
    TagPage,
)
from catalog.publish.views import (
    badge,
    dataset_row,
    fields,
    notice_item,
    sync_badge,
    text_field,
)
from catalog.records import Entry

LISTED = 100
"""Datasets listed on a notice, tag, type, ... page; the table shows the rest."""

KIND_LABELS = {
    "dataset": "Datasets",
    "notice": "Notices",
    "experiment": "Experiments",
    "training": "Trainings",
    "worker": "Workers",
    "tag": "Tags",
    "revision": "Revisions",
    "dataset-type": "Dataset types",
    "format": "Formats",
    "repository": "Repositories",
}
KIND_SINGULAR = {
    "tag": "Tag",
    "revision": "Revision",
    "dataset-type": "Dataset type",
    "format": "Format",
    "repository": "Repository",
}
FILTER_PARAM = {
    "tag": "tag",
    "revision": "revision",
    "dataset-type": "type",
    "format": "format",
    "repository": "repository",
    "notice": "notice",
}


def table_link(kind: str, name: str) -> str:
    """The datasets table filtered on one record (the script reads the query string)."""
    return f"{paths.DATASETS_TABLE}?{FILTER_PARAM[kind]}={quote(name, safe='')}"


def home_page(site: Site) -> HomePage:
    """Counts per kind, critical and major notices, recent changes."""
    counts = [
        KindCount(KIND_LABELS[k], len(v), Link(KIND_LABELS[k], paths.kind_index(k)))
        for k, v in site.records.by_kind.items()
    ]
    urgent = [
        notice_item(e)
        for e in sorted(site.records.by_kind["notice"], key=_importance)
        if _n(e).importance in ("CRITICAL", "MAJOR")
    ]
    return HomePage(
        path=paths.HOME,
        title=site.title,
        summary=site.config.description or f"{site.title}: datasets, notices and experiments.",
        section="home",
        description=render_markdown(site.config.description),
        counts=counts,
        banner=urgent,
        recent=site.history.recent[:10],
        sync_finished=site.sync.finished,
    )


def _n(e: Entry) -> Notice:
    assert isinstance(e.model, Notice)
    return e.model


def _importance(e: Entry) -> tuple[int, str]:
    return (-importance_rank(_n(e)), _n(e).name)


def notice_page(site: Site, e: Entry) -> NoticePage:
    """A notice, its description, ranges and the datasets it affects."""
    n = _n(e)
    hit = site.affects.get(n.name, [])
    sel = n.selector
    conditions = []
    if sel is not None:
        for label, values in (
            ("types", sel.dataset_types),
            ("revisions", sel.revisions),
            ("tags", sel.tags),
            ("collections", sel.collections),
        ):
            if values:
                conditions.append(f"{label}: {', '.join(values)}")
        if sel.created_from or sel.created_to:
            conditions.append(f"created {sel.created_from or '…'} to {sel.created_to or '…'}")
    affected_dates = ""
    if n.affected_from or n.affected_to:
        affected_dates = f"{n.affected_from or '…'} to {n.affected_to or '…'}"
    return NoticePage(
        path=paths.record_page("notice", n.name),
        title=n.title or n.name,
        summary=plain_text(n.description) or n.title or n.name,
        section="notice",
        crumbs=(Link("Notices", paths.kind_index("notice")),),
        badge=badge(n.importance, "imp"),
        description=render_markdown(n.description),
        fields=fields(
            text_field("Name", n.name),
            text_field("Created", n.created),
            text_field("Created by", n.created_by),
            text_field("Versions affected", n.version_affected),
            text_field("Data affected", affected_dates),
            text_field("Datasets named", len(n.datasets) or None),
            text_field("Selector", "; ".join(conditions)),
        ),
        affected=[dataset_row(d) for d in hit[:LISTED]],
        affected_total=len(hit),
        all_link=table_link("notice", n.name),
        api=paths.record_api("notice", n.name),
    )


def _facet_fields(e: Entry) -> list[Field]:
    m = e.model
    if isinstance(m, Tag):
        return fields(text_field("Protected", m.protected), text_field("Public", m.public))
    if isinstance(m, Revision):
        return fields(text_field("Created", m.created))
    if isinstance(m, DatasetType):
        return fields(
            text_field("File name pattern", m.filename_pattern, code=True),
            text_field("Metadata schema", m.metadata_schema),
        )
    if isinstance(m, DataFormat):
        return fields(
            text_field("File extension", m.file_extension, code=True),
            text_field("Python loader", m.python_loader_function, code=True),
            text_field("MATLAB loader", m.matlab_loader_function, code=True),
        )
    assert isinstance(m, Repository)
    data_url = safe_url(m.data_url)
    return fields(
        text_field("Type", m.type.value),
        text_field("Location", m.url, code=True),
        Field("Public URL", url=data_url, text=m.data_url or "") if data_url else None,
        text_field("Host", m.hostname),
        text_field("Time zone", m.timezone),
        text_field("Personal", m.personal),
        text_field("Offline", m.offline),
        text_field("Hash algorithm", m.hash_algorithm.value),
    )


FACET_PAGES: dict[str, type[FacetPage]] = {
    "tag": TagPage,
    "revision": RevisionPage,
    "dataset-type": DatasetTypePage,
    "format": FormatPage,
    "repository": RepositoryPage,
}


def facet_page(site: Site, e: Entry) -> FacetPage:
    """A tag, revision, type, format or repository with the datasets that use it."""
    name = str(getattr(e.model, "name"))  # noqa: B009 - facet kinds are named
    description = str(getattr(e.model, "description", ""))
    hit = site.using[e.kind].get(name, [])
    page = FACET_PAGES[e.kind](
        path=paths.record_page(e.kind, name),
        title=name,
        summary=plain_text(description) or f"{KIND_LABELS[e.kind]}: {name}",
        section=e.kind,
        crumbs=(Link(KIND_LABELS[e.kind], paths.kind_index(e.kind)),),
        kind_label=KIND_SINGULAR[e.kind],
        description=render_markdown(description),
        fields=_facet_fields(e),
        datasets=[dataset_row(d) for d in hit[:LISTED]],
        total=len(hit),
        all_link=table_link(e.kind, name),
        api=paths.record_api(e.kind, name),
    )
    if isinstance(page, RepositoryPage):
        r = site.sync.repositories.get(name)
        if r is not None:
            page.sync = RepoSummary(
                status=sync_badge(r.status),
                message=r.message,
                counts=tuple((k.replace("_", " "), v) for k, v in r.counts.items()),
                finished=site.sync.finished,
            )
    return page


def index_page(site: Site, kind: str) -> KindIndexPage:
    """Every record of a kind (not datasets: they have the table)."""
    entries = sorted(site.records.by_kind[kind], key=lambda e: e.model.key())
    columns: tuple[str, ...] = ("Description",)
    if kind == "notice":
        entries.sort(key=_importance)
        columns = ("Importance", "Title", "Datasets", "Created")
    elif kind in FACET_PAGES:
        columns = ("Description", "Datasets")
    elif kind == "experiment":
        columns = ("Status", "Author", "Blocks")
    elif kind == "training":
        columns = ("State", "Model", "Progress")
    elif kind == "worker":
        columns = ("Enabled", "Queues", "Capabilities")
    return KindIndexPage(
        path=paths.kind_index(kind),
        title=KIND_LABELS[kind],
        summary=f"{len(entries)} {KIND_LABELS[kind].lower()} of {site.title}.",
        section=kind,
        kind=kind,
        columns=columns,
        rows=[_index_row(site, e) for e in entries],
        api=paths.kind_api(kind),
    )


def _index_row(site: Site, e: Entry) -> IndexRow:
    m = e.model
    name = m.key()
    link = Link(name, paths.record_page(e.kind, name))
    desc = Field("", text=plain_text(str(getattr(m, "description", "")), 140))
    cells: tuple[Field, ...] = (desc,)
    if isinstance(m, Notice):
        count = len(site.affects.get(m.name, ()))
        cells = (
            Field("", badge=badge(m.importance, "imp")),
            Field("", text=m.title),
            Field("", text=str(count)),
            Field("", text=m.created or ""),
        )
    elif e.kind in FACET_PAGES:
        cells = (desc, Field("", text=str(len(site.using[e.kind].get(name, ())))))
    elif isinstance(m, Experiment):
        cells = (
            Field("", badge=badge(m.status.value, "status")),
            Field("", text=m.author),
            Field("", text=str(len(m.blocks))),
        )
    elif isinstance(m, Training):
        received = sum(len(r.updates) for r in m.rounds)
        cells = (
            Field("", badge=badge(m.state.value, "state")),
            Field("", text=m.model),
            Field("", text=f"{received} / {m.target_num_updates}"),
        )
    elif isinstance(m, Worker):
        cells = (
            Field("", badge=Badge("enabled", "ok") if m.enabled else Badge("disabled", "muted")),
            Field("", text=", ".join(m.queues)),
            Field("", text=", ".join(m.capabilities)),
        )
    return IndexRow(link, cells)


def search_page(filters: Filters) -> SearchPage:
    """The search page (results come from the static index, by script)."""
    return SearchPage(
        path=paths.SEARCH,
        title="Search",
        summary="Search every record of the catalog.",
        section="search",
        scripts=("search.js",),
        filters=filters,
    )


def not_found_page() -> NotFoundPage:
    """The page static hosts show for a missing address."""
    return NotFoundPage(path=paths.NOT_FOUND, title="Page not found")
