"""Relative paths cannot leave a repository: refused at validation and again at access."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from catalog.errors import CatalogError
from catalog.models import Repository
from catalog.sync.storage import LocalStorage, PathRefused
from tests.sync.conftest import MakeSyncCatalog, dataset_yaml, repository_yaml

A = b"inside" * 10
SECRET = b"outside the repository" * 4

BAD_PATHS = [
    ("../outside/x.npy", "contains '.' or '..'; paths must stay inside the repository"),
    ("a/../../x.npy", "contains '.' or '..'; paths must stay inside the repository"),
    ("/etc/passwd", "is absolute; paths are relative to the repository root"),
    ("a\\..\\x.npy", "contains a backslash; use '/' between folders"),
    ("a/%2e%2e/x.npy", "contains a percent-encoded '.' or '/'; write paths plainly"),
    ("a/%2E%2E%2fx.npy", "contains a percent-encoded '.' or '/'; write paths plainly"),
    ("a/x\x00.npy", "contains a control character"),
    ("C:/x.npy", "is absolute; paths are relative to the repository root"),
]


@pytest.mark.parametrize(("path", "why"), BAD_PATHS)
def test_the_storage_gate_refuses_escaping_paths(tmp_path: Path, path: str, why: str) -> None:
    repo = Repository(kind="repository", name="r", type="local", url=str(tmp_path))
    with pytest.raises(PathRefused) as err:
        LocalStorage(repo, tmp_path).stat(path)
    assert str(err.value) == f"repository 'r': refused path {path!r}: {why}"


@pytest.mark.parametrize(("path", "why"), BAD_PATHS[:5])
def test_sync_refuses_a_catalog_naming_such_a_path(
    sync_catalog: MakeSyncCatalog, path: str, why: str
) -> None:
    cat = sync_catalog(
        {}, records={"evil/spikes.times.npy": dataset_yaml(path, A, name="spikes.times.npy")}
    )
    with pytest.raises(CatalogError, match="relative_path") as err:
        cat.sync()
    assert why in str(err.value)


def _outside(tmp_path: Path) -> tuple[Path, dict[str, tuple[int, int, int]]]:
    """A folder outside every repository, whose files' atime shows any read (relatime)."""
    out = tmp_path / "outside"
    out.mkdir()
    (out / "spikes.times.npy").write_bytes(SECRET)
    os.utime(out / "spikes.times.npy", ns=(1_000_000_000, 2_000_000_000))
    return out, _snapshot(out)


def _snapshot(folder: Path) -> dict[str, tuple[int, int, int]]:
    # Only stat: reading the bytes here would itself move the atime the test relies on.
    return {
        p.name: (p.stat().st_atime_ns, p.stat().st_mtime_ns, p.stat().st_size)
        for p in sorted(folder.iterdir())
    }


def test_symlinks_out_of_the_repository_are_never_followed(
    sync_catalog: MakeSyncCatalog, tmp_path: Path
) -> None:
    outside, before = _outside(tmp_path)
    copy_repo = repository_yaml("local-copy", "local", "data/copy")
    cat = sync_catalog(
        {"in/spikes.times.npy": A},
        records={
            "link/spikes.times.npy": dataset_yaml("link/spikes.times.npy", SECRET),
            "ldir/spikes.times.npy": dataset_yaml("ldir/spikes.times.npy", SECRET),
            "in/spikes.times.npy": dataset_yaml(
                "in/spikes.times.npy", A, copies={"local-main": True, "local-copy": False}
            ),
        },
        extra={"records/repositories/local-copy.yaml": copy_repo},
    )
    (cat.data / "link").mkdir()
    (cat.data / "link/spikes.times.npy").symlink_to(outside / "spikes.times.npy")
    (cat.data / "ldir").symlink_to(outside)
    (cat.root / "data/copy").mkdir()
    (cat.root / "data/copy/in").symlink_to(outside)  # replication must not write through it
    outcome = cat.sync(replicate=True, register=True)
    found = {(f.repository, f.relative_path): (f.status, f.detail) for f in outcome.report.files}
    refused = ("unreachable", "refused: a symlink resolves outside the repository")
    assert found[("local-main", "link/spikes.times.npy")] == refused
    assert found[("local-main", "ldir/spikes.times.npy")] == refused
    assert found[("local-copy", "in/spikes.times.npy")] == refused
    assert outcome.replication is not None
    assert outcome.replication.copied == []
    assert _snapshot(outside) == before  # not a byte read (atime), written, or added


def test_a_copy_is_never_written_through_a_symlink_out(tmp_path: Path) -> None:
    outside, before = _outside(tmp_path)
    root = tmp_path / "repo"
    root.mkdir()
    (root / "in").symlink_to(outside)
    repo = Repository(kind="repository", name="r", type="local", url=str(root))
    with pytest.raises(PathRefused, match="symlink resolves outside"):
        LocalStorage(repo, root).put_verified("in/new.npy", [b"x"], "md5", "0" * 32)
    assert _snapshot(outside) == before


def test_symlink_loops_are_reported_not_followed(sync_catalog: MakeSyncCatalog) -> None:
    cat = sync_catalog(
        {}, records={"loop/spikes.times.npy": dataset_yaml("loop/spikes.times.npy", A)}
    )
    (cat.data / "loop").mkdir()
    (cat.data / "loop/spikes.times.npy").symlink_to("other.npy")
    (cat.data / "loop/other.npy").symlink_to("spikes.times.npy")
    (cat.data / "cycle").symlink_to(".")
    outcome = cat.sync()
    assert [(f.status, f.detail) for f in outcome.report.files] == [("unreachable", "symlink loop")]
