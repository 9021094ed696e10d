"""The status page: the service's state rendered with the site's templates."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

if TYPE_CHECKING:
    from catalog.service.runtime import Service

TEMPLATE = "status.html"
"""The status page's template, in the site's templates folder."""


def templates_dir() -> Path:
    """The site's templates folder (top-level ``site/templates``)."""
    return Path(__file__).resolve().parents[2] / "site" / "templates"


@lru_cache(maxsize=1)
def environment() -> Environment:
    """A strict, autoescaping Jinja environment over the site's templates."""
    return Environment(
        loader=FileSystemLoader(templates_dir()),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render_status(svc: Service, status: dict[str, Any]) -> str:
    """The HTML of the status page."""
    template = environment().get_template(TEMPLATE)
    return template.render(
        status=status,
        site_title=svc.config.site.title,
        catalog_name=svc.config.name,
        base_url=svc.config.site.base_url,
    )
