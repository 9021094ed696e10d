"""The full `catalog sync`: load the records, reconcile, register, replicate, write back,
report — and remember the run for the next one (snapshot.py).

run.py calls it when the last run's findings cannot be reused.
"""

from __future__ import annotations

import logging
import secrets
from pathlib import Path

from catalog.config import CatalogConfig
from catalog.errors import ConfigError, GitError
from catalog.models import Repository
from catalog.records import Records
from catalog.sync import snapshot
from catalog.sync.changes import plan_changes, write_back
from catalog.sync.findings import find_orphans, learn_first_facts, report_copies
from catalog.sync.reconcile import Reconciler
from catalog.sync.register import register
from catalog.sync.replicate import replicate, replication_lock
from catalog.sync.report import RepositoryReport, now_iso, report_bytes, write_report_bytes
from catalog.sync.run import SyncOptions, SyncOutcome
from catalog.sync.statcache import StatCache
from catalog.sync.storage import LookError, Storage, open_storage
from catalog.sync.work import Progress
from catalog.validate import load_catalog

log = logging.getLogger(__name__)


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


def full_sync(
    config: CatalogConfig,
    options: SyncOptions,
    *,
    progress: Progress | None,
    remember: tuple[str, str] | None,
) -> SyncOutcome:
    """Check every file record in the chosen repositories and act on what is found.

    ``remember`` is (options key, records signature) when the run may be reused by the next.
    """
    records = load_catalog(config.root)
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
    raw = report_bytes(report)
    outcome.report_path = write_report_bytes(config.state_path, raw, report.finished)
    if remember is not None and not outcome.changes and not outcome.new:
        key, signature = remember
        snapshot.save(
            config.state_path, config.root, key, signature, chosen, result.listings, report, raw
        )
    else:
        snapshot.forget(config.state_path)
    return outcome
