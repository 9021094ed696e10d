"""Every name or uuid a record points at must exist."""

from __future__ import annotations

from catalog.checks.context import Context
from catalog.checks.finding import known, problem
from catalog.models import KINDS, Dataset, Experiment, Notice, Training
from catalog.naming_files import slug
from catalog.problems import Problem
from catalog.records import Entry, Records


def _dangling(
    entry: Entry, where: tuple[str | int, ...], target_kind: str, value: str, names: list[str]
) -> Problem:
    import difflib

    close = difflib.get_close_matches(value, names, n=1, cutoff=0.6)
    hint = f"Did you mean '{close[0]}'? " if close else ""
    folder = KINDS[target_kind].FOLDER
    hint += f"{known(names)} Add records/{folder}/{slug(value)}.yaml or fix the name."
    return problem(
        entry,
        where,
        f"unknown {target_kind} '{value}'",
        code="unknown-reference",
        hint=hint,
    )


def _need(
    out: list[Problem],
    ctx: Context,
    entry: Entry,
    where: tuple[str | int, ...],
    kind: str,
    value: str | None,
) -> None:
    if value is not None and value not in ctx.name_sets[kind]:
        out.append(_dangling(entry, where, kind, value, ctx.names[kind]))


def _need_dataset(
    out: list[Problem], ctx: Context, entry: Entry, where: tuple[str | int, ...], uid: str
) -> None:
    if uid not in ctx.dataset_uuids:
        out.append(
            problem(
                entry,
                where,
                f"no dataset has uuid '{uid}'",
                code="unknown-reference",
                hint="Check the uuid against the dataset's record.",
            )
        )


def uses_dataset_uuids(entry: Entry) -> bool:
    """Whether the record's references point at datasets by uuid (re-checked when they change)."""
    m = entry.model
    if isinstance(m, Dataset):
        return m.provenance is not None and bool(m.provenance.datasets)
    return entry.kind in ("notice", "experiment", "training")


def dataset_references(e: Entry, ctx: Context) -> list[Problem]:
    """A dataset's type, format, revision, tags, repositories and provenance exist."""
    d = e.model
    assert isinstance(d, Dataset)
    out: list[Problem] = []
    _need(out, ctx, e, ("dataset_type",), "dataset-type", d.dataset_type)
    _need(out, ctx, e, ("data_format",), "format", d.data_format)
    _need(out, ctx, e, ("revision",), "revision", d.revision)
    for i, t in enumerate(d.tags):
        _need(out, ctx, e, ("tags", i), "tag", t)
    for i, fr in enumerate(d.file_records):
        _need(out, ctx, e, ("file_records", i, "repository"), "repository", fr.repository)
    if d.provenance is None:
        return out
    for i, uid in enumerate(d.provenance.datasets):
        _need_dataset(out, ctx, e, ("provenance", "datasets", i), uid)
    ref = d.provenance.block
    if ref is None:
        return out
    exp = ctx.experiments.get(ref.experiment)
    if exp is None:
        _need(out, ctx, e, ("provenance", "block", "experiment"), "experiment", ref.experiment)
        return out
    blocks = {b.name: b for b in exp.blocks}
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
    return out


def notice_references(e: Entry, ctx: Context) -> list[Problem]:
    """A notice's datasets and the values of its selector exist."""
    n = e.model
    assert isinstance(n, Notice)
    out: list[Problem] = []
    for i, uid in enumerate(n.datasets):
        _need_dataset(out, ctx, e, ("datasets", i), uid)
    if n.selector is not None:
        s = n.selector
        for i, v in enumerate(s.dataset_types):
            _need(out, ctx, e, ("selector", "dataset_types", i), "dataset-type", v)
        for i, v in enumerate(s.revisions):
            _need(out, ctx, e, ("selector", "revisions", i), "revision", v)
        for i, v in enumerate(s.tags):
            _need(out, ctx, e, ("selector", "tags", i), "tag", v)
    return out


def experiment_references(e: Entry, ctx: Context) -> list[Problem]:
    """An experiment's repository, datasets and block inputs exist."""
    x = e.model
    assert isinstance(x, Experiment)
    out: list[Problem] = []
    _need(out, ctx, e, ("repository",), "repository", x.repository)
    for i, uid in enumerate(x.datasets):
        _need_dataset(out, ctx, e, ("datasets", i), uid)
    blocks = {b.name: b for b in x.blocks}
    for bi, b in enumerate(x.blocks):
        for oi, o in enumerate(b.outputs):
            where_o: tuple[str | int, ...] = ("blocks", bi, "outputs", oi, "repository")
            _need(out, ctx, e, where_o, "repository", o.repository)
        for ii, inp in enumerate(b.inputs):
            where: tuple[str | int, ...] = ("blocks", bi, "inputs", ii)
            if inp.dataset is not None:
                _need_dataset(out, ctx, e, (*where, "dataset"), inp.dataset)
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
    return out


def training_references(e: Entry, ctx: Context) -> list[Problem]:
    """A training's repository, participants, update senders and datasets exist."""
    tr = e.model
    assert isinstance(tr, Training)
    out: list[Problem] = []
    _need(out, ctx, e, ("repository",), "repository", tr.repository)
    for i, p in enumerate(tr.participants):
        _need(out, ctx, e, ("participants", i), "worker", p)
    for i, uid in enumerate(tr.datasets):
        _need_dataset(out, ctx, e, ("datasets", i), uid)
    for ri, rnd in enumerate(tr.rounds):
        for ui, u in enumerate(rnd.updates):
            where_u: tuple[str | int, ...] = ("rounds", ri, "updates", ui, "participant")
            _need(out, ctx, e, where_u, "worker", u.participant)
    return out


def check_references(records: Records) -> list[Problem]:
    """Datasets, notices, experiments and trainings point only at existing records."""
    ctx = Context.of(records)
    checks = {
        "dataset": dataset_references,
        "notice": notice_references,
        "experiment": experiment_references,
        "training": training_references,
    }
    out: list[Problem] = []
    for e in records:
        fn = checks.get(e.kind)
        if fn is not None:
            out += fn(e, ctx)
    return out
