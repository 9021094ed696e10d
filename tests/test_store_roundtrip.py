"""Round trip: generated edits of real-looking records keep everything they do not touch.

For each edit, written with store.edit_bytes: reloading gives the model of the edited data,
every line outside the edited field is byte-identical, and every comment survives.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from catalog.models import KINDS
from catalog.store import check_bytes, edit_bytes
from catalog.treecache import TreeCache
from catalog.yamlio import load_bytes

DATASET = """\
# yaml-language-server: $schema=../../../schemas/dataset.schema.json
kind: dataset
uuid: 0d3c1e5a-8f7e-4a49-9d1c-2f6b0a9e7c11  # never changes
name: spikes.times.npy
session: SW023/2024-01-05/001
collection: alf/probe00
description: |
  Spike times in seconds.
  Sorted by Kilosort 2.5.
dataset_type: spikes.times
data_format: npy
tags: [raw, "2024_paper"]   # flow list
qc: PASS
file_size: 1048576
version: '1.4.2'
# where the file lives
file_records:
  - repository: local-main
    relative_path: SW023/2024-01-05/001/alf/probe00/spikes.times.npy
    exists: true
  - repository: s3-archive  # the archive copy
    relative_path: lab/SW023/spikes.times.npy
metadata:
  channels: 384
  probe:
    serial: 'P0-123'
    sites: [1, 2, 3]
  # calibration run
  gain: 0.195
created_by: alice
"""

EXPERIMENT = """\
kind: experiment
name: drift-check
author: bob
description: Detects probe drift.
blocks:
- name: preprocess       # first block
  command: [python, -m, pipelines.preprocess]
  parameters:
    window_s: 2.5
    channels: [1, 2, 3]
  outputs:
  - name: filtered
    path: out/filtered.npy
- name: qc
  command:
  - python
  - -m
  - pipelines.qc
  inputs:
  - name: data
    block: preprocess
    output: filtered
  parameters: {threshold: 3}
  stdout: "done\\n"
results:
- name: drift_um
  type: float32
  value: 12.5
  block: qc
"""

TRAINING = """\
kind: training
uuid: 5b1c7d9e-2f3a-4b6c-8d0e-1f2a3b4c5d6e
name: fl-mnist
model: cnn-small
actor: carol
participants:
    - worker-a
    - worker-b
num_updates: 10
target_num_updates: 20
options:
    daisy_chain_period: 2
    learning_rate: 0.01   # tuned
description: >
    Federated MNIST,
    two sites.
