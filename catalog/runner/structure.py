"""What makes an experiment unplannable: cycles, unknown upstream blocks, unsafe outputs.

``catalog validate`` reports the first two as well; the planner checks again because it may
be handed records that were never validated (the service between two reloads, a test).
"""

from __future__ import annotations

from graphlib import CycleError

from catalog.checks.finding import known, problem
from catalog.checks.graph import execution_order
from catalog.checks.naming import path_problem
from catalog.models import Experiment
from catalog.problems import Problem
from catalog.records import Entry


def structure_problems(entry: Entry, x: Experiment) -> list[Problem]:
    """Cycles, unknown upstream blocks or outputs, and unsafe output paths."""
    out: list[Problem] = []
    try:
        execution_order(x)
    except CycleError as exc:
        cycle = list(dict.fromkeys(exc.args[1]))
        index = next(i for i, b in enumerate(x.blocks) if b.name == cycle[0])
        out.append(
            problem(
                entry,
                ("blocks", index, "inputs"),
                f"blocks depend on each other in a cycle: {' → '.join([*cycle, cycle[0]])}",
                code="cycle",
                hint="Remove one of these inputs so the blocks can run in order.",
            )
        )
    blocks = {b.name: b for b in x.blocks}
    for bi, b in enumerate(x.blocks):
        for ii, inp in enumerate(b.inputs):
            if inp.block is None:
                continue
            src = blocks.get(inp.block)
            if src is None:
                out.append(
                    problem(
                        entry,
                        ("blocks", bi, "inputs", ii, "block"),
                        f"block '{b.name}' takes input from unknown block '{inp.block}'",
                        code="unknown-reference",
                        hint=known(n for n in blocks if n != b.name),
                    )
                )
            elif inp.output not in {o.name for o in src.outputs}:
                out.append(
                    problem(
                        entry,
                        ("blocks", bi, "inputs", ii, "output"),
                        f"block '{inp.block}' has no output '{inp.output}'",
                        code="unknown-reference",
                        hint=known(o.name for o in src.outputs),
                    )
                )
        for oi, o in enumerate(b.outputs):
            why = path_problem(o.path)
            if why:
                out.append(
                    problem(
                        entry,
                        ("blocks", bi, "outputs", oi, "path"),
                        f"output path '{o.path}' {why}",
                        code="unsafe-path",
                    )
                )
            if o.repository is None and x.repository is None:
                out.append(
                    problem(
                        entry,
                        ("blocks", bi, "outputs", oi),
                        f"output '{o.name}' of block '{b.name}' has nowhere to be stored",
                        code="no-repository",
                        hint="Set the experiment's 'repository' (or the output's).",
                    )
                )
    return out
