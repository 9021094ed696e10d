"""The journal on its own: group commits under concurrency, pruning."""

from __future__ import annotations

import threading
from pathlib import Path

from catalog.service.db import Database
from catalog.service.journal import Intake, Journal


def answer(row_id: int) -> bytes:
    return f'{{"journal_id":{row_id}}}'.encode()


def test_concurrent_reports_each_get_one_row(tmp_path: Path) -> None:
    journal = Journal(Database(tmp_path / "state.sqlite"))
    results: dict[str, list[Intake]] = {}

    def worker(n: int) -> None:
        for i in range(40):
            key = f"k{n}-{i // 2}"  # every report is sent twice
            intake = journal.accept("w", key, key.encode(), f"job-{key}", 1, answer)
            results.setdefault(key, []).append(intake)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert journal.counts()["pending"] == 16 * 20
    for first, again in results.values():
        assert (first.outcome, again.outcome) == ("new", "replay")
        assert again.response == first.response
    ids = {first.response for first, _ in results.values()}
    assert len(ids) == 16 * 20


def test_prune_forgets_old_applied_reports_only(tmp_path: Path) -> None:
    journal = Journal(Database(tmp_path / "state.sqlite"))
    for key in ("applied", "parked", "waiting"):
        journal.accept("w", key, key.encode(), f"job-{key}", 1, answer)
    journal.done([1], "0" * 40)
    journal.park(2, "block is done already")
    assert journal.prune(older_than_s=3600) == 0
    assert journal.prune(older_than_s=-1) == 1
    assert journal.counts() == {"pending": 1, "done": 0, "parked": 1}
