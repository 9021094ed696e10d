"""Which record files exist and their stat keys: the walk over records/, parsing nothing.

store.py re-exports all of it. It lives apart so that asking "did any record file change?"
(sync's snapshot) imports no model, YAML parser or pydantic.
"""

from __future__ import annotations

import os
from pathlib import Path

from catalog.recordindex import StatKey

RECORDS_DIR = "records"
SUFFIXES = (".yaml", ".yml")


def scan_record_files(root: Path) -> tuple[list[str], list[StatKey]]:
    """Posix paths relative to ``root`` of every record file, sorted, and their stat keys."""
    paths: list[str] = []
    stats: list[StatKey] = []
    base = root / RECORDS_DIR
    if base.is_dir():
        _scan(str(base), RECORDS_DIR + "/", paths, stats)
    return paths, stats


def _scan(folder: str, rel: str, paths: list[str], stats: list[StatKey]) -> None:
    # Stat relative to an open folder (fstatat): ~20% faster than by full path, which
    # matters when a re-validation stats 100,000 files. Children are visited in the order
    # of their full paths (a folder sorts as 'name/'), so the result comes out sorted.
    fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        with os.scandir(fd) as it:
            children = sorted(
                (de.name + "/" if de.is_dir(follow_symlinks=False) else de.name, de)
                for de in it
                if not de.name.startswith(".")
            )
        for key, de in children:
            if key[-1] == "/":
                _scan(f"{folder}/{de.name}", rel + key, paths, stats)
            elif key.endswith(SUFFIXES):
                paths.append(rel + key)
                try:
                    st = de.stat()
                except OSError:  # e.g. a dangling link: kept, so that loading reports it
                    stats.append((-1, -1, -1))
                    continue
                stats.append((st.st_size, st.st_mtime_ns, st.st_ino))
    finally:
        os.close(fd)
