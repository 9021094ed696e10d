"""Typed page contexts: one dataclass per page kind, each naming the template that draws it.

Templates receive exactly one of these (as ``page``) plus the site-wide ``site`` and ``root``
(the relative URL up to the site root). Paths in contexts are site-relative; templates
prefix them with ``root``. Text is plain and escaped by Jinja; the only HTML in a context
is typed ``Markup`` that the builder made safe (sanitized Markdown, the block graph SVG,
escaped JSON-LD).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from markupsafe import Markup

from catalog.publish.sources import Commit

# ---------------------------------------------------------------- shared pieces


@dataclass(frozen=True, slots=True)
class Link:
    """A link to another page of the site (``path`` is site-relative)."""

    text: str
    path: str


@dataclass(frozen=True, slots=True)
class Badge:
    """A short coloured label; ``tone`` picks the colour (a CSS class suffix)."""

    text: str
    tone: str


@dataclass(frozen=True, slots=True)
class Field:
    """One labelled value of a record. Exactly one of the value forms is used."""

    label: str
    text: str = ""
    links: tuple[Link, ...] = ()
    badge: Badge | None = None
    url: str | None = None
    """An external link (already checked against the scheme allowlist)."""
    html: Markup | None = None
    code: bool = False
    """Show ``text`` as code (hashes, paths, JSON)."""
    block: bool = False
    """Show ``text`` as a preformatted block."""


@dataclass(frozen=True, slots=True)
class NoticeItem:
    """A notice in a list or banner."""

    link: Link
    title: str
    badge: Badge
    created: str = ""
    description: Markup = Markup("")


@dataclass(frozen=True, slots=True)
class DatasetRow:
    """One dataset in a table."""

    link: Link
    name: str
    where: str
    """Session, collection and revision: the key without the name."""
    dataset_type: str
    data_format: str
    revision: str
    tags: tuple[str, ...]
    qc: Badge
    size: str
    created: str
    default: bool
    repositories: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Option:
    """A value a table or search can be filtered on, with how many records have it."""

    value: str
    count: int


@dataclass(frozen=True, slots=True)
class Filters:
    """The filter choices of the datasets table and the search page."""

    kinds: tuple[Option, ...] = ()
    types: tuple[Option, ...] = ()
    formats: tuple[Option, ...] = ()
    tags: tuple[Option, ...] = ()
    revisions: tuple[Option, ...] = ()
    qc: tuple[Option, ...] = ()
    repositories: tuple[Option, ...] = ()
    notices: tuple[Option, ...] = ()


@dataclass(kw_only=True, slots=True)
class Page:
    """What every page has."""

    template: ClassVar[str] = ""
    path: str
    """Where the page is written, relative to the site root."""
    title: str
    summary: str = ""
    """One line for the meta description."""
    section: str = ""
    """Which navigation entry is current."""
    crumbs: tuple[Link, ...] = ()
    """Breadcrumbs between Home and this page."""
    jsonld: Markup | None = None
    scripts: tuple[str, ...] = ()
    """Static scripts (under static/) the page needs."""


# ---------------------------------------------------------------- pages


@dataclass(frozen=True, slots=True)
class KindCount:
    """A kind, how many records it has and where they are listed."""

    label: str
    count: int
    link: Link


@dataclass(kw_only=True, slots=True)
class HomePage(Page):
    """The landing page: counts, urgent notices, recent changes, links to every index."""

    template: ClassVar[str] = "home.html"
    description: Markup = Markup("")
    counts: list[KindCount] = field(default_factory=list)
    banner: list[NoticeItem] = field(default_factory=list)
    recent: list[Commit] = field(default_factory=list)
    sync_finished: str = ""


@dataclass(kw_only=True, slots=True)
class DatasetTablePage(Page):
    """One page of the datasets table; scripts make it filterable and sortable."""

    template: ClassVar[str] = "datasets.html"
    rows: list[DatasetRow] = field(default_factory=list)
    number: int = 1
    pages: int = 1
    total: int = 0
    previous: str | None = None
    next: str | None = None
    filters: Filters = field(default_factory=Filters)


@dataclass(frozen=True, slots=True)
class FileRow:
    """One copy of a dataset's file and what the last sync found."""

    repository: Link
    relative_path: str
    download: str | None
    recorded_exists: bool
    status: Badge | None
    checked: str
    verified_at: str
    detail: str


@dataclass(frozen=True, slots=True)
class VersionRow:
    """The same dataset in another revision."""

    link: Link
    revision: str
    default: bool
    current: bool
    qc: Badge


@dataclass(kw_only=True, slots=True)
class DatasetPage(Page):
    """Everything about one dataset."""

    template: ClassVar[str] = "dataset.html"
    uuid: str
    name: str
    key: str
    qc: Badge
    description: Markup = Markup("")
    fields: list[Field] = field(default_factory=list)
    glance: list[Field] = field(default_factory=list)
    """The few fields of the summary panel."""
    download: str | None = None
    """The first public download URL, if any."""
    files: list[FileRow] = field(default_factory=list)
    synced: bool = False
    """Whether a sync report exists (each file row says when it was checked)."""
    notices: list[NoticeItem] = field(default_factory=list)
    versions: list[VersionRow] = field(default_factory=list)
    made_from: list[Link] = field(default_factory=list)
    made_by: Link | None = None
    used_by: list[Link] = field(default_factory=list)
    history: list[Commit] = field(default_factory=list)
    api: str = ""
    source: str = ""


