"""The report body model and its published JSON Schema."""

from __future__ import annotations

import json
from typing import Any

import jsonschema
import pytest
from pydantic import ValidationError

from catalog.runner.report import Report, report_schema
from catalog.schemas import SCHEMA_DIR, stale

GOOD: dict[str, Any] = {
    "job_id": "block:filter/smooth",
    "attempt": 1,
    "kind": "block",
    "status": "done",
    "experiment": "filter",
    "block": "smooth",
    "training": None,
    "round": 0,
    "cache_key": "ab" * 32,
    "metrics": {
        "queuing_s": 0.0,
        "linear_execution_s": 1.5,
        "cpu_s": 1.2,
        "max_memory_bytes": 1024,
        "data_read_bytes": 0,
        "data_written_bytes": 8,
        "started": "2024-01-01T00:00:00Z",
        "finished": "2024-01-01T00:00:01Z",
    },
    "outputs": [
        {
            "name": "out",
            "repository": "local-main",
            "relative_path": "b/out.npy",
            "hash": "cd" * 32,
            "hash_algorithm": "sha256",
            "file_size": 8,
        }
    ],
    "results": {"accuracy": 0.9},
    "stdout": "ok",
    "stderr": "",
    "error_report": "",
    "update": None,
}


def test_the_contract_example_is_a_valid_report() -> None:
    report = Report.model_validate(GOOD)
    assert report.outputs[0].file_size == 8
    jsonschema.validate(GOOD, report_schema())


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"status": "ok"}, "status"),
        ({"kind": "block", "block": None}, "a block report needs 'experiment' and 'block'"),
        ({"kind": "training-round", "training": None}, "needs 'training' and 'round'"),
        ({"status": "failed"}, "only a report with status 'done' may list outputs"),
        ({"job_id": "nothing"}, "job_id"),
        ({"attempt": 0}, "attempt"),
        ({"extra": 1}, "extra"),
    ],
)
def test_bad_reports_are_refused(change: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        Report.model_validate({**GOOD, **change})


def test_the_committed_report_schema_is_current() -> None:
    assert "report.schema.json" not in stale(SCHEMA_DIR)
    on_disk = json.loads((SCHEMA_DIR / "report.schema.json").read_text())
    assert on_disk["$id"] == "report.schema.json"
    assert on_disk["properties"]["status"]["enum"] == ["done", "failed", "timed_out", "cancelled"]
