"""The Flask app factory of `catalog serve`: blueprints, limits and the one error shape."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask

from catalog.config import CatalogConfig
from catalog.service import github, jobs_api, responses, status, webhook
from catalog.service.runtime import EXTENSION, Service, build_service
from catalog.service.settings import ServiceSettings, service_settings

log = logging.getLogger(__name__)


def create_app(
    config: CatalogConfig,
    settings: ServiceSettings | None = None,
    *,
    background: bool = True,
    **overrides: Any,
) -> Flask:
    """Build the service's WSGI app for the catalog ``config``.

    With ``background`` the committer thread (drains the journal), the scheduler (sync,
    plan, build) and the local job pool start with the app; without, requests are still
    verified and journalled but nothing is applied (useful to inspect intake alone).
    """
    settings = settings or service_settings(config, **overrides)
    app = Flask("catalog.service", static_folder=None)
    app.config.update(
        # werkzeug refuses (413) a longer body, announced or chunked, before we read it.
        MAX_CONTENT_LENGTH=settings.max_body_bytes,
        TRAP_HTTP_EXCEPTIONS=False,
        PROPAGATE_EXCEPTIONS=False,
    )
    if background:
        from catalog.recovery import recover

        # A crash may have left git locks, temp files or record files a commit had written
        # but not committed: put them back in line with the branch before reading records.
        recover(config.root)
    svc = build_service(config, settings)
    app.extensions[EXTENSION] = svc
    responses.init_app(app)
    for bp in (webhook.bp, jobs_api.bp, github.bp, status.bp):
        app.register_blueprint(bp)
    if background:
        start_background(svc)
    return app


def start_background(svc: Service) -> None:
    """Start the committer thread, the local pool and the scheduler."""
    from catalog.service.drain import Drainer, make_committer
    from catalog.service.pool import LocalPool
    from catalog.service.schedule import Scheduler

    svc.committer = make_committer(svc)
    svc.drainer = Drainer(svc)
    svc.scheduler = Scheduler(svc)
    if svc.settings.replan_after_commit:
        svc.drainer.on_commit = svc.scheduler.request_replan
    svc.drainer.start()
    if svc.settings.local_workers > 0:
        svc.pool = LocalPool(svc)
        svc.pool.start()
    svc.scheduler.start()


def service_of(app: Flask) -> Service:
    """The Service behind an app made by :func:`create_app`."""
    svc = app.extensions[EXTENSION]
    assert isinstance(svc, Service)
    return svc
