"""Storage per Repository record: list, stat, hash, and write files in one repository.

Local folders are read with the operating system directly (the fast path for the common
case, and the only way to check where symlinks lead); S3, HTTP(S) and other fsspec stores
live in :mod:`catalog.sync.remote`. Credentials never come from records: each backend reads
its own environment and configuration (``AWS_*`` variables, ``~/.aws``, fsspec config).

Every relative path from a record passes :meth:`Storage.check_path` before any access, which
refuses what could leave the repository: ``..``, absolute paths, backslashes, percent-encoded
dots, control characters (NUL included) and, for local folders, symlinks that resolve
outside the root.

"Could not look" is never "missing": a repository whose root cannot be reached, read or
understood raises :class:`LookError` with the status to report, and only a clean
"no such file" from a reachable repository counts as missing.
"""

from __future__ import annotations

import errno
import functools
import logging
import os
import secrets
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, NamedTuple, Protocol

from catalog.atomic import TEMP_PREFIX, fsync_dir
from catalog.errors import StorageError
from catalog.sync import hashing
from catalog.sync.hashing import HashJob, HashResult

if TYPE_CHECKING:
    from catalog.models import Repository
    from catalog.sync.report import RepoStatus

log = logging.getLogger(__name__)


class RepositoryRef(Protocol):
    """What storage needs of a repository record (a Repository model is one)."""

    @property
    def name(self) -> str: ...
    @property
    def url(self) -> str: ...
    @property
    def personal(self) -> bool: ...


@dataclass(frozen=True, slots=True)
class LocalRepository:
    """A local repository's name and url without its record: enough to walk the folder."""

    name: str
    url: str
    personal: bool = False


@functools.cache
def _path_rule() -> Callable[[str], str | None]:
    # The rule lives with the record checks, whose package imports every model: import it on
    # the first path checked, so that a run which only walks folders never builds the models.
    from catalog.checks.naming import path_problem

    return path_problem


class LookError(StorageError):
    """A repository (or one of its files) could not be looked at; never means "missing"."""

    def __init__(self, repository: str, status: RepoStatus, message: str) -> None:
        self.status = status
        self.reason = message
        super().__init__(repository, message)


class PathRefused(StorageError):
    """A relative path that could reach outside its repository."""

    def __init__(self, repository: str, relative_path: str, why: str) -> None:
        self.relative_path = relative_path
        self.why = why
        super().__init__(repository, f"refused path {relative_path!r}: {why}")


class Stat(NamedTuple):
    """What a listing says about a file: enough to tell whether it changed since last time."""

    # A named tuple, not a dataclass: a walk makes one per file, and this builds 3× faster.
    size: int
    mtime_ns: int
    ident: str
    """Identity that changes with the content: device:inode locally, ETag on S3/HTTP."""
    md5: str | None = None
    """An md5 the store vouches for without a download (an S3 single-part ETag)."""

    @property
    def cacheable(self) -> bool:
        """Whether a cached digest may be trusted for this file (it has an identity)."""
        return bool(self.ident)


@dataclass(slots=True)
class Listing:
    """Every file found in a repository, and what could not be looked at."""

    files: dict[str, Stat] = field(default_factory=dict)
    unlisted: dict[str, str] = field(default_factory=dict)
    """Folders that could not be listed → why; files below them are stat'ed one by one."""
    refused: dict[str, str] = field(default_factory=dict)
    """Entries refused during the walk (symlinks leaving the root, loops) → why."""
    complete: bool = True
    """False when the store cannot list (HTTP): absence from ``files`` proves nothing."""
    leftovers: list[str] = field(default_factory=list)
    """Temporary files of interrupted copies (removed by the next replication)."""


def is_hidden(relative_path: str) -> bool:
    """Dot-files and dot-folders (and our temp files) are not data; they are never orphans."""
    return any(part.startswith(".") for part in relative_path.split("/"))


def file_error(exc: BaseException) -> str:
    """A short reason for a per-file failure that is not "no such file"."""
    if isinstance(exc, PermissionError):
        return "permission denied"
    if isinstance(exc, OSError) and exc.errno == errno.ELOOP:
        return "symlink loop"
    if isinstance(exc, PathRefused):
        return f"refused: {exc.why}"
    if isinstance(exc, TimeoutError):
        return "timed out: no answer"  # its text is often empty (socket, asyncio)
    status = getattr(exc, "status", None)
    if isinstance(status, int):
        return f"HTTP {status}" + (" (permission denied)" if status in (401, 403) else "")
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {text}"[:200]


