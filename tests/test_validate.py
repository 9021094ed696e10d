"""validate(): the cached, incremental run reports exactly what a full run reports."""

from __future__ import annotations

from pathlib import Path

import pytest

from catalog import validate
from catalog.recordcache import CACHE_FOLDER
from tests.conftest import MakeCatalog, write_files

DS = "records/datasets/s1/spikes.times.npy.yaml"
SECOND = "records/datasets/s1/spikes.times.v2.npy.yaml"
NOTICE = "records/notices/bad-sync.yaml"
UUID1 = "11111111-1111-4111-8111-111111111111"
UUID2 = "22222222-2222-4222-8222-222222222222"
EXTRA = {
    SECOND: """
        kind: dataset
        uuid: 22222222-2222-4222-8222-222222222222
        name: spikes.times.v2.npy
        session: SW001/2024-01-05/001
        collection: alf
        dataset_type: spikes.times
        data_format: npy
        provenance:
          datasets: [11111111-1111-4111-8111-111111111111]
        file_records:
          - repository: local-main
            relative_path: SW001/2024-01-05/001/alf/spikes.times.v2.npy
    """,
    NOTICE: """
        kind: notice
        name: bad-sync
        importance: MAJOR
        datasets: [11111111-1111-4111-8111-111111111111]
    """,
}


def _same(root: Path) -> list[tuple[str, int, str, str]]:
    """Validate with the cache and without; both must agree. Returns the problems."""
    cached = validate(root)
    fresh = validate(root, use_cache=False)
    assert cached.problems == fresh.problems
    assert cached.counts == fresh.counts
    return [(p.path, p.line, p.code, p.message) for p in cached.problems]


def _replace(root: Path, rel: str, old: str, new: str) -> None:
    path = root / rel
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


def test_first_run_fills_the_cache_and_second_run_uses_it(make_catalog: MakeCatalog) -> None:
    root = make_catalog(EXTRA)
    assert _same(root) == []
    assert (root / ".catalog/cache" / CACHE_FOLDER / "index.marshal").is_file()
    assert validate(root).counts["dataset"] == 2


@pytest.mark.parametrize(
    ("rel", "old", "new", "expected"),
    [
        (DS, "data_format: npy", "data_format: npz", [(DS, 7, "unknown-reference")]),
        (
            DS,
            f"uuid: {UUID1}",
            f"uuid: {UUID2}",
            [
                (NOTICE, 4, "unknown-reference"),
                (SECOND, 9, "unknown-reference"),
                (SECOND, 2, "duplicate"),
            ],
        ),
        (
            DS,
            "kind: dataset",
            "kind: tag",
            [(DS, 1, "kind"), (NOTICE, 4, "unknown-reference"), (SECOND, 9, "unknown-reference")],
        ),
        (
            SECOND,
            "name: spikes.times.v2",
            "name: spikes.times",
            [(SECOND, 3, "duplicate"), (SECOND, 3, "duplicate-default")],
        ),
        ("records/tags/raw.yaml", "name: raw", "name: rare", [(DS, 8, "unknown-reference")]),
        (
            "records/formats/npy.yaml",
            ".npy",
            ".npz",
            [(DS, 7, "format-extension"), (SECOND, 7, "format-extension")],
        ),
    ],
)
def test_an_edit_after_a_cached_run_is_seen(
    make_catalog: MakeCatalog, rel: str, old: str, new: str, expected: list[tuple[str, int, str]]
) -> None:
    root = make_catalog(EXTRA)
    assert _same(root) == []
    _replace(root, rel, old, new)
    got = _same(root)
    assert sorted((p, line, code) for p, line, code, _ in got) == sorted(expected)
    _replace(root, rel, new, old)
    assert _same(root) == []


def test_deleting_a_dataset_flags_the_records_that_pointed_at_it(
    make_catalog: MakeCatalog,
) -> None:
    root = make_catalog(EXTRA)
    assert _same(root) == []
    (root / DS).unlink()
    got = _same(root)
    assert [(p, code) for p, _, code, _ in got] == [
        (SECOND, "unknown-reference"),
        (NOTICE, "unknown-reference"),
    ]
    assert all(f"no dataset has uuid '{UUID1}'" in m for _, _, _, m in got)


def test_a_new_file_with_a_clash_names_both_files(make_catalog: MakeCatalog) -> None:
    root = make_catalog(EXTRA)
    _same(root)
    copy = "records/datasets/s2/copy.yaml"
    write_files(root, {copy: (root / DS).read_text()})
    got = _same(root)
    assert {p for p, _, _, _ in got} == {copy}
    assert f"uuid '{UUID1}' is already used by {DS}" in {m for _, _, _, m in got}
    assert {code for _, _, code, _ in got} == {"duplicate", "duplicate-default"}


@pytest.mark.parametrize("damage", [b"", b"garbage", b"\xe3" * 100])
def test_a_damaged_cache_is_rebuilt_not_an_error(make_catalog: MakeCatalog, damage: bytes) -> None:
    root = make_catalog(EXTRA)
    validate(root)
    folder = root / ".catalog/cache" / CACHE_FOLDER
    for f in [folder / "index.marshal", *folder.glob("data/*.marshal")]:
        f.write_bytes(damage)
    _replace(root, DS, "data_format: npy", "data_format: npz")
    assert [code for _, _, code, _ in _same(root)] == ["unknown-reference"]


def test_changing_the_naming_setting_rechecks_everything(make_catalog: MakeCatalog) -> None:
    root = make_catalog({**EXTRA, "records/datasets/s3/raw data.bin.yaml": None})
    assert _same(root) == []
    (root / "catalog.yaml").write_text("name: test\nnaming: alf\n")
    _replace(root, DS, "session: SW001/2024-01-05/001", "session: not-a-session")
    assert [(p, code) for p, _, code, _ in _same(root)] == [(DS, "alf")]


def test_records_of_an_incremental_run_are_all_loaded_on_demand(
    make_catalog: MakeCatalog,
) -> None:
    root = make_catalog(EXTRA)
    first = validate(root)
    _replace(root, DS, "tags: [raw]", "tags: []")
    second = validate(root)
    assert [e.path for e in second.records] == [e.path for e in first.records]
    assert second.records.get("dataset", "11111111-1111-4111-8111-111111111111") is not None
    assert second.records.get("notice", "bad-sync") is not None


def test_an_edit_that_needs_the_cached_uuids_reads_them(make_catalog: MakeCatalog) -> None:
    root = make_catalog(EXTRA)
    _same(root)
    # qc does not change what SECOND claims, but its provenance is looked up by uuid.
    _replace(root, SECOND, "data_format: npy", "data_format: npy\nqc: PASS")
    assert _same(root) == []
    (root / ".catalog/cache" / CACHE_FOLDER / "claims.marshal").unlink()
    _replace(root, SECOND, "qc: PASS", "qc: FAIL")
    assert _same(root) == []
    _replace(root, SECOND, UUID1, "33333333-3333-4333-8333-333333333333")
    assert [(p, code) for p, _, code, _ in _same(root)] == [(SECOND, "unknown-reference")]


def test_files_are_found_in_path_order(make_catalog: MakeCatalog) -> None:
    root = make_catalog()
    tag = "kind: tag\nname: {}\n"
    write_files(
        root,
        {
            f"records/tags/{n}.yaml": tag.format(n.replace("/", "-"))
            for n in ("a-c", "a/b", "a.b", "a/a/z", "B", "a0")
        },
    )
    paths = [e.path for e in validate(root).records.by_kind["tag"]]
    assert paths == sorted(paths)
    assert len(paths) == 7
