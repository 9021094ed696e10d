"""yamlio: plain YAML 1.2 in, hostile YAML refused with line and column, edits round-trip."""

from __future__ import annotations

import math
import sys
import tracemalloc
from typing import Any

import pytest

from catalog.errors import YAMLSyntaxError
from catalog.yamlio import MAX_DEPTH, dump_new, load_bytes, roundtrip_edit
from tests.hostile_yaml import BILLION_LAUGHS, HOSTILE


@pytest.mark.parametrize(("name", "case"), HOSTILE.items(), ids=list(HOSTILE))
def test_hostile_file_is_refused_at_its_place(name: str, case: tuple[bytes, int, int, str]) -> None:
    raw, line, col, message = case
    with pytest.raises(YAMLSyntaxError) as info:
        load_bytes(raw, f"records/tags/{name}.yaml")
    err = info.value
    assert (err.path, err.line, err.col) == (f"records/tags/{name}.yaml", line, col)
    assert message in err.message
    assert str(err).startswith(f"records/tags/{name}.yaml:{line}:{col}: ")


def test_alias_bomb_is_refused_before_anything_is_built() -> None:
    tracemalloc.start()
    try:
        with pytest.raises(YAMLSyntaxError, match="anchor '&a'"):
            load_bytes(BILLION_LAUGHS, "bomb.yaml")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # Expanded, the bomb is 387 million strings; refused at its first anchor it costs a
    # parser and a few events.
    assert peak < 200_000


@pytest.mark.parametrize(
    "raw",
    [
        b"kind: tag\nname: " + b"[" * 10_000 + b"]" * 10_000 + b"\n",
        b"kind: tag\nname:\n" + b"- " * 10_000 + b"x\n",
    ],
    ids=["flow", "block"],
)
def test_deep_nesting_is_refused_without_recursion_error(raw: bytes) -> None:
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(200)  # a recursive builder would fail long before depth 10,000
    try:
        with pytest.raises(YAMLSyntaxError, match=f"nesting deeper than {MAX_DEPTH} levels"):
            load_bytes(raw, "deep.yaml")
    finally:
        sys.setrecursionlimit(limit)


def test_nesting_up_to_the_limit_is_accepted() -> None:
    depth = MAX_DEPTH - 1  # the root mapping is the first level
    doc = load_bytes(b"a: " + b"[" * depth + b"]" * depth + b"\n", "ok.yaml").data
    for _ in range(depth - 1):
        doc = doc["a"] if isinstance(doc, dict) else doc[0]
    with pytest.raises(YAMLSyntaxError):
        load_bytes(b"a: " + b"[" * (depth + 1) + b"]" * (depth + 1) + b"\n", "deep.yaml")


@pytest.mark.parametrize(
    ("written", "value"),
    [
        ("no", "no"),
        ("on", "on"),
        ("off", "off"),
        ("y", "y"),
        ("yes", "yes"),
        ("n", "n"),
        ("2024-01-05", "2024-01-05"),
        ("2024-01-05T10:00:00Z", "2024-01-05T10:00:00Z"),
        ("012", 12),
        ("0o17", 15),
        ("0x1F", 31),
        ("1e3", 1000.0),
        ("12:30:00", "12:30:00"),
        ("1_000", "1_000"),
        ("0b101", "0b101"),
        ("+12", 12),
        (".5", 0.5),
        ("true", True),
        ("False", False),
        ("TRUE", True),
        ("tRUE", "tRUE"),
        ("~", None),
        ("null", None),
        ("", None),
        ("'012'", "012"),
        ('"true"', "true"),
        (".inf", math.inf),
        ("-.Inf", -math.inf),
    ],
)
def test_plain_scalars_follow_the_yaml_1_2_core_schema(written: str, value: Any) -> None:
    got = load_bytes(f"v: {written}\n".encode(), "x.yaml").data["v"]
    assert got == value
    assert type(got) is type(value)


def test_nan_and_keys() -> None:
    data = load_bytes(b"v: .nan\n1: one\ntrue: yes\n", "x.yaml").data
    assert math.isnan(data["v"])
    assert data["1"] == "one"
    assert data["true"] == "yes"  # keys are always strings


def test_positions_of_keys_and_items() -> None:
    raw = b"# header\nkind: dataset\nfile_records:\n  - repository: a\n    relative_path: x\n"
    doc = load_bytes(raw, "x.yaml")
    assert doc.where(("kind",)) == (2, 1)
    assert doc.where(("file_records", 0)) == (4, 5)
    assert doc.where(("file_records", 0, "relative_path")) == (5, 5)
    assert doc.where(("file_records", 3, "exists")) == (3, 1)  # nearest existing parent
    assert load_bytes(raw, "x.yaml", positions=False).positions == {(): (2, 1)}


@pytest.mark.parametrize(
    "raw",
    [b"\xef\xbb\xbfkind: tag\nname: raw\n", b"kind: tag\r\nname: raw\r\n"],
    ids=["bom", "crlf"],
)
def test_utf8_bom_and_crlf_are_fine(raw: bytes) -> None:
    assert load_bytes(raw, "x.yaml").data == {"kind": "tag", "name": "raw"}


def test_roundtrip_edit_keeps_comments_order_and_quotes() -> None:
    text = (
        "# yaml-language-server: $schema=../../schemas/tag.schema.json\n"
        "kind: tag  # the kind\n"
        "name: 'raw'\n"
        "# why it is protected\n"
        "protected: false\n"
        "tags:\n"
        "- a   # first\n"
        "- b\n"
    )

    def edit(tree: Any) -> None:
        tree["protected"] = True
        tree["tags"].append("c")

    out = roundtrip_edit(text, edit)
    assert out == text.replace("protected: false", "protected: true") + "- c\n"


FLOATS_AS_WRITTEN = [
    "12345678901234567890.5",  # more digits than a double holds
    "3.141592653589793238",
    "123456789.123456789",
    "1_000.5",
    "1e400",  # beyond a double: infinity
    "6.02214076E23",
    "1.0e+20",
    "2.50",
    "-0.0",
    ".5",
    "1e-7",
    "+5",  # integers written unusually too
    "-0",
    "0x1F",
    "1_000",
    "007",
]


def test_an_edit_leaves_the_text_of_untouched_numbers_as_written() -> None:
    lines = "".join(f"  f{n}: {v}\n" for n, v in enumerate(FLOATS_AS_WRITTEN))
    text = f"kind: dataset\nqc: PASS\nmetadata:\n{lines}  anchored: &w 2.50\n  again: *w\n"

    def edit(tree: Any) -> None:
        tree["qc"] = "FAIL"
        tree["metadata"]["f7"] = 0.25  # an edited float is written from its new value

    out = roundtrip_edit(text, edit)
    assert out == text.replace("qc: PASS", "qc: FAIL").replace("f7: 2.50", "f7: 0.25")


def test_dump_new_uses_the_house_style_and_quotes_what_yaml_1_1_misreads() -> None:
    data = {"kind": "tag", "name": "no", "items": [{"a": 1, "at": "12:30"}], "when": "2024-01-05"}
    out = dump_new(data, "# h\n")
    assert out == (
        "# h\nkind: tag\nname: 'no'\nitems:\n  - a: 1\n    at: '12:30'\nwhen: '2024-01-05'\n"
    )
    assert load_bytes(out.encode(), "x.yaml").data == data
