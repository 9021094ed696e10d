"""Jobs: the read API (``GET /api/v1/jobs``, ``/jobs/<id>``) and pulling work (claim, renew)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, request
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from catalog.models.base import Slug
from catalog.service import strictjson
from catalog.service.auth import Signed, authenticate
from catalog.service.leases import Lease
from catalog.service.responses import Refused, json_response
from catalog.service.runtime import current_service
from catalog.service.webhook import read_json_body

bp = Blueprint("jobs", __name__)


class ClaimRequest(BaseModel):
    """What a worker asks for: jobs of these queues needing at most these capabilities."""

    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True, strict=True)

    queues: list[Slug] | None = Field(None, max_length=100)
    """Queues to take from (default: all of the worker record's queues)."""
    capabilities: list[Slug] | None = Field(None, max_length=100)
    """Capabilities offered (default: the worker record's)."""


class RenewRequest(BaseModel):
    """Which lease to extend: the attempt the worker holds."""

    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True, strict=True)

    attempt: int = Field(ge=1, le=1_000_000)
    """Attempt number the claim returned."""


def _signed_json(model: type[BaseModel]) -> tuple[Signed, Any]:
    svc = current_service()
    svc.client_limiter.check(request.remote_addr or "?", "this address")
    body = read_json_body()
    signed = authenticate(svc.live, request.headers, body)
    svc.worker_limiter.check(signed.worker.name, f"worker {signed.worker.name!r}")
    strictjson.parse(body, max_depth=svc.settings.max_json_depth)
    try:
        return signed, model.model_validate_json(body)
    except ValidationError as exc:
        errors = [
            f"{'.'.join(str(p) for p in e['loc']) or '(body)'}: {e['msg']}"
            for e in exc.errors(include_url=False)[:20]
        ]
        raise Refused(422, "the request body is not valid", errors=errors) from None


def _with_spec(lease: Lease) -> dict[str, Any]:
    return {**lease.public(), "spec": lease.spec}


@bp.post("/api/v1/jobs/claim")
def claim() -> Response:
    """Lease the next job the signed worker can run (``"job": null`` when there is none)."""
    signed, ask = _signed_json(ClaimRequest)
    worker = signed.worker
    queues = ask.queues if ask.queues is not None else list(worker.queues)
    not_mine = sorted(set(queues) - set(worker.queues))
    if not_mine:
        raise Refused(
            403,
            f"worker {worker.name!r} does not serve queue(s) {', '.join(not_mine)} "
            "(see its record's queues)",
            code="wrong_queue",
        )
    caps = ask.capabilities if ask.capabilities is not None else list(worker.capabilities)
    caps = [c for c in caps if c in worker.capabilities]
    lease = current_service().leases.claim(worker.name, queues, caps, signed.key)
    return json_response({"ok": True, "job": None if lease is None else _with_spec(lease)})


@bp.post("/api/v1/jobs/<path:job_id>/renew")
def renew(job_id: str) -> Response:
    """Extend the lease the signed worker holds on ``job_id``; 409 once it has lapsed."""
    signed, ask = _signed_json(RenewRequest)
    svc = current_service()
    lease = svc.leases.renew(job_id, signed.worker.name, ask.attempt)
    if lease is None:
        now = svc.leases.get(job_id)
        where = (
            "is not tracked"
            if now is None
            else (f"is now attempt {now.attempt} ({now.state}, worker {now.worker!r})")
        )
        raise Refused(409, f"lease on {job_id!r} lapsed: the job {where}", code="lease_lapsed")
    return json_response({"ok": True, "job": lease.public()})


@bp.get("/api/v1/jobs")
def jobs() -> Response:
    """Every job the service tracks, with its state and lease."""
    leases = current_service().leases.all()
    return json_response({"ok": True, "jobs": [lease.public() for lease in leases]})


@bp.get("/api/v1/jobs/<path:job_id>")
def job(job_id: str) -> Response:
    """One job, with the spec a worker runs."""
    lease = current_service().leases.get(job_id)
    if lease is None:
        raise Refused(404, f"no job {job_id!r}; GET /api/v1/jobs lists them", code="not_found")
    return json_response({"ok": True, "job": _with_spec(lease)})
