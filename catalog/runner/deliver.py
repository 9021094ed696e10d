"""Delivering a report: signed to the service's webhook, or applied through the committer.

A remote worker posts ``POST <service>/api/v1/reports`` with the body signed by its
Ed25519 key (see ``catalog.signing``). The idempotency key is derived from the body, so a
re-sent report (after a lost answer) gets the first answer and changes nothing. Without a
service, the report is applied to the catalog's repository directly.
"""

from __future__ import annotations

import hashlib
import json
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from catalog.errors import CatalogError
from catalog.gitrepo import Committer
from catalog.runner.apply import report_edits
from catalog.runner.report import Report
from catalog.runner.worker import run_job
from catalog.signing import default_key_path, load_private_key, signed_headers
from catalog.validate import load_catalog

REPORTS_PATH = "/api/v1/reports"
RETRIES = 3
"""Tries of a delivery that meets a network error or a 5xx answer (1 s, 2 s, 4 s apart)."""


class DeliveryError(CatalogError):
    """The service refused a report, or could not be reached."""


def idempotency_key(body: bytes) -> str:
    """``rpt-`` and 48 hex digits of the body's sha256: equal bodies, equal keys."""
    return "rpt-" + hashlib.sha256(body).hexdigest()[:48]


def post_report(
    service: str,
    report: Report,
    worker: str,
    key: Ed25519PrivateKey,
    *,
    timeout: float = 30.0,
    backoff: float = 1.0,
) -> dict[str, Any]:
    """Sign and post ``report``; return the service's JSON answer."""
    body = report.model_dump_json().encode("utf-8")
    ident = idempotency_key(body)
    url = service.rstrip("/") + REPORTS_PATH
    if not url.startswith(("http://", "https://")):
        raise DeliveryError(f"the service URL must start with http:// or https://, not {service}")
    last = ""
    for attempt in range(RETRIES):
        # Signed afresh on every try: the timestamp must stay inside the service's window.
        headers = {"Content-Type": "application/json", **signed_headers(worker, key, ident, body)}
        request = urllib.request.Request(url, data=body, headers=headers, method="POST")  # noqa: S310
        try:
            with urllib.request.urlopen(request, timeout=timeout) as answer:  # noqa: S310
                raw = answer.read()
            return dict(json.loads(raw or b"{}"))
        except urllib.error.HTTPError as exc:
            detail = exc.read().decode("utf-8", errors="replace")[:500]
            if exc.code < 500:
                raise DeliveryError(
                    f"the service refused the report (HTTP {exc.code}): {detail}"
                ) from None
            last = f"HTTP {exc.code}: {detail}"
        except (urllib.error.URLError, OSError, ValueError) as exc:
            last = str(exc)
        if attempt + 1 < RETRIES:
            time.sleep(backoff * 2**attempt)
    raise DeliveryError(f"could not deliver the report to {url} after {RETRIES} tries: {last}")


def apply_report(root: Path, report: Report) -> str | None:
    """Record ``report`` in the catalog at ``root`` (one commit); the new commit's sha."""
    records = load_catalog(root)
    edits = report_edits(records, report)
    body = report.model_dump_json().encode("utf-8")
    with Committer(root) as committer:
        result = committer.apply(
            edits, f"Record the report of {report.job_id}", batch_id=idempotency_key(body)
        )
    return result.sha


def read_jobfile(path: Path) -> dict[str, Any]:
    """A job spec from a JSON file (as ``catalog run --plan --format json`` writes them)."""
    try:
        spec = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CatalogError(f"{path}: not a JSON job spec: {exc}") from None
    if isinstance(spec, dict) and isinstance(spec.get("spec"), dict):
        spec = spec["spec"]  # a job as `catalog run --plan --format json` prints it
    if not isinstance(spec, dict) or not {"job_id", "kind"} <= spec.keys():
        raise CatalogError(f"{path}: a job spec is an object with 'job_id', 'kind', …")
    return spec


def run_jobfile(
    jobfile: Path,
    *,
    root: Path,
    service: str | None = None,
    worker: str | None = None,
    key_path: Path | None = None,
    report_out: Path | None = None,
) -> tuple[Report, str]:
    """Run the job in ``jobfile`` and deliver its report; (report, where it went)."""
    spec = read_jobfile(jobfile)
    key = None
    if service is not None:
        if not worker:
            raise CatalogError("posting to a service needs --worker NAME (whose key signs)")
        key = load_private_key(key_path or default_key_path(worker))  # fail before running
    report = run_job(spec, root=root)
    if report_out is not None:
        report_out.write_text(report.model_dump_json(indent=2) + "\n", encoding="utf-8")
    if service is not None:
        assert key is not None
        assert worker is not None
        answer = post_report(service, report, worker, key)
        return report, f"posted to {service}: {answer.get('status', 'accepted')}"
    sha = apply_report(root, report)
    return report, f"recorded in commit {sha[:12]}" if sha else "already recorded"
