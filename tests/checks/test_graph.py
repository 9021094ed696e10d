"""An experiment's blocks must form a directed acyclic graph."""

from __future__ import annotations

from typing import Any

import pytest

from catalog.checks.graph import check_graphs, execution_order
from catalog.models import Experiment
from tests.checks.build import records


def _block(name: str, *sources: str) -> dict[str, Any]:
    return {
        "name": name,
        "command": ["true"],
        "inputs": [{"name": f"in{i}", "block": s, "output": "out"} for i, s in enumerate(sources)],
        "outputs": [{"name": "out", "path": "out"}],
    }


def _experiment(*blocks: dict[str, Any]) -> dict[str, Any]:
    return {"kind": "experiment", "name": "x", "blocks": list(blocks)}


def test_blocks_run_after_their_inputs() -> None:
    x = Experiment.model_validate(_experiment(_block("c", "a", "b"), _block("b", "a"), _block("a")))
    assert execution_order(x) == ["a", "b", "c"]
    assert (
        check_graphs(records(_experiment(_block("c", "a", "b"), _block("b", "a"), _block("a"))))
        == []
    )


@pytest.mark.parametrize(
    ("blocks", "index", "message"),
    [
        ((_block("a", "a"),), 0, "blocks depend on each other in a cycle: a → a"),
        (
            (_block("a", "b"), _block("b", "a")),
            0,
            "blocks depend on each other in a cycle: a → b → a",
        ),
        (
            (_block("s"), _block("a", "s", "c"), _block("b", "a"), _block("c", "b")),
            1,
            "blocks depend on each other in a cycle: a → b → c → a",
        ),
    ],
    ids=["self", "pair", "three"],
)
def test_a_cycle_is_reported_with_its_blocks(
    blocks: tuple[dict[str, Any], ...], index: int, message: str
) -> None:
    [p] = check_graphs(records(_experiment(*blocks)))
    assert (p.field, p.code, p.message) == (f"blocks[{index}].inputs", "cycle", message)
    assert p.hint == "Remove one of these inputs so the blocks can run in order."
