"""The README's Guarantees section names tests that exist."""

from __future__ import annotations

import ast
import re
from pathlib import Path

REFERENCE = re.compile(r"`(tests/[\w/]+\.py)::(\w+)`")


def guarantees(readme: str) -> str:
    """The text of the "## Guarantees" section."""
    section = readme.split("\n## Guarantees\n", 1)[1]
    return section.split("\n## ", 1)[0]


def test_every_listed_test_exists(repo_root: Path) -> None:
    refs = REFERENCE.findall(guarantees((repo_root / "README.md").read_text()))
    assert len(refs) >= 15
    missing = []
    for path, name in refs:
        file = repo_root / path
        tree = ast.parse(file.read_text()) if file.is_file() else ast.Module(body=[])
        defined = {n.name for n in tree.body if isinstance(n, ast.FunctionDef)}
        if name not in defined:
            missing.append(f"{path}::{name}")
    assert missing == []


def test_a_missing_test_is_caught() -> None:
    text = "\n## Guarantees\n| p | `tests/service/test_nowhere.py::test_gone` |\n"
    assert REFERENCE.findall(guarantees(text)) == [("tests/service/test_nowhere.py", "test_gone")]
