"""The steps of a scheduler cycle, each a thin call into the library; each returns a summary."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

from catalog.errors import CatalogError
from catalog.problems import count_errors
from catalog.service.leases import Offer

if TYPE_CHECKING:
    from catalog.runner.jobs import Job
    from catalog.service.runtime import Service


def pull(svc: Service) -> str:
    """Exchange commits with the remote (when one is configured): fetch, rebase, push."""
    if svc.committer is None or not svc.committer.remote:
        return "no remote configured"
    svc.committer.push()
    return f"in step with {svc.committer.remote}"


def reload(svc: Service) -> str:
    """Load and check every record; an invalid catalog keeps the service on its old records."""
    problems = svc.live.reload()
    errors = count_errors(problems)
    if errors:
        raise CatalogError(
            f"the catalog has {errors} error(s) (catalog validate shows them); "
            "the service keeps working with the records it had"
        )
    return f"{len(svc.live.records)} records"


def sync(svc: Service) -> str:
    """Check every file record against storage, write the sync report, commit what changed."""
    from catalog.sync.run import SyncOptions
    from catalog.sync.run import sync as run_sync

    options = SyncOptions(repositories=tuple(svc.settings.sync_repositories))
    outcome = run_sync(svc.config.root, options, config=svc.config)
    totals = outcome.report.totals()
    found = ", ".join(f"{n} {status}" for status, n in totals.items() if n) or "no files"
    return found + (f"; committed {outcome.commit[:12]}" if outcome.commit else "")


def offer_of(job: Job) -> Offer:
    """A planned job as the lease table holds it."""
    fields = {f.name: getattr(job, f.name) for f in dataclasses.fields(job) if f.name != "spec"}
    return Offer(
        id=job.id,
        kind=job.kind,
        queue=job.queue,
        slots=job.slots,
        spec=job.spec,
        capabilities=tuple(job.spec.get("capabilities", ())),
        job=fields,
    )


def plan_jobs(svc: Service) -> str:
    """Plan the ready jobs and offer them to the local pool and to pulling workers."""
    from catalog.runner import copyplan
    from catalog.runner.inputs import StorageVerifier
    from catalog.runner.plan import plan

    finished = svc.leases.finished()  # before planning: see Leases.offer
    records = svc.live.records
    verifier = StorageVerifier(records, svc.config.root, svc.config.state_path)
    try:
        jobs = plan(
            records,
            verified=verifier,
            root=svc.config.root,
            runs_dir=svc.config.state_path / "runs",
            replicate_to=copyplan.targets(svc.config.runner, records),
        )
    finally:
        verifier.close()
    new = svc.leases.offer([offer_of(j) for j in jobs], finished)
    if svc.pool is not None:
        svc.pool.poke()
    return f"{len(jobs)} ready job(s), {new} newly offered"


def build(svc: Service) -> str:
    """Rebuild the site; only pages whose inputs changed are written again."""
    from catalog.publish import build_site

    report = build_site(svc.config.root)
    return f"{report.written} of {report.files} file(s) written in {svc.config.site.output}"


def tidy(svc: Service) -> str:
    """Forget applied reports older than the retention time (parked ones stay)."""
    removed = svc.journal.prune(svc.settings.retention_days * 86400)
    return f"{removed} old applied report(s) forgotten"
