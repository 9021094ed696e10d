"""Jinja2 rendering of page contexts: autoescape on, undefined names are errors."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from jinja2 import (
    Environment,
    FileSystemBytecodeCache,
    FileSystemLoader,
    StrictUndefined,
    Template,
    select_autoescape,
)

from catalog.publish import paths
from catalog.publish.pages import Link, Page

THEME = Path(__file__).resolve().parents[2] / "site"
"""The site's templates and static files (the top-level ``site/`` folder)."""
TEMPLATES = THEME / "templates"
STATIC = THEME / "static"

CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; manifest-src 'self'; object-src 'none'; "
    "base-uri 'none'; form-action 'self'"
)
"""The Content-Security-Policy of every page: only the site's own files, no inline script.

JSON-LD blocks are data, not script, and need no exception. Sanitized Markdown cannot
carry styles or images from elsewhere, and the policy would refuse them if it could.
"""

NAV = (
    ("Datasets", paths.DATASETS_TABLE, "datasets"),
    ("Notices", paths.kind_index("notice"), "notice"),
    ("Experiments", paths.kind_index("experiment"), "experiment"),
    ("Trainings", paths.kind_index("training"), "training"),
    ("Tags", paths.kind_index("tag"), "tag"),
    ("Types", paths.kind_index("dataset-type"), "dataset-type"),
    ("Repositories", paths.kind_index("repository"), "repository"),
    ("Search", paths.SEARCH, "search"),
)


@dataclass(frozen=True, slots=True)
class SiteInfo:
    """What every page shows about the site as a whole."""

    title: str
    name: str
    csp: str = CSP
    nav: tuple[tuple[str, str, str], ...] = NAV
    footer: tuple[Link, ...] = (
        Link("Search", paths.SEARCH),
        Link("JSON API", paths.kind_api("dataset")),
        Link("DCAT catalog", paths.CATALOG_JSONLD),
        Link("Sitemap", paths.SITEMAP),
    )


def environment(templates: Path = TEMPLATES, cache_dir: Path | None = None) -> Environment:
    """The Jinja environment: HTML autoescaped, StrictUndefined, tidy whitespace.

    With ``cache_dir``, compiled templates are kept there (checked against each template's
    source): a rebuild that renders a few pages spent most of its rendering compiling them.
    """
    env = Environment(
        loader=FileSystemLoader(str(templates)),
        bytecode_cache=FileSystemBytecodeCache(str(cache_dir)) if cache_dir else None,
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        auto_reload=False,  # one build, fixed templates: no stat() per page
    )
    env.globals["kind_api"] = paths.kind_api
    return env


class Renderer:
    """Renders pages to bytes with one environment (templates are compiled once)."""

    def __init__(
        self,
        info: SiteInfo,
        base_url: str,
        templates: Path = TEMPLATES,
        cache_dir: Path | None = None,
    ) -> None:
        self.env = environment(templates, cache_dir)
        self._templates: dict[str, Template] = {}
        self.info = info
        self.base_url = base_url

    def render(self, page: Page) -> bytes:
        """The HTML of ``page``."""
        template = self._templates.get(page.template)
        if template is None:
            template = self._templates[page.template] = self.env.get_template(page.template)
        root = paths.root_of(page.path)
        if page.path == paths.NOT_FOUND:
            # Hosts serve the 404 page at any depth: its links start from the base URL.
            root = self.base_url if self.base_url.endswith("/") else self.base_url + "/"
        html = template.render(page=page, site=self.info, root=root)
        return html.encode("utf-8")
