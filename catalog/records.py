"""A loaded catalog: every record entry, indexed by kind, name, uuid and file location."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, TypeVar

from catalog.models import KINDS, Experiment, RecordBase, Training

M = TypeVar("M", bound=RecordBase)


class Entry:
    """One record: its kind, its file (posix path relative to the catalog root), model, data.

    An entry read back from the record cache holds data that validated before; its model is
    made on first use, so that a consumer reading a few fields of 100,000 datasets (the site,
    sync) does not pay for 100,000 models it never looks at.
    """

    __slots__ = ("kind", "path", "_model", "data", "digest")

    def __init__(
        self,
        kind: str,
        path: str,
        model: RecordBase | None,
        data: dict[str, Any],
        digest: bytes | None = None,
    ) -> None:
        self.kind = kind
        self.path = path
        self._model = model
        self.data = data
        self.digest = digest
        """A short digest of the file (its path and bytes) when read from one; None otherwise."""

    @property
    def model(self) -> RecordBase:
        """The validated record (made from ``data`` on first use)."""
        m = self._model
        if m is None:
            m = self._model = KINDS[self.kind].model_validate(self.data)
        return m

    @property
    def label(self) -> str:
        """How messages name the record, e.g. "dataset 'SW023/2024-01-05/001/spikes.times.npy'"."""
        return f"{self.kind} '{self.model.key()}'"

    def __repr__(self) -> str:
        return f"Entry({self.kind!r}, {self.path!r})"


class Records:
    """The catalog's records with the lookups every consumer needs.

    Lookups by name keep the first record of a name (in path order); the uniqueness
    check reports the others.
    """

    def __init__(self, entries: list[Entry]) -> None:
        self.entries = entries
        self.by_kind: dict[str, list[Entry]] = {k: [] for k in KINDS}
        self.by_name: dict[str, dict[str, Entry]] = {k: {} for k in KINDS}
        self.by_uuid: dict[str, Entry] = {}
        self.by_path: dict[str, Entry] = {}
        self._by_file: dict[tuple[str, str], Entry] | None = None
        datasets = self.by_kind["dataset"]
        for e in entries:
            self.by_path[e.path] = e
            if e.kind == "dataset":
                datasets.append(e)
                # From the data, which holds the uuid as the model does: no model made.
                self.by_uuid.setdefault(e.data["uuid"], e)
                continue
            self.by_kind[e.kind].append(e)
            name = getattr(e.model, "name", None)
            if isinstance(name, str):
                self.by_name[e.kind].setdefault(name, e)
            uid = getattr(e.model, "uuid", None)
            if isinstance(uid, str):
                self.by_uuid.setdefault(uid, e)

    @property
    def by_file(self) -> dict[tuple[str, str], Entry]:
        """(repository, relative_path) → the dataset with that copy (made on first use)."""
        if self._by_file is None:
            self._by_file = {}
            for e in self.by_kind["dataset"]:
                for fr in e.data.get("file_records") or ():
                    self._by_file.setdefault((fr["repository"], fr["relative_path"]), e)
        return self._by_file

    def __len__(self) -> int:
        return len(self.entries)

    def __iter__(self) -> Iterator[Entry]:
        return iter(self.entries)

    def get(self, kind: str, name: str) -> Entry | None:
        """The record of ``kind`` called ``name`` (datasets: by uuid)."""
        if kind == "dataset":
            e = self.by_uuid.get(name)
            return e if e is not None and e.kind == "dataset" else None
        return self.by_name[kind].get(name)

    def names(self, kind: str) -> list[str]:
        """Sorted names of the records of ``kind``."""
        return sorted(self.by_name[kind])

    def models(self, model: type[M]) -> list[M]:
        """All models of one kind, typed."""
        return [e.model for e in self.by_kind[model.KIND]]  # type: ignore[misc]

    def named_files(self) -> set[tuple[str, str]]:
        """Every (repository, relative_path) some record names: dataset file records, stored
        block outputs, training updates and aggregated models."""
        named = set(self.by_file)
        for x in self.models(Experiment):
            for b in x.blocks:
                for o in b.outputs:
                    repo = o.repository or x.repository
                    if repo and o.relative_path:
                        named.add((repo, o.relative_path))
        for t in self.models(Training):
            if not t.repository:
                continue
            for r in t.rounds:
                if r.aggregated_path:
                    named.add((t.repository, r.aggregated_path))
                named.update((t.repository, u.path) for u in r.updates if u.path)
        return named

    def counts(self) -> dict[str, int]:
        """Number of records per kind."""
        return {k: len(v) for k, v in self.by_kind.items()}
