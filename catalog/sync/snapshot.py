"""Nothing changed, nothing to redo: a sync whose inputs all match the last run reuses its report.

A sync's outcome depends on the record files, ``catalog.yaml`` and ``CATALOG_*`` settings, the
catalog's code, the options, and what each repository lists (size, mtime and identity of each
file). After a complete run that changed nothing and could look everywhere, these are stored
as signatures; when the next run finds every one of them equal, the outcome is the same, so
the last report is written again with the new times — without loading a record or reading a
file. It is the trust ``--verify stat`` places in stat data, applied to the whole run.

Anything else — a changed record, a touched file, an unreachable repository, a status that
could change without a stat change (``unverified``, ``unreachable``), HTTP (which cannot list),
``--verify full``, ``--register``, ``--replicate``, ``--dry-run`` — means a full run.
"""

from __future__ import annotations

import hashlib
import json
import logging
import marshal
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from catalog.atomic import atomic_write
from catalog.config import CONFIG_FILE, ENV_PREFIX, CatalogConfig
from catalog.errors import StorageError
from catalog.models import Repository
from catalog.recordcache import code_fingerprint
from catalog.store import scan_record_files
from catalog.sync.report import LATEST, REPORTS_DIR, SyncReport, now_iso, prune, stamp_of
from catalog.sync.storage import Listing, open_storage

log = logging.getLogger(__name__)

FILE_NAME = "sync-snapshot.marshal"
VERSION = 1
STABLE = frozenset({"verified", "missing", "size_mismatch", "hash_mismatch"})
"""File statuses that cannot change while the file's stat and its record stay the same."""


def _digest(value: Any) -> str:
    return hashlib.blake2b(marshal.dumps(value), digest_size=20).hexdigest()


def _code() -> str:
    pkg = Path(__file__).parent
    parts = [code_fingerprint()]
    for p in sorted(pkg.glob("*.py")):
        st = p.stat()
        parts.append(f"{p.name}:{st.st_size}:{st.st_mtime_ns}")
    return _digest(parts)


def records_signature(config: CatalogConfig) -> str:
    """Every record file's (size, mtime, inode), the settings, and the code, as one digest."""
    paths, stats = scan_record_files(config.root)
    try:
        st = os.stat(config.root / CONFIG_FILE)
        cfg: tuple[int, int, int] = (st.st_size, st.st_mtime_ns, st.st_ino)
    except OSError:
        cfg = (-1, -1, -1)
    env = sorted((k, v) for k, v in os.environ.items() if k.startswith(ENV_PREFIX))
    return _digest([paths, stats, cfg, env, _code()])


def listing_signature(listing: Listing) -> str:
    """What a repository's walk saw, as one digest."""
    # In walk order, unsorted: a walk of unchanged folders comes back in the same order, and
    # any other order only costs a full run.
    files = [(rel, s.size, s.mtime_ns, s.ident) for rel, s in listing.files.items()]
    return _digest(
        [files, sorted(listing.unlisted.items()), sorted(listing.refused.items()), listing.complete]
    )


def options_key(repositories: tuple[str, ...], verify: str) -> str:
    """The options that decide a run's outcome."""
    return json.dumps([sorted(repositories), verify])


@dataclass(frozen=True, slots=True)
class Reused:
    """A report reused from the last run, rewritten with this run's times."""

    report: SyncReport
    path: Path


def save(
    config: CatalogConfig,
    key: str,
    records_sig: str,
    repositories: list[Repository],
    listings: dict[str, Listing],
    report: SyncReport,
    report_path: Path,
) -> None:
    """Remember this run, if the next one may reuse it; else forget any earlier snapshot."""
    target = config.state_path / FILE_NAME
    eligible = (
        all(r.status in ("ok", "skipped") for r in report.repositories.values())
        and all(f.status in STABLE for f in report.files)
        and all(listings.get(r.name) is not None for r in repositories)
        and all(listings[r.name].complete for r in repositories)
    )
    if not eligible:
        forget(config)
        return
    data = {
        "version": VERSION,
        "key": key,
        "records": records_sig,
        "repositories": [r.model_dump(mode="json") for r in repositories],
        "listings": {r.name: listing_signature(listings[r.name]) for r in repositories},
        "report": str(report_path),
    }
    atomic_write(target, marshal.dumps(data))


def forget(config: CatalogConfig) -> None:
    """Drop the snapshot: the next run is a full one."""
    (config.state_path / FILE_NAME).unlink(missing_ok=True)


def _load(config: CatalogConfig) -> dict[str, Any] | None:
    try:
        data = marshal.loads((config.state_path / FILE_NAME).read_bytes())  # noqa: S302 - ours
    except (OSError, ValueError, EOFError, TypeError):
        return None
    if not isinstance(data, dict) or data.get("version") != VERSION:
        return None
    return data


def reuse(config: CatalogConfig, key: str, records_sig: str) -> Reused | None:
    """The last report, rewritten for now, when nothing that decides it has changed."""
    data = _load(config)
    if data is None or data.get("key") != key or data.get("records") != records_sig:
        return None
    try:
        for raw in data["repositories"]:
            repo = Repository.model_validate(raw)
            storage = open_storage(repo, config.root)
            storage.probe()
            if listing_signature(storage.walk()) != data["listings"][repo.name]:
                return None
        old = Path(data["report"]).read_bytes()
    except (StorageError, OSError, KeyError, ValueError):
        return None
    except Exception as exc:  # noqa: BLE001 - a failed shortcut is just a full run
        log.debug("sync snapshot not reused: %s", exc)
        return None
    reused = _rewrite(config, old)
    if reused is not None:
        data["report"] = str(reused.path)
        atomic_write(config.state_path / FILE_NAME, marshal.dumps(data))
    return reused


def _rewrite(config: CatalogConfig, old: bytes) -> Reused | None:
    try:
        data = json.loads(old)
        report = SyncReport.from_json(data)
    except (ValueError, KeyError, TypeError):
        return None
    now = now_iso()
    raw = old
    # Our own compact JSON: swap the old run's times for this run's, key and all.
    olds = {("started", report.started), ("finished", report.finished)}
    olds |= {("checked", f.checked) for f in report.files}
    for key, value in olds:
        raw = raw.replace(f'"{key}":"{value}"'.encode(), f'"{key}":"{now}"'.encode())
    report.started = report.finished = now
    for f in report.files:
        f.checked = now
    folder = config.state_path / REPORTS_DIR
    path = folder / f"{stamp_of(now)}.json"
    n = 1
    while path.exists():
        n += 1
        path = folder / f"{stamp_of(now)}-{n}.json"
    atomic_write(path, raw)
    atomic_write(folder / LATEST, raw)
    prune(folder)
    return Reused(report, path)
