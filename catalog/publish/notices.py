"""Which datasets each notice affects: those it names by uuid and those its selector picks."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from catalog.models import Dataset, DatasetSelector, Importance, Notice
from catalog.records import Entry

Index = dict[str, set[str]]


class DatasetIndex:
    """Dataset uuids by type, revision, tag and collection, for fast selector matching."""

    def __init__(self, datasets: Iterable[Entry]) -> None:
        self.by_type: Index = defaultdict(set)
        self.by_revision: Index = defaultdict(set)
        self.by_tag: Index = defaultdict(set)
        self.by_collection: Index = defaultdict(set)
        self.created: dict[str, str] = {}
        self.all: set[str] = set()
        for e in datasets:
            d = e.model
            assert isinstance(d, Dataset)
            self.all.add(d.uuid)
            self.by_type[d.dataset_type].add(d.uuid)
            self.by_revision[d.revision or ""].add(d.uuid)
            self.by_collection[d.collection].add(d.uuid)
            for t in d.tags:
                self.by_tag[t].add(d.uuid)
            if d.created_datetime:
                self.created[d.uuid] = d.created_datetime[:10]

    def select(self, s: DatasetSelector) -> set[str]:
        """Uuids of the datasets that meet every condition the selector gives."""
        found: set[str] | None = None
        for values, index in (
            (s.dataset_types, self.by_type),
            (s.revisions, self.by_revision),
            (s.tags, self.by_tag),
            (s.collections, self.by_collection),
        ):
            if not values:
                continue
            hit = set().union(*(index.get(v, set()) for v in values))
            found = hit if found is None else found & hit
        if s.created_from or s.created_to:
            pool = found if found is not None else self.all
            lo, hi = s.created_from or "0000-00-00", s.created_to or "9999-99-99"
            found = {u for u in pool if lo <= self.created.get(u, "") <= hi}
        return found if found is not None else set()


def affected(notice: Notice, index: DatasetIndex) -> set[str]:
    """Uuids of the datasets a notice affects (named ones that exist, and selected ones)."""
    named = {u for u in notice.datasets if u in index.all}
    if notice.selector is None:
        return named
    return named | index.select(notice.selector)


def importance_rank(notice: Notice) -> int:
    """A number that sorts notices most important first (negate for descending order)."""
    return int(Importance[notice.importance])
