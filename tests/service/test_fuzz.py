"""Hypothesis fuzz of the report webhook: headers, bodies and signatures, valid and not.

Most examples go through Flask's test client (the same WSGI app, in-process, for speed); a
smaller run goes over real HTTP to waitress. Whatever arrives: never a 5xx, never a
traceback in the log, and only an accepted (202) report may add a journal row.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from catalog.config import load_config
from catalog.service.app import create_app, service_of
from catalog.signing import sign as ed25519_sign
from tests.conftest import git
from tests.service.conftest import Catalog, Live, report, serving, wait_for

STATUSES = {202, 400, 401, 403, 409, 413, 415, 422}
HIGH = {"rate_per_worker": 1e9, "burst_per_worker": 10**9, "rate_per_client": 1e9}
HIGH_BURST = {**HIGH, "burst_per_client": 10**9, "max_body_bytes": 64 << 10}

text = st.text(max_size=20)
KEY_CHARS = "abcXYZ019._:-"
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | text,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(text, inner, max_size=3),
    max_leaves=6,
)
report_bodies = st.builds(
    lambda job, attempt, status, extra: json.dumps(
        report(job, attempt=attempt, status=status, **extra)
    ).encode(),
    st.sampled_from(["b0", "b1", "nope"]) | text,
    st.integers(-2, 120),
    st.sampled_from(["done", "failed", "timed_out", "cancelled", "weird"]),
    st.dictionaries(st.sampled_from(["stdout", "cache_key", "results", "round"]), json_values),
)
bodies = (
    report_bodies
    | json_values.map(lambda v: json.dumps(v).encode())
    | st.binary(max_size=200)
    | st.integers(1, 5000).map(lambda n: b"[" * n + b"]" * n)
    | st.just(b'{"a": 1, "a": 2}')
)


@st.composite
def requests_(draw: st.DrawFn) -> dict[str, Any]:
    """A report request: body, worker, key, timestamp, signature and content type."""
    body = draw(bodies)
    worker = draw(st.sampled_from(["w1", "w2", "off", "ghost"]) | text)
    key = draw(st.text(KEY_CHARS, min_size=1, max_size=16) | text)
    stamp = int(time.time()) + draw(st.sampled_from([0, 0, 0, 299, -299, 301, -301, 10**6]))
    how = draw(st.sampled_from(["valid", "valid", "other-key", "garbled", "missing", "random"]))
    return {
        "body": body,
        "worker": worker,
        "key": key,
        "stamp": draw(st.just(str(stamp)) | text) if how != "valid" else str(stamp),
        "how": how,
        "signature": draw(text),
        "type": draw(
            st.sampled_from(["application/json", "application/json; charset=utf-8"])
            | st.sampled_from(["text/plain", "", "application/json; charset=latin-1"])
        ),
    }


def headers_of(cat: Catalog, r: dict[str, Any]) -> dict[str, str]:
    """The request's headers; values that are not Latin-1 are dropped (HTTP cannot carry them)."""
    headers = {
        "Content-Type": r["type"],
        "X-Catalog-Worker": r["worker"],
        "X-Catalog-Timestamp": r["stamp"],
        "X-Catalog-Idempotency-Key": r["key"],
    }
    signer = {"valid": r["worker"], "other-key": "w2"}.get(r["how"])
    if signer in cat.keys and r["stamp"].isdigit():
        try:
            headers["X-Catalog-Signature"] = ed25519_sign(
                cat.keys[signer], int(r["stamp"]), r["key"], r["body"]
            )
        except Exception:  # noqa: BLE001 - a key sign() refuses: send a garbled one instead
            headers["X-Catalog-Signature"] = "ed25519=x"
    elif r["how"] == "garbled":
        headers["X-Catalog-Signature"] = "ed25519=" + r["signature"]
    elif r["how"] == "random":
        headers["X-Catalog-Signature"] = r["signature"]
    out = {}
    for k, v in headers.items():
        v = v.strip()  # HTTP clients refuse (and servers drop) surrounding blanks
        try:
            v.encode("latin-1")
        except UnicodeEncodeError:
            continue
        if "\n" not in v and "\r" not in v and "\x00" not in v:
            out[k] = v
    return out


class Errors(logging.Handler):
    """Collects error records (tracebacks) logged by the service."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def errors() -> Iterator[Errors]:
    handler = Errors()
    logger = logging.getLogger("catalog")
    logger.addHandler(handler)
    yield handler
    logger.removeHandler(handler)


def check(status: int, rows_before: int, rows_after: int, errors: Errors) -> None:
    assert status in STATUSES, status
    assert rows_after == rows_before or status == 202
    assert rows_after - rows_before <= 1
    assert not errors.records, errors.records[0].getMessage()


@pytest.mark.slow
def test_fuzz_in_process(module_catalog: Catalog, errors: Errors) -> None:
    app = create_app(load_config(module_catalog.root), background="off", port=0, **HIGH_BURST)
    client = app.test_client()
    journal = service_of(app).journal
    sent: list[int] = []

    @settings(max_examples=5000, deadline=None, suppress_health_check=list(HealthCheck))
    @given(r=requests_())
    def run(r: dict[str, Any]) -> None:
        sent.append(1)
        before = sum(journal.counts().values())
        resp = client.post("/api/v1/reports", data=r["body"], headers=headers_of(module_catalog, r))
        check(resp.status_code, before, sum(journal.counts().values()), errors)

    try:
        run()
    finally:
        service_of(app).stop()
    assert len(sent) >= 5000


@pytest.fixture(scope="module")
def fuzz_server(module_catalog: Catalog) -> Iterator[Live]:
    with serving(module_catalog, background=True, cycle_at_start=False, **HIGH_BURST) as live:
        yield live


@pytest.mark.slow
def test_fuzz_over_http(fuzz_server: Live, module_catalog: Catalog, errors: Errors) -> None:
    head = module_catalog.head()
    journal = service_of(fuzz_server.app).journal

    @settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
    @given(r=requests_())
    def run(r: dict[str, Any]) -> None:
        before = sum(journal.counts().values())
        resp = fuzz_server.post("/api/v1/reports", r["body"], headers_of(module_catalog, r))
        check(resp.status_code, before, sum(journal.counts().values()), errors)

    run()
    # Only accepted reports may have changed git, each through a commit of the committer
    # thread (some fuzzed reports name real blocks and do apply).
    wait_for(lambda: all(state != "pending" for *_, state in module_catalog.journal()))
    batches = git(
        module_catalog.root, "log", "--format=%(trailers:key=Catalog-Batch,valueonly)", f"{head}.."
    ).split()
    assert all(b.startswith("reports-") for b in batches)
    assert git(module_catalog.root, "status", "--porcelain") == ""
