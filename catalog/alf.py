"""ALF naming conventions (files, collections, revisions, sessions) and dataset-type matching.

ALF file names read ``_namespace_object.attribute_timescale.extra.extension``; a full
dataset path is ``lab/Subjects/subject/date/number/collection/#revision#/file``.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterable
from dataclasses import dataclass

FILE_RE = re.compile(
    r"^(?:_(?P<namespace>[a-z]+)_)?"
    r"(?P<object>[A-Za-z0-9]+(?:_[A-Za-z0-9]+)*)"
    r"\.(?P<attribute>[A-Za-z0-9]+(?:_[A-Za-z0-9]+)*)"
    r"(?:\.(?P<extra>[A-Za-z0-9_\-]+(?:\.[A-Za-z0-9_\-]+)*?))?"
    r"\.(?P<extension>[A-Za-z0-9_]+)$"
)
COLLECTION_RE = re.compile(r"^[A-Za-z0-9_\-]+(?:/[A-Za-z0-9_\-]+)*$")
REVISION_RE = re.compile(r"^[A-Za-z0-9_\-.]+$")
SESSION_RE = re.compile(
    r"^(?:(?P<lab>[\w\-]+)/Subjects/)?(?P<subject>[\w.\-]+)/(?P<date>\d{4}-\d{2}-\d{2})/(?P<number>\d{1,3})$"
)
PATH_RE = re.compile(
    r"^(?P<session>(?:[\w\-]+/Subjects/)?[\w.\-]+/\d{4}-\d{2}-\d{2}/\d{1,3})"
    r"(?:/(?P<collection>(?!#)[A-Za-z0-9_\-]+(?:/(?!#)[A-Za-z0-9_\-]+)*))??"
    r"(?:/#(?P<revision>[A-Za-z0-9_\-.]+)#)?"
    r"/(?P<name>[^/]+)$"
)


def is_alf_filename(name: str) -> bool:
    """Whether ``name`` is an ALF file name."""
    return FILE_RE.match(name) is not None


def object_attribute(name: str) -> str | None:
    """``object.attribute`` of an ALF file name (namespace dropped), or None."""
    m = FILE_RE.match(name)
    if m is None:
        return None
    return f"{m['object']}.{m['attribute']}"


@dataclass(frozen=True, slots=True)
class AlfPath:
    """The parts of an ALF dataset path."""

    session: str
    collection: str
    revision: str | None
    name: str


def parse_path(relative_path: str) -> AlfPath | None:
    """Split ``subject/date/number/[collection/][#rev#/]file`` into its parts, or None."""
    m = PATH_RE.match(relative_path)
    if m is None:
        return None
    return AlfPath(m["session"], m["collection"] or "", m["revision"], m["name"])


class TypeMatcher:
    """Which dataset types a file name belongs to (Alyx's rules).

    A type with a filename_pattern matches by case-insensitive wildcard on the file name; a
    type without one matches when the name's ALF object.attribute (or, for a non-ALF name,
    the name without extension) equals the type's name. Results are cached per name, since
    large catalogs repeat the same few hundred names across sessions.
    """

    def __init__(self, types: Iterable[tuple[str, str]]) -> None:
        self._patterns: list[tuple[str, re.Pattern[str]]] = []
        self._by_name: dict[str, list[str]] = {}
        for type_name, pattern in types:
            if pattern.strip():
                rx = re.compile(fnmatch.translate(pattern.lower()))
                self._patterns.append((type_name, rx))
            else:
                self._by_name.setdefault(type_name, []).append(type_name)
        self._cache: dict[str, list[str]] = {}

    def match(self, filename: str) -> list[str]:
        """Names of the types that ``filename`` matches (ideally exactly one)."""
        hit = self._cache.get(filename)
        if hit is not None:
            return hit
        low = filename.lower()
        found = [name for name, rx in self._patterns if rx.match(low)]
        key = object_attribute(filename)
        if key is None:
            key = filename.rsplit(".", 1)[0]
        found.extend(self._by_name.get(key, []))
        self._cache[filename] = found
        return found
