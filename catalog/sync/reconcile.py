"""reconcile(): every file record checked against its repository → one status per copy.

For each repository: probe its root, list it (one walk), then give each of its file records
a status. A copy that is present is compared by size, then by checksum — from the stat cache
when the file is unchanged, from the store's own md5 (an S3 single-part ETag) when that
answers, otherwise by hashing it. Hashing runs on threads over all repositories at once.

What could not be looked at is ``unreachable`` with the reason; only a reachable repository
that cleanly says "no such file" makes a copy ``missing``. Two more guards keep "I could not
look" from becoming "gone": a folder or prefix that is empty while records expect files in
it (an unmounted disk, a wrong URL), and a root that vanished while sync was running.
"""

from __future__ import annotations

import logging
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Literal

from catalog.models import Dataset
from catalog.records import Entry, Records
from catalog.sync import hashing
from catalog.sync.hashing import HashJob, HashResult
from catalog.sync.remote import HttpStorage
from catalog.sync.report import (
    FileStatus,
    RepositoryReport,
    SyncReport,
    now_iso,
)
from catalog.sync.statcache import NoStatCache, StatCache
from catalog.sync.storage import Listing, LookError, Stat, Storage, file_error
from catalog.sync.work import Counters, Progress

log = logging.getLogger(__name__)

Verify = Literal["stat", "full"]


@dataclass(slots=True, eq=False)
class Copy:
    """One file record under examination, and what sync found for it."""

    entry: Entry
    dataset: Dataset
    repository: str
    relative_path: str
    recorded: bool = False
    """What the record's ``exists`` says now."""
    stat: Stat | None = None
    status: FileStatus | None = None
    detail: str = ""
    digest: str | None = None
    """The checksum of the bytes found (hashed now, cached, or the store's md5)."""
    verified_at: str | None = None
    exists: bool | None = None
    """What the record's ``exists`` should say now; None leaves it as it is."""

    def settle(self, status: FileStatus, detail: str = "", exists: bool | None = None) -> None:
        """Give the copy its status (and, when the truth is known, its ``exists``)."""
        self.status, self.detail, self.exists = status, detail, exists


@dataclass(slots=True)
class Reconciliation:
    """The outcome of reconcile(): statuses per copy, listings, counters, the report."""

    report: SyncReport
    copies: list[Copy]
    storages: dict[str, Storage] = field(default_factory=dict)
    """Repositories that could be looked at, by name."""
    listings: dict[str, Listing] = field(default_factory=dict)
    counters: Counters = field(default_factory=Counters)
    fills: dict[str, dict[str, object]] = field(default_factory=dict)
    """Record path → fields learned for the first time (hash, file_size)."""


def copies_of(records: Records, repositories: set[str]) -> dict[str, list[Copy]]:
    """The file records pointing into ``repositories``, grouped by repository."""
    out: dict[str, list[Copy]] = {name: [] for name in repositories}
    for e in records.by_kind["dataset"]:
        d = e.model
        assert isinstance(d, Dataset)
        for fr in d.file_records:
            if fr.repository in out:
                out[fr.repository].append(Copy(e, d, fr.repository, fr.relative_path, fr.exists))
    return out


def _locate(storage: Storage, listing: Listing, copies: list[Copy]) -> None:
    """Find each copy's stat: from the listing, else by asking the store about that file."""
    ask: list[Copy] = []
    for c in copies:
        st = listing.files.get(c.relative_path)
        if st is not None:
            c.stat = st
        elif c.relative_path in listing.refused:
            c.settle("unreachable", listing.refused[c.relative_path])
        else:
            ask.append(c)

    def one(c: Copy) -> None:
        try:
            c.stat = storage.stat(c.relative_path)
        except FileNotFoundError:
            c.settle("missing", "not in the repository", exists=False)
        except Exception as exc:  # noqa: BLE001 - anything else means "could not look"
            c.settle("unreachable", file_error(exc))

    if len(ask) > 8 and storage.workers > 2:
        with ThreadPoolExecutor(storage.workers, thread_name_prefix="stat") as pool:
            list(pool.map(one, ask))
    else:
        for c in ask:
            one(c)


