"""The bundled example catalog: valid, its files real, and as rich as the README says."""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections import defaultdict
from pathlib import Path

import pytest
from click.testing import CliRunner

from catalog.checks.consistency import looks_private
from catalog.checks.graph import block_graph, execution_order
from catalog.cli import main
from catalog.models import (
    Dataset,
    DatasetType,
    Experiment,
    Notice,
    Repository,
    Tag,
    Training,
    Worker,
)
from catalog.models.trainings import Update
from catalog.records import Records
from catalog.store import SCHEMA_LINE_PREFIX
from catalog.validate import validate


@pytest.fixture
def records(repo_root: Path) -> Records:
    result = validate(repo_root, use_cache=False)
    assert result.problems == []
    return result.records


def local_files(root: Path, records: Records) -> dict[Path, Dataset]:
    """Every file that a dataset says is in a local repository, with its dataset."""
    repos = {r.name: r for r in records.models(Repository)}
    out = {}
    for d in records.models(Dataset):
        for fr in d.file_records:
            repo = repos[fr.repository]
            if repo.type == "local" and not repo.offline:
                out[root / repo.url / fr.relative_path] = d
    return out


def training_files(root: Path, records: Records) -> dict[Path, Update]:
    """Every weights file that a training's update names, with its update."""
    repos = {r.name: r for r in records.models(Repository)}
    out = {}
    for t in records.models(Training):
        assert t.repository is not None
        for rnd in t.rounds:
            for u in rnd.updates:
                assert u.path is not None
                out[root / repos[t.repository].url / u.path] = u
    return out


def test_readme_command_validates_the_example_strictly(repo_root: Path) -> None:
    result = CliRunner().invoke(
        main, ["validate", "--root", str(repo_root), "--strict", "--no-cache"]
    )
    assert result.exit_code == 0, result.output
    assert "0 error(s), 0 warning(s)" in result.output
    assert "60 dataset" in result.output


def test_every_record_file_points_editors_at_its_schema(repo_root: Path, records: Records) -> None:
    assert len(records) >= 100
    for entry in records:
        first = (repo_root / entry.path).read_text(encoding="utf-8").splitlines()[0]
        assert first.startswith(SCHEMA_LINE_PREFIX), entry.path
        target = (repo_root / entry.path).parent / first.removeprefix(SCHEMA_LINE_PREFIX)
        assert target.resolve() == repo_root / f"catalog/schemas/{entry.kind}.schema.json"


def test_local_files_have_the_recorded_size_and_hash(repo_root: Path, records: Records) -> None:
    files = local_files(repo_root, records)
    assert len(files) >= 40
    for path, d in files.items():
        raw = path.read_bytes()
        assert (len(raw), hashlib.sha256(raw).hexdigest()) == (d.file_size, d.hash), path
        assert all(fr.exists for fr in d.file_records if fr.repository == "local-main")


def test_local_repository_holds_no_unrecorded_files(repo_root: Path, records: Records) -> None:
    on_disk = {p for p in (repo_root / "data" / "local-main").rglob("*") if p.is_file()}
    assert on_disk == set(local_files(repo_root, records)) | set(training_files(repo_root, records))


def test_example_has_repositories_types_and_sessions(records: Records) -> None:
    repos = records.models(Repository)
    assert {"local", "s3", "http"} <= {r.type for r in repos}
    assert any(r.data_url for r in repos if r.type == "http")
    assert len(records.models(DatasetType)) >= 10
    datasets = records.models(Dataset)
    assert len(datasets) >= 40
    assert len({d.session for d in datasets}) >= 3
    assert len({d.qc for d in datasets}) >= 4


def test_a_dataset_exists_in_two_revisions_with_one_default(records: Records) -> None:
    by_place: dict[tuple[str, str, str], list[Dataset]] = defaultdict(list)
    for d in records.models(Dataset):
        by_place[(d.session, d.collection, d.name)].append(d)
    revised = [g for g in by_place.values() if len({d.revision for d in g if d.revision}) >= 2]
    assert revised
    for group in revised:
        assert [d.default_dataset for d in group].count(True) == 1
        latest = max(group, key=lambda d: d.revision or "")
        assert latest.default_dataset


def test_protected_and_public_tags_are_used(records: Records) -> None:
    tags = {t.name: t for t in records.models(Tag)}
    protected = {n for n, t in tags.items() if t.protected}
    public = {n for n, t in tags.items() if t.public}
    datasets = records.models(Dataset)
    assert sum(bool(protected & set(d.tags)) for d in datasets) >= 3
    assert sum(bool(public & set(d.tags)) for d in datasets) >= 3


