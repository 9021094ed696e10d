"""The record cache: reused only while a file is unchanged, never an error when broken."""

from __future__ import annotations

import os
from pathlib import Path

from catalog import validate
from catalog.recordcache import RecordCache, stat_key
from tests.conftest import MakeCatalog

TAG = "records/tags/raw.yaml"


def test_data_is_reused_only_while_size_mtime_and_inode_are_unchanged(
    make_catalog: MakeCatalog,
) -> None:
    root = make_catalog()
    validate(root)
    cache = RecordCache.open(root / ".catalog/cache")
    key = stat_key(root / TAG)
    assert key is not None
    assert cache.data(TAG, key) == {"kind": "tag", "name": "raw"}
    os.utime(root / TAG, ns=(key[1] + 1, key[1] + 1))
    assert cache.data(TAG, stat_key(root / TAG)) is None  # type: ignore[arg-type]


def test_the_index_belongs_to_the_settings_it_was_made_with(make_catalog: MakeCatalog) -> None:
    root = make_catalog()
    validate(root)
    cache_dir = root / ".catalog/cache"
    assert RecordCache.open(cache_dir, settings="naming=free").index is not None
    assert RecordCache.open(cache_dir, settings="naming=alf").index is None


def test_an_unwritable_state_folder_is_no_error(make_catalog: MakeCatalog) -> None:
    root = make_catalog({"records/tags/bad.yaml": "kind: tag\nnam: x\n"})
    (root / ".catalog").write_text("not a folder")
    for _ in range(2):
        result = validate(root)
        assert [p.code for p in result.problems] == ["schema", "unknown-field"]


def test_data_of_deleted_files_is_dropped(make_catalog: MakeCatalog) -> None:
    root = make_catalog({"records/tags/old.yaml": "kind: tag\nname: old\n"})
    validate(root)
    (root / "records/tags/old.yaml").unlink()
    validate(root)
    shards = list((root / ".catalog/cache/records/data").glob("*.marshal"))
    assert not any(b"old" in p.read_bytes() for p in shards)
    assert validate(root).records.get("tag", "old") is None


def test_the_cache_stays_in_the_state_folder(make_catalog: MakeCatalog, tmp_path: Path) -> None:
    root = make_catalog({"catalog.yaml": "name: test\nstate_dir: ../state\n"})
    validate(root)
    assert (tmp_path / "state/cache/records/index.marshal").is_file()
    assert not (root / ".catalog").exists()
