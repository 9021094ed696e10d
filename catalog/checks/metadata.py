"""Dataset metadata follows its dataset type's JSON Schema (formats checked)."""

from __future__ import annotations

from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError as JSONSchemaError

from catalog.checks.finding import problem
from catalog.models import Dataset, DatasetType
from catalog.problems import Problem
from catalog.records import Records


def check_metadata(records: Records) -> list[Problem]:
    """Validate each type's schema, then each dataset's metadata against it."""
    out: list[Problem] = []
    validators: dict[str, Draft202012Validator] = {}
    for e in records.by_kind["dataset-type"]:
        t = e.model
        assert isinstance(t, DatasetType)
        if t.metadata_schema is None:
            continue
        try:
            Draft202012Validator.check_schema(t.metadata_schema)
        except JSONSchemaError as exc:
            where: tuple[str | int, ...] = ("metadata_schema", *exc.absolute_path)
            out.append(
                problem(
                    e,
                    where,
                    f"metadata_schema is not a valid JSON Schema: {exc.message}",
                    code="bad-schema",
                )
            )
            continue
        validators[t.name] = Draft202012Validator(
            t.metadata_schema, format_checker=Draft202012Validator.FORMAT_CHECKER
        )
    if not validators:
        return out
    for e in records.by_kind["dataset"]:
        d = e.model
        assert isinstance(d, Dataset)
        v = validators.get(d.dataset_type)
        if v is None:
            continue
        instance: Any = d.metadata if d.metadata is not None else {}
        for err in sorted(v.iter_errors(instance), key=lambda x: list(map(str, x.path))):
            out.append(
                problem(
                    e,
                    ("metadata", *err.absolute_path),
                    f"metadata does not follow dataset type '{d.dataset_type}': {err.message}",
                    code="metadata",
                )
            )
    return out
