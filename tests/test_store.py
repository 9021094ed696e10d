"""store: finding, loading, creating and editing record files."""

from __future__ import annotations

import base64
import os
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
)

from catalog.errors import SchemaError
from catalog.problems import Problem
from catalog.store import (
    check_bytes,
    create_record,
    edit_record,
    folder_of,
    kind_of,
    load_records,
    locate,
    scan_record_files,
    schema_header,
)
from tests.conftest import MakeCatalog, write_files

TAG = "records/tags/raw.yaml"


@pytest.mark.parametrize(
    ("rel", "kind"),
    [
        ("records/tags/raw.yaml", "tag"),
        ("records/datasets/SW001/2024-01-05/001/x.yaml", "dataset"),
        ("records/dataset-types/a.yaml", "dataset-type"),
        ("records/raw.yaml", None),
        ("records/unknown/raw.yaml", None),
        ("elsewhere/tags/raw.yaml", None),
    ],
)
def test_kind_of_a_path_is_its_folder(rel: str, kind: str | None) -> None:
    assert kind_of(rel) == kind
    if kind:
        assert rel.startswith(folder_of(kind) + "/")


def test_scan_finds_yaml_and_yml_but_not_hidden_or_other_files(make_catalog: MakeCatalog) -> None:
    root = make_catalog(
        {
            "records/tags/b.yml": "kind: tag\nname: b\n",
            "records/tags/.hidden.yaml": "kind: tag\nname: h\n",
            "records/.git/x.yaml": "kind: tag\nname: g\n",
            "records/tags/notes.txt": "not a record",
            "records/tags/.gitkeep": "",
        }
    )
    paths, stats = scan_record_files(root)
    assert "records/tags/b.yml" in paths
    assert not any(".hidden" in p or ".git" in p or p.endswith(".txt") for p in paths)
    assert paths == sorted(paths)
    assert stats[paths.index(TAG)][0] == (root / TAG).stat().st_size


def test_a_dangling_link_is_reported_not_skipped(make_catalog: MakeCatalog) -> None:
    root = make_catalog()
    os.symlink(root / "records/tags/gone.yaml", root / "records/tags/link.yaml")
    _, problems = load_records(root)
    assert [(p.path, p.code, p.message) for p in problems] == [
        ("records/tags/link.yaml", "io", "cannot read file: No such file or directory")
    ]


def test_load_records_reuses_the_cache_and_sees_edits(make_catalog: MakeCatalog) -> None:
    root = make_catalog()
    cache = root / ".catalog/cache"
    first, _ = load_records(root, cache_dir=cache)
    assert any(cache.rglob("*.marshal"))
    write_files(root, {TAG: "kind: tag\nname: raw\ndescription: edited\n"})
    again, problems = load_records(root, cache_dir=cache)
    assert problems == []
    assert again.get("tag", "raw") is not None
    assert again.get("tag", "raw").model.description == "edited"  # type: ignore[union-attr]
    assert [e.path for e in again] == [e.path for e in first]


def _worker(key: str) -> bytes:
    return f"kind: worker\nname: w1\npublic_keys:\n  - key: '{key}'\n".encode()


def test_a_private_key_in_a_worker_record_is_named_as_such() -> None:
    private = Ed25519PrivateKey.generate()
    raw = private.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    public = private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    leaked = "ed25519:" + base64.b64encode(raw + public).decode()
    [p] = check_bytes("records/workers/w1.yaml", _worker(leaked)).problems
    assert (p.line, p.field) == (4, "public_keys[0].key")
    assert p.message == "this looks like a private key; private keys must never enter the catalog"
    good = "ed25519:" + base64.b64encode(public).decode()
    assert check_bytes("records/workers/w1.yaml", _worker(good)).problems == []


