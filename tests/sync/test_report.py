"""The sync report JSON: written atomically, read back by load_latest."""

from __future__ import annotations

import json
from pathlib import Path

from catalog.sync.report import FileReport, Orphan, SyncReport, load_latest, write_report


def _report() -> SyncReport:
    report = SyncReport(started="2024-05-01T12:00:00Z", finished="2024-05-01T12:00:05Z")
    report.add(FileReport("u1", "local-main", "a/b.npy", "verified", "2024-05-01T12:00:01Z"))
    report.add(FileReport("u2", "local-main", "a/c.npy", "missing", "2024-05-01T12:00:02Z"))
    report.orphans.append(Orphan("local-main", "a/d.npy", 12))
    return report


def test_written_report_loads_back_equal(tmp_path: Path) -> None:
    path = write_report(tmp_path, _report())
    assert path.name == "20240501T120005Z.json"
    assert load_latest(tmp_path) == _report()
    data = json.loads((tmp_path / "reports" / "latest.json").read_text())
    assert data["repositories"]["local-main"]["counts"]["missing"] == 1
    assert data["files"][1]["verified_at"] is None


def test_two_reports_in_the_same_second_are_both_kept(tmp_path: Path) -> None:
    first = write_report(tmp_path, _report())
    second = write_report(tmp_path, _report())
    assert first != second
    assert first.exists()
    assert second.exists()


def test_no_report_or_a_broken_one_is_none(tmp_path: Path) -> None:
    assert load_latest(tmp_path) is None
    (tmp_path / "reports").mkdir()
    (tmp_path / "reports" / "latest.json").write_text('{"version": 1, "files": [{}]}')
    assert load_latest(tmp_path) is None


def test_problems_are_missing_and_mismatches_only() -> None:
    assert [f.relative_path for f in _report().problems()] == ["a/c.npy"]
    assert _report().totals()["verified"] == 1


def test_old_reports_are_pruned(tmp_path: Path) -> None:
    from catalog.sync.report import prune

    folder = tmp_path / "reports"
    folder.mkdir()
    for i in range(5):
        (folder / f"2024050{i}T000000Z.json").write_text("{}")
    (folder / "latest.json").write_text("{}")
    prune(folder, keep=2)
    assert sorted(p.name for p in folder.iterdir()) == [
        "20240503T000000Z.json",
        "20240504T000000Z.json",
        "latest.json",
    ]


def test_old_reports_go_once_the_newer_fill_the_budget(tmp_path: Path) -> None:
    from catalog.sync.report import KEEP_AT_LEAST, prune

    folder = tmp_path / "reports"
    folder.mkdir()
    names = [f"202405{d:02d}T000000Z.json" for d in range(1, 11)]
    names.insert(5, "20240505T000000Z-2.json")  # a second report in the same second
    for name in names:
        (folder / name).write_bytes(b"x" * 1000)
    prune(folder, keep=200, budget=6500)  # room for six
    kept = sorted(p.name for p in folder.iterdir())
    assert kept == sorted(names[-6:])
    assert "20240505T000000Z-2.json" in kept  # the later of the two
    assert "20240505T000000Z.json" not in kept
    # Huge reports: the newest few stay all the same, so the site always has one to show.
    for name in kept:
        (folder / name).write_bytes(b"x" * 10_000)
    prune(folder, keep=200, budget=1)
    assert sorted(p.name for p in folder.iterdir()) == sorted(names[-KEEP_AT_LEAST:])
