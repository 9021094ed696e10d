"""The one JSON shape of every answer the service gives, errors included.

Success: ``{"ok": true, ...}``. Error: ``{"ok": false, "status": 413, "error": "message",
"errors": ["detail", ...]}`` — for refusals the service raises (:class:`Refused`), for
werkzeug's HTTP errors (404, 405, 413, ...) and, as a last resort, for bugs (500, logged with
the traceback). Bad input is refused with a 4xx by construction; a 500 is always a bug.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from typing import Any

from flask import Flask, Response
from werkzeug.exceptions import HTTPException

from catalog.errors import WebhookError

log = logging.getLogger(__name__)

JSON_TYPE = "application/json"


class Refused(WebhookError):
    """A request the service refuses, with details and extra headers for the answer."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        code: str = "bad_request",
        errors: Sequence[str] = (),
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(status, message, code=code)
        self.errors = list(errors)
        self.headers = dict(headers or {})


def dumps(payload: Any) -> bytes:
    """Compact JSON bytes, the same for the same payload (replayed answers match byte for byte)."""
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode("utf-8") + b"\n"


def json_response(
    payload: Any, status: int = 200, headers: Mapping[str, str] | None = None
) -> Response:
    """A JSON answer."""
    return raw_json_response(dumps(payload), status, headers)


def raw_json_response(
    body: bytes, status: int, headers: Mapping[str, str] | None = None
) -> Response:
    """A JSON answer from bytes already encoded (a stored answer replayed as it was)."""
    resp = Response(body, status=status, content_type=JSON_TYPE)
    for k, v in (headers or {}).items():
        resp.headers[k] = v
    resp.headers["Cache-Control"] = "no-store"
    return resp


def error_payload(status: int, message: str, errors: Sequence[str] = ()) -> dict[str, Any]:
    """The error shape: ok, status, error, errors."""
    return {"ok": False, "status": status, "error": message, "errors": list(errors)}


def error_response(
    status: int,
    message: str,
    errors: Sequence[str] = (),
    headers: Mapping[str, str] | None = None,
) -> Response:
    """An error answer in the one shape."""
    return json_response(error_payload(status, message, errors), status, headers)


def _refused(exc: WebhookError) -> Response:
    errors = getattr(exc, "errors", [])
    headers = getattr(exc, "headers", {})
    return error_response(exc.status, str(exc), errors, headers)


def _http_error(exc: HTTPException) -> Response:
    status = exc.code or 500
    # Keep headers werkzeug adds for a reason (Allow on 405, Retry-After on 429).
    keep = {k: v for k, v in exc.get_headers() if k.lower() in ("allow", "retry-after")}
    message = exc.description or exc.name
    return error_response(status, f"{exc.name}: {message}", (), keep)


def _bug(exc: Exception) -> Response:
    log.exception("internal error while answering a request")
    return error_response(500, "internal error; the service log has the details")


def init_app(app: Flask) -> None:
    """Register the handlers that give every error the one JSON shape."""
    app.register_error_handler(WebhookError, _refused)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _bug)