def _guard_empty(storage: Storage, listing: Listing, copies: list[Copy]) -> LookError | None:
    """An empty root, or a base URL that is itself 404, is a wrong place, not lost files.

    Only when records believe files are there: a new, empty repository is simply empty.
    """
    if not any(c.recorded for c in copies) or any(c.status != "missing" for c in copies):
        return None
    if listing.complete and not listing.files and not listing.unlisted:
        return LookError(
            storage.name,
            "unreachable",
            f"{storage.repository.url} is empty but records expect {len(copies)} file(s) "
            "there (not mounted? wrong url?); nothing is marked missing",
        )
    if isinstance(storage, HttpStorage) and storage.root_missing:
        return LookError(
            storage.name,
            "misconfigured",
            f"{storage.repository.url} answers 404, as do all {len(copies)} file(s); "
            "check the url; nothing is marked missing",
        )
    return None


def _compare(c: Copy) -> None:
    """Size first (cheap), then the checksum against the record's."""
    d = c.dataset
    assert c.stat is not None
    if d.file_size is not None and c.stat.size >= 0 and c.stat.size != d.file_size:
        c.settle(
            "size_mismatch", f"{c.stat.size} bytes; the record says {d.file_size}", exists=False
        )
        return
    if c.digest is None:
        c.settle("unverified", c.detail or "present; not hashed")
    elif d.hash is None:
        c.settle("unverified", "present; the record has no checksum yet", exists=True)
    elif c.digest == d.hash:
        c.settle("verified", c.detail, exists=True)
    else:
        c.settle(
            "hash_mismatch",
            f"{d.hash_algorithm} {c.digest}; the record says {d.hash}",
            exists=False,
        )


