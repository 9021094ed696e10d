"""The committer thread: journalled reports become one commit per batch."""

from __future__ import annotations

from tests.conftest import git
from tests.service.conftest import (
    Catalog,
    LiveFactory,
    block_status,
    encode,
    report,
    sign,
    wait_for,
)

QUIET = {"background": True, "cycle_at_start": False, "replan_after_commit": False}


def drained(cat: Catalog) -> bool:
    return all(state != "pending" for *_, state in cat.journal())


def test_reports_are_applied_in_one_commit(catalog: Catalog, live_service: LiveFactory) -> None:
    live = live_service(**QUIET, batch_interval_s=0.5)
    for block in ("b0", "b1", "b2"):
        raw = encode(report(block))
        assert live.post("/api/v1/reports", raw, sign(catalog, "w1", raw)).status_code == 202
    wait_for(lambda: drained(catalog))
    assert [block_status(catalog, b) for b in ("b0", "b1", "b2", "b3")] == [
        "done",
        "done",
        "done",
        "pending",
    ]
    log = git(catalog.root, "log", "--format=%s%n%b", "-1")
    assert log.startswith("Apply 3 worker report(s)")
    assert "Catalog-Batch: reports-1-3-" in log
    assert git(catalog.root, "status", "--porcelain") == ""


def test_stale_report_is_parked_with_reason(catalog: Catalog, live_service: LiveFactory) -> None:
    live = live_service(**QUIET)
    raw = encode(report("no-such-block"))
    assert live.post("/api/v1/reports", raw, sign(catalog, "w1", raw)).status_code == 202
    wait_for(lambda: drained(catalog))
    parked = live.http.get(live.url + "/api/v1/status").json()["parked"]
    assert [p["job_id"] for p in parked] == ["block:exp/no-such-block"]
    assert "no-such-block" in parked[0]["reason"]


def test_a_person_editing_the_experiment_between_batches_is_kept(
    catalog: Catalog, live_service: LiveFactory
) -> None:
    """The committer keeps the experiment parsed between batches; a person's commit to it
    in between must survive the next batch."""
    live = live_service(**QUIET, batch_interval_s=0.05)
    rel = "records/experiments/exp.yaml"
    for block in ("b0", "b1"):
        if block == "b1":
            text = (catalog.root / rel).read_text()
            text = "# tuned by hand\n" + text.replace("name: exp\n", "name: exp\nauthor: ada\n")
            (catalog.root / rel).write_text(text)
            git(catalog.root, "commit", "-q", "-am", "person")
        raw = encode(report(block))
        assert live.post("/api/v1/reports", raw, sign(catalog, "w1", raw)).status_code == 202
        wait_for(lambda: drained(catalog))
    committed = git(catalog.root, "show", f"HEAD:{rel}")
    assert committed.startswith("# tuned by hand\nkind: experiment\nname: exp\nauthor: ada\n")
    assert [block_status(catalog, b) for b in ("b0", "b1", "b2")] == ["done", "done", "pending"]
    assert git(catalog.root, "log", "--format=%s", "-3").split("\n")[:3] == [
        "Apply 1 worker report(s)",
        "person",
        "Apply 1 worker report(s)",
    ]
