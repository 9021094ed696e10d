"""What a worker reports about one job: the body of ``POST /api/v1/reports``.

The JSON Schema of ``Report`` is generated into ``catalog/schemas/report.schema.json`` by
``catalog schemas``, so workers in any language can build a valid report.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from catalog.models.base import DateTime, Hash, HashAlgorithm, Name, Slug

JobKind = Literal["block", "training-round", "replication"]
ReportStatus = Literal["done", "failed", "timed_out", "cancelled"]

JOB_ID_PATTERN = r"^(block|round|copy):[^\x00-\x1f\x7f]{1,400}$"


class _Part(BaseModel):
    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)


class Metrics(_Part):
    """What running the job cost, measured by the worker."""

    queuing_s: float | None = Field(default=None, ge=0)
    """Seconds between being queued and starting."""
    linear_execution_s: float | None = Field(default=None, ge=0)
    """Wall-clock seconds of the run."""
    cpu_s: float | None = Field(default=None, ge=0)
    """CPU seconds (user + system) of the command and the children it waited for."""
    max_memory_bytes: int | None = Field(default=None, ge=0)
    """Peak resident memory of the command (its largest process)."""
    data_read_bytes: int | None = Field(default=None, ge=0)
    """Bytes the command read through system calls (/proc/<pid>/io rchar) where available,
    else the size of its staged inputs."""
    data_written_bytes: int | None = Field(default=None, ge=0)
    """Bytes the command wrote through system calls (/proc/<pid>/io wchar) where available,
    else the size of its outputs."""
    started: DateTime | None = None
    """When the run started (UTC, ISO 8601)."""
    finished: DateTime | None = None
    """When the run finished (UTC, ISO 8601)."""


class OutputFile(_Part):
    """One output file, hashed and stored in a repository."""

    name: Slug
    """Output name (a block output, 'model' for an aggregated round, or the dataset uuid)."""
    repository: Name | None = None
    """Repository the file was written to; empty when it was not stored."""
    relative_path: str | None = Field(default=None, min_length=1, max_length=1024)
    """Path of the file in that repository."""
    hash: Hash
    """Checksum of the file."""
    hash_algorithm: HashAlgorithm = HashAlgorithm.sha256
    """Algorithm of `hash`."""
    file_size: int = Field(ge=0)
    """Size in bytes."""


class UpdateInfo(_Part):
    """A participant's model update for a training round."""

    participant: Name
    """Worker that trained the update."""
    num_samples: int | None = Field(default=None, ge=0)
    """Training samples behind the update (its FedAvg weight)."""
    hash: Hash | None = None
    """Checksum of the weights file."""
    path: str | None = Field(default=None, min_length=1, max_length=1024)
    """Where the weights file is, relative to the training's repository."""


class Report(_Part):
    """The outcome of one job, as a worker reports it."""

    model_config = ConfigDict(title="catalog job report")

    job_id: str = Field(pattern=JOB_ID_PATTERN, max_length=405)
    """Job identity, e.g. 'block:<experiment>/<block>' or 'round:<training>/<n>'."""
    attempt: int = Field(1, ge=1, le=100)
    """1 for the first run of the job, 2 for its retry, …"""
    kind: JobKind
    """block, training-round or replication."""
    status: ReportStatus
    """done, failed, timed_out or cancelled."""
    experiment: Name | None = None
    """Experiment of a block job."""
    block: Name | None = None
    """Block of a block job."""
    training: Name | None = None
    """Training of a training-round job."""
    round: int | None = Field(default=None, ge=0)
    """Round number of a training-round job."""
    dataset: str | None = None
    """Dataset uuid of a replication job."""
    cache_key: Hash | None = None
    """Content hash of code, environment, parameters and inputs the job ran with."""
    from_cache: bool = False
    """Outputs and results were reused from an identical earlier run, nothing ran."""
    metrics: Metrics = Field(default_factory=Metrics)
    """Costs of the run."""
    outputs: list[OutputFile] = []
    """Files the job produced (none unless status is done)."""
    results: dict[str, Any] = {}
    """Typed result values by name."""
    stdout: str = Field("", max_length=65536)
    """Excerpt (head and tail) of standard output; the whole log stays on the worker."""
    stderr: str = Field("", max_length=65536)
    """Excerpt (head and tail) of standard error."""
    error_report: str = Field("", max_length=65536)
    """Why the job failed, timed out or was cancelled."""
    update: UpdateInfo | None = None
    """A participant's model update (training-round reports from participants)."""

    @model_validator(mode="after")
    def _names_its_record(self) -> Report:
        if self.kind == "block" and (self.experiment is None or self.block is None):
            raise ValueError("a block report needs 'experiment' and 'block'")
        if self.kind == "training-round" and (self.training is None or self.round is None):
            raise ValueError("a training-round report needs 'training' and 'round'")
        if self.kind == "replication" and self.dataset is None:
            raise ValueError("a replication report needs 'dataset'")
        if self.status != "done" and self.outputs:
            raise ValueError("only a report with status 'done' may list outputs")
        return self


def report_schema() -> dict[str, Any]:
    """The JSON Schema (Draft 2020-12) of a report body."""
    schema = Report.model_json_schema(mode="validation")
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "report.schema.json",
        **schema,
    }
