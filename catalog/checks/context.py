"""What checking one record needs to know about the rest of the catalog.

Checks look at one record at a time against a Context: the names of every record of the
small kinds (repositories, types, formats, tags, revisions, experiments, workers...), the
uuids of the datasets, the dataset-type matcher and the metadata schemas. Datasets are the
bulk of a large catalog and nothing in the context depends on one dataset except its uuid,
so after editing a dataset only that dataset needs checking again.
"""

from __future__ import annotations

from collections.abc import Iterable, Set
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from catalog import alf
from catalog.models import DataFormat, DatasetType, Experiment

if TYPE_CHECKING:
    from jsonschema.protocols import Validator

    from catalog.records import Entry, Records


@dataclass(slots=True)
class Context:
    """The catalog as seen by a check of one record."""

    names: dict[str, list[str]]
    """kind → sorted names of its valid records (every kind but datasets)."""
    dataset_uuids: Set[str]
    """uuids of every valid dataset."""
    experiments: dict[str, Experiment] = field(default_factory=dict)
    """Experiments by name (the first of a name)."""
    formats: dict[str, DataFormat] = field(default_factory=dict)
    """Data formats by name."""
    type_names: list[tuple[str, str]] = field(default_factory=list)
    """(name, filename_pattern) of every dataset type."""
    metadata_schemas: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Dataset type name → its metadata JSON Schema (types that have one)."""
    alf_naming: bool = False
    """Whether catalog.yaml asks for ALF naming."""
    name_sets: dict[str, frozenset[str]] = field(default_factory=dict)
    _matcher: alf.TypeMatcher | None = None
    _validators: dict[str, Validator | None] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.name_sets = {k: frozenset(v) for k, v in self.names.items()}

    @classmethod
    def build(
        cls, entries: Iterable[Entry], dataset_uuids: Set[str], *, alf_naming: bool = False
    ) -> Context:
        """A context from the valid records of every kind but datasets, and dataset uuids."""
        from catalog.models import KINDS

        names: dict[str, set[str]] = {k: set() for k in KINDS if k != "dataset"}
        ctx = cls(names={}, dataset_uuids=dataset_uuids, alf_naming=alf_naming)
        for e in entries:
            m = e.model
            if e.kind == "dataset":
                continue
            names[e.kind].add(str(getattr(m, "name", "")))
            if isinstance(m, Experiment):
                ctx.experiments.setdefault(m.name, m)
            elif isinstance(m, DataFormat):
                ctx.formats.setdefault(m.name, m)
            elif isinstance(m, DatasetType):
                ctx.type_names.append((m.name, m.filename_pattern))
                if m.metadata_schema is not None:
                    ctx.metadata_schemas.setdefault(m.name, m.metadata_schema)
        ctx.names = {k: sorted(v) for k, v in names.items()}
        ctx.name_sets = {k: frozenset(v) for k, v in names.items()}
        return ctx

    @classmethod
    def of(cls, records: Records, *, alf_naming: bool = False) -> Context:
        """The context of a fully loaded catalog."""
        uuids = {
            e.model.uuid  # type: ignore[attr-defined]
            for e in records.by_kind["dataset"]
        }
        return cls.build(records, uuids, alf_naming=alf_naming)

    @property
    def matcher(self) -> alf.TypeMatcher:
        """Which dataset types a file name belongs to."""
        if self._matcher is None:
            self._matcher = alf.TypeMatcher(self.type_names)
        return self._matcher

    def validator(self, type_name: str) -> Validator | None:
        """A format-checking JSON Schema validator for a type's metadata, or None."""
        schema = self.metadata_schemas.get(type_name)
        if schema is None:
            return None
        if type_name not in self._validators:
            from catalog.checks.metadata import make_validator

            # None for an invalid schema: the dataset type's own check reports it.
            self._validators[type_name] = make_validator(schema)
        return self._validators[type_name]
