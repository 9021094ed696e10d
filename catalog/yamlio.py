"""Plain YAML 1.2 in and out of record files.

Reading goes through libyaml's event parser (C, via PyYAML) and builds plain dicts and lists
from the events ourselves, so that everything a record must not contain is refused *before*
it is constructed: anchors and aliases (no alias bomb ever expands), explicit tags, ``%YAML``
and ``%TAG`` directives, several documents, duplicate keys, deep nesting, non-UTF-8 text,
NUL bytes and over-sized files. Each refusal names the file, line and column. Scalars are
resolved with the YAML 1.2 core schema: ``no``/``on``/``y`` and dates stay strings.

Plain-scalar results, pinned by tests: ``012`` → 12 (decimal, leading zeros ignored),
``0o17`` → 15, ``0x1F`` → 31, ``1e3`` → 1000.0, ``12:30:00`` → "12:30:00" (no sexagesimal),
``2024-01-05`` → "2024-01-05", ``~``/``null``/empty → None, only ``true``/``false`` are bools.
Mapping keys are always strings (``1: x`` has the key "1").

Writing (yamlwrite, re-exported here) goes through ruamel.yaml's round-trip mode so that
comments, key order and the formatting of untouched lines survive.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import yaml

from catalog.errors import YAMLSyntaxError

MAX_FILE_BYTES = 1024 * 1024
"""Record files above this size are refused: records are metadata, not data."""

MAX_DEPTH = 64
"""Deepest nesting of mappings and sequences a record may have."""

Path_ = tuple[str | int, ...]
"""Where a value sits in a document: keys and list indexes from the root."""

try:
    _Parser: type[Any] = yaml.CBaseLoader
    C_PARSER = True
except AttributeError:  # pragma: no cover - only without libyaml
    import logging

    logging.getLogger(__name__).warning(
        "libyaml is not available: record files are parsed in pure Python, about 10x slower. "
        "Install PyYAML from a wheel that bundles libyaml."
    )
    _Parser = yaml.SafeLoader
    C_PARSER = False


@dataclass(slots=True)
class Document:
    """A parsed record file: its data and where each key or item starts (1-based)."""

    data: dict[str, Any]
    positions: dict[Path_, tuple[int, int]] = field(default_factory=dict)

    def where(self, path: Path_) -> tuple[int, int]:
        """Line and column of the value at ``path``, or of its nearest existing parent."""
        p = tuple(path)
        while p:
            if p in self.positions:
                return self.positions[p]
            p = p[:-1]
        return self.positions.get((), (1, 1))


_INT_RE = re.compile(r"[-+]?[0-9]+\Z")
_OCT_RE = re.compile(r"0o[0-7]+\Z")
_HEX_RE = re.compile(r"0x[0-9a-fA-F]+\Z")
_FLOAT_RE = re.compile(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?\Z")
_NULLS = frozenset(("", "~", "null", "Null", "NULL"))
_TRUE = frozenset(("true", "True", "TRUE"))
_FALSE = frozenset(("false", "False", "FALSE"))
_INF = {
    ".inf": float("inf"),
    ".Inf": float("inf"),
    ".INF": float("inf"),
    "+.inf": float("inf"),
    "+.Inf": float("inf"),
    "+.INF": float("inf"),
    "-.inf": float("-inf"),
    "-.Inf": float("-inf"),
    "-.INF": float("-inf"),
}
_NAN = frozenset((".nan", ".NaN", ".NAN"))
_MAYBE_NOT_STR = frozenset("0123456789+-.~nNtTfF")


def resolve_plain(value: str) -> Any:
    """Resolve a plain (unquoted) scalar by the YAML 1.2 core schema."""
    if not value:
        return None
    if value[0] not in _MAYBE_NOT_STR:
        return value
    if value in _NULLS:
        return None
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    if _INT_RE.match(value):
        return int(value, 10)
    if _OCT_RE.match(value):
        return int(value[2:], 8)
    if _HEX_RE.match(value):
        return int(value[2:], 16)
    if _FLOAT_RE.match(value):
        return float(value)
    if value in _INF:
        return _INF[value]
    if value in _NAN:
        return float("nan")
    return value


def _refuse(path: str, mark: Any, message: str, hint: str = "") -> YAMLSyntaxError:
    return YAMLSyntaxError(path, mark.line + 1, mark.column + 1, message, hint=hint)


def _line_col_of_offset(text: bytes, offset: int) -> tuple[int, int]:
    before = text[:offset]
    line = before.count(b"\n") + 1
    col = offset - (before.rfind(b"\n") + 1) + 1
    return line, col


def decode(raw: bytes, path: str) -> str:
    """Check size and encoding of a record file and return its text."""
    if len(raw) > MAX_FILE_BYTES:
        raise YAMLSyntaxError(
            path,
            1,
            1,
            f"file is {len(raw):,} bytes, over the {MAX_FILE_BYTES:,}-byte limit for a record",
            hint="Records hold metadata; keep large content in the data repository.",
        )
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise YAMLSyntaxError(
            path, 1, 1, "file is UTF-16 (byte order mark found)", hint="Save it as UTF-8."
        )
    nul = raw.find(b"\x00")
    if nul >= 0:
        line, col = _line_col_of_offset(raw, nul)
        raise YAMLSyntaxError(path, line, col, "file contains a NUL byte", hint="Remove it.")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line, col = _line_col_of_offset(raw, exc.start)
        raise YAMLSyntaxError(
            path,
            line,
            col,
            f"file is not valid UTF-8 (byte 0x{raw[exc.start]:02x})",
            hint="Save it as UTF-8.",
        ) from None
    return text.removeprefix("\ufeff")


_STD_TAG = "tag:yaml.org,2002:"
_SCALAR = yaml.ScalarEvent
_MAP_START = yaml.MappingStartEvent
_MAP_END = yaml.MappingEndEvent
_SEQ_START = yaml.SequenceStartEvent
_SEQ_END = yaml.SequenceEndEvent
_ALIAS = yaml.AliasEvent
_DOC_START = yaml.DocumentStartEvent
_DOC_END = yaml.DocumentEndEvent
_STREAM_START = yaml.StreamStartEvent
_STREAM_END = yaml.StreamEndEvent


def parse(text: str, path: str, *, positions: bool = True) -> Document:
    """Parse one record file's text into a Document, refusing what records must not hold.

    Without ``positions`` the Document knows no line numbers (bulk loads re-parse the few
    files that turn out to have problems, to place them).
    """
    parser = _Parser(text)
    try:
        return _build(parser, path, positions)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        msg = exc.problem or exc.context or "malformed YAML"
        raise YAMLSyntaxError(path, line, col, f"YAML syntax error: {msg}") from None
    except yaml.reader.ReaderError as exc:
        line = text.count("\n", 0, exc.position) + 1
        col = exc.position - (text.rfind("\n", 0, exc.position) + 1) + 1
        char = f"U+{exc.character:04X}" if isinstance(exc.character, int) else repr(exc.character)
        raise YAMLSyntaxError(
            path,
            line,
            col,
            f"character {char} is not allowed in YAML text",
            hint="Remove it, or write it as an escape inside double quotes.",
        ) from None
    except yaml.YAMLError as exc:
        raise YAMLSyntaxError(path, 1, 1, f"YAML syntax error: {exc}") from None
    finally:
        parser.dispose()


def _build(parser: Any, path: str, keep: bool) -> Document:  # noqa: C901 - one loop, kept flat
    get_event = parser.get_event
    positions: dict[Path_, tuple[int, int]] = {}
    root: dict[str, Any] | None = None
    # Each frame: [container, own path, pending key (mappings), key mark, next list index]
    stack: list[list[Any]] = []
    documents = 0
    while True:
        ev = get_event()
        t = type(ev)
        if t is _SCALAR or t is _MAP_START or t is _SEQ_START:
            if ev.anchor is not None:
                raise _refuse(
                    path,
                    ev.start_mark,
                    f"anchor '&{ev.anchor}' is not allowed in records",
                    hint="Write the value out in full.",
                )
            tag = ev.tag
            if tag is not None:
                shown = "!!" + tag[len(_STD_TAG) :] if tag.startswith(_STD_TAG) else tag
                raise _refuse(
                    path,
                    ev.start_mark,
                    f"tag '{shown}' is not allowed in records",
                    hint="Remove the tag; records hold plain values only.",
                )
            if not stack:
                if t is not _MAP_START:
                    raise _refuse(
                        path,
                        ev.start_mark,
                        "a record file must hold one mapping (key: value lines)",
                    )
                root = {}
                positions[()] = (ev.start_mark.line + 1, ev.start_mark.column + 1)
                stack.append([root, (), None, None, 0])
                continue
            top = stack[-1]
            container = top[0]
            if type(container) is dict:
                if top[2] is None:
                    # This node is a key.
                    if t is not _SCALAR:
                        raise _refuse(path, ev.start_mark, "mapping keys must be plain strings")
                    key = ev.value
                    if key in container:
                        prev = positions.get((*top[1], key))
                        at = f" (first at line {prev[0]})" if prev else ""
                        raise _refuse(
                            path,
                            ev.start_mark,
                            f"duplicate key '{key}'{at}",
                            hint="Keep one of them.",
                        )
                    top[2] = key
                    if keep:
                        top[3] = ev.start_mark
                    continue
                key = top[2]
                top[2] = None
                if keep:
                    node_path = (*top[1], key)
                    mark = top[3]
                    positions[node_path] = (mark.line + 1, mark.column + 1)
            else:
                key = top[4]
                top[4] = key + 1
                if keep:
                    node_path = (*top[1], key)
                    positions[node_path] = (ev.start_mark.line + 1, ev.start_mark.column + 1)
            if t is _SCALAR:
                # libyaml reports plain style as '', the pure-Python parser as None.
                value: Any = ev.value if ev.style else resolve_plain(ev.value)
            else:
                if len(stack) >= MAX_DEPTH:
                    raise _refuse(
                        path,
                        ev.start_mark,
                        f"nesting deeper than {MAX_DEPTH} levels",
                        hint="Flatten the structure.",
                    )
                value = {} if t is _MAP_START else []
                stack.append([value, (*top[1], key) if keep else (), None, None, 0])
            if type(container) is dict:
                container[key] = value
            else:
                container.append(value)
        elif t is _MAP_END or t is _SEQ_END:
            stack.pop()
        elif t is _ALIAS:
            raise _refuse(
                path,
                ev.start_mark,
                f"alias '*{ev.anchor}' is not allowed in records",
                hint="Write the value out in full.",
            )
        elif t is _DOC_START:
            documents += 1
            if documents > 1:
                raise _refuse(
                    path,
                    ev.start_mark,
                    "a record file must hold one document, found a second",
                    hint="Put each record in its own file.",
                )
            if ev.version is not None:
                raise _refuse(
                    path,
                    ev.start_mark,
                    "the %YAML directive is not allowed",
                    hint="Remove it; records are YAML 1.2.",
                )
            if ev.tags:
                raise _refuse(path, ev.start_mark, "the %TAG directive is not allowed")
        elif t is _STREAM_END:
            break
        elif t is _DOC_END or t is _STREAM_START:
            continue
    if root is None:
        raise YAMLSyntaxError(
            path,
            1,
            1,
            "file holds no record (it is empty or only comments)",
            hint="Add the record's fields, or delete the file.",
        )
    return Document(root, positions)


def load_bytes(raw: bytes, path: str, *, positions: bool = True) -> Document:
    """Decode and parse a record file's bytes."""
    return parse(decode(raw, path), path, positions=positions)


# Writing lives in yamlwrite; re-exported so that yamlio stays the one YAML module to import.
from catalog.yamlwrite import dump_new as dump_new  # noqa: E402
from catalog.yamlwrite import guess_indent as guess_indent  # noqa: E402
from catalog.yamlwrite import roundtrip_edit as roundtrip_edit  # noqa: E402
