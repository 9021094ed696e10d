"""Fixtures of the service tests: a catalog with workers and keys, and the real server."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack, closing, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from flask import Flask

from catalog.config import load_config
from catalog.service.app import create_app, service_of
from catalog.service.server import ServerThread
from catalog.service.settings import ServiceSettings
from catalog.signing import public_key_text, signed_headers
from tests.conftest import BASE_FILES, MakeCatalog, git, write_files

WORKERS = ("w1", "w2", "flood", "off")
"""Workers of the test catalog; 'off' is disabled."""


def worker_yaml(name: str, key: Ed25519PrivateKey, *, enabled: bool = True) -> str:
    """A worker record with ``key``'s public half."""
    return (
        f"kind: worker\nname: {name}\nenabled: {'true' if enabled else 'false'}\n"
        f"queues: [default, gpu]\ncapabilities: [gpu]\n"
        f"public_keys:\n  - key: {public_key_text(key)}\n"
    )


def experiment_yaml(name: str, blocks: int) -> str:
    """An experiment of ``blocks`` independent pending blocks."""
    lines = ["kind: experiment", f"name: {name}", "blocks:"]
    for i in range(blocks):
        lines += [f"  - name: b{i}", "    command: [python, -c, pass]"]
    return "\n".join(lines) + "\n"


@dataclass
class Catalog:
    """A git-backed test catalog and the private keys of its workers."""

    root: Path
    keys: dict[str, Ed25519PrivateKey]

    def head(self) -> str:
        """The current commit."""
        return git(self.root, "rev-parse", "HEAD").strip()

    def journal(self) -> list[tuple[Any, ...]]:
        """(id, worker, key, state) of every journal row."""
        path = self.root / ".catalog" / "service.sqlite"
        if not path.exists():
            return []
        # closing(): sqlite3's own context manager ends the transaction, not the connection.
        with closing(sqlite3.connect(path)) as c:
            return c.execute("SELECT id, worker, key, state FROM reports ORDER BY id").fetchall()


def catalog_files(keys: dict[str, Ed25519PrivateKey]) -> dict[str, str]:
    """The files of the test catalog: the base one, four workers and experiment 'exp'."""
    files: dict[str, str] = {
        f"records/workers/{n}.yaml": worker_yaml(n, k, enabled=n != "off") for n, k in keys.items()
    }
    files["records/experiments/exp.yaml"] = experiment_yaml("exp", 8)
    files[".gitignore"] = ".catalog/\n_site/\n"
    return files


@pytest.fixture
def catalog(make_catalog: MakeCatalog) -> Catalog:
    """A committed catalog with workers w1, w2, flood (enabled), off (disabled), and one
    experiment 'exp' of 8 pending blocks."""
    keys = {name: Ed25519PrivateKey.generate() for name in WORKERS}
    root = make_catalog(dict(catalog_files(keys)), git_init=True)
    return Catalog(root, keys)


@pytest.fixture(scope="module")
def module_catalog(tmp_path_factory: pytest.TempPathFactory) -> Catalog:
    """The same catalog, shared by the tests of one module (set up before the per-test
    isolation, so git gets its identity explicitly)."""
    keys = {name: Ed25519PrivateKey.generate() for name in WORKERS}
    root = tmp_path_factory.mktemp("shared") / "cat"
    write_files(root, {**BASE_FILES, **catalog_files(keys)})
    env = {
        **os.environ,
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_AUTHOR_NAME": "Test User",
        "GIT_AUTHOR_EMAIL": "test@example.invalid",
        "GIT_COMMITTER_NAME": "Test User",
        "GIT_COMMITTER_EMAIL": "test@example.invalid",
    }
    for args in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-q", "-m", "initial"]):
        subprocess.run(["git", *args], cwd=root, env=env, check=True)
    return Catalog(root, keys)


def report(job: str = "b0", *, experiment: str = "exp", **extra: Any) -> dict[str, Any]:
    """A valid report body for block ``job`` of ``experiment``."""
    body: dict[str, Any] = {
        "job_id": f"block:{experiment}/{job}",
        "attempt": 1,
        "kind": "block",
        "status": "done",
        "experiment": experiment,
        "block": job,
    }
    body.update(extra)
    return body


def encode(body: Any) -> bytes:
    """JSON bytes of a body."""
    return json.dumps(body).encode()


def sign(
    cat: Catalog, worker: str, raw: bytes, *, key: str | None = None, timestamp: int | None = None
) -> dict[str, str]:
    """Headers of a request signed by ``worker``, with Content-Type."""
    headers = signed_headers(
        worker, cat.keys[worker], key or uuid.uuid4().hex, raw, timestamp=timestamp
    )
    return {"Content-Type": "application/json", **headers}


def settings(**over: Any) -> ServiceSettings:
    """Service settings for tests: free port, no scheduled sync, quick batches."""
    base: dict[str, Any] = {
        "port": 0,
        "sync_interval_s": 0,
        "batch_interval_s": 0.05,
        "local_workers": 0,
    }
    return ServiceSettings.model_validate({**base, **over})


@dataclass
class Live:
    """A running service: its app, its URL and a session to talk to it."""

    app: Flask
    url: str
    http: requests.Session

    def post(self, path: str, raw: bytes, headers: dict[str, str]) -> requests.Response:
        """POST raw bytes."""
        return self.http.post(self.url + path, data=raw, headers=headers, timeout=30)


LiveFactory = Callable[..., Live]


@contextmanager
def serving(cat: Catalog, *, background: bool = False, **over: Any) -> Iterator[Live]:
    """The real app for ``cat`` under waitress on 127.0.0.1, stopped on leaving."""
    mode = "threads" if background else "off"
    app = create_app(load_config(cat.root), settings(**over), background=mode)
    try:
        with ServerThread(app, service_of(app).settings) as server, requests.Session() as http:
            yield Live(app, server.url, http)
    finally:
        service_of(app).stop()


@pytest.fixture
def live_service(catalog: Catalog) -> Iterator[LiveFactory]:
    """Start the real app under waitress on 127.0.0.1 (``background`` threads optional)."""
    with ExitStack() as stack:
        yield lambda **kw: stack.enter_context(serving(catalog, **kw))


def block_status(cat: Catalog, block: str, experiment: str = "exp") -> str:
    """The status of ``block`` in the committed experiment record."""
    from catalog.store import load_file

    entry = load_file(cat.root, f"records/experiments/{experiment}.yaml").entry
    assert entry is not None
    return (
        next(b["status"] for b in entry.data["blocks"] if b["name"] == block)
        if any("status" in b for b in entry.data["blocks"] if b["name"] == block)
        else "pending"
    )


def wait_for(predicate: Callable[[], bool], timeout: float = 20.0) -> None:
    """Poll until ``predicate()`` holds; fail after ``timeout`` seconds."""
    import time

    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {predicate}")
        time.sleep(0.02)