def test_notices_cover_three_importances_by_ids_and_by_selector(records: Records) -> None:
    notices = records.models(Notice)
    assert {"CRITICAL", "MAJOR", "MINOR"} <= {n.importance for n in notices}
    assert any(n.selector and n.selector.revisions for n in notices)
    assert any(n.datasets for n in notices)


def test_pending_experiment_is_a_dag_with_a_primary_result(records: Records) -> None:
    pending = [x for x in records.models(Experiment) if x.status == "pending"]
    [x] = [x for x in pending if len(x.blocks) >= 3]
    order = execution_order(x)
    graph = block_graph(x)
    assert all(order.index(dep) < order.index(b) for b, deps in graph.items() for dep in deps)
    assert any(len(deps) >= 2 for deps in graph.values())  # a join after a fork
    assert {b.status for b in x.blocks} == {"pending"}
    assert [r.primary for r in x.results].count(True) == 1


def test_derived_datasets_record_their_provenance(records: Records) -> None:
    datasets = records.models(Dataset)
    from_datasets = [d for d in datasets if d.provenance and d.provenance.datasets]
    from_blocks = [d for d in datasets if d.provenance and d.provenance.block]
    assert from_datasets
    assert from_blocks
    for d in from_blocks:
        assert d.provenance is not None
        assert d.provenance.block is not None
        ref = d.provenance.block
        exp = records.get("experiment", ref.experiment)
        assert exp is not None
        assert isinstance(exp.model, Experiment)
        [block] = [b for b in exp.model.blocks if b.name == ref.block]
        [output] = [o for o in block.outputs if o.name == ref.output]
        assert (output.hash, output.file_size) == (d.hash, d.file_size)


def test_metadata_schema_with_date_time_is_exercised(records: Records) -> None:
    typed = [
        t
        for t in records.models(DatasetType)
        if t.metadata_schema
        and any(p.get("format") == "date-time" for p in t.metadata_schema["properties"].values())
    ]
    assert typed
    names = {t.name for t in typed}
    carrying = [d for d in records.models(Dataset) if d.dataset_type in names]
    assert len(carrying) >= 3
    assert all(d.metadata for d in carrying)


def test_training_and_workers(records: Records) -> None:
    workers = {w.name: w for w in records.models(Worker)}
    assert len(workers) >= 2
    assert all(len(w.public_keys) >= 1 for w in workers.values())
    [t] = records.models(Training)
    assert t.aggregation_method == "FedAvg"
    assert not t.locked
    assert t.options["daisy_chain_period"] > 0
    assert t.target_num_updates == t.num_updates * t.options["daisy_chain_period"]
    assert set(t.participants) <= set(workers)


def test_training_update_files_have_the_recorded_size_and_hash(
    repo_root: Path, records: Records
) -> None:
    [entry] = records.by_kind["training"]
    t = entry.model
    assert isinstance(t, Training)
    assert [r.number for r in t.rounds] == [0]
    assert {u.participant for u in t.rounds[0].updates} == set(t.participants)
    # An update has no size field: the record notes each file's size beside its path.
    text = (repo_root / entry.path).read_text(encoding="utf-8")
    sizes = dict(re.findall(r"path: (\S+)  # (\d+) bytes", text))
    files = training_files(repo_root, records)
    assert len(files) == 2
    for path, u in files.items():
        raw = path.read_bytes()
        assert u.path is not None
        assert (len(raw), hashlib.sha256(raw).hexdigest()) == (int(sizes[u.path]), u.hash), path
        assert u.num_samples


_BASE64_32 = re.compile(r"(?<![A-Za-z0-9+/])[A-Za-z0-9+/]{43}=")


def test_no_record_file_holds_private_key_material(repo_root: Path, records: Records) -> None:
    public = {k.key.removeprefix("ed25519:") for w in records.models(Worker) for k in w.public_keys}
    for path in (repo_root / "records").rglob("*"):
        if not path.is_file():
            continue
        text = path.read_text(encoding="utf-8")
        assert "PRIVATE KEY" not in text.upper(), path
        assert not any(looks_private(token) for token in text.split()), path
        for blob in _BASE64_32.findall(text):
            try:
                is_key = len(base64.b64decode(blob, validate=True)) == 32
            except binascii.Error:
                is_key = False
            # A 32-byte base64 value could be a private seed: only public keys may appear.
            assert not is_key or blob in public, path
