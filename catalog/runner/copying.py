"""Running a replication job: one dataset file copied into the repository that misses it.

The copy is sync's (``sync.replicate.copy_file``): a temporary name beside the target, the
checksum of what landed, then the final name, never replacing a file. A file already at the
target with the recorded checksum (a copy whose report was lost) is taken as it is; one with
other bytes is left alone and the job fails. On this machine the copy holds the replication
lock shared (so ``catalog sync --replicate`` never removes its temporary file) and leaves
the new file's digest in sync's stat cache.
"""

from __future__ import annotations

import time
from contextlib import nullcontext
from pathlib import Path
from typing import Any

from catalog.config import CONFIG_FILE, load_config
from catalog.errors import CatalogError, StorageError
from catalog.runner import files, process
from catalog.runner.report import Metrics, OutputFile, Report
from catalog.sync.replicate import copy_file, replication_lock
from catalog.sync.statcache import StatCache
from catalog.sync.storage import LookError, Stat, Storage, file_error


class CopyError(CatalogError):
    """Why a copy could not be made (a repository out of reach, a checksum that differs)."""


def _state_path(root: Path) -> Path | None:
    """The catalog's state folder, when this machine has the catalog (else no lock, no cache)."""
    if not (root / CONFIG_FILE).is_file():
        return None
    try:
        return load_config(root).state_path
    except CatalogError:
        return None


def _open(repos: files.Repositories, data: dict[str, Any]) -> Storage:
    try:
        storage = repos.get(data)
        storage.probe()
    except LookError as exc:
        name = data.get("name")
        raise CopyError(f"repository '{name}' cannot be reached: {exc.reason}") from None
    return storage


def _place(spec: dict[str, Any], source: Storage, dest: Storage) -> tuple[Stat, str]:
    """Make the copy (or find it made); its stat and what happened."""
    path = spec["destination"]["relative_path"]
    algorithm, digest = spec["hash_algorithm"], spec["hash"]
    try:
        st = dest.stat(path)
    except FileNotFoundError:
        pass
    else:
        found = dest.digest(path, algorithm, st)
        if found.digest != digest:
            raise CopyError(
                f"{dest.name}:{path} already holds a file with other bytes; it is never "
                "replaced (catalog sync reports it as a mismatch)"
            )
        return st, f"already in {dest.name} with the recorded checksum"
    src_path = spec["source"]["relative_path"]
    stat = copy_file(source, src_path, dest, path, algorithm, digest)
    return stat, f"copied from {source.name}:{src_path}"


def run_copy(spec: dict[str, Any], root: Path, base: dict[str, Any]) -> Report:
    """Copy the file; the done report lists the new copy as its one output."""
    started = process.now_iso()
    t0 = time.monotonic()
    repos = files.Repositories(root)
    source = _open(repos, spec["source"]["repository"])
    dest = _open(repos, spec["destination"]["repository"])
    state = _state_path(root)
    try:
        with replication_lock(state, shared=True) if state is not None else nullcontext():
            stat, note = _place(spec, source, dest)
    except StorageError as exc:
        raise CopyError(f"{spec.get('label', spec['dataset'])}: {exc}") from None
    except OSError as exc:
        raise CopyError(
            f"{spec.get('label', spec['dataset'])}: could not copy "
            f"{source.name} → {dest.name}: {file_error(exc)}"
        ) from None
    if state is not None:
        cache = StatCache.open(state)
        try:
            path = spec["destination"]["relative_path"]
            cache.store(dest.name, path, stat, spec["hash_algorithm"], spec["hash"], started)
        finally:
            cache.close()
    output = OutputFile(
        name=spec["dataset"],
        repository=dest.name,
        relative_path=spec["destination"]["relative_path"],
        hash=spec["hash"],
        hash_algorithm=spec["hash_algorithm"],
        file_size=stat.size,
    )
    metrics = Metrics(
        linear_execution_s=round(time.monotonic() - t0, 6),
        data_read_bytes=stat.size if note.startswith("copied") else 0,
        data_written_bytes=stat.size if note.startswith("copied") else 0,
        started=started,
        finished=process.now_iso(),
    )
    return Report.model_validate(
        {**base, "status": "done", "metrics": metrics, "outputs": [output], "stdout": note}
    )
