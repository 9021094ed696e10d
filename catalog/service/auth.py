"""Who sent a request: the worker's Ed25519 signature over the raw body, checked first."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Protocol

from catalog.models.workers import Worker
from catalog.service.live import LiveRecords
from catalog.service.responses import Refused
from catalog.signing import (
    HEADER_KEY,
    HEADER_SIGNATURE,
    HEADER_TIMESTAMP,
    HEADER_WORKER,
    IDEMPOTENCY_KEY,
    SignatureError,
    verify,
)

MAX_HEADER_VALUE = 256
"""Longest worker name, timestamp, key or signature header looked at (a signature is 96)."""


class Headers(Protocol):
    """Request headers (werkzeug's Headers, or a dict)."""

    def get(self, key: str) -> str | None: ...


@dataclass(frozen=True, slots=True)
class Signed:
    """A request whose signature verified: the worker and the idempotency key it used."""

    worker: Worker
    key: str
    timestamp: int


def _header(headers: Headers, name: str) -> str:
    value = headers.get(name)
    if not value:
        raise Refused(401, f"missing {name} header; sign the request", code="unsigned")
    if len(value) > MAX_HEADER_VALUE:
        raise Refused(401, f"the {name} header is too long", code="unsigned")
    return value


def authenticate(
    live: LiveRecords, headers: Headers, body: bytes, *, now: float | None = None
) -> Signed:
    """Check the signed headers against the worker record; refuse with 401, 400 or 403."""
    name = _header(headers, HEADER_WORKER)
    stamp = _header(headers, HEADER_TIMESTAMP)
    key = _header(headers, HEADER_KEY)
    signature = _header(headers, HEADER_SIGNATURE)
    if not stamp.isascii() or not stamp.isdigit() or len(stamp) > 12:
        raise Refused(401, f"{HEADER_TIMESTAMP} must be integer Unix seconds", code="unsigned")
    if not signature.isascii():
        raise Refused(401, f"{HEADER_SIGNATURE} must be ASCII (ed25519=<base64>)", code="unsigned")
    if not IDEMPOTENCY_KEY.fullmatch(key):
        raise Refused(
            400,
            f"{HEADER_KEY} must be 1–128 characters of A-Z a-z 0-9 . _ : -",
            code="bad_key",
        )
    worker = live.worker(name)
    if worker is None:
        # Worker records are public, so naming the problem gives nothing away.
        raise Refused(
            401,
            f"unknown worker {name!r}: no worker record of that name "
            "(add it under records/workers/ with its public key)",
            code="unknown_worker",
        )
    try:
        verify(
            [k.key for k in worker.public_keys],
            int(stamp),
            key,
            body,
            signature,
            now=time.time() if now is None else now,
        )
    except SignatureError as exc:
        raise Refused(401, str(exc), code="bad_signature") from None
    if not worker.enabled:
        raise Refused(
            403,
            f"worker {name!r} is disabled in its record; its reports are refused",
            code="disabled",
        )
    return Signed(worker, key, int(stamp))
