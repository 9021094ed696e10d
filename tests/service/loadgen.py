"""Load for the service: a catalog of many pending blocks, a server process, signing clients.

Shared by the load and crash tests and by ``bench/service.py``. Every report names one
pending block and carries its idempotency key in ``stdout``, so the records show which
report was applied.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from catalog.signing import public_key_text, signed_headers

PROJECT = Path(__file__).resolve().parents[2]

SERVICE = {
    "cycle_at_start": False,
    "replan_after_commit": False,
    "local_workers": 0,
    "sync_interval_s": 0,
    "rate_per_worker": 1e9,
    "burst_per_worker": 10**9,
    "rate_per_client": 1e9,
    "burst_per_client": 10**9,
    "threads": 16,
    "batch_size": 500,
    "batch_interval_s": 0.1,
}
"""Service settings of the load catalog: intake and committer only, no limits in the way."""


def git_env(home: Path) -> dict[str, str]:
    """An environment in which git has an identity and no user or system configuration."""
    return {
        **os.environ,
        "HOME": str(home),
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_AUTHOR_NAME": "Load Test",
        "GIT_AUTHOR_EMAIL": "load@example.invalid",
        "GIT_COMMITTER_NAME": "Load Test",
        "GIT_COMMITTER_EMAIL": "load@example.invalid",
    }


@dataclass(frozen=True)
class Report:
    """One signed report request, ready to send (again) byte for byte."""

    key: str
    experiment: str
    block: str
    body: bytes
    headers: dict[str, str]


def make_load_catalog(
    root: Path, *, experiments: int, blocks: int, workers: int, service: dict[str, Any]
) -> dict[str, Ed25519PrivateKey]:
    """Write and commit a catalog of ``experiments`` × ``blocks`` pending blocks."""
    keys = {f"w{i}": Ed25519PrivateKey.generate() for i in range(workers)}
    files: dict[str, str] = {
        "catalog.yaml": "name: load\nservice: " + json.dumps(service) + "\n",
        ".gitignore": ".catalog/\n_site/\n",
    }
    for name, key in keys.items():
        files[f"records/workers/{name}.yaml"] = (
            f"kind: worker\nname: {name}\npublic_keys:\n  - key: {public_key_text(key)}\n"
        )
    for e in range(experiments):
        lines = ["kind: experiment", f"name: e{e}", "blocks:"]
        for b in range(blocks):
            lines += [f"  - name: b{b}", "    command: [python, -c, pass]"]
        files[f"records/experiments/e{e}.yaml"] = "\n".join(lines) + "\n"
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    env = git_env(root.parent)
    for args in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-q", "-m", "load"]):
        subprocess.run(["git", *args], cwd=root, env=env, check=True)
    return keys


def make_reports(
    keys: dict[str, Ed25519PrivateKey], experiments: int, blocks: int
) -> list[list[Report]]:
    """Signed reports for every block, one list per worker (experiments dealt round-robin)."""
    names = sorted(keys, key=lambda n: int(n[1:]))
    per: list[list[Report]] = [[] for _ in names]
    n = 0
    for e in range(experiments):
        for b in range(blocks):
            i = n % len(names)
            key = f"load-e{e}-b{b}"
            body = json.dumps(
                {
                    "job_id": f"block:e{e}/b{b}",
                    "kind": "block",
                    "status": "done",
                    "experiment": f"e{e}",
                    "block": f"b{b}",
                    "stdout": key,
                }
            ).encode()
            headers = {"Content-Type": "application/json"}
            headers.update(signed_headers(names[i], keys[names[i]], key, body))
            per[i].append(Report(key, f"e{e}", f"b{b}", body, headers))
            n += 1
    return per


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def child_pids(pid: int) -> list[int]:
    """The direct children of process ``pid`` (Linux /proc; empty elsewhere)."""
    out: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            out += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            continue
    return out


def alive(pid: int) -> bool:
    """Whether ``pid`` still runs (a zombie counts as gone)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


