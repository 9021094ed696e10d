"""Catalogs in real git repositories, and helpers to commit to and read from them."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import MakeCatalog, git, write_files

pytest.register_assert_rewrite("tests.git.reliability")

GitCatalog = Callable[..., Path]


@pytest.fixture
def git_catalog(make_catalog: MakeCatalog) -> GitCatalog:
    """The base catalog (plus ``files``) committed on branch main.

    git's own fsyncs stay at git's default here: the tests kill processes, they do not cut
    the power, and ``core.fsync=all`` (what ``catalog init`` sets) costs ~100 ms a commit
    on a busy disk. The committer's own writes are fsynced either way.
    """

    def make(files: dict[str, str | bytes | None] | None = None) -> Path:
        return make_catalog(files, git_init=True)

    return make


def commit(root: Path, files: dict[str, str | bytes | None], message: str = "edit") -> str:
    """Write (None: delete) ``files``, commit them as a person would; return the commit id."""
    write_files(root, {k: v for k, v in files.items() if v is not None})
    for rel, content in files.items():
        if content is None:
            git(root, "rm", "-q", rel)
        else:
            git(root, "add", rel)
    git(root, "commit", "-q", "-m", message)
    return git(root, "rev-parse", "HEAD").strip()


def show(root: Path, rev: str, path: str) -> str | None:
    """A file's content at ``rev``, or None when it is not there."""
    proc = subprocess.run(
        ["git", "show", f"{rev}:{path}"], cwd=root, capture_output=True, text=True, check=False
    )
    return proc.stdout if proc.returncode == 0 else None


def batch_ids(root: Path, rev: str = "HEAD") -> list[str]:
    """Every Catalog-Batch trailer in the history of ``rev``, newest first."""
    out = git(root, "log", "--format=%(trailers:key=Catalog-Batch,valueonly)", rev)
    return [line.strip() for line in out.splitlines() if line.strip()]


def tag_yaml(name: str, description: str = "", protected: bool = False) -> str:
    """A tag record."""
    return (
        f"kind: tag\nname: {name}\ndescription: {description or name}\n"
        f"protected: {str(protected).lower()}\n"
    )


__all__ = ["GitCatalog", "batch_ids", "commit", "git", "show", "tag_yaml", "write_files"]
