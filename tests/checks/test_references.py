"""Every name or uuid a record points at must exist; all dangling ones are reported."""

from __future__ import annotations

from typing import Any

import pytest

from catalog.checks.references import check_references
from tests.checks.build import BASE, UUID1, UUID2, dataset, records, where


@pytest.mark.parametrize(
    ("fields", "field", "message", "hint"),
    [
        (
            {"dataset_type": "spikes.time"},
            "dataset_type",
            "unknown dataset-type 'spikes.time'",
            "Did you mean 'spikes.times'? Known: spikes.times. Add "
            "records/dataset-types/spikes.time.yaml or fix the name.",
        ),
        (
            {"data_format": "npz"},
            "data_format",
            "unknown format 'npz'",
            "Did you mean 'npy'? Known: npy. Add records/formats/npz.yaml or fix the name.",
        ),
        (
            {"revision": "2025-01-01"},
            "revision",
            "unknown revision '2025-01-01'",
            "Did you mean '2024-01-01'? Known: 2024-01-01. Add records/revisions/2025-01-01.yaml "
            "or fix the name.",
        ),
        (
            {"tags": ["raw", "paper"]},
            "tags[1]",
            "unknown tag 'paper'",
            "Known: raw. Add records/tags/paper.yaml or fix the name.",
        ),
        (
            {"file_records": [{"repository": "flatiron", "relative_path": "a/b.npy"}]},
            "file_records[0].repository",
            "unknown repository 'flatiron'",
            "Known: local-main. Add records/repositories/flatiron.yaml or fix the name.",
        ),
        (
            {"provenance": {"datasets": [UUID2]}},
            "provenance.datasets[0]",
            f"no dataset has uuid '{UUID2}'",
            "Check the uuid against the dataset's record.",
        ),
        (
            {"provenance": {"block": {"experiment": "nope", "block": "b"}}},
            "provenance.block.experiment",
            "unknown experiment 'nope'",
            "There are none yet. Add records/experiments/nope.yaml or fix the name.",
        ),
    ],
)
def test_a_dangling_dataset_reference_lists_the_known_values(
    fields: dict[str, Any], field: str, message: str, hint: str
) -> None:
    [p] = check_references(records(*BASE, dataset(**fields)))
    assert p.record.startswith("dataset 'SW001/2024-01-05/001/alf/")
    assert (p.field, p.code) == (field, "unknown-reference")
    assert (p.message, p.hint) == (message, hint)


def test_all_dangling_references_are_collected() -> None:
    bad = dataset(dataset_type="x", data_format="y", tags=["a", "b"], revision="r")
    found = check_references(records(*BASE, bad))
    assert [p.field for p in found] == [
        "dataset_type",
        "data_format",
        "revision",
        "tags[0]",
        "tags[1]",
    ]


EXPERIMENT = {
    "kind": "experiment",
    "name": "x",
    "blocks": [
        {"name": "a", "command": ["true"], "outputs": [{"name": "out", "path": "o"}]},
        {
            "name": "b",
            "command": ["true"],
            "inputs": [{"name": "i", "block": "a", "output": "out"}],
        },
    ],
}


@pytest.mark.parametrize(
    ("ref", "field", "message"),
    [
        (
            {"experiment": "x", "block": "c"},
            "provenance.block.block",
            "experiment 'x' has no block 'c'",
        ),
        (
            {"experiment": "x", "block": "a", "output": "raw"},
            "provenance.block.output",
            "block 'a' has no output 'raw'",
        ),
    ],
)
def test_provenance_from_a_block_must_name_a_real_output(
    ref: dict[str, str], field: str, message: str
) -> None:
    [p] = check_references(records(*BASE, EXPERIMENT, dataset(provenance={"block": ref})))
    assert (p.field, p.message) == (field, message)
    ok = dataset(provenance={"block": {"experiment": "x", "block": "a", "output": "out"}})
    assert check_references(records(*BASE, EXPERIMENT, ok)) == []


def _experiment(**changes: Any) -> dict[str, Any]:
    x: dict[str, Any] = {**EXPERIMENT, "blocks": [dict(b) for b in EXPERIMENT["blocks"]]}
    x.update(changes)
    return x


def test_experiment_references() -> None:
    x = _experiment(
        repository="cache", datasets=[UUID2], results=[{"name": "r", "type": "bool", "block": "z"}]
    )
    x["blocks"][1]["inputs"] = [
        {"name": "i", "block": "a", "output": "nope"},
        {"name": "j", "block": "zz", "output": "out"},
        {"name": "k", "dataset": UUID2},
    ]
    found = check_references(records(*BASE, x))
    assert [(p.field, p.message) for p in found] == [
        ("repository", "unknown repository 'cache'"),
        ("datasets[0]", f"no dataset has uuid '{UUID2}'"),
        ("blocks[1].inputs[0].output", "block 'a' has no output 'nope'"),
        ("blocks[1].inputs[1].block", "block 'b' takes input from unknown block 'zz'"),
        ("blocks[1].inputs[2].dataset", f"no dataset has uuid '{UUID2}'"),
        ("results[0].block", "result 'r' names unknown block 'z'"),
    ]


def test_notice_references_by_uuid_and_selector() -> None:
    notice = {
        "kind": "notice",
        "name": "n",
        "importance": "MAJOR",
        "datasets": [UUID1, UUID2],
        "selector": {
            "dataset_types": ["spikes.times", "lfp"],
            "revisions": ["r9"],
            "tags": ["raw", "t"],
        },
    }
    found = check_references(records(*BASE, dataset(), notice))
    assert where(found) == [
        ("notice 'n'", "datasets[1]", "unknown-reference"),
        ("notice 'n'", "selector.dataset_types[1]", "unknown-reference"),
        ("notice 'n'", "selector.revisions[0]", "unknown-reference"),
        ("notice 'n'", "selector.tags[1]", "unknown-reference"),
    ]


TRAINING = {
    "kind": "training",
    "uuid": UUID2,
    "name": "t",
    "model": "m",
    "actor": "a",
    "num_updates": 1,
    "target_num_updates": 1,
}


def test_training_references_workers_repository_and_datasets() -> None:
    worker = {"kind": "worker", "name": "w1"}
    t = {
        **TRAINING,
        "participants": ["w1", "w2"],
        "repository": "weights",
        "datasets": [UUID2],  # the training's own uuid is not a dataset
        "rounds": [{"number": 0, "updates": [{"participant": "w3"}]}],
    }
    found = check_references(records(*BASE, worker, t))
    assert [(p.field, p.message) for p in found] == [
        ("repository", "unknown repository 'weights'"),
        ("participants[1]", "unknown worker 'w2'"),
        ("datasets[0]", f"no dataset has uuid '{UUID2}'"),
        ("rounds[0].updates[0].participant", "unknown worker 'w3'"),
    ]
