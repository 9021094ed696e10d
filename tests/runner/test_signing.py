"""Ed25519 report signatures and private key files."""

from __future__ import annotations

import base64
import stat
from pathlib import Path

import pytest

from catalog import signing
from catalog.models import PublicKey
from catalog.signing import KeyFileError, SignatureError

BODY = b'{"job_id": "block:x/y", "status": "done"}'
NOW = 1_700_000_000


@pytest.fixture
def key(tmp_path: Path) -> signing.Ed25519PrivateKey:
    return signing.keygen(tmp_path / "w.pem")


def test_signed_message_is_timestamp_key_body() -> None:
    assert signing.signed_message(12, "k-1", b"{}") == b"12.k-1.{}"


def test_a_signature_verifies_with_the_public_key_text(key: signing.Ed25519PrivateKey) -> None:
    sig = signing.sign(key, NOW, "job:1", BODY)
    assert sig.startswith("ed25519=")
    assert len(base64.b64decode(sig[8:])) == 64
    signing.verify([signing.public_key_text(key)], NOW, "job:1", BODY, sig, now=NOW + 10)


def test_either_key_of_a_rotation_verifies(tmp_path: Path, key: signing.Ed25519PrivateKey) -> None:
    new = signing.keygen(tmp_path / "new.pem")
    keys = [signing.public_key_text(key), signing.public_key_text(new)]
    signing.verify(keys, NOW, "k", BODY, signing.sign(new, NOW, "k", BODY), now=NOW)
    signing.verify(keys, NOW, "k", BODY, signing.sign(key, NOW, "k", BODY), now=NOW)


def _flip(sig: str) -> str:
    raw = bytearray(base64.b64decode(sig[8:]))
    raw[0] ^= 1
    return "ed25519=" + base64.b64encode(bytes(raw)).decode()


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"body": BODY + b" "}, "does not match the body"),
        ({"key": "other"}, "does not match the body"),
        ({"timestamp": NOW + 1}, "does not match the body"),
        ({"signature": "flip"}, "does not match the body"),
        ({"signature": "hmac=abc"}, "must start with 'ed25519='"),
        ({"signature": "ed25519=!!"}, "not valid base64"),
        ({"signature": "ed25519=ÄÖÜ="}, "not valid base64"),
        ({"signature": "ed25519=AAAA"}, "has 3 bytes"),
        ({"now": NOW + 301}, "the window is ±300 s"),
        ({"now": NOW - 301}, "the window is ±300 s"),
        ({"key": "bad key"}, "idempotency key"),
        ({"key": "k" * 129}, "idempotency key"),
        ({"public_keys": []}, "no valid public key"),
    ],
)
def test_a_wrong_signature_is_refused(
    key: signing.Ed25519PrivateKey, change: dict[str, object], reason: str
) -> None:
    args: dict[str, object] = {
        "public_keys": [signing.public_key_text(key)],
        "timestamp": NOW,
        "key": "k",
        "body": BODY,
        "signature": signing.sign(key, NOW, "k", BODY),
        "now": NOW,
    }
    if change.get("signature") == "flip":
        change = {"signature": _flip(str(args["signature"]))}
    args.update(change)
    with pytest.raises(SignatureError, match=reason):
        signing.verify(**args)  # type: ignore[arg-type]


def test_another_workers_key_does_not_verify(
    tmp_path: Path, key: signing.Ed25519PrivateKey
) -> None:
    other = signing.public_key_text(signing.keygen(tmp_path / "other.pem"))
    with pytest.raises(SignatureError, match="does not match"):
        signing.verify([other], NOW, "k", BODY, signing.sign(key, NOW, "k", BODY), now=NOW)


def test_keygen_writes_a_0600_pem_that_loads_back(tmp_path: Path) -> None:
    path = tmp_path / "keys" / "w.pem"
    key = signing.keygen(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.read_bytes().startswith(b"-----BEGIN PRIVATE KEY-----")
    loaded = signing.load_private_key(path)
    assert signing.public_key_text(loaded) == signing.public_key_text(key)
    PublicKey(key=signing.public_key_text(key))  # the record model accepts the text


def test_keygen_refuses_to_overwrite(tmp_path: Path) -> None:
    path = tmp_path / "w.pem"
    signing.keygen(path)
    before = path.read_bytes()
    with pytest.raises(KeyFileError, match="already exists"):
        signing.keygen(path)
    assert path.read_bytes() == before


@pytest.mark.parametrize(
    ("content", "mode", "message"),
    [
        (None, 0o600, "no private key here"),
        (b"not a key", 0o600, "not an unencrypted PEM private key"),
        ("pem", 0o644, "readable by others"),
    ],
)
def test_bad_key_files_are_refused(
    tmp_path: Path, content: bytes | str | None, mode: int, message: str
) -> None:
    path = tmp_path / "k.pem"
    if content == "pem":
        signing.keygen(path)
    elif isinstance(content, bytes):
        path.write_bytes(content)
    if path.exists():
        path.chmod(mode)
    with pytest.raises(KeyFileError, match=message):
        signing.load_private_key(path)


def test_signed_headers_carry_everything_verify_needs(key: signing.Ed25519PrivateKey) -> None:
    h = signing.signed_headers("w1", key, "k:1", BODY, timestamp=NOW)
    assert h[signing.HEADER_WORKER] == "w1"
    ts = int(h[signing.HEADER_TIMESTAMP])
    pub = [signing.public_key_text(key)]
    signing.verify(pub, ts, h[signing.HEADER_KEY], BODY, h[signing.HEADER_SIGNATURE], now=NOW)


def test_default_key_path_is_outside_the_catalog(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", "/cfg")
    assert signing.default_key_path("w1") == Path("/cfg/catalog/keys/w1.pem")
