"""Rules within one record that the model alone cannot express."""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterator
from typing import Any

from catalog.checks.context import Context
from catalog.checks.finding import problem
from catalog.models import Training
from catalog.problems import Problem
from catalog.records import Entry, Records

_PRIVATE_MARKERS = re.compile(
    r"PRIVATE KEY|OPENSSH PRIVATE|ed25519-priv|PuTTY-User-Key|^[A-Za-z0-9+/]{86}==$"
)


def _strings(
    value: Any, where: tuple[str | int, ...] = ()
) -> Iterator[tuple[tuple[str | int, ...], str]]:
    if isinstance(value, str):
        yield where, value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield where + (k,), k
            yield from _strings(v, (*where, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _strings(v, (*where, i))


def looks_private(text: str) -> bool:
    """Whether ``text`` looks like private key material (PEM, OpenSSH, raw 64-byte keys)."""
    if _PRIVATE_MARKERS.search(text.strip()):
        return True
    body = text.strip().split(":", 1)[-1]
    if len(body) in (86, 88) and re.fullmatch(r"[A-Za-z0-9+/]+=*", body):
        try:
            return len(base64.b64decode(body + "=" * (-len(body) % 4))) == 64
        except binascii.Error:
            return False
    return False


def training_target(e: Entry, ctx: Context | None = None) -> list[Problem]:
    """target_num_updates = num_updates × daisy_chain_period (when > 0), as on creation."""
    t = e.model
    assert isinstance(t, Training)
    expected = t.expected_target()
    if t.target_num_updates == expected:
        return []
    period = t.options.get("daisy_chain_period", 0)
    why = (
        f"(num_updates {t.num_updates} × daisy_chain_period {period})"
        if expected != t.num_updates
        else "(num_updates, as daisy_chain_period is not > 0)"
    )
    return [
        problem(
            e,
            ("target_num_updates",),
            f"target_num_updates is {t.target_num_updates}, expected {expected} {why}",
            code="daisy-chain",
            hint=f"Set 'target_num_updates: {expected}'.",
        )
    ]


def worker_keys(e: Entry, ctx: Context | None = None) -> list[Problem]:
    """Nothing in a worker record looks like private key material."""
    return [
        problem(
            e,
            where,
            "this looks like a private key; private keys must never enter the catalog",
            code="private-key",
            hint="Remove it, rotate the key (catalog worker keygen), and keep the "
            "private key file on the worker only.",
        )
        for where, text in _strings(e.data)
        if looks_private(text)
    ]


def check_consistency(records: Records) -> list[Problem]:
    """Daisy-chain targets of trainings; no private keys in worker records."""
    out: list[Problem] = []
    for e in records.by_kind["training"]:
        out += training_target(e)
    for e in records.by_kind["worker"]:
        out += worker_keys(e)
    return out
