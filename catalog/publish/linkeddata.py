"""Linked data: schema.org ``Dataset`` JSON-LD for dataset pages, DCAT for the catalog.

JSON that goes into a ``<script type="application/ld+json">`` element is escaped so that no
``<``, ``>`` or ``&`` appears in it: ``</script>`` inside a record cannot end the element.
"""

from __future__ import annotations

import json
import math
from typing import Any
from urllib.parse import quote

from markupsafe import Markup

from catalog.models import Dataset, Repository

_SCRIPT_ESCAPES = {
    ord("<"): "\\u003c",
    ord(">"): "\\u003e",
    ord("&"): "\\u0026",
    0x2028: "\\u2028",
    0x2029: "\\u2029",
}


def json_safe(value: Any) -> Any:
    """``value`` with non-finite floats (YAML .nan, .inf) written as strings, for strict JSON."""
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    return value


def dumps(value: Any, *, indent: int | None = None) -> str:
    """Strict JSON text (UTF-8 kept readable); NaN and infinities become strings."""
    try:
        return json.dumps(value, ensure_ascii=False, indent=indent, allow_nan=False)
    except ValueError:
        return json.dumps(json_safe(value), ensure_ascii=False, indent=indent, allow_nan=False)


def script_json(value: Any) -> Markup:
    """JSON for a ``<script type="application/ld+json">`` element, safe against break-out."""
    return Markup(dumps(value).translate(_SCRIPT_ESCAPES))  # noqa: S704 - escaped above


def download_url(repo: Repository | None, relative_path: str) -> str | None:
    """The public HTTP URL of a file, when its repository has a data_url."""
    if repo is None or not repo.data_url:
        return None
    return repo.data_url.rstrip("/") + "/" + quote(relative_path, safe="/")


def absolute(base_url: str, path: str) -> str:
    """``path`` (site-relative) under the configured base URL."""
    return base_url.rstrip("/") + "/" + path


def dataset_jsonld(
    d: Dataset,
    *,
    url: str,
    catalog_name: str,
    repositories: dict[str, Repository],
    public: bool,
    format_name: str,
    modified: str | None,
) -> dict[str, Any]:
    """schema.org ``Dataset`` of one dataset, with one ``DataDownload`` per public copy."""
    doc: dict[str, Any] = {
        "@context": "https://schema.org/",
        "@type": "Dataset",
        "@id": url,
        "url": url,
        "name": d.key(),
        "description": d.description or f"{d.dataset_type} ({format_name}) {d.key()}",
        "identifier": d.uuid,
        "keywords": list(d.tags),
        "isAccessibleForFree": public,
        "includedInDataCatalog": {"@type": "DataCatalog", "name": catalog_name},
    }
    if d.created_datetime:
        doc["dateCreated"] = d.created_datetime
    if modified:
        doc["dateModified"] = modified
    if d.version:
        doc["version"] = d.version
    if d.created_by:
        doc["creator"] = {"@type": "Person", "name": d.created_by}
    downloads = []
    for fr in d.file_records:
        content = download_url(repositories.get(fr.repository), fr.relative_path)
        if content is None:
            continue
        dl: dict[str, Any] = {"@type": "DataDownload", "contentUrl": content}
        dl["encodingFormat"] = format_name
        if d.file_size is not None:
            dl["contentSize"] = f"{d.file_size} B"
        if d.hash:
            if d.hash_algorithm == "sha256":
                dl["sha256"] = d.hash
            dl["identifier"] = {
                "@type": "PropertyValue",
                "propertyID": d.hash_algorithm.value,
                "value": d.hash,
            }
        downloads.append(dl)
    if downloads:
        doc["distribution"] = downloads
    return doc


DCAT_CONTEXT = {
    "dcat": "http://www.w3.org/ns/dcat#",
    "dct": "http://purl.org/dc/terms/",
    "hydra": "http://www.w3.org/ns/hydra/core#",
    "spdx": "http://spdx.org/rdf/terms#",
}


def dcat_dataset(d: Dataset, *, url: str, repositories: dict[str, Repository]) -> dict[str, Any]:
    """One compact ``dcat:Dataset`` entry of the catalog."""
    entry: dict[str, Any] = {
        "@id": url,
        "@type": "dcat:Dataset",
        "dct:identifier": d.uuid,
        "dct:title": d.key(),
        "dcat:landingPage": url,
    }
    if d.tags:
        entry["dcat:keyword"] = list(d.tags)
    dists = []
    for fr in d.file_records:
        content = download_url(repositories.get(fr.repository), fr.relative_path)
        if content is None:
            continue
        dist: dict[str, Any] = {"@type": "dcat:Distribution", "dcat:downloadURL": content}
        if d.file_size is not None:
            dist["dcat:byteSize"] = d.file_size
        if d.hash:
            dist["spdx:checksum"] = {
                "spdx:algorithm": d.hash_algorithm.value,
                "spdx:checksumValue": d.hash,
            }
        dists.append(dist)
    if dists:
        entry["dcat:distribution"] = dists
    return entry
