"""SFTP repositories against a real SFTP server (asyncssh) on 127.0.0.1.

The client is the catalog's own (fsspec over paramiko), logging in with the key the fixture
wrote to ~/.ssh under the test's HOME. Every status, one listing per folder, and the rule:
"could not look" (no server, a server gone or silent, a refused login, a denied folder) never
becomes "missing".
"""

from __future__ import annotations

import gc
import hashlib
import importlib
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from catalog.sync import hashing, remote
from catalog.sync.run import SyncOptions, SyncOutcome, sync
from tests.sync.conftest import (
    Cat,
    MakeSyncCatalog,
    SftpServer,
    free_port,
    nothing_flipped,
    record_file,
    remote_catalog,
    ssh_key,
    write_known_host,
    write_ssh_key,
)

A = b"sftp bytes " * 40
B = b"SFTP BYTES " * 40  # same size, other bytes
FILES = [f"s{i}/spikes.times.npy" for i in range(3)]


def _put(server: SftpServer, rel: str, content: bytes = A) -> Path:
    """A file below the repository's folder (/data) on the server."""
    path = server.folder / "data" / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    return path


def _catalog(
    sync_catalog: MakeSyncCatalog, server: SftpServer, rels: list[str], path: str = "/data"
) -> Cat:
    """Datasets of content A whose only copy (exists: true) is at ``path`` on the server."""
    return remote_catalog(sync_catalog, "sftp", server.url(path), rels, A)


def _served(sync_catalog: MakeSyncCatalog, server: SftpServer, rels: list[str]) -> Cat:
    """``_catalog`` with every copy on the server, as recorded."""
    cat = _catalog(sync_catalog, server, rels)
    for rel in rels:
        _put(server, rel)
    return cat


def _statuses(cat: Cat, **options: object) -> dict[str, tuple[str, str]]:
    return {f.relative_path: (f.status, f.detail) for f in cat.sync(**options).report.files}


# ---------------------------------------------------------------- what is there


def test_sftp_verified_missing_mismatches_and_orphans(
    sync_catalog: MakeSyncCatalog, sftp_server: SftpServer
) -> None:
    rels = [f"{r}/spikes.times.npy" for r in ("ok", "short", "bad", "gone", "linked")]
    cat = _catalog(sync_catalog, sftp_server, rels)
    _put(sftp_server, "ok/spikes.times.npy")
    _put(sftp_server, "short/spikes.times.npy", A[:-1])
    _put(sftp_server, "bad/spikes.times.npy", B)
    _put(sftp_server, "extra/other.npy", b"xyz")
    _put(sftp_server, "real/spikes.times.npy")
    (sftp_server.folder / "data" / "linked").mkdir()
    link = sftp_server.folder / "data" / "linked" / "spikes.times.npy"
    link.symlink_to("../real/spikes.times.npy")
    outcome = cat.sync()
    found = {f.relative_path: f.status for f in outcome.report.files}
    assert found == {
        "ok/spikes.times.npy": "verified",
        "linked/spikes.times.npy": "verified",  # the target's size, not the link's
        "short/spikes.times.npy": "size_mismatch",
        "bad/spikes.times.npy": "hash_mismatch",
        "gone/spikes.times.npy": "missing",
    }
    assert outcome.failed  # exit status 1, as for the other types
    assert "exists: true" in cat.record("ok/spikes.times.npy")
    for rel in ("short", "bad", "gone"):
        assert "exists: false" in cat.record(f"{rel}/spikes.times.npy")
    assert hashlib.sha256(A).hexdigest() in cat.record("bad/spikes.times.npy")
    orphans = {(o.repository, o.relative_path, o.size) for o in outcome.report.orphans}
    assert orphans == {("far", "extra/other.npy", 3), ("far", "real/spikes.times.npy", len(A))}


def test_sftp_lists_each_folder_once_and_a_warm_run_reads_nothing(
    sync_catalog: MakeSyncCatalog, sftp_server: SftpServer
) -> None:
    rels = [f"s{i}/d{j}/spikes.times.npy" for i in range(3) for j in range(2)]
    cat = _served(sync_catalog, sftp_server, rels)
    folders = {"/data", *(f"/data/s{i}" for i in range(3))}
    folders |= {f"/data/s{i}/d{j}" for i in range(3) for j in range(2)}

    cold = cat.sync()
    assert {f.status for f in cold.report.files} == {"verified"}
    lists = [path for what, path in sftp_server.calls if what == "list"]
    assert sorted(lists) == sorted(folders)  # one listing per folder, no stat per file
    assert sum(what == "open" for what, _ in sftp_server.calls) == len(rels)

    sftp_server.calls.clear()
    warm = cat.sync()  # nothing changed: the last run's findings stand, after one walk
    assert warm.reused
    assert sorted(path for what, path in sftp_server.calls if what == "list") == sorted(folders)
    assert [what for what, _ in sftp_server.calls if what == "open"] == []

    record = cat.root / record_file(rels[0])
    record.write_text(record.read_text() + "# edited\n")
    sftp_server.calls.clear()
    again = cat.sync()  # records loaded: every file's digest comes from the stat cache
    assert not again.reused
    assert {f.status for f in again.report.files} == {"verified"}
    assert (again.counters.hashed_files, again.counters.from_cache) == (0, len(rels))
    assert [what for what, _ in sftp_server.calls if what == "open"] == []


