"""Trainings obey the daisy-chain rule; worker records never hold private key material."""

from __future__ import annotations

import base64
import hashlib
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
)

from catalog.checks.consistency import check_consistency, looks_private
from tests.checks.build import UUID2, records

KEY = Ed25519PrivateKey.generate()
PUBLIC = (
    "ed25519:"
    + base64.b64encode(KEY.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)).decode()
)
PEM = KEY.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()).decode()
OPENSSH = KEY.private_bytes(Encoding.PEM, PrivateFormat.OpenSSH, NoEncryption()).decode()
RAW64 = base64.b64encode(
    KEY.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    + KEY.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
).decode()


def _training(num: int, target: int, **options: Any) -> dict[str, Any]:
    return {
        "kind": "training",
        "uuid": UUID2,
        "name": "t",
        "model": "m",
        "actor": "a",
        "num_updates": num,
        "target_num_updates": target,
        "options": options,
    }


@pytest.mark.parametrize(
    ("num", "target", "options", "message"),
    [
        (10, 20, {"daisy_chain_period": 2}, None),
        (10, 10, {}, None),
        (10, 10, {"daisy_chain_period": 0}, None),
        (
            10,
            10,
            {"daisy_chain_period": 3},
            "target_num_updates is 10, expected 30 (num_updates 10 × daisy_chain_period 3)",
        ),
        (
            10,
            20,
            {},
            "target_num_updates is 20, expected 10 (num_updates, as daisy_chain_period is not > 0)",
        ),
        (
            10,
            20,
            {"daisy_chain_period": "2"},  # text, not a period: the rule needs a number
            "target_num_updates is 20, expected 10 (num_updates, as daisy_chain_period is not > 0)",
        ),
    ],
)
def test_daisy_chain_rule(
    num: int, target: int, options: dict[str, Any], message: str | None
) -> None:
    found = check_consistency(records(_training(num, target, **options)))
    assert [p.message for p in found] == ([message] if message else [])
    if found:
        assert (found[0].field, found[0].code) == ("target_num_updates", "daisy-chain")


@pytest.mark.parametrize(
    "text",
    [
        PEM,
        OPENSSH,
        RAW64,
        "ed25519:" + RAW64,
        "-----BEGIN RSA PRIVATE KEY-----",
        "PuTTY-User-Key-File-3: ssh-ed25519",
    ],
)
def test_private_key_material_is_recognised(text: str) -> None:
    assert looks_private(text)


@pytest.mark.parametrize(
    "text", [PUBLIC, "the key lives on host-1", hashlib.sha512().hexdigest(), ""]
)
def test_public_keys_and_prose_are_not_private(text: str) -> None:
    assert not looks_private(text)


@pytest.mark.parametrize(
    ("place", "field"),
    [("description", "description"), ("comment", "public_keys[0].comment")],
)
def test_a_private_key_anywhere_in_a_worker_record_is_an_error(place: str, field: str) -> None:
    key: dict[str, Any] = {"key": PUBLIC}
    worker: dict[str, Any] = {"kind": "worker", "name": "w1", "public_keys": [key]}
    (key if place == "comment" else worker)[place] = PEM
    [p] = check_consistency(records(worker))
    assert (p.field, p.code) == (field, "private-key")
    assert p.message == "this looks like a private key; private keys must never enter the catalog"


def test_a_worker_with_public_keys_only_is_fine() -> None:
    worker = {"kind": "worker", "name": "w1", "public_keys": [{"key": PUBLIC, "comment": "host-1"}]}
    assert check_consistency(records(worker)) == []
