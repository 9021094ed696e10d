"""Dataset metadata follows its dataset type's JSON Schema (formats checked).

jsonschema is imported only when a schema is really used: its format checkers take most of
a second to import, which a catalog without metadata schemas should not pay on every run.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import types
from typing import TYPE_CHECKING, Any

from catalog.checks.context import Context
from catalog.checks.finding import problem
from catalog.models import Dataset, DatasetType
from catalog.problems import Problem
from catalog.records import Entry, Records

if TYPE_CHECKING:
    from jsonschema.protocols import Validator


class _DeferredGrammar(types.ModuleType):
    """Stands in for rfc3987_syntax until its one function is first called."""

    def _real(self) -> types.ModuleType:
        if sys.modules.get(self.__name__) is self:
            del sys.modules[self.__name__]
        return importlib.import_module(self.__name__)

    def is_valid_syntax(self, rule: str, value: str) -> bool:
        """The real rfc3987_syntax.is_valid_syntax."""
        return bool(self._real().is_valid_syntax(rule, value))

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):  # the import system probing (__path__, __spec__...)
            raise AttributeError(name)
        return getattr(self._real(), name)


def _defer_iri_grammar() -> None:
    """Keep jsonschema's import from building the IRI grammar (~0.7 s) nobody may use.

    jsonschema imports rfc3987_syntax at import time for the 'iri' formats, and that module
    compiles a large grammar when imported. The stand-in loads it on the first 'iri' check.
    """
    name = "rfc3987_syntax"
    if name in sys.modules or "jsonschema" in sys.modules:
        return
    if importlib.util.find_spec(name) is None:
        return
    sys.modules[name] = _DeferredGrammar(name)


def schema_error(schema: dict[str, Any]) -> tuple[tuple[str | int, ...], str] | None:
    """Where and why ``schema`` is not a valid Draft 2020-12 schema, or None when it is."""
    _defer_iri_grammar()
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import SchemaError as JSONSchemaError

    try:
        Draft202012Validator.check_schema(schema)
    except JSONSchemaError as exc:
        return tuple(exc.absolute_path), exc.message
    return None


def make_validator(schema: dict[str, Any]) -> Validator | None:
    """A validator with format checking (date-time, uri, ...) on, or None for a bad schema."""
    _defer_iri_grammar()
    from jsonschema import Draft202012Validator

    if schema_error(schema) is not None:
        return None
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


def type_schema(e: Entry, ctx: Context) -> list[Problem]:
    """A dataset type's metadata_schema must itself be a valid JSON Schema."""
    t = e.model
    assert isinstance(t, DatasetType)
    if t.metadata_schema is None:
        return []
    bad = schema_error(t.metadata_schema)
    if bad is None:
        return []
    where, message = bad
    return [
        problem(
            e,
            ("metadata_schema", *where),
            f"metadata_schema is not a valid JSON Schema: {message}",
            code="bad-schema",
            hint="See https://json-schema.org/understanding-json-schema/ (Draft 2020-12).",
        )
    ]


def dataset_metadata(e: Entry, ctx: Context) -> list[Problem]:
    """A dataset's metadata must follow its type's metadata_schema, formats included."""
    d = e.model
    assert isinstance(d, Dataset)
    v = ctx.validator(d.dataset_type)
    if v is None:
        return []
    instance: Any = d.metadata if d.metadata is not None else {}
    return [
        problem(
            e,
            ("metadata", *err.absolute_path),
            f"metadata does not follow dataset type '{d.dataset_type}': {err.message}",
            code="metadata",
        )
        for err in sorted(v.iter_errors(instance), key=lambda x: list(map(str, x.path)))
    ]


def check_metadata(records: Records) -> list[Problem]:
    """Validate each type's schema, then each dataset's metadata against it."""
    ctx = Context.of(records)
    out: list[Problem] = []
    for e in records.by_kind["dataset-type"]:
        out += type_schema(e, ctx)
    for e in records.by_kind["dataset"]:
        out += dataset_metadata(e, ctx)
    return out
