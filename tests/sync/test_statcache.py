"""The stat cache: unchanged files are not read; damage and changes mean hashing again."""

from __future__ import annotations

import logging
import os
import random
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from contextlib import closing
from pathlib import Path

import pytest

from catalog.sync.statcache import FILE_NAME
from tests.sync.conftest import MakeSyncCatalog, dataset_yaml

A = b"cached bytes" * 8


def _db(root: Path) -> Path:
    return root / ".catalog" / FILE_NAME


def test_a_corrupt_row_is_a_miss(sync_catalog: MakeSyncCatalog) -> None:
    cat = sync_catalog({f"s{i}/spikes.times.npy": A for i in range(4)})
    cat.sync()
    # closing(): sqlite3's own context manager commits; it does not close the connection.
    with closing(sqlite3.connect(_db(cat.root))) as db, db:
        db.execute("UPDATE files SET digest = 'not hex' WHERE path = 's0/spikes.times.npy'")
        db.execute("UPDATE files SET size = 'ten' WHERE path = 's1/spikes.times.npy'")
        db.execute("UPDATE files SET version = 99 WHERE path = 's2/spikes.times.npy'")
    outcome = cat.sync()
    assert outcome.counters.hashed_files == 3
    assert outcome.report.totals()["verified"] == 4


def test_a_damaged_cache_file_is_replaced(sync_catalog: MakeSyncCatalog) -> None:
    cat = sync_catalog({"a/spikes.times.npy": A})
    cat.sync()
    _db(cat.root).write_bytes(b"this is not a database" * 100)
    for side in ("-wal", "-shm"):
        _db(cat.root).with_name(FILE_NAME + side).unlink(missing_ok=True)
    outcome = cat.sync()
    assert outcome.counters.hashed_files == 1
    corrupt = _db(cat.root).with_name(FILE_NAME + ".corrupt")
    assert corrupt.exists()
    # Set aside and closed: a long-running service must not hold it open.
    if Path("/proc/self/fd").is_dir():
        held = {os.path.realpath(f"/proc/self/fd/{fd}") for fd in os.listdir("/proc/self/fd")}
        assert os.path.realpath(corrupt) not in held


def test_a_file_changed_while_hashed_is_reported_not_recorded(
    sync_catalog: MakeSyncCatalog,
) -> None:
    big = b"\0" * (32 * 1024 * 1024)
    rel = "big/spikes.times.npy"
    cat = sync_catalog({rel: big}, records={rel: dataset_yaml(rel, big, size=False)})
    target = cat.data / rel
    stop = threading.Event()

    def keep_writing() -> None:
        with target.open("r+b") as fh:
            while not stop.is_set():
                fh.seek(random.randrange(len(big)))
                fh.write(b"x")
                fh.flush()
                os.utime(target, ns=(time.time_ns(), time.time_ns()))

    writer = threading.Thread(target=keep_writing)
    writer.start()
    try:
        outcome = cat.sync()
    finally:
        stop.set()
        writer.join()
    [found] = outcome.report.files
    assert (found.status, found.detail) == (
        "unverified",
        "changed while it was being hashed; hash again later",
    )
    assert outcome.changes == []
    with closing(sqlite3.connect(_db(cat.root))) as db:
        assert db.execute("SELECT count(*) FROM files").fetchone() == (0,)


def _checkpointed(root: Path) -> set[str]:
    try:
        with closing(sqlite3.connect(f"file:{_db(root)}?mode=ro", uri=True)) as db:
            return {r[0] for r in db.execute("SELECT path FROM full_done")}
    except sqlite3.Error:
        return set()


@pytest.mark.slow
def test_an_interrupted_full_verify_resumes_without_hashing_twice(
    sync_catalog: MakeSyncCatalog, caplog: pytest.LogCaptureFixture
) -> None:
    files = {f"s{i:03d}/spikes.times.npy": os.urandom(4096) for i in range(600)}
    cat = sync_catalog(files, copies={"local-main": True})
    cat.sync()  # a first, ordinary sync; then a full verify that gets killed
    stop_at = random.randrange(20, 400)
    cmd = [sys.executable, "-m", "catalog", "sync", "--root", str(cat.root)]
    proc = subprocess.Popen([*cmd, "--verify", "full", "--no-commit", "--jobs", "1"])
    while len(_checkpointed(cat.root)) < stop_at and proc.poll() is None:
        time.sleep(0.002)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    done = _checkpointed(cat.root)
    assert 0 < len(done) < len(files)
    caplog.set_level(logging.DEBUG, logger="catalog.sync.reconcile")
    resumed = cat.sync(verify="full")
    hashed = {r.getMessage().split(":", 1)[1] for r in caplog.records if "hashed" in r.msg}
    assert hashed.isdisjoint(done)
    assert hashed | done == set(files)
    assert resumed.counters.resumed == len(done)
    assert resumed.report.totals()["verified"] == len(files)
    assert _checkpointed(cat.root) == set()  # the run is complete
