"""Writing record files: round-trip edits that keep everything untouched, and new records.

Edits go through ruamel.yaml's round-trip mode (comments, key order, quoting and the file's
indentation kept); what ruamel.yaml would write wrongly is fixed up before dumping, so that
what the catalog writes reads back, with the strict reader of yamlio, as the value it wrote.
"""

from __future__ import annotations

import io
import re
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.constructor import RoundTripConstructor
from ruamel.yaml.representer import RoundTripRepresenter
from ruamel.yaml.scalarfloat import ScalarFloat
from ruamel.yaml.scalarint import ScalarInt
from ruamel.yaml.scalarstring import (
    DoubleQuotedScalarString,
    FoldedScalarString,
    LiteralScalarString,
    SingleQuotedScalarString,
)

FLOAT_TAG = "tag:yaml.org,2002:float"
INT_TAG = "tag:yaml.org,2002:int"


class _NumberTextKept(RoundTripConstructor):
    """Remembers the text of each float, and of each integer written unusually, it reads.

    ruamel.yaml writes a float back from its value and a few format details, which changes
    some that nobody edited: 12345678901234567890.5 becomes 12345678901234567168.0, 1_000.5
    becomes 01000.5, 1e400 becomes .inf; and +5 becomes 5. An edit of another field must
    not touch them. (Booleans and nulls are written in the canonical form, true and an empty
    value: they cannot carry their text.)
    """

    def construct_yaml_float(self, node: Any) -> Any:
        value = super().construct_yaml_float(node)
        if not isinstance(value, ScalarFloat):  # .inf and .nan come back as plain floats
            value = ScalarFloat(value)
        value._catalog_text = node.value
        return value

    def construct_yaml_int(self, node: Any) -> Any:
        value = super().construct_yaml_int(node)
        if type(value) in (int, ScalarInt) and node.value != str(value):  # +5, -0, 1_000
            if type(value) is int:
                value = ScalarInt(value)
            value._catalog_text = node.value
        return value


_NumberTextKept.add_constructor(FLOAT_TAG, _NumberTextKept.construct_yaml_float)
_NumberTextKept.add_constructor(INT_TAG, _NumberTextKept.construct_yaml_int)


class _NumberTextWritten(RoundTripRepresenter):
    """Writes a number read from the file with its text; a value set by an edit is a new
    object, without that text, and is written from its value."""

    def _as_read(self, tag: str, data: Any, from_value: Callable[[Any], Any]) -> Any:
        text = getattr(data, "_catalog_text", None)
        if text is None:
            return from_value(data)
        return self.represent_scalar(tag, text, anchor=data.yaml_anchor(any=True))

    def represent_scalar_float(self, data: Any) -> Any:
        return self._as_read(FLOAT_TAG, data, super().represent_scalar_float)

    def represent_scalar_int(self, data: Any) -> Any:
        return self._as_read(INT_TAG, data, super().represent_scalar_int)


_NumberTextWritten.add_representer(ScalarFloat, _NumberTextWritten.represent_scalar_float)
_NumberTextWritten.add_representer(ScalarInt, _NumberTextWritten.represent_scalar_int)


def _rt_yaml(mapping: int = 2, sequence: int = 4, offset: int = 2) -> YAML:
    rt = YAML(typ="rt")
    rt.Constructor = _NumberTextKept
    rt.Representer = _NumberTextWritten
    rt.preserve_quotes = True
    rt.width = 4096
    rt.indent(mapping=mapping, sequence=sequence, offset=offset)
    return rt


def guess_indent(text: str) -> tuple[int, int, int]:
    """(mapping indent, sequence indent, dash offset) of a file, for ruamel.yaml's dumper.

    Nested mappings and block sequences are measured separately (ruamel.yaml's own guess
    uses one number for both and re-indents the other kind); house style when absent.
    """
    mapping: int | None = None
    sequence: int | None = None
    offset: int | None = None
    key_only: int | None = None  # indent of the last line that is 'key:' alone
    for line in text.splitlines():
        body = line.strip()
        if not body or body.startswith("#"):
            continue
        lead = len(line) - len(line.lstrip(" "))
        if key_only is not None:
            if body.startswith("- ") and sequence is None:
                after = body[1:]
                offset = lead - key_only
                sequence = offset + 1 + len(after) - len(after.lstrip(" "))
            elif not body.startswith("-") and lead > key_only and mapping is None:
                mapping = lead - key_only
        if mapping is not None and sequence is not None:
            break
        key_only = lead if body.endswith(":") and not body.startswith("-") else None
    offset = 2 if offset is None else max(offset, 0)
    sequence = max(sequence if sequence is not None else offset + 2, offset + 2)
    return mapping or 2, sequence, offset


