"""A run whose inputs all match the last one reuses its findings; any change means a full run."""

from __future__ import annotations

import json
import os
from typing import Any

import pytest

from catalog.sync.report import load_latest
from tests.sync.conftest import Cat, MakeSyncCatalog, dataset_yaml, record_file

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


def test_changed_settings_mean_a_full_run(
    sync_catalog: MakeSyncCatalog, monkeypatch: pytest.MonkeyPatch
) -> None:
    cat = _settled(sync_catalog)
    with (cat.root / "catalog.yaml").open("a") as fh:
        fh.write("description: spikes\n")
    assert not cat.sync().reused
    assert cat.sync().reused
    monkeypatch.setenv("CATALOG_DESCRIPTION", "spikes and more")
    assert not cat.sync().reused


def test_a_state_folder_moved_by_the_environment_gets_a_full_run_there(
    sync_catalog: MakeSyncCatalog, monkeypatch: pytest.MonkeyPatch
) -> None:
    cat = _settled(sync_catalog)
    monkeypatch.setenv("CATALOG_STATE_DIR", "elsewhere")
    moved = cat.sync()
    assert not moved.reused
    assert moved.counters.hashed_files == 3  # a new state folder: a new stat cache
    assert load_latest(cat.root / "elsewhere") is not None
    again = cat.sync()
    assert again.reused
    assert again.report_path is not None
    assert again.report_path.parent == cat.root / "elsewhere" / "reports"


def test_a_state_folder_set_in_catalog_yaml_is_reused_there(
    sync_catalog: MakeSyncCatalog,
) -> None:
    cat = sync_catalog(
        FILES, copies={"local-main": True}, extra={"catalog.yaml": "name: t\nstate_dir: state\n"}
    )
    assert not cat.sync().reused
    again = cat.sync()
    assert again.reused
    assert again.report_path is not None
    assert again.report_path.parent == cat.root / "state" / "reports"
    assert not (cat.root / ".catalog").exists()


def _without_times(report: dict[str, Any]) -> dict[str, Any]:
    report = {**report, "started": "", "finished": ""}
    report["files"] = [{**f, "checked": ""} for f in report["files"]]
    return report


def test_the_reused_report_is_the_last_one_with_this_runs_times(
    sync_catalog: MakeSyncCatalog,
) -> None:
    gone = 'gone/"checked":"x"/spikes.times.npy'  # looks like a time in JSON
    cat = sync_catalog(
        FILES,
        copies={"local-main": True},
        records={gone: dataset_yaml(gone, A, copies={"local-main": False})},
    )
    (cat.data / "stray.npy").write_bytes(b"in no record")
    first = cat.sync()  # changes nothing (the record already says the file is gone)
    assert not first.reused
    assert first.report_path is not None
    first_text = first.report_path.read_text()
    again = cat.sync()
    assert again.reused
    assert again.failed  # the missing copy still makes sync exit 1
    assert again.report_path is not None
    old, new = json.loads(first_text), json.loads(again.report_path.read_text())
    assert _without_times(new) == _without_times(old)
    assert {f["relative_path"]: f["status"] for f in new["files"]}[gone] == "missing"
    assert [o["relative_path"] for o in new["orphans"]] == ["stray.npy"]
    assert {f["checked"] for f in new["files"]} == {new["finished"]} == {new["started"]}
    assert again.report.to_json() == new
    assert (cat.root / ".catalog/reports/latest.json").read_text() == json.dumps(
        new, separators=(",", ":")
    ) + "\n"
    assert first.report_path.read_text() == first_text  # the older report is left as it was