class Storage(ABC):
    """One repository's files, addressed by their relative paths."""

    readonly: bool = False
    can_list: bool = True
    workers: int = max(2, os.cpu_count() or 2)
    """Threads that hash this repository's files (more for network stores)."""

    def __init__(self, repository: RepositoryRef) -> None:
        self.repository = repository
        self.name = repository.name

    def check_path(self, relative_path: str) -> str:
        """The one gate every relative path passes; refuses anything that could escape."""
        why = _path_rule()(relative_path)
        if why is None and "\x00" in relative_path:
            why = "contains a NUL byte"
        if why is not None:
            raise PathRefused(self.name, relative_path, why)
        return relative_path

    @abstractmethod
    def probe(self) -> None:
        """Raise LookError unless the repository's root can be looked at right now."""

    @abstractmethod
    def walk(self) -> Listing:
        """List every file below the root (one listing call per folder, at most)."""

    @abstractmethod
    def stat(self, relative_path: str) -> Stat:
        """Stat one file; FileNotFoundError only when the store says it does not exist."""

    @abstractmethod
    def digest(self, relative_path: str, algorithm: str, expected: Stat) -> HashResult:
        """Hash one file, checking that it did not change from ``expected`` meanwhile."""

    @abstractmethod
    def open_read(self, relative_path: str) -> IO[bytes]:
        """Open one file for reading (a stream of its bytes)."""

    @abstractmethod
    def put_verified(
        self, relative_path: str, chunks: Iterable[bytes], algorithm: str, digest: str
    ) -> Stat:
        """Write a new file under a temporary name, verify its checksum where it landed, and
        only then give it its final name (never replacing an existing file)."""

    def still_there(self) -> bool:
        """Whether the root is still what it was at probe time (catches unmounts mid-run)."""
        return True

    def remove_leftovers(self, folders: Iterable[str]) -> int:
        """Delete temp files an interrupted copy left in ``folders``; how many."""
        return 0


def _stat_of(st: os.stat_result) -> Stat:
    return Stat(st.st_size, st.st_mtime_ns, f"{st.st_dev}:{st.st_ino}")


