"""sync(): the whole of `catalog sync` — load, reconcile, register, replicate, write back,
report — as one library call that the CLI and the service share.

When nothing that decides the outcome changed since the last complete run, that run's
findings are reused (snapshot.py) before anything heavy is imported; otherwise the full run
(fullrun.py) does the work.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from catalog.configfile import STATE_DIR
from catalog.sync import snapshot
from catalog.sync.report import SyncReport
from catalog.sync.work import Counters, Progress

if TYPE_CHECKING:
    from catalog.config import CatalogConfig
    from catalog.sync.changes import DatasetEdit, NewRecord
    from catalog.sync.register import Registration
    from catalog.sync.replicate import Replication


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


def _reuse(
    root: Path, key: str, config: CatalogConfig | None
) -> tuple[snapshot.Reused | None, CatalogConfig | None, str]:
    """The last run's findings if they stand, the settings if they had to be read, and the
    records signature."""
    if config is not None:
        signature = snapshot.records_signature(config.root)
        return snapshot.reuse(config.state_path, config.root, key, signature), config, signature
    # Without reading the settings: a snapshot in the default state folder was saved there
    # by a run of this root whose settings (catalog.yaml's stat, CATALOG_* variables) are in
    # the signature, so if it matches, the settings still put the state folder there.
    base = root.resolve()
    signature = snapshot.records_signature(base)
    hit = snapshot.reuse(base / STATE_DIR, base, key, signature)
    if hit is not None:
        return hit, None, signature
    from catalog.config import load_config

    config = load_config(root)
    if config.state_path == base / STATE_DIR:
        return None, config, signature
    return snapshot.reuse(config.state_path, base, key, signature), config, signature


def sync(
    root: Path,
    options: SyncOptions | None = None,
    *,
    progress: Progress | None = None,
    config: CatalogConfig | None = None,
) -> SyncOutcome:
    """Check every file record in the chosen repositories and act on what is found."""
    options = options or SyncOptions()
    key = snapshot.options_key(options.repositories, options.verify)
    plain = options.verify == "stat" and not (
        options.register or options.replicate or options.dry_run
    )
    remember: tuple[str, str] | None = None
    if plain:
        hit, config, signature = _reuse(root, key, config)
        if hit is not None:
            counters = Counters(from_cache=len(hit.report.files))
            return SyncOutcome(hit.report, counters, report_path=hit.path, reused=True)
        remember = (key, signature)
    # Loading records needs the models, YAML and pydantic: imported only for a full run.
    from catalog.config import load_config
    from catalog.sync.fullrun import full_sync

    return full_sync(config or load_config(root), options, progress=progress, remember=remember)
