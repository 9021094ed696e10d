"""Record changes land as one commit through the committer, with a clear message."""

from __future__ import annotations

import json

from click.testing import CliRunner

from catalog.cli import main
from tests.conftest import git
from tests.sync.conftest import MakeSyncCatalog, dataset_yaml

A = b"payload " * 16


def test_changes_are_one_commit_and_a_rerun_commits_nothing(sync_catalog: MakeSyncCatalog) -> None:
    gone = {
        "gone/spikes.times.npy": dataset_yaml(
            "gone/spikes.times.npy", A, copies={"local-main": True}
        )
    }
    cat = sync_catalog(
        {"a/spikes.times.npy": A, "b/spikes.times.npy": A}, records=gone, git_init=True
    )
    outcome = cat.sync(commit=True)
    assert outcome.commit is not None
    log = git(cat.root, "log", "--format=%s%n%b", "-1")
    assert log.startswith("sync: 2 copies found, 1 copy missing or wrong\n")
    assert "local-main:gone/spikes.times.npy exists: false" in log
    assert "Catalog-Batch: sync-" in log
    assert git(cat.root, "status", "--porcelain", "records") == ""
    assert "# where the file lives" in cat.record("a/spikes.times.npy")
    assert cat.sync(commit=True).commit is None
    assert git(cat.root, "rev-list", "--count", "HEAD") == "2\n"


def test_cli_exits_1_on_a_missing_copy_and_prints_the_table(sync_catalog: MakeSyncCatalog) -> None:
    gone = {"gone/spikes.times.npy": dataset_yaml("gone/spikes.times.npy", A)}
    cat = sync_catalog({"a/spikes.times.npy": A}, records=gone, git_init=True)
    result = CliRunner().invoke(main, ["sync", "--root", str(cat.root)])
    assert result.exit_code == 1, result.output
    lines = result.output.splitlines()
    assert lines[0].split() == [
        "repository", "status", "verified", "unverified", "missing", "wrong", "size",
        "wrong", "hash", "unreachable",
    ]  # fmt: skip
    assert lines[2].split()[:5] == ["local-main", "ok", "1", "0", "1"]
    assert "missing       local-main:gone/spikes.times.npy  not in the repository" in lines
    assert any(line.startswith("committed ") for line in lines)


def test_cli_json_and_unknown_repository(sync_catalog: MakeSyncCatalog) -> None:
    cat = sync_catalog({"a/spikes.times.npy": A})
    ok = CliRunner().invoke(
        main, ["sync", "--root", str(cat.root), "--no-commit", "--format", "json"]
    )
    assert ok.exit_code == 0, ok.output
    data = json.loads(ok.output)
    assert data["report"]["repositories"]["local-main"]["counts"]["verified"] == 1
    assert data["changes"] == [
        "dataset 'a/spikes.times.npy': local-main:a/spikes.times.npy exists: true"
    ]
    bad = CliRunner().invoke(main, ["sync", "--root", str(cat.root), "--repository", "nowhere"])
    assert bad.exit_code == 1
    assert "--repository: unknown repository 'nowhere'. Known: local-main." in bad.output


def test_registered_datasets_are_committed_as_new_records(sync_catalog: MakeSyncCatalog) -> None:
    cat = sync_catalog({"a/spikes.times.npy": A}, git_init=True, copies={"local-main": True})
    (cat.data / "b").mkdir()
    (cat.data / "b/spikes.times.npy").write_bytes(A + A)
    outcome = cat.sync(commit=True, register=True)
    assert [n.path for n in outcome.new] == ["records/datasets/b/spikes.times.npy.yaml"]
    assert git(cat.root, "log", "-1", "--format=%s") == "sync: 1 new dataset\n"
    tracked = git(cat.root, "ls-files", "records/datasets/b")
    assert tracked == "records/datasets/b/spikes.times.npy.yaml\n"
    assert cat.sync(commit=True, register=True).report.orphans == []


def test_progress_shows_on_a_terminal_only(sync_catalog: MakeSyncCatalog) -> None:
    import os
    import pty
    import subprocess
    import sys

    cat = sync_catalog({f"s{i}/spikes.times.npy": A for i in range(3)})
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "CI")}
    leader, follower = pty.openpty()
    cmd = [sys.executable, "-m", "catalog", "sync", "--root", str(cat.root), "--no-commit"]
    done = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=follower, env=env, timeout=60)
    os.close(follower)
    seen = b""
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:
            break
        if not chunk:
            break
        seen += chunk
    os.close(leader)
    assert done.returncode == 0
    assert b"files hashed" in seen
    assert b"bytes hashed" in seen
    assert b"files hashed" not in done.stdout  # the table alone on stdout
