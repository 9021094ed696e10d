"""What the service is doing: ``/healthz``, ``GET /api/v1/status``, the status page, the site."""

from __future__ import annotations

import os
import time
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from flask import Blueprint, Response, send_from_directory
from flask.blueprints import BlueprintSetupState
from werkzeug.routing import PathConverter
from werkzeug.security import safe_join

from catalog.service import openapi
from catalog.service.responses import Refused, json_response
from catalog.service.runtime import Service, current_service
from catalog.sync.report import load_latest

bp = Blueprint("status", __name__)

PARKED_SHOWN = 50


def iso(ts: float | None) -> str | None:
    """Unix seconds as ISO 8601 UTC (None stays None)."""
    if ts is None:
        return None
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def status_payload(svc: Service) -> dict[str, Any]:
    """The service's state: last sync, journal depth, jobs, parked reports, cycle, commits."""
    report = load_latest(svc.config.state_path)
    last_sync = None
    if report is not None:
        last_sync = {
            "started": report.started,
            "finished": report.finished,
            "repositories": {k: asdict(v) for k, v in report.repositories.items()},
            "totals": report.totals(),
        }
    background = svc.background.state() if svc.background is not None else {}
    counts = svc.journal.counts()
    oldest = svc.journal.oldest_pending_age()
    leases = svc.leases.all()
    now = time.time()
    running = [
        lease.public()
        for lease in leases
        if lease.state == "leased" and (lease.expires or 0) >= now
    ]
    parked = [
        {
            "journal_id": r.id,
            "worker": r.worker,
            "job_id": r.job_id,
            "attempt": r.attempt,
            "received": iso(r.received),
            "reason": r.reason,
        }
        for r in svc.journal.parked(PARKED_SHOWN)
    ]
    return {
        "ok": True,
        "catalog": svc.config.name,
        "journal": {**counts, "depth": counts["pending"], "oldest_pending_s": oldest},
        "jobs": svc.leases.counts(),
        "running": running,
        "parked": parked,
        "last_sync": last_sync,
        "cycle": background.get("cycle"),
        "committer": background.get("committer"),
    }


@bp.get("/healthz")
def healthz() -> Response:
    """Liveness: the service answers."""
    return json_response({"ok": True})


@bp.get("/api/v1/status")
def status() -> Response:
    """The service's state as JSON."""
    return json_response(status_payload(current_service()))


@bp.get("/api/v1/openapi.json")
def openapi_json() -> Response:
    """The OpenAPI document of this service."""
    return json_response(openapi.document())


@bp.get("/status")
def status_page() -> Response:
    """The service's state as a page in the site's style."""
    from catalog.service.page import render_status

    svc = current_service()
    html = render_status(svc, status_payload(svc))
    return Response(html, content_type="text/html; charset=utf-8")


def _site_dir(svc: Service) -> Path:
    return (svc.config.root / svc.config.site.output).resolve()


class SitePath(PathConverter):
    """A path of the site: anything but the API, whose wrong methods must stay 405s."""

    regex = r"(?!api/)[^/].*?"


@bp.record_once
def _register_converter(state: BlueprintSetupState) -> None:
    state.app.url_map.converters["sitepath"] = SitePath


@bp.get("/")
@bp.get("/<sitepath:path>")
def site(path: str = "") -> Response:
    """Files of the built site (folders serve their index.html)."""
    folder = _site_dir(current_service())
    if not folder.is_dir():
        raise Refused(404, "the site has not been built yet (catalog build)", code="not_found")
    joined = safe_join(str(folder), path) if path else str(folder)
    if joined is None or "\x00" in path:
        raise Refused(404, f"no page at /{path}", code="not_found")
    if os.path.isdir(joined):
        path = f"{path.rstrip('/')}/index.html" if path.strip("/") else "index.html"
    return send_from_directory(folder, path, max_age=60)
