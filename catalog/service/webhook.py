"""``POST /api/v1/reports``: signed worker reports → verify → parse → validate → journal → 202.

The order is the point: the signature is checked on the raw bytes before anything parses
them; a re-sent report is answered from the journal (byte for byte) before it is parsed
again; only a valid report reaches the journal, and the 202 goes out after the journal
row is on disk.
"""

from __future__ import annotations

from flask import Blueprint, Response, request
from pydantic import ValidationError

from catalog.runner.report import Report
from catalog.service import strictjson
from catalog.service.auth import authenticate
from catalog.service.journal import body_digest
from catalog.service.responses import JSON_TYPE, Refused, dumps, raw_json_response
from catalog.service.runtime import current_service

bp = Blueprint("reports", __name__)

MAX_ERRORS = 20
"""Most validation errors listed in one answer."""


def read_json_body() -> bytes:
    """The raw body of a JSON request; 415 for another type, 413 over the size limit."""
    if request.mimetype != JSON_TYPE:
        raise Refused(
            415,
            f"send the body as {JSON_TYPE} (got {request.mimetype or 'no Content-Type'})",
            code="unsupported_media_type",
        )
    charset = request.mimetype_params.get("charset", "utf-8").lower()
    if charset not in ("utf-8", "utf8"):
        raise Refused(415, f"send the body as UTF-8 (got {charset})", code="unsupported_charset")
    # MAX_CONTENT_LENGTH makes werkzeug refuse (413) a longer body, chunked or not.
    return request.get_data(cache=False)


def validate_report(body: bytes) -> Report:
    """The report in ``body`` (already known to be strict JSON); 422 with every error."""
    try:
        return Report.model_validate_json(body, strict=True)
    except ValidationError as exc:
        errors = [
            f"{'.'.join(str(p) for p in e['loc']) or '(body)'}: {e['msg']}"
            for e in exc.errors(include_url=False)[:MAX_ERRORS]
        ]
        raise Refused(422, "the report does not match report.schema.json", errors=errors) from None


def winner_key(report: Report) -> str:
    """What only one report may settle: the job, or one participant's update to a round."""
    if report.update is not None:
        return f"{report.job_id}#update:{report.update.participant}"
    return report.job_id


def accepted_body(row_id: int, key: str, report: Report) -> bytes:
    """The 202 answer, kept in the journal and sent again to a re-sent report."""
    return dumps(
        {
            "ok": True,
            "status": 202,
            "journal_id": row_id,
            "idempotency_key": key,
            "job_id": report.job_id,
            "attempt": report.attempt,
        }
    )


@bp.post("/api/v1/reports")
def post_report() -> Response:
    """Take one signed report from a worker."""
    svc = current_service()
    svc.client_limiter.check(request.remote_addr or "?", "this address")
    body = read_json_body()
    signed = authenticate(svc.live, request.headers, body)
    name = signed.worker.name
    svc.worker_limiter.check(name, f"worker {name!r}")
    seen = svc.journal.lookup(name, signed.key)
    if seen is not None:
        if seen[0] == body_digest(body):
            return raw_json_response(seen[1], 202)
        raise Refused(
            409,
            f"idempotency key {signed.key!r} was already used for another report",
            code="key_reused",
        )
    strictjson.parse(body, max_depth=svc.settings.max_json_depth)
    report = validate_report(body)
    intake = svc.journal.accept(
        name,
        signed.key,
        body,
        winner_key(report),
        report.attempt,
        lambda row_id: accepted_body(row_id, signed.key, report),
    )
    if intake.outcome in ("new", "replay"):
        return raw_json_response(intake.response, 202)
    raise Refused(409, intake.message, code=intake.outcome)
