"""Every name or uuid a record points at must exist."""

from __future__ import annotations

from catalog.checks.finding import known, problem
from catalog.models import Dataset, Experiment, Notice, Training
from catalog.problems import Problem
from catalog.records import Entry, Records


def _dangling(
    entry: Entry, where: tuple[str | int, ...], target_kind: str, value: str, names: list[str]
) -> Problem:
    import difflib

    close = difflib.get_close_matches(value, names, n=1, cutoff=0.7)
    hint = f"Did you mean '{close[0]}'? " if close else ""
    folder = {
        "repository": "repositories",
        "dataset-type": "dataset-types",
        "format": "formats",
        "revision": "revisions",
        "tag": "tags",
        "worker": "workers",
    }.get(target_kind, target_kind)
    hint += f"{known(names)} Add records/{folder}/{value}.yaml or fix the name."
    return problem(
        entry,
        where,
        f"unknown {target_kind} '{value}'",
        code="unknown-reference",
        hint=hint,
    )


def check_references(records: Records) -> list[Problem]:
    """Datasets, notices, experiments and trainings point only at existing records."""
    out: list[Problem] = []
    names = {k: records.names(k) for k in records.by_name}
    sets = {k: set(v) for k, v in names.items()}

    def need(entry: Entry, where: tuple[str | int, ...], kind: str, value: str | None) -> None:
        if value is not None and value not in sets[kind]:
            out.append(_dangling(entry, where, kind, value, names[kind]))

    def need_dataset(entry: Entry, where: tuple[str | int, ...], uid: str) -> None:
        target = records.by_uuid.get(uid)
        if target is None or target.kind != "dataset":
            out.append(
                problem(
                    entry,
                    where,
                    f"no dataset has uuid '{uid}'",
                    code="unknown-reference",
                    hint="Check the uuid against the dataset's record.",
                )
            )

    for e in records.by_kind["dataset"]:
        d = e.model
        assert isinstance(d, Dataset)
        need(e, ("dataset_type",), "dataset-type", d.dataset_type)
        need(e, ("data_format",), "format", d.data_format)
        need(e, ("revision",), "revision", d.revision)
        for i, t in enumerate(d.tags):
            need(e, ("tags", i), "tag", t)
        for i, fr in enumerate(d.file_records):
            need(e, ("file_records", i, "repository"), "repository", fr.repository)
        if d.provenance is not None:
            for i, uid in enumerate(d.provenance.datasets):
                need_dataset(e, ("provenance", "datasets", i), uid)
            ref = d.provenance.block
            if ref is not None:
                exp = records.get("experiment", ref.experiment)
                if exp is None:
                    need(e, ("provenance", "block", "experiment"), "experiment", ref.experiment)
                else:
                    assert isinstance(exp.model, Experiment)
                    blocks = {b.name: b for b in exp.model.blocks}
                    block = blocks.get(ref.block)
                    if block is None:
                        out.append(
                            problem(
                                e,
                                ("provenance", "block", "block"),
                                f"experiment '{ref.experiment}' has no block '{ref.block}'",
                                code="unknown-reference",
                                hint=known(blocks),
                            )
                        )
                    elif ref.output and ref.output not in {o.name for o in block.outputs}:
                        out.append(
                            problem(
                                e,
                                ("provenance", "block", "output"),
                                f"block '{ref.block}' has no output '{ref.output}'",
                                code="unknown-reference",
                                hint=known(o.name for o in block.outputs),
                            )
                        )

    for e in records.by_kind["notice"]:
        n = e.model
        assert isinstance(n, Notice)
        for i, uid in enumerate(n.datasets):
            need_dataset(e, ("datasets", i), uid)
        if n.selector is not None:
            s = n.selector
            for i, v in enumerate(s.dataset_types):
                need(e, ("selector", "dataset_types", i), "dataset-type", v)
            for i, v in enumerate(s.revisions):
                need(e, ("selector", "revisions", i), "revision", v)
            for i, v in enumerate(s.tags):
                need(e, ("selector", "tags", i), "tag", v)

    for e in records.by_kind["experiment"]:
        x = e.model
        assert isinstance(x, Experiment)
        need(e, ("repository",), "repository", x.repository)
        for i, uid in enumerate(x.datasets):
            need_dataset(e, ("datasets", i), uid)
        blocks = {b.name: b for b in x.blocks}
        for bi, b in enumerate(x.blocks):
            for oi, o in enumerate(b.outputs):
                need(e, ("blocks", bi, "outputs", oi, "repository"), "repository", o.repository)
            for ii, inp in enumerate(b.inputs):
                where: tuple[str | int, ...] = ("blocks", bi, "inputs", ii)
                if inp.dataset is not None:
                    need_dataset(e, (*where, "dataset"), inp.dataset)
                elif inp.block is not None:
                    src = blocks.get(inp.block)
                    if src is None:
                        out.append(
                            problem(
                                e,
                                (*where, "block"),
                                f"block '{b.name}' takes input from unknown block '{inp.block}'",
                                code="unknown-reference",
                                hint=known(n for n in blocks if n != b.name),
                            )
                        )
                    elif inp.output not in {o.name for o in src.outputs}:
                        out.append(
                            problem(
                                e,
                                (*where, "output"),
                                f"block '{inp.block}' has no output '{inp.output}'",
                                code="unknown-reference",
                                hint=known(o.name for o in src.outputs),
                            )
                        )
        for ri, r in enumerate(x.results):
            if r.block is not None and r.block not in blocks:
                out.append(
                    problem(
                        e,
                        ("results", ri, "block"),
                        f"result '{r.name}' names unknown block '{r.block}'",
                        code="unknown-reference",
                        hint=known(blocks),
                    )
                )

    for e in records.by_kind["training"]:
        tr = e.model
        assert isinstance(tr, Training)
        need(e, ("repository",), "repository", tr.repository)
        for i, p in enumerate(tr.participants):
            need(e, ("participants", i), "worker", p)
        for i, uid in enumerate(tr.datasets):
            need_dataset(e, ("datasets", i), uid)
        for ri, rnd in enumerate(tr.rounds):
            for ui, u in enumerate(rnd.updates):
                need(e, ("rounds", ri, "updates", ui, "participant"), "worker", u.participant)
    return out
