"""Federated ML trainings: a model trained over rounds of participants' updates."""

from __future__ import annotations

from enum import StrEnum
from typing import Any, ClassVar, Literal

from pydantic import Field

from catalog.models.base import DateTime, Hash, Name, Part, RecordBase, Uuid


class TrainingState(StrEnum):
    """Where a training stands."""

    initial = "initial"
    ongoing = "ongoing"
    completed = "completed"
    error = "error"
    swag_round = "swag_round"


class AggregationMethod(StrEnum):
    """How participants' updates are combined."""

    FedAvg = "FedAvg"
    FedDC = "FedDC"
    FedProx = "FedProx"


class UncertaintyMethod(StrEnum):
    """How the model's uncertainty is estimated."""

    NONE = "NONE"
    ENSEMBLE = "ENSEMBLE"
    MC_DROPOUT = "MC_DROPOUT"
    SWAG = "SWAG"


class Update(Part):
    """One participant's model update in a round."""

    participant: Name
    """Worker that sent the update."""
    received: DateTime | None = None
    """When it arrived."""
    num_samples: int | None = Field(None, ge=0)
    """Training samples behind the update (FedAvg weights)."""
    hash: Hash | None = None
    """Checksum of the update's weights file."""
    path: str | None = None
    """Where the weights file is, relative to the training's repository."""


class Round(Part):
    """One aggregation round."""

    number: int = Field(ge=0)
    """Round number, from 0."""
    updates: list[Update] = []
    """Updates received in this round."""
    aggregated_hash: Hash | None = None
    """Checksum of the aggregated model of this round."""
    aggregated_path: str | None = None
    """Where the aggregated model is stored."""
    finished: DateTime | None = None
    """When the round was aggregated."""


class Training(RecordBase):
    """A federated training of a model."""

    KIND: ClassVar[str] = "training"
    FOLDER: ClassVar[str] = "trainings"

    kind: Literal["training"]
    """Record kind; always 'training'."""
    uuid: Uuid
    """Unique identifier."""
    name: Name
    """Unique training name."""
    description: str = ""
    """What is trained, on what (Markdown)."""
    model: str = Field(min_length=1)
    """Model being trained, e.g. an architecture name."""
    actor: str = Field(min_length=1)
    """Who started the training."""
    participants: list[Name] = []
    """Workers that contribute updates."""
    state: TrainingState = Field(TrainingState.initial, strict=False)
    """initial, ongoing, completed, error or swag_round."""
    num_updates: int = Field(ge=1)
    """Updates requested when the training was created."""
    target_num_updates: int = Field(ge=1)
    """Updates to reach: num_updates, times options.daisy_chain_period when that is > 0."""
    aggregation_method: AggregationMethod = Field(AggregationMethod.FedAvg, strict=False)
    """FedAvg, FedDC or FedProx."""
    uncertainty_method: UncertaintyMethod = Field(UncertaintyMethod.NONE, strict=False)
    """NONE, ENSEMBLE, MC_DROPOUT or SWAG."""
    options: dict[str, Any] = {}
    """Training options, e.g. daisy_chain_period, learning_rate."""
    locked: bool = False
    """A locked training accepts no new rounds."""
    repository: Name | None = None
    """Repository where weights files are stored."""
    last_update: DateTime | None = None
    """When the last update or round was recorded."""
    rounds: list[Round] = []
    """Rounds reported so far."""
    datasets: list[Uuid] = []
    """Datasets the training uses."""

    def expected_target(self) -> int:
        """target_num_updates as the reference server computes it on creation."""
        period = self.options.get("daisy_chain_period", 0)
        if isinstance(period, int) and not isinstance(period, bool) and period > 0:
            return self.num_updates * period
        return self.num_updates
