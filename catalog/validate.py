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

from collections.abc import Callable, Iterator, Set
from pathlib import Path
from typing import Any

from catalog.checks import Context, check_claims, check_record, claims_of, uses_dataset_uuids
from catalog.checks.uniqueness import KIND, UUID
from catalog.config import CONFIG_FILE, CatalogConfig, load_config
from catalog.errors import CatalogError, ConfigError
from catalog.models import KINDS
from catalog.problems import Problem, count_errors
from catalog.recordcache import RecordCache
from catalog.recordindex import ClaimsList, Index, StatKey
from catalog.records import Entry, Records
from catalog.store import (
    RECORDS_DIR,
    Progress,
    collector_paused,
    entry_from_data,
    kind_of,
    load_entry,
    load_records,
    locate,
    scan_record_files,
)


def _counts(claims: list[Any]) -> dict[str, int]:
    counts = dict.fromkeys(KINDS, 0)
    for c in claims:
        if c is not None:
            counts[c[KIND]] += 1
    return counts


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
    if not (root / CONFIG_FILE).is_file() and not (root / RECORDS_DIR).is_dir():
        raise ConfigError(
            f"{root} holds no catalog (neither {CONFIG_FILE} nor {RECORDS_DIR}/). "
            "Give the catalog's folder with --root, or start one with 'catalog init'."
        )
    config = load_config(root)
    alf_naming = config.naming == "alf"
    cache = (
        RecordCache.open(config.state_path / "cache", settings=f"naming={config.naming}")
        if use_cache
        else None
    )
    with collector_paused():
        paths, stats = scan_record_files(config.root)
        result = None
        if cache is not None and cache.index is not None:
            try:
                result = _incremental(config, paths, stats, cache, cache.index, alf_naming)
            except _StaleCache:
                result = None
        if result is None:
            result = _full(config, paths, stats, cache, alf_naming, progress)
    result.problems.sort(key=Problem.sort_key)
    return result


def _full(
    config: CatalogConfig,
    paths: list[str],
    stats: list[StatKey],
    cache: RecordCache | None,
    alf_naming: bool,
    progress: Progress | None,
) -> Validation:
    """Load and check every file (reusing cached parses of unchanged ones)."""
    root = config.root
    entries: list[Entry] = []
    own: dict[str, list[Problem]] = {}
    total = len(paths)
    for i, (rel, stat) in enumerate(zip(paths, stats, strict=True)):
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
        cache.forget_missing(set(paths))
        index = Index(
            paths,
            stats,
            {rel: tuple(found) for rel, found in own.items()},
            {e.path for e in entries if uses_dataset_uuids(e)},
            tuple(shared),
            [e.path for e in entries if e.kind != "dataset"],
            records.counts(),
            claims=[claims.get(rel) for rel in paths],
            claims_changed=True,
        )
        cache.save_index(index)
    problems = [p for found in own.values() for p in found] + shared
    return Validation(config, problems, records.counts(), records=records)


