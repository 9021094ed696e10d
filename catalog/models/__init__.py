"""Record models, one module per family, and the registry of kinds."""

from __future__ import annotations

from catalog.models.base import HashAlgorithm, RecordBase
from catalog.models.data import (
    QC,
    DataFormat,
    Dataset,
    DatasetType,
    FileRecord,
    Provenance,
    Repository,
    RepositoryType,
    Revision,
    Tag,
)
from catalog.models.experiments import Block, BlockStatus, Experiment, ExperimentStatus, Result
from catalog.models.notices import DatasetSelector, Importance, Notice
from catalog.models.trainings import (
    AggregationMethod,
    Round,
    Training,
    TrainingState,
    UncertaintyMethod,
    Update,
)
from catalog.models.workers import PublicKey, Worker

MODELS: tuple[type[RecordBase], ...] = (
    Repository,
    DataFormat,
    DatasetType,
    Tag,
    Revision,
    Dataset,
    Notice,
    Experiment,
    Training,
    Worker,
)

KINDS: dict[str, type[RecordBase]] = {m.KIND: m for m in MODELS}
"""kind → model, in dependency order (what is referenced comes first)."""

FOLDERS: dict[str, str] = {m.FOLDER: m.KIND for m in MODELS}
"""folder under records/ → kind."""

__all__ = [
    "FOLDERS",
    "KINDS",
    "MODELS",
    "QC",
    "AggregationMethod",
    "Block",
    "BlockStatus",
    "DataFormat",
    "Dataset",
    "DatasetSelector",
    "DatasetType",
    "Experiment",
    "ExperimentStatus",
    "FileRecord",
    "HashAlgorithm",
    "Importance",
    "Notice",
    "Provenance",
    "PublicKey",
    "RecordBase",
    "Repository",
    "RepositoryType",
    "Result",
    "Revision",
    "Round",
    "Tag",
    "Training",
    "TrainingState",
    "UncertaintyMethod",
    "Update",
    "Worker",
]
