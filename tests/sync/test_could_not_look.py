""" "I could not look" never becomes "the file is gone": per storage type, nothing flips."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.sync.conftest import (
    Cat,
    MakeSyncCatalog,
    S3Bucket,
    dataset_yaml,
    free_port,
    nothing_flipped,
    remote_catalog,
    repository_yaml,
)

A = b"some bytes" * 8
FILES = {f"s{i}/spikes.times.npy": A for i in range(3)}


def _remote_catalog(sync_catalog: MakeSyncCatalog, type_: str, url: str) -> Cat:
    """Datasets whose only copy (exists: true) is in repository 'far' at ``url``."""
    return remote_catalog(sync_catalog, type_, url, FILES, A)


# ---------------------------------------------------------------- local


@pytest.mark.parametrize("how", ["vanished", "empty"])
def test_local_root_gone_or_empty_flips_nothing(sync_catalog: MakeSyncCatalog, how: str) -> None:
    cat = sync_catalog(FILES, copies={"local-main": True})
    before = cat.records_snapshot()
    shutil.rmtree(cat.data)
    if how == "empty":  # an unmounted disk leaves an empty mount point
        cat.data.mkdir()
    outcome = cat.sync()
    nothing_flipped(outcome, "unreachable", "local-main")
    assert cat.records_snapshot() == before


def test_a_root_vanishing_mid_run_flips_nothing(sync_catalog: MakeSyncCatalog) -> None:
    from catalog.sync.run import SyncOptions, sync

    gone = {
        "gone/spikes.times.npy": dataset_yaml(
            "gone/spikes.times.npy", A, copies={"local-main": True}
        )
    }
    cat = sync_catalog(FILES, records=gone, copies={"local-main": True})
    before = cat.records_snapshot()

    def unmount(done: int, total: int, *_: int) -> None:
        if cat.data.exists():  # the disk goes away while files are being hashed
            cat.data.rename(cat.data.with_name("elsewhere"))

    outcome = sync(cat.root, SyncOptions(commit=False), progress=unmount)
    assert outcome.report.repositories["local-main"].status == "unreachable"
    assert "vanished" in outcome.report.repositories["local-main"].message
    assert "missing" not in {f.status for f in outcome.report.files}
    assert cat.records_snapshot() == before


def _sync_without_root_powers(root: Path) -> dict[str, Any]:
    """Run sync in a subprocess that obeys file permissions even when we are root."""
    cmd = [sys.executable, "-m", "catalog", "sync", "--root", str(root), "--no-commit"]
    if os.geteuid() == 0:
        caps = "-dac_override,-dac_read_search"
        cmd = ["setpriv", f"--inh-caps={caps}", f"--bounding-set={caps}", "--", *cmd]
    done = subprocess.run([*cmd, "--format", "json"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)["report"]  # type: ignore[no-any-return]


def test_permission_denied_root_and_folder_flip_nothing(sync_catalog: MakeSyncCatalog) -> None:
    cat = sync_catalog(FILES, copies={"local-main": True})
    before = cat.records_snapshot()
    (cat.data / "s1").chmod(0)
    try:
        report = _sync_without_root_powers(cat.root)
        files = {f["relative_path"]: (f["status"], f["detail"]) for f in report["files"]}
        assert files["s1/spikes.times.npy"] == ("unreachable", "permission denied")
        assert files["s0/spikes.times.npy"][0] == "verified"
        cat.data.chmod(0)
        report = _sync_without_root_powers(cat.root)
        assert report["repositories"]["local-main"]["status"] == "denied"
    finally:
        cat.data.chmod(0o755)
        (cat.data / "s1").chmod(0o755)
    assert cat.records_snapshot() == before


# ---------------------------------------------------------------- S3


def test_s3_endpoint_down_flips_nothing(
    sync_catalog: MakeSyncCatalog, s3_env: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{free_port()}")
    cat = _remote_catalog(sync_catalog, "s3", "s3://some-bucket/data")
    before = cat.records_snapshot()
    nothing_flipped(cat.sync(), "unreachable")
    assert cat.records_snapshot() == before


def test_s3_missing_bucket_is_misconfigured(sync_catalog: MakeSyncCatalog, s3_env: str) -> None:
    cat = _remote_catalog(sync_catalog, "s3", "s3://no-such-bucket-here/data")
    outcome = cat.sync()
    nothing_flipped(outcome, "misconfigured")
    assert (
        "bucket 'no-such-bucket-here' does not exist" in outcome.report.repositories["far"].message
    )


def test_s3_access_denied_flips_nothing(
    sync_catalog: MakeSyncCatalog,
    s3_env: str,
    moto_strict_server: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_strict_server)  # refuses the test keys
    cat = _remote_catalog(sync_catalog, "s3", "s3://any-bucket/data")
    nothing_flipped(cat.sync(), "denied")


def test_s3_empty_prefix_flips_nothing(sync_catalog: MakeSyncCatalog, bucket: S3Bucket) -> None:
    cat = _remote_catalog(sync_catalog, "s3", f"s3://{bucket.name}/wrong-prefix")
    outcome = cat.sync()
    nothing_flipped(outcome, "unreachable")
    assert "is empty but records expect 3 file(s)" in outcome.report.repositories["far"].message


# ---------------------------------------------------------------- HTTP


def test_http_server_down_flips_nothing(sync_catalog: MakeSyncCatalog) -> None:
    cat = _remote_catalog(sync_catalog, "http", f"http://127.0.0.1:{free_port()}/data")
    nothing_flipped(cat.sync(), "unreachable")


def test_http_5xx_everywhere_flips_nothing(sync_catalog: MakeSyncCatalog, http_server: Any) -> None:
    url, folder, server = http_server
    server.broken = True
    cat = _remote_catalog(sync_catalog, "http", url)
    before = cat.records_snapshot()
    nothing_flipped(cat.sync(), "unreachable")
    assert cat.records_snapshot() == before


def test_http_403_and_5xx_files_are_unreachable(
    sync_catalog: MakeSyncCatalog, http_server: Any
) -> None:
    url, folder, _ = http_server
    rels = ["ok/spikes.times.npy", "secret/spikes.times.npy", "broken/spikes.times.npy"]
    for rel in rels:
        (folder / rel).parent.mkdir(parents=True)
        (folder / rel).write_bytes(A)
    records = {rel: dataset_yaml(rel, A, copies={"far": True}) for rel in rels}
    extra = {"records/repositories/far.yaml": repository_yaml("far", "http", url)}
    cat = sync_catalog({}, records=records, extra=extra)
    found = {f.relative_path: (f.status, f.detail) for f in cat.sync().report.files}
    assert found == {
        "ok/spikes.times.npy": ("verified", ""),
        "secret/spikes.times.npy": ("unreachable", "HTTP 403 (permission denied)"),
        "broken/spikes.times.npy": ("unreachable", "HTTP 500"),
    }


def test_http_all_denied_is_a_denied_repository(
    sync_catalog: MakeSyncCatalog, http_server: Any
) -> None:
    url, _, _ = http_server
    cat = _remote_catalog(sync_catalog, "http", url + "/secret")
    nothing_flipped(cat.sync(), "denied")


def test_s3_without_credentials_is_misconfigured(
    sync_catalog: MakeSyncCatalog, s3_env: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.delenv(key)
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")  # no instance credentials either
    cat = _remote_catalog(sync_catalog, "s3", "s3://some-bucket/data")
    outcome = cat.sync()
    nothing_flipped(outcome, "misconfigured")
    assert "Unable to locate credentials" in outcome.report.repositories["far"].message
