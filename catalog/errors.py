"""The one error family of the catalog.

::

    CatalogError                      anything the catalog reports to a user
    ├── RecordError                   a fault in one record file (path, line, col, record, field)
    │   ├── YAMLSyntaxError           malformed or refused YAML (alias, tag, directive, ...)
    │   ├── SchemaError               a value the record model does not accept
    │   └── UnknownReferenceError     a name that points at no record
    ├── ConfigError                   catalog.yaml or an environment override is wrong
    ├── StorageError                  a data repository could not be read or written
    ├── GitError                      git refused or failed
    └── WebhookError                  a bad request to the service (carries an HTTP status)

Errors never import click: ``cli.py`` turns them into click exceptions (exit 1).
"""

from __future__ import annotations


class CatalogError(Exception):
    """Base class of every error the catalog reports to a user."""


class RecordError(CatalogError):
    """A fault located in one record file."""

    def __init__(
        self,
        path: str,
        line: int,
        col: int,
        message: str,
        *,
        record: str = "",
        field: str = "",
        hint: str = "",
    ) -> None:
        self.path = path
        self.line = line
        self.col = col
        self.record = record
        self.field = field
        self.message = message
        self.hint = hint
        where = f"{path}:{line}:{col}: "
        who = f"{record}: " if record else ""
        what = f"{field}: " if field else ""
        tail = f" {hint}" if hint else ""
        super().__init__(f"{where}{who}{what}{message}{tail}")


class YAMLSyntaxError(RecordError):
    """Malformed YAML, or a YAML feature the catalog refuses."""


class SchemaError(RecordError):
    """A value that the record's model does not accept."""


class UnknownReferenceError(RecordError):
    """A reference to a record that does not exist."""


class ConfigError(CatalogError):
    """catalog.yaml or a CATALOG_* environment override is invalid."""


class StorageError(CatalogError):
    """A data repository could not be reached, listed, read or written."""

    def __init__(self, repository: str, message: str) -> None:
        self.repository = repository
        super().__init__(f"repository '{repository}': {message}")


class GitError(CatalogError):
    """A git operation failed."""


class WebhookError(CatalogError):
    """A request the service refuses; ``status`` is the HTTP status to answer with."""

    def __init__(self, status: int, message: str, *, code: str = "bad_request") -> None:
        self.status = status
        self.code = code
        super().__init__(message)
