"""Writing a build safely: stage next to the output, then swap; remember what was written.

A full build writes the whole site into a staging folder beside the output and swaps the
two folders at the end. An incremental build stages only the files that change and moves
them into place once every one of them has been rendered. Either way a build that fails
while rendering leaves the published site exactly as it was.

The manifest (page → digest of its inputs) lives in the state folder, in marshal format
(JSON took most of a second each way at 100,000 datasets); the dataset pages and JSON files
are not named there but kept per dataset in its ``extra`` (see datasetfiles). A
marker file in the output names the build that wrote it; a mismatch, e.g. after someone
deleted the output, makes the next build a full one.
"""

from __future__ import annotations

import json
import marshal
import os
import shutil
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from catalog.atomic import atomic_write
from catalog.errors import ConfigError

MARKER = ".catalog-site"
"""File in the output folder that names the build that wrote it."""
MANIFEST_VERSION = 3


@dataclass(slots=True)
class Manifest:
    """What the last build wrote: digest per file, the build id, the site-wide inputs."""

    build: str = ""
    inputs: str = ""
    files: dict[str, str] = field(default_factory=dict)
    extra: dict[str, object] = field(default_factory=dict)


def manifest_path(state_path: Path, out: Path) -> Path:
    """Where the manifest of the site built into ``out`` is kept."""
    import hashlib

    tag = hashlib.sha256(str(out.resolve()).encode()).hexdigest()[:16]
    return state_path / "site" / f"manifest-{tag}.marshal"


def read_manifest(state_path: Path, out: Path) -> Manifest | None:
    """The manifest of the build now in ``out``, or None when it cannot be trusted."""
    try:
        marker = json.loads((out / MARKER).read_text("utf-8"))
        # Our own file, in the catalog's gitignored state folder.
        data = marshal.loads(manifest_path(state_path, out).read_bytes())  # noqa: S302
    except (OSError, ValueError, EOFError, TypeError):
        return None
    if (
        not isinstance(data, dict)
        or not isinstance(marker, dict)
        or data.get("version") != MANIFEST_VERSION
        or data.get("build") != marker.get("build")
        or not isinstance(data.get("files"), dict)
    ):
        return None
    return Manifest(
        str(data["build"]), str(data.get("inputs", "")), dict(data["files"]), data.get("extra", {})
    )


def write_manifest(state_path: Path, out: Path, m: Manifest) -> None:
    """Save the manifest (atomically); the marker in the output must name the same build."""
    data = {
        "version": MANIFEST_VERSION,
        "build": m.build,
        "inputs": m.inputs,
        "files": m.files,
        "extra": m.extra,
    }
    atomic_write(manifest_path(state_path, out), marshal.dumps(data))


def check_output(out: Path, root: Path) -> None:
    """Refuse outputs that would overwrite the catalog or someone else's folder."""
    o, r = out.resolve(), root.resolve()
    if o == r or o in r.parents:
        raise ConfigError(f"refusing to build into {out}: it contains the catalog itself")
    if o.is_relative_to(r / "records") or o.is_relative_to(r / ".git"):
        raise ConfigError(f"refusing to build into {out}: it is inside the catalog's records")
    if o.exists() and not o.is_dir():
        raise ConfigError(f"refusing to build into {out}: it is a file")
    if o.is_dir() and any(o.iterdir()) and not (o / MARKER).is_file():
        raise ConfigError(
            f"refusing to build into {out}: the folder has files that no catalog build wrote. "
            "Choose an empty or new folder, or remove it first."
        )


class Staging:
    """A staging folder beside the output; files are written there, then published."""

    def __init__(self, out: Path) -> None:
        self.out = out
        self.build = uuid.uuid4().hex
        self.path = out.parent / f".{out.name}.staging-{self.build[:12]}"
        self.path.mkdir(parents=True)
        self.staged: set[str] = set()
        """Files staged by this process (workers' files are tracked by their jobs)."""
        self._dirs: set[Path] = set()

    def write(self, rel: str, data: bytes) -> None:
        """Stage one file (no fsync: the site is derived data that a rebuild restores)."""
        target = self.path / rel
        parent = target.parent
        if parent not in self._dirs:
            parent.mkdir(parents=True, exist_ok=True)
            self._dirs.add(parent)
        target.write_bytes(data)

    def _marker(self) -> bytes:
        return json.dumps({"generator": "catalog", "build": self.build}).encode("utf-8")

    def swap_in(self) -> None:
        """Full build: replace the output folder by the staging folder."""
        (self.path / MARKER).write_bytes(self._marker())
        old = self.out.parent / f".{self.out.name}.old-{self.build[:12]}"
        if self.out.exists():
            os.replace(self.out, old)
        os.replace(self.path, self.out)
        shutil.rmtree(old, ignore_errors=True)

    def move_in(self, staged: list[str], removed: list[str]) -> None:
        """Incremental build: move the staged files over the output's, delete removed ones."""
        made: set[Path] = set()
        for rel in staged:
            target = self.out / rel
            if target.parent not in made:
                target.parent.mkdir(parents=True, exist_ok=True)
                made.add(target.parent)
            os.replace(self.path / rel, target)
        for rel in removed:
            (self.out / rel).unlink(missing_ok=True)
        atomic_write(self.out / MARKER, self._marker())
        shutil.rmtree(self.path, ignore_errors=True)

    def discard(self) -> None:
        """Throw the staged files away (the build failed)."""
        shutil.rmtree(self.path, ignore_errors=True)
