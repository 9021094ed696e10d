"""Nothing changed, nothing to redo: a sync whose inputs all match the last run reuses its report.

A sync's outcome depends on the record files, ``catalog.yaml`` and ``CATALOG_*`` settings, the
catalog's code, the options, and what each repository lists (size, mtime and identity of each
file). After a complete run that changed nothing and could look everywhere, these are stored
as signatures, with the report; when the next run finds every one of them equal, the outcome
is the same, so the report is written again with the new times — without loading a record or
reading a file. It is the trust ``--verify stat`` places in stat data, applied to the whole run.

The check is one stat pass over the record files and one walk of each repository, compared as
digests; it imports no model, YAML parser or pydantic for local folders (other stores are
opened from their stored record), and the report comes back from the snapshot itself: its
entries as tuples, its JSON as the bytes between the times.

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
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from catalog.atomic import atomic_write
from catalog.configfile import CONFIG_FILE, ENV_PREFIX
from catalog.errors import StorageError
from catalog.recordcache import code_fingerprint
from catalog.recordfiles import scan_record_files
from catalog.sync.report import (
    FileReport,
    Orphan,
    RepositoryReport,
    SyncReport,
    now_iso,
    write_report_bytes,
)
from catalog.sync.storage import Listing, LocalRepository, Storage, local_storage

if TYPE_CHECKING:
    from catalog.models import Repository

log = logging.getLogger(__name__)

FILE_NAME = "sync-snapshot.marshal"
VERSION = 2
STABLE = frozenset({"verified", "missing", "size_mismatch", "hash_mismatch"})
"""File statuses that cannot change while the file's stat and its record stay the same."""

_TIME = re.compile(rb'"(?:started|finished|checked)":"([^"]*)"')
"""A time in a report's JSON. Quotes inside strings are escaped, so only keys match."""


def _digest(value: Any) -> str:
    return hashlib.blake2b(marshal.dumps(value), digest_size=20).hexdigest()


def _code() -> str:
    sync = Path(__file__).parent
    parts = [code_fingerprint()]
    for p in sorted([*sync.parent.glob("*.py"), *sync.glob("*.py")]):
        st = p.stat()
        parts.append(f"{p}:{st.st_size}:{st.st_mtime_ns}")
    return _digest(parts)


def records_signature(root: Path) -> str:
    """Every record file's (size, mtime, inode), the settings, and the code, as one digest."""
    paths, stats = scan_record_files(root)
    try:
        st = os.stat(root / CONFIG_FILE)
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
    state_path: Path,
    root: Path,
    key: str,
    records_sig: str,
    repositories: list[Repository],
    listings: dict[str, Listing],
    report: SyncReport,
    raw: bytes,
) -> None:
    """Remember this run (``raw`` is its report as written), if the next one may reuse it;
    else forget any earlier snapshot."""
    template = _template(raw, report)
    eligible = (
        template is not None
        and all(r.status in ("ok", "skipped") for r in report.repositories.values())
        and all(f.status in STABLE for f in report.files)
        and all(listings.get(r.name) is not None for r in repositories)
        and all(listings[r.name].complete for r in repositories)
    )
    if not eligible:
        forget(state_path)
        return
    data = {
        "version": VERSION,
        "root": str(root),
        "key": key,
        "records": records_sig,
        "repositories": [r.model_dump(mode="json") for r in repositories],
        "listings": {r.name: listing_signature(listings[r.name]) for r in repositories},
        "report": _compact(report),
        "template": template,
    }
    atomic_write(state_path / FILE_NAME, marshal.dumps(data))


def forget(state_path: Path) -> None:
    """Drop the snapshot: the next run is a full one."""
    (state_path / FILE_NAME).unlink(missing_ok=True)


def _template(raw: bytes, report: SyncReport) -> list[bytes] | None:
    """The report's JSON cut around its times: ``now.join(template)`` is the same report
    checked now. None if the JSON does not have exactly the report's times."""
    pieces, last = [], 0
    for m in _TIME.finditer(raw):
        pieces.append(raw[last : m.start(1)])
        last = m.end(1)
    pieces.append(raw[last:])
    return pieces if len(pieces) == len(report.files) + 3 else None


def _compact(report: SyncReport) -> tuple[Any, ...]:
    """The report without its times, as plain tuples (quick to load back)."""
    return (
        report.version,
        {k: (v.status, v.message, dict(v.counts)) for k, v in report.repositories.items()},
        [
            (f.dataset, f.repository, f.relative_path, f.status, f.verified_at, f.detail)
            for f in report.files
        ],
        [(o.repository, o.relative_path, o.size, o.detail) for o in report.orphans],
    )


def _expand(compact: Any, now: str) -> SyncReport:
    version, repositories, files, orphans = compact
    return SyncReport(
        started=now,
        finished=now,
        repositories={
            k: RepositoryReport(status, message, counts)
            for k, (status, message, counts) in repositories.items()
        },
        files=[FileReport(d, r, p, s, now, v, x) for d, r, p, s, v, x in files],
        orphans=[Orphan(*o) for o in orphans],
        version=version,
    )


def _load(state_path: Path) -> dict[str, Any] | None:
    try:
        data = marshal.loads((state_path / FILE_NAME).read_bytes())  # noqa: S302 - ours
    except (OSError, ValueError, EOFError, TypeError):
        return None
    if not isinstance(data, dict) or data.get("version") != VERSION:
        return None
    return data


def _storage(raw: dict[str, Any], root: Path) -> Storage:
    """A repository's storage from its stored record; a local folder without the models."""
    if raw["type"] == "local":
        return local_storage(
            LocalRepository(raw["name"], raw["url"], bool(raw.get("personal"))), root
        )
    from catalog.models import Repository
    from catalog.sync.storage import open_storage

    return open_storage(Repository.model_validate(raw), root)


def reuse(state_path: Path, root: Path, key: str, records_sig: str) -> Reused | None:
    """The last report, rewritten for now, when nothing that decides it has changed."""
    data = _load(state_path)
    if data is None or (data.get("root"), data.get("key"), data.get("records")) != (
        str(root),
        key,
        records_sig,
    ):
        return None
    try:
        for raw in data["repositories"]:
            storage = _storage(raw, root)
            storage.probe()
            if listing_signature(storage.walk()) != data["listings"][raw["name"]]:
                return None
        now = now_iso()
        report = _expand(data["report"], now)
        path = write_report_bytes(state_path, now.encode().join(data["template"]), now)
    except (StorageError, OSError, KeyError, ValueError, TypeError):
        return None
    except Exception as exc:  # noqa: BLE001 - a failed shortcut is just a full run
        log.debug("sync snapshot not reused: %s", exc)
        return None
    return Reused(report, path)
