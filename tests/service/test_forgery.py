"""Nothing public can forge a report: records, the built site and git history do not sign.

The worker's key pair is made the way an operator makes it (`catalog worker keygen`); the
attempts below use only what anyone can read, and each is refused with 401.
"""

from __future__ import annotations

import base64
import json
import subprocess
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from catalog.cli import main
from catalog.signing import default_key_path, load_private_key, signed_headers
from tests.conftest import MakeCatalog, git
from tests.service.conftest import Catalog, serving

Headers = dict[str, str]
Forge = Callable[[bytes, Headers, bytes], tuple[bytes, Headers]]


@pytest.fixture
def published(make_catalog: MakeCatalog) -> Catalog:
    """A catalog whose worker 'lab' got its key from `catalog worker keygen`, committed and
    published."""
    root = make_catalog(
        {
            ".gitignore": ".catalog/\n_site/\n",
            "records/experiments/exp.yaml": "kind: experiment\nname: exp\nblocks:\n"
            "  - name: b0\n    command: [python, -c, pass]\n",
        },
        git_init=True,
    )
    cli = CliRunner()
    for args in (["new", "worker", "lab"], ["worker", "keygen", "lab"], ["build"]):
        result = cli.invoke(main, [*args, "--root", str(root)])
        assert result.exit_code == 0, result.output
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "worker lab")
    return Catalog(root, {"lab": load_private_key(default_key_path("lab"))})


def public_bytes(root: Path) -> bytes:
    """Every byte anyone can read: all git objects and every file of the built site."""
    objects = subprocess.run(
        ["git", "cat-file", "--batch-all-objects", "--batch"], cwd=root, capture_output=True
    ).stdout
    site = b"".join(p.read_bytes() for p in sorted((root / "_site").rglob("*")) if p.is_file())
    return objects + site


def test_private_key_is_nowhere_public(published: Catalog) -> None:
    key = published.keys["lab"]
    seed = key.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    blob = public_bytes(published.root)
    assert b"_site" not in git(published.root, "ls-files").encode()
    for secret in (seed, base64.b64encode(seed), seed.hex().encode(), pem.splitlines()[1]):
        assert secret not in blob


def public_key(root: Path) -> bytes:
    """The worker's public key as its record publishes it (raw 32 bytes)."""
    record = (root / "records/workers/lab.yaml").read_text()
    text = next(line.split("key: ", 1)[1] for line in record.splitlines() if "ed25519:" in line)
    return base64.b64decode(text.strip().removeprefix("ed25519:"))


def with_key_from_public(body: bytes, h: Headers, public: bytes) -> tuple[bytes, Headers]:
    forged = Ed25519PrivateKey.from_private_bytes(public)  # the public key used as a seed
    return body, signed_headers("lab", forged, uuid.uuid4().hex, body)


def other_body(body: bytes, h: Headers, public: bytes) -> tuple[bytes, Headers]:
    return body.replace(b'"done"', b'"failed"'), h


def other_key(body: bytes, h: Headers, public: bytes) -> tuple[bytes, Headers]:
    return body, {**h, "X-Catalog-Idempotency-Key": "forged-key"}


def fresh_timestamp(body: bytes, h: Headers, public: bytes) -> tuple[bytes, Headers]:
    return body, {**h, "X-Catalog-Timestamp": str(int(h["X-Catalog-Timestamp"]) + 1)}


def new_key_pair(body: bytes, h: Headers, public: bytes) -> tuple[bytes, Headers]:
    return body, signed_headers("lab", Ed25519PrivateKey.generate(), uuid.uuid4().hex, body)


def public_key_as_signature(body: bytes, h: Headers, public: bytes) -> tuple[bytes, Headers]:
    return body, {**h, "X-Catalog-Signature": "ed25519=" + base64.b64encode(public * 2).decode()}


FORGERIES: list[Forge] = [
    with_key_from_public,
    other_body,
    other_key,
    fresh_timestamp,
    new_key_pair,
    public_key_as_signature,
]
BODY = json.dumps(
    {"job_id": "block:exp/b0", "kind": "block", "status": "done"}
    | {"experiment": "exp", "block": "b0"}
).encode()


def test_no_public_material_signs_a_report(published: Catalog) -> None:
    public = public_key(published.root)
    seen = signed_headers("lab", published.keys["lab"], "seen-on-the-wire", BODY)
    json_type = {"Content-Type": "application/json"}
    with serving(published) as live:
        head, journal = published.head(), published.journal()
        for forge in FORGERIES:
            raw, headers = forge(BODY, dict(seen), public)
            resp = live.post("/api/v1/reports", raw, {**json_type, **headers})
            assert resp.status_code == 401, (forge.__name__, resp.text)
        assert (published.head(), published.journal()) == (head, journal)
        # The real key (kept only on the worker) does sign: the refusals above are not an
        # accident of the set-up.
        ok = live.post("/api/v1/reports", BODY, {**json_type, **seen})
        assert ok.status_code == 202, ok.text
