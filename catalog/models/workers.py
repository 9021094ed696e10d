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

        raw = base64.b64decode(v.removeprefix(KEY_PREFIX), validate=True)
        if not on_curve(raw):
            raise ValueError("not a valid Ed25519 public key (not a point of the curve)")
        return v


_P = 2**255 - 19
_D = (-121665 * pow(121666, _P - 2, _P)) % _P


def on_curve(raw: bytes) -> bool:
    """Whether 32 bytes decode to a point of Ed25519 (RFC 8032, 5.1.3).

    Loading a key does not check this, so a mistyped key would only fail, much later, when
    the first report signed with the real key does not verify.
    """
    if len(raw) != 32:
        return False
    y = int.from_bytes(raw, "little") & ((1 << 255) - 1)
    if y >= _P:
        return False
    x2 = (y * y - 1) * pow(_D * y * y + 1, _P - 2, _P) % _P
    if x2 == 0:
        return raw[31] >> 7 == 0
    x = pow(x2, (_P + 3) // 8, _P)
    if (x * x - x2) % _P:
        x = x * pow(2, (_P - 1) // 4, _P) % _P
    return (x * x - x2) % _P == 0


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
