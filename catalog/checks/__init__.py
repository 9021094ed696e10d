"""Cross-record checks: pure functions from loaded records to problems.

Each check looks at one record against a Context (what the rest of the catalog holds);
uniqueness compares every record's Claims. Every check runs and all problems are
collected, so one run tells a curator everything.
"""

from __future__ import annotations

from collections.abc import Callable

from catalog.checks.consistency import training_target, worker_keys
from catalog.checks.context import Context
from catalog.checks.graph import experiment_graph
from catalog.checks.metadata import dataset_metadata, type_schema
from catalog.checks.naming import dataset_naming
from catalog.checks.references import (
    dataset_references,
    experiment_references,
    notice_references,
    training_references,
    uses_dataset_uuids,
)
from catalog.checks.uniqueness import Claims, check_claims, claims_of, within_experiment
from catalog.problems import Problem
from catalog.records import Entry, Records

RecordCheck = Callable[[Entry, Context], list[Problem]]

RECORD_CHECKS: dict[str, tuple[RecordCheck, ...]] = {
    "dataset": (dataset_references, dataset_naming, dataset_metadata),
    "dataset-type": (type_schema,),
    "notice": (notice_references,),
    "experiment": (experiment_references, experiment_graph, within_experiment),
    "training": (training_references, training_target),
    "worker": (worker_keys,),
}
"""kind → the checks each record of that kind goes through."""


def check_record(entry: Entry, ctx: Context) -> list[Problem]:
    """Every per-record check of one record."""
    out: list[Problem] = []
    for check in RECORD_CHECKS.get(entry.kind, ()):
        out += check(entry, ctx)
    return out


def run_checks(records: Records, *, alf_naming: bool = False) -> list[Problem]:
    """Run every check over a loaded catalog and return all problems found."""
    ctx = Context.of(records, alf_naming=alf_naming)
    problems: list[Problem] = []
    for e in records:
        problems += check_record(e, ctx)
    problems += check_claims([(e.path, claims_of(e)) for e in records])
    return problems


__all__ = [
    "RECORD_CHECKS",
    "Claims",
    "Context",
    "check_claims",
    "check_record",
    "claims_of",
    "run_checks",
    "uses_dataset_uuids",
]
