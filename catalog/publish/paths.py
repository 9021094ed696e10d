"""Where every page and API file lives in the built site, and links between them.

All paths here are relative to the site root, with '/' separators. Pages link to each other
with relative URLs (``root`` + path, where ``root`` climbs from the page to the site root),
so the site works from any sub-path, any static host and straight from disk.
"""

from __future__ import annotations

from catalog.models import KINDS
from catalog.publish.safenames import safe_name

HOME = "index.html"
SEARCH = "search.html"
NOT_FOUND = "404.html"
DATASETS_TABLE = "datasets/index.html"
CATALOG_JSONLD = "catalog.jsonld"
SITEMAP = "sitemap.xml"
STATIC = "static"


def folder(kind: str) -> str:
    """The folder of a kind's pages, e.g. 'dataset-types'."""
    return KINDS[kind].FOLDER


def record_key(kind: str, model: object) -> str:
    """What identifies a record in its URL: the uuid of a dataset, the name of the rest."""
    if kind == "dataset":
        return str(getattr(model, "uuid"))  # noqa: B009 - every dataset has one
    return str(getattr(model, "name"))  # noqa: B009 - every other kind has a name


def record_page(kind: str, key: str) -> str:
    """The page of one record, e.g. 'tags/raw.html'."""
    if kind == "dataset":
        return f"datasets/{key}.html"  # a uuid: lower-case hex and '-', always plain
    return f"{folder(kind)}/{safe_name(key)}.html"


def kind_index(kind: str) -> str:
    """The page listing every record of a kind."""
    return f"{folder(kind)}/index.html"


def table_page(number: int) -> str:
    """Page ``number`` (from 1) of the static datasets table."""
    return DATASETS_TABLE if number == 1 else f"datasets/index/{number}.html"


def record_api(kind: str, key: str) -> str:
    """The JSON of one record, e.g. 'api/tag/raw.json'."""
    if kind == "dataset":
        return f"api/dataset/{key}.json"
    return f"api/{kind}/{safe_name(key)}.json"


def kind_api(kind: str, number: int = 1) -> str:
    """Page ``number`` (from 1) of the JSON index of a kind."""
    return f"api/{kind}.json" if number == 1 else f"api/{kind}/index/{number}.json"


def root_of(page: str) -> str:
    """The relative URL from ``page`` to the site root ('' or '../' repeated)."""
    return "../" * page.count("/")


def link(page: str, target: str) -> str:
    """A relative URL from ``page`` to ``target`` (both site paths)."""
    return root_of(page) + target
