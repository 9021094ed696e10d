"""The one place that finds, reads and writes record files under records/.

Reading: every ``records/<kind folder>/**/*.yaml`` is parsed by yamlio, its ``kind`` checked
against its folder, and validated by the kind's model. Problems are collected, never raised,
so one run reports everything. Line and column of model errors are found afterwards by
``locate`` (re-parsing only the files that have problems keeps bulk loads lean).

Writing: new records are created exclusively; edits round-trip through ruamel.yaml so that
comments and layout survive; both are validated before an atomic replace.
"""

from __future__ import annotations

import gc
import hashlib
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from catalog.atomic import atomic_write
from catalog.errors import RecordError, SchemaError
from catalog.modelerrors import close_match, validation_problems
from catalog.models import FOLDERS, KINDS
from catalog.problems import Problem
from catalog.recordcache import RecordCache
from catalog.recordfiles import RECORDS_DIR as RECORDS_DIR
from catalog.recordfiles import SUFFIXES as SUFFIXES
from catalog.recordfiles import scan_record_files as scan_record_files
from catalog.recordindex import StatKey
from catalog.records import Entry, Records
from catalog.yamlio import Document, dump_new, load_bytes, roundtrip_edit

SCHEMA_LINE_PREFIX = "# yaml-language-server: $schema="

Progress = Callable[[int, int], None]
"""Called with (done, total) while loading."""


@dataclass(slots=True)
class FileResult:
    """What loading one file gave: an entry, or problems, or both (warnings)."""

    entry: Entry | None
    problems: list[Problem] = field(default_factory=list)


def iter_record_files(root: Path) -> list[str]:
    """Posix paths, relative to ``root``, of every record file, sorted."""
    base = root / RECORDS_DIR
    out: list[str] = []
    if not base.is_dir():
        return out
    stack = [base]
    while stack:
        folder = stack.pop()
        with os.scandir(folder) as it:
            for de in it:
                if de.name.startswith("."):
                    continue
                if de.is_dir(follow_symlinks=False):
                    stack.append(Path(de.path))
                elif de.name.endswith(SUFFIXES):
                    out.append(Path(de.path).relative_to(root).as_posix())
    out.sort()
    return out


def kind_of(rel: str) -> str | None:
    """The kind a record file's folder stands for, or None outside the kind folders."""
    parts = rel.split("/")
    if len(parts) < 3 or parts[0] != RECORDS_DIR:
        return None
    return FOLDERS.get(parts[1])


def folder_of(kind: str) -> str:
    """``records/<folder>`` for a kind."""
    return f"{RECORDS_DIR}/{KINDS[kind].FOLDER}"


def check_document(rel: str, doc: Document) -> FileResult:
    """Kind/folder agreement and model validation of one parsed record file."""
    data = doc.data
    folder_kind = kind_of(rel)
    kind = data.get("kind")
    label = f"'{Path(rel).name}'"
    if folder_kind is None:
        return FileResult(
            None,
            [
                Problem(
                    rel,
                    1,
                    1,
                    "file is not in a kind folder",
                    code="folder",
                    hint=f"Move it under records/<folder>/; folders: {', '.join(FOLDERS)}.",
                )
            ],
        )
    if kind != folder_kind:
        line, col = doc.where(("kind",))
        expected = KINDS[folder_kind].FOLDER
        if kind is None:
            msg = "required field is missing"
            hint = f"Add 'kind: {folder_kind}' (files in {expected}/ hold {folder_kind} records)."
        elif isinstance(kind, str) and kind in KINDS:
            msg = f"kind '{kind}' does not match folder '{expected}/' (expects '{folder_kind}')"
            hint = f"Move the file to {folder_of(kind)}/ or set 'kind: {folder_kind}'."
        else:
            msg = f"unknown kind '{kind}'"
            hint = close_match(str(kind), list(KINDS)) or f"Known kinds: {', '.join(KINDS)}."
        return FileResult(
            None,
            [Problem(rel, line, col, msg, record=label, field="kind", code="kind", hint=hint)],
        )
    model = KINDS[folder_kind]
    try:
        obj = model.model_validate(data)
    except ValidationError as exc:
        problems = validation_problems(rel, model, data, exc)
        return FileResult(None, [_place(p, doc) for p in problems])
    return FileResult(Entry(folder_kind, rel, obj, data))


