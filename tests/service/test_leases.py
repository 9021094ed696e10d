"""Workers pulling work: leases that expire and are re-offered, one report per job."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization

from catalog.service.app import service_of
from tests.service.conftest import (
    Catalog,
    Live,
    LiveFactory,
    block_status,
    encode,
    report,
    sign,
    wait_for,
)

LEASE_S = 1.0


def claim(cat: Catalog, live: Live, worker: str, **ask: Any) -> dict[str, Any] | None:
    raw = encode(ask)
    resp = live.post("/api/v1/jobs/claim", raw, sign(cat, worker, raw))
    assert resp.status_code == 200, resp.text
    job: dict[str, Any] | None = resp.json()["job"]
    return job


@pytest.fixture
def pulling(catalog: Catalog, live_service: LiveFactory) -> Live:
    live = live_service(background=True, replan_after_commit=False, lease_s=LEASE_S)
    scheduler = service_of(live.app).scheduler
    assert scheduler is not None
    wait_for(lambda: scheduler.cycles == 1)  # the first cycle plans and offers the jobs
    return live


def killed_claimer(cat: Catalog, live: Live, tmp_path: Path) -> dict[str, Any]:
    """Run a worker process that claims a job, then SIGKILL it while it holds the lease."""
    keyfile = tmp_path / "w1.pem"
    pem = cat.keys["w1"].private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    keyfile.write_bytes(pem)
    keyfile.chmod(0o600)
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.service.claimer", live.url, "w1", str(keyfile)],
        stdout=subprocess.PIPE,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert proc.stdout is not None
    with proc.stdout:
        job: dict[str, Any] = json.loads(proc.stdout.readline())["job"]
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    return job


def claim_when_offered(cat: Catalog, live: Live, worker: str) -> dict[str, Any]:
    """Claim until a job is handed out (after some lease expired)."""
    got: list[dict[str, Any]] = []

    def offered() -> bool:
        job = claim(cat, live, worker)
        if job is not None:
            got.append(job)
        return bool(got)

    wait_for(offered, timeout=LEASE_S + 10)
    return got[0]


def test_claim_leases_each_job_once(catalog: Catalog, pulling: Live) -> None:
    first = claim(catalog, pulling, "w1")
    second = claim(catalog, pulling, "w2")
    assert first is not None
    assert second is not None
    assert first["id"] != second["id"]
    assert (first["state"], first["attempt"], first["worker"]) == ("leased", 1, "w1")
    assert first["spec"]["job_id"] == first["id"]


def test_claim_outside_the_workers_queues_is_refused(catalog: Catalog, pulling: Live) -> None:
    raw = encode({"queues": ["cpu-only"]})
    resp = pulling.post("/api/v1/jobs/claim", raw, sign(catalog, "w1", raw))
    assert resp.status_code == 403
    assert "cpu-only" in resp.json()["error"]


def test_dead_workers_job_is_offered_again(catalog: Catalog, pulling: Live, tmp_path: Path) -> None:
    job = killed_claimer(catalog, pulling, tmp_path)
    others = [claim(catalog, pulling, "w2") for _ in range(7)]  # every other job
    assert job["id"] not in {j["id"] for j in others if j}
    assert claim(catalog, pulling, "w2") is None  # still leased to the dead worker
    again = claim_when_offered(catalog, pulling, "w2")
    assert (again["id"], again["attempt"], again["worker"]) == (job["id"], 2, "w2")


@pytest.mark.parametrize("late_first", [False, True], ids=["new-then-late", "late-then-new"])
def test_only_one_of_two_attempts_applies(
    catalog: Catalog, pulling: Live, tmp_path: Path, late_first: bool
) -> None:
    job = killed_claimer(catalog, pulling, tmp_path)
    block = job["id"].split("/")[-1]
    for _ in range(7):  # the other jobs, then the dead worker's once its lease lapsed
        assert claim(catalog, pulling, "w2") is not None
    assert claim_when_offered(catalog, pulling, "w2")["id"] == job["id"]
    late = encode(report(block, attempt=1, stdout="late"))
    new = encode(report(block, attempt=2, stdout="new"))
    sends = [("w1", late), ("w2", new)] if late_first else [("w2", new), ("w1", late)]
    answers = [pulling.post("/api/v1/reports", raw, sign(catalog, w, raw)) for w, raw in sends]
    assert [a.status_code for a in answers] == [202, 409]
    winner = 1 if late_first else 2
    assert f"attempt {winner}" in answers[1].json()["error"]
    wait_for(lambda: block_status(catalog, block) == "done")
