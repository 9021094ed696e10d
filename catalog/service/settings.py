"""Settings of `catalog serve`, read from the ``service:`` section of catalog.yaml."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from catalog.config import CatalogConfig
from catalog.errors import ConfigError

GITHUB_SECRET_ENV = "CATALOG_GITHUB_SECRET"  # noqa: S105 - a variable name, not a secret
"""Environment variable holding the shared secret of GitHub's push hook."""


class ServiceSettings(BaseModel):
    """How the service listens, what it accepts and how it batches and schedules work."""

    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)

    host: str = "127.0.0.1"
    """Address to listen on; 127.0.0.1 keeps the service private to this machine."""
    port: int = Field(8000, ge=0, le=65535)
    """TCP port (0 picks a free one)."""
    threads: int = Field(8, ge=1, le=256)
    """Request threads of the WSGI server."""
    max_body_bytes: int = Field(1 << 20, ge=1024)
    """Largest request body accepted (413 above it)."""
    max_header_bytes: int = Field(16 << 10, ge=1024)
    """Largest request head (request line and headers) the server reads."""
    channel_timeout_s: int = Field(30, ge=1)
    """Seconds an idle or slow connection is kept open."""
    max_json_depth: int = Field(32, ge=2, le=512)
    """Deepest nesting of arrays and objects in a report (400 above it)."""
    rate_per_worker: float = Field(200.0, gt=0)
    """Reports (and claims) per second a worker may send, sustained (429 above it)."""
    burst_per_worker: int = Field(400, ge=1)
    """Requests a worker may send at once before the sustained rate applies."""
    rate_per_client: float = Field(2000.0, gt=0)
    """Requests per second one client address may send before being authenticated."""
    burst_per_client: int = Field(4000, ge=1)
    """Burst of unauthenticated requests per client address."""
    batch_size: int = Field(200, ge=1)
    """Most reports applied in one commit."""
    batch_size_deep: int = Field(5000, ge=1)
    """Most reports applied in one commit when a full ``batch_size`` waits: a backlog drains
    in fewer, larger commits, each record file written once for more of its reports."""
    batch_interval_s: float = Field(0.5, ge=0)
    """Longest wait for a batch to fill before committing what is there."""
    retry_max_s: float = Field(30.0, gt=0)
    """Longest pause between retries of a batch that failed to commit."""
    lease_s: float = Field(300.0, gt=0)
    """How long a claimed job stays leased to a silent worker before it is offered again."""
    sync_interval_s: float = Field(3600.0, ge=0)
    """Seconds between scheduled sync cycles (0: only at start and on GitHub pushes)."""
    sync_repositories: list[str] = []
    """Repositories the scheduled sync looks at (default: every one that is not offline)."""
    cycle_at_start: bool = True
    """Run a cycle (pull, sync, validate, plan, build) as soon as the service starts."""
    replan_after_commit: bool = True
    """After the committer thread applied reports: plan newly ready jobs, rebuild the site."""
    branch: str = "main"
    """Branch whose GitHub push events trigger a cycle."""
    local_workers: int = Field(2, ge=0)
    """Jobs the service runs itself at once on this machine (0: leave all to workers)."""
    local_queues: list[str] = ["default"]
    """Queues the service's own pool takes jobs from."""
    retention_days: float = Field(7.0, gt=0)
    """Applied reports are kept this long in the journal (replays are answered meanwhile)."""


def service_settings(config: CatalogConfig, **overrides: Any) -> ServiceSettings:
    """The validated ``service:`` settings of ``config``, with ``overrides`` on top."""
    data = {**config.service, **{k: v for k, v in overrides.items() if v is not None}}
    try:
        return ServiceSettings.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"])
        raise ConfigError(
            f"{config.root / 'catalog.yaml'}: service.{field}: {first['msg']}"
        ) from None
