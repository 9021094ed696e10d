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
from catalog.service.app import create_app, service_of, start_background
from catalog.service.runtime import Service
from catalog.service.server import ServerThread, make_server, server_url, stop_server
from catalog.service.settings import ServiceSettings, service_settings
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


def wait_settled(svc: Service, timeout: float) -> None:
    """Block until the background reports itself settled twice in a row (two fresh reports);
    CatalogError after ``timeout``."""
    assert svc.background is not None
    deadline = time.monotonic() + timeout
    streak, seen = 0, None
    while streak < 2:
        if time.monotonic() > deadline:
            raise CatalogError(
                f"the service did not settle within {timeout:.0f} s; see /status for what "
                "is still open (raise --timeout for long jobs)"
            )
        state = svc.background.state()
        fresh = state.get("seq", object())
        if fresh != seen:
            seen = fresh
            streak = streak + 1 if state["settled"] else 0
        time.sleep(SETTLE_POLL_S)


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
    # The background starts once the port is ours: a second service on the same port
    # stops here, before it does anything.
    app = create_app(config, settings, background="off")
    svc = service_of(app)
    try:
        if once:
            return _once(app, svc, timeout, on_ready)
        _forever(app, svc, on_ready)
        return None
    finally:
        svc.stop()


def _listen(start: Callable[[], Any], settings: ServiceSettings) -> Any:
    try:
        return start()
    except OSError as exc:
        raise CatalogError(
            f"cannot listen on {settings.host}:{settings.port}: {exc.strerror or exc}; is "
            "another service running there? (choose another with --port)"
        ) from None


def _once(
    app: Any, svc: Service, timeout: float, on_ready: Callable[[str], None] | None
) -> Outcome:
    started = time.monotonic()
    with _listen(lambda: ServerThread(app, svc.settings), svc.settings) as server:
        start_background(svc, "process")
        if on_ready is not None:
            on_ready(server.url)
        wait_settled(svc, timeout)
    counts = svc.journal.counts()
    state = svc.background.state() if svc.background is not None else {}
    return Outcome(
        url=server.url,
        seconds=round(time.monotonic() - started, 1),
        cycles=int(state.get("cycles", 0)),
        applied=counts["done"],
        parked=counts["parked"],
        failed_steps=list(state.get("failed_steps", [])),
        jobs=svc.leases.counts(),
    )


def _forever(app: Any, svc: Service, on_ready: Callable[[str], None] | None) -> None:
    server = _listen(lambda: make_server(app, svc.settings), svc.settings)
    start_background(svc, "process")

    def stop(signum: int, frame: object) -> None:
        log.info("signal %d: stopping", signum)
        stop_server(server)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    if on_ready is not None:
        on_ready(server_url(server))
    server.run()
