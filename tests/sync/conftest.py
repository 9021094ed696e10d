"""Catalogs with real data files, and real storage servers on 127.0.0.1 (S3, HTTP, SFTP)."""

from __future__ import annotations

import asyncio
import hashlib
import http.server
import os
import socket
import subprocess
import sys
import threading
import time
import uuid
import warnings
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from catalog.sync.run import SyncOptions, SyncOutcome, sync
from tests.conftest import MakeCatalog

NO_BASE_DATASET = {
    # The base catalog's dataset is replaced by the ones each test makes.
    "records/datasets/s1/spikes.times.npy.yaml": None,
}


def uid(rel: str, repo: str = "") -> str:
    """A stable uuid per (repository, path), so tests can find their datasets."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"{repo}/{rel}" if repo else rel))


def dataset_yaml(
    rel: str,
    content: bytes | None,
    *,
    copies: dict[str, bool] | None = None,
    algorithm: str = "sha256",
    hash_: bool = True,
    size: bool = True,
    comment: str = "",
    name: str | None = None,
) -> str:
    """A dataset record for a file at ``rel`` in each repository of ``copies`` (→ exists)."""
    copies = copies if copies is not None else {"local-main": False}
    lines = [
        f"# {comment}" if comment else "# a test dataset",
        "kind: dataset",
        f"uuid: {uid(rel)}",
        f"name: {name or rel.rsplit('/', 1)[-1]}",
        f"session: {rel.rsplit('/', 1)[0]}" if "/" in rel else "session: ''",
        "dataset_type: spikes.times",
        "data_format: npy",
    ]
    if content is not None and size:
        lines.append(f"file_size: {len(content)}")
    if content is not None and hash_:
        lines.append(f"hash: {hashlib.new(algorithm, content).hexdigest()}")
        lines.append(f"hash_algorithm: {algorithm}")
    lines.append("file_records:")
    for repo, exists in copies.items():
        lines += [
            f"  - repository: {repo}",
            f"    relative_path: {rel}  # where the file lives",
            f"    exists: {'true' if exists else 'false'}",
        ]
    return "\n".join(lines) + "\n"


def recorded(rel: str, content: bytes, **kw: Any) -> dict[str, str]:
    """The record of a file that sync last saw in local-main (``exists: true``)."""
    kw.setdefault("copies", {"local-main": True})
    return {rel: dataset_yaml(rel, content, **kw)}


def record_file(rel: str) -> str:
    """Where a test dataset's record lives."""
    return f"records/datasets/{rel.replace('/', '_').lstrip('.')}.yaml"


@dataclass
class Cat:
    """A test catalog: its root and the local data folder of local-main."""

    root: Path
    data: Path

    def sync(self, **options: Any) -> SyncOutcome:
        """Run sync in-process (records are edited, not committed, unless commit=True)."""
        options.setdefault("commit", False)
        return sync(self.root, SyncOptions(**options))

    def record(self, rel: str) -> str:
        """The text of a dataset's record file."""
        return (self.root / record_file(rel)).read_text()

    def records_snapshot(self) -> dict[str, bytes]:
        """Every record file's bytes (to prove nothing was flipped)."""
        base = self.root / "records"
        return {str(p): p.read_bytes() for p in sorted(base.rglob("*.yaml"))}


MakeSyncCatalog = Callable[..., Cat]


def _write_many(root: Path, files: dict[str, bytes]) -> None:
    """Write many files quickly (each folder made once)."""
    made: set[Path] = set()
    for rel, content in files.items():
        path = root / rel
        if path.parent not in made:
            path.parent.mkdir(parents=True, exist_ok=True)
            made.add(path.parent)
        path.write_bytes(content)


@pytest.fixture
def sync_catalog(make_catalog: MakeCatalog) -> MakeSyncCatalog:
    """A catalog whose local-main (data/main) holds ``files``, one dataset per file.

    ``records`` overrides the record text per path (e.g. a missing file's record);
    ``extra`` adds more catalog files (repositories, types).
    """

    def make(
        files: dict[str, bytes],
        *,
        records: dict[str, str] | None = None,
        extra: dict[str, str | None] | None = None,
        git_init: bool = False,
        **kw: Any,
    ) -> Cat:
        cat_files: dict[str, str | bytes | None] = dict(NO_BASE_DATASET)
        cat_files.update(extra or {})
        cat_files[".gitignore"] = ".catalog/\n"
        root = make_catalog(cat_files, git_init=False)
        texts = {record_file(rel): dataset_yaml(rel, c, **kw) for rel, c in files.items()}
        texts.update({record_file(rel): text for rel, text in (records or {}).items()})
        _write_many(root, {k: v.encode() for k, v in texts.items()})
        data = root / "data" / "main"
        data.mkdir(parents=True, exist_ok=True)
        _write_many(data, files)
        if git_init:
            from tests.conftest import git

            git(root, "init", "-q")
            git(root, "add", "records", "catalog.yaml", ".gitignore")
            git(root, "commit", "-q", "-m", "initial catalog")
        return Cat(root, data)

    return make


