"""schemathesis over every operation of the OpenAPI document, against the real server.

Half of the generated requests to signed operations are signed properly by worker w1, so
the checks reach past the signature into parsing, validation and the journal; the other
half keep schemathesis's own (random) signature headers and must be refused.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections import Counter
from collections.abc import Iterator

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis import checks

from catalog.service.openapi import document
from catalog.signing import signed_headers
from tests.conftest import git
from tests.service.conftest import Catalog, Live, serving, wait_for

pytestmark = pytest.mark.slow

EXAMPLES = 500
CALLS: Counter[str] = Counter()
SIGNED = ("/api/v1/reports", "/api/v1/jobs/claim", "/api/v1/jobs/{job_id}/renew")
CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_schema_conformance,
    checks.response_headers_conformance,
    checks.negative_data_rejection,
    checks.missing_required_header,
]


@pytest.fixture(scope="module")
def server(module_catalog: Catalog) -> Iterator[Live]:
    over = {"rate_per_worker": 1e6, "burst_per_worker": 10**6, "rate_per_client": 1e6}
    with serving(module_catalog, background=True, cycle_at_start=False, **over) as live:
        yield live


@pytest.fixture(scope="module")
def api(server: Live) -> schemathesis.BaseSchema:
    loaded = schemathesis.openapi.from_url(server.url + "/api/v1/openapi.json")
    # ASCII text only (the fuzz test covers the rest of Unicode): generating strings that
    # match the report's patterns from all of Unicode is several times slower.
    loaded.config.generation.update(codec="ascii")
    return loaded


schema = schemathesis.pytest.from_fixture("api")


def sign_half(cat: Catalog, case: schemathesis.Case, kwargs: dict[str, object]) -> None:
    """Sign a valid request as w1 when its body hashes even (so about half are signed).

    Requests generated to be invalid keep their headers: signing them could make them valid.
    """
    if "json" in kwargs:
        kwargs["data"] = json.dumps(kwargs.pop("json")).encode()
    raw = kwargs.get("data")
    negative = case.meta is not None and case.meta.generation.mode.is_negative
    if case.path not in SIGNED or negative or not isinstance(raw, bytes):
        return
    if hashlib.sha256(raw).digest()[0] % 2:
        return
    headers = dict(kwargs.get("headers") or {})  # type: ignore[call-overload]
    headers.update(signed_headers("w1", cat.keys["w1"], uuid.uuid4().hex, raw))
    kwargs["headers"] = headers


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_operation(case: schemathesis.Case, server: Live, module_catalog: Catalog) -> None:
    CALLS[f"{case.method} {case.path}"] += 1
    kwargs = case.as_transport_kwargs(base_url=server.url)
    sign_half(module_catalog, case, kwargs)
    response = server.http.request(**kwargs, timeout=30)  # type: ignore[arg-type]
    case.validate_response(response, checks=CHECKS, transport_kwargs=kwargs)


def test_every_operation_got_its_examples() -> None:
    # Runs after the operations. An operation without parameters or body has one possible
    # request; every other one must have been tried at least EXAMPLES times.
    for path, methods in document()["paths"].items():
        if path == "/api/v1/openapi.json":
            continue  # the document itself: schemathesis loaded it to begin with
        for method, operation in methods.items():
            calls = CALLS[f"{method.upper()} {path}"]
            has_inputs = "parameters" in operation or "requestBody" in operation
            assert calls >= (EXAMPLES if has_inputs else 1), (method, path, calls)


def test_no_generated_request_reached_git(server: Live, module_catalog: Catalog) -> None:
    # Runs after the operations (same module). Signed valid reports were accepted, but no
    # generated report names a real job: each was parked, none committed.
    wait_for(lambda: all(state != "pending" for *_, state in module_catalog.journal()))
    assert git(module_catalog.root, "rev-list", "--count", "HEAD").strip() == "1"
    assert {state for *_, state in module_catalog.journal()} <= {"parked"}