class Reconciler:
    """One run of reconcile over some repositories (kept as an object to share the cache)."""

    def __init__(
        self,
        cache: StatCache,
        *,
        verify: Verify,
        progress: Progress | None = None,
        workers: int | None = None,
    ) -> None:
        self.cache = cache
        self.lookups: StatCache | NoStatCache = NoStatCache() if verify == "full" else cache
        self.verify = verify
        self.progress = progress
        self.workers = workers
        self.counters = Counters()
        self.run: int | None = None
        self.resumable: set[tuple[str, str]] = set()

    def _plan(self, c: Copy, storage: Storage, jobs: list[tuple[HashJob, Copy]]) -> None:
        """Settle a wrong size at once; else find the digest without reading, or queue a hash."""
        assert c.stat is not None
        d = c.dataset
        if d.file_size is not None and c.stat.size >= 0 and c.stat.size != d.file_size:
            _compare(c)
            return
        algo = d.hash_algorithm.value
        if (c.repository, c.relative_path) in self.resumable:
            hit = self.cache.lookup(c.repository, c.relative_path, c.stat, algo)
            if hit is not None:
                c.digest, c.verified_at = hit.digest, hit.verified_at
                self.counters.resumed += 1
                return
        hit = self.lookups.lookup(c.repository, c.relative_path, c.stat, algo)
        if hit is not None:
            c.digest, c.verified_at = hit.digest, hit.verified_at
            self.counters.from_cache += 1
            return
        if self.verify == "stat" and algo == "md5" and c.stat.md5 and c.stat.md5 == d.hash:
            # Only a match is taken from the store: a differing ETag is confirmed by hashing.
            c.digest, c.verified_at, c.detail = c.stat.md5, now_iso(), "md5 from the ETag"
            self.counters.from_etag += 1
            return
        jobs.append((HashJob(storage, c.relative_path, c.stat, algo), c))

    def _take(self, r: HashResult, c: Copy) -> None:
        if r.missing:
            c.settle("missing", "vanished while sync was running", exists=False)
        elif r.error:
            c.settle("unreachable", r.error)
        elif r.changed or r.digest is None:
            c.settle("unverified", "changed while it was being hashed; hash again later")
        else:
            when = now_iso()
            c.digest, c.verified_at = r.digest, when
            j = r.job
            if self.run is not None:
                self.cache.checkpoint(
                    self.run, c.repository, j.relative_path, j.stat, j.algorithm, r.digest, when
                )
            else:
                self.cache.store(c.repository, j.relative_path, j.stat, j.algorithm, r.digest, when)
            log.debug("hashed %s:%s", c.repository, j.relative_path)

    def hash_all(self, jobs: list[tuple[HashJob, Copy]]) -> None:
        """Hash every job on threads; results land in their copies as they finish."""
        by_key = {(id(j.storage), j.relative_path): c for j, c in jobs}
        total_files = len(jobs)
        total_bytes = sum(max(j.stat.size, 0) for j, _ in jobs)
        workers = self.workers or max((j.storage.workers for j, _ in jobs), default=2)
        done_files = done_bytes = 0
        started = time.perf_counter()
        for r in hashing.hash_many([j for j, _ in jobs], workers=workers):
            self._take(r, by_key[(id(r.job.storage), r.job.relative_path)])
            done_files += 1
            done_bytes += r.nbytes
            if r.digest is not None:
                self.counters.hashed_files += 1
                self.counters.hashed_bytes += r.nbytes
            if self.progress is not None:
                self.progress(done_files, total_files, done_bytes, total_bytes)
        self.cache.flush()
        self.counters.hash_seconds += time.perf_counter() - started

    def reconcile(
        self,
        records: Records,
        storages: dict[str, Storage | LookError],
    ) -> Reconciliation:
        """Give every copy in the given repositories a status; build the report."""
        report = SyncReport()
        result = Reconciliation(report, [], counters=self.counters)
        groups = copies_of(records, set(storages))
        if self.verify == "full":
            self.run, self.resumable = self.cache.start_full(",".join(sorted(storages)))
        jobs: list[tuple[HashJob, Copy]] = []
        for name in sorted(storages):
            copies = groups[name]
            result.copies += copies
            storage = storages[name]
            repo = report.repositories.setdefault(name, RepositoryReport())
            try:
                if isinstance(storage, LookError):
                    raise storage
                storage.probe()
                listing = storage.walk()
                _locate(storage, listing, copies)
                empty = _guard_empty(storage, listing, copies)
                if empty is not None:
                    raise empty
            except LookError as exc:
                repo.status, repo.message = exc.status, exc.reason
                for c in copies:
                    c.settle("unreachable", exc.reason)
                continue
            result.storages[name] = storage
            result.listings[name] = listing
            for c in copies:
                if c.status is None:
                    self._plan(c, storage, jobs)
        self.hash_all(jobs)
        for c in result.copies:
            if c.status is None:
                _compare(c)
        self._guard_vanished(result)
        _nothing_seen(result)
        return result

    def finish(self) -> None:
        """Mark a full verify complete (its checkpoints are no longer needed)."""
        if self.run is not None:
            self.cache.finish_full(self.run)
            self.run = None

    def _guard_vanished(self, result: Reconciliation) -> None:
        """A root that is gone after the run turns its "missing" copies into "unreachable"."""
        for name, storage in result.storages.items():
            mine = [c for c in result.copies if c.repository == name]
            if any(c.status == "missing" for c in mine) and not storage.still_there():
                why = "the repository vanished while sync was running"
                result.report.repositories[name] = RepositoryReport("unreachable", why)
                for c in mine:
                    if c.status == "missing":
                        c.settle("unreachable", why)


def _nothing_seen(result: Reconciliation) -> None:
    """A repository none of whose files could be looked at is itself unreachable or denied."""
    for name in result.storages:
        repo = result.report.repositories[name]
        mine = [c for c in result.copies if c.repository == name]
        if repo.status != "ok" or not mine or any(c.status != "unreachable" for c in mine):
            continue
        denied = all("permission denied" in c.detail for c in mine)
        repo.status = "denied" if denied else "unreachable"
        repo.message = f"none of its {len(mine)} file(s) could be looked at: {mine[0].detail}"