class ServerProcess:
    """`catalog serve` in a subprocess on a fixed port; it can be killed and started again."""

    def __init__(self, root: Path, port: int, env: dict[str, str] | None = None) -> None:
        self.root = root
        self.port = port
        self.env = env or {}
        self.url = f"http://127.0.0.1:{port}"
        self.proc: subprocess.Popen[bytes] | None = None
        self.starts = 0

    def start(self, timeout: float = 60.0) -> None:
        """Start the server and wait until it answers /healthz."""
        cmd = [sys.executable, "-m", "catalog", "serve", "--root", str(self.root)]
        self.proc = subprocess.Popen(
            [*cmd, "--port", str(self.port)],
            cwd=PROJECT,
            env={**git_env(self.root.parent), **self.env},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self.starts += 1
        deadline = time.monotonic() + timeout
        while True:
            try:
                if requests.get(self.url + "/healthz", timeout=1).status_code == 200:
                    return
            except requests.RequestException:
                pass
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the server did not start (exit {self.proc.poll()})")
            time.sleep(0.02)

    def kill(self) -> None:
        """SIGKILL: no clean-up of any kind. The service's own child processes (its
        background) must die with it: an orphaned committer would run beside the next one."""
        assert self.proc is not None
        children = child_pids(self.proc.pid)
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait()
        deadline = time.monotonic() + 10
        while any(alive(pid) for pid in children):
            if time.monotonic() > deadline:
                raise AssertionError(f"processes {children} outlived the killed service")
            time.sleep(0.02)

    def stop(self) -> None:
        """SIGTERM and wait."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()

    def __enter__(self) -> ServerProcess:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


@dataclass(eq=False)
class Client(threading.Thread):
    """Sends its reports (some twice), retrying each until it is acknowledged."""

    url: str
    reports: Sequence[Report]
    twice: bool = True
    pause: float = 0.0
    """Seconds between reports (to make a supply of reports last)."""
    stop_new: threading.Event = field(default_factory=threading.Event)
    answers: dict[str, list[bytes]] = field(default_factory=dict)
    retries: int = 0
    failures: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        threading.Thread.__init__(self, daemon=True)

    def send(self, http: requests.Session, r: Report) -> bytes:
        """POST until a 202 comes back; return its body."""
        while True:
            try:
                resp = http.post(
                    self.url + "/api/v1/reports", data=r.body, headers=r.headers, timeout=15
                )
            except requests.RequestException:
                self.retries += 1
                time.sleep(0.02)
                continue
            if resp.status_code == 202:
                return resp.content
            self.failures.append(f"{r.key}: {resp.status_code} {resp.text[:200]}")
            return b""

    def run(self) -> None:
        with requests.Session() as http:
            for i, r in enumerate(self.reports):
                if self.stop_new.is_set():
                    return
                self.answers[r.key] = [self.send(http, r)]
                if self.twice and i % 2 == 0:  # half of the reports are sent twice
                    self.answers[r.key].append(self.send(http, r))
                if self.pause:
                    time.sleep(self.pause)


def run_clients(url: str, per_client: Sequence[Sequence[Report]]) -> Iterator[Client]:
    """Start one client per report list and return them (running)."""
    for reports in per_client:
        client = Client(url, reports)
        client.start()
        yield client


def wait_drained(url: str, timeout: float = 300.0) -> dict[str, Any]:
    """Poll /api/v1/status until the journal is empty; return the last status."""
    deadline = time.monotonic() + timeout
    while True:
        status: dict[str, Any] = requests.get(url + "/api/v1/status", timeout=10).json()
        if status["journal"]["depth"] == 0:
            return status
        if time.monotonic() > deadline:
            raise AssertionError(f"journal not drained: {status['journal']}")
        time.sleep(0.05)


def applied_counts(root: Path) -> int:
    """Reports applied according to git: the sum of N over "Apply N worker report(s)"."""
    out = subprocess.run(
        ["git", "log", "--format=%s"], cwd=root, capture_output=True, text=True, check=True
    ).stdout
    total = 0
    for line in out.splitlines():
        if line.startswith("Apply ") and line.endswith(" worker report(s)"):
            total += int(line.split()[1])
    return total


def fsck_problems(root: Path) -> list[str]:
    """What `git fsck --full --strict` reports, apart from dangling objects (harmless: a
    commit written by a crashed writer that no branch points at)."""
    proc = subprocess.run(
        ["git", "fsck", "--full", "--strict"], cwd=root, capture_output=True, text=True
    )
    lines = (proc.stdout + proc.stderr).splitlines()
    problems = [line for line in lines if not line.startswith("dangling ")]
    return problems if proc.returncode == 0 else [f"exit {proc.returncode}", *problems]


def block_stdouts(root: Path, experiments: int) -> dict[str, str]:
    """idempotency key found in each done block's stdout → "e<i>/b<j>"."""
    from catalog.store import load_file

    out: dict[str, str] = {}
    for e in range(experiments):
        entry = load_file(root, f"records/experiments/e{e}.yaml").entry
        assert entry is not None
        for b in entry.data["blocks"]:
            if b.get("status") == "done":
                out[b.get("stdout", "")] = f"e{e}/{b['name']}"
    return out
