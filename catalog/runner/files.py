"""Moving job files in and out of repositories, through sync's storage layer.

Inputs are copied into the job's working directory and hashed on the way, so a copy that
changed since it was verified is caught before the command reads it. Outputs are hashed
where the command wrote them and stored under a content-addressed path with
``Storage.put_verified`` (temp name, re-hash where it landed, then link — never replacing);
an identical file already there is reused.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from catalog.errors import StorageError
from catalog.models import Repository
from catalog.sync import hashing
from catalog.sync.storage import Storage, open_storage

CHUNK = 1024 * 1024


class OtherContent(StorageError):
    """The path is taken by a file with other content (files are never replaced)."""


@dataclass(frozen=True, slots=True)
class Stored:
    """Where an output landed and what it hashes to."""

    repository: str
    relative_path: str
    hash: str
    hash_algorithm: str
    file_size: int


class Repositories:
    """Storages of the repositories a job touches, opened once per job."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._open: dict[str, Storage] = {}

    def get(self, data: dict[str, Any]) -> Storage:
        """The storage of the repository record ``data`` (as the spec carries it)."""
        repo = Repository.model_validate(data)
        if repo.name not in self._open:
            self._open[repo.name] = open_storage(repo, self.root)
        return self._open[repo.name]


def stage(
    storage: Storage,
    relative_path: str,
    dest: Path,
    *,
    algorithm: str,
    expected_hash: str | None,
    expected_size: int | None,
) -> int:
    """Copy a repository file to ``dest``, checking size and checksum; return its size."""
    h = hashing.new_hasher(algorithm)
    size = 0
    dest.parent.mkdir(parents=True, exist_ok=True)
    with storage.open_read(relative_path) as src, dest.open("wb") as out:
        while chunk := src.read(CHUNK):
            h.update(chunk)
            out.write(chunk)
            size += len(chunk)
    where = f"{storage.name}:{relative_path}"
    if expected_size is not None and size != expected_size:
        raise StorageError(
            storage.name, f"{relative_path} has {size} bytes; the record says {expected_size}"
        )
    digest = h.hexdigest()
    if expected_hash is not None and digest != expected_hash:
        raise StorageError(
            storage.name,
            f"{where} has {algorithm} {digest}; the record says {expected_hash}",
        )
    return size


def read_verified(
    storage: Storage, relative_path: str, algorithm: str, expected: str | None
) -> bytes:
    """The bytes of a (small) repository file, checked against its recorded checksum."""
    with storage.open_read(relative_path) as src:
        data = src.read()
    if expected is not None and hashing.hash_bytes(data, algorithm) != expected:
        raise StorageError(storage.name, f"{relative_path} does not match its recorded checksum")
    return data


def hash_file(path: Path, algorithm: str) -> tuple[str, int]:
    """(digest, size) of a local file."""
    fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    try:
        return hashing.hash_fd(fd, algorithm, os.fstat(fd).st_size)
    finally:
        os.close(fd)


def _chunks(path: Path) -> Iterator[bytes]:
    with path.open("rb") as fh:
        while chunk := fh.read(CHUNK):
            yield chunk


def _chunks_of(data: bytes) -> Iterator[bytes]:
    for i in range(0, len(data), CHUNK):
        yield data[i : i + CHUNK]
    if not data:
        yield b""


def store(
    storage: Storage,
    relative_path: str,
    *,
    algorithm: str,
    digest: str,
    size: int,
    path: Path | None = None,
    data: bytes | None = None,
) -> Stored:
    """Put a file (from ``path`` or ``data``) at ``relative_path``, or reuse an identical one."""
    try:
        st = storage.stat(relative_path)
    except FileNotFoundError:
        chunks = _chunks(path) if path is not None else _chunks_of(data or b"")
        storage.put_verified(relative_path, chunks, algorithm, digest)
    else:
        # Content-addressed paths: the same file stored by an earlier run is reused as is.
        found = storage.digest(relative_path, algorithm, st)
        if found.digest != digest:
            raise OtherContent(
                storage.name,
                f"{relative_path} already exists with other content; refusing to replace it",
            )
    return Stored(storage.name, relative_path, digest, algorithm, size)
