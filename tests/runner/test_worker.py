"""The worker entry point on real subprocesses: outputs, results, and every way to fail."""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from catalog.runner.results import ResultError, typed_results
from tests.runner.conftest import INPUT, run

Spec = Callable[..., dict[str, Any]]


def _repo_file(spec: dict[str, Any], rel: str) -> Path:
    return Path(spec["root"]) / "data" / "main" / rel


def test_a_block_runs_and_its_output_is_stored_hashed(block_spec: Spec) -> None:
    spec = block_spec({"suffix": "!"})
    report = run(spec)
    assert report.status == "done", report.error_report
    out = report.outputs[0]
    assert out.hash == hashlib.sha256(INPUT + b"!").hexdigest()
    assert out.file_size == len(INPUT) + 1
    assert out.relative_path is not None
    assert out.relative_path.startswith(f"blocks/{'ab' * 32}/")
    assert _repo_file(spec, out.relative_path).read_bytes() == INPUT + b"!"
    assert report.stdout == f"wrote {len(INPUT)} bytes\n"


def test_metrics_are_measured(block_spec: Spec) -> None:
    report = run(block_spec({"sleep": 0.2}))
    m = report.metrics
    assert m.linear_execution_s is not None
    assert m.linear_execution_s >= 0.2
    assert m.cpu_s is not None
    assert m.max_memory_bytes is not None
    assert m.max_memory_bytes > 1_000_000  # a Python interpreter
    assert m.data_read_bytes is not None
    assert m.data_read_bytes >= len(INPUT)
    assert m.started is not None
    assert m.finished is not None
    assert m.started < m.finished


def test_a_failing_command_is_reported_with_its_stderr(block_spec: Spec) -> None:
    report = run(block_spec({"mode": "fail"}))
    assert report.status == "failed"
    assert report.error_report == "the command exited with status 3:\nabout to fail"
    assert report.stderr == "about to fail\n"
    assert report.outputs == []


def test_a_command_over_its_time_limit_is_killed_and_its_outputs_dropped(
    block_spec: Spec, tmp_path: Path
) -> None:
    spec = block_spec({"sleep": 30, "write": "partial.bin"}, timeout_s=0.5)
    t0 = time.monotonic()
    report = run(spec)
    assert time.monotonic() - t0 < 10
    assert report.status == "timed_out"
    assert report.error_report == "timed out: killed after the time limit of 0.5 s"
    assert report.outputs == []
    assert not (Path(spec["root"]) / "data" / "main" / "blocks").exists()


def test_megabytes_of_output_keep_an_excerpt_and_the_whole_log(block_spec: Spec) -> None:
    spec = block_spec({"mode": "spam", "kib": 3 * 1024})
    report = run(spec)
    assert report.status == "done"
    assert len(report.stdout) < 10_000
    assert "bytes left out; the whole log is" in report.stdout
    log = report.stdout.split("the whole log is ")[1].split(" …]")[0]
    assert Path(log).stat().st_size == 3 * 1024 * 1024 + len(f"wrote {len(INPUT)} bytes\n")
    assert report.stdout.endswith(f"wrote {len(INPUT)} bytes\n")