def repository_yaml(name: str, type_: str, url: str, **fields: Any) -> str:
    """A repository record."""
    lines = ["kind: repository", f"name: {name}", f"type: {type_}", f"url: {url}"]
    lines += [f"{k}: {str(v).lower() if isinstance(v, bool) else v}" for k, v in fields.items()]
    return "\n".join(lines) + "\n"


def remote_catalog(
    sync_catalog: MakeSyncCatalog, type_: str, url: str, rels: Iterable[str], content: bytes
) -> Cat:
    """Datasets (one per path in ``rels``) whose only copy, ``exists: true``, is in the
    repository 'far' at ``url``."""
    records = {rel: dataset_yaml(rel, content, copies={"far": True}) for rel in rels}
    extra = {"records/repositories/far.yaml": repository_yaml("far", type_, url)}
    return sync_catalog({}, records=records, extra=extra)


def nothing_flipped(outcome: SyncOutcome, status: str, repo: str = "far") -> None:
    """The repository got ``status``, every copy is unreachable, no record changes, exit 0."""
    assert outcome.report.repositories[repo].status == status
    assert {f.status for f in outcome.report.files} == {"unreachable"}
    assert outcome.changes == []
    assert not outcome.failed


# ---------------------------------------------------------------- S3 (moto server)


def free_port() -> int:
    """A port on 127.0.0.1 that nothing listens on (free when this returns)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _start_moto(env_extra: dict[str, str]) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = {**os.environ, **env_extra}
    proc = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return proc, f"http://127.0.0.1:{port}"
        except OSError:
            time.sleep(0.05)
    proc.kill()
    raise RuntimeError("moto server did not start")


@pytest.fixture(scope="session")
def moto_server() -> Iterator[str]:
    """An S3 protocol server (moto) on 127.0.0.1; small multipart parts allowed."""
    proc, url = _start_moto({"S3_UPLOAD_PART_MIN_SIZE": "256"})
    yield url
    proc.terminate()
    proc.wait(10)


@pytest.fixture(scope="session")
def moto_strict_server() -> Iterator[str]:
    """A moto server that checks credentials: the fake test keys are refused."""
    proc, url = _start_moto({"INITIAL_NO_AUTH_ACTION_COUNT": "0"})
    yield url
    proc.terminate()
    proc.wait(10)


@pytest.fixture
def s3_env(moto_server: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """Fake credentials and the moto endpoint, from the environment as in production."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_server)
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    return moto_server


@dataclass
class S3Bucket:
    """A bucket on the moto server, and a boto3 client to fill it."""

    name: str
    client: Any


@pytest.fixture
def bucket(s3_env: str) -> Iterator[S3Bucket]:
    """A fresh bucket with a unique name."""
    import boto3

    client = boto3.client("s3", endpoint_url=s3_env)
    name = f"bkt-{uuid.uuid4().hex[:12]}"
    client.create_bucket(Bucket=name)
    yield S3Bucket(name, client)
    client.close()


# ---------------------------------------------------------------- HTTP


class _Handler(http.server.SimpleHTTPRequestHandler):
    """Serves a folder; paths containing 'secret' answer 403 and '/broken/' answers 500."""

    def send_head(self) -> Any:
        if "secret" in self.path:
            self.send_error(403, "Forbidden")
            return None
        if self.path.startswith("/broken/") or self.server.broken:  # type: ignore[attr-defined]
            self.send_error(500, "Internal Server Error")
            return None
        return super().send_head()

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass


@pytest.fixture
def http_server(tmp_path: Path) -> Iterator[tuple[str, Path, Any]]:
    """(base URL, served folder, server) of an HTTP server on 127.0.0.1."""
    folder = tmp_path / "served"
    folder.mkdir()

    def handler(*args: Any, **kw: Any) -> _Handler:
        return _Handler(*args, directory=str(folder), **kw)

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.broken = False  # type: ignore[attr-defined]
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", folder, server
    server.shutdown()
    server.server_close()


# ---------------------------------------------------------------- SFTP (asyncssh)