_NOT_IN_BLOCK = re.compile("[^\t\n\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
"""Characters a literal or folded block scalar cannot hold (YAML's non-printables, CR)."""

_BREAKS = re.compile("[\x85\u2028\u2029]")
"""Unicode line breaks: libyaml folds them in plain and single-quoted text, so such text
must be written double-quoted, where they are escaped (\\N, \\L, \\P)."""


def _safe_text(value: str, flow: bool) -> Any:
    if _BREAKS.search(value):
        return DoubleQuotedScalarString(value)
    if isinstance(value, LiteralScalarString | FoldedScalarString) and (
        _NOT_IN_BLOCK.search(value) or value[:1] in (" ", "\n")
    ):
        return str(value)
    if flow and value[:1] in ("?", ":") and type(value) is str:
        return SingleQuotedScalarString(value)
    return value


def _is_flow(node: Any) -> bool:
    fa = getattr(node, "fa", None)
    return bool(fa is not None and fa.flow_style())


def _writable(node: Any, flow: bool = False) -> None:
    """Give text values and keys a style in which they read back unchanged.

    ruamel.yaml gives a new value the block style (| or >) of the value it replaces, even
    when the text cannot be written that way (a control character, a CR), or only with an
    indentation indicator (text starting with a space or a line break), which it gets wrong
    when the file's indent is not 2; it writes the Unicode line breaks NEL, LS and PS raw
    inside single quotes, where a reader folds them; and inside [..] or {..} it writes text
    starting with '?' or ':' plain, where libyaml reads an indicator.
    """
    flow = flow or _is_flow(node)
    if isinstance(node, dict):
        if any(isinstance(k, str) and _safe_text(k, flow) is not k for k in node):
            items = list(node.items())
            node.clear()
            node.update((_safe_text(k, flow) if isinstance(k, str) else k, v) for k, v in items)
        pairs: Any = list(node.items())
        # Past ruamel.yaml's __setitem__, which would put a replaced value's style back.
        setitem: Any = (
            OrderedDict.__setitem__ if isinstance(node, OrderedDict) else dict.__setitem__
        )
    elif isinstance(node, list):
        pairs, setitem = list(enumerate(node)), list.__setitem__
    else:
        return
    for key, value in pairs:
        if isinstance(value, str):
            safe = _safe_text(value, flow)
            if safe is not value:
                setitem(node, key, safe)
        else:
            _writable(value, flow)


class RoundTrip:
    """A record file's round-trip tree, ready for edits; ``text`` is always what it dumps to."""

    def __init__(self, text: str) -> None:
        self.indent = guess_indent(text)
        self.yaml = _rt_yaml(*self.indent)
        self.tree: Any = self.yaml.load(text)
        self.text = text

    def edit(self, edit: Callable[[Any], None]) -> str:
        """Apply ``edit`` to the tree and return (and remember) the new text.

        If ``edit`` raises, the tree is left half-edited: throw this object away.
        """
        edit(self.tree)
        _writable(self.tree)
        buf = io.StringIO()
        self.yaml.dump(self.tree, buf)
        self.text = buf.getvalue()
        return self.text


def roundtrip_edit(text: str, edit: Callable[[Any], None]) -> str:
    """Apply ``edit`` to the round-trip tree of ``text`` and return the new text.

    Comments, key order, quoting and the indentation style of the file are kept.
    """
    return RoundTrip(text).edit(edit)


_YAML11_TEXT = re.compile(
    r"(?i:y|n|yes|no|on|off)\Z|[-+]?[0-9][0-9_]*(:[0-5]?[0-9])+(\.[0-9_]*)?\Z"
)
"""Strings that YAML 1.1 tools would read as booleans or base-60 numbers."""


def _portable(value: Any) -> Any:
    # YAML 1.2 reads `no` and `12:30` as text, YAML 1.1 tools as false and 750: quote them.
    if isinstance(value, str) and _YAML11_TEXT.match(value):
        return SingleQuotedScalarString(value)
    if isinstance(value, dict):
        return {k: _portable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_portable(v) for v in value]
    return value


def dump_new(data: dict[str, Any], header: str = "") -> str:
    """Serialize a new record in the catalog's house style (2-space maps, '  - ' lists).

    Text that YAML 1.1 tools would misread (``no``, ``on``, ``12:30``) is quoted.
    """
    buf = io.StringIO()
    _rt_yaml().dump(_portable(data), buf)
    return header + buf.getvalue()
