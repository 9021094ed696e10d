"""Record names with any characters become safe, unique, stable file names."""

from __future__ import annotations

import os
import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from catalog.publish.safenames import WINDOWS_DEVICES, safe_name

names = st.text(st.characters(exclude_categories=("Cs",)), min_size=1, max_size=40)
SEEN: dict[str, str] = {}
"""Every file name made in this process (casefolded, NFC) and the name it came from."""


@settings(max_examples=100, deadline=None)
@given(st.lists(names, min_size=20, max_size=30, unique=True))
def test_any_names_map_to_distinct_safe_files(
    tmp_path_factory: pytest.TempPathFactory, batch: list[str]
) -> None:
    # 100 examples of at least 20 names: over 2,000 names, each checked against all others.
    folder = os.path.realpath(tmp_path_factory.getbasetemp() / "out" / "tags")
    for name in batch:
        stem = safe_name(name)
        file = stem + ".html"
        assert os.path.dirname(os.path.realpath(os.path.join(folder, file))) == folder, name
        assert len(file.encode("utf-8")) <= 255
        assert not stem.startswith(".")
        assert not stem.endswith(".")
        assert stem.split(".")[0].lower() not in WINDOWS_DEVICES
        folded = unicodedata.normalize("NFC", file).casefold()
        assert SEEN.setdefault(folded, name) == name, f"{name!r} and {SEEN[folded]!r} clash"


@pytest.mark.parametrize("char", ["a", "é", "数", "😀", "."])
def test_very_long_names_stay_under_255_bytes(char: str) -> None:
    assert len((safe_name(char * 200) + ".json").encode("utf-8")) <= 255


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("spikes.times", "spikes.times"),
        ("2024-paper", "2024-paper"),
        ("Raw", "raw--"),
        ("..", "name--"),
        ("../../etc/passwd", "etc-passwd--"),
        ("con", "con--"),
        ("CON.txt", "con-txt--"),
        ("index", "index--"),
        ("a--b", "a-b--"),
        ("Café au lait", "cafe-au-lait--"),
        ("数据", "name--"),
    ],
)
def test_plain_names_stay_and_others_get_a_slug_and_hash(name: str, expected: str) -> None:
    got = safe_name(name)
    assert got == expected if not expected.endswith("--") else got.startswith(expected)
    assert safe_name(name) == got  # stable


def test_names_differing_only_in_case_get_different_files() -> None:
    assert safe_name("raw").casefold() != safe_name("RAW").casefold() != safe_name("Raw").casefold()
