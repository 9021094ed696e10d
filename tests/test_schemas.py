"""`catalog schemas`: generated JSON Schemas, and the --check CI runs on the committed ones."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner

from catalog.cli import main
from catalog.models import KINDS
from catalog.schemas import SCHEMA_DIR, schema_for
from catalog.yamlio import load_bytes
from tests.conftest import BASE_FILES


def test_the_committed_schemas_are_up_to_date() -> None:
    result = CliRunner().invoke(main, ["schemas", "--check"])
    assert result.exit_code == 0, result.output
    assert {f"{k}.schema.json" for k in KINDS} <= {p.name for p in SCHEMA_DIR.glob("*.json")}


def test_check_fails_on_a_stale_or_missing_schema(tmp_path: Path) -> None:
    runner = CliRunner()
    assert runner.invoke(main, ["schemas", "--out", str(tmp_path)]).exit_code == 0
    assert runner.invoke(main, ["schemas", "--check", "--out", str(tmp_path)]).exit_code == 0
    tag = tmp_path / "tag.schema.json"
    tag.write_text(tag.read_text().replace("protected", "protect"))
    (tmp_path / "worker.schema.json").unlink()
    result = runner.invoke(main, ["schemas", "--check", "--out", str(tmp_path)])
    assert result.exit_code == 1
    assert result.stderr == (
        f"stale schemas in {tmp_path}: tag.schema.json, worker.schema.json\n"
        "Run 'catalog schemas' and commit the result.\n"
    )


@pytest.mark.parametrize("kind", list(KINDS))
def test_each_schema_is_draft_2020_12_and_names_itself(kind: str) -> None:
    schema = schema_for(kind)
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"] == f"{kind}.schema.json"
    assert schema["additionalProperties"] is False


@pytest.mark.parametrize("rel", [r for r in BASE_FILES if r.startswith("records/")])
def test_the_schemas_accept_valid_records_and_refuse_unknown_fields(rel: str) -> None:
    import textwrap

    data = load_bytes(textwrap.dedent(str(BASE_FILES[rel])).encode(), rel).data
    schema = json.loads((SCHEMA_DIR / f"{data['kind']}.schema.json").read_text())
    validator = jsonschema.Draft202012Validator(schema)
    assert list(validator.iter_errors(data)) == []
    assert [e.message for e in validator.iter_errors({**data, "colour": 1})] == [
        "Additional properties are not allowed ('colour' was unexpected)"
    ]
