"""Import Alyx fixtures (Django ``dumpdata`` JSON) as catalog records.

Understood models: data.datarepository, data.dataformat, data.datasettype, data.tag,
data.revision, data.dataset with data.filerecord, data.datanotice. Anything else, and rows
that cannot become a valid record, are skipped with the reason.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from catalog.config import load_config
from catalog.errors import CatalogError, RecordError
from catalog.models import QC
from catalog.naming_files import record_path
from catalog.store import create_record

IMPORTANCE = {50: "CRITICAL", 40: "MAJOR", 30: "MINOR", 20: "INSIGNIFICANT"}


@dataclass
class ImportReport:
    """What an import wrote and what it skipped (with reasons)."""

    written: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)


def _rows(path: Path) -> list[dict[str, Any]]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CatalogError(f"{path}: not a readable JSON fixture: {exc}") from None
    if not isinstance(data, list) or not all(
        isinstance(r, dict) and "model" in r and "fields" in r for r in data
    ):
        raise CatalogError(
            f"{path}: not a Django fixture (expected a list of {{model, pk, fields}} objects)"
        )
    return data


def _text(v: Any) -> str:
    return v if isinstance(v, str) else ""


def _convert(model: str, pk: Any, f: dict[str, Any], ctx: dict[str, Any]) -> dict[str, Any]:
    """One fixture row as record data; raises ValueError with the reason to skip it."""
    if model == "data.dataformat":
        return {
            "kind": "format",
            "name": f["name"],
            "description": _text(f.get("description")),
            "file_extension": _text(f.get("file_extension")),
            "python_loader_function": _text(f.get("python_loader_function")),
            "matlab_loader_function": _text(f.get("matlab_loader_function")),
        }
    if model == "data.datasettype":
        return {
            "kind": "dataset-type",
            "name": f["name"],
            "description": _text(f.get("description")),
            "filename_pattern": _text(f.get("filename_pattern")),
        }
    if model == "data.datarepository":
        url = _text(f.get("data_url")) or _text(f.get("globus_path"))
        if not url:
            raise ValueError("has neither data_url nor globus_path to reach its files")
        rec: dict[str, Any] = {
            "kind": "repository",
            "name": f["name"],
            "type": "http" if url.startswith("http") else "local",
            "url": url,
            "personal": bool(f.get("globus_is_personal")),
        }
        if _text(f.get("data_url")).startswith("http"):
            rec["data_url"] = f["data_url"]
        for src, dst in (("hostname", "hostname"), ("timezone", "timezone")):
            if _text(f.get(src)):
                rec[dst] = f[src]
        return rec
    if model == "data.tag":
        return {
            "kind": "tag",
            "name": f["name"],
            "description": _text(f.get("description")),
            "protected": bool(f.get("protected")),
            "public": bool(f.get("public")),
        }
    if model == "data.revision":
        rec = {"kind": "revision", "name": f["name"], "description": _text(f.get("description"))}
        if _text(f.get("created_datetime")):
            rec["created"] = f["created_datetime"][:10]
        return rec
    if model == "data.dataset":
        types = ctx["names"]["data.datasettype"]
        formats = ctx["names"]["data.dataformat"]
        rec = {
            "kind": "dataset",
            "uuid": str(pk),
            "name": f["name"],
            "collection": _text(f.get("collection")),
            "dataset_type": types.get(f.get("dataset_type"), f.get("dataset_type")),
            "data_format": formats.get(f.get("data_format"), f.get("data_format")),
            "file_records": ctx["file_records"].get(str(pk), []),
            "default_dataset": bool(f.get("default_dataset", True)),
        }
        if f.get("revision"):
            rec["revision"] = ctx["names"]["data.revision"].get(f["revision"], f["revision"])
        if f.get("tags"):
            rec["tags"] = [ctx["names"]["data.tag"].get(t, t) for t in f["tags"]]
        if f.get("file_size") is not None:
            rec["file_size"] = f["file_size"]
        if _text(f.get("hash")):
            rec["hash"] = f["hash"]
            rec["hash_algorithm"] = "md5"
        if isinstance(f.get("qc"), int):
            rec["qc"] = QC(f["qc"]).name
        if _text(f.get("version")):
            rec["version"] = f["version"]
        return rec
    if model == "data.datanotice":
        rec = {
            "kind": "notice",
            "name": _text(f.get("name")) or str(pk),
            "title": _text(f.get("title")),
            "description": _text(f.get("description")),
            "importance": IMPORTANCE.get(f.get("importance", 30), "MINOR"),
            "datasets": [str(d) for d in f.get("datasets", [])],
        }
        return rec
    raise ValueError(f"model '{model}' is not imported")


SKIP_REASONS = {
    "data.datarepositorytype": "repository types are not records here: a repository's "
    "'type' is its storage protocol (local, s3, http, sftp, gcs)",
}


def import_alyx(files: list[Path], root: Path) -> ImportReport:
    """Write records for the rows of ``files``; existing record files are never overwritten."""
    config = load_config(root)
    rows: list[tuple[Path, dict[str, Any]]] = [(p, r) for p in files for r in _rows(p)]
    ctx: dict[str, Any] = {"names": defaultdict(dict), "file_records": defaultdict(list)}
    repos: dict[Any, str] = {}
    for _, r in rows:
        name = r["fields"].get("name")
        if name is not None:
            ctx["names"][r["model"]][r["pk"]] = name
        if r["model"] == "data.datarepository":
            repos[r["pk"]] = r["fields"].get("name")
    for _, r in rows:
        if r["model"] == "data.filerecord":
            f = r["fields"]
            ctx["file_records"][str(f.get("dataset"))].append(
                {
                    "repository": repos.get(f.get("data_repository"), f.get("data_repository")),
                    "relative_path": f.get("relative_path"),
                    "exists": bool(f.get("exists")),
                }
            )
    report = ImportReport()
    for path, r in rows:
        model, pk, f = r["model"], r.get("pk"), r["fields"]
        what = f"{path.name}: {model} {f.get('name') or pk}"
        if model == "data.filerecord":
            continue  # folded into its dataset
        if model in SKIP_REASONS:
            report.skipped.append((what, SKIP_REASONS[model]))
            continue
        try:
            data = _convert(model, pk, f, ctx)
        except (ValueError, KeyError) as exc:
            report.skipped.append((what, str(exc)))
            continue
        if model in ("data.dataformat", "data.datasettype") and f.get("json"):
            report.skipped.append((what, "its 'json' field has no counterpart and was left out"))
        rel = record_path(data["kind"], data)
        if (config.root / rel).exists():
            report.skipped.append((what, f"{rel} exists already"))
            continue
        try:
            create_record(config.root, rel, data, config.schemas_dir)
        except RecordError as exc:
            report.skipped.append((what, f"not a valid record: {exc.field}: {exc.message}"))
            continue
        except FileExistsError:
            report.skipped.append((what, f"{rel} exists already (two rows share a file name)"))
            continue
        report.written.append(rel)
    return report
