"""Ed25519 signatures on worker reports, and the worker's private key file.

A worker signs ``f"{timestamp}.{idempotency_key}.".encode() + body`` — the raw body bytes,
so the service verifies before it parses anything. The signature travels as
``X-Catalog-Signature: ed25519=<base64 of 64 bytes>`` next to the worker name, the Unix
timestamp and the idempotency key. A signature is accepted by any of the worker record's
public keys (two are active during a rotation) and only within ``WINDOW_S`` seconds of the
service's clock.

Private keys are PEM (PKCS8) files with mode 0600, by default
``~/.config/catalog/keys/<worker>.pem``; nothing in the catalog's git repository or on its
site can sign a report.
"""

from __future__ import annotations

import base64
import binascii
import os
import re
import stat
import time
from collections.abc import Sequence
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from catalog.errors import CatalogError

HEADER_WORKER = "X-Catalog-Worker"
"""Name of the worker record whose keys verify the report."""
HEADER_TIMESTAMP = "X-Catalog-Timestamp"
"""Integer Unix seconds when the report was signed."""
HEADER_KEY = "X-Catalog-Idempotency-Key"
"""1–128 characters [A-Za-z0-9._:-]; a re-sent report keeps its key."""
HEADER_SIGNATURE = "X-Catalog-Signature"
"""``ed25519=`` then the base64 of the 64-byte signature."""
WINDOW_S = 300
"""A signature is refused when its timestamp is further than this from the service's clock."""

SIGNATURE_PREFIX = "ed25519="
PUBLIC_KEY_PREFIX = "ed25519:"
IDEMPOTENCY_KEY = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


class SignatureError(CatalogError):
    """A report signature that is malformed, out of its time window, or does not verify."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(f"report signature refused: {reason}")


class KeyFileError(CatalogError):
    """A private key file that is missing, unreadable, too open, or already there."""

    def __init__(self, path: Path, message: str) -> None:
        self.path = path
        super().__init__(f"{path}: {message}")


def signed_message(timestamp: int, key: str, body: bytes) -> bytes:
    """The exact bytes that are signed: ``{timestamp}.{key}.`` followed by the raw body."""
    return f"{timestamp}.{key}.".encode() + body


def _check_key(key: str) -> None:
    if not IDEMPOTENCY_KEY.fullmatch(key):
        raise SignatureError(
            f"idempotency key {key[:40]!r} must be 1–128 characters of A-Z a-z 0-9 . _ : -"
        )


def sign(private_key: Ed25519PrivateKey, timestamp: int, key: str, body: bytes) -> str:
    """The ``X-Catalog-Signature`` value for ``body`` sent at ``timestamp`` under ``key``."""
    _check_key(key)
    raw = private_key.sign(signed_message(timestamp, key, body))
    return SIGNATURE_PREFIX + base64.b64encode(raw).decode("ascii")


def public_key_text(private_key: Ed25519PrivateKey) -> str:
    """``ed25519:<base64 raw public key>``, as a worker record's ``public_keys[].key`` holds it."""
    raw = private_key.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )
    return PUBLIC_KEY_PREFIX + base64.b64encode(raw).decode("ascii")


def _public_key(text: str) -> Ed25519PublicKey | None:
    if not text.startswith(PUBLIC_KEY_PREFIX):
        return None
    try:
        raw = base64.b64decode(text[len(PUBLIC_KEY_PREFIX) :], validate=True)
        return Ed25519PublicKey.from_public_bytes(raw)
    except (binascii.Error, ValueError):
        return None


def verify(
    public_keys: Sequence[str],
    timestamp: int,
    key: str,
    body: bytes,
    signature: str,
    *,
    now: float | None = None,
) -> None:
    """Accept the signature if one of ``public_keys`` made it within the window; else raise.

    Raises SignatureError naming the reason (window, format, no key, mismatch).
    """
    _check_key(key)
    current = time.time() if now is None else now
    if abs(current - timestamp) > WINDOW_S:
        raise SignatureError(
            f"timestamp {timestamp} is {abs(current - timestamp):.0f} s from the service's "
            f"clock; the window is ±{WINDOW_S} s (check the worker's clock)"
        )
    if not signature.startswith(SIGNATURE_PREFIX):
        raise SignatureError(f"the signature must start with '{SIGNATURE_PREFIX}'")
    try:
        # Encode first: b64decode raises ValueError, not binascii.Error, on non-ASCII text.
        encoded = signature[len(SIGNATURE_PREFIX) :].encode("ascii")
        raw = base64.b64decode(encoded, validate=True)
    except (UnicodeEncodeError, binascii.Error):
        raise SignatureError("the signature is not valid base64") from None
    if len(raw) != 64:
        raise SignatureError(f"the signature has {len(raw)} bytes; Ed25519 signatures have 64")
    keys = [k for k in (_public_key(t) for t in public_keys) if k is not None]
    if not keys:
        raise SignatureError("the worker has no valid public key (run catalog worker keygen)")
    message = signed_message(timestamp, key, body)
    for public in keys:
        try:
            public.verify(raw, message)
            return
        except InvalidSignature:
            continue
    raise SignatureError("the signature does not match the body with any of the worker's keys")


def signed_headers(
    worker: str,
    private_key: Ed25519PrivateKey,
    key: str,
    body: bytes,
    *,
    timestamp: int | None = None,
) -> dict[str, str]:
    """The four headers of a signed report request."""
    ts = int(time.time()) if timestamp is None else timestamp
    return {
        HEADER_WORKER: worker,
        HEADER_TIMESTAMP: str(ts),
        HEADER_KEY: key,
        HEADER_SIGNATURE: sign(private_key, ts, key, body),
    }


def default_key_path(worker: str) -> Path:
    """``$XDG_CONFIG_HOME/catalog/keys/<worker>.pem`` (``~/.config`` by default)."""
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "catalog" / "keys" / f"{worker}.pem"


def load_private_key(path: Path) -> Ed25519PrivateKey:
    """Read a PEM (PKCS8) Ed25519 private key; refuse a file others can read."""
    try:
        mode = path.stat().st_mode
        data = path.read_bytes()
    except FileNotFoundError:
        raise KeyFileError(
            path, "no private key here; create one with 'catalog worker keygen NAME'"
        ) from None
    except OSError as exc:
        raise KeyFileError(path, f"cannot read the private key: {exc.strerror}") from None
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise KeyFileError(
            path, f"private key is readable by others (mode {stat.S_IMODE(mode):o}); chmod 600 it"
        )
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError) as exc:
        raise KeyFileError(path, f"not an unencrypted PEM private key ({exc})") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise KeyFileError(path, "the private key is not an Ed25519 key")
    return key


def keygen(path: Path) -> Ed25519PrivateKey:
    """Create a new Ed25519 key pair and write the private key to ``path`` (PEM, mode 0600).

    Refuses to overwrite an existing file: a lost key means a rotation, not a silent swap.
    """
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    try:
        # O_EXCL: never replace a key another process (or an earlier run) wrote.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise KeyFileError(
            path, "a private key already exists; move it away first to rotate"
        ) from None
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(pem)
            fh.flush()
            os.fsync(fh.fileno())
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return key
