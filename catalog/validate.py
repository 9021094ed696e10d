"""Validate a whole catalog: load, check, locate — the path every consumer goes through.

A first run loads and checks everything and leaves a record cache in the state folder.
Later runs compare every file's (size, mtime, inode) with the cache: when only datasets
changed — the usual edit in a large catalog — only those datasets are parsed and checked
again (plus, if dataset uuids appeared or vanished, the records that point at datasets by
uuid), and uniqueness is re-run over the cached claims of all records. Any change to a
record of another kind changes what every dataset is checked against, so everything is
checked again, still reusing the cached parse of unchanged files.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from catalog.checks import Context, check_claims, check_record, claims_of, uses_dataset_uuids
from catalog.config import CatalogConfig, load_config
from catalog.errors import CatalogError
from catalog.models import KINDS
from catalog.problems import Problem, count_errors
from catalog.recordcache import RecordCache, Row, StatKey
from catalog.records import Entry, Records
from catalog.store import (
    Progress,
    collector_paused,
    entry_from_data,
    kind_of,
    load_entry,
    load_records,
    locate,
    scan_record_files,
)


class Validation:
    """The outcome of validating a catalog: problems, counts, and the records themselves."""

    def __init__(
        self,
        config: CatalogConfig,
        problems: list[Problem],
        counts: dict[str, int],
        records: Records | None = None,
        load: Callable[[], Records] | None = None,
    ) -> None:
        self.config = config
        self.problems = problems
        self.counts = counts
        """Number of valid records per kind."""
        self._records = records
        self._load = load

    @property
    def records(self) -> Records:
        """The valid records (loaded on first use when validation needed only a few)."""
        if self._records is None:
            assert self._load is not None
            self._records = self._load()
        return self._records

    def failed(self, *, strict: bool = False) -> bool:
        """Whether there are errors (or, when strict, warnings)."""
        return count_errors(self.problems, strict=strict) > 0


def validate(root: Path, *, use_cache: bool = True, progress: Progress | None = None) -> Validation:
    """Load every record under ``root`` and run every check; problems are collected."""
    config = load_config(root)
    alf_naming = config.naming == "alf"
    cache = (
        RecordCache.open(config.state_path / "cache", settings=f"naming={config.naming}")
        if use_cache
        else None
    )
    with collector_paused():
        files = scan_record_files(config.root)
        result = None
        if cache is not None and cache.rows is not None:
            result = _incremental(config, files, cache, cache.rows, alf_naming)
        if result is None:
            result = _full(config, files, cache, alf_naming, progress)
    result.problems.sort(key=Problem.sort_key)
    return result


def _counts(rows: dict[str, Row]) -> dict[str, int]:
    counts = dict.fromkeys(KINDS, 0)
    for r in rows.values():
        if r.claims is not None:
            counts[r.claims.kind] += 1
    return counts


def _full(
    config: CatalogConfig,
    files: list[tuple[str, StatKey]],
    cache: RecordCache | None,
    alf_naming: bool,
    progress: Progress | None,
) -> Validation:
    """Load and check every file (reusing cached parses of unchanged ones)."""
    root = config.root
    entries: list[Entry] = []
    own: dict[str, list[Problem]] = {}
    total = len(files)
    for i, (rel, stat) in enumerate(files):
        entry, found = load_entry(root, rel, stat, cache)
        if entry is not None:
            entries.append(entry)
        if found:
            own[rel] = found
        if progress is not None and (i % 500 == 0 or i == total - 1):
            progress(i + 1, total)
    records = Records(entries)
    ctx = Context.of(records, alf_naming=alf_naming)
    for e in entries:
        found = check_record(e, ctx)
        if found:
            own.setdefault(e.path, []).extend(locate(root, found))
    claims = {e.path: claims_of(e) for e in entries}
    shared = locate(root, check_claims(list(claims.items())))
    if cache is not None:
        by_path = {e.path: e for e in entries}
        rows = {
            rel: Row(
                stat,
                claims.get(rel),
                tuple(own.get(rel, ())),
                rel in by_path and uses_dataset_uuids(by_path[rel]),
            )
            for rel, stat in files
        }
        cache.forget_missing({rel for rel, _ in files})
        cache.save_rows(rows)
    problems = [p for found in own.values() for p in found] + shared
    return Validation(config, problems, records.counts(), records=records)


def _incremental(
    config: CatalogConfig,
    files: list[tuple[str, StatKey]],
    cache: RecordCache,
    old: dict[str, Row],
    alf_naming: bool,
) -> Validation | None:
    """Re-check only changed datasets against the cached rest; None when that is not enough."""
    root = config.root
    present = {rel for rel, _ in files}
    changed = [rel for rel, stat in files if (r := old.get(rel)) is None or r.stat != stat]
    removed = [rel for rel in old if rel not in present]
    if any(kind_of(rel) not in (None, "dataset") for rel in (*changed, *removed)):
        return None
    # The records every dataset is checked against are unchanged: rebuild them from cache.
    others: list[Entry] = []
    for rel, r in old.items():
        if r.claims is not None and r.claims.kind != "dataset":
            data = cache.data(rel, r.stat)
            entry = entry_from_data(rel, data) if data is not None else None
            if entry is None:
                return None
            others.append(entry)
    stats = dict(files)
    fresh: dict[str, tuple[Entry | None, list[Problem]]] = {
        rel: load_entry(root, rel, stats[rel], cache) for rel in changed
    }
    rows: dict[str, Row] = {}
    for rel, stat in files:
        if rel in fresh:
            entry, _ = fresh[rel]
            claims = claims_of(entry) if entry is not None else None
            rows[rel] = Row(stat, claims, (), False)
        else:
            rows[rel] = old[rel]

    def uuids(table: dict[str, Row]) -> set[str]:
        return {
            r.claims.uuid
            for r in table.values()
            if r.claims is not None and r.claims.kind == "dataset" and r.claims.uuid
        }

    now_uuids = uuids(rows)
    recheck = set(changed)
    if now_uuids != uuids(old):
        recheck |= {rel for rel, r in rows.items() if r.uses_uuids}
    ctx = Context.build(others, now_uuids, alf_naming=alf_naming)
    by_path = {e.path: e for e in others}
    for rel in sorted(recheck):
        if rel in fresh:
            entry, found = fresh[rel]
        else:
            # An unchanged valid record: it had no loading problems, only check problems.
            entry = by_path.get(rel) or entry_from_data(rel, cache.data(rel, rows[rel].stat) or {})
            if entry is None:
                return None
            found = []
        if entry is not None:
            found = found + locate(root, check_record(entry, ctx))
        uses = entry is not None and uses_dataset_uuids(entry)
        rows[rel] = rows[rel]._replace(problems=tuple(found), uses_uuids=uses)
    shared = locate(
        root, check_claims([(rel, r.claims) for rel, r in rows.items() if r.claims is not None])
    )
    cache.forget_missing(present)
    cache.save_rows(rows)
    problems = [p for r in rows.values() for p in r.problems] + shared

    def load() -> Records:
        return load_records(root, cache_dir=config.state_path / "cache")[0]

    return Validation(config, problems, _counts(rows), load=load)


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
