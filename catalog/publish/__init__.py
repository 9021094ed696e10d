"""The site builder: a valid catalog in, a folder of static files out.

``build_site`` gathers everything first (records, relations, history, sync findings, the
search index), plans every file as a job with a digest of its inputs, makes only the files
whose inputs changed since the last build into a staging folder, and publishes them at the
end. An invalid catalog is refused before anything is written.
"""

from __future__ import annotations

import gc
import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from catalog.errors import CatalogError, ConfigError
from catalog.publish import search_docs
from catalog.publish.datasetfiles import Known, dataset_files
from catalog.publish.gather import Site, gather, site_inputs
from catalog.publish.jobs import Job, digest_of, make_all
from catalog.publish.output import (
    Manifest,
    Staging,
    check_output,
    manifest_path,
    read_manifest,
    write_manifest,
)
from catalog.publish.plan import plan
from catalog.publish.render import STATIC, TEMPLATES, Renderer, SiteInfo
from catalog.publish.search import IndexState, build_index
from catalog.publish.search_update import load_state, save_state, state_path, update_index
from catalog.publish.sources import load_history, load_sync

Progress = Callable[[int, int], None]

KNOWN_KEY = "datasets"
"""Where the manifest keeps what the build knew of each dataset (see datasetfiles)."""


@dataclass(slots=True)
class BuildReport:
    """What a build did."""

    out: Path
    files: int = 0
    written: int = 0
    removed: int = 0
    full: bool = True
    seconds: dict[str, float] = field(default_factory=dict)
    """Time per phase: load, gather, search, plan, write."""
    digested: int = 0
    """Datasets whose inputs were digested (the others provably kept theirs)."""

    @property
    def unchanged(self) -> int:
        """Files left as they were."""
        return self.files - self.written


def _code_digest() -> bytes:
    h = hashlib.blake2b(digest_size=16)
    for p in sorted(Path(__file__).parent.glob("*.py")):
        h.update(p.name.encode() + p.read_bytes())
    return h.digest()


def build_site(
    root: Path,
    *,
    out: Path | None = None,
    base_url: str | None = None,
    full: bool = False,
    progress: Progress | None = None,
) -> BuildReport:
    """Build the site of the catalog at ``root`` into ``out`` (default: site.output)."""
    # A build makes a few objects per file (jobs, digests, relations) and no cycles worth
    # collecting meanwhile: with the collector on, it rescans the whole loaded catalog over
    # and over. It runs once, afterwards (no freeze: the service builds again and again).
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        return _build(root, out, base_url, full, progress)
    finally:
        if was_enabled:
            gc.enable()


def _build(
    root: Path, out: Path | None, base_url: str | None, full: bool, progress: Progress | None
) -> BuildReport:
    from catalog.problems import render_text
    from catalog.validate import validate

    if not TEMPLATES.is_dir():
        raise ConfigError(
            f"the site's templates are not at {TEMPLATES}; "
            "install the catalog from its source checkout (pip install -e .)"
        )
    clock = time.perf_counter()
    seconds: dict[str, float] = {}

    def lap(name: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        seconds[name] = round(now - clock, 3)
        clock = now

    result = validate(root)
    if result.failed():
        errors = [p for p in result.problems if p.severity == "error"]
        raise CatalogError(
            f"not building: the catalog has {len(errors)} error(s); nothing was written.\n"
            + render_text(errors[:20])
        )
    config, records = result.config, result.records
    out = (out if out is not None else config.root / config.site.output).absolute()
    check_output(out, config.root)
    lap("load")

    site = gather(
        config,
        records,
        history=load_history(config.root),
        sync=load_sync(config.state_path),
        base_url=base_url,
    )
    templates_cache = config.state_path / "cache" / "templates"
    templates_cache.mkdir(parents=True, exist_ok=True)
    info = SiteInfo(title=site.title, name=config.name)
    renderer = Renderer(info, site.base_url, cache_dir=templates_cache)
    inputs = hashlib.blake2b(
        site_inputs(TEMPLATES, STATIC)
        + _code_digest()
        + repr((site.base_url, site.title, config.name, config.description)).encode(),
        digest_size=16,
    ).digest()
    old = None if full else read_manifest(config.state_path, out)
    if old is not None and old.inputs != inputs.hex():
        old = None  # templates, code or settings changed: every page is new
    known = Known.load(old.extra.get(KNOWN_KEY)) if old is not None else None
    if known is None:
        old = None  # without what it knew of the datasets, their files cannot be compared
    lap("gather")

    index_file = state_path(manifest_path(config.state_path, out))
    search_files, kept, index = _search(site, out, old, index_file)
    lap("search")
    jobs = plan(site, renderer, STATIC, search_files, kept)
    per_dataset = dataset_files(site, renderer, inputs, known)
    lap("plan")

    report = BuildReport(out, full=old is None)
    stage = Staging(out)
    try:
        files, todo = _select(jobs, inputs, old, stage)
        todo += per_dataset.todo
        report.files = len(files) + per_dataset.count
        report.digested = per_dataset.digested
        report.written = len(todo) + len(stage.staged)
        make_all(todo, stage, progress)
        if old is None:
            stage.swap_in()
        else:
            removed = sorted([p for p in old.files if p not in files] + per_dataset.removed)
            report.removed = len(removed)
            stage.move_in([j.path for j in todo] + sorted(stage.staged), removed)
        extra: dict[str, object] = {KNOWN_KEY: per_dataset.known.dump()}
        write_manifest(config.state_path, out, Manifest(stage.build, inputs.hex(), files, extra))
        index.build = stage.build
        save_state(index_file, index)
    except BaseException:
        stage.discard()
        raise
    lap("write")
    report.seconds = seconds
    return report


def _search(
    site: Site, out: Path, old: Manifest | None, index_file: Path
) -> tuple[dict[str, bytes], list[str], IndexState]:
    """The search index files to write, those to keep, and the index state to save."""
    entries = search_docs.entries(site)
    ids, fps = search_docs.identities(site, entries)
    if old is not None:
        state = load_state(index_file, old.build)
        if state is not None and all(p in old.files for p in state.paths):
            update = update_index(
                state, out, ids, fps, lambda i: search_docs.document(site, entries[i])
            )
            if update is not None:
                files, state = update
                return files, [p for p in state.paths if p not in files], state
    docs = [search_docs.document(site, e) for e in entries]
    files, state = build_index(docs, ids, fps)
    return files, [], state


def _select(
    jobs: list[Job], inputs: bytes, old: Manifest | None, stage: Staging
) -> tuple[dict[str, str], list[Job]]:
    """Digest every job; stage the cheap ones that changed; return the costly ones to make."""
    files: dict[str, str] = {}
    todo: list[Job] = []
    before = old.files if old is not None else {}
    for job in jobs:
        if job.keep:
            files[job.path] = before[job.path]
        elif job.digest is not None:
            d = hashlib.blake2b(inputs + job.digest, digest_size=16).hexdigest()
            files[job.path] = d
            if before.get(job.path) != d:
                todo.append(job)
        else:
            data = job.make()
            d = digest_of(data).hex()
            files[job.path] = d
            if before.get(job.path) != d:
                stage.write(job.path, data)
                stage.staged.add(job.path)
    return files, todo


__all__ = ["BuildReport", "build_site"]