@dataclass(kw_only=True, slots=True)
class NoticePage(Page):
    """A data-quality notice and the datasets it affects."""

    template: ClassVar[str] = "notice.html"
    badge: Badge
    description: Markup = Markup("")
    fields: list[Field] = field(default_factory=list)
    affected: list[DatasetRow] = field(default_factory=list)
    affected_total: int = 0
    all_link: str = ""
    api: str = ""


@dataclass(frozen=True, slots=True)
class RepoSummary:
    """The latest sync outcome of one repository."""

    status: Badge
    message: str
    counts: tuple[tuple[str, int], ...]
    finished: str


@dataclass(kw_only=True, slots=True)
class FacetPage(Page):
    """A record that datasets point at (tag, revision, type, format, repository)."""

    template: ClassVar[str] = "facet.html"
    kind_label: str
    description: Markup = Markup("")
    fields: list[Field] = field(default_factory=list)
    datasets: list[DatasetRow] = field(default_factory=list)
    total: int = 0
    all_link: str = ""
    api: str = ""


@dataclass(kw_only=True, slots=True)
class TagPage(FacetPage):
    """A tag and its datasets."""

    template: ClassVar[str] = "tag.html"


@dataclass(kw_only=True, slots=True)
class RevisionPage(FacetPage):
    """A revision and its datasets."""

    template: ClassVar[str] = "revision.html"


@dataclass(kw_only=True, slots=True)
class DatasetTypePage(FacetPage):
    """A dataset type and its datasets."""

    template: ClassVar[str] = "dataset-type.html"


@dataclass(kw_only=True, slots=True)
class FormatPage(FacetPage):
    """A data format and its datasets."""

    template: ClassVar[str] = "format.html"


@dataclass(kw_only=True, slots=True)
class RepositoryPage(FacetPage):
    """A repository, its latest sync summary and its datasets."""

    template: ClassVar[str] = "repository.html"
    sync: RepoSummary | None = None


@dataclass(frozen=True, slots=True)
class Bar:
    """One bar of a bar chart: a label, a value and its share of the largest."""

    label: str
    value: float
    text: str
    max: float


@dataclass(frozen=True, slots=True)
class BlockView:
    """One block of an experiment."""

    name: str
    anchor: str
    status: Badge
    fields: list[Field]
    inputs: list[Field]
    outputs: list[Field]
    stdout: str
    stderr: str
    error_report: str


@dataclass(frozen=True, slots=True)
class ResultRow:
    """One result of an experiment."""

    name: str
    type: str
    value: str
    primary: bool
    block: str


@dataclass(kw_only=True, slots=True)
class ExperimentPage(Page):
    """An experiment: its block graph, blocks, results and timings."""

    template: ClassVar[str] = "experiment.html"
    status: Badge
    description: Markup = Markup("")
    fields: list[Field] = field(default_factory=list)
    graph: Markup = Markup("")
    blocks: list[BlockView] = field(default_factory=list)
    results: list[ResultRow] = field(default_factory=list)
    timings: list[Bar] = field(default_factory=list)
    datasets: list[Link] = field(default_factory=list)
    api: str = ""


@dataclass(frozen=True, slots=True)
class RoundRow:
    """One round of a training."""

    number: int
    updates: int
    finished: str
    aggregated_hash: str


@dataclass(kw_only=True, slots=True)
class TrainingPage(Page):
    """A federated training and its progress."""

    template: ClassVar[str] = "training.html"
    state: Badge
    description: Markup = Markup("")
    fields: list[Field] = field(default_factory=list)
    options: list[Field] = field(default_factory=list)
    participants: list[Link] = field(default_factory=list)
    received: int = 0
    target: int = 1
    rounds: list[RoundRow] = field(default_factory=list)
    datasets: list[Link] = field(default_factory=list)
    api: str = ""


@dataclass(kw_only=True, slots=True)
class WorkerPage(Page):
    """A worker: what it offers (its keys are public; no secret is ever shown)."""

    template: ClassVar[str] = "worker.html"
    enabled: Badge
    description: Markup = Markup("")
    fields: list[Field] = field(default_factory=list)
    api: str = ""


@dataclass(frozen=True, slots=True)
class IndexRow:
    """One record in a kind's index."""

    link: Link
    cells: tuple[Field, ...]


@dataclass(kw_only=True, slots=True)
class KindIndexPage(Page):
    """Every record of one kind."""

    template: ClassVar[str] = "index.html"
    kind: str
    columns: tuple[str, ...] = ()
    rows: list[IndexRow] = field(default_factory=list)
    api: str = ""


@dataclass(kw_only=True, slots=True)
class SearchPage(Page):
    """Client-side search over every record."""

    template: ClassVar[str] = "search.html"
    filters: Filters = field(default_factory=Filters)


@dataclass(kw_only=True, slots=True)
class NotFoundPage(Page):
    """Shown by static hosts for a missing page."""

    template: ClassVar[str] = "404.html"
