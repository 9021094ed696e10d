"""catalog: a static-first data catalog. YAML records in git, validated, published, kept true.

The public names are imported on first use (PEP 562): every ``catalog`` command imports
this package first, and commands that need no models (``catalog sync`` when nothing
changed, ``--help``) should not pay for building them.
"""

from __future__ import annotations

import importlib
import sys
import types
import typing

if typing.TYPE_CHECKING:
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

_HOMES = {
    "CatalogConfig": "catalog.config",
    "load_config": "catalog.config",
    "CatalogError": "catalog.errors",
    "ConfigError": "catalog.errors",
    "GitError": "catalog.errors",
    "RecordError": "catalog.errors",
    "SchemaError": "catalog.errors",
    "StorageError": "catalog.errors",
    "UnknownReferenceError": "catalog.errors",
    "WebhookError": "catalog.errors",
    "YAMLSyntaxError": "catalog.errors",
    "Problem": "catalog.problems",
    "Entry": "catalog.records",
    "Records": "catalog.records",
    "Validation": "catalog.validate",
    "load_catalog": "catalog.validate",
    "validate": "catalog.validate",
}

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


def __getattr__(name: str) -> object:
    """Import a public name from its module on first use."""
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'catalog' has no attribute {name!r}")
    value = getattr(importlib.import_module(home), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


class _Package(types.ModuleType):
    """This package's module object: ``catalog.validate`` stays the function."""

    def __setattr__(self, name: str, value: object) -> None:
        # Importing the submodule catalog.validate sets the package attribute of that name to
        # the module; the public name is the function, as it was when it was imported eagerly.
        if name == "validate" and isinstance(value, types.ModuleType):
            value = getattr(value, "validate", value)
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package
