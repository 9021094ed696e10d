"""Import Alyx fixtures (Django ``dumpdata`` JSON) as catalog records.

Understood models: data.datarepository, data.dataformat, data.datasettype, data.tag,
data.revision, data.dataset with its data.filerecord rows, data.datanotice; actions.session
and subjects.subject rows name the sessions of datasets. Anything else, and rows that cannot
become a valid record, are skipped with the reason. Existing record files are never
overwritten.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from catalog.config import load_config
from catalog.errors import CatalogError, RecordError
from catalog.models import QC
from catalog.naming_files import record_path
from catalog.store import create_record

IMPORTANCE = {50: "CRITICAL", 40: "MAJOR", 30: "MINOR", 20: "INSIGNIFICANT"}
HASHES = {32: "md5", 40: "sha1", 64: "sha256", 128: "blake2b"}
SKIP_REASONS = {
    "data.datarepositorytype": "repository types are not records here: a repository's "
    "'type' is its storage protocol (local, s3, http, sftp, gcs)",
}
USED_FOR_NAMES = {"actions.session", "subjects.subject", "data.filerecord"}
"""Rows that are folded into the records of others rather than imported themselves."""


@dataclass
class ImportReport:
    """What an import wrote, what it skipped (with reasons), and what it noticed."""

    written: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _rows(path: Path) -> list[dict[str, Any]]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CatalogError(f"{path}: not a readable JSON fixture: {exc}") from None
    if not isinstance(data, list) or not all(
        isinstance(r, dict) and "model" in r and isinstance(r.get("fields"), dict) for r in data
    ):
        raise CatalogError(
            f"{path}: not a Django fixture (expected a list of {{model, pk, fields}} objects)"
        )
    return data


def _text(v: Any) -> str:
    return v if isinstance(v, str) else ""


class _Context:
    """What rows say about each other: names by primary key, file records, sessions."""

    def __init__(self, rows: list[dict[str, Any]]) -> None:
        self.names: dict[str, dict[Any, str]] = defaultdict(dict)
        self.file_records: dict[str, list[dict[str, Any]]] = defaultdict(list)
        self.counts: Counter[str] = Counter()
        subjects: dict[Any, str] = {}
        for r in rows:
            f = r["fields"]
            if isinstance(f.get("name"), str):
                self.names[r["model"]][r.get("pk")] = f["name"]
            if r["model"] == "subjects.subject" and isinstance(f.get("nickname"), str):
                subjects[r.get("pk")] = f["nickname"]
        self.sessions: dict[str, str] = {}
        for r in rows:
            f = r["fields"]
            if r["model"] == "actions.session":
                subject = subjects.get(f.get("subject"))
                date = _text(f.get("start_time"))[:10]
                number = f.get("number")
                if subject and len(date) == 10 and isinstance(number, int):
                    self.sessions[str(r.get("pk"))] = f"{subject}/{date}/{number:03d}"
            elif r["model"] == "data.filerecord":
                repo = f.get("data_repository")
                self.file_records[str(f.get("dataset"))].append(
                    {
                        "repository": self.names["data.datarepository"].get(repo, repo),
                        "relative_path": f.get("relative_path"),
                        "exists": bool(f.get("exists")),
                    }
                )

    def name(self, model: str, pk: Any) -> Any:
        """The name of the row ``pk`` of ``model``, or ``pk`` itself when it is not there."""
        return self.names[model].get(pk, pk)


def _format(f: dict[str, Any]) -> dict[str, Any]:
    return {
        "kind": "format",
        "name": f["name"],
        "description": _text(f.get("description")),
        "file_extension": _text(f.get("file_extension")),
        "python_loader_function": _text(f.get("python_loader_function")),
        "matlab_loader_function": _text(f.get("matlab_loader_function")),
    }


def _repository(f: dict[str, Any]) -> dict[str, Any]:
    data_url = _text(f.get("data_url"))
    url = _text(f.get("url")) or data_url or _text(f.get("globus_path"))
    if not url:
        raise ValueError("has neither data_url nor globus_path to reach its files")
    rec: dict[str, Any] = {
        "kind": "repository",
        "name": f["name"],
        "type": "http" if url.startswith(("http://", "https://")) else "local",
        "url": url,
        "personal": bool(f.get("globus_is_personal")),
    }
    if data_url.startswith(("http://", "https://")):
        rec["data_url"] = data_url
    for key in ("hostname", "timezone"):
        if _text(f.get(key)):
            rec[key] = f[key]
    return rec


def _dataset(pk: Any, f: dict[str, Any], ctx: _Context) -> dict[str, Any]:
    session = f.get("session")
    rec: dict[str, Any] = {
        "kind": "dataset",
        "uuid": str(pk),
        "name": f["name"],
        "session": "",
        "collection": _text(f.get("collection")),
        "dataset_type": ctx.name("data.datasettype", f.get("dataset_type")),
        "data_format": ctx.name("data.dataformat", f.get("data_format")),
        "file_records": ctx.file_records.get(str(pk), []),
        "default_dataset": bool(f.get("default_dataset", True)),
    }
    if session:
        rec["session"] = ctx.sessions.get(str(session), str(session))
        if str(session) not in ctx.sessions:
            ctx.counts["session kept as its Alyx id (no actions.session row)"] += 1
    if f.get("revision"):
        rec["revision"] = ctx.name("data.revision", f["revision"])
    if f.get("tags"):
        rec["tags"] = [ctx.name("data.tag", t) for t in f["tags"]]
    if isinstance(f.get("file_size"), int):
        rec["file_size"] = f["file_size"]
    digest = (_text(f.get("hash")) or _text(f.get("md5"))).replace("-", "").lower()
    if digest:
        if len(digest) in HASHES:
            rec["hash"], rec["hash_algorithm"] = digest, HASHES[len(digest)]
        else:
            ctx.counts["hash of unknown length left out"] += 1
    if isinstance(f.get("qc"), int):
        rec["qc"] = QC(f["qc"]).name if f["qc"] in QC._value2member_map_ else f["qc"]
    for src, dst in (("version", "version"), ("generating_software", "generating_software")):
        if _text(f.get(src)):
            rec[dst] = f[src]
    if _text(f.get("created_datetime")):
        rec["created_datetime"] = f["created_datetime"]
    return rec


def _notice(pk: Any, f: dict[str, Any]) -> dict[str, Any]:
    rec: dict[str, Any] = {
        "kind": "notice",
        "name": _text(f.get("name")) or str(pk),
        "description": _text(f.get("description")),
        "importance": IMPORTANCE.get(f.get("importance", 20), "INSIGNIFICANT"),
        "datasets": [str(d) for d in f.get("datasets") or []],
    }
    for src, dst in (
        ("version_affected", "version_affected"),
        ("affected_date_start", "affected_from"),
        ("affected_date_end", "affected_to"),
    ):
        if _text(f.get(src)):
            rec[dst] = f[src]
    if _text(f.get("created_datetime")):
        rec["created"] = f["created_datetime"][:10]
    return rec


def _convert(model: str, pk: Any, f: dict[str, Any], ctx: _Context) -> dict[str, Any]:
    """One fixture row as record data; raises ValueError with the reason to skip it."""
    if model == "data.dataformat":
        return _format(f)
    if model == "data.datasettype":
        return {
            "kind": "dataset-type",
            "name": f["name"],
            "description": _text(f.get("description")),
            "filename_pattern": _text(f.get("filename_pattern")),
        }
    if model == "data.datarepository":
        return _repository(f)
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
        return _dataset(pk, f, ctx)
    if model == "data.datanotice":
        return _notice(pk, f)
    raise ValueError(f"model '{model}' is not imported")


def import_alyx(files: list[Path], root: Path) -> ImportReport:
    """Write records for the rows of ``files``; existing record files are never overwritten."""
    config = load_config(root)
    rows: list[tuple[Path, dict[str, Any]]] = [(p, r) for p in files for r in _rows(p)]
    ctx = _Context([r for _, r in rows])
    report = ImportReport()
    for path, r in rows:
        model, pk, f = r["model"], r.get("pk"), r["fields"]
        what = f"{path.name}: {model} {f.get('name') or pk}"
        if model in USED_FOR_NAMES:
            continue
        if model in SKIP_REASONS:
            report.skipped.append((what, SKIP_REASONS[model]))
            continue
        try:
            data = _convert(model, pk, f, ctx)
        except KeyError as exc:
            report.skipped.append((what, f"has no '{exc.args[0]}'"))
            continue
        except ValueError as exc:
            report.skipped.append((what, str(exc)))
            continue
        if model in ("data.dataformat", "data.datasettype", "data.datanotice") and f.get("json"):
            ctx.counts[f"{model}: 'json' field has no counterpart, left out"] += 1
        rel = record_path(data["kind"], data)
        if (config.root / rel).exists():
            report.skipped.append((what, f"{rel} exists already"))
            continue
        try:
            create_record(config.root, rel, data, config.schemas_dir)
        except RecordError as exc:
            where = f"{exc.field}: " if exc.field else ""
            report.skipped.append((what, f"not a valid record: {where}{exc.message}"))
            continue
        except FileExistsError:
            report.skipped.append((what, f"{rel} exists already (two rows share a file name)"))
            continue
        report.written.append(rel)
    report.notes = [f"{n} × {why}" for why, n in sorted(ctx.counts.items())]
    return report
