"""The OpenAPI 3.1 document of the service, served at ``/api/v1/openapi.json``.

The report body's schema is the one generated from ``catalog.runner.report.Report`` (the
same as ``catalog/schemas/report.schema.json``), so workers and the service agree on it.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from catalog.runner.report import Report
from catalog.signing import HEADER_KEY, HEADER_SIGNATURE, HEADER_TIMESTAMP, HEADER_WORKER

REF = "#/components/schemas/{model}"

ERROR = {
    "type": "object",
    "description": "The one error shape of every refusal.",
    "required": ["ok", "status", "error", "errors"],
    "additionalProperties": False,
    "properties": {
        "ok": {"const": False},
        "status": {"type": "integer", "minimum": 400, "maximum": 599},
        "error": {"type": "string"},
        "errors": {"type": "array", "items": {"type": "string"}},
    },
}

JOB = {
    "type": "object",
    "required": ["id", "kind", "queue", "slots", "state", "attempt", "worker", "lease_expires"],
    "properties": {
        "id": {"type": "string"},
        "kind": {"type": "string"},
        "queue": {"type": "string"},
        "slots": {"type": "integer"},
        "state": {"enum": ["offered", "leased", "reported", "finished"]},
        "attempt": {"type": "integer", "minimum": 0},
        "worker": {"type": ["string", "null"]},
        "lease_expires": {"type": ["number", "null"]},
        "capabilities": {"type": "array", "items": {"type": "string"}},
        "spec": {"type": "object"},
    },
}


def _ok(extra: dict[str, Any], required: list[str]) -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["ok", *required],
        "properties": {"ok": {"const": True}, **extra},
    }


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _errors(*statuses: int) -> dict[str, Any]:
    why = {
        400: "Malformed request (encoding, JSON, nesting, duplicate keys, key format).",
        401: "Missing or bad signature, unknown worker, or timestamp outside ±300 s.",
        403: "The worker is disabled, or the hook has no secret configured.",
        404: "Not found.",
        409: "Idempotency key reused with another body, job settled by another attempt, "
        "or lease lapsed.",
        413: "Body over the size limit.",
        415: "Body is not application/json in UTF-8.",
        422: "Body does not match its schema.",
        429: "Over the rate limit; see Retry-After.",
        503: "The journal could not be written (nothing was accepted; send again), or the "
        "scheduler is not running.",
    }
    out: dict[str, Any] = {}
    for s in statuses:
        entry = _json({"$ref": REF.format(model="Error")}, why[s])
        if s == 429:
            entry["headers"] = {"Retry-After": {"schema": {"type": "string"}}}
        out[str(s)] = entry
    return out


def _signed_headers() -> list[dict[str, Any]]:
    # Formats are described, not given as patterns: the signature check refuses any bad
    # value anyway (401), and generating pattern-matching values is needlessly slow for
    # tools that fuzz this document.
    described = {
        HEADER_WORKER: "Name of the worker record whose public keys verify the request.",
        HEADER_TIMESTAMP: "Integer Unix seconds when the request was signed (±300 s).",
        HEADER_KEY: "Idempotency key: 1–128 characters of A-Z a-z 0-9 . _ : -.",
        HEADER_SIGNATURE: "'ed25519=' and the base64 of the Ed25519 signature of "
        "'<timestamp>.<key>.' followed by the raw body.",
    }
    return [
        {
            "name": name,
            "in": "header",
            "required": True,
            "description": text,
            "schema": {"type": "string", "minLength": 1, "maxLength": 256},
        }
        for name, text in described.items()
    ]


def _model_schemas(*models: type[BaseModel]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for model in models:
        schema = model.model_json_schema(ref_template=REF, mode="validation")
        out.update(schema.pop("$defs", {}))
        out[model.__name__] = schema
    return out


def _path_id() -> dict[str, Any]:
    return {"name": "job_id", "in": "path", "required": True, "schema": {"type": "string"}}


def document() -> dict[str, Any]:
    """The OpenAPI document (a new dict each call)."""
    from catalog.service.jobs_api import ClaimRequest, RenewRequest

    schemas = _model_schemas(Report, ClaimRequest, RenewRequest)
    schemas["Error"] = ERROR
    schemas["Job"] = JOB
    job_answer = _ok(
        {"job": {"oneOf": [{"$ref": REF.format(model="Job")}, {"type": "null"}]}}, ["job"]
    )
    signed = [400, 401, 403, 409, 413, 415, 422, 429, 503]
    paths: dict[str, Any] = {
        "/api/v1/reports": {
            "post": {
                "operationId": "postReport",
                "summary": "Send a signed job report (durable before the 202).",
                "parameters": _signed_headers(),
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {"schema": {"$ref": REF.format(model="Report")}}
                    },
                },
                "responses": {
                    "202": _json(
                        _ok(
                            {
                                "status": {"const": 202},
                                "journal_id": {"type": "integer"},
                                "idempotency_key": {"type": "string"},
                                "job_id": {"type": "string"},
                                "attempt": {"type": "integer"},
                            },
                            ["status", "journal_id", "idempotency_key", "job_id", "attempt"],
                        ),
                        "Journalled; a re-sent report gets this answer again, byte for byte.",
                    ),
                    **_errors(*signed),
                },
            }
        },
        "/api/v1/jobs/claim": {
            "post": {
                "operationId": "claimJob",
                "summary": "Lease the next job the signed worker can run.",
                "parameters": _signed_headers(),
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {"schema": {"$ref": REF.format(model="ClaimRequest")}}
                    },
                },
                "responses": {
                    "200": _json(job_answer, "The leased job, or null."),
                    **_errors(*signed),
                },
            }
        },
        "/api/v1/jobs/{job_id}/renew": {
            "post": {
                "operationId": "renewLease",
                "summary": "Extend the lease the signed worker holds.",
                "parameters": [_path_id(), *_signed_headers()],
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {"schema": {"$ref": REF.format(model="RenewRequest")}}
                    },
                },
                "responses": {
                    "200": _json(job_answer, "The renewed lease."),
                    **_errors(404, *signed),
                },
            }
        },
        "/api/v1/jobs": {
            "get": {
                "operationId": "listJobs",
                "summary": "Every job the service tracks.",
                "responses": {
                    "200": _json(
                        _ok(
                            {"jobs": {"type": "array", "items": {"$ref": REF.format(model="Job")}}},
                            ["jobs"],
                        ),
                        "Jobs, oldest offer first.",
                    )
                },
            }
        },
        "/api/v1/jobs/{job_id}": {
            "get": {
                "operationId": "getJob",
                "summary": "One job, with its spec.",
                "parameters": [_path_id()],
                "responses": {"200": _json(job_answer, "The job."), **_errors(404)},
            }
        },
        "/api/v1/status": {
            "get": {
                "operationId": "getStatus",
                "summary": "Last sync, journal depth, jobs, parked reports, current cycle.",
                "responses": {
                    "200": _json(
                        _ok(
                            {
                                "journal": {"type": "object"},
                                "jobs": {"type": "object"},
                                "parked": {"type": "array"},
                                "last_sync": {"type": ["object", "null"]},
                                "cycle": {"type": ["object", "null"]},
                            },
                            ["journal", "jobs", "parked", "last_sync"],
                        ),
                        "The service's state.",
                    )
                },
            }
        },
        "/api/v1/hooks/github": {
            "post": {
                "operationId": "githubHook",
                "summary": "GitHub push event, signed with the hook's secret.",
                "parameters": [
                    {
                        "name": "X-Hub-Signature-256",
                        "in": "header",
                        "required": True,
                        "schema": {"type": "string"},
                    },
                    {
                        "name": "X-GitHub-Event",
                        "in": "header",
                        "required": True,
                        "schema": {"type": "string"},
                    },
                ],
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": {"type": "object"}}},
                },
                "responses": {
                    "200": _json(_ok({}, []), "Verified; not a push to the branch."),
                    "202": _json(_ok({}, []), "A cycle is scheduled."),
                    **_errors(400, 401, 403, 413, 415, 422, 429, 503),
                },
            }
        },
        "/healthz": {
            "get": {
                "operationId": "health",
                "summary": "Liveness.",
                "responses": {"200": _json(_ok({}, []), "The service answers.")},
            }
        },
        "/api/v1/openapi.json": {
            "get": {
                "operationId": "openapi",
                "summary": "This document.",
                "responses": {"200": _json({"type": "object"}, "The OpenAPI document.")},
            }
        },
    }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "catalog service",
            "version": "1",
            "description": "Worker reports, job leases, GitHub push hook and status of "
            "`catalog serve`. Signed requests carry "
            f"{HEADER_WORKER}, {HEADER_TIMESTAMP}, {HEADER_KEY} and {HEADER_SIGNATURE} "
            "(Ed25519 over `timestamp.key.raw body`).",
        },
        "paths": paths,
        "components": {"schemas": schemas},
    }