def _place(p: Problem, doc: Document) -> Problem:
    line, col = doc.where(p.where)
    return p.at(line, col)


def check_bytes(rel: str, raw: bytes) -> FileResult:
    """Parse and validate one record file's content (as it is, or as it is about to be)."""
    # Most files are fine: parse without line numbers first, and again with them to place
    # the problems of the few that are not.
    try:
        result = check_document(rel, load_bytes(raw, rel, positions=False))
        if not result.problems:
            return _stamped(result, raw)
    except RecordError:
        pass
    try:
        return _stamped(check_document(rel, load_bytes(raw, rel)), raw)
    except RecordError as exc:
        return FileResult(None, [Problem.from_error(exc, "yaml")])


def content_digest(path: str, raw: bytes) -> bytes:
    """A short digest of a record file, where it is and its bytes: tells the site it changed."""
    h = hashlib.blake2b(path.encode(), digest_size=8)
    h.update(b"\0")
    h.update(raw)
    return h.digest()


def _stamped(result: FileResult, raw: bytes) -> FileResult:
    if result.entry is not None:
        result.entry.digest = content_digest(result.entry.path, raw)
    return result


def load_file(root: Path, rel: str) -> FileResult:
    """Read, parse and validate one record file."""
    try:
        raw = (root / rel).read_bytes()
    except OSError as exc:
        return FileResult(
            None, [Problem(rel, 1, 1, f"cannot read file: {exc.strerror}", code="io")]
        )
    return check_bytes(rel, raw)


def entry_from_data(rel: str, data: dict[str, Any], digest: bytes | None = None) -> Entry | None:
    """The entry of a file whose data validated before (from the cache), or None.

    The cache is stamped with the loading code and pydantic's version, so the data validates
    again: the model is made when first asked for (see Entry.model).
    """
    kind = kind_of(rel)
    if kind is None or data.get("kind") != kind:
        return None
    return Entry(kind, rel, None, data, digest)


def load_entry(
    root: Path, rel: str, stat: StatKey, cache: RecordCache | None
) -> tuple[Entry | None, list[Problem]]:
    """One file's entry and problems, from the cache when the file has not changed."""
    if cache is not None:
        row = cache.row(rel, stat)
        if row is not None:
            entry = entry_from_data(rel, *row)
            if entry is not None:
                return entry, []
    result = load_file(root, rel)
    if cache is not None:
        e = result.entry
        cache.put_data(rel, stat, e.data if e is not None else None, e.digest if e else None)
    return result.entry, result.problems


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector during a bulk load.

    Loading allocates millions of small objects and no cycles; without the pause the
    collector repeatedly scans everything loaded so far, which makes loading 3-5x slower.
    Afterwards the objects are moved to the collector's permanent generation.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        # What was loaded is long-lived and acyclic (it is still freed when unreferenced):
        # keep the collector from scanning it again on its first run after re-enabling.
        gc.freeze()
        if was_enabled:
            gc.enable()


