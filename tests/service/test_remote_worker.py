"""A remote worker end to end: claim a job, run it with `catalog worker run`, report, applied."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from cryptography.hazmat.primitives import serialization

from catalog.service.app import service_of
from tests.service.conftest import (
    Catalog,
    LiveFactory,
    block_status,
    encode,
    sign,
    wait_for,
)


def test_claimed_job_run_by_catalog_worker_is_applied(
    catalog: Catalog, live_service: LiveFactory, tmp_path: Path
) -> None:
    live = live_service(background=True)
    scheduler = service_of(live.app).scheduler
    assert scheduler is not None
    wait_for(lambda: scheduler.cycles == 1)  # the first cycle offers the jobs
    raw = encode({})
    job = live.post("/api/v1/jobs/claim", raw, sign(catalog, "w1", raw)).json()["job"]
    jobfile = tmp_path / "job.json"
    jobfile.write_text(json.dumps(job["spec"]))
    keyfile = tmp_path / "w1.pem"
    keyfile.write_bytes(
        catalog.keys["w1"].private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    keyfile.chmod(0o600)
    args = ["worker", "run", str(jobfile), "--service", live.url, "--worker", "w1"]
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "catalog",
            *args,
            "--key",
            str(keyfile),
            "--root",
            str(catalog.root),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith(f"{job['id']}: done")
    block = job["id"].split("/")[-1]
    wait_for(lambda: block_status(catalog, block) == "done")
    # Once its report is committed the job may already be gone from the service's list.
    answer = live.http.get(f"{live.url}/api/v1/jobs/{job['id']}")
    assert answer.status_code == 404 or answer.json()["job"]["state"] in ("finished", "reported")
