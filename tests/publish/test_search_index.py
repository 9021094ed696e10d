"""The static search index: compact postings, prefix shards, and in-place updates."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from catalog.publish import build_site
from catalog.publish.postings import decode, decode_order, encode
from catalog.publish.search_update import _read
from tests.conftest import MakeCatalog
from tests.publish.test_build import dataset

UUIDS = [f"{i * 8}-{i * 4}-4{i * 3}-8{i * 3}-{i * 12}" for i in "34567"]
FILES = {
    f"records/datasets/d{i}.yaml": dataset(u, f"spikes.times{i}.npy") for i, u in enumerate(UUIDS)
}


@given(st.sets(st.integers(min_value=0, max_value=300_000), max_size=400))
def test_postings_decode_to_what_was_encoded(ids: set[int]) -> None:
    assert decode(encode(sorted(ids))) == sorted(ids)


def test_dense_lists_are_bitmaps_bounded_by_a_sixth_of_the_documents() -> None:
    every_other = list(range(0, 100_000, 2))
    assert encode(every_other).startswith("b")
    assert len(encode(every_other)) <= 100_000 // 6 + 16


def read_index(site: Path) -> dict[str, Any]:
    """Everything an index says, independent of how it is split into files."""
    meta = _read(site, "search/meta.js")
    terms: dict[str, list[set[int]]] = {}
    unions: dict[str, list[set[int]]] = {}
    for n, (key, split) in enumerate(zip(meta["keys"], meta["split"], strict=True)):
        data = _read(site, f"search/t/{n}.js")
        for t, lists in data.get("t", {}).items():
            terms[t] = [set(decode(x)) for x in [*lists, "", "", ""][:3]]
        if split == "1":
            unions[key] = [set(decode(x)) for x in [*data.get("p", []), "", "", ""][:3]]
    facets = {
        (name, value): set(decode(_read(site, f"search/f/{n}.js")))
        for name, values in meta["facets"].items()
        for value, n, _ in values
    }
    sorts = {
        name: [
            i
            for k in range(count)
            for i in decode_order(_read(site, f"search/s/{name}/{k}.js"), meta["digits"])
        ]
        for name, count in meta["sorts"].items()
    }
    rows = [
        r for c in range(-(-meta["docs"] // meta["chunk"])) for r in _read(site, f"search/d/{c}.js")
    ]
    return {
        "terms": terms,
        "unions": unions,
        "facets": {k: v for k, v in facets.items() if v},
        "sorts": sorts,
        "rows": rows,
    }


def test_splitting_keeps_every_term_under_its_prefix(
    make_catalog: MakeCatalog, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("catalog.publish.search.SHARD_LIMIT", 40)
    root = make_catalog(FILES)
    build_site(root)
    index = read_index(root / "_site")
    assert index["unions"], "a tiny shard limit must split shards"
    for prefix, union in index["unions"].items():
        below = [lists for t, lists in index["terms"].items() if t.startswith(prefix)]
        assert set().union(*union) == set().union(*(s for lists in below for s in lists))


def test_an_update_in_place_equals_a_rebuild(
    make_catalog: MakeCatalog, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("catalog.publish.search.SHARD_LIMIT", 60)
    root = make_catalog({**FILES, "records/tags/paper.yaml": "kind: tag\nname: paper\n"})
    build_site(root)
    before = {p: p.stat().st_mtime_ns for p in (root / "_site/search").rglob("*.js")}
    edited = root / "records/datasets/d1.yaml"
    edited.write_text(
        edited.read_text().replace(
            "file_records:",
            "qc: FAIL\ntags: [paper]\n"
            "description: Spurious spikes near the reference electrode\nfile_records:",
        )
    )
    (root / "records/datasets/d3.yaml").write_text(
        dataset(UUIDS[3], "spikes.times3.npy", qc="PASS")
    )
    update = build_site(root)
    assert not update.full
    kept = [p for p, t in before.items() if p.stat().st_mtime_ns == t]
    assert 0 < len(kept) < len(before)  # updated in place, not rebuilt
    build_site(root, out=root / "rebuilt", full=True)
    assert read_index(root / "_site") == read_index(root / "rebuilt")
