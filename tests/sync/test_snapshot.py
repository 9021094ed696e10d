"""A run whose inputs all match the last one reuses its findings; any change means a full run."""

from __future__ import annotations

import os

from catalog.sync.report import load_latest
from tests.sync.conftest import Cat, MakeSyncCatalog, record_file

A = b"unchanged " * 10
FILES = {f"s{i}/spikes.times.npy": A for i in range(3)}


def _settled(sync_catalog: MakeSyncCatalog) -> Cat:
    cat = sync_catalog(FILES, copies={"local-main": True})
    assert not cat.sync().reused
    return cat


def test_nothing_changed_reuses_the_last_findings(sync_catalog: MakeSyncCatalog) -> None:
    cat = _settled(sync_catalog)
    first = load_latest(cat.root / ".catalog")
    again = cat.sync()
    assert again.reused
    assert again.report_path is not None
    assert [(f.relative_path, f.status) for f in again.report.files] == [
        (f.relative_path, f.status)
        for f in first.files  # type: ignore[union-attr]
    ]
    latest = load_latest(cat.root / ".catalog")
    assert latest is not None
    assert latest.files[0].checked == latest.finished


def test_a_touched_file_or_record_means_a_full_run(sync_catalog: MakeSyncCatalog) -> None:
    cat = _settled(sync_catalog)
    os.utime(cat.data / "s1/spikes.times.npy", ns=(1, 1))
    touched = cat.sync()
    assert not touched.reused
    assert touched.counters.hashed_files == 1
    assert cat.sync().reused
    with (cat.root / record_file("s2/spikes.times.npy")).open("a") as fh:
        fh.write("# a curator's note\n")
    assert not cat.sync().reused


def test_a_copy_that_could_not_be_looked_at_is_looked_at_again(
    sync_catalog: MakeSyncCatalog,
) -> None:
    cat = _settled(sync_catalog)
    (cat.data / "s0/spikes.times.npy").unlink()
    (cat.data / "s0/spikes.times.npy").symlink_to("spikes.times.npy")  # a loop: unreachable
    assert not cat.sync().reused
    assert not cat.sync().reused
    assert {f.status for f in cat.sync().report.files} == {"verified", "unreachable"}


def test_full_verify_never_reuses(sync_catalog: MakeSyncCatalog) -> None:
    cat = _settled(sync_catalog)
    full = cat.sync(verify="full")
    assert not full.reused
    assert full.counters.hashed_files == 3