class LocalStorage(Storage):
    """A folder on this machine (``url`` relative to the catalog root, absolute, or file://)."""

    def __init__(self, repository: RepositoryRef, root: Path) -> None:
        super().__init__(repository)
        self.root = root
        self._real_root = os.path.realpath(root)
        self._root_id: tuple[int, int] | None = None
        self._dirs: dict[str, str] = {}

    # -- the one gate --------------------------------------------------------------------
    def real(self, relative_path: str) -> str:
        """The real path of ``relative_path``, refused unless it stays inside the root."""
        self.check_path(relative_path)
        parent, _, name = relative_path.rpartition("/")
        real = os.path.join(self._real_dir(parent), name)
        if os.path.islink(real):
            real = self._inside(relative_path, os.path.realpath(real))
        return real

    def _real_dir(self, parent: str) -> str:
        # Folders are resolved once per run: thousands of files share a few hundred folders.
        hit = self._dirs.get(parent)
        if hit is None:
            joined = os.path.join(self._real_root, *parent.split("/")) if parent else ""
            hit = self._inside(parent, os.path.realpath(joined)) if parent else self._real_root
            self._dirs[parent] = hit
        return hit

    def _inside(self, relative_path: str, real: str) -> str:
        if real != self._real_root and not real.startswith(self._real_root + os.sep):
            raise PathRefused(self.name, relative_path, "a symlink resolves outside the repository")
        return real

    # -- looking ---------------------------------------------------------------------------
    def probe(self) -> None:
        """The root must exist, be a folder and be listable."""
        try:
            st = os.stat(self._real_root)
            with os.scandir(self._real_root) as it:
                next(it, None)
        except FileNotFoundError:
            raise LookError(
                self.name, "unreachable", f"folder {self.root} does not exist (not mounted?)"
            ) from None
        except NotADirectoryError:
            raise LookError(self.name, "misconfigured", f"{self.root} is not a folder") from None
        except PermissionError:
            raise LookError(self.name, "denied", f"permission denied on {self.root}") from None
        except OSError as exc:
            raise LookError(self.name, "unreachable", f"{self.root}: {exc.strerror}") from None
        self._root_id = (st.st_dev, st.st_ino)

    def still_there(self) -> bool:
        """True while the root folder is the same folder it was at probe time."""
        try:
            st = os.stat(self._real_root)
        except OSError:
            return False
        return self._root_id is None or self._root_id == (st.st_dev, st.st_ino)

    def walk(self) -> Listing:
        """scandir every folder once (hidden ones aside); symlinks are followed only when they
        stay inside."""
        out = Listing()
        stack = [("", self._real_root)]
        while stack:
            rel_dir, real_dir = stack.pop()
            try:
                it = os.scandir(real_dir)
            except OSError as exc:
                if not rel_dir:
                    self.probe()  # the root itself: report it as the repository's status
                    raise LookError(self.name, "unreachable", file_error(exc)) from None
                out.unlisted[rel_dir] = file_error(exc)
                continue
            prefix = f"{rel_dir}/" if rel_dir else ""
            with it:
                for de in it:
                    rel = prefix + de.name
                    try:
                        # Regular files first: they are nearly every entry.
                        if de.is_file(follow_symlinks=False):
                            if de.name.startswith(TEMP_PREFIX):
                                out.leftovers.append(rel)
                            else:
                                out.files[rel] = _stat_of(de.stat(follow_symlinks=False))
                        elif de.is_symlink():
                            self._walk_link(rel, out)
                        elif de.is_dir(follow_symlinks=False):
                            # Hidden folders (.git, .catalog, .snapshots) hold no data; a
                            # record naming a file in one is still stat'ed on its own.
                            if not de.name.startswith("."):
                                stack.append((rel, de.path))
                        elif de.name.startswith(TEMP_PREFIX):
                            out.leftovers.append(rel)
                    except OSError as exc:
                        if exc.errno != errno.ENOENT:  # vanished meanwhile: simply not there
                            out.refused[rel] = file_error(exc)
        return out

    def _walk_link(self, rel: str, out: Listing) -> None:
        try:
            real = self.real(rel)
            st = os.stat(real)
        except PathRefused as exc:
            out.refused[rel] = f"refused: {exc.why}"
            return
        except OSError as exc:
            out.refused[rel] = file_error(exc)
            return
        if os.path.isfile(real):
            out.files[rel] = _stat_of(st)
        # A linked folder is not descended: loops are impossible and nothing is counted twice;
        # records below it are stat'ed one by one.

    def stat(self, relative_path: str) -> Stat:
        """os.stat through the gate; a folder where a file should be counts as missing."""
        real = self.real(relative_path)
        st = os.stat(real)
        if not os.path.isfile(real):
            raise FileNotFoundError(errno.ENOENT, "not a regular file", relative_path)
        return _stat_of(st)

    def digest(self, relative_path: str, algorithm: str, expected: Stat) -> HashResult:
        """Hash with fstat before and after: a file that moved meanwhile is ``changed``."""
        job = HashJob(self, relative_path, expected, algorithm)
        try:
            fd = os.open(self.real(relative_path), os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
        except FileNotFoundError:
            return HashResult(job, None, 0, missing=True)
        except (OSError, StorageError) as exc:
            return HashResult(job, None, 0, error=file_error(exc))
        try:
            before = _stat_of(os.fstat(fd))
            digest, nbytes = hashing.hash_fd(fd, algorithm, before.size)
            after = _stat_of(os.fstat(fd))
        except OSError as exc:
            return HashResult(job, None, 0, error=file_error(exc))
        finally:
            os.close(fd)
        moved = before != after or before != expected or nbytes != after.size
        return HashResult(job, None if moved else digest, nbytes, changed=moved)

    def open_read(self, relative_path: str) -> IO[bytes]:
        """Open through the gate, never following a final symlink."""
        fd = os.open(self.real(relative_path), os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
        return os.fdopen(fd, "rb", buffering=0)

    # -- writing ---------------------------------------------------------------------------
    def put_verified(
        self, relative_path: str, chunks: Iterable[bytes], algorithm: str, digest: str
    ) -> Stat:
        """Temp file beside the target, fsync, re-read and hash, then link (no replace)."""
        final = self.real(relative_path)
        folder = os.path.dirname(final)
        os.makedirs(folder, exist_ok=True)
        # The folders just made are real folders: check again that the target stays inside.
        self._dirs.clear()
        final = self.real(relative_path)
        tmp = os.path.join(folder, f"{TEMP_PREFIX}{secrets.token_hex(6)}")
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
        fd = os.open(tmp, flags, 0o644)
        try:
            with os.fdopen(fd, "wb") as fh:
                for chunk in chunks:
                    fh.write(chunk)
                fh.flush()
                os.fsync(fh.fileno())
            rfd = os.open(tmp, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
            try:
                landed, _ = hashing.hash_fd(rfd, algorithm, os.fstat(rfd).st_size)
            finally:
                os.close(rfd)
            if landed != digest:
                raise StorageError(
                    self.name, f"copy of {relative_path} has {algorithm} {landed}, not {digest}"
                )
            os.link(tmp, final)  # fails if the final name exists: never replaces a file
            fsync_dir(Path(folder))
        finally:
            Path(tmp).unlink(missing_ok=True)
        return _stat_of(os.stat(final))

    def remove_leftovers(self, folders: Iterable[str]) -> int:
        """Delete temp files that an interrupted copy left in ``folders`` (relative)."""
        n = 0
        for rel in folders:
            try:
                real = self.real(rel) if rel else self._real_root
                with os.scandir(real) as it:
                    for de in it:
                        if de.name.startswith(TEMP_PREFIX) and de.is_file(follow_symlinks=False):
                            os.unlink(de.path)
                            n += 1
            except (OSError, StorageError):
                continue
        return n


def open_storage(repository: Repository, catalog_root: Path) -> Storage:
    """The storage of one repository record; LookError when its url cannot work."""
    if repository.type.value == "local":
        return local_storage(repository, catalog_root)
    from catalog.sync.remote import open_remote

    return open_remote(repository)


def local_storage(repository: RepositoryRef, catalog_root: Path) -> LocalStorage:
    """The folder of a local repository: ``url`` absolute, relative to the catalog root, or
    ``file://``; LookError for any other URL."""
    url = repository.url
    if url.startswith("file://"):
        url = url[len("file://") :]
    elif "://" in url:
        raise LookError(
            repository.name, "misconfigured", f"a local repository needs a folder, not {url!r}"
        )
    folder = Path(url)
    return LocalStorage(repository, folder if folder.is_absolute() else catalog_root / folder)
