"""Names, uuids, file locations, filename patterns and default datasets are unique.

Cross-record uniqueness works on each record's Claims (what it says is its own), not on the
models, so that a large catalog can be re-checked from cached claims without loading every
dataset. With no clash — the usual case — each kind of claim costs one set() of all values.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from operator import itemgetter
from typing import Any, NamedTuple

from catalog.checks.context import Context
from catalog.checks.finding import problem
from catalog.models import Dataset, DatasetType, Experiment
from catalog.problems import Problem, field_label
from catalog.records import Entry, Records

SEP = "\x00"
"""Joins the parts of a compound claim (repository and path; session, collection, name)."""


class Claims(NamedTuple):
    """What one record claims as its own, to be unique across the catalog.

    Cached between runs as a plain tuple: code reads fields by position (the constants
    below), so a plain tuple and a Claims work alike.
    """

    kind: str
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


KIND, NAME, UUID, KEY, DEFAULT, FILES, PATTERN = range(7)
ClaimsRow = tuple[str, Any]
"""(path, claims) of one record file; the claims a Claims or the plain tuple it was cached as."""


def claims_of(entry: Entry) -> Claims:
    """The claims of one loaded record."""
    m = entry.model
    uid = getattr(m, "uuid", None)
    if isinstance(m, Dataset):
        return Claims(
            entry.kind,
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
    return Claims(entry.kind, str(getattr(m, "name", "")), uid, None, None, (), pattern)


def _label(c: Claims | tuple[Any, ...]) -> str:
    # As Entry.label: "dataset '<key>'" or "<kind> '<name>'".
    return f"{c[KIND]} '{c[KEY] if c[KIND] == 'dataset' else c[NAME]}'"


def _problem(
    path: str,
    c: Claims | tuple[Any, ...],
    where: tuple[str | int, ...],
    message: str,
    hint: str,
    code: str = "duplicate",
    field: str = "",
) -> Problem:
    return Problem(
        path=path,
        line=0,
        col=0,
        message=message,
        record=_label(c),
        field=field or field_label(where),
        code=code,
        hint=hint,
        where=where,
    )


def _distinct(values: Sequence[Any]) -> bool:
    """Whether the values other than None are all different (in C: the usual case)."""
    nones = values.count(None)
    return len(set(values)) - (1 if nones else 0) == len(values) - nones


def _firsts(
    rows: Sequence[tuple[str, Any]], get: Callable[[Any], Any]
) -> Iterator[tuple[str, Any, Any, str]]:
    """(path, item, value, first path) for each value ``get(item)`` that an earlier row holds."""
    first: dict[Any, str] = {}
    for path, item in rows:
        v = get(item)
        if v is not None and (prev := first.setdefault(v, path)) != path:
            yield path, item, v, prev


def _kind_name(c: Claims | tuple[Any, ...]) -> tuple[Any, Any] | None:
    return None if c[NAME] is None else (c[KIND], c[NAME])


def check_claims(rows: Sequence[ClaimsRow]) -> list[Problem]:
    """Clashes between records; ``rows`` are (path, claims) in path order.

    The second and later holders of a value get the problem, naming the first one's file.
    Each kind of claim is first checked for any clash at all with one set() of its column.
    """
    out: list[Problem] = []
    if not rows:
        return out
    columns = list(zip(*(c for _, c in rows), strict=True))
    names = [(k, n) for k, n in zip(columns[KIND], columns[NAME], strict=True) if n is not None]
    if not _distinct(names):
        for path, c, _, prev in _firsts(rows, _kind_name):
            what = f"{c[KIND]} name '{c[NAME]}' is already used by {prev}"
            hint = "Each must be unique; rename one of them."
            out.append(_problem(path, c, ("name",), what, hint))
    if not _distinct(columns[UUID]):
        for path, c, v, prev in _firsts(rows, itemgetter(UUID)):
            hint = "A uuid identifies one record forever."
            out.append(_problem(path, c, ("uuid",), f"uuid '{v}' is already used by {prev}", hint))
    if not _distinct([f for fs in columns[FILES] for f in fs]):
        files = [(p, (f, i, c)) for p, c in rows for i, f in enumerate(c[FILES])]
        for path, (_, i, c), v, prev in _firsts(files, itemgetter(0)):
            repo, rel = v.split(SEP, 1)
            what = f"file '{rel}' in repository '{repo}' is already used by {prev}"
            where: tuple[str | int, ...] = ("file_records", i, "relative_path")
            out.append(_problem(path, c, where, what, "One file belongs to one dataset."))
    if not _distinct(columns[KEY]):
        for path, c, v, prev in _firsts(rows, itemgetter(KEY)):
            what = (
                f"dataset '{v}' (session, collection, revision and name) is already used by {prev}"
            )
            hint = "Give one of them another revision or collection."
            out.append(_problem(path, c, ("name",), what, hint))
    if not _distinct(columns[DEFAULT]):
        for path, c, v, prev in _firsts(rows, itemgetter(DEFAULT)):
            shown = "/".join(p for p in v.split(SEP) if p)
            what = f"'{shown}' has more than one default dataset (also {prev})"
            hint = "Set 'default_dataset: false' on all but the latest revision."
            # Usually implicit (true is the default): point at the name.
            out.append(
                _problem(path, c, ("name",), what, hint, "duplicate-default", "default_dataset")
            )
    if not _distinct(columns[PATTERN]):
        for path, c, v, prev in _firsts(rows, itemgetter(PATTERN)):
            what = f"filename_pattern '{v}' (case-insensitive) is already used by {prev}"
            hint = "Each file name must map to one dataset type."
            out.append(_problem(path, c, ("filename_pattern",), what, hint))
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
