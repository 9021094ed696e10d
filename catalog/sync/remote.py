"""Repositories behind fsspec: S3-compatible stores, HTTP(S) servers, SFTP and others.

Credentials and endpoints come from each backend's own environment and configuration (for
S3: ``AWS_ACCESS_KEY_ID``, ``AWS_SECRET_ACCESS_KEY``, ``AWS_ENDPOINT_URL``, ``~/.aws``, or
fsspec's ``FSSPEC_S3_*``), never from records. A URL carrying a password is refused.

S3 lists a whole prefix in a few paginated calls; an object uploaded in one part has its md5
as ETag, which verifies md5 datasets without a download. A multipart ETag (``…-N``) is not an
md5 and is never used as one. HTTP cannot list: each file is asked for by HEAD, 404 is
missing, 401/403 and 5xx are "could not look". SFTP (``sftp://[user@]host[:port]/folder``,
paramiko) logs in with the ssh keys or agent of ``~/.ssh``, as ``ssh`` does; a refused login is
"denied", a server that does not answer "unreachable".
"""

from __future__ import annotations

import os
import re
import secrets
import threading
import weakref
from collections.abc import Iterable
from email.utils import parsedate_to_datetime
from typing import IO, Any
from urllib.parse import quote, urlsplit

from catalog.atomic import TEMP_PREFIX
from catalog.errors import StorageError
from catalog.models import Repository
from catalog.sync import hashing
from catalog.sync.hashing import HashJob, HashResult
from catalog.sync.report import RepoStatus
from catalog.sync.storage import Listing, LookError, Stat, Storage, file_error

_MD5_ETAG = re.compile(r"^[0-9a-f]{32}$")
CONNECT_TIMEOUT = 10.0
READ_TIMEOUT = 60.0


KNOWN_HOSTS = ("~/.ssh/known_hosts", "/etc/ssh/ssh_known_hosts")
"""Where an SSH server's host key must be found, as ssh itself looks."""


class UnknownHostKey(Exception):
    """The SSH server's host key is in no known_hosts file (a setup step is missing)."""


def _known_hosts_only() -> Any:
    """A paramiko host key policy that trusts only the keys in the known_hosts files.

    fsspec's default accepts any key on first contact: whoever answered in the server's
    place could then make every copy look missing.
    """
    import paramiko  # type: ignore[import-untyped]

    class KnownHostsOnly(paramiko.MissingHostKeyPolicy):  # type: ignore[misc]
        def missing_host_key(self, client: Any, hostname: str, key: Any) -> None:
            known = paramiko.HostKeys()
            for name in KNOWN_HOSTS:
                path = os.path.expanduser(name)
                if os.path.isfile(path):
                    try:
                        known.load(path)
                    except (OSError, paramiko.SSHException):
                        continue
            if known.check(hostname, key):
                return
            expected = known.lookup(hostname)
            if expected:
                raise paramiko.BadHostKeyException(hostname, key, next(iter(expected.values())))
            raise UnknownHostKey(
                f"unknown host key for {hostname}: add the server's key to ~/.ssh/known_hosts "
                "(ssh once by hand, or ssh-keyscan and check it)"
            )

    return KnownHostsOnly()


def repository_status(exc: BaseException) -> RepoStatus:
    """How a failure to look at a whole repository is reported (never as missing files)."""
    status = getattr(exc, "status", None)
    if type(exc).__name__ in ("NoCredentialsError", "PartialCredentialsError"):
        return "misconfigured"  # botocore: no keys in the environment or ~/.aws
    if isinstance(exc, UnknownHostKey) or str(exc) == "No authentication methods available":
        return "misconfigured"  # the host is not known; paramiko: no key in ~/.ssh, no agent
    kinds = {c.__name__ for c in type(exc).__mro__}
    if "AuthenticationException" in kinds or "BadHostKeyException" in kinds:
        return "denied"  # paramiko: the server refused our key, or its key changed
    if isinstance(exc, PermissionError) or status in (401, 403):
        return "denied"
    if isinstance(exc, ImportError | ValueError | FileNotFoundError):
        return "misconfigured"
    return "unreachable"


def _mtime_ns(value: Any) -> int:
    if hasattr(value, "timestamp"):
        return int(value.timestamp() * 1_000_000_000)
    if isinstance(value, int | float):
        return int(value * 1_000_000_000)
    if isinstance(value, str) and value:
        try:
            return int(parsedate_to_datetime(value).timestamp() * 1_000_000_000)
        except (TypeError, ValueError):
            return 0
    return 0


