"""`catalog validate` as a curator sees it: exact messages, formats, exit codes, quiet in CI."""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from catalog.cli import main
from tests.conftest import BASE_FILES, MakeCatalog
from tests.hostile_yaml import HOSTILE

DS = "records/datasets/s1/spikes.times.npy.yaml"
LABEL = "dataset 'SW001/2024-01-05/001/alf/spikes.times.npy'"
BASE_DS = textwrap.dedent(str(BASE_FILES[DS])).lstrip("\n")
COPY = "records/datasets/s2/copy.yaml"
V2 = BASE_DS.replace("name: spikes.times.npy", "name: spikes.times.v2.npy")


def validate(root: Path, *args: str) -> Result:
    return CliRunner().invoke(main, ["validate", "--root", str(root), *args])


BAD_INPUT = {
    "malformed YAML": (
        {DS: BASE_DS.replace("tags: [raw]", "tags: [raw")},
        f"{DS}:9:13: YAML syntax error: did not find expected ',' or ']'",
    ),
    "wrong type": (
        {DS: BASE_DS.replace("tags: [raw]", "tags: raw")},
        f"{DS}:8:1: {LABEL}: tags: Input should be a valid list; got 'raw'",
    ),
    "number as text": (
        {DS: BASE_DS + "file_size: '12'\n"},
        f"{DS}:12:1: {LABEL}: file_size: '12' is text, not a number Write the number without "
        "quotes.",
    ),
    "yes is not a boolean": (
        {"records/tags/raw.yaml": "kind: tag\nname: raw\nprotected: yes\n"},
        "records/tags/raw.yaml:3:1: tag 'raw': protected: 'yes' is text, not a boolean Write "
        "true or false (YAML 1.2 reads yes/no/on/off as text).",
    ),
    "unknown field": (
        {DS: BASE_DS.replace("collection: alf", "colection: alf")},
        f"{DS}:5:1: dataset 'SW001/2024-01-05/001/spikes.times.npy': colection: unknown field "
        "'colection' Did you mean 'collection'?",
    ),
    "unknown nested field": (
        {DS: BASE_DS.replace("    relative_path", "    relative_pth")},
        f"{DS}:11:5: {LABEL}: file_records[0].relative_pth: unknown field 'relative_pth' Did "
        "you mean 'relative_path'?",
    ),
    "missing required field": (
        {DS: BASE_DS.replace("data_format: npy\n", "")},
        f"{DS}:1:1: {LABEL}: data_format: required field is missing Add 'data_format: …'.",
    ),
    "value not in the enum": (
        {"records/notices/n.yaml": "kind: notice\nname: n\nimportance: MAJR\ndatasets: []\n"},
        "records/notices/n.yaml:3:1: notice 'n': importance: 'MAJR' is not allowed; expected "
        "'CRITICAL', 'MAJOR', 'MINOR' or 'INSIGNIFICANT' Did you mean 'MAJOR'?",
    ),
    "dangling reference": (
        {DS: BASE_DS.replace("repository: local-main", "repository: flatiron")},
        f"{DS}:10:5: {LABEL}: file_records[0].repository: unknown repository 'flatiron' Known: "
        "local-main. Add records/repositories/flatiron.yaml or fix the name.",
    ),
    "same uuid in two files": (
        {COPY: V2},
        f"{COPY}:2:1: dataset 'SW001/2024-01-05/001/alf/spikes.times.v2.npy': uuid: uuid "
        f"'11111111-1111-4111-8111-111111111111' is already used by {DS} A uuid identifies one "
        "record forever.",
    ),
    "same file in two datasets": (
        {COPY: V2.replace("1111-4111", "2222-4222")},
        f"{COPY}:11:5: dataset 'SW001/2024-01-05/001/alf/spikes.times.v2.npy': file_records[0]"
        ".relative_path: file 'SW001/2024-01-05/001/alf/spikes.times.npy' in repository "
        f"'local-main' is already used by {DS} One file belongs to one dataset.",
    ),
    "kind does not match folder": (
        {"records/tags/raw.yaml": "kind: format\nname: raw\n"},
        "records/tags/raw.yaml:1:1: 'raw.yaml': kind: kind 'format' does not match folder "
        "'tags/' (expects 'tag') Move the file to records/formats/ or set 'kind: tag'.",
    ),
    "unknown kind": (
        {"records/tags/raw.yaml": "kind: tga\nname: raw\n"},
        "records/tags/raw.yaml:1:1: 'raw.yaml': kind: unknown kind 'tga' Did you mean 'tag'?",
    ),
    "path with ..": (
        {DS: BASE_DS.replace("relative_path: SW001", "relative_path: ../SW001")},
        f"{DS}:11:5: {LABEL}: file_records[0].relative_path: relative_path '../SW001/2024-01-05/"
        "001/alf/spikes.times.npy' contains '.' or '..'; paths must stay inside the repository "
        "Write the path from the repository's root.",
    ),
    "absolute path": (
        {DS: BASE_DS.replace("relative_path: SW001", "relative_path: /SW001")},
        f"{DS}:11:5: {LABEL}: file_records[0].relative_path: relative_path '/SW001/2024-01-05/"
        "001/alf/spikes.times.npy' is absolute; paths are relative to the repository root Write "
        "the path from the repository's root.",
    ),
    "backslash in path": (
        {DS: BASE_DS.replace("/001/alf/spikes", "/001\\alf\\spikes")},
        f"{DS}:11:5: {LABEL}: file_records[0].relative_path: relative_path 'SW001/2024-01-05/"
        "001\\alf\\spikes.times.npy' contains a backslash; use '/' between folders Write the "
        "path from the repository's root.",
    ),
    "name matching no type": (
        {DS: BASE_DS.replace("name: spikes.times.npy", "name: spikes.tims.npy")},
        f"{DS}:3:1: dataset 'SW001/2024-01-05/001/alf/spikes.tims.npy': name: name "
        "'spikes.tims.npy' matches no dataset type's filename_pattern Rename the file, or add a "
        "dataset type whose pattern covers it (declared type: 'spikes.times').",
    ),
    "name matching two types": (
        {
            "records/dataset-types/spikes.all.yaml": (
                "kind: dataset-type\nname: spikes.all\nfilename_pattern: 'SPIKES.*'\n"
            )
        },
        f"{DS}:3:1: {LABEL}: name: name 'spikes.times.npy' matches several dataset types: "
        "spikes.all, spikes.times Make the types' filename_patterns narrower so one matches.",
    ),
    "file outside the kind folders": (
        {"records/misc/x.yaml": "kind: tag\nname: x\n"},
        "records/misc/x.yaml:1:1: file is not in a kind folder Move it under records/<folder>/;"
        " folders: repositories, formats, dataset-types, tags, revisions, datasets, notices, "
        "experiments, trainings, workers.",
    ),
}


