"""--replicate: copies land verified under their final name, or not at all."""

from __future__ import annotations

import hashlib
import random
import signal
import subprocess
import sys
import time
from typing import Any

import pytest

from catalog.atomic import TEMP_PREFIX
from tests.sync.conftest import Cat, MakeSyncCatalog, S3Bucket, dataset_yaml, repository_yaml

A = b"replicate me " * 50
COPY = {"records/repositories/local-copy.yaml": repository_yaml("local-copy", "local", "data/copy")}


def _two_local(sync_catalog: MakeSyncCatalog, files: dict[str, bytes], **extra: str) -> Cat:
    records = {
        rel: dataset_yaml(rel, c, copies={"local-main": True, "local-copy": False})
        for rel, c in files.items()
    }
    cat = sync_catalog(files, records=records, extra={**COPY, **extra})
    (cat.root / "data/copy").mkdir()
    return cat


def test_missing_copies_are_copied_verified_and_flipped(sync_catalog: MakeSyncCatalog) -> None:
    cat = _two_local(sync_catalog, {"a/spikes.times.npy": A, "b/spikes.times.npy": A[:-1]})
    outcome = cat.sync(replicate=True, commit=False)
    assert outcome.replication is not None
    assert sorted(d.relative_path for d, src in outcome.replication.copied) == [
        "a/spikes.times.npy",
        "b/spikes.times.npy",
    ]
    assert (cat.root / "data/copy/b/spikes.times.npy").read_bytes() == A[:-1]
    assert not outcome.failed
    assert cat.record("a/spikes.times.npy").count("exists: true") == 2
    assert not list((cat.root / "data/copy").rglob(f"{TEMP_PREFIX}*"))


def test_dry_run_and_filters_copy_nothing(sync_catalog: MakeSyncCatalog) -> None:
    cat = _two_local(sync_catalog, {"a/spikes.times.npy": A})
    planned = cat.sync(replicate=True, dry_run=True).replication
    assert planned is not None
    assert [(d.repository, src) for d, src in planned.planned] == [("local-copy", "local-main")]
    nothing = cat.sync(replicate=True, targets=("local-main",)).replication
    assert nothing is not None
    assert nothing.copied == []
    assert not (cat.root / "data/copy/a").exists()


def test_a_personal_copy_is_a_source_only_when_no_shared_one_has_it(
    sync_catalog: MakeSyncCatalog,
) -> None:
    laptop = repository_yaml("laptop", "local", "data/laptop", personal=True)
    files = {"a/spikes.times.npy": A, "b/spikes.times.npy": A + b"b"}
    records = {
        "a/spikes.times.npy": dataset_yaml(
            "a/spikes.times.npy",
            A,
            copies={"laptop": True, "local-main": True, "local-copy": False},
        ),
        "b/spikes.times.npy": dataset_yaml(
            "b/spikes.times.npy", A + b"b", copies={"laptop": True, "local-copy": False}
        ),
    }
    cat = sync_catalog(
        files, records=records, extra={**COPY, "records/repositories/laptop.yaml": laptop}
    )
    (cat.root / "data/copy").mkdir()
    for rel, content in files.items():
        (cat.root / "data/laptop" / rel).parent.mkdir(parents=True)
        (cat.root / "data/laptop" / rel).write_bytes(content)
    rep = cat.sync(replicate=True).replication
    assert rep is not None
    assert sorted((d.relative_path, src) for d, src in rep.copied) == [
        ("a/spikes.times.npy", "local-main"),
        ("b/spikes.times.npy", "laptop"),
    ]


def test_http_source_to_s3_destination(
    sync_catalog: MakeSyncCatalog, http_server: Any, bucket: S3Bucket
) -> None:
    url, folder, _ = http_server
    (folder / "a").mkdir()
    (folder / "a/spikes.times.npy").write_bytes(A)
    repos = {
        "records/repositories/mirror.yaml": repository_yaml("mirror", "http", url),
        "records/repositories/archive.yaml": repository_yaml(
            "archive", "s3", f"s3://{bucket.name}/x"
        ),
    }
    rec = dataset_yaml("a/spikes.times.npy", A, copies={"mirror": True, "archive": False})
    cat = sync_catalog({}, records={"a/spikes.times.npy": rec}, extra=repos)
    outcome = cat.sync(replicate=True)
    assert {(f.repository, f.status) for f in outcome.report.files} == {
        ("mirror", "verified"),
        ("archive", "verified"),
    }
    body = bucket.client.get_object(Bucket=bucket.name, Key="x/a/spikes.times.npy")["Body"].read()
    assert body == A
    keys = bucket.client.list_objects_v2(Bucket=bucket.name)["Contents"]
    assert [k["Key"] for k in keys] == ["x/a/spikes.times.npy"]  # no temporary object left


def test_a_corrupt_source_is_not_copied(sync_catalog: MakeSyncCatalog) -> None:
    cat = _two_local(sync_catalog, {"a/spikes.times.npy": A})
    (cat.data / "a/spikes.times.npy").write_bytes(A.upper())
    outcome = cat.sync(replicate=True)
    assert outcome.replication is not None
    assert outcome.replication.copied == []
    assert not (cat.root / "data/copy/a").exists()


@pytest.mark.slow
def test_sigkill_during_replication_never_leaves_a_wrong_final_file(
    sync_catalog: MakeSyncCatalog,
) -> None:
    rng = random.Random(5)
    files = {
        f"s{i:03d}/spikes.times.npy": rng.randbytes(rng.randrange(1, 64) * 1024) for i in range(120)
    }
    digests = {rel: hashlib.sha256(c).hexdigest() for rel, c in files.items()}
    cat = _two_local(sync_catalog, files)
    dest = cat.root / "data/copy"
    cat.sync()  # warm the stat cache so each run gets to copying quickly
    cmd = [
        sys.executable,
        "-m",
        "catalog",
        "sync",
        "--root",
        str(cat.root),
        "--replicate",
        "--no-commit",
    ]
    kills = 0
    for _ in range(80):
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        while proc.poll() is None and not any(dest.iterdir()):
            time.sleep(0.001)
        time.sleep(rng.uniform(0, 0.08))
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            kills += 1
        proc.wait()
        for path in dest.rglob("*"):
            if path.is_file() and not path.name.startswith(TEMP_PREFIX):
                rel = path.relative_to(dest).as_posix()
                assert hashlib.sha256(path.read_bytes()).hexdigest() == digests[rel], rel
        if kills >= 20:
            break
        if len([p for p in dest.rglob("*.npy")]) == len(files):
            for p in dest.rglob("*.npy"):  # all copied already: start over to kill more
                p.unlink()
    assert kills >= 20
    final = cat.sync(replicate=True)
    assert final.report.totals()["verified"] == 2 * len(files)
    assert not list(dest.rglob(f"{TEMP_PREFIX}*"))
