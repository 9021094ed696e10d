"""The Flask app factory of `catalog serve`: blueprints, limits and the one error shape."""

from __future__ import annotations

import logging
from typing import Any, Literal

from flask import Flask

from catalog.config import CatalogConfig
from catalog.service import github, jobs_api, responses, status, webhook
from catalog.service.background import ChildProcess, Threads
from catalog.service.runtime import EXTENSION, Service, build_service
from catalog.service.settings import ServiceSettings, service_settings

log = logging.getLogger(__name__)


BackgroundMode = Literal["off", "threads", "process"]


def create_app(
    config: CatalogConfig,
    settings: ServiceSettings | None = None,
    *,
    background: BackgroundMode = "threads",
    **overrides: Any,
) -> Flask:
    """Build the service's WSGI app for the catalog ``config``.

    The background — the committer thread (drains the journal), the scheduler (sync, plan,
    build) and the local job pool — starts with the app, as threads of this process or in
    a child process (`catalog serve`); with "off", requests are still verified and
    journalled but nothing is applied (useful to inspect intake alone).
    """
    settings = settings or service_settings(config, **overrides)
    app = Flask("catalog.service", static_folder=None)
    app.config.update(
        # werkzeug refuses (413) a longer body, announced or chunked, before we read it.
        MAX_CONTENT_LENGTH=settings.max_body_bytes,
        TRAP_HTTP_EXCEPTIONS=False,
        PROPAGATE_EXCEPTIONS=False,
    )
    if background != "off":
        from catalog.recovery import recover

        # A crash may have left git locks, temp files or record files a commit had written
        # but not committed: put them back in line with the branch before reading records.
        recover(config.root)
    svc = build_service(config, settings)
    app.extensions[EXTENSION] = svc
    responses.init_app(app)
    for bp in (webhook.bp, jobs_api.bp, github.bp, status.bp):
        app.register_blueprint(bp)
    start_background(svc, background)
    return app


def start_background(svc: Service, mode: BackgroundMode) -> None:
    """Start the committer, scheduler and local pool as threads or in a child process."""
    if mode == "threads":
        svc.background = Threads(svc)
    elif mode == "process":
        svc.background = ChildProcess(svc)


def service_of(app: Flask) -> Service:
    """The Service behind an app made by :func:`create_app`."""
    svc = app.extensions[EXTENSION]
    assert isinstance(svc, Service)
    return svc
