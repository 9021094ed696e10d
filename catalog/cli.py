"""The `catalog` command: a thin click layer over the library.

Each command parses its options, calls one library function and prints. Library errors
(CatalogError) become click errors with exit status 1; usage errors exit 2.
"""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import click

from catalog.errors import CatalogError
from catalog.problems import render_github, render_json, render_text

F = TypeVar("F", bound=Callable[..., Any])

KIND_NAMES = (
    "repository",
    "format",
    "dataset-type",
    "tag",
    "revision",
    "dataset",
    "notice",
    "experiment",
    "training",
    "worker",
)
"""Record kinds, for `catalog new` (kept here so --help needs no model import)."""


def root_option(func: F) -> F:
    """--root DIR, shared by every command that works on a catalog."""
    return click.option(
        "--root",
        type=click.Path(file_okay=False, path_type=Path),
        default=lambda: os.environ.get("CATALOG_ROOT", "."),
        show_default=".",
        help="Catalog root (the folder with catalog.yaml and records/).",
    )(func)


def format_option(*choices: str) -> Callable[[F], F]:
    """--format with the given choices; text first."""
    return click.option(
        "--format",
        "fmt",
        type=click.Choice(choices),
        default=choices[0],
        show_default=True,
        help="Output format.",
    )


def reports_errors(func: F) -> F:
    """Turn CatalogError into a click error (exit 1) with its message."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except CatalogError as exc:
            raise click.ClickException(str(exc)) from None

    return wrapper  # type: ignore[return-value]


def interactive() -> bool:
    """Progress bars only for a person at a terminal, not in CI logs or with NO_COLOR."""
    return sys.stderr.isatty() and not os.environ.get("CI") and not os.environ.get("NO_COLOR")


@contextmanager
def progress_bar(label: str) -> Iterator[Callable[[int, int], None] | None]:
    """A rich progress bar on a terminal; None (quiet) otherwise."""
    if not interactive():
        yield None
        return
    from rich.console import Console
    from rich.progress import Progress

    # On stderr: stdout may be a pipe carrying --format json.
    with Progress(transient=True, console=Console(stderr=True)) as bar:
        task = bar.add_task(label, total=None)

        def update(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield update


@click.group()
@click.version_option(package_name="catalog")
def main() -> None:
    """A static-first data catalog: YAML records in git, validated, published, kept true."""


@main.command()
@root_option
@format_option("text", "github", "json")
@click.option("--strict", is_flag=True, help="Treat warnings as errors.")
@click.option("--no-cache", is_flag=True, help="Re-read every file, ignoring the cache.")
@reports_errors
def validate(root: Path, fmt: str, strict: bool, no_cache: bool) -> None:
    """Check every record and report problems with file, line and field."""
    from catalog.validate import validate as run

    with progress_bar("loading records") as progress:
        result = run(root, use_cache=not no_cache, progress=progress)
    render = {"text": render_text, "github": render_github, "json": render_json}[fmt]
    if result.problems or fmt == "json":
        click.echo(render(result.problems))
    counts = ", ".join(f"{n} {k}" for k, n in result.counts.items() if n)
    errors = sum(p.severity == "error" for p in result.problems)
    warnings = len(result.problems) - errors
    click.echo(
        f"{sum(result.counts.values())} valid records ({counts or 'none'}); "
        f"{errors} error(s), {warnings} warning(s)",
        err=True,
    )
    if result.failed(strict=strict):
        sys.exit(1)


@main.command()
@root_option
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Folder to build into (default: site.output of catalog.yaml, _site).",
)
@click.option("--base-url", default=None, help="Path or URL the site is served under, e.g. /c/.")
@click.option("--full", is_flag=True, help="Rewrite every file, not only what changed.")
@reports_errors
def build(root: Path, out: Path | None, base_url: str | None, full: bool) -> None:
    """Publish the catalog as a static website and JSON API."""
    from catalog.publish import build_site

    with progress_bar("writing the site") as progress:
        report = build_site(root, out=out, base_url=base_url, full=full, progress=progress)
    kind = "full build" if report.full else "incremental build"
    click.echo(
        f"{kind}: wrote {report.written} of {report.files} files"
        f"{f', removed {report.removed}' if report.removed else ''} in {report.out}"
    )


@main.command()
@click.option("--check", is_flag=True, help="Exit 1 if the committed schemas are stale.")
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Folder to write into (default: the package's catalog/schemas).",
)
@reports_errors
def schemas(check: bool, out: Path | None) -> None:
    """Write the JSON Schemas of record kinds (for editors and CI)."""
    from catalog import schemas as sch

    folder = out or sch.SCHEMA_DIR
    if check:
        stale = sch.stale(folder)
        if stale:
            click.echo(f"stale schemas in {folder}: {', '.join(stale)}", err=True)
            click.echo("Run 'catalog schemas' and commit the result.", err=True)
            sys.exit(1)
        click.echo(f"schemas in {folder} are up to date")
        return
    for path in sch.generate(folder):
        click.echo(f"wrote {path}")


@main.command()
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path), default=".")
@click.option("--name", help="Catalog name (default: the folder's name).")
@reports_errors
def init(directory: Path, name: str | None) -> None:
    """Start a new, empty catalog (a git repository ready to push)."""
    from catalog.scaffold import init_catalog

    files = init_catalog(directory, name=name)
    click.echo(f"created a catalog in {directory} ({len(files)} files)")
    click.echo(f"next: cd {directory}, 'catalog new tag raw', then git add -A && git commit")


@main.command()
@click.argument("kind", type=click.Choice(list(KIND_NAMES)))
@click.argument("name")
@root_option
@reports_errors
def new(kind: str, name: str, root: Path) -> None:
    """Write a skeleton record of KIND called NAME (never overwrites)."""
    from catalog.scaffold import new_record

    entry = new_record(root, kind, name)
    click.echo(f"wrote {entry.path}")


@main.command()
@root_option
@click.option(
    "--repository",
    "repositories",
    multiple=True,
    metavar="NAME",
    help="Only this repository (repeat for several; default: all but offline ones).",
)
@click.option(
    "--verify",
    type=click.Choice(["stat", "full"]),
    default="stat",
    show_default=True,
    help="stat: hash only files whose size, mtime or identity changed; "
    "full: hash every file again (resumes an interrupted full run).",
)
@click.option("--dry-run", is_flag=True, help="Show what would change; write nothing.")
@click.option(
    "--commit/--no-commit",
    default=True,
    show_default=True,
    help="Commit record changes, or only edit the record files.",
)
@click.option("--register", is_flag=True, help="Create datasets for files no record names.")
@click.option("--replicate", is_flag=True, help="Copy verified files to where they are missing.")
@click.option("--from", "sources", multiple=True, metavar="NAME", help="Replicate from these.")
@click.option("--to", "targets", multiple=True, metavar="NAME", help="Replicate to these.")
@click.option("--jobs", type=click.IntRange(1, 64), default=None, help="Hashing threads.")
@format_option("text", "json")
@reports_errors
def sync(root: Path, fmt: str, repositories: tuple[str, ...], **opts: Any) -> None:
    """Check every file record against its repository; exit 1 if a copy is missing or wrong."""
    from catalog.sync.run import SyncOptions
    from catalog.sync.run import sync as run
    from catalog.sync.summary import progress_display, summary_json, summary_text

    options = SyncOptions(repositories=repositories, workers=opts.pop("jobs"), **opts)
    with progress_display(interactive() and fmt == "text") as progress:
        outcome = run(root, options, progress=progress)
    click.echo(summary_json(outcome) if fmt == "json" else summary_text(outcome))
    if outcome.failed:
        sys.exit(1)


def merge_base_option(func: F) -> F:
    """--no-merge-base for the commands that compare two revisions."""
    return click.option(
        "--no-merge-base",
        is_flag=True,
        help="Compare with BASE itself, not with where HEAD branched off it.",
    )(func)


@main.command()
@click.argument("record")
@root_option
@click.option("-n", "--limit", type=click.IntRange(min=1), default=None, help="At most N commits.")
@format_option("text", "json")
@reports_errors
def history(record: str, root: Path, limit: int | None, fmt: str) -> None:
    """Who changed RECORD (a file, a uuid or kind/name), when and why, field by field."""
    from catalog.changeview import render_history_json, render_history_text
    from catalog.history import find_record, record_history

    path, entry = find_record(root, record)
    entries = record_history(root, path, limit)
    render = render_history_json if fmt == "json" else render_history_text
    click.echo(render(path, entry.label if entry else "", entries))


@main.command()
@click.argument("base")
@click.argument("head", default="HEAD")
@root_option
@format_option("text", "json", "markdown")
@merge_base_option
@reports_errors
def diff(base: str, head: str, root: Path, fmt: str, no_merge_base: bool) -> None:
    """Records added, removed and changed from BASE to HEAD, field by field."""
    from catalog.changeview import DIFF_RENDERERS
    from catalog.recorddiff import diff as run

    result = run(root, base, head, use_merge_base=not no_merge_base)
    click.echo(DIFF_RENDERERS[fmt](result), nl=fmt != "markdown")


@main.command(name="check-change")
@click.argument("base")
@click.argument("head", default="HEAD")
@root_option
@format_option("text", "github", "json")
@click.option("--strict", is_flag=True, help="Treat warnings as errors.")
@merge_base_option
@reports_errors
def check_change(
    base: str, head: str, root: Path, fmt: str, strict: bool, no_merge_base: bool
) -> None:
    """Check the change from BASE to HEAD against the rules (protected data stays frozen)."""
    from catalog.changecheck import check_change as run
    from catalog.problems import count_errors

    result = run(root, base, head, use_merge_base=not no_merge_base)
    render = {"text": render_text, "github": render_github, "json": render_json}[fmt]
    if result.problems or fmt == "json":
        click.echo(render(result.problems))
    errors = sum(p.severity == "error" for p in result.problems)
    click.echo(
        f"change {result.base[:10]}..{result.head[:10]}: "
        f"{errors} error(s), {len(result.problems) - errors} warning(s)",
        err=True,
    )
    if count_errors(result.problems, strict=strict):
        sys.exit(1)


@main.group(name="import")
def import_() -> None:
    """Import records from other systems."""


@import_.command(name="alyx")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@root_option
@reports_errors
def import_alyx_cmd(files: tuple[Path, ...], root: Path) -> None:
    """Import Alyx JSON fixtures (Django dumpdata) as records."""
    from catalog.importers.alyx import import_alyx

    report = import_alyx(list(files), root)
    for what, why in report.skipped:
        click.echo(f"skipped {what}: {why}", err=True)
    for note in report.notes:
        click.echo(f"note: {note}", err=True)
    click.echo(f"wrote {len(report.written)} record(s), skipped {len(report.skipped)}")


@main.command()
@root_option
@click.option(
    "--backend",
    type=click.Choice(["local", "dask"]),
    default=None,
    help="Where jobs run (default: runner.backend in catalog.yaml, else local).",
)
@click.option("--experiment", "experiments", multiple=True, help="Only this experiment.")
@click.option("--max-jobs", type=click.IntRange(min=1), default=None, help="Run at most N jobs.")
@click.option("--plan", "plan_only", is_flag=True, help="Print the plan; run nothing.")
@click.option("--force", is_flag=True, help="Ignore cached outputs and re-run done blocks.")
@format_option("text", "json")
@reports_errors
def run(
    root: Path,
    backend: str | None,
    experiments: tuple[str, ...],
    max_jobs: int | None,
    plan_only: bool,
    force: bool,
    fmt: str,
) -> None:
    """Run the jobs that are ready and record their outcomes (one commit per wave)."""
    import json

    from catalog.runner import run as runner

    only = list(experiments) or None
    if plan_only:
        plan = runner.plan_catalog(root, experiments=only, force=force)
        jobs = {"jobs": [runner.job_json(j) for j in plan.jobs], "waiting": plan.waiting}
        click.echo(json.dumps(jobs, indent=2) if fmt == "json" else runner.render_plan(plan))
        return
    with progress_bar("running jobs") as bar:
        progress = (lambda c: bar(c["done"] + c["failed"], sum(c.values()))) if bar else None
        summary = runner.run_catalog(
            root,
            backend=backend or runner.default_backend(root),
            experiments=only,
            max_jobs=max_jobs,
            force=force,
            progress=progress,
        )
    click.echo(runner.render_summary(summary))
    if summary.failed:
        sys.exit(1)


@main.group()
def worker() -> None:
    """Run jobs as a worker, and manage worker keys."""


@worker.command(name="run")
@click.argument("jobfile", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@root_option
@click.option("--service", default=None, help="Post the signed report to this service URL.")
@click.option("--worker", "worker_name", default=None, help="Worker name whose key signs.")
@click.option(
    "--key",
    "key_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Private key file (default ~/.config/catalog/keys/<worker>.pem).",
)
@click.option(
    "--report",
    "report_out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Also write the report JSON to this file.",
)
@reports_errors
def worker_run(
    jobfile: Path,
    root: Path,
    service: str | None,
    worker_name: str | None,
    key_path: Path | None,
    report_out: Path | None,
) -> None:
    """Run the job in JOBFILE and deliver its report (to --service, else into the catalog)."""
    from catalog.runner.deliver import run_jobfile

    report, where = run_jobfile(
        jobfile,
        root=root,
        service=service,
        worker=worker_name,
        key_path=key_path,
        report_out=report_out,
    )
    click.echo(f"{report.job_id}: {report.status}; {where}")
    if report.status != "done":
        sys.exit(1)


@worker.command(name="keygen")
@click.argument("name")
@root_option
@click.option(
    "--key",
    "key_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Where to write the private key (default ~/.config/catalog/keys/NAME.pem).",
)
@click.option("--comment", default="", help="Where the key lives, e.g. the host name.")
@reports_errors
def worker_keygen(name: str, root: Path, key_path: Path | None, comment: str) -> None:
    """Create an Ed25519 key pair for worker NAME (public key into its record)."""
    from catalog.runner.keys import keygen_worker

    path, public = keygen_worker(root, name, key_path=key_path, comment=comment)
    click.echo(f"wrote the private key to {path} (mode 0600); keep it on the worker only")
    click.echo(f"added {public} to worker '{name}'; commit the record to activate it")


@main.command()
@root_option
@click.option("--host", default=None, help="Address to listen on (default 127.0.0.1).")
@click.option("--port", type=int, default=None, help="Port to listen on (default 8000).")
@click.option(
    "--once",
    is_flag=True,
    help="Run one full pass (sync, jobs, reports, site) with the webhook live, then exit.",
)
@click.option(
    "--timeout", type=float, default=900.0, show_default=True, help="Longest --once run (s)."
)
@reports_errors
def serve(root: Path, host: str | None, port: int | None, once: bool, timeout: float) -> None:
    """Run the sync service: site, status page, worker webhook, scheduled sync and jobs."""
    import logging

    from catalog.service.run import serve as run_service

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")

    def ready(url: str) -> None:
        click.echo(f"serving on {url}  (site /, status /status, API /api/v1/)", err=True)

    outcome = run_service(root, once=once, timeout=timeout, on_ready=ready, host=host, port=port)
    if outcome is not None:
        jobs = ", ".join(f"{n} {state}" for state, n in outcome.jobs.items() if n) or "none"
        click.echo(
            f"settled in {outcome.seconds} s: {outcome.cycles} cycle(s), "
            f"{outcome.applied} report(s) applied, {outcome.parked} parked; jobs: {jobs}"
        )
        for failure in outcome.failed_steps:
            click.echo(f"failed: {failure}", err=True)
        if not outcome.ok:
            sys.exit(1)
