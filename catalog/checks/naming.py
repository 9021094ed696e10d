"""Dataset names match their type's pattern; ALF naming; safe relative paths."""

from __future__ import annotations

import re

from catalog import alf
from catalog.checks.context import Context
from catalog.checks.finding import problem
from catalog.models import Dataset
from catalog.problems import Problem
from catalog.records import Entry, Records

_WINDOWS_DRIVE = re.compile(r"^[A-Za-z]:")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def path_problem(relative_path: str) -> str | None:
    """Why ``relative_path`` is unsafe inside a repository, or None when it is fine."""
    # Runs for every file record of every dataset: string methods and one regex only.
    if "\\" in relative_path:
        return "contains a backslash; use '/' between folders"
    if relative_path.startswith("/") or _WINDOWS_DRIVE.match(relative_path):
        return "is absolute; paths are relative to the repository root"
    if _CONTROL.search(relative_path):
        return "contains a control character"
    parts = relative_path.split("/")
    if ".." in parts or "." in parts:
        return "contains '.' or '..'; paths must stay inside the repository"
    if "" in parts:
        return "contains an empty folder name ('//' or a trailing '/')"
    if "%" in relative_path and ("%2e" in relative_path.lower() or "%2f" in relative_path.lower()):
        return "contains a percent-encoded '.' or '/'; write paths plainly"
    return None


def dataset_naming(e: Entry, ctx: Context) -> list[Problem]:
    """Safe relative paths; the name fits exactly one type, its format, and ALF when asked."""
    d = e.model
    assert isinstance(d, Dataset)
    out: list[Problem] = []
    for i, fr in enumerate(d.file_records):
        why = path_problem(fr.relative_path)
        if why:
            out.append(
                problem(
                    e,
                    ("file_records", i, "relative_path"),
                    f"relative_path '{fr.relative_path}' {why}",
                    code="unsafe-path",
                    hint="Write the path from the repository's root.",
                )
            )
    if ctx.type_names:
        found = ctx.matcher.match(d.name)
        if not found:
            out.append(
                problem(
                    e,
                    ("name",),
                    f"name '{d.name}' matches no dataset type's filename_pattern",
                    code="no-type",
                    hint=f"Rename the file, or add a dataset type whose pattern covers it "
                    f"(declared type: '{d.dataset_type}').",
                )
            )
        elif len(found) > 1:
            out.append(
                problem(
                    e,
                    ("name",),
                    f"name '{d.name}' matches several dataset types: {', '.join(found)}",
                    code="ambiguous-type",
                    hint="Make the types' filename_patterns narrower so one matches.",
                )
            )
        elif found[0] != d.dataset_type:
            out.append(
                problem(
                    e,
                    ("dataset_type",),
                    f"dataset_type '{d.dataset_type}' does not fit name '{d.name}', "
                    f"which matches type '{found[0]}'",
                    code="wrong-type",
                    hint=f"Set 'dataset_type: {found[0]}'.",
                )
            )
    fmt = ctx.formats.get(d.data_format)
    if (
        fmt is not None
        and fmt.file_extension
        and not d.name.lower().endswith(fmt.file_extension.lower())
    ):
        out.append(
            problem(
                e,
                ("data_format",),
                f"name '{d.name}' does not end with '{fmt.file_extension}', "
                f"the extension of format '{fmt.name}'",
                code="format-extension",
                severity="warning",
                hint=f"Rename the file to end with '{fmt.file_extension}' or fix data_format.",
            )
        )
    if ctx.alf_naming:
        out.extend(_alf_problems(e, d))
    return out


def check_naming(records: Records, *, alf_naming: bool) -> list[Problem]:
    """Type patterns, ALF conventions and relative paths of every dataset."""
    ctx = Context.of(records, alf_naming=alf_naming)
    out: list[Problem] = []
    for e in records.by_kind["dataset"]:
        out += dataset_naming(e, ctx)
    return out


def _alf_problems(e: Entry, d: Dataset) -> list[Problem]:
    out: list[Problem] = []
    if not alf.is_alf_filename(d.name):
        out.append(
            problem(
                e,
                ("name",),
                f"'{d.name}' is not an ALF file name",
                code="alf",
                hint="ALF names read _namespace_object.attribute.extra.extension, "
                "e.g. spikes.times.npy.",
            )
        )
    if d.collection and not alf.COLLECTION_RE.match(d.collection):
        out.append(
            problem(
                e,
                ("collection",),
                f"'{d.collection}' is not an ALF collection",
                code="alf",
                hint="Use folder names of letters, digits, '_' and '-', joined by '/'.",
            )
        )
    if d.revision and not alf.REVISION_RE.match(d.revision):
        out.append(
            problem(
                e,
                ("revision",),
                f"'{d.revision}' is not an ALF revision",
                code="alf",
                hint="Use letters, digits, '_', '-' and '.'.",
            )
        )
    if d.session and not alf.SESSION_RE.match(d.session):
        out.append(
            problem(
                e,
                ("session",),
                f"'{d.session}' is not an ALF session",
                code="alf",
                hint="Sessions read [lab/Subjects/]subject/YYYY-MM-DD/NNN.",
            )
        )
    return out
