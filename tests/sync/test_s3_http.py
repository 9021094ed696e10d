"""S3 (a real moto server) and HTTP (a real http.server) repositories: every status."""

from __future__ import annotations

import hashlib
from typing import Any

from tests.sync.conftest import Cat, MakeSyncCatalog, S3Bucket, dataset_yaml, repository_yaml

A = b"object bytes " * 40
B = b"OBJECT BYTES " * 40  # same size, other bytes


def _s3_catalog(sync_catalog: MakeSyncCatalog, bucket: S3Bucket, rels: dict[str, str]) -> Cat:
    """Datasets (rel → hash algorithm) whose copy is expected in s3://bucket/data."""
    records = {
        rel: dataset_yaml(rel, A, copies={"s3-archive": False}, algorithm=algo)
        for rel, algo in rels.items()
    }
    repo = repository_yaml("s3-archive", "s3", f"s3://{bucket.name}/data")
    return sync_catalog({}, records=records, extra={"records/repositories/s3-archive.yaml": repo})


def _put_multipart(bucket: S3Bucket, key: str, data: bytes) -> None:
    c = bucket.client
    up = c.create_multipart_upload(Bucket=bucket.name, Key=key)
    parts = []
    half = len(data) // 2
    for n, chunk in enumerate((data[:half], data[half:]), start=1):
        r = c.upload_part(
            Bucket=bucket.name, Key=key, PartNumber=n, UploadId=up["UploadId"], Body=chunk
        )
        parts.append({"ETag": r["ETag"], "PartNumber": n})
    c.complete_multipart_upload(
        Bucket=bucket.name, Key=key, UploadId=up["UploadId"], MultipartUpload={"Parts": parts}
    )


def test_s3_statuses_etag_multipart_and_corruption(
    sync_catalog: MakeSyncCatalog, bucket: S3Bucket
) -> None:
    rels = {
        "etag/spikes.times.npy": "md5",
        "multi/spikes.times.npy": "md5",
        "bad-md5/spikes.times.npy": "md5",
        "bad-sha/spikes.times.npy": "sha256",
        "gone/spikes.times.npy": "sha256",
    }
    cat = _s3_catalog(sync_catalog, bucket, rels)
    put = bucket.client.put_object
    put(Bucket=bucket.name, Key="data/etag/spikes.times.npy", Body=A)
    _put_multipart(bucket, "data/multi/spikes.times.npy", A)
    put(Bucket=bucket.name, Key="data/bad-md5/spikes.times.npy", Body=B)
    put(Bucket=bucket.name, Key="data/bad-sha/spikes.times.npy", Body=B)
    head = bucket.client.head_object(Bucket=bucket.name, Key="data/multi/spikes.times.npy")
    assert head["ETag"].strip('"').endswith("-2")
    outcome = cat.sync()
    found = {f.relative_path: f.status for f in outcome.report.files}
    assert found == {
        "etag/spikes.times.npy": "verified",
        "multi/spikes.times.npy": "verified",
        "bad-md5/spikes.times.npy": "hash_mismatch",
        "bad-sha/spikes.times.npy": "hash_mismatch",
        "gone/spikes.times.npy": "missing",
    }
    # Only the single-part object was trusted by ETag; the multipart one was downloaded.
    assert outcome.counters.from_etag == 1
    assert outcome.counters.hashed_files == 3
    assert "exists: true" in cat.record("multi/spikes.times.npy")


def test_s3_warm_run_reads_nothing_and_orphans_are_listed(
    sync_catalog: MakeSyncCatalog, bucket: S3Bucket
) -> None:
    cat = _s3_catalog(sync_catalog, bucket, {"a/spikes.times.npy": "sha256"})
    bucket.client.put_object(Bucket=bucket.name, Key="data/a/spikes.times.npy", Body=A)
    bucket.client.put_object(Bucket=bucket.name, Key="data/b/extra.npy", Body=b"xyz")
    assert cat.sync().counters.hashed_files == 1
    warm = cat.sync()
    assert (warm.counters.hashed_files, warm.counters.from_cache) == (0, 1)
    assert [(o.repository, o.relative_path, o.size) for o in warm.report.orphans] == [
        ("s3-archive", "b/extra.npy", 3)
    ]


def test_http_verified_missing_and_mismatch(
    sync_catalog: MakeSyncCatalog, http_server: Any
) -> None:
    url, folder, _ = http_server
    rels = [
        "ok/spikes.times.npy",
        "gone/spikes.times.npy",
        "bad/spikes.times.npy",
        "odd %#?/spikes.times.npy",
    ]
    for rel in ("ok/spikes.times.npy", "odd %#?/spikes.times.npy"):
        (folder / rel).parent.mkdir(parents=True)
        (folder / rel).write_bytes(A)
    (folder / "bad").mkdir()
    (folder / "bad/spikes.times.npy").write_bytes(B)
    records = {r: dataset_yaml(r, A, copies={"mirror": True}) for r in rels}
    repo = repository_yaml("mirror", "http", url + "/")
    cat = sync_catalog({}, records=records, extra={"records/repositories/mirror.yaml": repo})
    outcome = cat.sync()
    found = {f.relative_path: f.status for f in outcome.report.files}
    assert found == {
        "ok/spikes.times.npy": "verified",
        "odd %#?/spikes.times.npy": "verified",
        "gone/spikes.times.npy": "missing",
        "bad/spikes.times.npy": "hash_mismatch",
    }
    assert hashlib.sha256(A).hexdigest() in cat.record("bad/spikes.times.npy")
    assert outcome.report.orphans == []  # HTTP cannot list, so it names no orphans
