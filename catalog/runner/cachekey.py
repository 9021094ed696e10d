"""Cache keys: one content hash over everything that decides what a block computes.

The key covers the command (or algorithm) and its version, the environment, the parameters,
the declared outputs (their names and paths) and the checksums of the inputs — not block or
experiment names, so an identical block in another experiment reuses the same cached outputs
(BEAT's cached blocks, DVC's run cache). Changing the code behind a command means bumping
the block's ``algorithm_version``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

from catalog.models import Block

KEY_VERSION = 1
"""Bumped when what goes into a key changes, so old keys stop matching."""


def input_digest(algorithm: str, digest: str) -> str:
    """How one input's checksum enters a key: ``<algorithm>:<hex digest>``."""
    return f"{algorithm}:{digest}"


def cache_key(block: Block, inputs: Mapping[str, str]) -> str:
    """sha256 of the block's definition and ``inputs`` (input name → ``input_digest``)."""
    doc: dict[str, Any] = {
        "v": KEY_VERSION,
        "command": block.command,
        "algorithm": block.algorithm,
        "version": block.algorithm_version,
        "environment": block.environment,
        "parameters": block.parameters,
        "inputs": dict(sorted(inputs.items())),
        "outputs": sorted((o.name, o.path) for o in block.outputs),
    }
    # Canonical JSON: sorted keys, no spaces, UTF-8; floats and ints keep their JSON spelling.
    text = json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