@pytest.mark.parametrize(("files", "line"), BAD_INPUT.values(), ids=list(BAD_INPUT))
def test_bad_input_is_reported_at_its_place_and_exits_1(
    make_catalog: MakeCatalog, files: dict[str, str], line: str
) -> None:
    result = validate(make_catalog(files))
    assert result.exit_code == 1
    assert line in result.stdout.splitlines()


@pytest.mark.parametrize(("name", "case"), HOSTILE.items(), ids=list(HOSTILE))
def test_hostile_file_is_refused_with_file_line_and_column(
    make_catalog: MakeCatalog, name: str, case: tuple[bytes, int, int, str]
) -> None:
    raw, line, col, message = case
    result = validate(make_catalog({f"records/tags/{name}.yaml": raw}))
    assert result.exit_code == 1
    [shown] = [x for x in result.stdout.splitlines() if x.startswith(f"records/tags/{name}.yaml")]
    assert shown.startswith(f"records/tags/{name}.yaml:{line}:{col}: ")
    assert message in shown


def test_valid_catalog_exits_0_with_a_summary_per_kind(make_catalog: MakeCatalog) -> None:
    result = validate(make_catalog())
    assert (result.exit_code, result.stdout) == (0, "")
    assert result.stderr == (
        "6 valid records (1 repository, 1 format, 1 dataset-type, 1 tag, 1 revision, "
        "1 dataset); 0 error(s), 0 warning(s)\n"
    )


@pytest.mark.parametrize(
    "args", [["--format", "xml"], ["--strictly"], ["--root"]], ids=["format", "option", "value"]
)
def test_usage_errors_exit_2(make_catalog: MakeCatalog, args: list[str]) -> None:
    result = validate(make_catalog(), *args)
    assert result.exit_code == 2
    assert "Error:" in result.stderr


WARNING_FILES = {"records/formats/npy.yaml": "kind: format\nname: npy\nfile_extension: .npz\n"}


