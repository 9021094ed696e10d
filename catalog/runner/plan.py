"""Planning: the jobs that are ready, worked out from the loaded records (no IO).

A job is derived, never stored: a pending experiment block whose upstream blocks are done
and whose input datasets have a verified copy, a training round whose participants have
all sent their updates, or a dataset copy recorded missing that can be made from a verified
one (``runner/copyplan.py``). Blocks whose
cache key matches an earlier run with outputs that still verify become ``cache`` jobs (done
without running); pending blocks behind a failed one become ``cancel`` jobs. Each job carries a
JSON-serializable ``spec`` that the worker entry point runs.

Whether a file copy "verifies" is a question for storage, so the caller passes
``verified`` (see ``runner/inputs.py``); without it the records' ``exists`` flags and
recorded checksums are trusted.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from catalog.checks.graph import block_graph, execution_order
from catalog.models import Dataset, Experiment, Repository
from catalog.models.experiments import Block
from catalog.problems import Problem
from catalog.records import Entry, Records
from catalog.runner import cachekey, copyplan, trainplan
from catalog.runner.jobs import (
    SPEC_VERSION,
    Action,
    FileRef,
    Job,
    Plan,
    PlanError,
    Verifier,
    block_job_id,
    context,
    trust_records,
)
from catalog.runner.status import SETTLED_BAD
from catalog.runner.structure import structure_problems

__all__ = ["Job", "Plan", "PlanError", "make_plan", "plan"]


@dataclass(frozen=True)
class Options:
    """What the caller decides about a planning pass."""

    verified: Verifier = trust_records
    force: bool = False
    experiments: Collection[str] | None = None
    exclude: Collection[str] = ()
    root: Path | None = None
    runs_dir: Path | None = None
    replicate_to: Collection[str] | None = None


def plan(
    records: Records,
    *,
    verified: Verifier | None = None,
    force: bool = False,
    experiments: Collection[str] | None = None,
    exclude: Collection[str] = (),
    root: Path | None = None,
    runs_dir: Path | None = None,
    replicate_to: Collection[str] | None = None,
) -> list[Job]:
    """The jobs that are ready now (see ``make_plan`` for the reasons others wait)."""
    return make_plan(
        records,
        verified=verified,
        force=force,
        experiments=experiments,
        exclude=exclude,
        root=root,
        runs_dir=runs_dir,
        replicate_to=replicate_to,
    ).jobs


def make_plan(
    records: Records,
    *,
    verified: Verifier | None = None,
    force: bool = False,
    experiments: Collection[str] | None = None,
    exclude: Collection[str] = (),
    root: Path | None = None,
    runs_dir: Path | None = None,
    replicate_to: Collection[str] | None = None,
) -> Plan:
    """Plan every experiment block, training round and missing copy; PlanError on broken records.

    ``force`` ignores the cache and re-runs done blocks (except job ids in ``exclude``,
    which are never planned: they already ran in this session). ``experiments`` limits
    the plan to those experiments (and skips trainings and copies). ``replicate_to`` limits
    the repositories copies are made into (None: every writable one).
    """
    opts = Options(
        verified or trust_records, force, experiments, exclude, root, runs_dir, replicate_to
    )
    out = Plan()
    problems: list[Problem] = []
    cache = _CacheIndex(records, opts.verified) if not force else None
    for entry in sorted(records.by_kind["experiment"], key=lambda e: e.path):
        x = entry.model
        assert isinstance(x, Experiment)
        if experiments is not None and x.name not in experiments:
            continue
        problems += _plan_experiment(records, entry, x, cache, opts, out)
    if problems:
        raise PlanError(problems)
    if experiments is None:
        ctx = context(opts.root, opts.runs_dir)
        for entry in sorted(records.by_kind["training"], key=lambda e: e.path):
            trainplan.plan_training(records, entry, opts.verified, ctx, out)
        copyplan.plan_copies(records, opts.verified, ctx, out, replicate_to)
    out.jobs = [j for j in out.jobs if j.id not in exclude]
    return out


@dataclass(frozen=True)
class _Cached:
    source: str
    outputs: list[dict[str, Any]]
    results: dict[str, Any]


def _stored_outputs(x: Experiment, b: Block, verified: Verifier) -> list[dict[str, Any]] | None:
    """A done block's recorded outputs, if every one is stored and still verifies."""
    out = []
    for o in b.outputs:
        repo = o.repository or x.repository
        if repo is None or o.relative_path is None or o.hash is None or o.file_size is None:
            return None
        ref = FileRef(repo, o.relative_path, o.hash, o.hash_algorithm.value, o.file_size)
        if not verified(ref):
            return None
        out.append(
            {
                "name": o.name,
                "repository": repo,
                "relative_path": o.relative_path,
                "hash": o.hash,
                "hash_algorithm": o.hash_algorithm.value,
                "file_size": o.file_size,
            }
        )
    return out