def test_a_timeout_kills_what_the_command_started_too(block_spec: Spec, tmp_path: Path) -> None:
    pid_file = tmp_path / "child.pid"
    script = (
        "import subprocess, sys, time, pathlib; "
        "c = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)']); "
        f"pathlib.Path({str(pid_file)!r}).write_text(str(c.pid)); time.sleep(60)"
    )
    report = run(block_spec(command=["python", "-c", script], timeout_s=1))
    assert report.status == "timed_out"
    child = int(pid_file.read_text())
    deadline = time.monotonic() + 5
    while Path(f"/proc/{child}").exists() and time.monotonic() < deadline:
        if "Z" in Path(f"/proc/{child}/stat").read_text().split()[2]:
            break  # a zombie waiting for its (gone) parent's reaper: dead
        time.sleep(0.05)
    alive = Path(f"/proc/{child}").exists()
    assert not alive or "Z" in Path(f"/proc/{child}/stat").read_text().split()[2]


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"mode": "nowrite"}, "output 'out' was not written at its declared path 'out.bin'"),
        (
            {"write": "sub/out.bin"},
            "output 'out' was not written at its declared path 'out.bin' (a file 'sub/out.bin' "
            "exists; is the declared path right?)",
        ),
    ],
)
def test_a_missing_output_fails_the_block(
    block_spec: Spec, params: dict[str, Any], message: str
) -> None:
    report = run(block_spec(params))
    assert report.status == "failed"
    assert report.error_report == message


RESULTS = [
    {"name": "n", "type": "int32", "schema": None},
    {"name": "score", "type": "float32", "schema": None},
    {"name": "ok", "type": "bool", "schema": None},
    {"name": "label", "type": "string", "schema": None},
    {
        "name": "hist",
        "type": "schema",
        "schema": {"type": "array", "items": {"type": "integer"}, "maxItems": 3},
    },
]


def test_typed_results_are_reported(block_spec: Spec) -> None:
    values = {"n": 7, "score": 0.5, "ok": True, "label": "good", "hist": [1, 2], "extra": 1}
    report = run(block_spec({"results": values}, results=RESULTS))
    assert report.status == "done", report.error_report
    assert report.results == {"n": 7, "score": 0.5, "ok": True, "label": "good", "hist": [1, 2]}


def test_a_result_that_does_not_match_its_schema_fails_the_block(block_spec: Spec) -> None:
    report = run(block_spec({"results": {"hist": [1, "two"]}}, results=RESULTS))
    assert report.status == "failed"
    assert report.error_report == (
        "result 'hist' does not match its schema: 1: 'two' is not of type 'integer'"
    )
    assert report.outputs == []


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ({"n": 2**31}, "result 'n' = 2147483648 is outside the int32 range"),
        ({"n": 1.5}, "result 'n' must be an int32, got 1.5"),
        ({"n": True}, "result 'n' must be an int32, got True"),
        ({"score": 1e39}, "result 'score' = 1e+39 is not a finite float32"),
        ({"score": float("nan")}, "result 'score' = nan is not a finite float32"),
        ({"ok": 1}, "result 'ok' must be true or false, got 1"),
        ({"label": 3}, "result 'label' must be a string, got 3"),
        ({"hist": [1, 2, 3, 4]}, "result 'hist' does not match its schema: the value: "),
    ],
)
def test_bad_result_values_are_refused(value: dict[str, Any], message: str) -> None:
    with pytest.raises(ResultError, match=re.escape(message)):
        typed_results(RESULTS, value)


def test_an_input_that_changed_since_it_was_verified_is_not_run(block_spec: Spec) -> None:
    spec = block_spec()
    _repo_file(spec, "in/src.bin").write_bytes(b"tampered" + INPUT[8:])
    report = run(spec)
    assert report.status == "failed"
    assert "input 'src' could not be staged" in report.error_report
    assert "the record says" in report.error_report


def test_a_command_that_cannot_start_fails_clearly(block_spec: Spec) -> None:
    report = run(block_spec(command=["/nonexistent/tool"]))
    assert report.status == "failed"
    assert report.error_report.startswith("the command could not be started")


def test_cache_and_cancel_specs_report_without_running(block_spec: Spec) -> None:
    cached = {"source": "block:other/b", "outputs": [], "results": {"n": 1}}
    report = run(block_spec(action="cache", cached=cached))
    assert report.status == "done"
    assert report.from_cache
    assert report.results == {"n": 1}
    report = run(block_spec(action="cancel", reason="block 'a' failed"))
    assert report.status == "cancelled"
    assert report.error_report == "not run: block 'a' failed"
