"""``catalog worker keygen``: a worker's key pair, private half on disk, public half in git."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from catalog.config import load_config
from catalog.errors import CatalogError
from catalog.models import Worker
from catalog.signing import KeyFileError, default_key_path, keygen, public_key_text
from catalog.store import RECORDS_DIR, edit_record, load_records

MAX_KEYS = 2
"""Keys a worker record keeps: the new one and, during a rotation, the previous one."""


def _inside(path: Path, folder: Path) -> bool:
    try:
        path.resolve().relative_to(folder.resolve())
    except ValueError:
        return False
    return True


def keygen_worker(
    root: Path, name: str, *, key_path: Path | None = None, comment: str = ""
) -> tuple[Path, str]:
    """Create a key pair for worker ``name``; return the private key file and public key.

    The private key goes to ``key_path`` (default ``~/.config/catalog/keys/<name>.pem``,
    mode 0600, never overwritten, never under records/ or the site); the public key is
    added to the worker record, which keeps the newest two keys.
    """
    config = load_config(root)
    records, _ = load_records(config.root)
    entry = records.get("worker", name)
    if entry is None or not isinstance(entry.model, Worker):
        raise CatalogError(
            f"there is no worker record '{name}'; create it first: catalog new worker {name}"
        )
    path = key_path or default_key_path(name)
    for folder in (config.root / RECORDS_DIR, config.root / config.site.output):
        if _inside(path, folder):
            raise KeyFileError(path, f"a private key must not be written under {folder}")
    key = keygen(path)
    public = public_key_text(key)

    def add_key(tree: Any) -> None:
        keys = tree.setdefault("public_keys", [])
        item: dict[str, Any] = {"key": public, "added": date.today().isoformat()}
        if comment:
            item["comment"] = comment
        keys.append(item)
        while len(keys) > MAX_KEYS:
            del keys[0]  # the oldest key leaves when a third arrives

    try:
        edit_record(config.root, entry.path, add_key)
    except BaseException:
        path.unlink(missing_ok=True)  # no private key without its public half in the record
        raise
    return path, public