class _CacheIndex:
    """cache key → earlier done runs; their outputs are verified only when a key is asked for."""

    def __init__(self, records: Records, verified: Verifier) -> None:
        self.verified = verified
        self.runs: dict[str, list[tuple[Experiment, Block]]] = {}
        for entry in sorted(records.by_kind["experiment"], key=lambda e: e.path):
            x = entry.model
            assert isinstance(x, Experiment)
            for b in x.blocks:
                if b.status == "done" and b.cache_key is not None:
                    self.runs.setdefault(b.cache_key, []).append((x, b))

    def get(self, key: str) -> _Cached | None:
        """The first earlier run with this key whose stored outputs still verify."""
        for x, b in self.runs.get(key, []):
            outputs = _stored_outputs(x, b, self.verified)
            if outputs is not None:
                results = {r.name: r.value for r in x.results if r.block == b.name}
                return _Cached(block_job_id(x.name, b.name), outputs, results)
        return None


def dataset_input(
    records: Records, uuid: str, verified: Verifier
) -> tuple[dict[str, Any] | None, str]:
    """The best verified copy of a dataset as a spec input, or why there is none."""
    entry = records.get("dataset", uuid)
    if entry is None:
        return None, f"dataset {uuid} is not in the catalog"
    d = entry.model
    assert isinstance(d, Dataset)
    candidates = []
    for fr in d.file_records:
        repo_entry = records.get("repository", fr.repository)
        if not fr.exists or repo_entry is None:
            continue
        repo = repo_entry.model
        assert isinstance(repo, Repository)
        if repo.offline:
            continue
        # Shared before personal repositories; local folders before remote stores.
        candidates.append(((repo.personal, repo.type.value != "local"), fr, repo_entry))
    candidates.sort(key=lambda c: c[0])
    for _, fr, repo_entry in candidates:
        ref = FileRef(fr.repository, fr.relative_path, d.hash, d.hash_algorithm.value, d.file_size)
        if verified(ref):
            return {
                "repository": repo_entry.data,
                "relative_path": fr.relative_path,
                "hash": d.hash,
                "hash_algorithm": d.hash_algorithm.value,
                "file_size": d.file_size,
            }, ""
    return None, f"no verified copy of dataset '{d.key()}' yet"


def _plan_experiment(
    records: Records,
    entry: Entry,
    x: Experiment,
    cache: _CacheIndex | None,
    opts: Options,
    out: Plan,
) -> list[Problem]:
    problems = structure_problems(entry, x)
    if problems:
        return problems
    blocks = {b.name: b for b in x.blocks}
    graph = block_graph(x)
    # A forced run treats done blocks as pending until they ran again in this session.
    rerun = {
        b.name
        for b in x.blocks
        if opts.force and b.status == "done" and block_job_id(x.name, b.name) not in opts.exclude
    }
    state = {b.name: "pending" if b.name in rerun else b.status.value for b in x.blocks}
    for name in execution_order(x):
        b = blocks[name]
        job_id = block_job_id(x.name, name)
        if state[name] == "done" and _stale(records, x, b, opts.verified):
            state[name] = "pending"  # its definition or inputs changed since it ran
        if state[name] != "pending":
            continue
        bad = sorted(u for u in graph[name] if state[u] in SETTLED_BAD)
        if x.status == "cancelling" or bad:
            why = "the experiment is being cancelled" if not bad else f"block '{bad[0]}' failed"
            out.jobs.append(_block_job(records, x, b, None, {}, "cancel", opts, why))
            state[name] = "cancelled"  # its own dependents are cancelled in this pass too
            continue
        waiting_for = sorted(u for u in graph[name] if state[u] != "done")
        if waiting_for:
            out.waiting[job_id] = f"waiting for block '{waiting_for[0]}'"
            continue
        inputs, why = block_inputs(records, x, b, opts.verified)
        if inputs is None:
            out.waiting[job_id] = why
            continue
        key = block_key(b, inputs)
        hit = cache.get(key) if key is not None and cache is not None else None
        if hit is not None:
            out.jobs.append(_block_job(records, x, b, key, inputs, "cache", opts, hit))
        else:
            out.jobs.append(_block_job(records, x, b, key, inputs, "run", opts, None))
    return []


