"""Names, uuids, file locations, filename patterns and default datasets are unique.

Cross-record uniqueness works on each record's Claims (what it says is its own), not on the
models, so that a large catalog can be re-checked from cached claims without loading every
dataset. With no clash — the usual case — each kind of claim costs one set() of all values.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import NamedTuple

from catalog.checks.context import Context
from catalog.checks.finding import problem
from catalog.models import Dataset, DatasetType, Experiment
from catalog.problems import Problem, field_label
from catalog.records import Entry, Records

SEP = "\x00"
"""Joins the parts of a compound claim (repository and path; session, collection, name)."""


class Claims(NamedTuple):
    """What one record claims as its own, to be unique across the catalog."""

    kind: str
    label: str
    """How messages name the record."""
    name: str | None
    """Name of a record of every kind but datasets (unique per kind)."""
    uuid: str | None
    key: str | None
    """A dataset's session/collection/#revision#/name."""
    default: str | None
    """session, collection and name of a default dataset, joined by SEP."""
    files: tuple[str, ...]
    """repository and relative_path of each file record, joined by SEP."""
    pattern: str | None
    """A dataset type's filename_pattern, lower-cased."""


def claims_of(entry: Entry) -> Claims:
    """The claims of one loaded record."""
    m = entry.model
    uid = getattr(m, "uuid", None)
    if isinstance(m, Dataset):
        return Claims(
            entry.kind,
            entry.label,
            None,
            uid,
            m.key(),
            SEP.join((m.session, m.collection, m.name)) if m.default_dataset else None,
            tuple(f"{fr.repository}{SEP}{fr.relative_path}" for fr in m.file_records),
            None,
        )
    pattern = None
    if isinstance(m, DatasetType) and m.filename_pattern.strip():
        pattern = m.filename_pattern.strip().lower()
    return Claims(
        entry.kind, entry.label, str(getattr(m, "name", "")), uid, None, None, (), pattern
    )


def _clash(
    path: str, label: str, where: tuple[str | int, ...], what: str, first: str, hint: str
) -> Problem:
    return Problem(
        path=path,
        line=0,
        col=0,
        message=f"{what} is already used by {first}",
        record=label,
        field=field_label(where),
        code="duplicate",
        hint=hint,
        where=where,
    )


def _all_distinct(values: list[str]) -> bool:
    return len(set(values)) == len(values)


def check_claims(rows: Sequence[tuple[str, Claims]]) -> list[Problem]:
    """Clashes between records; ``rows`` are (path, claims) in path order.

    The second and later holders of a value get the problem, naming the first one's file.
    """
    out: list[Problem] = []
    names = [f"{c.kind}{SEP}{c.name}" for _, c in rows if c.name is not None]
    if not _all_distinct(names):
        first: dict[str, str] = {}
        for path, c in rows:
            if c.name is None:
                continue
            prev = first.setdefault(f"{c.kind}{SEP}{c.name}", path)
            if prev != path:
                hint = "Each must be unique; rename one of them."
                what = f"{c.kind} name '{c.name}'"
                out.append(_clash(path, c.label, ("name",), what, prev, hint))
    uuids = [c.uuid for _, c in rows if c.uuid is not None]
    if not _all_distinct(uuids):
        first = {}
        for path, c in rows:
            if c.uuid is not None and (prev := first.setdefault(c.uuid, path)) != path:
                hint = "A uuid identifies one record forever."
                out.append(_clash(path, c.label, ("uuid",), f"uuid '{c.uuid}'", prev, hint))
    files = [f for _, c in rows for f in c.files]
    if not _all_distinct(files):
        first = {}
        for path, c in rows:
            for i, f in enumerate(c.files):
                if (prev := first.setdefault(f, path)) != path:
                    repo, rel = f.split(SEP, 1)
                    what = f"file '{rel}' in repository '{repo}'"
                    where: tuple[str | int, ...] = ("file_records", i, "relative_path")
                    hint = "One file belongs to one dataset."
                    out.append(_clash(path, c.label, where, what, prev, hint))
    keys = [c.key for _, c in rows if c.key is not None]
    if not _all_distinct(keys):
        first = {}
        for path, c in rows:
            if c.key is not None and (prev := first.setdefault(c.key, path)) != path:
                what = f"dataset '{c.key}' (session, collection, revision and name)"
                hint = "Give one of them another revision or collection."
                out.append(_clash(path, c.label, ("name",), what, prev, hint))
    defaults = [c.default for _, c in rows if c.default is not None]
    if not _all_distinct(defaults):
        first = {}
        for path, c in rows:
            if c.default is not None and (prev := first.setdefault(c.default, path)) != path:
                shown = "/".join(p for p in c.default.split(SEP) if p)
                out.append(
                    Problem(
                        path=path,
                        line=0,
                        col=0,
                        message=f"'{shown}' has more than one default dataset (also {prev})",
                        record=c.label,
                        field="default_dataset",
                        code="duplicate-default",
                        hint="Set 'default_dataset: false' on all but the latest revision.",
                        # Usually implicit (true is the default): point at the name.
                        where=("name",),
                    )
                )
    patterns = [c.pattern for _, c in rows if c.pattern is not None]
    if not _all_distinct(patterns):
        first = {}
        for path, c in rows:
            if c.pattern is not None and (prev := first.setdefault(c.pattern, path)) != path:
                what = f"filename_pattern '{c.pattern}' (case-insensitive)"
                hint = "Each file name must map to one dataset type."
                out.append(_clash(path, c.label, ("filename_pattern",), what, prev, hint))
    return out


def within_experiment(e: Entry, ctx: Context | None = None) -> list[Problem]:
    """Block names, each block's output names and result names are unique in an experiment."""
    x = e.model
    assert isinstance(x, Experiment)
    out: list[Problem] = []
    seen: dict[str, int] = {}
    for bi, b in enumerate(x.blocks):
        if b.name in seen:
            out.append(
                problem(
                    e,
                    ("blocks", bi, "name"),
                    f"block name '{b.name}' is used twice (also blocks[{seen[b.name]}])",
                    code="duplicate",
                    hint="Rename one of the blocks.",
                )
            )
        seen.setdefault(b.name, bi)
        outputs: set[str] = set()
        for oi, o in enumerate(b.outputs):
            if o.name in outputs:
                out.append(
                    problem(
                        e,
                        ("blocks", bi, "outputs", oi, "name"),
                        f"output name '{o.name}' is used twice in block '{b.name}'",
                        code="duplicate",
                        hint="Rename one of the outputs.",
                    )
                )
            outputs.add(o.name)
    results: set[str] = set()
    for ri, r in enumerate(x.results):
        if r.name in results:
            out.append(
                problem(
                    e,
                    ("results", ri, "name"),
                    f"result name '{r.name}' is used twice",
                    code="duplicate",
                    hint="Rename one of the results.",
                )
            )
        results.add(r.name)
    return out


def check_uniqueness(records: Records | Iterable[Entry]) -> list[Problem]:
    """Every clash between records and within experiments, naming both places."""
    entries = list(records)
    out = check_claims([(e.path, claims_of(e)) for e in entries])
    for e in entries:
        if e.kind == "experiment":
            out += within_experiment(e)
    return out
