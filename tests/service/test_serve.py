"""`catalog serve --once` on the example catalog: validate, sync, run the jobs, apply, build."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import pytest

from catalog.store import load_file
from tests.conftest import git


def statuses(root: Path) -> dict[str, str]:
    out = {}
    for path in sorted((root / "records" / "experiments").glob("*.yaml")):
        entry = load_file(root, path.relative_to(root).as_posix()).entry
        assert entry is not None
        out[entry.data["name"]] = entry.data.get("status", "pending")
    return out


@pytest.mark.slow
def test_serve_once_runs_the_example_end_to_end(example: Path) -> None:
    assert "pending" in statuses(example).values()
    proc = subprocess.run(
        [sys.executable, "-m", "catalog", "serve", "--once", "--port", "0", "--root", str(example)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    assert "settled in" in proc.stdout
    assert set(statuses(example).values()) == {"done"}
    assert "Apply " in git(example, "log", "--format=%s")
    assert (example / "_site" / "index.html").is_file()
    assert git(example, "fsck", "--full", "--strict") == ""


def test_serve_refuses_an_invalid_catalog(example: Path) -> None:
    (example / "records" / "tags" / "broken.yaml").write_text("kind: tag\nname: [oops\n")
    proc = subprocess.run(
        [sys.executable, "-m", "catalog", "serve", "--once", "--root", str(example)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 1
    assert "records/tags/broken.yaml:3:1: YAML syntax error" in proc.stderr


def test_serve_refuses_a_port_in_use(example: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        proc = subprocess.run(
            [sys.executable, "-m", "catalog", "serve", "--port", str(port), "--root", str(example)],
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert proc.returncode == 1
    assert f"cannot listen on 127.0.0.1:{port}" in proc.stderr
    assert "Traceback" not in proc.stderr
