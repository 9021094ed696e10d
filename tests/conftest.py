"""Shared fixtures: an isolated environment for every test and catalogs built from dicts."""

from __future__ import annotations

import os
import shutil
import subprocess
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

Files = dict[str, str | bytes]
MakeCatalog = Callable[..., Path]


@pytest.fixture(autouse=True)
def _isolate(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """HOME in a temp dir, no system git config, a test identity, no CATALOG_* settings."""
    home = tmp_path_factory.mktemp("home")
    (home / ".gitconfig").write_text(
        "[user]\n\tname = Test User\n\temail = test@example.invalid\n"
        "[init]\n\tdefaultBranch = main\n"
    )
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.delenv("GIT_DIR", raising=False)
    monkeypatch.delenv("GIT_WORK_TREE", raising=False)
    monkeypatch.setenv("NO_COLOR", "1")
    for key in list(os.environ):
        if key.startswith("CATALOG_"):
            monkeypatch.delenv(key)


def write_files(root: Path, files: Files) -> None:
    """Write ``files`` (relative path → text, dedented, or bytes) under ``root``."""
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(textwrap.dedent(content).lstrip("\n"), encoding="utf-8")


def git(root: Path, *args: str) -> str:
    """Run git in ``root`` and return its stdout."""
    return subprocess.run(
        ["git", *args], cwd=root, check=True, capture_output=True, text=True
    ).stdout


BASE_FILES: Files = {
    "catalog.yaml": "name: test\n",
    "records/repositories/local-main.yaml": """
        kind: repository
        name: local-main
        type: local
        url: data/main
    """,
    "records/formats/npy.yaml": """
        kind: format
        name: npy
        file_extension: .npy
    """,
    "records/dataset-types/spikes.times.yaml": """
        kind: dataset-type
        name: spikes.times
        filename_pattern: "*spikes.times*.npy"
    """,
    "records/tags/raw.yaml": """
        kind: tag
        name: raw
    """,
    "records/revisions/2024-01-01.yaml": """
        kind: revision
        name: 2024-01-01
    """,
    "records/datasets/s1/spikes.times.npy.yaml": """
        kind: dataset
        uuid: 11111111-1111-4111-8111-111111111111
        name: spikes.times.npy
        session: SW001/2024-01-05/001
        collection: alf
        dataset_type: spikes.times
        data_format: npy
        tags: [raw]
        file_records:
          - repository: local-main
            relative_path: SW001/2024-01-05/001/alf/spikes.times.npy
    """,
}
"""A small valid catalog: one of each data kind and one dataset."""


@pytest.fixture
def make_catalog(tmp_path: Path) -> MakeCatalog:
    """Build a catalog in a temp dir from ``BASE_FILES`` updated by ``files``.

    A value of None removes a base file. With ``git=True`` the tree is committed.
    """

    def make(
        files: dict[str, str | bytes | None] | None = None,
        *,
        base: bool = True,
        git_init: bool = False,
    ) -> Path:
        root = tmp_path / "cat"
        root.mkdir(exist_ok=True)
        merged: dict[str, str | bytes | None] = dict(BASE_FILES) if base else {}
        merged.update(files or {})
        write_files(root, {k: v for k, v in merged.items() if v is not None})
        if git_init:
            git(root, "init", "-q")
            git(root, "add", "-A")
            git(root, "commit", "-q", "-m", "initial catalog")
        return root

    return make


EXAMPLE = ("catalog.yaml", "records", "pipelines", "data")
"""What of the repository makes up the bundled example catalog."""


@pytest.fixture
def example(repo_root: Path, tmp_path: Path) -> Path:
    """A copy of the bundled example catalog in its own git repository."""
    root = tmp_path / "example"
    root.mkdir()
    for name in EXAMPLE:
        src = repo_root / name
        if src.is_dir():
            shutil.copytree(src, root / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(src, root / name)
    (root / ".gitignore").write_text(".catalog/\n_site/\n")
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "example catalog")
    return root


@pytest.fixture
def repo_root() -> Path:
    """The project's own checkout (for the bundled example catalog)."""
    return Path(__file__).resolve().parent.parent
