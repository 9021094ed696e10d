"""catalog: a static-first data catalog. YAML records in git, validated, published, kept true."""

from __future__ import annotations

from catalog.config import CatalogConfig, load_config
from catalog.errors import (
    CatalogError,
    ConfigError,
    GitError,
    RecordError,
    SchemaError,
    StorageError,
    UnknownReferenceError,
    WebhookError,
    YAMLSyntaxError,
)
from catalog.problems import Problem
from catalog.records import Entry, Records
from catalog.validate import Validation, load_catalog, validate

__version__ = "0.1.0"

__all__ = [
    "CatalogConfig",
    "CatalogError",
    "ConfigError",
    "Entry",
    "GitError",
    "Problem",
    "RecordError",
    "Records",
    "SchemaError",
    "StorageError",
    "UnknownReferenceError",
    "Validation",
    "WebhookError",
    "YAMLSyntaxError",
    "__version__",
    "load_catalog",
    "load_config",
    "validate",
]
