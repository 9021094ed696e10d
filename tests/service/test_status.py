"""What the service shows about itself: /healthz, /api/v1/status and the status page."""

from __future__ import annotations

from tests.service.conftest import Catalog, LiveFactory, encode, report, sign, wait_for

QUIET = {"background": True, "cycle_at_start": False, "replan_after_commit": False}


def test_healthz(live_service: LiveFactory) -> None:
    live = live_service()
    assert live.http.get(live.url + "/healthz").json() == {"ok": True}


def test_status_counts_the_journal(catalog: Catalog, live_service: LiveFactory) -> None:
    live = live_service()  # no committer thread: the report stays pending
    raw = encode(report("b3"))
    assert live.post("/api/v1/reports", raw, sign(catalog, "w1", raw)).status_code == 202
    status = live.http.get(live.url + "/api/v1/status").json()
    assert status["journal"]["depth"] == 1
    assert (status["journal"]["done"], status["parked"], status["running"]) == (0, [], [])


def test_status_page_shows_parked_reports_escaped(
    catalog: Catalog, live_service: LiveFactory
) -> None:
    live = live_service(**QUIET)
    raw = encode(report("<b onclick=x>"))
    assert live.post("/api/v1/reports", raw, sign(catalog, "w1", raw)).status_code == 202
    wait_for(lambda: live.http.get(live.url + "/api/v1/status").json()["journal"]["parked"] == 1)
    page = live.http.get(live.url + "/status")
    assert page.headers["Content-Type"] == "text/html; charset=utf-8"
    head = page.text.split("<head>", 1)[1].lstrip()
    assert head.startswith('<meta http-equiv="Content-Security-Policy"')
    assert "block:exp/&lt;b onclick=x&gt;" in page.text
    assert "<b onclick" not in page.text
