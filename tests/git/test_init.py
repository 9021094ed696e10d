"""`catalog init` makes git fsync what it writes, as the committer does for record files."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from catalog.cli import main
from tests.git.conftest import git


def test_init_sets_core_fsync(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["init", str(tmp_path / "cat")])
    assert result.exit_code == 0, result.output
    assert git(tmp_path / "cat", "config", "--get", "core.fsync") == "all\n"