def load_records(
    root: Path,
    *,
    cache_dir: Path | None = None,
    progress: Progress | None = None,
    scan: tuple[list[str], list[StatKey]] | None = None,
) -> tuple[Records, list[Problem]]:
    """Load every record file under ``root/records``: the records that are valid, and problems.

    With ``cache_dir``, the parsed data of files whose size, mtime and inode are unchanged is
    reused, which makes loading a large catalog again several times faster. ``scan`` is a
    walk of records/ just made (see scan_record_files), so that it is not walked twice.
    """
    cache = RecordCache.open(cache_dir) if cache_dir is not None else None
    entries: list[Entry] = []
    problems: list[Problem] = []
    with collector_paused():
        paths, stats = scan if scan is not None else scan_record_files(root)
        total = len(paths)
        folder, rows, kind = None, {}, None
        for i, (rel, stat) in enumerate(zip(paths, stats, strict=True)):
            if progress is not None and (i % 500 == 0 or i == total - 1):
                progress(i + 1, total)
            if cache is not None:
                # The paths come sorted, so by folder: one cache shard and kind per folder.
                # This loop runs once per record file on every load; it stays inline.
                at, _, name = rel.rpartition("/")
                if at != folder:
                    folder, rows, kind = at, cache.folder_rows(at), kind_of(rel)
                hit = rows.get(name)
                if hit is not None and hit[:3] == stat and len(hit) == 5 and kind is not None:
                    data = hit[3]
                    if type(data) is dict and data.get("kind") == kind:
                        entries.append(Entry(kind, rel, None, data, hit[4]))
                        continue
            entry, found = load_entry(root, rel, stat, cache)
            if entry is not None:
                entries.append(entry)
            problems += found
        if cache is not None:
            cache.forget_missing(set(paths))
            cache.flush_data()
        records = Records(entries)
    return records, problems


def locate(root: Path, problems: list[Problem]) -> list[Problem]:
    """Fill in line and column of problems that only know the field's path in the record."""
    out: list[Problem] = []
    docs: dict[str, Document | None] = {}
    for p in problems:
        if p.line:
            out.append(p)
            continue
        if p.path not in docs:
            try:
                docs[p.path] = load_bytes((root / p.path).read_bytes(), p.path)
            except (OSError, RecordError):
                docs[p.path] = None
        doc = docs[p.path]
        out.append(_place(p, doc) if doc is not None else p.at(1, 1))
    return out


# ---------------------------------------------------------------- writing


def schema_header(root: Path, rel: str, kind: str, schemas_dir: str) -> str:
    """The editor hint line pointing a record file at its kind's JSON Schema."""
    target = root / schemas_dir / f"{kind}.schema.json"
    relative = os.path.relpath(target, (root / rel).parent)
    return f"{SCHEMA_LINE_PREFIX}{Path(relative).as_posix()}\n"


def _refuse_invalid(rel: str, raw: bytes) -> Entry:
    result = check_bytes(rel, raw)
    if result.entry is None:
        p = result.problems[0]
        raise SchemaError(
            p.path, p.line, p.col, p.message, record=p.record, field=p.field, hint=p.hint
        )
    return result.entry


def render_new(root: Path, rel: str, data: dict[str, Any], schemas_dir: str) -> bytes:
    """The bytes of a new record file: schema line, then the fields in house style."""
    kind = str(data["kind"])
    return dump_new(data, schema_header(root, rel, kind, schemas_dir)).encode("utf-8")


def create_record(root: Path, rel: str, data: dict[str, Any], schemas_dir: str) -> Entry:
    """Write a new record file; refuses an invalid record or an existing file."""
    raw = render_new(root, rel, data, schemas_dir)
    entry = _refuse_invalid(rel, raw)
    atomic_write(root / rel, raw, exclusive=True)
    return entry


def edit_bytes(raw: bytes, edit: Callable[[Any], None]) -> bytes:
    """Apply ``edit`` to the round-trip tree of a record file's bytes; comments survive."""
    return roundtrip_edit(raw.decode("utf-8"), edit).encode("utf-8")


def edit_record(root: Path, rel: str, edit: Callable[[Any], None]) -> Entry:
    """Edit a record file in place (round-trip), validate the result, replace atomically."""
    path = root / rel
    new = edit_bytes(path.read_bytes(), edit)
    entry = _refuse_invalid(rel, new)
    atomic_write(path, new)
    return entry
