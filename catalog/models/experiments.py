"""Experiments: blocks of work over datasets, their outputs and results (BEAT)."""

from __future__ import annotations

from enum import StrEnum
from typing import Any, ClassVar, Literal

from pydantic import Field, model_validator

from catalog.models.base import DateTime, Hash, HashAlgorithm, Name, Part, RecordBase, Slug, Uuid


class ExperimentStatus(StrEnum):
    """Where an experiment stands; it follows its blocks."""

    pending = "pending"
    scheduled = "scheduled"
    running = "running"
    done = "done"
    failed = "failed"
    cancelling = "cancelling"


class BlockStatus(StrEnum):
    """Where one block stands."""

    pending = "pending"
    processing = "processing"
    done = "done"
    failed = "failed"
    cancelled = "cancelled"


class BlockInput(Part):
    """One input of a block: a dataset, or an output of another block."""

    name: Slug
    """Name the block's command sees this input under."""
    dataset: Uuid | None = None
    """UUID of an input dataset."""
    block: Name | None = None
    """Name of another block of the same experiment whose output this is."""
    output: Slug | None = None
    """Name of that block's output (with `block`)."""

    @model_validator(mode="after")
    def _one_source(self) -> BlockInput:
        if (self.dataset is None) == (self.block is None):
            raise ValueError("an input needs exactly one of 'dataset' or 'block'")
        if self.block is not None and self.output is None:
            raise ValueError("an input from a block needs 'output'")
        return self


class BlockOutput(Part):
    """One output file of a block, and once computed its cached copy."""

    name: Slug
    """Output name, referenced by other blocks' inputs."""
    path: str = Field(min_length=1)
    """Path of the file the command writes, relative to its working directory."""
    repository: Name | None = None
    """Repository where the output is cached; the experiment's default when empty."""
    relative_path: str | None = None
    """Where the cached copy is in the repository (set when it is stored)."""
    hash: Hash | None = None
    """Checksum of the cached output."""
    hash_algorithm: HashAlgorithm = Field(HashAlgorithm.sha256, strict=False)
    """Algorithm of `hash`."""
    file_size: int | None = Field(None, ge=0)
    """Size of the cached output in bytes."""


class Timings(Part):
    """What running a block cost."""

    queuing_s: float | None = Field(None, ge=0)
    """Seconds between being queued and starting."""
    linear_execution_s: float | None = Field(None, ge=0)
    """Wall-clock seconds of the run."""
    cpu_s: float | None = Field(None, ge=0)
    """CPU seconds used (user + system)."""
    max_memory_bytes: int | None = Field(None, ge=0)
    """Peak resident memory."""
    data_read_bytes: int | None = Field(None, ge=0)
    """Bytes of input read."""
    data_written_bytes: int | None = Field(None, ge=0)
    """Bytes of output written."""
    started: DateTime | None = None
    """When the run started."""
    finished: DateTime | None = None
    """When the run finished."""


class Block(Part):
    """One step of an experiment: a command over inputs producing outputs."""

    name: Name
    """Block name, unique within the experiment."""
    command: list[str] | None = None
    """Program and arguments to run, e.g. [python, -m, lab.filter]."""
    algorithm: str | None = None
    """Name of a registered algorithm, instead of a command."""
    algorithm_version: str | None = None
    """Version of the algorithm or code, part of the cache key."""
    environment: str | None = None
    """Software environment, e.g. a container image or a conda env name."""
    parameters: dict[str, Any] = {}
    """Parameters passed to the command, part of the cache key."""
    inputs: list[BlockInput] = []
    """Inputs: datasets and other blocks' outputs."""
    outputs: list[BlockOutput] = []
    """Files the block produces."""
    queue: Slug = "default"
    """Queue whose workers may run the block."""
    slots: int = Field(1, ge=1)
    """Slots (cores) the block needs."""
    memory_mb: int | None = Field(None, ge=1)
    """Memory the block needs, in MiB."""
    timeout_s: float | None = Field(None, gt=0)
    """Time limit; the run is killed and marked timed out after it."""
    status: BlockStatus = Field(BlockStatus.pending, strict=False)
    """pending, processing, done, failed or cancelled."""
    cache_key: Hash | None = None
    """Content hash of command, environment, parameters and inputs of the last run."""
    from_cache: bool = False
    """The outputs were reused from an earlier identical run."""
    timings: Timings | None = None
    """Costs of the last run."""
    stdout: str = ""
    """Excerpt of standard output of the last run."""
    stderr: str = ""
    """Excerpt of standard error of the last run."""
    error_report: str = ""
    """Why the last run failed."""

    @model_validator(mode="after")
    def _runs_something(self) -> Block:
        if (self.command is None) == (self.algorithm is None):
            raise ValueError("a block needs exactly one of 'command' or 'algorithm'")
        return self


ResultType = Literal["int32", "float32", "bool", "string", "schema"]


class Result(Part):
    """A named result value of an experiment."""

    name: Slug
    """Result name."""
    type: ResultType
    """int32, float32, bool, string, or schema (validated by `schema`)."""
    schema_: dict[str, Any] | None = Field(None, alias="schema")
    """JSON Schema of the value when type is 'schema'."""
    primary: bool = False
    """A primary result is shown first."""
    block: Name | None = None
    """Block that produced the result."""
    value: Any = None
    """The value, once computed."""


class Experiment(RecordBase):
    """An experiment: blocks that run over datasets, and the results they produce."""

    KIND: ClassVar[str] = "experiment"
    FOLDER: ClassVar[str] = "experiments"

    kind: Literal["experiment"]
    """Record kind; always 'experiment'."""
    name: Name
    """Unique experiment name."""
    author: str = ""
    """Who designed the experiment."""
    description: str = ""
    """What the experiment does (Markdown)."""
    status: ExperimentStatus = Field(ExperimentStatus.pending, strict=False)
    """pending, scheduled, running, done, failed or cancelling."""
    repository: Name | None = None
    """Default repository where block outputs are cached."""
    blocks: list[Block] = Field(min_length=1)
    """The steps of the experiment."""
    results: list[Result] = []
    """Named results."""
    datasets: list[Uuid] = []
    """Datasets registered from this experiment's outputs."""
