"""The worker entry point: run one job spec and produce its report.

``run_job(spec)`` (or ``catalog worker run JOBFILE``) runs a block's command in a fresh
working directory under ``<runs_dir>/<time>-<job>-a<attempt>/work``: inputs copied to
``inputs/<name>`` (and named in ``CATALOG_INPUT_<NAME>``), parameters in ``params.json``
and ``CATALOG_PARAMS``, the catalog root on ``PYTHONPATH`` and in ``CATALOG_ROOT``, and
``python`` meaning this interpreter. stdout and stderr are kept whole beside ``work/``; the
report carries excerpts. Outputs are hashed and stored in their repository; results are
typed. A training-round job aggregates the participants' weights instead; a replication
job copies one dataset file (``runner/copying.py``).

A job's own failure is a report, never an exception: failed, timed_out or cancelled, with
an ``error_report`` saying why.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from catalog.errors import CatalogError
from catalog.runner import copying, files, process, trainings
from catalog.runner.process import Outcome, excerpt
from catalog.runner.report import Metrics, OutputFile, Report
from catalog.runner.results import ResultError, read_results, typed_results

log = logging.getLogger(__name__)

EXCERPT_BYTES = 4096
"""Head and tail kept from each log in the report."""


class JobError(CatalogError):
    """Why a job failed before or after its command ran (inputs, outputs, results)."""


_CLEANER: ThreadPoolExecutor | None = None


def _cleaner() -> ThreadPoolExecutor:
    """One background thread per process that deletes finished working folders."""
    global _CLEANER
    if _CLEANER is None:
        _CLEANER = ThreadPoolExecutor(max_workers=1, thread_name_prefix="catalog-cleanup")
    return _CLEANER


def env_name(input_name: str) -> str:
    """``CATALOG_INPUT_<NAME>``: the name upper-cased, anything else than A-Z 0-9 → '_'."""
    return "CATALOG_INPUT_" + re.sub(r"[^A-Za-z0-9]", "_", input_name).upper()


def _slug(job_id: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", job_id)[:120]


def _root(spec: dict[str, Any], root: Path | None) -> Path:
    given = root or spec.get("root") or os.environ.get("CATALOG_ROOT") or "."
    return Path(given).resolve()


def _base(spec: dict[str, Any]) -> dict[str, Any]:
    keys = ("job_id", "attempt", "kind", "experiment", "block", "training", "round", "dataset")
    out = {k: spec.get(k) for k in keys if spec.get(k) is not None}
    out["cache_key"] = spec.get("cache_key")
    return out


def run_job(
    spec: dict[str, Any], *, root: Path | None = None, runs_dir: Path | None = None
) -> Report:
    """Run one job spec (from ``plan``) and return its report."""
    base = _base(spec)
    action = spec.get("action", "run")
    if action == "cache":
        cached = spec["cached"]
        return Report.model_validate(
            {
                **base,
                "status": "done",
                "from_cache": True,
                "outputs": cached["outputs"],
                "results": cached.get("results", {}),
                "stdout": f"reused the outputs of {cached['source']} (same cache key)",
            }
        )
    if action == "cancel":
        why = spec.get("reason", "cancelled")
        return Report.model_validate(
            {**base, "status": "cancelled", "error_report": f"not run: {why}"}
        )
    catalog_root = _root(spec, root)
    given = runs_dir or spec.get("runs_dir")
    runs = Path(given) if given else catalog_root / ".catalog" / "runs"
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
    # One flat folder per run (metadata operations are what a trivial job costs most).
    run_dir = runs / f"{stamp}-{_slug(spec['job_id'])}-a{spec.get('attempt', 1)}"
    queued_at = spec.get("queued_at")
    queuing = max(0.0, time.time() - queued_at) if isinstance(queued_at, int | float) else None
    try:
        if spec["kind"] == "block":
            report = _run_block(spec, catalog_root, run_dir)
        elif spec["kind"] == "training-round":
            report = _run_round(spec, catalog_root)
        elif spec["kind"] == "replication":
            report = copying.run_copy(spec, catalog_root, base)
        else:
            raise JobError(f"this worker cannot run {spec['kind']} jobs")
    except CatalogError as exc:
        report = Report.model_validate({**base, "status": "failed", "error_report": str(exc)})
    except Exception as exc:  # a fault of the runner itself: still a report, with the cause
        log.exception("job %s", spec.get("job_id"))
        report = Report.model_validate(
            {**base, "status": "failed", "error_report": f"{type(exc).__name__}: {exc}"}
        )
    if queuing is not None:
        report.metrics.queuing_s = round(queuing, 6)
    return report


def run_job_json(spec: dict[str, Any]) -> dict[str, Any]:
    """``run_job`` for process pools and Dask: a plain JSON-able dict crosses the boundary."""
    return run_job(spec).model_dump(mode="json")


def _command(spec: dict[str, Any]) -> list[str]:
    if spec.get("algorithm"):
        # A registered algorithm is a Python module of the catalog (or an installed package).
        return [sys.executable, "-m", str(spec["algorithm"])]
    argv = [str(a) for a in spec["command"]]
    if argv and argv[0] in ("python", "python3"):
        argv[0] = sys.executable
    return argv


def _environment(spec: dict[str, Any], root: Path, inputs: dict[str, Path]) -> dict[str, str]:
    env = dict(os.environ)
    path = env.get("PYTHONPATH")
    env["PYTHONPATH"] = str(root) + (os.pathsep + path if path else "")
    env["CATALOG_ROOT"] = str(root)
    env["CATALOG_PARAMS"] = json.dumps(spec.get("parameters") or {}, sort_keys=True)
    env["CATALOG_JOB_ID"] = spec["job_id"]
    if spec.get("environment"):
        env["CATALOG_ENVIRONMENT"] = str(spec["environment"])
    for name, p in inputs.items():
        env[env_name(name)] = str(p)
    return env


def _stage_inputs(spec: dict[str, Any], repos: files.Repositories, work: Path) -> dict[str, Path]:
    staged: dict[str, Path] = {}
    for inp in spec.get("inputs", []):
        dest = work / "inputs" / inp["name"]
        storage = repos.get(inp["repository"])
        try:
            files.stage(
                storage,
                inp["relative_path"],
                dest,
                algorithm=inp.get("hash_algorithm") or "sha256",
                expected_hash=inp.get("hash"),
                expected_size=inp.get("file_size"),
            )
        except (OSError, CatalogError) as exc:
            raise JobError(f"input '{inp['name']}' could not be staged: {exc}") from None
        staged[inp["name"]] = dest
    return staged


def _find_elsewhere(work: Path, declared: str) -> str:
    name = Path(declared).name
    found = [
        p.relative_to(work).as_posix()
        for p in work.rglob(name)
        if p.is_file() and "inputs" not in p.relative_to(work).parts[:1]
    ]
    return f" (a file '{found[0]}' exists; is the declared path right?)" if found else ""


def _collect_outputs(
    spec: dict[str, Any], repos: files.Repositories, work: Path
) -> list[OutputFile]:
    pending = []
    for out in spec.get("outputs", []):
        path = work / out["path"]
        if path.is_symlink():
            raise JobError(f"output '{out['name']}' at '{out['path']}' is a symlink; write a file")
        if not path.is_file():
            raise JobError(
                f"output '{out['name']}' was not written at its declared path "
                f"'{out['path']}'{_find_elsewhere(work, out['path'])}"
            )
        pending.append((out, path))
    stored: list[OutputFile] = []
    key = spec.get("cache_key")
    prefix = f"blocks/{key}" if key else f"runs/{uuid.uuid4().hex}"
    for out, path in pending:
        storage = repos.get(out["repository"])
        algorithm = str(out["repository"].get("hash_algorithm") or "sha256")
        digest, size = files.hash_file(path, algorithm)
        try:
            try:
                where = files.store(
                    storage,
                    f"{prefix}/{out['path']}",
                    algorithm=algorithm,
                    digest=digest,
                    size=size,
                    path=path,
                )
            except files.OtherContent:
                # Same inputs and code, other bytes (a command that is not deterministic):
                # the earlier output stays; this one goes beside it, named by its checksum.
                where = files.store(
                    storage,
                    f"{prefix}/{digest[:16]}/{out['path']}",
                    algorithm=algorithm,
                    digest=digest,
                    size=size,
                    path=path,
                )
        except (OSError, CatalogError) as exc:
            raise JobError(f"output '{out['name']}' could not be stored: {exc}") from None
        stored.append(
            OutputFile(
                name=out["name"],
                repository=where.repository,
                relative_path=where.relative_path,
                hash=where.hash,
                hash_algorithm=where.hash_algorithm,  # type: ignore[arg-type]
                file_size=where.file_size,
            )
        )
    return stored


def _metrics(o: Outcome, staged_bytes: int) -> Metrics:
    return Metrics(
        linear_execution_s=o.wall_s,
        cpu_s=o.cpu_s,
        max_memory_bytes=o.max_memory_bytes,
        data_read_bytes=o.read_bytes if o.read_bytes is not None else staged_bytes,
        data_written_bytes=o.written_bytes,
        started=o.started,
        finished=o.finished,
    )


def _failure(o: Outcome, timeout: float | None, stderr: str) -> str:
    if o.timed_out:
        return f"timed out: killed after the time limit of {timeout:g} s"
    if o.returncode < 0:
        import signal

        try:
            name = signal.Signals(-o.returncode).name
        except ValueError:
            name = f"signal {-o.returncode}"
        what = f"the command was killed by {name}"
    else:
        what = f"the command exited with status {o.returncode}"
    last = [line for line in stderr.strip().splitlines() if line.strip()][-5:]
    return what + (":\n" + "\n".join(last) if last else "")


def _run_block(spec: dict[str, Any], root: Path, run_dir: Path) -> Report:
    base = _base(spec)
    work = run_dir / "work"
    work.mkdir(parents=True)  # fresh: the folder name holds the time to the microsecond
    repos = files.Repositories(root)
    staged = _stage_inputs(spec, repos, work)
    staged_bytes = sum(p.stat().st_size for p in staged.values())
    (work / "params.json").write_text(
        json.dumps(spec.get("parameters") or {}, indent=2, sort_keys=True) + "\n"
    )
    timeout = spec.get("timeout_s")
    try:
        outcome = process.run_command(
            _command(spec),
            cwd=work,
            env=_environment(spec, root, staged),
            stdout=run_dir / "stdout.log",
            stderr=run_dir / "stderr.log",
            timeout_s=timeout,
        )
    except OSError as exc:
        raise JobError(f"the command could not be started: {exc.strerror or exc}") from None
    stdout = excerpt(run_dir / "stdout.log", EXCERPT_BYTES)
    stderr = excerpt(run_dir / "stderr.log", EXCERPT_BYTES)
    metrics = _metrics(outcome, staged_bytes)
    fields = {**base, "metrics": metrics, "stdout": stdout, "stderr": stderr}
    if outcome.timed_out or outcome.returncode != 0:
        status = "timed_out" if outcome.timed_out else "failed"
        return Report.model_validate(
            {**fields, "status": status, "error_report": _failure(outcome, timeout, stderr)}
        )
    try:
        results = typed_results(spec.get("results", []), read_results(work / "results.json"))
        outputs = _collect_outputs(spec, repos, work)
    except (ResultError, JobError) as exc:
        return Report.model_validate({**fields, "status": "failed", "error_report": str(exc)})
    written = sum(o.file_size for o in outputs)
    if metrics.data_written_bytes is None:
        metrics.data_written_bytes = written
    # The logs stay; the working copy of inputs and outputs is not needed any more. It is
    # deleted in the background, so this process can take its next job meanwhile.
    _cleaner().submit(shutil.rmtree, work, ignore_errors=True)
    return Report.model_validate(
        {**fields, "status": "done", "outputs": outputs, "results": results}
    )


def _run_round(spec: dict[str, Any], root: Path) -> Report:
    base = _base(spec)
    started = process.now_iso()
    t0, c0 = time.monotonic(), time.process_time()
    storage = files.Repositories(root).get(spec["repository"])
    updates = []
    read = 0
    for u in spec["updates"]:
        try:
            data = files.read_verified(storage, u["path"], u["hash_algorithm"], u.get("hash"))
        except (OSError, CatalogError) as exc:
            raise JobError(f"the update from '{u['participant']}' cannot be read: {exc}") from None
        read += len(data)
        updates.append(
            (u["participant"], trainings.load_weights(u["participant"], data), u.get("num_samples"))
        )
    model = trainings.to_npy(trainings.aggregate(spec["method"], updates))
    algorithm = str(spec["repository"].get("hash_algorithm") or "sha256")
    from catalog.sync.hashing import hash_bytes

    digest = hash_bytes(model, algorithm)
    stored = files.store(
        storage,
        f"{spec['output_dir']}/{digest[:16]}.npy",
        algorithm=algorithm,
        digest=digest,
        size=len(model),
        data=model,
    )
    metrics = Metrics(
        linear_execution_s=round(time.monotonic() - t0, 6),
        cpu_s=round(time.process_time() - c0, 6),
        data_read_bytes=read,
        data_written_bytes=len(model),
        started=started,
        finished=process.now_iso(),
    )
    output = OutputFile(
        name="model",
        repository=stored.repository,
        relative_path=stored.relative_path,
        hash=stored.hash,
        hash_algorithm=stored.hash_algorithm,  # type: ignore[arg-type]
        file_size=stored.file_size,
    )
    return Report.model_validate(
        {
            **base,
            "status": "done",
            "metrics": metrics,
            "outputs": [output],
            "stdout": f"{spec['method']} over {len(updates)} update(s)",
        }
    )
