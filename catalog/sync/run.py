"""sync(): the whole of `catalog sync` — load, reconcile, register, replicate, write back,
report — as one library call that the CLI and the service share."""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from catalog.config import CatalogConfig, load_config
from catalog.errors import ConfigError, GitError
from catalog.models import Repository
from catalog.records import Records
from catalog.sync import snapshot
from catalog.sync.changes import DatasetEdit, NewRecord, plan_changes, write_back
from catalog.sync.findings import find_orphans, learn_first_facts, report_copies
from catalog.sync.reconcile import Counters, Progress, Reconciler
from catalog.sync.register import Registration, register
from catalog.sync.replicate import Replication, replicate, replication_lock
from catalog.sync.report import RepositoryReport, SyncReport, now_iso, write_report
from catalog.sync.statcache import StatCache
from catalog.sync.storage import LookError, Storage, open_storage
from catalog.validate import load_catalog

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class SyncOptions:
    """What `catalog sync` was asked to do."""

    repositories: tuple[str, ...] = ()
    """Only these repositories (all reachable ones when empty)."""
    verify: Literal["stat", "full"] = "stat"
    dry_run: bool = False
    commit: bool = True
    register: bool = False
    replicate: bool = False
    sources: tuple[str, ...] = ()
    targets: tuple[str, ...] = ()
    workers: int | None = None


@dataclass(slots=True)
class SyncOutcome:
    """What a sync found and did."""

    report: SyncReport
    counters: Counters
    changes: list[DatasetEdit] = field(default_factory=list)
    new: list[NewRecord] = field(default_factory=list)
    registration: Registration | None = None
    replication: Replication | None = None
    commit: str | None = None
    report_path: Path | None = None
    dry_run: bool = False
    reused: bool = False
    """Nothing had changed since the last run: its report was reused (see snapshot.py)."""

    @property
    def failed(self) -> bool:
        """Whether any copy is missing or does not match its record."""
        return bool(self.report.problems())


def _known(records: Records, names: tuple[str, ...], option: str) -> set[str] | None:
    """``names`` as a set (None when empty); refuses a name that is not a repository."""
    known = sorted(r.name for r in records.models(Repository))
    for n in names:
        if n not in known:
            raise ConfigError(
                f"{option}: unknown repository '{n}'. Known: {', '.join(known) or 'none'}."
            )
    return set(names) or None


def select(
    records: Records, names: tuple[str, ...]
) -> tuple[list[Repository], dict[str, RepositoryReport]]:
    """The repositories to look at, and the skipped ones (offline) with why."""
    wanted = _known(records, names, "--repository")
    chosen = [r for r in records.models(Repository) if wanted is None or r.name in wanted]
    skipped = {
        r.name: RepositoryReport("skipped", "offline: sync does not look at it")
        for r in chosen
        if r.offline
    }
    return [r for r in chosen if not r.offline], skipped


def _check_git(root: Path) -> None:
    """Fail before any work when changes could not be committed."""
    from catalog.gitcmd import git_dir

    try:
        git_dir(root)
    except GitError as exc:
        raise GitError(
            f"{exc} Or use --no-commit to edit the records without committing."
        ) from None


def sync(
    root: Path,
    options: SyncOptions | None = None,
    *,
    progress: Progress | None = None,
    config: CatalogConfig | None = None,
) -> SyncOutcome:
    """Check every file record in the chosen repositories and act on what is found."""
    options = options or SyncOptions()
    config = config or load_config(root)
    key = snapshot.options_key(options.repositories, options.verify)
    plain = options.verify == "stat" and not (
        options.register or options.replicate or options.dry_run
    )
    signature = snapshot.records_signature(config) if plain else ""
    if plain:
        hit = snapshot.reuse(config, key, signature)
        if hit is not None:
            counters = Counters(from_cache=len(hit.report.files))
            return SyncOutcome(hit.report, counters, report_path=hit.path, reused=True)
    records = load_catalog(root)
    chosen, skipped = select(records, options.repositories)
    sources = _known(records, options.sources, "--from")
    targets = _known(records, options.targets, "--to")
    if options.commit and not options.dry_run:
        _check_git(config.root)
    storages: dict[str, Storage | LookError] = {}
    for repo in chosen:
        try:
            storages[repo.name] = open_storage(repo, config.root)
        except LookError as exc:
            storages[repo.name] = exc
    cache = StatCache.open(config.state_path)
    try:
        reconciler = Reconciler(
            cache, verify=options.verify, progress=progress, workers=options.workers
        )
        result = reconciler.reconcile(records, storages)
        reconciler.finish()
        learn_first_facts(result)
        report = result.report
        report.repositories.update(skipped)
        find_orphans(result, records)
        outcome = SyncOutcome(report, result.counters, dry_run=options.dry_run)
        if options.register:
            outcome.registration = register(config, records, result, cache, workers=options.workers)
            outcome.new = outcome.registration.new
        if options.replicate:
            with replication_lock(config.state_path):
                outcome.replication = replicate(
                    result, cache, sources=sources, targets=targets, dry_run=options.dry_run
                )
        report_copies(result, cache)
        outcome.changes = plan_changes(result)
    finally:
        cache.close()
    if options.dry_run:
        return outcome
    batch = f"sync-{report.started}-{secrets.token_hex(4)}"
    outcome.commit = write_back(
        config, outcome.changes, outcome.new, commit=options.commit, batch_id=batch
    )
    report.finished = now_iso()
    outcome.report_path = write_report(config.state_path, report)
    if plain and not outcome.changes and not outcome.new:
        snapshot.save(config, key, signature, chosen, result.listings, report, outcome.report_path)
    else:
        snapshot.forget(config)
    return outcome
