"""`catalog worker keygen` and `catalog worker run JOBFILE` (signed to a service, or applied)."""

from __future__ import annotations

import http.server
import json
import stat
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from catalog import signing
from catalog.cli import main
from catalog.models import Experiment
from catalog.validate import load_catalog
from tests.conftest import git
from tests.runner.conftest import block_yaml, experiment_yaml

WORKER = "records/workers/w1.yaml"
MakeRunner = Callable[..., Path]


def _invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.output


@pytest.fixture
def root(runner_catalog: MakeRunner) -> Path:
    return runner_catalog(
        {
            WORKER: "# our lab workstation\nkind: worker\nname: w1  # keep\n",
            "records/experiments/e.yaml": experiment_yaml("e", block_yaml("a")),
        }
    )


def test_keygen_writes_a_private_key_and_records_the_public_one(root: Path) -> None:
    key = root.parent / "keys" / "w1.pem"
    code, out = _invoke("worker", "keygen", "w1", "--root", str(root), "--key", str(key))
    assert code == 0, out
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    public = signing.public_key_text(signing.load_private_key(key))
    text = (root / WORKER).read_text()
    assert text.startswith("# our lab workstation\n")
    assert "name: w1  # keep" in text
    assert f"key: {public}" in text
    assert "PRIVATE" not in text


def test_keygen_keeps_two_keys_during_a_rotation(root: Path) -> None:
    keys = [root.parent / f"k{i}.pem" for i in range(3)]
    for k in keys:
        assert _invoke("worker", "keygen", "w1", "--root", str(root), "--key", str(k))[0] == 0
    entry = load_catalog(root).get("worker", "w1")
    assert entry is not None
    recorded = [k["key"] for k in entry.data["public_keys"]]
    expected = [signing.public_key_text(signing.load_private_key(k)) for k in keys[1:]]
    assert recorded == expected


@pytest.mark.parametrize(
    ("name", "where", "message"),
    [
        ("w1", "existing", "a private key already exists"),
        ("w1", "records/w1.pem", "a private key must not be written under"),
        ("ghost", "k.pem", "there is no worker record 'ghost'"),
    ],
)
def test_keygen_refusals(root: Path, name: str, where: str, message: str) -> None:
    key = root.parent / "existing.pem" if where == "existing" else root / where
    if where == "existing":
        key.write_text("keep me")
    before = (root / WORKER).read_text()
    code, out = _invoke("worker", "keygen", name, "--root", str(root), "--key", str(key))
    assert code == 1
    assert message in out
    assert (root / WORKER).read_text() == before
    assert where == "existing" or not key.exists()


class _Service(http.server.BaseHTTPRequestHandler):
    """A stand-in for the service's webhook: verifies the signature like the service does."""

    public_keys: list[str] = []
    received: list[dict[str, Any]] = []

    def do_POST(self) -> None:  # noqa: N802 - http.server's naming
        body = self.rfile.read(int(self.headers["Content-Length"]))
        try:
            signing.verify(
                self.public_keys,
                int(self.headers[signing.HEADER_TIMESTAMP]),
                self.headers[signing.HEADER_KEY],
                body,
                self.headers[signing.HEADER_SIGNATURE],
            )
        except signing.SignatureError as exc:
            self._answer(401, {"error": str(exc)})
            return
        self.received.append(json.loads(body))
        self._answer(202, {"status": "accepted"})

    def _answer(self, status: int, doc: dict[str, Any]) -> None:
        raw = json.dumps(doc).encode()
        self.send_response(status)
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def service() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Service)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def _jobfile(root: Path) -> Path:
    """The one ready job, as `catalog run --plan --format json` prints it."""
    code, out = _invoke("run", "--plan", "--format", "json", "--root", str(root))
    assert code == 0, out
    [job] = json.loads(out)["jobs"]
    path = root.parent / "job.json"
    path.write_text(json.dumps(job))
    return path


def test_worker_run_posts_a_signed_report(root: Path, service: str) -> None:
    key = root.parent / "w1.pem"
    _Service.public_keys = [signing.public_key_text(signing.keygen(key))]
    _Service.received = []
    args = ["--service", service, "--worker", "w1", "--key", str(key)]
    code, out = _invoke("worker", "run", str(_jobfile(root)), "--root", str(root), *args)
    assert code == 0, out
    assert "block:e/a: done; posted to" in out
    [body] = _Service.received
    assert body["status"] == "done"
    assert body["outputs"][0]["name"] == "out"


def test_a_report_signed_with_a_wrong_key_is_refused(root: Path, service: str) -> None:
    _Service.public_keys = [signing.public_key_text(signing.keygen(root.parent / "real.pem"))]
    _Service.received = []
    wrong = root.parent / "stolen.pem"
    signing.keygen(wrong)
    args = ["--service", service, "--worker", "w1", "--key", str(wrong)]
    code, out = _invoke("worker", "run", str(_jobfile(root)), "--root", str(root), *args)
    assert code == 1
    assert "the service refused the report (HTTP 401)" in out
    assert "does not match the body" in out
    assert _Service.received == []


def test_worker_run_without_a_service_records_the_report(root: Path) -> None:
    jobfile = _jobfile(root)
    code, out = _invoke("worker", "run", str(jobfile), "--root", str(root))
    assert code == 0, out
    assert "recorded in commit" in out
    entry = load_catalog(root).get("experiment", "e")
    assert entry is not None
    assert isinstance(entry.model, Experiment)
    assert entry.model.blocks[0].status == "done"
    assert git(root, "log", "-1", "--format=%s").strip() == "Record the report of block:e/a"
