"""Every error the service gives has one JSON shape: ok, status, error, errors."""

from __future__ import annotations

import logging

import pytest
import requests

from tests.service.conftest import Catalog, Live, LiveFactory, encode, report, sign

SHAPE = {"ok", "status", "error", "errors"}


def check_shape(resp: requests.Response, status: int) -> dict[str, object]:
    assert resp.status_code == status, resp.text
    assert resp.headers["Content-Type"] == "application/json"
    body = resp.json()
    assert set(body) == SHAPE
    assert (body["ok"], body["status"]) == (False, status)
    assert isinstance(body["error"], str)
    assert isinstance(body["errors"], list)
    return body


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/no/such/page", 404),
        ("GET", "/api/v1/jobs/block:exp/none", 404),
        ("DELETE", "/api/v1/reports", 405),
        ("GET", "/api/v1/reports", 405),
        ("PUT", "/api/v1/status", 405),
        ("POST", "/api/v1/reports", 415),
    ],
)
def test_http_errors_have_the_shape(
    live_service: LiveFactory, method: str, path: str, status: int
) -> None:
    live = live_service()
    check_shape(live.http.request(method, live.url + path, timeout=10), status)


def test_405_names_the_allowed_methods(live_service: LiveFactory) -> None:
    live = live_service()
    resp = live.http.delete(live.url + "/api/v1/reports", timeout=10)
    assert "POST" in resp.headers["Allow"]


def test_refusals_have_the_shape(catalog: Catalog, live_service: LiveFactory) -> None:
    live: Live = live_service(burst_per_worker=1, rate_per_worker=0.001)
    raw = encode(report(attempt="1"))
    check_shape(live.post("/api/v1/reports", raw, {"Content-Type": "application/json"}), 401)
    body = check_shape(live.post("/api/v1/reports", raw, sign(catalog, "w1", raw)), 422)
    assert body["errors"] == ["attempt: Input should be a valid integer"]
    check_shape(live.post("/api/v1/reports", raw, sign(catalog, "w1", raw)), 429)


def test_a_bug_is_a_logged_500_in_the_shape(
    catalog: Catalog, live_service: LiveFactory, caplog: pytest.LogCaptureFixture
) -> None:
    live = live_service()

    def broken() -> str:
        raise RuntimeError("a bug")

    # A route that fails, added only here: the catch-all must still answer in the shape.
    live.app.add_url_rule("/broken", view_func=broken)
    with caplog.at_level(logging.ERROR, logger="catalog.service"):
        body = check_shape(live.http.get(live.url + "/broken", timeout=10), 500)
    assert "a bug" not in str(body)
    assert "RuntimeError: a bug" in caplog.text
