"""The minimal catalog of the fixtures validates; a broken reference fails it."""

from __future__ import annotations

from catalog import validate
from tests.conftest import MakeCatalog


def test_base_catalog_is_valid(make_catalog: MakeCatalog) -> None:
    result = validate(make_catalog())
    assert result.problems == []
    assert result.records.counts()["dataset"] == 1


def test_dangling_repository_is_reported_with_line(make_catalog: MakeCatalog) -> None:
    root = make_catalog({"records/repositories/local-main.yaml": None})
    result = validate(root)
    [p] = result.problems
    assert (p.path, p.line, p.field) == (
        "records/datasets/s1/spikes.times.npy.yaml",
        10,
        "file_records[0].repository",
    )
    assert "unknown repository 'local-main'" in p.message
