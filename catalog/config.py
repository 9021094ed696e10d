"""Catalog settings from catalog.yaml, with CATALOG_* environment overrides."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from catalog.configfile import CONFIG_FILE as CONFIG_FILE
from catalog.configfile import ENV_PREFIX as ENV_PREFIX
from catalog.configfile import STATE_DIR
from catalog.errors import ConfigError, RecordError
from catalog.yamlio import load_bytes


class SiteConfig(BaseModel):
    """Settings of the published website."""

    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)

    title: str = "Data catalog"
    """Title shown on every page."""
    base_url: str = "/"
    """Path or URL the site is served under, e.g. /catalog/."""
    output: str = "_site"
    """Folder the site is built into, relative to the catalog root."""


class CatalogConfig(BaseModel):
    """catalog.yaml: how this catalog is named, checked, published, synced and run."""

    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)

    name: str = "catalog"
    """Name of the catalog."""
    description: str = ""
    """What the catalog holds."""
    naming: Literal["alf", "free"] = "free"
    """'alf' checks dataset names, collections and revisions against ALF conventions."""
    site: SiteConfig = Field(default_factory=SiteConfig)
    """Website settings."""
    schemas_dir: str = "schemas"
    """Folder of the JSON Schemas that record files point editors at, relative to the root."""
    state_dir: str = STATE_DIR
    """Folder (gitignored) for caches, reports and service state, relative to the root."""
    sync: dict[str, Any] = {}
    """Settings of `catalog sync` and the service's schedule."""
    runner: dict[str, Any] = {}
    """Settings of `catalog run`: backend, Dask scheduler address, replicate_to."""
    service: dict[str, Any] = {}
    """Settings of `catalog serve`."""
    git: dict[str, Any] = {}
    """Settings of the committer: bot identity, remote, branch."""

    root: Path = Field(default=Path("."), exclude=True)
    """The catalog's root folder (where catalog.yaml is); set by load_config."""

    @property
    def state_path(self) -> Path:
        """Absolute path of the state folder."""
        return (self.root / self.state_dir).resolve()


def _env_overrides() -> dict[str, Any]:
    # CATALOG_NAMING=alf, CATALOG_SITE__BASE_URL=/x/ (double underscore nests).
    out: dict[str, Any] = {}
    for key, value in os.environ.items():
        if not key.startswith(ENV_PREFIX) or key == "CATALOG_ROOT":
            continue
        parts = key[len(ENV_PREFIX) :].lower().split("__")
        if parts[0] not in CatalogConfig.model_fields:
            continue
        node = out
        for p in parts[:-1]:
            node = node.setdefault(p, {})
        node[parts[-1]] = value
    return out


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    for k, v in over.items():
        if isinstance(v, dict) and isinstance(base.get(k), dict):
            base[k] = _merge(dict(base[k]), v)
        else:
            base[k] = v
    return base


def load_config(root: Path) -> CatalogConfig:
    """Read ``root/catalog.yaml`` (defaults when absent) and apply CATALOG_* overrides."""
    path = root / CONFIG_FILE
    data: dict[str, Any] = {}
    if path.exists():
        try:
            data = load_bytes(path.read_bytes(), str(path)).data
        except RecordError as exc:
            raise ConfigError(str(exc)) from None
    data = _merge(data, _env_overrides())
    try:
        cfg = CatalogConfig.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"])
        raise ConfigError(f"{path}: {field}: {first['msg']}") from None
    cfg.root = root.resolve()
    return cfg
