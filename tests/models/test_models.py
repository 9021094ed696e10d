"""Record models: documented fields, the enums of the design, strict values, record rules."""

from __future__ import annotations

import base64
from enum import Enum
from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

from catalog.models import (
    KINDS,
    QC,
    AggregationMethod,
    BlockStatus,
    Dataset,
    ExperimentStatus,
    Importance,
    TrainingState,
    UncertaintyMethod,
)
from catalog.models.base import RecordBase
from catalog.schemas import schema_for


def _properties(node: Any, where: str = "") -> list[tuple[str, dict[str, Any]]]:
    """Every property of every object in a JSON Schema, with where it is."""
    out: list[tuple[str, dict[str, Any]]] = []
    if isinstance(node, dict):
        for name, prop in node.get("properties", {}).items():
            out.append((f"{where}.{name}", prop))
        for key, value in node.items():
            out += _properties(value, f"{where}/{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            out += _properties(value, f"{where}[{i}]")
    return out


@pytest.mark.parametrize("kind", list(KINDS))
def test_every_field_has_a_description_in_the_schema(kind: str) -> None:
    undocumented = [w for w, prop in _properties(schema_for(kind)) if not prop.get("description")]
    assert undocumented == []


def _models(model: type[BaseModel], seen: set[type[BaseModel]]) -> set[type[BaseModel]]:
    seen.add(model)
    for info in model.model_fields.values():
        stack = [info.annotation]
        while stack:
            ann = stack.pop()
            if isinstance(ann, type) and issubclass(ann, BaseModel) and ann not in seen:
                _models(ann, seen)
            stack += list(getattr(ann, "__args__", ()))
    return seen


def test_every_field_of_every_nested_model_has_a_docstring() -> None:
    models = set().union(*(_models(m, set()) for m in KINDS.values()))
    missing = [
        f"{m.__name__}.{n}" for m in models for n, f in m.model_fields.items() if not f.description
    ]
    assert len(models) > 15
    assert missing == []


@pytest.mark.parametrize(
    ("enum", "members"),
    [
        (QC, {"NOT_SET": 0, "PASS": 10, "WARNING": 30, "FAIL": 40, "CRITICAL": 50}),
        (Importance, {"CRITICAL": 50, "MAJOR": 40, "MINOR": 30, "INSIGNIFICANT": 20}),
        (
            ExperimentStatus,
            {s: s for s in ("pending", "scheduled", "running", "done", "failed", "cancelling")},
        ),
        (BlockStatus, {s: s for s in ("pending", "processing", "done", "failed", "cancelled")}),
        (TrainingState, {s: s for s in ("initial", "ongoing", "completed", "error", "swag_round")}),
        (AggregationMethod, {s: s for s in ("FedAvg", "FedDC", "FedProx")}),
        (UncertaintyMethod, {s: s for s in ("NONE", "ENSEMBLE", "MC_DROPOUT", "SWAG")}),
    ],
)
def test_enums_are_exactly_those_of_the_design(enum: type[Enum], members: dict[str, Any]) -> None:
    assert {m.name: m.value for m in enum} == members


def _dataset(**fields: Any) -> dict[str, Any]:
    return {
        "kind": "dataset",
        "uuid": "11111111-1111-4111-8111-111111111111",
        "name": "spikes.times.npy",
        "dataset_type": "spikes.times",
        "data_format": "npy",
        **fields,
    }


def _error(model: type[RecordBase], data: dict[str, Any]) -> tuple[tuple[Any, ...], str]:
    with pytest.raises(ValidationError) as info:
        model.model_validate(data)
    err = info.value.errors()[0]
    return tuple(err["loc"]), err["msg"]


@pytest.mark.parametrize(
    ("fields", "loc", "msg"),
    [
        ({"default_dataset": "yes"}, ("default_dataset",), "Input should be a valid boolean"),
        ({"file_size": "12"}, ("file_size",), "Input should be a valid integer"),
        ({"file_size": -1}, ("file_size",), "Input should be greater than or equal to 0"),
        ({"tags": "raw"}, ("tags",), "Input should be a valid list"),
        ({"qc": 20}, ("qc",), "Value error, unknown QC level 20 (use 0, 10, 30, 40 or 50)"),
        ({"hash": "ab" * 16}, (), "Value error, hash has 32 hex digits; sha256 has 64"),
        (
            {"uuid": "11111111-1111-4111-8111-11111111111X"},
            ("uuid",),
            "String should match pattern",
        ),
        ({"name": "a/b.npy"}, ("name",), "String should match pattern"),
        (
            {"file_records": [{"repository": "r"}]},
            ("file_records", 0, "relative_path"),
            "Field required",
        ),
        (
            {"hash_algorithm": "crc32"},
            ("hash_algorithm",),
            "Input should be 'md5', 'sha1', 'sha256' or 'blake2b'",
        ),
        ({"colour": "red"}, ("colour",), "Extra inputs are not permitted"),
    ],
)
def test_dataset_values_must_have_the_schema_type(
    fields: dict[str, Any], loc: tuple[Any, ...], msg: str
) -> None:
    got_loc, got_msg = _error(Dataset, _dataset(**fields))
    assert got_loc == loc
    assert got_msg.startswith(msg)


def test_qc_takes_alyx_numbers_and_names_and_hash_follows_its_algorithm() -> None:
    assert Dataset.model_validate(_dataset(qc=30)).qc == "WARNING"
    assert Dataset.model_validate(_dataset(qc="FAIL")).qc == "FAIL"
    d = Dataset.model_validate(_dataset(hash="ab" * 16, hash_algorithm="md5", revision="r1"))
    assert d.hash_algorithm == "md5"
    assert Dataset.model_validate(
        _dataset(session="S/2024-01-05/001", collection="alf", revision="r1")
    ).key() == ("S/2024-01-05/001/alf/#r1#/spikes.times.npy")


@pytest.mark.parametrize(
    ("kind", "data", "msg"),
    [
        (
            "notice",
            {"name": "n", "importance": "MAJOR"},
            "a notice needs 'datasets' (UUIDs) or a 'selector', or both",
        ),
        (
            "experiment",
            {"name": "x", "blocks": [{"name": "b"}]},
            "a block needs exactly one of 'command' or 'algorithm'",
        ),
        (
            "experiment",
            {
                "name": "x",
                "blocks": [
                    {"name": "b", "command": ["t"], "inputs": [{"name": "i", "block": "a"}]}
                ],
            },
            "an input from a block needs 'output'",
        ),
        (
            "experiment",
            {"name": "x", "blocks": [{"name": "b", "algorithm": "a", "inputs": [{"name": "i"}]}]},
            "an input needs exactly one of 'dataset' or 'block'",
        ),
        (
            "repository",
            {"name": "r", "type": "local", "url": "d", "timezone": "Mars/Olympus"},
            "unknown time zone 'Mars/Olympus'",
        ),
        (
            "repository",
            {"name": "r", "type": "http", "url": "d", "data_url": "ftp://x"},
            "data_url must start with http:// or https://",
        ),
        (
            "worker",
            {
                "name": "w",
                "public_keys": [
                    {"key": "ed25519:" + base64.b64encode((2).to_bytes(32, "little")).decode()}
                ],
            },
            "not a valid Ed25519 public key",
        ),
    ],
)
def test_record_rules(kind: str, data: dict[str, Any], msg: str) -> None:
    _, got = _error(KINDS[kind], {"kind": kind, **data})
    assert msg in got


def test_a_worker_holds_at_most_two_keys() -> None:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    keys = [
        {
            "key": "ed25519:"
            + base64.b64encode(
                Ed25519PrivateKey.generate()
                .public_key()
                .public_bytes(Encoding.Raw, PublicFormat.Raw)
            ).decode()
        }
        for _ in range(3)
    ]
    KINDS["worker"].model_validate({"kind": "worker", "name": "w", "public_keys": keys[:2]})
    loc, msg = _error(KINDS["worker"], {"kind": "worker", "name": "w", "public_keys": keys})
    assert (loc, msg) == (
        ("public_keys",),
        "List should have at most 2 items after validation, not 3",
    )


@pytest.mark.parametrize("kind", list(KINDS))
def test_each_kind_lives_in_its_folder(kind: str) -> None:
    model = KINDS[kind]
    assert model.KIND == kind
    assert model.FOLDER == {"repository": "repositories", "dataset-type": "dataset-types"}.get(
        kind, kind + "s"
    )
