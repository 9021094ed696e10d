"""Starting points: a new catalog (`catalog init`) and new record skeletons (`catalog new`)."""

from __future__ import annotations

import datetime as dt
import getpass
import subprocess
import uuid
from pathlib import Path
from typing import Any

from catalog.atomic import atomic_write
from catalog.config import CONFIG_FILE, load_config
from catalog.errors import CatalogError
from catalog.models import KINDS
from catalog.naming_files import record_path
from catalog.records import Entry
from catalog.schemas import generate
from catalog.store import RECORDS_DIR, create_record

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
name: validate
on:
  pull_request:
  push:
    branches: [main]
permissions:
  contents: read
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
      - run: pip install "${CATALOG_PACKAGE:-catalog}"
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
    put(".github/workflows/validate.yml", VALIDATE_WORKFLOW)
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


def skeleton(kind: str, name: str, root: Path) -> dict[str, Any]:
    """A valid minimal record of ``kind`` called ``name``, to be filled in."""
    today = dt.date.today().isoformat()
    user = getpass.getuser()
    existing = {
        m.FOLDER: sorted((root / RECORDS_DIR / m.FOLDER).rglob("*.yaml")) for m in KINDS.values()
    }

    def first(folder: str, fallback: str) -> str:
        files = existing.get(folder) or []
        return files[0].stem if files else fallback

    base: dict[str, Any] = {"kind": kind}
    if kind == "dataset":
        base |= {
            "uuid": str(uuid.uuid4()),
            "name": name,
            "session": "",
            "collection": "",
            "description": "",
            "dataset_type": first("dataset-types", "unknown"),
            "data_format": first("formats", "unknown"),
            "created_by": user,
            "created_datetime": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "file_records": [],
        }
        return base
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
    data = skeleton(kind, name, config.root)
    rel = record_path(kind, data)
    if (config.root / rel).exists():
        raise CatalogError(f"{rel} exists already; not overwriting it")
    return create_record(config.root, rel, data, config.schemas_dir)
