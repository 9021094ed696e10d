"""What a reconciliation adds up to: first facts to record, orphans, and the report's entries."""

from __future__ import annotations

from catalog.records import Records
from catalog.sync.reconcile import Copy, Reconciliation
from catalog.sync.report import FileReport, Orphan, now_iso
from catalog.sync.statcache import StatCache
from catalog.sync.storage import is_hidden


def learn_first_facts(result: Reconciliation) -> None:
    """Record a dataset's first checksum (and size) when all its copies found agree.

    A dataset without a checksum gets one only when every copy hashed in this run has the
    same digest and size; copies that disagree are reported and nothing is recorded.
    A recorded checksum is never changed here: a mismatch stays a reported mismatch.
    """
    by_dataset: dict[str, list[Copy]] = {}
    for c in result.copies:
        d = c.dataset
        if d.hash is not None and d.file_size is not None:
            continue  # nothing to learn (the common case: keep it cheap)
        if c.status in ("verified", "unverified") and c.digest is not None and c.stat:
            by_dataset.setdefault(c.entry.path, []).append(c)
    for path, copies in by_dataset.items():
        d = copies[0].dataset
        sizes = {c.stat.size for c in copies if c.stat is not None}
        fill: dict[str, object] = {}
        if d.hash is None:
            digests = {c.digest for c in copies}
            if len(digests) > 1 or len(sizes) > 1:
                for c in copies:
                    c.settle("unverified", "the copies differ; no checksum recorded")
                continue
            fill["hash"] = copies[0].digest
            for c in copies:
                c.settle("verified", f"first {d.hash_algorithm} recorded", exists=True)
        if d.file_size is None and len(sizes) == 1 and min(sizes) >= 0:
            if all(c.status == "verified" for c in copies):
                fill["file_size"] = sizes.pop()
        if fill:
            result.fills[path] = fill


def find_orphans(result: Reconciliation, records: Records) -> None:
    """Files in a listed repository that no record names (dot-files aside)."""
    named: dict[str, set[str]] = {name: set() for name in result.listings}
    for repo, rel in records.named_files():
        if repo in named:
            named[repo].add(rel)
    for name, listing in sorted(result.listings.items()):
        if not listing.complete:
            continue  # a store that cannot list (HTTP) cannot show orphans
        known = named[name]
        found = [
            Orphan(name, rel, st.size)
            for rel, st in listing.files.items()
            if rel not in known and not is_hidden(rel)
        ]
        result.report.orphans += sorted(found, key=lambda o: o.relative_path)


def report_copies(result: Reconciliation, cache: StatCache) -> None:
    """One report entry per copy, counted under its repository."""
    checked = now_iso()
    for c in result.copies:
        assert c.status is not None
        if c.status == "verified":
            verified_at = c.verified_at
        else:
            verified_at = cache.last_verified(c.repository, c.relative_path)
        result.report.add(
            FileReport(
                dataset=c.dataset.uuid,
                repository=c.repository,
                relative_path=c.relative_path,
                status=c.status,
                checked=checked,
                verified_at=verified_at,
                detail=c.detail,
            )
        )
