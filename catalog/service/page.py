"""The status page: the service's state, rendered with the site's own templates and style."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from catalog.publish.pages import Badge, Page
from catalog.publish.render import SiteInfo, environment

if TYPE_CHECKING:
    from catalog.service.runtime import Service


@dataclass(frozen=True, slots=True)
class Fact:
    """A labelled number or word, with a badge when it needs attention."""

    label: str
    text: str
    badge: Badge | None = None


@dataclass(frozen=True, slots=True)
class ParkedRow:
    """A report that no longer applies, and why."""

    journal_id: int
    worker: str
    job_id: str
    attempt: int
    received: str
    reason: str


@dataclass(frozen=True, slots=True)
class JobRow:
    """A job leased to a worker now."""

    id: str
    worker: str
    attempt: int
    queue: str


@dataclass(frozen=True, slots=True)
class StepRow:
    """One step of the last cycle."""

    name: str
    badge: Badge
    detail: str
    seconds: float


@dataclass(kw_only=True, slots=True)
class StatusPage(Page):
    """`catalog serve`'s state: journal, jobs, parked reports, last cycle and sync."""

    template: ClassVar[str] = "status.html"
    facts: list[Fact] = field(default_factory=list)
    steps: list[StepRow] = field(default_factory=list)
    running: list[JobRow] = field(default_factory=list)
    parked: list[ParkedRow] = field(default_factory=list)
    repositories: list[tuple[str, Badge, str]] = field(default_factory=list)


def status_page(status: dict[str, Any]) -> StatusPage:
    """The page context from the status API's payload (one source for both)."""
    journal = status["journal"]
    jobs = status["jobs"]
    depth = journal["depth"]
    facts = [
        Fact("Journal depth", str(depth), Badge("draining", "muted") if depth else None),
        Fact("Reports applied", str(journal["done"])),
        Fact(
            "Reports parked",
            str(journal["parked"]),
            Badge("see below", "sync-warn") if journal["parked"] else None,
        ),
        Fact("Jobs", ", ".join(f"{n} {state}" for state, n in jobs.items() if n) or "none"),
    ]
    committer = status.get("committer") or {}
    if committer.get("last", {}).get("error"):
        facts.append(Fact("Committer", committer["last"]["error"], Badge("retrying", "sync-bad")))
    cycle = (status.get("cycle") or {}).get("last_cycle") or {}
    steps = [
        StepRow(
            name,
            Badge("ok", "ok") if step["ok"] else Badge("failed", "sync-bad"),
            str(step["detail"]),
            float(step.get("seconds", 0.0)),
        )
        for name, step in cycle.get("steps", {}).items()
    ]
    sync = status.get("last_sync") or {}
    repositories = [
        (name, Badge(r["status"], "sync-ok" if r["status"] == "ok" else "sync-warn"), r["message"])
        for name, r in sync.get("repositories", {}).items()
    ]
    return StatusPage(
        path="status",
        title="Service status",
        summary="What the sync service is doing: journal, jobs, parked reports, last cycle.",
        facts=facts,
        steps=steps,
        running=[JobRow(j["id"], j["worker"], j["attempt"], j["queue"]) for j in status["running"]],
        parked=[ParkedRow(**p) for p in status["parked"]],
        repositories=repositories,
    )


def render_status(svc: Service, status: dict[str, Any]) -> str:
    """The HTML of the status page."""
    page = status_page(status)
    template = environment().get_template(page.template)
    info = SiteInfo(title=svc.config.site.title, name=svc.config.name)
    root = svc.config.site.base_url if svc.config.site.base_url.endswith("/") else "/"
    return template.render(page=page, site=info, root=root)
