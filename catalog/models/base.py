"""Shared pieces of every record model: the base class and the constrained value types."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, ClassVar

from pydantic import BaseModel, ConfigDict, StringConstraints

Name = Annotated[
    str,
    StringConstraints(
        min_length=1,
        max_length=200,
        pattern=r"^[^\s/\x00-\x1f\x7f](?:[^/\x00-\x1f\x7f]*[^\s/\x00-\x1f\x7f])?$",
    ),
]
"""A record name: 1–200 characters, no '/', no control characters, no surrounding spaces."""

Slug = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_][A-Za-z0-9_.\-]{0,99}$")]
"""A short identifier: letters, digits, '_', '.', '-' (queues, capabilities, outputs)."""

Uuid = Annotated[
    str,
    StringConstraints(pattern=r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"),
]
"""A UUID in canonical lower-case form, e.g. 0d3c1e5a-8f7e-4a49-9d1c-2f6b0a9e7c11."""

Hash = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{32,128}$")]
"""A hex digest in lower case."""

Date = Annotated[str, StringConstraints(pattern=r"^\d{4}-\d{2}-\d{2}$")]
"""A calendar date, YYYY-MM-DD."""

DateTime = Annotated[
    str,
    StringConstraints(
        pattern=r"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?)?$"
    ),
]
"""A date or date-time in ISO 8601, e.g. 2024-03-01T14:05:00Z."""


class HashAlgorithm(StrEnum):
    """Checksum algorithms the catalog can verify."""

    md5 = "md5"
    sha1 = "sha1"
    sha256 = "sha256"
    blake2b = "blake2b"


class RecordBase(BaseModel):
    """Fields and settings common to every record kind."""

    # strict: a value must have the type the JSON Schema shows (true/false, not "yes"; 12,
    # not "12"), so that what editors accept and what the catalog accepts agree. Enum fields
    # opt out (they take their values as strings).
    model_config = ConfigDict(
        extra="forbid",
        use_attribute_docstrings=True,
        frozen=False,
        validate_default=False,
        strict=True,
    )

    KIND: ClassVar[str] = ""
    FOLDER: ClassVar[str] = ""

    def key(self) -> str:
        """The identity shown in messages and used for lookups (the name by default)."""
        return str(getattr(self, "name", ""))


class Part(BaseModel):
    """A nested part of a record (not a record itself)."""

    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True, strict=True)
