"""Sync against a local folder: one status per copy, and exists flips only on real changes."""

from __future__ import annotations

import os

from tests.sync.conftest import MakeSyncCatalog, dataset_yaml, uid

A = b"spikes a" * 10
B = b"spikes b" * 10


def statuses(outcome) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {f.relative_path: f.status for f in outcome.report.files}


def test_every_status_of_a_local_copy(sync_catalog: MakeSyncCatalog) -> None:
    cat = sync_catalog(
        {"ok/spikes.times.npy": A, "size/spikes.times.npy": A, "hash/spikes.times.npy": A},
        records={
            "gone/spikes.times.npy": dataset_yaml(
                "gone/spikes.times.npy", A, copies={"local-main": True}
            )
        },
    )
    (cat.data / "size/spikes.times.npy").write_bytes(A + b"!")
    (cat.data / "hash/spikes.times.npy").write_bytes(B)
    outcome = cat.sync()
    assert statuses(outcome) == {
        "ok/spikes.times.npy": "verified",
        "size/spikes.times.npy": "size_mismatch",
        "hash/spikes.times.npy": "hash_mismatch",
        "gone/spikes.times.npy": "missing",
    }
    assert outcome.failed
    assert outcome.report.repositories["local-main"].counts["missing"] == 1


def test_exists_flips_only_where_the_truth_changed(sync_catalog: MakeSyncCatalog) -> None:
    cat = sync_catalog(
        {"new/spikes.times.npy": A},
        records={
            "gone/spikes.times.npy": dataset_yaml(
                "gone/spikes.times.npy", A, copies={"local-main": True}
            )
        },
    )
    first = cat.sync()
    assert "exists: false" in cat.record("gone/spikes.times.npy")
    assert "exists: true" in cat.record("new/spikes.times.npy")
    assert "# where the file lives" in cat.record("new/spikes.times.npy")  # comments survive
    assert len(first.changes) == 2
    again = cat.sync()
    assert again.changes == []


def test_a_mismatch_never_overwrites_the_recorded_hash(sync_catalog: MakeSyncCatalog) -> None:
    cat = sync_catalog({"x/spikes.times.npy": A})
    before = cat.record("x/spikes.times.npy")
    (cat.data / "x/spikes.times.npy").write_bytes(B)
    outcome = cat.sync()
    assert statuses(outcome) == {"x/spikes.times.npy": "hash_mismatch"}
    after = cat.record("x/spikes.times.npy")
    assert after.splitlines()[8] == before.splitlines()[8]  # the hash line
    assert "hash: " + __import__("hashlib").sha256(A).hexdigest() in after


def test_first_checksum_and_size_are_learned(sync_catalog: MakeSyncCatalog) -> None:
    cat = sync_catalog({"x/spikes.times.npy": A}, hash_=False, size=False)
    outcome = cat.sync()
    assert statuses(outcome) == {"x/spikes.times.npy": "verified"}
    text = cat.record("x/spikes.times.npy")
    assert f"hash: {__import__('hashlib').sha256(A).hexdigest()}" in text
    assert f"file_size: {len(A)}" in text
    assert text.index("hash:") < text.index("file_records:")


def test_a_second_run_over_unchanged_files_reads_nothing(sync_catalog: MakeSyncCatalog) -> None:
    cat = sync_catalog({f"s{i}/spikes.times.npy": A for i in range(5)})
    assert cat.sync().counters.hashed_files == 5
    warm = cat.sync()
    assert (warm.counters.hashed_files, warm.counters.from_cache) == (0, 5)
    full = cat.sync(verify="full")
    assert (full.counters.hashed_files, full.counters.from_cache) == (5, 0)


def test_a_touched_file_is_hashed_again(sync_catalog: MakeSyncCatalog) -> None:
    cat = sync_catalog({"a/spikes.times.npy": A, "b/spikes.times.npy": A})
    cat.sync()
    os.utime(cat.data / "a/spikes.times.npy", ns=(1, 1))
    assert cat.sync().counters.hashed_files == 1


def test_orphans_are_listed_but_dot_files_are_not(sync_catalog: MakeSyncCatalog) -> None:
    cat = sync_catalog({"a/spikes.times.npy": A, ".hidden/spikes.times.npy": B})
    (cat.data / "a/extra.bin").write_bytes(b"12345")
    (cat.data / ".DS_Store").write_bytes(b"x")
    (cat.data / ".git").mkdir()
    (cat.data / ".git/HEAD").write_bytes(b"ref: refs/heads/main\n")
    outcome = cat.sync()
    assert [(o.relative_path, o.size) for o in outcome.report.orphans] == [("a/extra.bin", 5)]
    assert outcome.report.totals()["verified"] == 2  # a record may still name a hidden file


def test_report_is_written_with_per_repository_counts(sync_catalog: MakeSyncCatalog) -> None:
    from catalog.sync.report import load_latest

    cat = sync_catalog({"a/spikes.times.npy": A})
    outcome = cat.sync()
    latest = load_latest(cat.root / ".catalog")
    assert latest is not None
    assert outcome.report_path is not None
    assert latest.files[0].dataset == uid("a/spikes.times.npy")
    assert latest.repositories["local-main"].counts["verified"] == 1
    assert latest.files[0].verified_at is not None


def test_dry_run_writes_nothing(sync_catalog: MakeSyncCatalog) -> None:
    cat = sync_catalog({"a/spikes.times.npy": A})
    before = cat.records_snapshot()
    outcome = cat.sync(dry_run=True)
    assert len(outcome.changes) == 1
    assert cat.records_snapshot() == before
    assert not (cat.root / ".catalog" / "reports").exists()


def test_block_outputs_and_training_weights_are_not_orphans(
    sync_catalog: MakeSyncCatalog,
) -> None:
    experiment = """
        kind: experiment
        name: e1
        repository: local-main
        blocks:
          - name: b
            command: [echo]
            outputs:
              - name: out
                path: out.json
                relative_path: blocks/k1/out.json
    """
    training = """
        kind: training
        uuid: 22222222-2222-4222-8222-222222222222
        name: t1
        model: m
        actor: a
        num_updates: 1
        target_num_updates: 1
        repository: local-main
        rounds:
          - number: 0
            aggregated_path: trainings/t1/round-0/model.npy
            updates:
              - participant: w1
                path: trainings/t1/round-0/w1.npy
    """
    worker = "kind: worker\nname: w1\n"
    cat = sync_catalog(
        {"a/spikes.times.npy": A},
        extra={
            "records/experiments/e1.yaml": experiment,
            "records/trainings/t1.yaml": training,
            "records/workers/w1.yaml": worker,
        },
    )
    for rel in (
        "blocks/k1/out.json",
        "trainings/t1/round-0/model.npy",
        "trainings/t1/round-0/w1.npy",
        "blocks/k2/stray.json",
    ):
        (cat.data / rel).parent.mkdir(parents=True, exist_ok=True)
        (cat.data / rel).write_bytes(b"x")
    outcome = cat.sync()
    assert [o.relative_path for o in outcome.report.orphans] == ["blocks/k2/stray.json"]