def test_warnings_pass_unless_strict(make_catalog: MakeCatalog) -> None:
    root = make_catalog(WARNING_FILES)
    relaxed = validate(root)
    assert relaxed.exit_code == 0
    assert relaxed.stdout == (
        f"{DS}:7:1: warning: {LABEL}: data_format: name 'spikes.times.npy' does not end with "
        "'.npz', the extension of format 'npy' Rename the file to end with '.npz' or fix "
        "data_format.\n"
    )
    assert "0 error(s), 1 warning(s)" in relaxed.stderr
    assert validate(root, "--strict").exit_code == 1


def test_github_format_prints_annotations(make_catalog: MakeCatalog) -> None:
    root = make_catalog({DS: BASE_DS.replace("repository: local-main", "repository: flat,iron")})
    result = validate(root, "--format", "github")
    assert result.exit_code == 1
    assert result.stdout == (
        f"::error file={DS},line=10,col=5,title={LABEL}%3A file_records[0].repository::"
        "unknown repository 'flat,iron' Known: local-main. Add records/repositories/flat-iron"
        ".yaml or fix the name.\n"
    )


def test_github_format_marks_warnings_as_warnings(make_catalog: MakeCatalog) -> None:
    result = validate(make_catalog(WARNING_FILES), "--format", "github")
    assert result.stdout.startswith(f"::warning file={DS},line=7,col=1,title=")


def test_json_format_prints_one_object_per_problem(make_catalog: MakeCatalog) -> None:
    root = make_catalog({DS: BASE_DS.replace("tags: [raw]", "tags: [raw, raww]")})
    result = validate(root, "--format", "json")
    assert result.exit_code == 1
    assert json.loads(result.stdout) == [
        {
            "file": DS,
            "line": 8,
            "column": 13,
            "record": LABEL,
            "field": "tags[1]",
            "code": "unknown-reference",
            "message": "unknown tag 'raww'",
            "hint": "Did you mean 'raw'? Known: raw. Add records/tags/raww.yaml or fix the name.",
            "severity": "error",
        }
    ]


def test_json_format_of_a_valid_catalog_is_an_empty_list(make_catalog: MakeCatalog) -> None:
    result = validate(make_catalog(), "--format", "json")
    assert (result.exit_code, json.loads(result.stdout)) == (0, [])


def test_a_folder_without_a_catalog_is_an_error(tmp_path: Path) -> None:
    result = validate(tmp_path)
    assert result.exit_code == 1
    assert result.stderr == (
        f"Error: {tmp_path} holds no catalog (neither catalog.yaml nor records/). Give the "
        "catalog's folder with --root, or start one with 'catalog init'.\n"
    )


def _run_on_a_terminal(root: Path, env: dict[str, str]) -> bytes:
    """Run `catalog validate` with stderr on a pseudo-terminal; return what it showed."""
    leader, follower = pty.openpty()
    proc = subprocess.run(
        [sys.executable, "-m", "catalog", "validate", "--root", str(root), "--no-cache"],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=follower,
        env=env,
        check=False,
        timeout=60,
    )
    os.close(follower)
    shown = b""
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:
            break
        if not chunk:
            break
        shown += chunk
    os.close(leader)
    assert proc.returncode == 0
    return shown


def test_progress_shows_on_a_terminal_and_is_silent_in_ci(make_catalog: MakeCatalog) -> None:
    root = make_catalog()
    env = {k: v for k, v in os.environ.items() if k not in ("CI", "NO_COLOR")}
    assert b"loading records" in _run_on_a_terminal(root, env)
    quiet = _run_on_a_terminal(root, {**env, "CI": "1"})
    assert b"loading records" not in quiet
    assert b"\x1b" not in quiet  # no escape sequences at all
    assert quiet.strip().endswith(b"0 error(s), 0 warning(s)")


def test_progress_is_silent_when_stderr_is_not_a_terminal(make_catalog: MakeCatalog) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "catalog", "validate", "--root", str(make_catalog())],
        capture_output=True,
        env={k: v for k, v in os.environ.items() if k not in ("CI", "NO_COLOR")},
        check=True,
    )
    assert proc.stdout == b""
    assert proc.stderr.decode().splitlines() == [
        "6 valid records (1 repository, 1 format, 1 dataset-type, 1 tag, 1 revision, "
        "1 dataset); 0 error(s), 0 warning(s)"
    ]