"""

RECORDS = {
    "records/datasets/SW023/spikes.times.npy.yaml": DATASET,
    "records/experiments/drift-check.yaml": EXPERIMENT,
    "records/trainings/fl-mnist.yaml": TRAINING,
}

# Text as people type it and worse: quotes, colons, '#', YAML words, newlines, controls.
text = st.text(st.characters(exclude_categories=("Cs",)), max_size=24)
tricky = st.sampled_from(
    [
        "no",
        "on",
        "y",
        "~",
        "null",
        "012",
        "0o17",
        "1e3",
        "12:30:00",
        "2024-01-05",
        "- x",
        "a: b",
        "#c",
        "'q'",
        '"dq"',
        "",
        " lead",
        "trail ",
        "multi\nline\n",
        "tab\there",
        "&anchor",
        "*alias",
        "!tag",
        "?0",
        ":x",
        "? q",
        "\x85",
    ]
)
texts = text | tricky
scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | texts
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(texts, inner, max_size=3),
    max_leaves=6,
)
names = st.from_regex(r"[A-Za-z0-9_][A-Za-z0-9_.\-]{0,15}", fullmatch=True)
Path_ = tuple[Any, ...]

# (record, path of the field, how the edit is made, strategy of the new value)
EDITS: list[tuple[str, Path_, str, st.SearchStrategy[Any]]] = [
    ("dataset", ("description",), "set", texts),
    ("dataset", ("file_size",), "set", st.integers(min_value=0)),
    ("dataset", ("qc",), "set", st.sampled_from(["NOT_SET", "PASS", "WARNING", "FAIL"])),
    ("dataset", ("version",), "set", texts),
    ("dataset", ("created_by",), "set", texts),
    ("dataset", ("tags", 1), "set", names),
    ("dataset", ("tags",), "append", names),
    ("dataset", ("file_records", 0, "exists"), "set", st.booleans()),
    ("dataset", ("file_records", 1, "relative_path"), "set", text.filter(bool)),
    ("dataset", ("metadata", "channels"), "set", values),
    ("dataset", ("metadata", "probe", "serial"), "set", values),
    ("dataset", ("metadata", "probe", "sites", 0), "set", values),
    ("dataset", ("metadata", "probe", "sites"), "append", values),
    ("dataset", ("metadata", "gain"), "set", values),
    ("dataset", ("metadata", "added"), "set", values),
    ("experiment", ("description",), "set", texts),
    ("experiment", ("blocks", 0, "parameters", "window_s"), "set", values),
    ("experiment", ("blocks", 0, "parameters", "channels", 2), "set", values),
    ("experiment", ("blocks", 1, "command", 1), "set", text.filter(bool)),
    ("experiment", ("blocks", 1, "command"), "append", text),
    ("experiment", ("blocks", 1, "parameters", "threshold"), "set", values),
    ("experiment", ("blocks", 1, "stdout"), "set", texts),
    ("experiment", ("results", 0, "value"), "set", values),
    ("training", ("options", "learning_rate"), "set", st.floats(allow_nan=False)),
    ("training", ("participants", 1), "set", names),
    ("training", ("participants",), "append", names),
    ("training", ("description",), "set", texts),
]
FILES = {kind: rel for rel in RECORDS for kind in KINDS if f"/{KINDS[kind].FOLDER}/" in rel}


def _apply(data: Any, path: Path_, how: str, value: Any) -> None:
    node = data
    for part in path[:-1] if how == "set" else path:
        node = node[part]
    if how == "set":
        node[path[-1]] = value
    else:
        node.append(value)


def _span(raw: bytes, rel: str, path: Path_) -> tuple[int, int]:
    """First and last line (1-based) of the field at ``path`` (or of its parent, for a new
    key) in the original text."""
    positions = load_bytes(raw, rel).positions
    if path not in positions:
        path = path[:-1]
    start = positions[path][0]
    later = [
        line
        for p, (line, _) in positions.items()
        if line > start and p[: len(path)] != path and len(p) > 0
    ]
    return start, (min(later) - 1 if later else raw.count(b"\n"))


COMMENTS = [
    "# yaml-language-server: $schema=../../../schemas/dataset.schema.json\n",
    "# never changes\n",
    "# flow list\n",
    "\n# where the file lives\n",
    "# the archive copy\n",
    "\n  # calibration run\n",
    "# first block\n",
    "# tuned\n",
]
"""Comments of the records (ruamel.yaml may move an end-of-line comment to keep its column)."""


@st.composite
def edits(draw: st.DrawFn) -> tuple[str, Path_, str, Any]:
    kind, path, how, strategy = draw(st.sampled_from(EDITS))
    return kind, path, how, draw(strategy)


@pytest.mark.slow
# derandomize: the same 1,000 edits on every run, so CI is repeatable; explore further by
# changing max_examples or by dropping derandomize locally.
@settings(
    max_examples=1000,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(edits())
def test_an_edit_changes_only_its_field(edit: tuple[str, Path_, str, Any]) -> None:
    kind, path, how, value = edit
    rel = FILES[kind]
    raw = RECORDS[rel].encode()
    before = load_bytes(raw, rel).data
    expected = copy.deepcopy(before)
    _apply(expected, path, how, value)

    new = edit_bytes(raw, lambda tree: _apply(tree, path, how, copy.deepcopy(value)))

    result = check_bytes(rel, new)
    assert result.problems == []
    assert result.entry is not None
    assert result.entry.data == expected
    assert result.entry.model == KINDS[kind].model_validate(expected)
    old_lines, new_lines = raw.decode().splitlines(True), new.decode().splitlines(True)
    start, end = _span(raw, rel, path)
    head = old_lines[: start - 1]
    tail = old_lines[end:]
    assert new_lines[: len(head)] == head
    assert new_lines[len(new_lines) - len(tail) :] == tail
    for comment in COMMENTS:
        assert (comment in RECORDS[rel]) <= (comment in new.decode()), comment


def test_the_base_records_are_valid() -> None:
    for rel, text in RECORDS.items():
        assert check_bytes(rel, text.encode()).problems == [], rel


def _edit(path: Path_, how: str, value: Any) -> Any:
    return lambda tree: _apply(tree, path, how, copy.deepcopy(value))


@st.composite
def edit_runs(draw: st.DrawFn) -> tuple[str, list[tuple[Path_, str, Any]]]:
    kind = draw(st.sampled_from(sorted(FILES)))
    mine = [(path, how, strategy) for k, path, how, strategy in EDITS if k == kind]
    steps = draw(st.lists(st.sampled_from(mine), min_size=2, max_size=4))
    return kind, [(path, how, draw(strategy)) for path, how, strategy in steps]


# derandomize: the same runs on every run (see above).
@settings(
    max_examples=200,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(edit_runs())
def test_edits_through_a_kept_tree_change_only_their_field(
    run: tuple[str, list[tuple[Path_, str, Any]]],
) -> None:
    """Edits one after the other through the committer's kept trees: each reads back as the
    edited data and leaves every other line, and every comment, as it was."""
    kind, steps = run
    rel = FILES[kind]
    raw = RECORDS[rel].encode()
    expected = load_bytes(raw, rel).data
    trees = TreeCache()
    for path, how, value in steps:
        _apply(expected, path, how, copy.deepcopy(value))
        before = raw
        raw = trees.edit(rel, raw, _edit(path, how, value))
        assert load_bytes(raw, rel).data == expected
        old_lines, new_lines = before.decode().splitlines(True), raw.decode().splitlines(True)
        start, end = _span(before, rel, path)
        head, tail = old_lines[: start - 1], old_lines[end:]
        assert new_lines[: len(head)] == head
        assert new_lines[len(new_lines) - len(tail) :] == tail
    for comment in COMMENTS:
        assert (comment in RECORDS[rel]) <= (comment in raw.decode()), comment
    assert trees.hits == len(steps) - 1
