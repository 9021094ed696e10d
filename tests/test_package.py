"""The package's public surface: catalog.__all__ and `python -m catalog`."""

from __future__ import annotations

import subprocess
import sys

import catalog
from catalog.cli import KIND_NAMES
from catalog.models import KINDS


def test_exported_members() -> None:
    public = {name for name in dir(catalog) if not name.startswith("_")}
    # Submodules and `from __future__ import annotations` are not part of the surface.
    other = {n for n in public if type(getattr(catalog, n)).__name__ in ("module", "_Feature")}
    assert set(catalog.__all__) == (public - other) | {"__version__"}
    for name in set(catalog.__all__) - {"__version__"}:
        assert getattr(catalog, name).__module__.startswith("catalog.")


def test_python_dash_m_catalog_is_the_cli() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "catalog", "--version"], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip().endswith(catalog.__version__)


def test_the_cli_knows_every_kind() -> None:
    assert KIND_NAMES == tuple(KINDS)
