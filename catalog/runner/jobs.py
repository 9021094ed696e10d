"""The vocabulary of planning: jobs, plans, file references and the verifier callback."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from catalog.errors import CatalogError
from catalog.problems import Problem, render_text

SPEC_VERSION = 1
"""Version of the job spec format the worker entry point reads."""

Action = Literal["run", "cache", "cancel"]
JobKind = Literal["block", "training-round", "replication"]


@dataclass(frozen=True)
class Job:
    """One unit of work derived from records, with the spec the worker entry point runs."""

    id: str
    kind: JobKind
    queue: str = "default"
    slots: int = 1
    memory_mb: int | None = None
    timeout_s: float | None = None
    experiment: str | None = None
    block: str | None = None
    training: str | None = None
    round: int | None = None
    dataset: str | None = None
    repository: str | None = None
    cache_key: str | None = None
    action: Action = "run"
    """run it; ``cache``: done from an identical earlier run; ``cancel``: settled unrun."""
    spec: dict[str, Any] = field(default_factory=dict, compare=False)


@dataclass
class Plan:
    """Jobs that are ready, and why the others are not (job id → reason)."""

    jobs: list[Job] = field(default_factory=list)
    waiting: dict[str, str] = field(default_factory=dict)


class PlanError(CatalogError):
    """Records the planner cannot turn into jobs (cycles, unknown blocks, unsafe paths)."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("cannot plan jobs:\n" + render_text(problems))


@dataclass(frozen=True, slots=True)
class FileRef:
    """One copy of a file the plan depends on: where it is and what it should hash to."""

    repository: str
    relative_path: str
    hash: str | None = None
    hash_algorithm: str = "sha256"
    file_size: int | None = None


Verifier = Callable[[FileRef], bool]
"""Answers whether a copy is there with its recorded size and checksum."""


def trust_records(ref: FileRef) -> bool:
    """The default verifier: what the records say (``exists``, recorded hashes) is true."""
    return True


def block_job_id(experiment: str, block: str) -> str:
    """``block:<experiment>/<block>``."""
    return f"block:{experiment}/{block}"


def round_job_id(training: str, number: int) -> str:
    """``round:<training>/<number>``."""
    return f"round:{training}/{number}"


def copy_job_id(repository: str, dataset: str) -> str:
    """``copy:<repository>/<dataset uuid>``: the copy of a dataset a repository misses."""
    return f"copy:{repository}/{dataset}"


def context(root: Path | None, runs_dir: Path | None) -> dict[str, Any]:
    """Where a local worker finds the catalog and keeps its runs (None: decided at run)."""
    return {
        "root": str(root) if root is not None else None,
        "runs_dir": str(runs_dir) if runs_dir is not None else None,
    }