class FsspecStorage(Storage):
    """Any fsspec filesystem; ``root`` is the repository's path in it (no protocol)."""

    workers = 8  # network stores wait more than they compute

    def __init__(self, repository: Repository, fs: Any, root: str) -> None:
        super().__init__(repository)
        self.fs = fs
        self.root = root.rstrip("/")

    def _path(self, relative_path: str) -> str:
        return f"{self.root}/{self.check_path(relative_path)}"

    def _info(self, path: str) -> dict[str, Any]:
        return self.fs.info(path)  # type: ignore[no-any-return]

    def _stat(self, info: dict[str, Any]) -> Stat:
        etag = str(info.get("ETag") or info.get("etag") or info.get("md5Hash") or "").strip('"')
        ident = etag or str(info.get("ino") or "")
        mtime = info.get("LastModified") or info.get("mtime") or info.get("updated")
        return Stat(int(info.get("size") or 0), _mtime_ns(mtime), ident)

    def _fail(self, exc: BaseException, what: str) -> LookError:
        if isinstance(exc, LookError):
            return exc
        return LookError(self.name, repository_status(exc), f"{what}: {file_error(exc)}")

    def probe(self) -> None:
        """The root must answer (a missing bucket or host is not "every file missing")."""
        try:
            self._info(self.root or "/")
        except FileNotFoundError:
            return  # an empty prefix: it exists as soon as one object does
        except Exception as exc:  # noqa: BLE001 - any failure means "could not look"
            raise self._fail(exc, f"cannot reach {self.repository.url}") from None

    def walk(self) -> Listing:
        """One recursive listing of the root (paginated by the store)."""
        try:
            found = self.fs.find(self.root, detail=True)
        except Exception as exc:  # noqa: BLE001
            raise self._fail(exc, f"cannot list {self.repository.url}") from None
        out = Listing()
        cut = len(self.root) + 1
        for name, info in found.items():
            # A link's entry describes the link, not its target: stat'ed one by one instead.
            if info.get("type") in ("directory", "link") or name.endswith("/"):
                continue
            if name.rpartition("/")[2].startswith(TEMP_PREFIX):
                out.leftovers.append(name[cut:])
                continue
            out.files[name[cut:]] = self._stat(info)
        return out

    def stat(self, relative_path: str) -> Stat:
        """The store's info on one file; FileNotFoundError means it is not there."""
        path = self._path(relative_path)
        self.fs.invalidate_cache(path)
        info = self._info(path)
        if info.get("type") == "directory":
            raise FileNotFoundError(relative_path)
        return self._stat(info)

    def open_read(self, relative_path: str) -> IO[bytes]:
        """A stream of the file's bytes."""
        return self.fs.open(self._path(relative_path), "rb")  # type: ignore[no-any-return]

    def digest(self, relative_path: str, algorithm: str, expected: Stat) -> HashResult:
        """Download and hash; the file's info before and after must agree."""
        job = HashJob(self, relative_path, expected, algorithm)
        try:
            with self.open_read(relative_path) as fh:
                digest, nbytes = hashing.hash_stream(fh, algorithm)
            after = self.stat(relative_path)
        except FileNotFoundError:
            return HashResult(job, None, 0, missing=True)
        except Exception as exc:  # noqa: BLE001 - could not read: not a finding about the file
            return HashResult(job, None, 0, error=file_error(exc))
        moved = (after.size, after.ident) != (expected.size, expected.ident)
        moved = moved or (after.size >= 0 and nbytes != after.size)
        return HashResult(job, None if moved else digest, nbytes, changed=moved)

    def put_verified(
        self, relative_path: str, chunks: Iterable[bytes], algorithm: str, digest: str
    ) -> Stat:
        """Upload under a temporary name, hash what landed, then copy to the final name."""
        final = self._path(relative_path)
        folder = final.rpartition("/")[0]
        tmp = f"{folder}/{TEMP_PREFIX}{secrets.token_hex(6)}"
        try:
            with self.fs.open(tmp, "wb") as fh:
                for chunk in chunks:
                    fh.write(chunk)
            with self.fs.open(tmp, "rb") as fh:
                landed, _ = hashing.hash_stream(fh, algorithm)
            if landed != digest:
                raise StorageError(
                    self.name, f"copy of {relative_path} has {algorithm} {landed}, not {digest}"
                )
            self.fs.invalidate_cache(final)
            if self.fs.exists(final):
                raise StorageError(self.name, f"{relative_path} appeared meanwhile; not replaced")
            # A server-side copy appears whole under the final name, or not at all.
            self.fs.copy(tmp, final)
        finally:
            try:
                self.fs.rm(tmp)
            except FileNotFoundError:
                pass
        return self.stat(relative_path)

    def remove_leftovers(self, folders: Iterable[str]) -> int:
        """Delete temp objects an interrupted copy left in ``folders`` (relative)."""
        n = 0
        for rel in folders:
            base = f"{self.root}/{rel}" if rel else self.root
            try:
                for name in self.fs.ls(base, detail=False):
                    if name.rpartition("/")[2].startswith(TEMP_PREFIX):
                        self.fs.rm(name)
                        n += 1
            except Exception:  # noqa: BLE001, S112 - clean-up is best effort
                continue
        return n


