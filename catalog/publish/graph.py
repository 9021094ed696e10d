"""Layout of an experiment's block graph: blocks in columns by dependency depth."""

from __future__ import annotations

from dataclasses import dataclass
from graphlib import CycleError

from catalog.checks.graph import block_graph, execution_order
from catalog.models import Experiment


@dataclass(frozen=True, slots=True)
class Node:
    """A block placed in the grid: ``column`` is its depth, ``row`` its place in the column."""

    name: str
    status: str
    column: int
    row: int


@dataclass(frozen=True, slots=True)
class Layout:
    """Placed blocks and the edges between them (from input block to consuming block)."""

    nodes: list[Node]
    edges: list[tuple[str, str]]
    columns: int
    rows: int


def _centre(inputs: set[str], rows: dict[str, float], fallback: float) -> float:
    placed = [rows[d] for d in inputs if d in rows]
    return sum(placed) / len(placed) if placed else fallback


def layout(experiment: Experiment) -> Layout:
    """Place each block one column right of its deepest input; order columns to cut crossings."""
    deps = block_graph(experiment)
    try:
        order = execution_order(experiment)
    except CycleError:  # a valid catalog has none; draw something sensible anyway
        order = [b.name for b in experiment.blocks]
    depth: dict[str, int] = {}
    for name in order:
        depth[name] = 1 + max((depth.get(d, 0) for d in deps.get(name, ())), default=-1)
    columns: dict[int, list[str]] = {}
    for b in experiment.blocks:  # declaration order first, then refined below
        columns.setdefault(depth.get(b.name, 0), []).append(b.name)
    rows: dict[str, float] = {}
    for c in sorted(columns):
        names = columns[c]
        if c > 0:
            # Barycentre of the inputs' rows keeps related blocks level with each other.
            first = {n: float(i) for i, n in enumerate(names)}
            names.sort(key=lambda n: _centre(deps.get(n, set()), rows, first[n]))
        for i, n in enumerate(names):
            rows[n] = float(i)
    status = {b.name: b.status.value for b in experiment.blocks}
    nodes = [Node(n, status[n], c, int(rows[n])) for c in sorted(columns) for n in columns[c]]
    edges = [(src, dst) for dst, srcs in deps.items() for src in sorted(srcs)]
    return Layout(
        nodes,
        edges,
        columns=len(columns),
        rows=max((len(v) for v in columns.values()), default=0),
    )
