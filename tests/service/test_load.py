"""Load and crashes: 16 signing clients against `catalog serve` in a subprocess.

The test sizes are small enough for the suite's time budget (bench/service.py runs the
issue's 20,000 reports): 16 clients, every report to its own block, half of them sent
twice; then the same under at least 20 SIGKILLs of the server, clients retrying whatever
was not acknowledged.
"""

from __future__ import annotations

import random
import threading
import time
from pathlib import Path

import pytest

from tests.conftest import git
from tests.service.loadgen import (
    SERVICE,
    Client,
    ServerProcess,
    applied_counts,
    block_stdouts,
    free_port,
    fsck_problems,
    make_load_catalog,
    make_reports,
    wait_drained,
)

CLIENTS = 16


def check_exactly_once(root: Path, clients: list[Client], experiments: int, url: str) -> None:
    """Every acknowledged report applied once; duplicates answered identically; fsck clean."""
    acked = {key: answers for c in clients for key, answers in c.answers.items()}
    assert not [f for c in clients for f in c.failures]
    assert all(len(set(answers)) == 1 and answers[0] for answers in acked.values())
    status = wait_drained(url)
    assert (status["journal"]["done"], status["parked"]) == (len(acked), [])
    found = block_stdouts(root, experiments)
    assert set(acked) <= set(found)
    assert applied_counts(root) == len(acked) == len(found)
    assert fsck_problems(root) == []
    assert git(root, "status", "--porcelain") == ""


@pytest.mark.slow
def test_load_sixteen_clients_half_twice(tmp_path: Path) -> None:
    experiments, blocks = 16, 50  # 800 reports, 1,200 requests
    root = tmp_path / "load"
    keys = make_load_catalog(
        root, experiments=experiments, blocks=blocks, workers=CLIENTS, service=SERVICE
    )
    with ServerProcess(root, free_port()) as server:
        clients = [Client(server.url, r) for r in make_reports(keys, experiments, blocks)]
        for c in clients:
            c.start()
        for c in clients:
            c.join(timeout=300)
        assert sum(len(c.answers) for c in clients) == experiments * blocks
        check_exactly_once(root, clients, experiments, server.url)


@pytest.mark.slow
def test_sigkill_under_load_loses_nothing(tmp_path: Path) -> None:
    experiments, blocks, kills = 16, 100, 20
    root = tmp_path / "crash"
    keys = make_load_catalog(
        root, experiments=experiments, blocks=blocks, workers=CLIENTS, service=SERVICE
    )
    server = ServerProcess(root, free_port())
    server.start()
    # Paced so that the supply outlasts the kills: reports are only used up while the
    # server is up, about 20 × 0.3 s × 16 clients / 0.15 s ≈ 640 of the 1,600.
    per_client = make_reports(keys, experiments, blocks)
    clients = [Client(server.url, r, pause=0.15) for r in per_client]
    for c in clients:
        c.start()
    rng = random.Random(7)
    under_load = []
    for _ in range(kills):
        time.sleep(rng.uniform(0.1, 0.5))  # mid-intake, mid-batch, mid-commit: anywhere
        under_load.append(any(c.is_alive() for c in clients))
        server.kill()
        server.start()
    stop_new = threading.Event()
    for c in clients:
        c.stop_new = stop_new
    stop_new.set()
    for c in clients:
        c.join(timeout=300)
    try:
        assert server.starts == kills + 1
        assert all(under_load)  # every kill hit a server that clients were sending to
        assert sum(len(c.answers) for c in clients) >= 100
        assert sum(c.retries for c in clients) > 0  # the kills did hit requests in flight
        check_exactly_once(root, clients, experiments, server.url)
    finally:
        server.stop()


@pytest.mark.slow
@pytest.mark.parametrize(
    "point", ["after-rename", "after-commit-object", "after-update-ref", "after-mark-done"]
)
def test_crash_at_each_step_of_a_commit(tmp_path: Path, point: str) -> None:
    """The server dies at a named point of committing a batch; the restart settles it once."""
    root = tmp_path / "point"
    keys = make_load_catalog(root, experiments=1, blocks=3, workers=1, service=SERVICE)
    reports = make_reports(keys, 1, 3)[0]
    port = free_port()
    crashing = ServerProcess(root, port, env={"CATALOG_CRASH_AT": point})
    crashing.start()
    client = Client(crashing.url, reports, twice=False)
    client.run()  # acknowledged before the commit that kills the server
    assert crashing.proc is not None
    assert crashing.proc.wait(timeout=60) == -9
    with ServerProcess(root, port) as server:
        check_exactly_once(root, [client], 1, server.url)
