"""The block execution contract seen from inside a command: inputs, parameters, results."""

from __future__ import annotations

import json
import os
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

INPUTS_DIR = "inputs"
PARAMS_FILE = "params.json"
RESULTS_FILE = "results.json"


class ContractError(Exception):
    """An input or parameter the command needs is missing or malformed."""


def env_name(input_name: str) -> str:
    """The variable holding an input's path: spike_times → CATALOG_INPUT_SPIKE_TIMES."""
    return "CATALOG_INPUT_" + re.sub(r"[^A-Za-z0-9]", "_", input_name).upper()


def input_path(name: str) -> Path:
    """Path of input ``name``: from its environment variable, else ``inputs/<name>``."""
    path = Path(os.environ.get(env_name(name), Path(INPUTS_DIR) / name))
    if not path.is_file():
        raise ContractError(f"input '{name}' not found at {path}")
    return path


def params() -> dict[str, Any]:
    """The block's parameters: ``params.json`` when present, else ``CATALOG_PARAMS``, else {}."""
    file = Path(PARAMS_FILE)
    raw = file.read_text(encoding="utf-8") if file.is_file() else os.environ.get("CATALOG_PARAMS")
    if not raw:
        return {}
    try:
        value = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise ContractError(f"parameters are not valid JSON: {exc}") from None
    if not isinstance(value, dict):
        raise ContractError("parameters must be a JSON object")
    return value


def write_json(path: str | Path, value: Any) -> None:
    """Write ``value`` as indented JSON (stable key order, so outputs hash the same)."""
    text = json.dumps(value, indent=2, sort_keys=True) + "\n"
    Path(path).write_text(text, encoding="utf-8")


def write_results(results: dict[str, Any]) -> None:
    """Write the block's named result values to ``results.json``."""
    write_json(RESULTS_FILE, results)


def log(message: str) -> None:
    """One line on standard output, which the runner keeps as the block's stdout excerpt."""
    sys.stdout.write(message + "\n")


def run(main: Callable[[], None]) -> None:
    """Run a block's ``main()``; a contract error becomes a one-line message and exit 2."""
    try:
        main()
    except ContractError as exc:
        sys.stderr.write(f"error: {exc}\n")
        raise SystemExit(2) from None
