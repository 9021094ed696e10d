"""Names, uuids, file locations, patterns and default datasets are unique; both files named."""

from __future__ import annotations

from typing import Any

import pytest

from catalog.checks.uniqueness import check_uniqueness
from tests.checks.build import UUID1, UUID2, dataset, entry, records, type_

FR = {"repository": "local-main", "relative_path": "SW001/a.npy"}


def _clash(first: dict[str, Any], second: dict[str, Any]) -> list[tuple[str, str, str]]:
    found = check_uniqueness(
        records(entry(first, "records/x/first.yaml"), entry(second, "records/x/second.yaml"))
    )
    assert all(p.path == "records/x/second.yaml" for p in found)
    return [(p.field, p.code, p.message) for p in found]


def test_the_same_name_in_one_kind_clashes_across_kinds_it_does_not() -> None:
    tag = {"kind": "tag", "name": "raw"}
    assert _clash(tag, tag) == [
        ("name", "duplicate", "tag name 'raw' is already used by records/x/first.yaml")
    ]
    assert _clash(tag, {"kind": "format", "name": "raw"}) == []


def test_the_same_uuid_clashes_across_kinds() -> None:
    training = {
        "kind": "training",
        "uuid": UUID1,
        "name": "t",
        "model": "m",
        "actor": "a",
        "num_updates": 1,
        "target_num_updates": 1,
    }
    assert _clash(dataset(), training) == [
        ("uuid", "duplicate", f"uuid '{UUID1}' is already used by records/x/first.yaml")
    ]


def test_the_same_file_in_two_datasets_clashes() -> None:
    a = dataset(file_records=[FR])
    b = dataset("spikes.times.v2.npy", uuid=UUID2, file_records=[{**FR, "repository": "other"}, FR])
    assert _clash(a, b) == [
        (
            "file_records[1].relative_path",
            "duplicate",
            "file 'SW001/a.npy' in repository 'local-main' is already used by records/x/first.yaml",
        )
    ]


def test_the_same_dataset_key_clashes_unless_the_revision_differs() -> None:
    a = dataset()
    b = dataset(uuid=UUID2, default_dataset=False)
    assert _clash(a, b) == [
        (
            "name",
            "duplicate",
            "dataset 'SW001/2024-01-05/001/alf/spikes.times.npy' (session, collection, revision "
            "and name) is already used by records/x/first.yaml",
        )
    ]
    assert _clash(a, {**b, "revision": "2024-01-01"}) == []


@pytest.mark.parametrize(("second_default", "clash"), [(True, True), (False, False)])
def test_one_default_dataset_per_session_collection_and_name(
    second_default: bool, clash: bool
) -> None:
    a = dataset(revision="2024-01-01")
    b = dataset(uuid=UUID2, revision="2024-02-01", default_dataset=second_default)
    expected = [
        (
            "default_dataset",
            "duplicate-default",
            "'SW001/2024-01-05/001/alf/spikes.times.npy' has more than one default dataset "
            "(also records/x/first.yaml)",
        )
    ]
    assert _clash(a, b) == (expected if clash else [])


def test_filename_patterns_are_unique_case_insensitively() -> None:
    assert _clash(type_("a", "*Spikes.Times*.npy"), type_("b", "*spikes.times*.NPY")) == [
        (
            "filename_pattern",
            "duplicate",
            "filename_pattern '*spikes.times*.npy' (case-insensitive) is already used by "
            "records/x/first.yaml",
        )
    ]
    assert _clash(type_("a", ""), type_("b", "")) == []  # no pattern: matched by name


def test_every_clash_is_reported_not_just_the_first() -> None:
    found = check_uniqueness(
        records(*(entry({"kind": "tag", "name": "t"}, f"records/tags/{i}.yaml") for i in range(3)))
    )
    assert [p.path for p in found] == ["records/tags/1.yaml", "records/tags/2.yaml"]
    assert {p.message for p in found} == {"tag name 't' is already used by records/tags/0.yaml"}


def test_names_inside_an_experiment_are_unique() -> None:
    block = {"name": "a", "command": ["true"], "outputs": [{"name": "o", "path": "x"}] * 2}
    x = {
        "kind": "experiment",
        "name": "x",
        "blocks": [block, {**block, "outputs": []}],
        "results": [{"name": "r", "type": "bool"}] * 2,
    }
    assert [(p.field, p.message) for p in check_uniqueness(records(x))] == [
        ("blocks[0].outputs[1].name", "output name 'o' is used twice in block 'a'"),
        ("blocks[1].name", "block name 'a' is used twice (also blocks[0])"),
        ("results[1].name", "result name 'r' is used twice"),
    ]
