"""Replication jobs: `catalog run` copies a dataset file into a repository that misses it."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from catalog.atomic import TEMP_PREFIX
from catalog.cli import main
from catalog.errors import ConfigError
from catalog.models import Dataset
from catalog.runner.apply import batch_edits
from catalog.runner.plan import make_plan
from catalog.runner.run import run_catalog
from catalog.runner.worker import run_job
from catalog.validate import load_catalog
from tests.conftest import git
from tests.runner.conftest import DATASET, INPUT, INPUT_SHA

MakeRunner = Callable[..., Path]
REL = "SW001/2024-01-05/001/alf/spikes.times.npy"
JOB = f"copy:local-copy/{DATASET}"


def _repo(name: str, url: str, **flags: str) -> str:
    extra = "".join(f"{k}: {v}\n" for k, v in flags.items())
    return f"kind: repository\nname: {name}\ntype: local\nurl: {url}\n{extra}"


def _dataset(copies: dict[str, bool]) -> str:
    records = "".join(
        f"  - repository: {repo}\n    relative_path: {REL}\n    exists: {str(there).lower()}\n"
        for repo, there in copies.items()
    )
    return (
        f"kind: dataset\nuuid: {DATASET}\nname: spikes.times.npy\n"
        "session: SW001/2024-01-05/001\ncollection: alf\ndataset_type: spikes.times\n"
        f"data_format: npy\nfile_size: {len(INPUT)}\nhash: {INPUT_SHA}\nfile_records:\n{records}"
    )


@pytest.fixture
def root(runner_catalog: MakeRunner) -> Path:
    """local-main has the file; the record says local-copy (an empty folder) misses it."""
    cat = runner_catalog(
        {
            "records/repositories/local-copy.yaml": _repo("local-copy", "data/copy"),
            "records/datasets/s1/spikes.times.npy.yaml": _dataset(
                {"local-main": True, "local-copy": False}
            ),
        }
    )
    (cat / "data/copy").mkdir()
    return cat


def _copies(root: Path) -> dict[str, bool]:
    entry = load_catalog(root).get("dataset", DATASET)
    assert entry is not None
    assert isinstance(entry.model, Dataset)
    return {fr.repository: fr.exists for fr in entry.model.file_records}


def _run(root: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["run", "--root", str(root), *args])
    return result.exit_code, result.output


def _temp_files(folder: Path) -> list[Path]:
    return list(folder.rglob(f"{TEMP_PREFIX}*"))


def test_catalog_run_copies_a_missing_file_and_records_it(root: Path) -> None:
    commits = git(root, "rev-list", "--count", "HEAD")
    code, out = _run(root)
    assert code == 0, out
    assert JOB in out
    assert (root / "data/copy" / REL).read_bytes() == INPUT
    assert _copies(root) == {"local-main": True, "local-copy": True}
    assert int(git(root, "rev-list", "--count", "HEAD")) == int(commits) + 1
    assert git(root, "status", "--porcelain", "records") == ""
    assert _temp_files(root / "data/copy") == []
    assert _run(root) == (0, "nothing to run\n")  # recorded: not planned again


def test_the_plan_lists_the_copy_and_its_source(root: Path) -> None:
    code, out = _run(root, "--plan")
    assert code == 0
    assert JOB in out
    code, out = _run(root, "--plan", "--format", "json")
    [job] = json.loads(out)["jobs"]
    assert (job["id"], job["kind"]) == (JOB, "replication")
    assert job["spec"]["source"]["repository"]["name"] == "local-main"
    assert job["spec"]["destination"]["relative_path"] == REL
    assert not (root / "data/copy" / REL).exists()  # --plan copies nothing


def test_a_copy_whose_checksum_does_not_match_fails_and_flips_nothing(root: Path) -> None:
    assert _run(root, "--plan")[0] == 0  # verifies the source: its digest is in the stat cache
    # Silent corruption that keeps size and mtime: only the copy's own checksum can see it.
    source = root / "data/main" / REL
    st = source.stat()
    with source.open("r+b") as fh:
        fh.write(b"X")
    os.utime(source, ns=(st.st_atime_ns, st.st_mtime_ns))
    head = git(root, "rev-parse", "HEAD")
    code, out = _run(root)
    assert code == 1
    assert JOB in out
    assert "failed" in out
    assert not (root / "data/copy" / REL).exists()
    assert _temp_files(root / "data/copy") == []
    assert _copies(root)["local-copy"] is False
    assert git(root, "rev-parse", "HEAD") == head


def test_an_unreachable_destination_fails_and_flips_nothing(root: Path) -> None:
    (root / "data/copy").rmdir()  # an unmounted disk
    summary = run_catalog(root)
    [outcome] = summary.outcomes
    assert outcome.report.status == "failed"
    assert "repository 'local-copy' cannot be reached" in outcome.report.error_report
    assert summary.commits == []
    assert not (root / "data/copy").exists()  # never created in place of the mount
    assert _copies(root)["local-copy"] is False


def test_a_file_already_at_the_destination_is_taken_only_with_the_right_bytes(
    root: Path,
) -> None:
    [job] = make_plan(load_catalog(root), root=root).jobs
    target = root / "data/copy" / REL
    target.parent.mkdir(parents=True)
    target.write_bytes(b"not the data")
    report = run_job(job.spec)
    assert report.status == "failed"
    assert "never replaced" in report.error_report
    assert target.read_bytes() == b"not the data"
    assert batch_edits(load_catalog(root), [report]) == ([], [])
    target.write_bytes(INPUT)  # a copy made earlier whose report was lost
    report = run_job(job.spec)
    assert report.status == "done"
    [edit], stale = batch_edits(load_catalog(root), [report])
    assert (edit.path, stale) == ("records/datasets/s1/spikes.times.npy.yaml", [])


def _plan_sources(runner_catalog: MakeRunner, copies: dict[str, bool], **repos: str) -> Path:
    files = {f"records/repositories/{n}.yaml": text for n, text in repos.items()}
    files["records/datasets/s1/spikes.times.npy.yaml"] = _dataset(copies)
    return runner_catalog(files)


@pytest.mark.parametrize(
    ("copies", "source"),
    [
        ({"laptop": True, "local-main": True, "local-copy": False}, "local-main"),
        ({"laptop": True, "local-main": False, "local-copy": False}, "laptop"),
        ({"attic": True, "local-main": False, "local-copy": False}, None),
    ],
    ids=["shared-first", "personal-when-alone", "offline-never"],
)
def test_sources_follow_the_rules_of_sync_replicate(
    runner_catalog: MakeRunner, copies: dict[str, bool], source: str | None
) -> None:
    root = _plan_sources(
        runner_catalog,
        copies,
        **{
            "local-copy": _repo("local-copy", "data/copy"),
            "laptop": _repo("laptop", "data/laptop", personal="true"),
            "attic": _repo("attic", "data/attic", offline="true"),
        },
    )
    plan = make_plan(load_catalog(root))
    copy_jobs = {j.id: j for j in plan.jobs if j.kind == "replication"}
    if source is None:
        assert copy_jobs == {}
        assert "no verified copy" in plan.waiting[JOB]
    else:
        assert copy_jobs[JOB].spec["source"]["repository"]["name"] == source
        # A personal repository also misses the file when local-main does: it gets a copy.
        expected = {JOB} | ({f"copy:local-main/{DATASET}"} if not copies["local-main"] else set())
        assert set(copy_jobs) == expected


def test_offline_read_only_and_excluded_repositories_are_never_written(
    runner_catalog: MakeRunner,
) -> None:
    repos = {
        "attic": _repo("attic", "data/attic", offline="true"),
        "mirror": "kind: repository\nname: mirror\ntype: http\nurl: https://mirror.invalid/\n",
        "local-copy": _repo("local-copy", "data/copy"),
    }
    copies = {"local-main": True, "attic": False, "mirror": False, "local-copy": False}
    root = _plan_sources(runner_catalog, copies, **repos)
    records = load_catalog(root)
    assert [j.id for j in make_plan(records).jobs] == [JOB]
    assert make_plan(records, replicate_to={"local-main"}).jobs == []


def test_runner_replicate_to_names_known_repositories(root: Path) -> None:
    (root / "catalog.yaml").write_text("name: test\nrunner:\n  replicate_to: [nowhere]\n")
    with pytest.raises(ConfigError, match="unknown repository 'nowhere'. Known: local-copy"):
        run_catalog(root)
