"""--register: new datasets for files no record names, only when nothing must be guessed."""

from __future__ import annotations

import hashlib

from catalog.validate import validate
from tests.sync.conftest import MakeSyncCatalog

A = b"orphan spikes" * 5
ALF = {
    "catalog.yaml": "name: test\nnaming: alf\n",
    "records/dataset-types/wheel.position.yaml": "kind: dataset-type\nname: wheel.position\n"
    "filename_pattern: 'wheel.position*'\n",
    "records/dataset-types/wheel.any.yaml": "kind: dataset-type\nname: wheel.any\n"
    "filename_pattern: 'wheel.*.npy'\n",
}


NOT_ALF = "not an ALF path (subject/date/number/[collection/][#revision#/]file)"


def test_register_creates_datasets_and_reports_what_it_cannot(
    sync_catalog: MakeSyncCatalog,
) -> None:
    cat = sync_catalog({}, extra=ALF)
    orphans = {
        "SW001/2024-01-05/001/alf/spikes.times.npy": A,
        "SW001/2024-01-05/001/alf/#2024-01-01#/spikes.times.npy": A + b"2",
        "SW001/2024-01-05/001/alf/clusters.depths.npy": b"x",
        "SW001/2024-01-05/001/alf/wheel.position.npy": b"w",
        "SW001/2024-01-05/001/alf/#2099-01-01#/spikes.times.npy": b"r",
        "loose/spikes.times.npy": b"y",
    }
    for rel, content in orphans.items():
        (cat.data / rel).parent.mkdir(parents=True, exist_ok=True)
        (cat.data / rel).write_bytes(content)
    outcome = cat.sync(register=True)
    assert sorted(n.path for n in outcome.new) == [
        "records/datasets/SW001/2024-01-05/001/alf/#2024-01-01#/spikes.times.npy.yaml",
        "records/datasets/SW001/2024-01-05/001/alf/spikes.times.npy.yaml",
    ]
    session = "SW001/2024-01-05/001/alf/"
    assert {o.relative_path: o.detail for o in outcome.report.orphans} == {
        session + "clusters.depths.npy": "matches no dataset type",
        session + "wheel.position.npy": "matches several dataset types: wheel.any, wheel.position",
        session + "#2099-01-01#/spikes.times.npy": "revision '2099-01-01' has no record",
        "loose/spikes.times.npy": NOT_ALF,
    }
    text = (cat.root / outcome.new[1].path).read_text()
    assert "session: SW001/2024-01-05/001\ncollection: alf\n" in text
    assert f"hash: {hashlib.sha256(A).hexdigest()}\n" in text
    assert f"file_size: {len(A)}\n" in text
    assert validate(cat.root).problems == []
    again = cat.sync(register=True)
    assert again.new == []
    assert again.report.totals()["verified"] == 2
