"""The README's main command: the example catalog's local repository syncs clean."""

from __future__ import annotations

import shutil
from pathlib import Path

from click.testing import CliRunner

from catalog.cli import main


def test_the_example_local_repository_matches_its_records(repo_root: Path, tmp_path: Path) -> None:
    copy = tmp_path / "example"
    for part in ("catalog.yaml", "records", "data/local-main"):
        src, dst = repo_root / part, copy / part
        if src.is_dir():
            shutil.copytree(src, dst)
        else:
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dst)
    before = {p: p.read_bytes() for p in (copy / "records").rglob("*.yaml")}
    args = ["sync", "--root", str(copy), "--repository", "local-main", "--no-commit"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert "records unchanged" in result.output
    assert {p: p.read_bytes() for p in (copy / "records").rglob("*.yaml")} == before
