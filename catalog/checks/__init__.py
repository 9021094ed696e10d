"""Cross-record checks: pure functions from loaded records to problems.

Every check runs and all problems are collected, so one run tells a curator everything.
"""

from __future__ import annotations

from catalog.checks.consistency import check_consistency
from catalog.checks.graph import check_graphs
from catalog.checks.metadata import check_metadata
from catalog.checks.naming import check_naming
from catalog.checks.references import check_references
from catalog.checks.uniqueness import check_uniqueness
from catalog.problems import Problem
from catalog.records import Records


def run_checks(records: Records, *, alf_naming: bool = False) -> list[Problem]:
    """Run every cross-record check and return all problems found."""
    problems: list[Problem] = []
    problems += check_uniqueness(records)
    problems += check_references(records)
    problems += check_graphs(records)
    problems += check_naming(records, alf_naming=alf_naming)
    problems += check_metadata(records)
    problems += check_consistency(records)
    return problems


__all__ = ["run_checks"]
