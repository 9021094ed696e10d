"""The index of the last validation: per record file, what it found, for the next run.

Two files under the record cache folder:

* ``index.marshal`` — the paths and stat keys of every record file (in columns), each
  file's own problems (loading, and its record's checks; already placed at line and
  column), the files whose checks look datasets up by uuid, the problems between records
  (uniqueness), the files of the small kinds (what every dataset is checked against) and
  the counts per kind. Rewritten whenever a file changed.
* ``claims.marshal`` — every record's Claims (what uniqueness compares), the bulky part:
  read and rewritten only when the claims of some file changed, which most edits (a qc
  level, a description, tags) do not do.

Each save of the claims gets a new generation id that the index names, so a crash between
the two writes leaves a mismatch that is detected (and the catalog re-checked), never a
wrong answer.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from catalog.problems import Problem

StatKey = tuple[int, int, int]
"""(size, mtime in ns, inode) of a file."""
ClaimsList = list[Any]
"""One Claims (or the plain tuple it is cached as) or None per record file, in path order."""


@dataclass(slots=True)
class Index:
    """What the last run found, one item per record file, in path order."""

    paths: list[str]
    stats: list[StatKey]
    problems: dict[str, tuple[Problem, ...]]
    """Each file's own problems (loading, and its record's checks), placed; none is absent."""
    uses_uuids: set[str]
    """Files whose checks look datasets up by uuid, redone when the set of uuids changes."""
    shared: tuple[Problem, ...]
    """Problems between records (uniqueness)."""
    others: list[str]
    """Valid records of every kind but datasets: what each dataset is checked against."""
    counts: dict[str, int]
    """Valid records per kind."""
    claims: ClaimsList | None = None
    """Every record's claims; None until read (see RecordCache.claims)."""
    claims_generation: str = ""
    """Which save of the claims belongs to this index."""
    claims_changed: bool = field(default=False)
    """The claims must be written with the index."""


def _problem_row(p: Problem) -> tuple[Any, ...]:
    return (p.path, p.line, p.col, p.message, p.record, p.field, p.code, p.hint, p.severity)


def _problems_in(rows: Any) -> tuple[Problem, ...]:
    return tuple(Problem(*p) for p in rows)


def index_out(ix: Index) -> tuple[Any, ...]:
    """The index as plain values for marshal (without the claims)."""
    return (
        ix.claims_generation,
        ix.paths,
        ix.stats,
        {rel: tuple(map(_problem_row, found)) for rel, found in ix.problems.items()},
        frozenset(ix.uses_uuids),
        tuple(map(_problem_row, ix.shared)),
        ix.others,
        ix.counts,
    )


def index_in(raw: Any) -> Index:
    """The index from what index_out gave; ValueError/TypeError when malformed."""
    generation, paths, stats, problems, uses, shared, others, counts = raw
    if len(paths) != len(stats):
        raise ValueError("paths and stat keys differ in length")
    return Index(
        paths,
        stats,
        {rel: _problems_in(found) for rel, found in problems.items()},
        set(uses),
        _problems_in(shared),
        list(others),
        dict(counts),
        claims_generation=generation,
    )


def claims_out(ix: Index) -> tuple[str, ClaimsList]:
    """A new generation id and the claims as plain tuples."""
    assert ix.claims is not None
    ix.claims_generation = uuid.uuid4().hex
    plain = [c if c is None or type(c) is tuple else tuple(c) for c in ix.claims]
    return ix.claims_generation, plain


def claims_in(raw: Any, ix: Index) -> ClaimsList | None:
    """The claims of ``ix`` from what claims_out gave, or None when they do not belong to it."""
    generation, claims = raw
    if generation != ix.claims_generation or len(claims) != len(ix.paths):
        return None
    return list(claims)
