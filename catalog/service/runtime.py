"""The running service's parts, shared by its blueprints and background threads."""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from flask import current_app

from catalog.config import CatalogConfig
from catalog.service.db import Database
from catalog.service.journal import Journal
from catalog.service.leases import Leases
from catalog.service.live import LiveRecords
from catalog.service.ratelimit import TokenBuckets
from catalog.service.settings import GITHUB_SECRET_ENV, ServiceSettings

if TYPE_CHECKING:
    from catalog.committer import Committer
    from catalog.service.background import Background
    from catalog.service.drain import Drainer
    from catalog.service.pool import LocalPool
    from catalog.service.schedule import Scheduler

log = logging.getLogger(__name__)

EXTENSION = "catalog"
STATE_FILE = "service.sqlite"


@dataclass(eq=False)
class Service:
    """Everything a request handler or background thread of the service needs."""

    config: CatalogConfig
    settings: ServiceSettings
    live: LiveRecords
    db: Database
    journal: Journal
    leases: Leases
    client_limiter: TokenBuckets
    worker_limiter: TokenBuckets
    github_secret: bytes | None
    committer: Committer | None = None
    drainer: Drainer | None = None
    scheduler: Scheduler | None = None
    pool: LocalPool | None = None
    background: Background | None = None
    """The committer, scheduler and pool: threads here, or a child process."""

    @property
    def state_file(self) -> Path:
        """Path of the journal and lease database."""
        return self.db.path

    def stop(self) -> None:
        """Stop the background (finishing the batch in hand) and close the database."""
        if self.background is not None:
            self.background.stop()
        if self.committer is not None:
            self.committer.close()
        self.db.close()


def build_service(config: CatalogConfig, settings: ServiceSettings) -> Service:
    """Open the state file and load the records; nothing runs in the background yet."""
    db = Database(config.state_path / STATE_FILE)
    secret = os.environ.get(GITHUB_SECRET_ENV, "")
    live = LiveRecords(config.root)
    live.reload()
    return Service(
        config=config,
        settings=settings,
        live=live,
        db=db,
        journal=Journal(db),
        leases=Leases(db, settings.lease_s),
        client_limiter=TokenBuckets(settings.rate_per_client, settings.burst_per_client),
        worker_limiter=TokenBuckets(settings.rate_per_worker, settings.burst_per_worker),
        github_secret=secret.encode("utf-8") if secret else None,
    )


def current_service() -> Service:
    """The Service of the app handling the current request."""
    svc = current_app.extensions[EXTENSION]
    assert isinstance(svc, Service)
    return svc
