"""Which datasets each notice affects: those it names by uuid and those its selector picks."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from catalog.models import DatasetSelector, Importance, Notice
from catalog.records import Entry

Index = dict[str, set[str]]


class DatasetIndex:
    """Dataset uuids by type, revision, tag, collection and date, built as selectors need them."""

    def __init__(self, datasets: Iterable[Entry]) -> None:
        # The records' data, not their models: a selector reads a few plain fields of every
        # dataset, and making 100,000 models for that would cost more than the rest.
        self.rows: list[dict[str, Any]] = [e.data for e in datasets]
        self.all = {d["uuid"] for d in self.rows}
        self._built: dict[str, Index] = {}

    def by(self, attribute: str) -> Index:
        """uuids by the value of 'dataset_type', 'revision', 'collection' or 'tags'."""
        index = self._built.get(attribute)
        if index is None:
            index = defaultdict(set)
            for d in self.rows:
                value = d.get(attribute)
                for v in value if isinstance(value, list) else [value or ""]:
                    index[v].add(d["uuid"])
            self._built[attribute] = index
        return index

    def select(self, s: DatasetSelector) -> set[str]:
        """Uuids of the datasets that meet every condition the selector gives."""
        found: set[str] | None = None
        for values, attribute in (
            (s.dataset_types, "dataset_type"),
            (s.revisions, "revision"),
            (s.tags, "tags"),
            (s.collections, "collection"),
        ):
            if not values:
                continue
            index = self.by(attribute)
            hit = set().union(*(index.get(v, set()) for v in values))
            found = hit if found is None else found & hit
        if s.created_from or s.created_to:
            lo, hi = s.created_from or "0000-00-00", s.created_to or "9999-99-99"
            pool = found if found is not None else self.all
            found = {
                d["uuid"]
                for d in self.rows
                if d["uuid"] in pool and lo <= (d.get("created_datetime") or "")[:10] <= hi
            }
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
