"""Records about data: repositories, formats, dataset types, tags, revisions, datasets."""

from __future__ import annotations

from enum import IntEnum, StrEnum
from typing import Any, ClassVar, Literal

from pydantic import Field, field_validator, model_validator

from catalog.models.base import (
    Date,
    DateTime,
    Hash,
    HashAlgorithm,
    Name,
    Part,
    RecordBase,
    Uuid,
)


class RepositoryType(StrEnum):
    """How a repository's files are reached."""

    local = "local"
    s3 = "s3"
    http = "http"
    sftp = "sftp"
    gcs = "gcs"


class Repository(RecordBase):
    """A place where dataset files are stored (Alyx DataRepository)."""

    KIND: ClassVar[str] = "repository"
    FOLDER: ClassVar[str] = "repositories"

    kind: Literal["repository"]
    """Record kind; always 'repository'."""
    name: Name
    """Unique name that file records use to point at this repository."""
    type: RepositoryType = Field(strict=False)
    """Storage protocol: local, s3, http, sftp or gcs."""
    url: str = Field(min_length=1)
    """Where the files are: a folder (relative to the catalog root or absolute) or an fsspec URL."""
    data_url: str | None = None
    """Public HTTP(S) base URL for downloading files, if any."""
    hostname: str | None = None
    """Host that serves the repository, for people and for personal repositories."""
    timezone: str | None = None
    """IANA time zone of the host, e.g. Europe/London."""
    personal: bool = False
    """A personal machine: never used as a copy source when a shared repository has the file."""
    offline: bool = False
    """Not reachable by sync (e.g. tape or a disk on a shelf): its files are not checked."""
    hash_algorithm: HashAlgorithm = Field(HashAlgorithm.sha256, strict=False)
    """Default checksum algorithm for files registered in this repository."""
    description: str = ""
    """What this repository is, in a sentence or two (Markdown)."""

    @field_validator("data_url")
    @classmethod
    def _http_only(cls, v: str | None) -> str | None:
        if v is not None and not v.lower().startswith(("http://", "https://")):
            raise ValueError("data_url must start with http:// or https://")
        return v

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, v: str | None) -> str | None:
        if v is None:
            return v
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"unknown time zone '{v}' (use an IANA name like Europe/London)"
            ) from None
        return v


class DataFormat(RecordBase):
    """A file format (Alyx DataFormat)."""

    KIND: ClassVar[str] = "format"
    FOLDER: ClassVar[str] = "formats"

    kind: Literal["format"]
    """Record kind; always 'format'."""
    name: Name
    """Unique name of the format, e.g. npy."""
    description: str = ""
    """What the format is."""
    file_extension: str = Field("", pattern=r"^(\.[A-Za-z0-9_.\-]+)?$")
    """File extension starting with a dot, e.g. .npy; empty for datasets without files."""
    python_loader_function: str = ""
    """Python function that loads the format, e.g. numpy.load."""
    matlab_loader_function: str = ""
    """MATLAB function that loads the format, e.g. readNPY."""


class DatasetType(RecordBase):
    """A kind of dataset and the file names it covers (Alyx DatasetType)."""

    KIND: ClassVar[str] = "dataset-type"
    FOLDER: ClassVar[str] = "dataset-types"

    kind: Literal["dataset-type"]
    """Record kind; always 'dataset-type'."""
    name: Name
    """Unique name, usually ALF object.attribute, e.g. spikes.times."""
    description: str = ""
    """What the data means, units included."""
    filename_pattern: str = ""
    """Wildcard pattern (* and ?) of file names of this type, case-insensitive; empty means the
    ALF object.attribute of the file name must equal the type's name."""
    metadata_schema: dict[str, Any] | None = None
    """JSON Schema (Draft 2020-12) that the metadata of datasets of this type must follow."""


class Tag(RecordBase):
    """A label on datasets; a protected tag freezes them (Alyx Tag)."""

    KIND: ClassVar[str] = "tag"
    FOLDER: ClassVar[str] = "tags"

    kind: Literal["tag"]
    """Record kind; always 'tag'."""
    name: Name
    """Unique tag name, e.g. 2024_paper."""
    description: str = ""
    """Why datasets carry this tag."""
    protected: bool = False
    """Datasets with this tag may not be edited or deleted."""
    public: bool = False
    """Datasets with this tag are public (free to access)."""


class Revision(RecordBase):
    """A named revision of datasets, shown in paths as #name# (Alyx Revision)."""

    KIND: ClassVar[str] = "revision"
    FOLDER: ClassVar[str] = "revisions"

    kind: Literal["revision"]
    """Record kind; always 'revision'."""
    name: str = Field(pattern=r"^[A-Za-z0-9_-]{1,100}$")
    """Letters, digits, '-' and '_'; revisions sort lexicographically, e.g. 2024-05-01."""
    description: str = ""
    """What changed in this revision."""
    created: Date | None = None
    """Date the revision was created, YYYY-MM-DD."""


