"""Cache keys change with everything that decides a block's outputs, and nothing else."""

from __future__ import annotations

from typing import Any

import pytest

from catalog.models import Block
from catalog.runner.cachekey import cache_key

BASE: dict[str, Any] = {
    "name": "filter",
    "command": ["python", "-m", "lab.filter"],
    "algorithm_version": "1.0",
    "environment": "env-2024",
    "parameters": {"cutoff": 300, "order": 4},
    "outputs": [{"name": "out", "path": "out.npy"}],
}
INPUTS = {"raw": "sha256:" + "a" * 64}


def _key(inputs: dict[str, str] = INPUTS, **change: Any) -> str:
    return cache_key(Block.model_validate({**BASE, **change}), inputs)


@pytest.mark.parametrize(
    "change",
    [
        {"command": ["python", "-m", "lab.filter2"]},
        {"algorithm_version": "1.1"},
        {"environment": "env-2025"},
        {"parameters": {"cutoff": 301, "order": 4}},
        {"parameters": {"cutoff": 300.0, "order": 4}},
        {"outputs": [{"name": "out", "path": "filtered.npy"}]},
    ],
)
def test_the_key_changes_with_code_environment_parameters_and_outputs(
    change: dict[str, Any],
) -> None:
    assert _key(**change) != _key()


def test_the_key_changes_with_the_inputs_checksums() -> None:
    assert _key({"raw": "sha256:" + "b" * 64}) != _key()
    assert _key({"other": INPUTS["raw"]}) != _key()


def test_names_and_run_settings_are_not_part_of_the_key() -> None:
    same = {"name": "another", "queue": "gpu", "slots": 4, "timeout_s": 9, "status": "done"}
    assert _key(**same) == _key()
    assert _key(parameters={"order": 4, "cutoff": 300}) == _key()  # key order is irrelevant
    assert len(_key()) == 64