def test_sftp_hash_threads_share_one_connection(
    sync_catalog: MakeSyncCatalog, sftp_server: SftpServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(remote, "READ_TIMEOUT", 5.0)  # a tangled connection fails, not hangs
    monkeypatch.setattr(hashing, "BATCH_FILES", 1)  # one file per batch: all threads busy
    rels = [f"s{i}/spikes.times.npy" for i in range(24)]
    cat = _served(sync_catalog, sftp_server, rels)
    found = _statuses(cat, workers=8)
    assert set(found.values()) == {("verified", "")}


def test_sftp_a_changed_copy_is_hashed_again(
    sync_catalog: MakeSyncCatalog, sftp_server: SftpServer
) -> None:
    cat = _catalog(sync_catalog, sftp_server, FILES)
    paths = [_put(sftp_server, rel) for rel in FILES]
    assert {s for s, _ in _statuses(cat).values()} == {"verified"}
    st = paths[0].stat()
    paths[0].write_bytes(B)  # corrupted in place: same size, a later mtime
    os.utime(paths[0], ns=(st.st_atime_ns, st.st_mtime_ns + 5_000_000_000))
    st = paths[1].stat()
    paths[1].write_bytes(B)  # same size, and the mtime put back: the stat cannot tell
    os.utime(paths[1], ns=(st.st_atime_ns, st.st_mtime_ns))
    found = _statuses(cat)
    assert found[FILES[0]][0] == "hash_mismatch"
    assert found[FILES[1]][0] == "verified"  # trusted from the stat cache, as documented
    assert _statuses(cat, verify="full")[FILES[1]][0] == "hash_mismatch"


# ---------------------------------------------------------------- could not look


def test_sftp_server_down_flips_nothing(sync_catalog: MakeSyncCatalog) -> None:
    cat = remote_catalog(sync_catalog, "sftp", f"sftp://127.0.0.1:{free_port()}/data", FILES, A)
    before = cat.records_snapshot()
    outcome = cat.sync()
    nothing_flipped(outcome, "unreachable")
    assert "cannot reach" in outcome.report.repositories["far"].message
    assert cat.records_snapshot() == before


def test_sftp_server_stopped_flips_nothing(
    sync_catalog: MakeSyncCatalog, sftp_server: SftpServer
) -> None:
    cat = _served(sync_catalog, sftp_server, FILES)
    assert {s for s, _ in _statuses(cat).values()} == {"verified"}
    before = cat.records_snapshot()
    sftp_server.stop()
    nothing_flipped(cat.sync(), "unreachable")
    assert cat.records_snapshot() == before


def test_sftp_folder_vanishing_mid_run_flips_nothing(
    sync_catalog: MakeSyncCatalog, sftp_server: SftpServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    rels = [f"s{i}/spikes.times.npy" for i in range(5)]
    cat = _served(sync_catalog, sftp_server, rels)
    before = cat.records_snapshot()
    monkeypatch.setattr(hashing, "BATCH_FILES", 1)  # progress after every file
    data = sftp_server.folder / "data"

    def unmount(done: int, total: int, *_: int) -> None:
        if data.exists():  # the server's disk goes away while files are being hashed
            data.rename(data.with_name("elsewhere"))

    outcome = sync(cat.root, SyncOptions(commit=False), progress=unmount)
    assert outcome.report.repositories["far"].status == "unreachable"
    assert "vanished" in outcome.report.repositories["far"].message
    assert "missing" not in {f.status for f in outcome.report.files}
    assert cat.records_snapshot() == before


def test_sftp_a_server_that_stops_answering_flips_nothing(
    sync_catalog: MakeSyncCatalog, sftp_server: SftpServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(remote, "READ_TIMEOUT", 0.5)
    rels = [f"stall/{rel}" for rel in FILES]
    cat = _served(sync_catalog, sftp_server, rels)
    before = cat.records_snapshot()
    outcomes: list[SyncOutcome] = []  # the first read never gets an answer, nor anything after
    runner = threading.Thread(target=lambda: outcomes.append(cat.sync()), daemon=True)
    runner.start()
    runner.join(120)  # a guard against hanging for ever, not a measure of speed
    assert outcomes, "sync hung on a server that stopped answering"
    nothing_flipped(outcomes[0], "unreachable")
    assert outcomes[0].report.files[0].detail == "timed out: no answer"
    assert cat.records_snapshot() == before


def test_sftp_refused_login_flips_nothing(
    sync_catalog: MakeSyncCatalog, sftp_server: SftpServer
) -> None:
    cat = _served(sync_catalog, sftp_server, FILES)
    before = cat.records_snapshot()
    write_ssh_key(ssh_key())  # a key the server refuses
    outcome = cat.sync()
    nothing_flipped(outcome, "denied")
    assert "AuthenticationException" in outcome.report.repositories["far"].message
    # The command line: a report, exit status 0, no traceback.
    cmd = [sys.executable, "-m", "catalog", "sync", "--root", str(cat.root), "--no-commit"]
    done = subprocess.run([*cmd, "--format", "json"], capture_output=True, text=True, timeout=60)
    assert (done.returncode, done.stderr) == (0, "")
    assert json.loads(done.stdout)["report"]["repositories"]["far"]["status"] == "denied"
    assert cat.records_snapshot() == before


def test_sftp_without_any_key_is_misconfigured(
    sync_catalog: MakeSyncCatalog, sftp_server: SftpServer
) -> None:
    cat = _catalog(sync_catalog, sftp_server, FILES)
    (Path.home() / ".ssh" / "id_ed25519").unlink()
    outcome = cat.sync()
    nothing_flipped(outcome, "misconfigured")
    assert "No authentication methods available" in outcome.report.repositories["far"].message


def test_sftp_denied_folder_and_denied_root_flip_nothing(
    sync_catalog: MakeSyncCatalog, sftp_server: SftpServer
) -> None:
    rels = ["ok/spikes.times.npy", "secret/spikes.times.npy", "secret/deep/spikes.times.npy"]
    cat = _served(sync_catalog, sftp_server, rels)
    before = cat.records_snapshot()
    assert _statuses(cat) == {
        "ok/spikes.times.npy": ("verified", ""),
        "secret/spikes.times.npy": ("unreachable", "permission denied"),
        "secret/deep/spikes.times.npy": ("unreachable", "permission denied"),
    }
    assert cat.records_snapshot() == before
    denied = _catalog(sync_catalog, sftp_server, FILES, path="/data/secret")
    nothing_flipped(denied.sync(), "denied")


def test_sftp_wrong_folder_flips_nothing(
    sync_catalog: MakeSyncCatalog, sftp_server: SftpServer
) -> None:
    _put(sftp_server, FILES[0])
    cat = _catalog(sync_catalog, sftp_server, FILES, path="/no-such-folder")
    outcome = cat.sync()
    nothing_flipped(outcome, "unreachable")
    assert "does not exist" in outcome.report.repositories["far"].message


# ---------------------------------------------------------------- configuration


def _forget_host(server: SftpServer) -> None:
    (Path.home() / ".ssh" / "known_hosts").unlink()


def _other_host_key(server: SftpServer) -> None:
    write_known_host(server.port, ssh_key())  # not the key the server shows


@pytest.mark.parametrize(
    ("known_hosts", "status", "says"),
    [(_forget_host, "misconfigured", "known_hosts"), (_other_host_key, "denied", "BadHostKey")],
    ids=["unknown host key", "changed host key"],
)
def test_sftp_server_not_known_by_its_host_key_flips_nothing(
    sync_catalog: MakeSyncCatalog,
    sftp_server: SftpServer,
    known_hosts: Callable[[SftpServer], None],
    status: str,
    says: str,
) -> None:
    # Whoever answers in the server's place must not be able to make copies look missing.
    cat = _served(sync_catalog, sftp_server, FILES)
    known_hosts(sftp_server)
    outcome = cat.sync()
    nothing_flipped(outcome, status)
    assert says in outcome.report.repositories["far"].message


def test_sftp_url_with_a_password_is_refused_before_connecting(
    sync_catalog: MakeSyncCatalog, sftp_server: SftpServer
) -> None:
    url = f"sftp://tester:hunter2@127.0.0.1:{sftp_server.port}/data"
    cat = remote_catalog(sync_catalog, "sftp", url, FILES, A)
    outcome = cat.sync()
    nothing_flipped(outcome, "misconfigured")
    assert "carries a password" in outcome.report.repositories["far"].message
    assert sftp_server.connections == []


def test_sftp_without_paramiko_names_the_extra(
    sync_catalog: MakeSyncCatalog, monkeypatch: pytest.MonkeyPatch
) -> None:
    registry = importlib.import_module("fsspec.registry")  # the module, not fsspec.registry
    monkeypatch.setitem(sys.modules, "paramiko", None)  # import paramiko fails
    monkeypatch.delitem(sys.modules, "fsspec.implementations.sftp", raising=False)
    monkeypatch.delitem(registry._registry, "sftp", raising=False)
    cat = remote_catalog(sync_catalog, "sftp", "sftp://127.0.0.1/data", FILES, A)
    outcome = cat.sync()
    nothing_flipped(outcome, "misconfigured")
    assert "pip install 'catalog[sftp]'" in outcome.report.repositories["far"].message


def test_sftp_connection_is_closed_after_the_run(
    sync_catalog: MakeSyncCatalog, sftp_server: SftpServer
) -> None:
    cat = _served(sync_catalog, sftp_server, FILES)
    cat.sync()
    assert sftp_server.connections
    gc.collect()
    deadline = time.monotonic() + 30  # a wait for the server to notice, not a timing check
    while not all(c.is_closed() for c in sftp_server.connections):
        assert time.monotonic() < deadline, "the SSH connection was left open"
        time.sleep(0.02)
