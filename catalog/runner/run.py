"""``catalog run``: plan, run, record — in waves, one commit per wave.

Each wave plans what is ready now (with inputs and cached outputs verified in their
repositories), settles cache hits and cancellations in-process, runs the rest on the
backend, and records every report through the committer in one commit. Then the records
are loaded again and the next wave starts, until nothing is ready. Each job runs at most
once per session, so a block that failed is not retried forever.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from pathlib import Path

from catalog.config import CatalogConfig, load_config
from catalog.errors import GitError
from catalog.gitcmd import git_text
from catalog.gitrepo import Committer
from catalog.records import Records
from catalog.runner import copyplan
from catalog.runner.apply import StaleReportError, batch_edits
from catalog.runner.backends import Backend, open_backend
from catalog.runner.inputs import StorageVerifier
from catalog.runner.jobs import Job, Plan, PlanError
from catalog.runner.plan import make_plan
from catalog.runner.report import Report
from catalog.runner.worker import run_job
from catalog.store import RECORDS_DIR, locate
from catalog.validate import load_catalog

log = logging.getLogger(__name__)

Progress = Callable[[dict[str, int]], None]
"""Called with counts: queued, running, done, failed."""


@dataclass
class JobOutcome:
    """One job of the session and what became of its report."""

    job: Job
    report: Report
    recorded: bool = True
    note: str = ""


@dataclass
class RunSummary:
    """What a ``catalog run`` session did."""

    outcomes: list[JobOutcome] = field(default_factory=list)
    commits: list[str] = field(default_factory=list)
    waiting: dict[str, str] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    """Wall time per phase: load, plan, run, record."""

    def timed(self, phase: str, since: float) -> float:
        """Add the time since ``since`` to ``phase``; return now."""
        now = time.perf_counter()
        self.seconds[phase] = self.seconds.get(phase, 0.0) + now - since
        return now

    @property
    def failed(self) -> bool:
        """Whether any job failed, timed out, or could not be recorded."""
        bad = ("failed", "timed_out")
        return any(o.report.status in bad or not o.recorded for o in self.outcomes)


def _plan(
    records: Records,
    config: CatalogConfig,
    *,
    experiments: Collection[str] | None,
    force: bool,
    exclude: Collection[str] = (),
) -> Plan:
    verifier = StorageVerifier(records, config.root, config.state_path)
    try:
        return make_plan(
            records,
            verified=verifier,
            force=force,
            experiments=experiments,
            exclude=exclude,
            root=config.root,
            runs_dir=config.state_path / "runs",
            replicate_to=copyplan.targets(config.runner, records),
        )
    except PlanError as exc:
        raise PlanError(locate(config.root, exc.problems)) from None
    finally:
        verifier.close()


def plan_catalog(
    root: Path, *, experiments: Collection[str] | None = None, force: bool = False
) -> Plan:
    """The plan of the next wave, without running anything (``catalog run --plan``)."""
    config = load_config(root)
    return _plan(load_catalog(config.root), config, experiments=experiments, force=force)


class _Counts:
    def __init__(self, progress: Progress | None) -> None:
        self.counts = {"queued": 0, "running": 0, "done": 0, "failed": 0}
        self.progress = progress

    def add(self, key: str, n: int = 1) -> None:
        self.counts[key] += n
        if self.progress is not None:
            self.progress(dict(self.counts))

    def started(self, _event: str, _job: Job) -> None:
        self.counts["queued"] -= 1
        self.add("running")

    def finished(self, report: Report, launched: bool) -> None:
        self.counts["running" if launched else "queued"] -= 1
        self.add("done" if report.status in ("done", "cancelled") else "failed")


def run_catalog(
    root: Path,
    *,
    backend: str | Backend = "local",
    experiments: Collection[str] | None = None,
    max_jobs: int | None = None,
    force: bool = False,
    progress: Progress | None = None,
) -> RunSummary:
    """Run every ready job of the catalog at ``root`` until nothing more is ready."""
    config = load_config(root)
    _require_committed(config.root)
    session = uuid.uuid4().hex[:12]
    summary = RunSummary()
    counts = _Counts(progress)
    ran: set[str] = set()
    launched = 0
    be = open_backend(backend, config.runner, config.root) if isinstance(backend, str) else backend
    try:
        with Committer(config.root) as committer:
            wave = 0
            while True:
                t = time.perf_counter()
                records = load_catalog(config.root)
                t = summary.timed("load", t)
                plan = _plan(records, config, experiments=experiments, force=force, exclude=ran)
                t = summary.timed("plan", t)
                summary.waiting = plan.waiting
                jobs = plan.jobs
                if max_jobs is not None:
                    room = max(0, max_jobs - launched)
                    runnable = [j for j in jobs if j.action == "run"][:room]
                    jobs = [j for j in jobs if j.action != "run" or j in runnable]
                if not jobs:
                    break
                wave += 1
                ran.update(j.id for j in jobs)
                counts.add("queued", len(jobs))
                reports, interrupted = _run_wave(jobs, be, counts)
                t = summary.timed("run", t)
                launched += sum(j.action == "run" for j in jobs)
                sha = _record(committer, records, reports, force, f"run:{session}:{wave}", summary)
                summary.timed("record", t)
                if sha is not None:
                    summary.commits.append(sha)
                if interrupted:
                    raise KeyboardInterrupt
    finally:
        if isinstance(backend, str):
            be.close()
    return summary


def _require_committed(root: Path) -> None:
    """Outcomes are commits on top of the branch: plan only from records that are in it."""
    status = git_text(root, "status", "--porcelain", "--untracked-files=all", "--", RECORDS_DIR)
    if status:
        first = status.splitlines()[0][3:]
        raise GitError(
            f"records/ has uncommitted changes (e.g. {first}); commit them first: catalog run "
            "plans from the branch and records every outcome as a commit on top of it"
        )


def _run_wave(
    jobs: list[Job], be: Backend, counts: _Counts
) -> tuple[list[tuple[Job, Report]], bool]:
    """Reports of the wave's jobs, and whether the wave was interrupted (Ctrl-C)."""
    by_id = {j.id: j for j in jobs}
    out: list[tuple[Job, Report]] = []
    for job in jobs:
        if job.action != "run":
            report = run_job(job.spec)  # cache hit or cancellation: nothing to launch
            counts.finished(report, launched=False)
            out.append((job, report))
    try:
        for report in be.run([j for j in jobs if j.action == "run"], counts.started):
            counts.finished(report, launched=True)
            out.append((by_id[report.job_id], report))
    except KeyboardInterrupt:
        log.warning("interrupted: recording the %d report(s) already in", len(out))
        return out, True
    return out, False


