"""ALF names and dataset-type matching, against the real Alyx dataset types."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from catalog.alf import AlfPath, TypeMatcher, is_alf_filename, object_attribute, parse_path

CORPUS = Path("/work/shared/corpora/alyx-dataset-types.json")
TYPES = [
    (r["fields"]["name"], r["fields"]["filename_pattern"] or "")
    for r in json.loads(CORPUS.read_text())
]


def test_the_real_filename_patterns_are_unique_case_insensitively() -> None:
    patterns = [p.lower() for _, p in TYPES if p]
    assert len(patterns) > 70
    assert len(set(patterns)) == len(patterns)


@pytest.mark.parametrize(
    ("filename", "type_name"),
    [
        ("spikes.times.npy", "spikes.times"),
        ("spikes.clusters.npy", "spikes.clusters"),
        ("_ibl_trials.probabilityLeft.npy", "trials.probabilityLeft"),
        ("_spikeglx_sync.channels.npy", "_spikeglx_sync.channels"),
        ("_spikeglx_sync.times.probe00.npy", "_spikeglx_sync.times"),
        ("clusters.metrics.pqt", "clusters.metrics"),
        ("clusters.waveformsChannels.npy", "clusters.waveformsChannels"),
        ("clusters.waveforms.npy", "clusters.waveforms"),
        ("channels.brainLocationIds_ccf_2017.npy", "channels.brainLocationIds_ccf_2017"),
        ("_ibl_leftCamera.times.npy", "camera.times"),
        ("_ibl_leftCamera.dlc.pqt", "camera.dlc"),
        ("_spikeglx_ephysData_g0_t0.imec0.ap.cbin", "ephysData.raw.ap"),
        ("_spikeglx_ephysData_g0_t0.imec0.lf.cbin", "ephysData.raw.lf"),
        ("_phy_spikes_subset.waveforms.npy", "_phy_spikes_subset.waveforms"),
        ("_kilosort_whitening.matrix.npy", "kilosort.whitening_matrix"),
        ("templates.waveforms.npy", "templates.waveforms"),
        ("mpci.times.npy", "mpci.times"),  # a type without pattern: by object.attribute
        ("_ibl_mpciROIs.masks.sparse_npz", "mpciROIs.masks"),
        ("probes.description.json", "probes.description"),
        ("SPIKES.TIMES.NPY", "spikes.times"),  # patterns ignore case
    ],
)
def test_real_alf_file_names_map_to_exactly_one_real_type(filename: str, type_name: str) -> None:
    assert TypeMatcher(TYPES).match(filename) == [type_name]


def test_names_no_type_covers_match_none() -> None:
    assert TypeMatcher(TYPES).match("_iblrig_leftCamera.raw.mp4") == []  # no video type here


@pytest.mark.parametrize(
    ("name", "alf", "key"),
    [
        ("spikes.times.npy", True, "spikes.times"),
        ("_ibl_trials.goCue_times.npy", True, "trials.goCue_times"),
        ("_spikeglx_ephysData_g0_t0.imec0.ap.cbin", True, "ephysData_g0_t0.imec0"),
        ("spikes.times.probe00.extra.npy", True, "spikes.times"),
        ("spikes.npy", False, None),
        ("spikes times.npy", False, None),
        ("_IBL_trials.choice.npy", False, None),  # namespaces are lower case
        (".times.npy", False, None),
    ],
)
def test_alf_file_names(name: str, alf: bool, key: str | None) -> None:
    assert is_alf_filename(name) is alf
    assert object_attribute(name) == key


@pytest.mark.parametrize(
    ("path", "parsed"),
    [
        (
            "SW023/2024-01-05/001/alf/probe00/spikes.times.npy",
            AlfPath("SW023/2024-01-05/001", "alf/probe00", None, "spikes.times.npy"),
        ),
        (
            "cortexlab/Subjects/KS023/2019-12-10/001/alf/#2024-05-01#/spikes.times.npy",
            AlfPath(
                "cortexlab/Subjects/KS023/2019-12-10/001", "alf", "2024-05-01", "spikes.times.npy"
            ),
        ),
        (
            "SW023/2024-01-05/001/spikes.times.npy",
            AlfPath("SW023/2024-01-05/001", "", None, "spikes.times.npy"),
        ),
        ("spikes.times.npy", None),
        ("SW023/24-01-05/001/spikes.times.npy", None),
    ],
)
def test_parse_path(path: str, parsed: AlfPath | None) -> None:
    assert parse_path(path) == parsed
