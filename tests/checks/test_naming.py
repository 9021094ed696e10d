"""Dataset names fit exactly one type; ALF naming on request; relative paths stay inside."""

from __future__ import annotations

from typing import Any

import pytest

from catalog.checks.naming import check_naming, path_problem
from tests.checks.build import BASE, dataset, records, type_


@pytest.mark.parametrize(
    ("path", "why"),
    [
        ("../etc/passwd", "contains '.' or '..'; paths must stay inside the repository"),
        ("a/../../b", "contains '.' or '..'; paths must stay inside the repository"),
        ("a/./b", "contains '.' or '..'; paths must stay inside the repository"),
        ("/abs/path", "is absolute; paths are relative to the repository root"),
        ("C:/data/x.npy", "is absolute; paths are relative to the repository root"),
        ("a\\b.npy", "contains a backslash; use '/' between folders"),
        ("a//b", "contains an empty folder name ('//' or a trailing '/')"),
        ("a/b/", "contains an empty folder name ('//' or a trailing '/')"),
        ("a/\x01b", "contains a control character"),
        ("a/%2e%2e/b", "contains a percent-encoded '.' or '/'; write paths plainly"),
    ],
)
def test_unsafe_relative_paths(path: str, why: str) -> None:
    assert path_problem(path) == why
    [p] = check_naming(
        records(*BASE, dataset(file_records=[{"repository": "r", "relative_path": path}])),
        alf_naming=False,
    )
    assert (p.field, p.code, p.message) == (
        "file_records[0].relative_path",
        "unsafe-path",
        f"relative_path '{path}' {why}",
    )


@pytest.mark.parametrize("path", ["a.npy", "SW001/2024-01-05/001/alf/#2024-01-01#/x.npy", "a..b/c"])
def test_safe_relative_paths(path: str) -> None:
    assert path_problem(path) is None


@pytest.mark.parametrize(
    ("types", "name", "code"),
    [
        ((), "anything.npy", None),  # no types at all: nothing to match against
        ((type_("spikes.times", "*spikes.times*.npy"),), "spikes.times.npy", None),
        ((type_("spikes.times", "*spikes.times*.npy"),), "SPIKES.TIMES.NPY", None),
        ((type_("spikes.times", "*spikes.times*.npy"),), "spikes.amps.npy", "no-type"),
        (
            (type_("spikes.times", "*spikes.times*.npy"), type_("all", "*.npy")),
            "spikes.times.npy",
            "ambiguous-type",
        ),
        (
            (type_("spikes.times", "*spikes.times*.npy"), type_("spikes.amps", "")),
            "spikes.amps.npy",
            "wrong-type",
        ),
        ((type_("spikes.times", ""),), "_ibl_spikes.times.probe00.npy", None),
    ],
)
def test_a_dataset_name_fits_exactly_its_type(
    types: tuple[dict[str, Any], ...], name: str, code: str | None
) -> None:
    found = check_naming(records(*BASE[:2], *types, dataset(name)), alf_naming=False)
    assert [p.code for p in found] == ([code] if code else [])


def test_messages_of_type_matching() -> None:
    types = (type_("spikes.times", "*spikes.times*.npy"), type_("spikes.amps", "*spikes.amps*.npy"))
    [p] = check_naming(records(*BASE[:2], *types, dataset("spikes.amps.npy")), alf_naming=False)
    assert (p.field, p.hint) == ("dataset_type", "Set 'dataset_type: spikes.amps'.")
    assert p.message == (
        "dataset_type 'spikes.times' does not fit name 'spikes.amps.npy', which matches type "
        "'spikes.amps'"
    )
    assert p.severity == "error"


def test_a_name_without_its_format_extension_is_a_warning() -> None:
    types = (type_("spikes.times", "*spikes.times*"),)
    [p] = check_naming(records(*BASE[:2], *types, dataset("spikes.times.npz")), alf_naming=False)
    assert (p.field, p.code, p.severity) == ("data_format", "format-extension", "warning")
    assert p.message == (
        "name 'spikes.times.npz' does not end with '.npy', the extension of format 'npy'"
    )
    assert (
        check_naming(records(*BASE[:2], *types, dataset("SPIKES.TIMES.NPY")), alf_naming=False)
        == []
    )


ANY = ({"kind": "format", "name": "any"}, type_("any", "*"))


def _any(**fields: Any) -> dict[str, Any]:
    return dataset(dataset_type="any", data_format="any", **fields)


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"name": "spikes times.npy"}, "name", "'spikes times.npy' is not an ALF file name"),
        ({"collection": "alf//probe00"}, "collection", "'alf//probe00' is not an ALF collection"),
        ({"session": "SW001/2024-1-5/1"}, "session", "'SW001/2024-1-5/1' is not an ALF session"),
        ({"revision": "v#1"}, "revision", "'v#1' is not an ALF revision"),
    ],
)
def test_alf_naming_when_the_catalog_asks_for_it(
    fields: dict[str, Any], field: str, message: str
) -> None:
    bad = records(*ANY, _any(**fields))
    assert check_naming(bad, alf_naming=False) == []
    [p] = check_naming(bad, alf_naming=True)
    assert (p.field, p.code, p.message) == (field, "alf", message)


@pytest.mark.parametrize(
    "fields",
    [
        {"name": "_ibl_trials.probabilityLeft.npy"},
        {"name": "_spikeglx_ephysData_g0_t0.imec0.ap.cbin", "collection": "raw_ephys_data/probe00"},
        {"session": "cortexlab/Subjects/KS023/2019-12-10/001"},
        {"revision": "2024-01-01.v2"},
    ],
)
def test_good_alf_names_pass(fields: dict[str, Any]) -> None:
    assert check_naming(records(*ANY, _any(**fields)), alf_naming=True) == []
