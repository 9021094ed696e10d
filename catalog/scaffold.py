"""Starting points: a new catalog (`catalog init`) and new record skeletons (`catalog new`)."""

from __future__ import annotations

import datetime as dt
import getpass
import subprocess
import uuid
from pathlib import Path
from typing import Any

from catalog import __version__, alf
from catalog.atomic import atomic_write
from catalog.config import CONFIG_FILE, load_config
from catalog.errors import CatalogError
from catalog.models import KINDS, DataFormat, DatasetType
from catalog.naming_files import record_path
from catalog.records import Entry, Records
from catalog.schemas import generate
from catalog.store import RECORDS_DIR, create_record, load_records

CONFIG_TEMPLATE = """\
# Settings of this catalog. Every key is optional; see the documentation of CatalogConfig.
name: {name}
description: ""
# 'alf' checks dataset names, collections and sessions against the ALF conventions.
naming: free
schemas_dir: schemas
site:
  title: {name}
  base_url: /
"""

GITIGNORE = """\
# catalog state (caches, reports, service journal) and the built site
.catalog/
_site/
__pycache__/
"""

VALIDATE_WORKFLOW = """\
# Validates every pull request; problems show up as annotations on the changed lines.
name: validate
on:
  pull_request:
  push:
    branches: [main]
permissions:
  contents: read
env:
  # Where the catalog tool is installed from: a package index name or a git URL, e.g.
  # "catalog @ git+https://github.com/<owner>/catalog@v{version}".
  CATALOG_PACKAGE: "catalog=={version}"
jobs:
  validate:
    runs-on: ubuntu-latest
    timeout-minutes: 15
    steps:
      - uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683  # v4.2.2
        with:
          fetch-depth: 0
      - uses: actions/setup-python@a26af69be951a213d495a4c3e4e4022e16d87065  # v5.6.0
        with:
          python-version: "3.12"
      - run: pip install "$CATALOG_PACKAGE"
      - run: catalog validate --format github
"""


def init_catalog(target: Path, *, name: str | None = None) -> list[Path]:
    """Create an empty catalog in ``target`` (a git repository ready to push); return files."""
    target.mkdir(parents=True, exist_ok=True)
    if (target / CONFIG_FILE).exists():
        raise CatalogError(f"{target / CONFIG_FILE} exists already; not overwriting a catalog")
    name = name or target.resolve().name
    written: list[Path] = []

    def put(rel: str, text: str) -> None:
        path = target / rel
        atomic_write(path, text.encode("utf-8"))
        written.append(path)

    put(CONFIG_FILE, CONFIG_TEMPLATE.format(name=name))
    put(".gitignore", GITIGNORE)
    put(".github/workflows/validate.yml", VALIDATE_WORKFLOW.replace("{version}", __version__))
    for model in KINDS.values():
        put(f"{RECORDS_DIR}/{model.FOLDER}/.gitkeep", "")
    written += generate(target / "schemas")
    if not (target / ".git").exists():
        _git(target, "init", "--quiet", "--initial-branch=main")
    # Record files are replaced atomically; ask git to fsync what it writes as well.
    _git(target, "config", "core.fsync", "all")
    return written


def _git(cwd: Path, *args: str) -> None:
    try:
        subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True)
    except (OSError, subprocess.CalledProcessError) as exc:
        detail = getattr(exc, "stderr", "") or str(exc)
        raise CatalogError(f"git {' '.join(args)} failed in {cwd}: {detail.strip()}") from None


def _dataset_fields(name: str, records: Records) -> dict[str, Any]:
    """Where a new dataset sits and what it is, from NAME and the catalog's types and formats.

    NAME may be a whole ALF path (``SW001/2024-01-05/001/alf/spikes.times.npy``): session,
    collection and revision are taken from it. The dataset type is the one whose pattern
    matches the file name, the format the one whose extension ends it.
    """
    parsed = alf.parse_path(name)
    fields: dict[str, Any] = {"name": name, "session": "", "collection": ""}
    if parsed is not None:
        fields = {"name": parsed.name, "session": parsed.session, "collection": parsed.collection}
        if parsed.revision:
            fields["revision"] = parsed.revision
    filename = fields["name"]
    types = records.models(DatasetType)
    found = alf.TypeMatcher((t.name, t.filename_pattern) for t in types).match(filename)
    names = sorted(t.name for t in types)
    fields["dataset_type"] = found[0] if len(found) == 1 else (names[0] if names else "unknown")
    formats = sorted(records.models(DataFormat), key=lambda f: -len(f.file_extension))
    by_ext = [
        f.name
        for f in formats
        if f.file_extension and filename.lower().endswith(f.file_extension.lower())
    ]
    fields["data_format"] = by_ext[0] if by_ext else (formats[0].name if formats else "unknown")
    return fields


def skeleton(kind: str, name: str, records: Records) -> dict[str, Any]:
    """A valid minimal record of ``kind`` called ``name``, to be filled in."""
    today = dt.date.today().isoformat()
    user = getpass.getuser()
    base: dict[str, Any] = {"kind": kind}
    if kind == "dataset":
        fields = _dataset_fields(name, records)
        return base | {
            "uuid": str(uuid.uuid4()),
            "name": fields.pop("name"),
            "session": fields.pop("session"),
            "collection": fields.pop("collection"),
            "description": "",
            **fields,
            "created_by": user,
            "created_datetime": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "file_records": [],
        }
    if kind == "training":
        base["uuid"] = str(uuid.uuid4())
    base["name"] = name
    extra: dict[str, dict[str, Any]] = {
        "repository": {"type": "local", "url": f"data/{name}", "description": ""},
        "format": {"description": "", "file_extension": ""},
        "dataset-type": {"description": "", "filename_pattern": f"*{name}.*"},
        "tag": {"description": "", "protected": False, "public": False},
        "revision": {"description": "", "created": today},
        "notice": {
            "title": "",
            "description": "",
            "importance": "MINOR",
            "datasets": [],
            "selector": {"dataset_types": []},
            "created_by": user,
            "created": today,
        },
        "experiment": {
            "author": user,
            "description": "",
            "blocks": [{"name": "main", "command": ["echo", "hello"], "outputs": []}],
        },
        "training": {
            "model": "model",
            "actor": user,
            "participants": [],
            "num_updates": 1,
            "target_num_updates": 1,
        },
        "worker": {"enabled": True, "queues": ["default"], "slots": 1, "public_keys": []},
    }
    return base | extra[kind]


def new_record(root: Path, kind: str, name: str) -> Entry:
    """Write a skeleton record of ``kind`` called ``name``; never overwrites a file."""
    if kind not in KINDS:
        raise CatalogError(f"unknown kind '{kind}'. Known kinds: {', '.join(KINDS)}.")
    config = load_config(root)
    records = load_records(config.root, cache_dir=config.state_path / "cache")[0]
    data = skeleton(kind, name, records)
    rel = record_path(kind, data)
    if (config.root / rel).exists():
        raise CatalogError(f"{rel} exists already; not overwriting it")
    return create_record(config.root, rel, data, config.schemas_dir)
