"""Taking reports: journalled before the 202, replays answered from the journal."""

from __future__ import annotations

from tests.service.conftest import Catalog, LiveFactory, encode, report, sign


def test_report_is_journalled_before_202(catalog: Catalog, live_service: LiveFactory) -> None:
    live = live_service()
    raw = encode(report("b1"))
    resp = live.post("/api/v1/reports", raw, sign(catalog, "w1", raw, key="k-1"))
    assert resp.status_code == 202, resp.text
    body = resp.json()
    assert (body["ok"], body["job_id"]) == (True, "block:exp/b1")
    assert catalog.journal() == [(body["journal_id"], "w1", "k-1", "pending")]


def test_replay_gets_first_answer_byte_for_byte(
    catalog: Catalog, live_service: LiveFactory
) -> None:
    live = live_service()
    raw = encode(report("b2"))
    headers = sign(catalog, "w1", raw, key="k-2")
    first = live.post("/api/v1/reports", raw, headers)
    again = live.post("/api/v1/reports", raw, headers)
    assert (first.status_code, again.status_code) == (202, 202)
    assert again.content == first.content
    assert len(catalog.journal()) == 1
