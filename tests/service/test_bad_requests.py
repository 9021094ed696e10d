"""One table of bad requests to the report webhook, each with its exact status.

Every case runs against the real app under waitress. Whatever a case needs first (an
accepted report to replay, a spent rate budget) happens before the snapshot; the refused
request itself must leave HEAD and the journal exactly as they were.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
import requests

from tests.service.conftest import Catalog, Live, LiveFactory, encode, report, sign

LIMIT = 64 << 10
"""max_body_bytes of the server under test."""

Send = Callable[[], requests.Response]


@dataclass(frozen=True)
class Case:
    """A bad request: ``prepare`` does any setup and returns the request to measure."""

    name: str
    status: int
    prepare: Callable[[Catalog, Live], Send]


def post(live: Live, raw: bytes, headers: dict[str, str]) -> Send:
    return lambda: live.post("/api/v1/reports", raw, headers)


def signed(worker: str = "w1", body: bytes | None = None, **kw: object) -> Callable[..., Send]:
    def prepare(cat: Catalog, live: Live) -> Send:
        raw = encode(report()) if body is None else body
        return post(live, raw, sign(cat, worker, raw, **kw))  # type: ignore[arg-type]

    return prepare


Change = Callable[[dict[str, str], bytes], tuple[dict[str, str], bytes]]


def tampered(change: Change) -> Callable[..., Send]:
    def prepare(cat: Catalog, live: Live) -> Send:
        raw = encode(report())
        headers, raw = change(sign(cat, "w1", raw), raw)
        return post(live, raw, headers)

    return prepare


def without(header: str) -> Callable[..., Send]:
    return tampered(lambda h, b: ({k: v for k, v in h.items() if k != header}, b))


def garbled(h: dict[str, str], b: bytes) -> tuple[dict[str, str], bytes]:
    return {**h, "X-Catalog-Signature": "ed25519=%%%not-base64%%%"}, b


def other_key(cat: Catalog, live: Live) -> Send:
    raw = encode(report())
    headers = sign(cat, "w2", raw)  # w2's key, claiming to be w1
    return post(live, raw, {**headers, "X-Catalog-Worker": "w1"})


def one_byte_changed(h: dict[str, str], b: bytes) -> tuple[dict[str, str], bytes]:
    return h, b.replace(b'"b0"', b'"b1"', 1)


def skewed(seconds: int) -> Callable[..., Send]:
    def prepare(cat: Catalog, live: Live) -> Send:
        return signed(timestamp=int(time.time()) + seconds)(cat, live)

    return prepare


def replay(cat: Catalog, live: Live) -> Send:
    raw = encode(report())
    headers = sign(cat, "w1", raw, key="replayed")
    assert live.post("/api/v1/reports", raw, headers).status_code == 202
    return post(live, raw, headers)


def key_reused(cat: Catalog, live: Live) -> Send:
    raw = encode(report())
    assert live.post("/api/v1/reports", raw, sign(cat, "w1", raw, key="k")).status_code == 202
    other = encode(report(stdout="another body"))
    return post(live, other, sign(cat, "w1", other, key="k"))


def other_attempt(cat: Catalog, live: Live) -> Send:
    raw = encode(report(attempt=2))
    assert live.post("/api/v1/reports", raw, sign(cat, "w2", raw)).status_code == 202
    late = encode(report(attempt=1))
    return post(live, late, sign(cat, "w1", late))


def chunked_too_big(cat: Catalog, live: Live) -> Send:
    raw = b"[" + b"0," * LIMIT + b"0]"
    headers = sign(cat, "w1", raw)

    def chunks() -> Iterator[bytes]:
        for i in range(0, len(raw), 8192):
            yield raw[i : i + 8192]

    return lambda: live.http.post(
        live.url + "/api/v1/reports", data=chunks(), headers=headers, timeout=30
    )


def content_type(value: str) -> Callable[..., Send]:
    return tampered(lambda h, b: ({**h, "Content-Type": value}, b))


def spent_budget(cat: Catalog, live: Live) -> Send:
    # Signed non-JSON bodies spend flood's tokens (authenticated, then refused, 400)
    # without touching the journal.
    for _ in range(BURST):
        raw = b"not json"
        assert live.post("/api/v1/reports", raw, sign(cat, "flood", raw)).status_code == 400
    raw = encode(report())
    return post(live, raw, sign(cat, "flood", raw))


BURST = 5

CASES = [
    Case("missing signature", 401, without("X-Catalog-Signature")),
    Case("missing worker", 401, without("X-Catalog-Worker")),
    Case("missing timestamp", 401, without("X-Catalog-Timestamp")),
    Case("garbled signature", 401, tampered(garbled)),
    Case("signed with another worker's key", 401, other_key),
    Case("body changed by one byte", 401, tampered(one_byte_changed)),
    Case("timestamp 301 s ahead", 401, skewed(301)),
    Case("timestamp 301 s behind", 401, skewed(-301)),
    Case("unknown worker", 401, tampered(lambda h, b: ({**h, "X-Catalog-Worker": "ghost"}, b))),
    Case("disabled worker", 403, signed("off")),
    Case(
        "bad idempotency key",
        400,
        tampered(lambda h, b: ({**h, "X-Catalog-Idempotency-Key": "a b"}, b)),
    ),
    Case("replay gets the first answer", 202, replay),
    Case("same key, another body", 409, key_reused),
    Case("job settled by another attempt", 409, other_attempt),
    Case("body over the limit", 413, signed(body=b" " * (LIMIT + 1))),
    Case("chunked body over the limit", 413, chunked_too_big),
    Case("text/plain", 415, content_type("text/plain")),
    Case("JSON in latin-1", 415, content_type("application/json; charset=latin-1")),
    Case("invalid UTF-8", 400, signed(body=b'{"job_id": "\xff\xfe"}')),
    Case("not JSON", 400, signed(body=b"{job_id: b0}")),
    Case("NaN is not JSON", 400, signed(body=b'{"attempt": NaN}')),
    Case("schema-invalid", 422, signed(body=encode(report(attempt=0)))),
    Case("unknown field", 422, signed(body=encode(report(extra_field=1)))),
    Case("10,000-deep JSON", 400, signed(body=b"[" * 10_000 + b"]" * 10_000)),
    Case("duplicate keys", 400, signed(body=b'{"job_id": "block:exp/b0", "job_id": "x"}')),
    Case("over the rate limit", 429, spent_budget),
]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_bad_request(case: Case, catalog: Catalog, live_service: LiveFactory) -> None:
    live = live_service(max_body_bytes=LIMIT, rate_per_worker=0.001, burst_per_worker=BURST)
    send = case.prepare(catalog, live)
    head, journal = catalog.head(), catalog.journal()
    resp = send()
    assert resp.status_code == case.status, resp.text
    assert (catalog.head(), catalog.journal()) == (head, journal)
    if case.status == 429:
        assert int(resp.headers["Retry-After"]) >= 1
    if resp.headers.get("Content-Type") == "application/json":
        assert resp.json()["ok"] is (case.status == 202)


def test_table_covers_the_issue() -> None:
    assert len(CASES) >= 18
    assert {c.status for c in CASES} == {202, 400, 401, 403, 409, 413, 415, 422, 429}
