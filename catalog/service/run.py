"""`catalog serve`: validate, start the service, serve until stopped (or, with once, settle)."""

from __future__ import annotations

import logging
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from catalog.config import load_config
from catalog.errors import CatalogError
from catalog.recovery import recover
from catalog.service.app import create_app, service_of
from catalog.service.runtime import Service
from catalog.service.server import ServerThread, make_server, server_url, stop_server
from catalog.service.settings import service_settings
from catalog.validate import load_catalog

log = logging.getLogger(__name__)

SETTLE_POLL_S = 0.1


@dataclass
class Outcome:
    """What a `catalog serve --once` run did."""

    url: str
    seconds: float
    cycles: int
    applied: int
    parked: int
    failed_steps: list[str] = field(default_factory=list)
    jobs: dict[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """No step of any cycle failed."""
        return not self.failed_steps


def settled(svc: Service) -> bool:
    """Nothing left to do: no cycle running or asked for, journal empty, no local job open."""
    scheduler, pool, drainer = svc.scheduler, svc.pool, svc.drainer
    if scheduler is None or drainer is None or not scheduler.idle() or scheduler.cycles == 0:
        return False
    if svc.journal.counts()["pending"] or not drainer.idle.is_set():
        return False
    if pool is not None and pool.busy():
        return False
    local = set(svc.settings.local_queues) if pool is not None else set()
    open_local = [
        lease
        for lease in svc.leases.all()
        if lease.queue in local and lease.state in ("offered", "leased", "reported")
    ]
    return not open_local


def wait_settled(svc: Service, timeout: float) -> None:
    """Block until :func:`settled` holds twice in a row; CatalogError after ``timeout``."""
    deadline = time.monotonic() + timeout
    streak = 0
    while streak < 2:
        if time.monotonic() > deadline:
            raise CatalogError(
                f"the service did not settle within {timeout:.0f} s; see /status for what "
                "is still open (raise --timeout for long jobs)"
            )
        streak = streak + 1 if settled(svc) else 0
        time.sleep(SETTLE_POLL_S)


def _failed_steps(svc: Service) -> list[str]:
    out = []
    scheduler = svc.scheduler
    for record in (scheduler.last_cycle, scheduler.last_replan) if scheduler else ():
        for name, step in (record or {}).get("steps", {}).items():
            if not step["ok"]:
                out.append(f"{name}: {step['detail']}")
    return out


def serve(
    root: Path,
    *,
    once: bool = False,
    timeout: float = 900.0,
    on_ready: Callable[[str], None] | None = None,
    **overrides: Any,
) -> Outcome | None:
    """Run the service for the catalog at ``root``.

    Refuses an invalid catalog before starting. With ``once`` the service runs until a full
    cycle and everything it set off (local jobs, their reports, re-plans, the site) is done,
    then stops and returns what happened; otherwise it serves until SIGINT or SIGTERM.
    """
    config = load_config(root)
    settings = service_settings(config, **overrides)
    recover(config.root)  # a crashed run's half-written records are not the catalog
    load_catalog(config.root)
    app = create_app(config, settings)
    svc = service_of(app)
    try:
        if once:
            return _once(app, svc, timeout, on_ready)
        _forever(app, svc, on_ready)
        return None
    finally:
        svc.stop()


def _once(
    app: Any, svc: Service, timeout: float, on_ready: Callable[[str], None] | None
) -> Outcome:
    started = time.monotonic()
    with ServerThread(app, svc.settings) as server:
        if on_ready is not None:
            on_ready(server.url)
        wait_settled(svc, timeout)
    counts = svc.journal.counts()
    return Outcome(
        url=server.url,
        seconds=round(time.monotonic() - started, 1),
        cycles=svc.scheduler.cycles if svc.scheduler else 0,
        applied=counts["done"],
        parked=counts["parked"],
        failed_steps=_failed_steps(svc),
        jobs=svc.leases.counts(),
    )


def _forever(app: Any, svc: Service, on_ready: Callable[[str], None] | None) -> None:
    server = make_server(app, svc.settings)

    def stop(signum: int, frame: object) -> None:
        log.info("signal %d: stopping", signum)
        stop_server(server)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    if on_ready is not None:
        on_ready(server_url(server))
    server.run()
