"""An experiment's blocks form a directed acyclic graph."""

from __future__ import annotations

from graphlib import CycleError, TopologicalSorter

from catalog.checks.context import Context
from catalog.checks.finding import problem
from catalog.models import Experiment
from catalog.problems import Problem
from catalog.records import Entry, Records


def block_graph(experiment: Experiment) -> dict[str, set[str]]:
    """block name → names of the blocks whose outputs it takes."""
    names = {b.name for b in experiment.blocks}
    return {
        b.name: {i.block for i in b.inputs if i.block is not None and i.block in names}
        for b in experiment.blocks
    }


def execution_order(experiment: Experiment) -> list[str]:
    """Block names in an order where every block comes after its inputs (CycleError if none)."""
    return list(TopologicalSorter(block_graph(experiment)).static_order())


def experiment_graph(e: Entry, ctx: Context | None = None) -> list[Problem]:
    """An experiment whose blocks depend on each other in a cycle cannot run."""
    x = e.model
    assert isinstance(x, Experiment)
    try:
        execution_order(x)
    except CycleError as exc:
        cycle = list(dict.fromkeys(exc.args[1]))
        index = next(i for i, b in enumerate(x.blocks) if b.name == cycle[0])
        return [
            problem(
                e,
                ("blocks", index, "inputs"),
                f"blocks depend on each other in a cycle: {' → '.join([*cycle, cycle[0]])}",
                code="cycle",
                hint="Remove one of these inputs so the blocks can run in order.",
            )
        ]
    return []


def check_graphs(records: Records) -> list[Problem]:
    """Report each experiment whose blocks depend on each other in a cycle."""
    out: list[Problem] = []
    for e in records.by_kind["experiment"]:
        out += experiment_graph(e)
    return out
