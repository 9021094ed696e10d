"""How an experiment's status follows its blocks, and which blocks a failure reaches."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

SETTLED_BAD = frozenset({"failed", "cancelled"})


def experiment_status(current: str, blocks: Sequence[str], *, ready: bool = True) -> str:
    """The experiment status that block statuses ``blocks`` imply, true at rest.

    ``running`` while a block is processing; ``scheduled`` while blocks are left and one can
    run now (``ready``: its upstream blocks are done and its input datasets have a copy) —
    queued for the next wave or the service's next plan, none started; ``pending`` while the
    blocks left wait for input data; then done | failed. ``cancelling`` holds until no block
    is pending or processing any more, then the experiment is failed (it did not complete).
    """
    pending = sum(s == "pending" for s in blocks)
    processing = sum(s == "processing" for s in blocks)
    bad = sum(s in SETTLED_BAD for s in blocks)
    if blocks and all(s == "done" for s in blocks):
        return "done"
    if current == "cancelling":
        return "cancelling" if pending or processing else "failed"
    if processing:
        return "running"
    if pending:
        return "scheduled" if ready else "pending"
    return "failed" if bad else current


def downstream(depends_on: Mapping[str, set[str]], name: str) -> list[str]:
    """Every block that takes ``name``'s outputs, directly or through other blocks (sorted)."""
    found: set[str] = set()
    frontier = [name]
    while frontier:
        current = frontier.pop()
        for block, deps in depends_on.items():
            if current in deps and block not in found:
                found.add(block)
                frontier.append(block)
    return sorted(found)
