"""Dataset metadata follows its type's JSON Schema, with formats (date-time, uri) enforced."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from catalog.checks.metadata import check_metadata
from tests.checks.build import BASE, dataset, records, type_

SCHEMA = {
    "type": "object",
    "properties": {
        "recorded": {"type": "string", "format": "date-time"},
        "protocol": {"type": "string", "format": "uri"},
        "channels": {"type": "integer", "minimum": 1},
    },
    "required": ["channels"],
}
TYPED = type_("spikes.times", "*spikes.times*.npy", metadata_schema=SCHEMA)


def test_the_format_checkers_the_schemas_rely_on_are_installed() -> None:
    # Without jsonschema[format-nongpl] these formats would silently pass anything.
    assert {"date-time", "uri"} <= set(Draft202012Validator.FORMAT_CHECKER.checkers)


@pytest.mark.parametrize(
    ("metadata", "field", "message"),
    [
        (
            {"channels": 384, "recorded": "yesterday"},
            "metadata.recorded",
            "'yesterday' is not a 'date-time'",
        ),
        (
            {"channels": 384, "recorded": "2024-13-01T10:00:00Z"},
            "metadata.recorded",
            "'2024-13-01T10:00:00Z' is not a 'date-time'",
        ),
        (
            {"channels": 384, "protocol": "not a uri"},
            "metadata.protocol",
            "'not a uri' is not a 'uri'",
        ),
        ({"channels": 0}, "metadata.channels", "0 is less than the minimum of 1"),
        ({}, "metadata", "'channels' is a required property"),
        (None, "metadata", "'channels' is a required property"),
    ],
)
def test_bad_metadata_is_reported_at_its_field(
    metadata: dict[str, Any] | None, field: str, message: str
) -> None:
    ds = dataset(metadata=metadata) if metadata is not None else dataset()
    [p] = check_metadata(records(*BASE[:2], TYPED, ds))
    assert (p.field, p.code) == (field, "metadata")
    assert p.message == f"metadata does not follow dataset type 'spikes.times': {message}"


def test_good_metadata_passes() -> None:
    good = {
        "channels": 384,
        "recorded": "2024-01-05T10:00:00Z",
        "protocol": "https://example.org/protocols/42",
    }
    assert check_metadata(records(*BASE[:2], TYPED, dataset(metadata=good))) == []


def test_an_invalid_schema_is_reported_on_the_type_not_its_datasets() -> None:
    bad = type_("spikes.times", "*spikes.times*.npy", metadata_schema={"type": "strange"})
    [p] = check_metadata(records(*BASE[:2], bad, dataset(metadata={"x": 1})))
    assert (p.record, p.field, p.code) == (
        "dataset-type 'spikes.times'",
        "metadata_schema.type",
        "bad-schema",
    )
    assert p.message.startswith(
        "metadata_schema is not a valid JSON Schema: 'strange' is not valid"
    )


def test_datasets_of_a_type_without_schema_may_hold_any_metadata() -> None:
    assert check_metadata(records(*BASE, dataset(metadata={"anything": [1, {"x": None}]}))) == []


def test_iri_formats_are_checked() -> None:
    schema = {"type": "object", "properties": {"home": {"type": "string", "format": "iri"}}}
    typed = type_("spikes.times", "*spikes.times*.npy", metadata_schema=schema)
    [p] = check_metadata(records(*BASE[:2], typed, dataset(metadata={"home": "not an iri"})))
    assert p.message.endswith("'not an iri' is not a 'iri'")


def test_checking_metadata_does_not_build_the_iri_grammar_until_needed() -> None:
    # jsonschema's import would compile the IRI grammar (most of a second) on every run.
    code = (
        "import sys\n"
        "from catalog.checks.metadata import make_validator\n"
        "v = make_validator({'properties': {'d': {'format': 'date-time'}}})\n"
        "assert [e.message for e in v.iter_errors({'d': 'x'})] == [\"'x' is not a 'date-time'\"]\n"
        "print('lark' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout == "False\n"
