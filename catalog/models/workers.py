"""Workers: machines or processes that run jobs and sign their reports."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field, field_validator

from catalog.models.base import Date, Name, Part, RecordBase, Slug

KEY_PREFIX = "ed25519:"


class PublicKey(Part):
    """An Ed25519 public key a worker signs its reports with."""

    key: str = Field(pattern=r"^ed25519:[A-Za-z0-9+/]{43}=$")
    """'ed25519:' then the 32-byte raw public key in base64."""
    added: Date | None = None
    """When the key was added."""
    comment: str = ""
    """Where the key lives, e.g. the host name."""

    @field_validator("key")
    @classmethod
    def _valid_point(cls, v: str) -> str:
        import base64

        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

        raw = base64.b64decode(v.removeprefix(KEY_PREFIX), validate=True)
        try:
            Ed25519PublicKey.from_public_bytes(raw)
        except ValueError:
            raise ValueError("not a valid Ed25519 public key") from None
        return v


class Worker(RecordBase):
    """A worker allowed to report job results (its private key never enters the catalog)."""

    KIND: ClassVar[str] = "worker"
    FOLDER: ClassVar[str] = "workers"

    kind: Literal["worker"]
    """Record kind; always 'worker'."""
    name: Name
    """Unique worker name, sent with every report."""
    description: str = ""
    """Where the worker runs and who looks after it."""
    enabled: bool = True
    """Reports from a disabled worker are refused."""
    queues: list[Slug] = ["default"]
    """Queues the worker takes jobs from."""
    slots: int = Field(1, ge=1)
    """Jobs (or cores) the worker can run at once."""
    capabilities: list[Slug] = []
    """What the worker offers, e.g. gpu, matlab."""
    public_keys: list[PublicKey] = Field(default=[], max_length=2)
    """Active public keys: one, or two during a rotation."""