def test_locate_places_problems_by_field(make_catalog: MakeCatalog) -> None:
    root = make_catalog()
    rel = "records/datasets/s1/spikes.times.npy.yaml"
    found = locate(
        root,
        [
            Problem(rel, 0, 0, "m", where=("file_records", 0, "relative_path")),
            Problem(rel, 0, 0, "m", where=("metadata", "absent")),
            Problem(rel, 3, 4, "already placed"),
        ],
    )
    assert [(p.line, p.col) for p in found] == [(11, 5), (1, 1), (3, 4)]


def test_schema_header_points_at_the_kind_schema(tmp_path: Path) -> None:
    rel = "records/datasets/SW001/2024-01-05/001/x.yaml"
    assert schema_header(tmp_path, rel, "dataset", "schemas") == (
        "# yaml-language-server: $schema=../../../../../schemas/dataset.schema.json\n"
    )


def test_create_record_writes_schema_line_and_refuses_to_overwrite(
    make_catalog: MakeCatalog,
) -> None:
    root = make_catalog()
    data = {"kind": "tag", "name": "new", "protected": True}
    entry = create_record(root, "records/tags/new.yaml", data, "schemas")
    assert entry.model.name == "new"  # type: ignore[attr-defined]
    assert (root / "records/tags/new.yaml").read_text() == (
        "# yaml-language-server: $schema=../../schemas/tag.schema.json\n"
        "kind: tag\nname: new\nprotected: true\n"
    )
    with pytest.raises(FileExistsError):
        create_record(root, "records/tags/new.yaml", {**data, "protected": False}, "schemas")
    assert "protected: true" in (root / "records/tags/new.yaml").read_text()


def test_create_record_refuses_an_invalid_record_and_writes_nothing(
    make_catalog: MakeCatalog,
) -> None:
    root = make_catalog()
    with pytest.raises(SchemaError, match="records/tags/bad.yaml:4:1: tag 'bad': colour: unknown"):
        create_record(
            root, "records/tags/bad.yaml", {"kind": "tag", "name": "bad", "colour": 1}, "s"
        )
    assert not (root / "records/tags/bad.yaml").exists()
    assert sorted(p.name for p in (root / "records/tags").iterdir()) == ["raw.yaml"]


def test_edit_record_keeps_comments_and_validates(make_catalog: MakeCatalog) -> None:
    text = "# our raw data tag\nkind: tag\nname: raw  # do not rename\nprotected: false\n"
    root = make_catalog({TAG: text})

    def protect(tree: Any) -> None:
        tree["protected"] = True

    edit_record(root, TAG, protect)
    assert (root / TAG).read_text() == text.replace("protected: false", "protected: true")

    def break_it(tree: Any) -> None:
        tree["protected"] = "maybe"

    with pytest.raises(SchemaError, match="protected"):
        edit_record(root, TAG, break_it)
    assert (root / TAG).read_text() == text.replace("protected: false", "protected: true")
    assert sorted(p.name for p in (root / "records/tags").iterdir()) == ["raw.yaml"]


def test_an_edit_that_would_add_an_anchor_is_refused(make_catalog: MakeCatalog) -> None:
    root = make_catalog({TAG: "kind: tag\nname: &n raw\n"})
    with pytest.raises(SchemaError, match="anchor '&n' is not allowed"):
        edit_record(root, TAG, lambda tree: tree.__setitem__("protected", True))


def test_dates_and_yaml_1_1_words_reach_the_models_as_text() -> None:
    rev = check_bytes(
        "records/revisions/r.yaml", b"kind: revision\nname: r1\ncreated: 2024-01-05\n"
    )
    assert rev.entry is not None
    assert rev.entry.model.created == "2024-01-05"  # type: ignore[attr-defined]
    tag = check_bytes("records/tags/no.yaml", b"kind: tag\nname: no\ndescription: on\n")
    assert tag.entry is not None
    assert (tag.entry.model.name, tag.entry.model.description) == ("no", "on")  # type: ignore[attr-defined]