def _incremental(
    config: CatalogConfig,
    paths: list[str],
    stats: list[StatKey],
    cache: RecordCache,
    old: Index,
    alf_naming: bool,
) -> Validation | None:
    """Re-check only changed datasets against the cached rest; None when that is not enough."""
    root = config.root

    def load() -> Records:
        return load_records(root, cache_dir=config.state_path / "cache", scan=(paths, stats))[0]

    if paths == old.paths and stats == old.stats:
        problems = [p for found in old.problems.values() for p in found] + list(old.shared)
        return Validation(config, problems, old.counts, load=load)
    old_stat = dict(zip(old.paths, old.stats, strict=True))
    now_stat = {rel: st for rel, st in zip(paths, stats, strict=True) if old_stat.get(rel) != st}
    present = set(paths)
    removed = [rel for rel in old.paths if rel not in present]
    if any(kind_of(rel) not in (None, "dataset") for rel in (*now_stat, *removed)):
        return None
    # What every dataset is checked against is unchanged: rebuild it from the cache.
    others = {rel: _cached_entry(cache, rel, old_stat[rel]) for rel in old.others}
    if any(e is None for e in others.values()):
        return None
    # Each changed file, as it was (for its claims) and as it is now.
    before = {rel: _cached_entry(cache, rel, old_stat[rel]) for rel in now_stat if rel in old_stat}
    fresh = {rel: load_entry(root, rel, st, cache) for rel, st in now_stat.items()}
    new_claims = {rel: claims_of(e) if e is not None else None for rel, (e, _) in fresh.items()}
    same_claims = not removed and all(
        (e := before.get(rel)) is not None and claims_of(e) == new_claims[rel] for rel in now_stat
    )
    index = Index(
        paths,
        stats,
        {rel: found for rel, found in old.problems.items() if rel in present},
        old.uses_uuids & present,
        old.shared,
        old.others,
        old.counts,
        claims=old.claims,
        claims_generation=old.claims_generation,
    )
    recheck = set(now_stat)
    # With the claims unchanged, so are the uuids: read them only if a check asks.
    uuids: Set[str] = _UuidsFromCache(cache, old)
    if not same_claims:
        old_claims = cache.claims(old)
        if old_claims is None:
            return None
        by_path = dict(zip(old.paths, old_claims, strict=True))
        by_path.update(new_claims)
        index.claims = [by_path[rel] for rel in paths]
        index.claims_changed = True
        index.counts = _counts(index.claims)
        uuids = _dataset_uuids(index.claims)
        if uuids != _dataset_uuids(old_claims):
            recheck |= index.uses_uuids
    ctx = Context.build([e for e in others.values() if e is not None], uuids, alf_naming=alf_naming)
    for rel in sorted(recheck):
        if rel in fresh:
            entry, found = fresh[rel]
        else:
            # An unchanged valid record: it had no loading problems, only check problems.
            entry = others.get(rel) or _cached_entry(cache, rel, old_stat[rel])
            if entry is None:
                return None
            found = []
        if entry is not None:
            found = found + locate(root, check_record(entry, ctx))
        index.problems.pop(rel, None)
        if found:
            index.problems[rel] = tuple(found)
        index.uses_uuids.discard(rel)
        if entry is not None and uses_dataset_uuids(entry):
            index.uses_uuids.add(rel)
    if index.claims_changed:
        assert index.claims is not None
        rows = [(rel, c) for rel, c in zip(paths, index.claims, strict=True) if c is not None]
        index.shared = tuple(locate(root, check_claims(rows)))
    cache.forget_missing(present)
    cache.save_index(index)
    problems = [p for found in index.problems.values() for p in found] + list(index.shared)
    return Validation(config, problems, index.counts, load=load)


class _UuidsFromCache(Set[str]):
    """The dataset uuids of the cached claims, read only if a check asks for one."""

    def __init__(self, cache: RecordCache, index: Index) -> None:
        self._cache, self._index = cache, index
        self._uuids: set[str] | None = None

    def _load(self) -> set[str]:
        if self._uuids is None:
            claims = self._cache.claims(self._index)
            if claims is None:
                raise _StaleCache
            self._uuids = _dataset_uuids(claims)
        return self._uuids

    def __contains__(self, uid: object) -> bool:
        return uid in self._load()

    def __iter__(self) -> Iterator[str]:
        return iter(self._load())

    def __len__(self) -> int:
        return len(self._load())


class _StaleCache(Exception):
    """The cached claims cannot be read: validate everything instead."""


def _dataset_uuids(claims: ClaimsList) -> set[str]:
    return {c[UUID] for c in claims if c is not None and c[KIND] == "dataset" and c[UUID]}


def _cached_entry(cache: RecordCache, rel: str, stat: StatKey) -> Entry | None:
    row = cache.row(rel, stat)
    return entry_from_data(rel, *row) if row is not None else None


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