def _asyncssh() -> Any:
    """asyncssh, imported past the DSA deprecation warning that its import raises with
    recent cryptography (warnings are errors in the tests)."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="DSA is deprecated")
        import asyncssh
    return asyncssh


def ssh_key() -> Any:
    """A new Ed25519 private key (an asyncssh key)."""
    return _asyncssh().generate_private_key("ssh-ed25519")


def _sftp_session(root: Path, calls: list[tuple[str, str]], release: asyncio.Event) -> Any:
    """An asyncssh SFTP session class chrooted to ``root`` that logs listings and opens in
    ``calls``, answers "permission denied" for any path with a 'secret' segment, and stops
    answering (until ``release``) when asked to read a file in a 'stall' folder."""
    asyncssh = _asyncssh()

    class Session(asyncssh.SFTPServer):
        def __init__(self, chan: Any) -> None:
            super().__init__(chan, chroot=os.fsencode(root))

        def map_path(self, path: bytes) -> bytes:
            if b"secret" in path.split(b"/"):
                raise asyncssh.SFTPPermissionDenied("permission denied")
            return super().map_path(path)

        async def scandir(self, path: bytes) -> AsyncIterator[Any]:
            calls.append(("list", path.decode()))
            async for name in super().scandir(path):
                yield name

        def open(self, path: bytes, pflags: int, attrs: Any) -> Any:
            calls.append(("open", path.decode()))
            return super().open(path, pflags, attrs)

        async def read(self, file_obj: Any, offset: int, size: int) -> bytes:
            if "stall" in Path(os.fsdecode(file_obj.name)).parts:
                await release.wait()  # requests are served in order: the session hangs
            return super().read(file_obj, offset, size)  # type: ignore[no-any-return]

    return Session


@dataclass
class SftpServer:
    """A real SFTP server (asyncssh, on its own event loop thread) on 127.0.0.1.

    ``folder`` is its "/"; it lets in only the key the fixture writes to ``~/.ssh/id_ed25519``
    under the test's HOME, where ssh clients look for it, and its own host key is in
    ``~/.ssh/known_hosts`` there. ``calls`` logs
    what clients asked for (("list", folder), ("open", file)); ``connections`` every SSH
    connection it accepted. A path with a 'secret' segment is "permission denied"; reading a
    file in a 'stall' folder never gets an answer.
    """

    port: int
    folder: Path
    calls: list[tuple[str, str]]
    connections: list[Any]
    loop: asyncio.AbstractEventLoop
    acceptor: Any
    release: asyncio.Event

    def url(self, path: str = "/data") -> str:
        """The repository URL of ``path`` on this server (user 'tester')."""
        return f"sftp://tester@127.0.0.1:{self.port}{path}"

    def stop(self) -> None:
        """Stop listening and drop every open connection: the server went away."""

        async def close() -> None:
            self.release.set()
            self.acceptor.close()
            for conn in self.connections:
                conn.abort()
            await self.acceptor.wait_closed()

        asyncio.run_coroutine_threadsafe(close(), self.loop).result(30)


def write_ssh_key(key: Any) -> Path:
    """Write ``key`` (an asyncssh private key) as ``~/.ssh/id_ed25519``, mode 0600."""
    ssh = Path.home() / ".ssh"
    ssh.mkdir(mode=0o700, exist_ok=True)
    path = ssh / "id_ed25519"
    path.write_bytes(key.export_private_key("openssh"))
    path.chmod(0o600)
    return path


def write_known_host(port: int, key: Any) -> None:
    """Put ``key`` in ~/.ssh/known_hosts as 127.0.0.1:``port``'s host key (replacing any)."""
    public = key.export_public_key("openssh").decode().split()[:2]
    line = f"[127.0.0.1]:{port} {' '.join(public)}\n"
    (Path.home() / ".ssh" / "known_hosts").write_text(line)


@pytest.fixture
def sftp_server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[SftpServer]:
    """An SFTP server serving ``tmp_path/sftp`` as "/", and the client's key in ~/.ssh."""
    asyncssh = _asyncssh()

    monkeypatch.delenv("SSH_AUTH_SOCK", raising=False)  # no agent: the key in ~/.ssh only
    folder = tmp_path / "sftp"
    folder.mkdir()
    client_key = ssh_key()
    write_ssh_key(client_key)
    host_key = ssh_key()
    calls: list[tuple[str, str]] = []
    connections: list[Any] = []
    release = asyncio.Event()

    class Server(asyncssh.SSHServer):
        def connection_made(self, conn: Any) -> None:
            connections.append(conn)

    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()

    async def listen() -> Any:
        return await asyncssh.listen(
            host="127.0.0.1",
            port=0,
            server_factory=Server,
            server_host_keys=[host_key],
            authorized_client_keys=asyncssh.import_authorized_keys(
                client_key.export_public_key().decode()
            ),
            sftp_factory=_sftp_session(folder, calls, release),
            config=[],
        )

    acceptor = asyncio.run_coroutine_threadsafe(listen(), loop).result(30)
    server = SftpServer(acceptor.get_port(), folder, calls, connections, loop, acceptor, release)
    write_known_host(server.port, host_key)
    yield server
    server.stop()
    loop.call_soon_threadsafe(loop.stop)
    thread.join(30)
    loop.close()