class S3Storage(FsspecStorage):
    """An S3 bucket (and prefix): ``s3://bucket/prefix``."""

    def __init__(self, repository: Repository, fs: Any, root: str) -> None:
        super().__init__(repository, fs, root)
        self.bucket = root.split("/", 1)[0]

    def _stat(self, info: dict[str, Any]) -> Stat:
        base = super()._stat(info)
        # Single-part uploads have the md5 as ETag; multipart ones end in -N and do not.
        md5 = base.ident if _MD5_ETAG.match(base.ident) else None
        return Stat(base.size, base.mtime_ns, base.ident, md5)

    def probe(self) -> None:
        """The bucket must exist and let us in."""
        try:
            self.fs.info(self.bucket)
        except FileNotFoundError:
            raise LookError(
                self.name, "misconfigured", f"bucket '{self.bucket}' does not exist"
            ) from None
        except Exception as exc:  # noqa: BLE001
            raise self._fail(exc, f"cannot reach bucket '{self.bucket}'") from None

    def still_there(self) -> bool:
        """True while the bucket still answers."""
        try:
            self.fs.invalidate_cache(self.bucket)
            self.fs.info(self.bucket)
        except Exception:  # noqa: BLE001
            return False
        return True


class HttpStorage(FsspecStorage):
    """A read-only HTTP(S) server; ``url`` is the base URL the relative paths hang below."""

    readonly = True
    can_list = False

    def __init__(self, repository: Repository, fs: Any, root: str) -> None:
        super().__init__(repository, fs, root)
        self.root_missing = False

    def _path(self, relative_path: str) -> str:
        # Each segment is percent-encoded: '%', '#', '?' in a file name stay part of the name.
        self.check_path(relative_path)
        return f"{self.root}/" + "/".join(quote(p, safe="") for p in relative_path.split("/"))

    def _info(self, path: str) -> dict[str, Any]:
        # fsspec's HTTP info turns *every* failure (403, 500, refused connection) into
        # FileNotFoundError; only a real 404/410 may count as "not there".
        try:
            return self.fs.info(path)  # type: ignore[no-any-return]
        except FileNotFoundError as exc:
            cause = exc.__cause__
            if getattr(cause, "status", None) in (404, 410):
                raise
            if cause is not None:
                raise cause from None
            raise StorageError(self.name, f"no usable answer for {path}") from None

    def _stat(self, info: dict[str, Any]) -> Stat:
        ident = str(info.get("ETag") or info.get("Last-Modified") or "")
        size = info.get("size")
        size = int(size) if size is not None else -1  # -1: the server did not say
        return Stat(size, _mtime_ns(info.get("Last-Modified")), ident)

    def probe(self) -> None:
        """The server must answer; 4xx at the base URL is fine (listings are often off)."""
        try:
            self._info(self.root + "/")
        except FileNotFoundError:
            self.root_missing = True
        except Exception as exc:  # noqa: BLE001
            status = getattr(exc, "status", None)
            if isinstance(status, int) and 400 <= status < 500:
                return
            raise self._fail(exc, f"cannot reach {self.repository.url}") from None

    def walk(self) -> Listing:
        """HTTP cannot list: every file is asked for by itself."""
        return Listing(complete=False)

    def open_read(self, relative_path: str) -> IO[bytes]:
        """One streaming GET (no range requests)."""
        return self.fs.open(self._path(relative_path), "rb", block_size=0)  # type: ignore[no-any-return]

    def put_verified(
        self, relative_path: str, chunks: Iterable[bytes], algorithm: str, digest: str
    ) -> Stat:
        """HTTP repositories are read-only."""
        raise StorageError(self.name, "HTTP repositories are read-only")


class SftpStorage(FsspecStorage):
    """A folder on an SSH server: ``sftp://[user@]host[:port]/folder``.

    SFTP lists one folder per request and has no inode or ETag: a file's identity is its
    mtime (whole seconds, as HTTP's Last-Modified). One connection serves every thread, one
    request at a time: paramiko's SFTP client is not thread-safe.
    """

    workers = 1

    def __init__(self, repository: Repository, fs: Any, root: str) -> None:
        super().__init__(repository, fs, root)
        self._lock = threading.RLock()
        weakref.finalize(self, fs.client.close)  # the SSH connection ends with the storage

    def _stat(self, info: dict[str, Any]) -> Stat:
        base = super()._stat(info)
        return Stat(base.size, base.mtime_ns, f"mtime:{base.mtime_ns}")

    def _root(self) -> dict[str, Any]:
        info = self._info(self.root or "/")
        if info.get("type") != "directory":
            raise NotADirectoryError(f"{self.root} is not a folder")
        return info

    def probe(self) -> None:
        """The root folder must exist (a wrong path is not "every file missing")."""
        try:
            self._root()
        except FileNotFoundError:
            raise LookError(
                self.name, "unreachable", f"folder {self.root} does not exist on the server"
            ) from None
        except NotADirectoryError as exc:
            raise LookError(self.name, "misconfigured", str(exc)) from None
        except Exception as exc:  # noqa: BLE001
            raise self._fail(exc, f"cannot reach {self.repository.url}") from None

    def still_there(self) -> bool:
        """True while the root folder still answers."""
        try:
            with self._lock:
                self._root()
        except Exception:  # noqa: BLE001
            return False
        return True

    def stat(self, relative_path: str) -> Stat:
        """The server's stat of one file (links followed, by the server)."""
        with self._lock:
            return super().stat(relative_path)

    def digest(self, relative_path: str, algorithm: str, expected: Stat) -> HashResult:
        """Download and hash, holding the connection for the whole file."""
        with self._lock:
            return super().digest(relative_path, algorithm, expected)


