"""`catalog import alyx`: real Alyx fixtures and a fuller one import and validate cleanly."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from catalog.cli import main
from catalog.scaffold import init_catalog

CORPORA = Path("/work/shared/corpora")
REAL = sorted(CORPORA.glob("alyx-*.json"))
SMALL = Path(__file__).parent / "data" / "alyx-small.json"


def run(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


@pytest.fixture
def empty(tmp_path: Path) -> Path:
    init_catalog(tmp_path / "cat")
    return tmp_path / "cat"


def test_the_real_fixtures_import_and_validate(empty: Path) -> None:
    result = run("import", "alyx", *map(str, REAL), "--root", str(empty))
    assert result.exit_code == 0, result.output
    assert result.stdout == "wrote 141 record(s), skipped 2\n"
    assert result.stderr.splitlines() == [
        f"skipped alyx-repository-types.json: data.datarepositorytype {name}: repository types "
        "are not records here: a repository's 'type' is its storage protocol (local, s3, "
        "http, sftp, gcs)"
        for name in ("Fileserver", "Cardboard box")
    ]
    check = run("validate", "--root", str(empty))
    assert check.exit_code == 0, check.output
    assert check.stderr.startswith("141 valid records (28 format, 113 dataset-type); 0 error(s)")


def test_a_fixture_with_every_model_imports_and_validates(empty: Path) -> None:
    result = run("import", "alyx", str(SMALL), "--root", str(empty))
    assert result.exit_code == 0, result.output
    assert result.stdout == "wrote 11 record(s), skipped 4\n"
    assert result.stderr.splitlines() == [
        "skipped alyx-small.json: data.datarepositorytype Fileserver: repository types are not "
        "records here: a repository's 'type' is its storage protocol (local, s3, http, sftp, gcs)",
        "skipped alyx-small.json: data.datarepository nowhere: has neither data_url nor "
        "globus_path to reach its files",
        "skipped alyx-small.json: data.datanotice an empty notice: not a valid record: a notice "
        "needs 'datasets' (UUIDs) or a 'selector', or both",
        "skipped alyx-small.json: actions.weighing 7: model 'actions.weighing' is not imported",
        "note: 1 × session kept as its Alyx id (no actions.session row)",
    ]
    check = run("validate", "--root", str(empty))
    assert check.exit_code == 0, check.output
    assert check.stderr.startswith(
        "11 valid records (2 repository, 1 format, 2 dataset-type, 1 tag, 1 revision, "
        "3 dataset, 1 notice)"
    )


def test_imported_records_carry_the_alyx_facts(empty: Path) -> None:
    run("import", "alyx", str(SMALL), "--root", str(empty))
    ds = empty / "records/datasets/ZM_1898/2019-12-02/001/alf/probe00/spikes.times.npy.yaml"
    lines = ds.read_text().splitlines()
    for line in (
        "session: ZM_1898/2019-12-02/001",
        "  - repository: zadorlab_SR",
        "  - 2024_Q2_paper",
        "hash: 8f4c9e2b6a1d4e5f8a9b0c1d2e3f4a5b",
        "hash_algorithm: md5",
        "qc: PASS",
    ):
        assert line in lines
    notice = (empty / "records/notices/probe00-sync-drift.yaml").read_text().splitlines()
    assert {"importance: MAJOR", "version_affected: <1.5.0", "affected_from: '2019-12-01'"} <= set(
        notice
    )
    assert (empty / "records/repositories/zadorlab_SR.yaml").read_text().count("personal: true")


def test_importing_again_overwrites_nothing(empty: Path) -> None:
    run("import", "alyx", str(SMALL), "--root", str(empty))
    before = {p: p.read_bytes() for p in empty.rglob("records/**/*.yaml")}
    again = run("import", "alyx", str(SMALL), "--root", str(empty))
    assert again.stdout == "wrote 0 record(s), skipped 15\n"
    tag = "data.tag 2024_Q2_paper: records/tags/2024_Q2_paper.yaml exists already"
    assert f"skipped alyx-small.json: {tag}" in again.stderr.splitlines()
    assert {p: p.read_bytes() for p in empty.rglob("records/**/*.yaml")} == before


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "not a readable JSON fixture"),
        (
            '{"model": "data.tag"}',
            "not a Django fixture (expected a list of {model, pk, fields} objects)",
        ),
        ('[{"model": "data.tag", "pk": 1}]', "not a Django fixture"),
    ],
)
def test_a_file_that_is_no_fixture_is_refused(
    empty: Path, tmp_path: Path, content: str, message: str
) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(content)
    result = run("import", "alyx", str(bad), "--root", str(empty))
    assert result.exit_code == 1
    assert result.stderr.startswith(f"Error: {bad}: {message}")
    assert not list((empty / "records").rglob("*.yaml"))
