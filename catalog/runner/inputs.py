"""Whether a file copy the plan depends on is really there: sync's storage and stat cache.

"Could not look" is never "missing": a repository that cannot be reached leaves the
records' word standing (``exists: true`` stays trusted), while a reachable repository must
show the file with its recorded size and checksum. Digests come from sync's stat cache when
the file is unchanged since it was last verified, and are hashed (and cached) otherwise.
"""

from __future__ import annotations

import logging
from pathlib import Path

from catalog.errors import StorageError
from catalog.models import Repository
from catalog.records import Records
from catalog.runner.jobs import FileRef
from catalog.runner.process import now_iso
from catalog.sync.statcache import StatCache
from catalog.sync.storage import LookError, Storage, open_storage

log = logging.getLogger(__name__)


class StorageVerifier:
    """A ``Verifier`` that asks each repository (memoized for one planning session)."""

    def __init__(self, records: Records, root: Path, state_path: Path) -> None:
        self.records = records
        self.root = root
        self.state_path = state_path
        self._storages: dict[str, Storage | None] = {}
        self._answers: dict[FileRef, bool] = {}
        self._cache: StatCache | None = None

    def _storage(self, name: str) -> Storage | None:
        """The repository's storage, or None when it cannot be looked at now."""
        if name not in self._storages:
            entry = self.records.get("repository", name)
            storage: Storage | None = None
            if entry is not None and isinstance(entry.model, Repository):
                try:
                    storage = open_storage(entry.model, self.root)
                    storage.probe()
                except LookError as exc:
                    log.info("repository %s: %s; trusting its records", name, exc.reason)
                    storage = None
            self._storages[name] = storage
        return self._storages[name]

    def _stat_cache(self) -> StatCache:
        if self._cache is None:
            self._cache = StatCache.open(self.state_path)
        return self._cache

    def __call__(self, ref: FileRef) -> bool:
        """True when the copy verifies, or when its repository cannot be reached."""
        if ref not in self._answers:
            self._answers[ref] = self._check(ref)
        return self._answers[ref]

    def _check(self, ref: FileRef) -> bool:
        storage = self._storage(ref.repository)
        if storage is None:
            return True
        try:
            st = storage.stat(ref.relative_path)
        except FileNotFoundError:
            return False
        except (OSError, LookError) as exc:
            log.info("%s:%s: %s; trusting its record", ref.repository, ref.relative_path, exc)
            return True
        except StorageError:  # a refused path: never verified
            return False
        if ref.file_size is not None and st.size != ref.file_size:
            return False
        if ref.hash is None:
            return True
        cache = self._stat_cache()
        cached = cache.lookup(ref.repository, ref.relative_path, st, ref.hash_algorithm)
        if cached is not None:
            return cached.digest == ref.hash
        result = storage.digest(ref.relative_path, ref.hash_algorithm, st)
        if result.digest is None:
            return False
        if result.digest == ref.hash:
            cache.store(
                ref.repository, ref.relative_path, st, ref.hash_algorithm, result.digest, now_iso()
            )
        return result.digest == ref.hash

    def close(self) -> None:
        """Write what was verified to the stat cache."""
        if self._cache is not None:
            self._cache.close()
            self._cache = None