def block_inputs(
    records: Records, x: Experiment, b: Block, verified: Verifier
) -> tuple[dict[str, dict[str, Any]] | None, str]:
    """Spec inputs by name, or None and why one is not ready."""
    blocks = {blk.name: blk for blk in x.blocks}
    inputs: dict[str, dict[str, Any]] = {}
    for inp in b.inputs:
        if inp.dataset is not None:
            found, why = dataset_input(records, inp.dataset, verified)
            if found is None:
                return None, why
            inputs[inp.name] = found
            continue
        assert inp.block is not None
        src = blocks[inp.block]
        stored = _stored_outputs(x, src, verified)
        match = [o for o in stored or [] if o["name"] == inp.output]
        if not match:
            return None, f"output '{inp.output}' of block '{inp.block}' is not stored or verified"
        repo = records.get("repository", match[0]["repository"])
        if repo is None:
            return None, f"repository '{match[0]['repository']}' is not in the catalog"
        inputs[inp.name] = {**match[0], "repository": repo.data}
    return inputs, ""


def block_key(b: Block, inputs: dict[str, dict[str, Any]]) -> str | None:
    digests = {}
    for name, spec in inputs.items():
        if spec.get("hash") is None:
            return None  # an input without a checksum: the result cannot be cached
        digests[name] = cachekey.input_digest(spec["hash_algorithm"], spec["hash"])
    return cachekey.cache_key(b, digests)


def _stale(records: Records, x: Experiment, b: Block, verified: Verifier) -> bool:
    """A done block whose definition or inputs changed since its recorded run."""
    if b.cache_key is None:
        return False
    inputs, _ = block_inputs(records, x, b, verified)
    if inputs is None:
        return False
    key = block_key(b, inputs)
    return key is not None and key != b.cache_key


def _block_job(
    records: Records,
    x: Experiment,
    b: Block,
    key: str | None,
    inputs: dict[str, dict[str, Any]],
    action: Action,
    opts: Options,
    detail: _Cached | str | None,
) -> Job:
    def repo_data(name: str | None) -> dict[str, Any] | None:
        entry = records.get("repository", name) if name else None
        return entry.data if entry is not None else None

    spec: dict[str, Any] = {
        "version": SPEC_VERSION,
        "job_id": block_job_id(x.name, b.name),
        "kind": "block",
        "attempt": 1,
        "action": action,
        "experiment": x.name,
        "block": b.name,
        "cache_key": key,
        "command": b.command,
        "algorithm": b.algorithm,
        "environment": b.environment,
        "parameters": b.parameters,
        "timeout_s": b.timeout_s,
        "inputs": [{"name": n, **spec} for n, spec in inputs.items()],
        "outputs": [
            {"name": o.name, "path": o.path, "repository": repo_data(o.repository or x.repository)}
            for o in b.outputs
        ],
        "results": [
            {"name": r.name, "type": r.type, "schema": r.schema_}
            for r in x.results
            if r.block in (None, b.name)
        ],
        **context(opts.root, opts.runs_dir),
    }
    if isinstance(detail, _Cached):
        spec["cached"] = {"source": detail.source, "outputs": detail.outputs}
        spec["cached"]["results"] = detail.results
    elif isinstance(detail, str):
        spec["reason"] = detail
    return Job(
        id=spec["job_id"],
        kind="block",
        queue=b.queue,
        slots=b.slots,
        memory_mb=b.memory_mb,
        timeout_s=b.timeout_s,
        experiment=x.name,
        block=b.name,
        cache_key=key,
        action=action,
        spec=spec,
    )
