"""Validate a whole catalog: load, check, locate — the path every consumer goes through."""

from __future__ import annotations

import gc
from dataclasses import dataclass
from pathlib import Path

from catalog.checks import run_checks
from catalog.config import CatalogConfig, load_config
from catalog.errors import CatalogError
from catalog.problems import Problem, count_errors
from catalog.records import Records
from catalog.store import Progress, load_records, locate


@dataclass(slots=True)
class Validation:
    """The outcome of validating a catalog."""

    config: CatalogConfig
    records: Records
    problems: list[Problem]

    def failed(self, *, strict: bool = False) -> bool:
        """Whether there are errors (or, when strict, warnings)."""
        return count_errors(self.problems, strict=strict) > 0


def validate(root: Path, *, use_cache: bool = True, progress: Progress | None = None) -> Validation:
    """Load every record under ``root`` and run every check; problems are collected."""
    config = load_config(root)
    cache_dir = config.state_path / "cache" if use_cache else None
    # Bulk loading allocates millions of small objects and no cycles; pausing the cyclic
    # collector meanwhile saves repeated full scans of everything loaded so far.
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        records, problems = load_records(config.root, cache_dir=cache_dir, progress=progress)
    finally:
        if was_enabled:
            gc.enable()
    problems += run_checks(records, alf_naming=config.naming == "alf")
    problems = locate(config.root, problems)
    problems.sort(key=Problem.sort_key)
    return Validation(config, records, problems)


def load_catalog(root: Path) -> Records:
    """Load a catalog that must be valid; raise CatalogError listing the first problems."""
    result = validate(root)
    if result.failed():
        from catalog.problems import render_text

        errors = [p for p in result.problems if p.severity == "error"]
        shown = render_text(errors[:20])
        more = f"\n… and {len(errors) - 20} more" if len(errors) > 20 else ""
        raise CatalogError(f"the catalog at {root} has {len(errors)} error(s):\n{shown}{more}")
    return result.records