def _record(
    committer: Committer,
    records: Records,
    reports: list[tuple[Job, Report]],
    force: bool,
    batch_id: str,
    summary: RunSummary,
) -> str | None:
    edits, stale = batch_edits(records, [r for _, r in reports], rerun=force)
    why: dict[str, StaleReportError] = {e.job_id: e for e in stale}
    for job, report in reports:
        problem = why.get(job.id)
        note = problem.reason if problem else ("from cache" if report.from_cache else "")
        summary.outcomes.append(JobOutcome(job, report, problem is None, note))
    if not edits:
        return None
    n = len(reports)
    done = sum(r.status == "done" for _, r in reports)
    message = f"Record {n} job report(s): {done} done, {n - done} not done"
    return committer.apply(edits, message, batch_id=batch_id).sha


def _table(rows: list[list[str]]) -> str:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def job_json(job: Job) -> dict[str, object]:
    """A job as JSON (what ``--plan --format json`` prints; its spec is a JOBFILE)."""
    fields = ("id", "kind", "action", "queue", "slots", "memory_mb", "timeout_s", "cache_key")
    return {**{f: getattr(job, f) for f in fields}, "spec": job.spec}


def render_plan(plan: Plan) -> str:
    """The plan as a table of ready jobs, then the jobs that wait and why."""
    if not plan.jobs and not plan.waiting:
        return "nothing to run"
    out = []
    if plan.jobs:
        rows = [["job", "action", "queue", "slots", "cache key"]]
        for j in plan.jobs:
            rows.append([j.id, j.action, j.queue, str(j.slots), (j.cache_key or "")[:12]])
        out.append(_table(rows))
    else:
        out.append("no job is ready")
    if plan.waiting:
        out.append("")
        out.append(_table([["waiting", "why"], *([k, v] for k, v in plan.waiting.items())]))
    return "\n".join(out)


def render_summary(summary: RunSummary) -> str:
    """One line per job (status, attempt, time, note), then the totals and commits."""
    if not summary.outcomes:
        return "nothing to run" + (
            f" ({len(summary.waiting)} job(s) waiting)" if summary.waiting else ""
        )
    rows = [["job", "status", "attempt", "time (s)", "note"]]
    for o in summary.outcomes:
        wall = o.report.metrics.linear_execution_s
        note = o.note if o.recorded else f"not recorded: {o.note}"
        if not note and o.report.status != "done":
            note = o.report.error_report.splitlines()[0] if o.report.error_report else ""
        rows.append(
            [
                o.job.id,
                o.report.status,
                str(o.report.attempt),
                f"{wall:.2f}" if wall else "",
                note[:80],
            ]
        )
    statuses = [o.report.status for o in summary.outcomes]
    totals = ", ".join(f"{statuses.count(s)} {s}" for s in dict.fromkeys(statuses))
    tail = f"{len(statuses)} job(s): {totals}; {len(summary.commits)} commit(s)"
    return _table(rows) + "\n" + tail


def default_backend(root: Path) -> str:
    """``runner.backend`` from catalog.yaml, else local."""
    return str(load_config(root).runner.get("backend") or "local")
