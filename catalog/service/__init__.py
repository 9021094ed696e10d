"""`catalog serve`: the one server of the catalog.

It takes signed worker reports on a webhook, journals them durably before answering 202,
applies them to records in batches through the git committer, re-syncs on a schedule or
when GitHub says the branch moved, plans jobs and leases them to workers, and serves the
built site with a status page.

::

    app.py        create_app(config): Flask factory, blueprints, error handlers
    run.py        `catalog serve`: validate, recover, start, serve (or --once: settle)
    server.py     waitress with explicit limits (never Flask's development server)
    settings.py   the service: section of catalog.yaml
    runtime.py    the parts a request handler or background thread needs (Service)
    background.py committer, scheduler and pool: threads here or a child process
    responses.py  the one JSON shape of every answer, errors included
    webhook.py    POST /api/v1/reports: verify → parse → validate → journal → 202
    auth.py       Ed25519 signatures of workers (catalog.signing), checked before parsing
    strictjson.py UTF-8, duplicate keys and nesting depth refused
    ratelimit.py  token buckets → 429 with Retry-After
    live.py       the records in memory, refreshed after commits and pulls
    db.py         the state file: SQLite, WAL, synchronous=FULL
    journal.py    durable report queue (group commit), replays and conflicts
    drain.py      the committer thread: batches → Committer.apply → done or parked
    leases.py     jobs offered, claimed, renewed, re-offered after a lease lapses
    jobs_api.py   GET /api/v1/jobs[/<id>], POST /api/v1/jobs/claim, /<id>/renew
    github.py     POST /api/v1/hooks/github (X-Hub-Signature-256)
    schedule.py   the scheduler thread: pull, validate, sync, plan, build; coalesced
    steps.py      the steps of a cycle
    pool.py       the service's own workers for the local queues
    status.py     /healthz, /api/v1/status, /status, the site's files
    page.py       the status page's context, rendered with the site's templates
    openapi.py    /api/v1/openapi.json
"""

from __future__ import annotations

from catalog.service.app import create_app

__all__ = ["create_app"]
