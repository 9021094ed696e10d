"""Data-quality notices (Alyx DataNotice)."""

from __future__ import annotations

from enum import IntEnum
from typing import ClassVar, Literal

from pydantic import model_validator

from catalog.models.base import Date, Name, Part, RecordBase, Uuid


class Importance(IntEnum):
    """How much a notice matters."""

    INSIGNIFICANT = 20
    MINOR = 30
    MAJOR = 40
    CRITICAL = 50


ImportanceName = Literal["CRITICAL", "MAJOR", "MINOR", "INSIGNIFICANT"]


class DatasetSelector(Part):
    """Datasets chosen by their properties; all given conditions must hold."""

    dataset_types: list[Name] = []
    """Dataset type names (any of them)."""
    revisions: list[str] = []
    """Revision names (any of them)."""
    tags: list[Name] = []
    """Tag names (a dataset with any of them)."""
    collections: list[str] = []
    """Collections (any of them), e.g. alf/probe00."""
    created_from: Date | None = None
    """Datasets created on or after this date."""
    created_to: Date | None = None
    """Datasets created on or before this date."""


class Notice(RecordBase):
    """A notice about data quality that readers must see next to the data it affects."""

    KIND: ClassVar[str] = "notice"
    FOLDER: ClassVar[str] = "notices"

    kind: Literal["notice"]
    """Record kind; always 'notice'."""
    name: Name
    """Unique name of the notice."""
    title: str = ""
    """One-line summary shown in lists and banners."""
    description: str = ""
    """The notice itself, in Markdown."""
    importance: ImportanceName
    """CRITICAL (50), MAJOR (40), MINOR (30) or INSIGNIFICANT (20)."""
    datasets: list[Uuid] = []
    """UUIDs of datasets the notice affects."""
    selector: DatasetSelector | None = None
    """Properties of further datasets the notice affects."""
    version_affected: str | None = None
    """Software versions affected, e.g. '<1.4.2'."""
    affected_from: Date | None = None
    """First date of data affected."""
    affected_to: Date | None = None
    """Last date of data affected."""
    created_by: str | None = None
    """Who wrote the notice."""
    created: Date | None = None
    """Date the notice was written."""

    @model_validator(mode="after")
    def _targets(self) -> Notice:
        if not self.datasets and self.selector is None:
            raise ValueError("a notice needs 'datasets' (UUIDs) or a 'selector', or both")
        return self
