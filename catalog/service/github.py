"""``POST /api/v1/hooks/github``: GitHub's push event, signed with a shared secret (HMAC).

GitHub signs the raw body with HMAC-SHA256 under the secret set on the hook, in
``X-Hub-Signature-256: sha256=<hex>``. The service reads the secret from the environment
variable ``CATALOG_GITHUB_SECRET``; without it the hook is off (403). A push to the
configured branch asks the scheduler for a cycle (pull, validate, sync, plan, build);
pushes arriving during a cycle are coalesced into one more.
"""

from __future__ import annotations

import hashlib
import hmac

from flask import Blueprint, Response, request

from catalog.service import strictjson
from catalog.service.responses import Refused, json_response
from catalog.service.runtime import current_service
from catalog.service.settings import GITHUB_SECRET_ENV
from catalog.service.webhook import read_json_body

bp = Blueprint("github", __name__)

SIGNATURE_HEADER = "X-Hub-Signature-256"
EVENT_HEADER = "X-GitHub-Event"


def github_signature(secret: bytes, body: bytes) -> str:
    """The ``X-Hub-Signature-256`` value GitHub sends for ``body``."""
    return "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()


def _verify(secret: bytes | None, body: bytes) -> None:
    if secret is None:
        raise Refused(
            403,
            f"the GitHub hook is off: set {GITHUB_SECRET_ENV} to the hook's secret",
            code="hook_disabled",
        )
    given = request.headers.get(SIGNATURE_HEADER, "")
    if not given:
        raise Refused(401, f"missing {SIGNATURE_HEADER} header", code="unsigned")
    expected = github_signature(secret, body).encode()
    if not hmac.compare_digest(given.encode("utf-8", "replace"), expected):
        raise Refused(401, f"{SIGNATURE_HEADER} does not match the body", code="bad_signature")


@bp.post("/api/v1/hooks/github")
def github_hook() -> Response:
    """Verify a GitHub delivery; a push to the branch schedules a cycle (202)."""
    svc = current_service()
    svc.client_limiter.check(request.remote_addr or "?", "this address")
    body = read_json_body()
    _verify(svc.github_secret, body)
    event = request.headers.get(EVENT_HEADER, "")
    payload = strictjson.parse(body, max_depth=svc.settings.max_json_depth)
    if event == "ping":
        return json_response({"ok": True, "event": "ping"})
    if event != "push":
        return json_response({"ok": True, "event": event, "ignored": "not a push event"})
    ref = payload.get("ref") if isinstance(payload, dict) else None
    if not isinstance(ref, str):
        raise Refused(422, "a push event needs a string 'ref'", code="bad_event")
    branch = svc.settings.branch
    if ref != f"refs/heads/{branch}":
        return json_response({"ok": True, "event": "push", "ignored": f"not {branch}"})
    if svc.background is None:
        raise Refused(503, "the scheduler is not running", code="unavailable")
    svc.background.request_cycle(f"GitHub push to {branch}")
    return json_response({"ok": True, "event": "push", "scheduled": True}, 202)