class QC(IntEnum):
    """Data-quality level of a dataset (Alyx QC)."""

    NOT_SET = 0
    PASS = 10
    WARNING = 30
    FAIL = 40
    CRITICAL = 50


QCName = Literal["NOT_SET", "PASS", "WARNING", "FAIL", "CRITICAL"]


class FileRecord(Part):
    """One copy of a dataset's file in one repository (Alyx FileRecord)."""

    repository: Name
    """Name of the repository holding this copy."""
    relative_path: str = Field(min_length=1, max_length=1024)
    """Path of the file inside the repository, with '/' separators; no '..', no leading '/'."""
    exists: bool = False
    """Whether sync last found the file there with the right size and checksum."""


class BlockOutputRef(Part):
    """A block output that a dataset was made from."""

    experiment: Name
    """Experiment name."""
    block: Name
    """Block name within the experiment."""
    output: str = ""
    """Output name within the block; empty for the block as a whole."""


class Provenance(Part):
    """What a dataset was made from."""

    datasets: list[Uuid] = []
    """UUIDs of the datasets it was computed from."""
    block: BlockOutputRef | None = None
    """The experiment block output it came from."""


class Dataset(RecordBase):
    """A dataset: one file's worth of data with its copies in repositories (Alyx Dataset)."""

    KIND: ClassVar[str] = "dataset"
    FOLDER: ClassVar[str] = "datasets"

    kind: Literal["dataset"]
    """Record kind; always 'dataset'."""
    uuid: Uuid
    """Unique, never-changing identifier."""
    name: str = Field(min_length=1, max_length=255, pattern=r"^[^/\\\x00-\x1f\x7f]+$")
    """File name of the dataset, e.g. spikes.times.npy (an ALF name when the catalog uses ALF)."""
    session: str = Field("", max_length=255)
    """Session the data belongs to, e.g. SW023/2024-01-05/001."""
    collection: str = Field("", max_length=255)
    """Sub-folder within the session, e.g. alf/probe00; empty for the session root."""
    description: str = ""
    """Free text about this dataset (Markdown)."""
    dataset_type: Name
    """Name of the dataset type."""
    data_format: Name
    """Name of the data format."""
    revision: str | None = None
    """Name of the revision, or empty for unrevised data."""
    tags: list[Name] = []
    """Names of tags on this dataset."""
    qc: QCName = "NOT_SET"
    """Quality: NOT_SET (0), PASS (10), WARNING (30), FAIL (40) or CRITICAL (50)."""
    file_size: int | None = Field(None, ge=0)
    """Size of the file in bytes."""
    hash: Hash | None = None
    """Checksum of the file, hex digest."""
    hash_algorithm: HashAlgorithm = Field(HashAlgorithm.sha256, strict=False)
    """Algorithm of `hash`: md5, sha1, sha256 or blake2b."""
    version: str | None = None
    """Version of the software or pipeline that produced the file, e.g. 1.4.2."""
    default_dataset: bool = True
    """The default (latest) dataset among those with the same session, collection and name."""
    created_by: str | None = None
    """User or worker that created the dataset."""
    created_datetime: DateTime | None = None
    """When the dataset was created, ISO 8601."""
    generating_software: str | None = None
    """Software that produced the file."""
    provenance: Provenance | None = None
    """Datasets or a block output this dataset was made from."""
    metadata: dict[str, Any] | None = None
    """Free-form metadata, checked against the dataset type's metadata_schema when it has one."""
    file_records: list[FileRecord] = []
    """Copies of the file in repositories."""

    @field_validator("qc", mode="before")
    @classmethod
    def _qc_number(cls, v: Any) -> Any:
        # Alyx stores QC as a number; accept both spellings and keep the name.
        if isinstance(v, int) and not isinstance(v, bool):
            try:
                return QC(v).name
            except ValueError:
                raise ValueError(f"unknown QC level {v} (use 0, 10, 30, 40 or 50)") from None
        return v

    @model_validator(mode="after")
    def _hash_needs_algorithm(self) -> Dataset:
        if self.hash is not None:
            expected = {"md5": 32, "sha1": 40, "sha256": 64, "blake2b": 128}[self.hash_algorithm]
            if len(self.hash) != expected:
                raise ValueError(
                    f"hash has {len(self.hash)} hex digits; {self.hash_algorithm} has {expected}"
                )
        return self

    def key(self) -> str:
        """session/collection/#revision#/name — unique among datasets."""
        return dataset_key(self.session, self.collection, self.revision, self.name)


def dataset_key(session: str, collection: str, revision: str | None, name: str) -> str:
    """session/collection/#revision#/name of a dataset — unique among datasets."""
    parts = [p for p in (session, collection) if p]
    if revision:
        parts.append(f"#{revision}#")
    parts.append(name)
    return "/".join(parts)