def _max_attempts() -> int:
    # botocore's own variable; its default (5 tries with back-off) is slow to give up.
    try:
        return max(1, int(os.environ.get("AWS_MAX_ATTEMPTS", "3")))
    except ValueError:
        return 3


def open_remote(repository: Repository) -> Storage:
    """The fsspec storage for a non-local repository; LookError when it is misconfigured."""
    url = repository.url
    parts = urlsplit(url)
    if parts.password:
        raise LookError(
            repository.name,
            "misconfigured",
            "the url carries a password; credentials belong in the environment, not in records",
        )
    scheme = parts.scheme.lower()
    expected = {"s3": ("s3", "s3a"), "http": ("http", "https"), "gcs": ("gs", "gcs")}
    allowed = expected.get(repository.type.value, (repository.type.value,))
    if scheme not in allowed:
        raise LookError(
            repository.name,
            "misconfigured",
            f"type {repository.type.value} needs a {allowed[0]}:// url, not {url!r}",
        )
    try:
        import fsspec
    except ImportError:  # pragma: no cover - fsspec comes with the s3 extra
        raise LookError(
            repository.name, "misconfigured", "needs fsspec: pip install 'catalog[s3]'"
        ) from None
    if scheme in ("http", "https"):
        try:
            import aiohttp
        except ImportError:
            raise LookError(
                repository.name, "misconfigured", "HTTP needs aiohttp: pip install 'catalog[s3]'"
            ) from None
        timeout = aiohttp.ClientTimeout(sock_connect=CONNECT_TIMEOUT, sock_read=READ_TIMEOUT)
        fs = fsspec.filesystem("http", skip_instance_cache=True, client_kwargs={"timeout": timeout})
        return HttpStorage(repository, fs, url.rstrip("/"))
    if scheme in ("s3", "s3a"):
        root = f"{parts.netloc}{parts.path}".strip("/")
        if not parts.netloc:
            raise LookError(repository.name, "misconfigured", f"no bucket in {url!r}")
        try:
            fs = fsspec.filesystem(
                "s3",
                skip_instance_cache=True,
                config_kwargs={
                    "connect_timeout": CONNECT_TIMEOUT,
                    "read_timeout": READ_TIMEOUT,
                    "retries": {"max_attempts": _max_attempts()},
                },
            )
        except ImportError:
            raise LookError(
                repository.name, "misconfigured", "S3 needs s3fs: pip install 'catalog[s3]'"
            ) from None
        return S3Storage(repository, fs, root)
    options: dict[str, Any] = {"host": parts.hostname, "port": parts.port}
    if scheme == "sftp":
        if not parts.hostname:
            raise LookError(repository.name, "misconfigured", f"no host in {url!r}")
        options["timeout"] = CONNECT_TIMEOUT
    options = {k: v for k, v in options.items() if v}
    if parts.username:
        options["username"] = parts.username
    try:
        if scheme == "sftp":
            options["host_key_policy"] = _known_hosts_only()
        # SFTP connects and logs in here: a failure is "could not look", never a traceback.
        fs = fsspec.filesystem(scheme, skip_instance_cache=True, **options)
    except ImportError as exc:
        hint = "SFTP needs paramiko: pip install 'catalog[sftp]'" if scheme == "sftp" else exc
        raise LookError(
            repository.name, "misconfigured", f"cannot open {scheme}:// storage: {hint}"
        ) from None
    except Exception as exc:  # noqa: BLE001
        raise LookError(
            repository.name, repository_status(exc), f"cannot reach {url}: {file_error(exc)}"
        ) from None
    if scheme == "sftp":
        fs.ftp.get_channel().settimeout(READ_TIMEOUT)  # a server that stops answering
        return SftpStorage(repository, fs, parts.path)
    return FsspecStorage(repository, fs, f"{parts.netloc}{parts.path}")
