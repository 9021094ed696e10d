"""register(): dataset records for files that are in a repository but in no record.

A file is registered only when nothing has to be guessed: its name matches exactly one
dataset type, its extension exactly one data format, its path parses as an ALF path when
the catalog uses ALF naming (giving session, collection and revision), and no dataset has
that name yet. Everything else stays an orphan in the report, with the reason.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from catalog import alf
from catalog.config import CatalogConfig
from catalog.models import DataFormat, Dataset, DatasetType, Repository, Revision
from catalog.naming_files import record_path
from catalog.records import Records
from catalog.sync import hashing
from catalog.sync.changes import NewRecord
from catalog.sync.hashing import HashJob
from catalog.sync.reconcile import Reconciliation
from catalog.sync.report import FileReport, Orphan, now_iso
from catalog.sync.statcache import StatCache

CREATED_BY = "catalog sync"


@dataclass(slots=True)
class Registration:
    """New dataset records, and the orphans left as they were (with why)."""

    new: list[NewRecord] = field(default_factory=list)
    left: list[Orphan] = field(default_factory=list)


class _Namer:
    """What a file's name and path say about the dataset it would be."""

    def __init__(self, config: CatalogConfig, records: Records) -> None:
        self.alf = config.naming == "alf"
        self.types = alf.TypeMatcher(
            (t.name, t.filename_pattern) for t in records.models(DatasetType)
        )
        self.formats: dict[str, list[str]] = {}
        for f in records.models(DataFormat):
            if f.file_extension:
                self.formats.setdefault(f.file_extension.lower(), []).append(f.name)
        self.revisions = {r.name for r in records.models(Revision)}
        self.keys = {d.key() for d in records.models(Dataset)}
        self.paths = set(records.by_path)
        self.families = {(d.session, d.collection, d.name) for d in records.models(Dataset)}
        """(session, collection, name) of existing datasets: they keep their default."""

    def describe(self, relative_path: str) -> dict[str, Any] | str:
        """The dataset fields for a file, or the reason it cannot be registered."""
        folder, _, name = relative_path.rpartition("/")
        types = self.types.match(name)
        if not types:
            return "matches no dataset type"
        if len(types) > 1:
            return f"matches several dataset types: {', '.join(sorted(types))}"
        ext = "." + name.rsplit(".", 1)[1].lower() if "." in name else ""
        formats = self.formats.get(ext, [])
        if len(formats) != 1:
            return (
                f"extension '{ext}' matches {'no' if not formats else 'several'} data format(s)"
                + (f": {', '.join(sorted(formats))}" if formats else "")
            )
        data: dict[str, Any] = {"kind": "dataset", "name": name}
        if self.alf:
            parsed = alf.parse_path(relative_path)
            if parsed is None or not alf.is_alf_filename(name):
                return "not an ALF path (subject/date/number/[collection/][#revision#/]file)"
            if parsed.revision and parsed.revision not in self.revisions:
                return f"revision '{parsed.revision}' has no record"
            data.update(session=parsed.session, collection=parsed.collection)
            if parsed.revision:
                data["revision"] = parsed.revision
        else:
            data.update(session="", collection=folder)
        data.update(dataset_type=types[0], data_format=formats[0])
        probe = Dataset.model_validate({**data, "uuid": str(uuid.uuid4())})
        if probe.key() in self.keys:
            return f"a dataset named '{probe.key()}' exists; add this file to its file_records"
        path = record_path("dataset", data)
        if path in self.paths:
            return f"{path} exists already"
        self.keys.add(probe.key())
        self.paths.add(path)
        return {k: v for k, v in data.items() if v not in ("", None)}


def register(
    config: CatalogConfig,
    records: Records,
    result: Reconciliation,
    cache: StatCache,
    *,
    workers: int | None = None,
) -> Registration:
    """Dataset records for the orphans that name themselves unambiguously (with hash)."""
    out = Registration()
    namer = _Namer(config, records)
    repos = {r.name: r for r in records.models(Repository)}
    planned: list[tuple[HashJob, Orphan, dict[str, Any]]] = []
    for orphan in result.report.orphans:
        data = namer.describe(orphan.relative_path)
        storage = result.storages.get(orphan.repository)
        stat = result.listings[orphan.repository].files.get(orphan.relative_path)
        if isinstance(data, str) or storage is None or stat is None:
            out.left.append(Orphan(orphan.repository, orphan.relative_path, orphan.size, str(data)))
            continue
        algo = repos[orphan.repository].hash_algorithm.value
        planned.append((HashJob(storage, orphan.relative_path, stat, algo), orphan, data))
    by_key = {(j.storage.name, j.relative_path): (o, d) for j, o, d in planned}
    n = workers or max((j.storage.workers for j, _, _ in planned), default=2)
    for r in hashing.hash_many([j for j, _, _ in planned], workers=n):
        orphan, data = by_key[(r.job.storage.name, r.job.relative_path)]
        if r.digest is None:
            why = r.error or ("vanished" if r.missing else "changed while it was being hashed")
            out.left.append(Orphan(orphan.repository, orphan.relative_path, orphan.size, why))
            continue
        when = now_iso()
        cache.store(
            orphan.repository, orphan.relative_path, r.job.stat, r.job.algorithm, r.digest, when
        )
        data.update(
            uuid=str(uuid.uuid4()),
            file_size=r.nbytes,
            hash=r.digest,
            hash_algorithm=r.job.algorithm,
            created_by=CREATED_BY,
            created_datetime=when,
            file_records=[
                {
                    "repository": orphan.repository,
                    "relative_path": orphan.relative_path,
                    "exists": True,
                }
            ],
        )
        path = record_path("dataset", data)
        out.new.append(NewRecord(path, data, f"dataset '{orphan.relative_path}'"))
        result.report.add(
            FileReport(
                dataset=data["uuid"],
                repository=orphan.repository,
                relative_path=orphan.relative_path,
                status="verified",
                checked=when,
                verified_at=when,
                detail=f"registered as {path}",
            )
        )
    cache.flush()
    _choose_defaults(out.new, namer.families)
    result.report.orphans = sorted(out.left, key=lambda o: (o.repository, o.relative_path))
    return out


def _choose_defaults(new: list[NewRecord], existing: set[tuple[str, str, str]]) -> None:
    """One default per (session, collection, name): the latest revision among new datasets;
    none where a dataset of that name exists already (its curator decides)."""
    families: dict[tuple[str, str, str], list[NewRecord]] = {}
    for n in new:
        d = n.data
        families.setdefault((d.get("session", ""), d.get("collection", ""), d["name"]), []).append(
            n
        )
    for family, members in families.items():
        latest = max(members, key=lambda n: str(n.data.get("revision") or ""))
        for n in members:
            n.data["default_dataset"] = n is latest and family not in existing
