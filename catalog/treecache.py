"""Round-trip trees of record files, kept between edits so that a file is parsed once.

Parsing a record file in ruamel.yaml's round-trip mode costs twice as much as writing it
back, and a writer that edits the same files batch after batch (the service's committer)
would otherwise parse each of them again every time. A kept tree is used only for the
exact bytes it was dumped to: the caller passes the file's current content (the committer
reads it from the branch tip), and any other content — a person's commit, another
writer's, an edit that was never committed — is parsed afresh. So a kept tree can never
put back a stale version of a file.

An edit through a kept tree is the same edit as through a fresh parse, with one difference:
a value the catalog itself wrote is not handed the quoting that a fresh parse would give it
when it is replaced again (``x``, not ``'x'``, after a ``'012'`` written earlier). Either
way the value reads back as written and every other line stays byte for byte.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from catalog.yamlwrite import RoundTrip, guess_indent

MAX_TEXT_BYTES = 1 << 20
"""Most file text whose trees are kept (a tree takes about 40 times its text in memory)."""


class TreeCache:
    """Round-trip trees by record path, each valid for one exact file content; not thread-safe
    (the committer uses it under its writer lock)."""

    def __init__(self, max_text_bytes: int = MAX_TEXT_BYTES) -> None:
        self.max_text_bytes = max_text_bytes
        self._trees: OrderedDict[str, tuple[bytes, RoundTrip]] = OrderedDict()
        self._size = 0
        self.hits = 0
        self.misses = 0

    def edit(self, path: str, raw: bytes, edit: Callable[[Any], None]) -> bytes:
        """The bytes of ``raw`` after ``edit``: same result as ``store.edit_bytes``."""
        doc = self._take(path, raw)
        if doc is None:
            self.misses += 1
            doc = RoundTrip(raw.decode("utf-8"))
        else:
            self.hits += 1
        new = doc.edit(edit).encode("utf-8")  # on an exception the tree is dropped
        self._keep(path, new, doc)
        return new

    def forget(self) -> None:
        """Drop every tree."""
        self._trees.clear()
        self._size = 0

    def __len__(self) -> int:
        return len(self._trees)

    def _take(self, path: str, raw: bytes) -> RoundTrip | None:
        """The kept tree of ``path`` if it is exactly ``raw``; it leaves the cache either way
        (an edit changes it in place)."""
        kept = self._trees.pop(path, None)
        if kept is None:
            return None
        text, doc = kept
        self._size -= len(text)
        if text != raw:
            return None
        # A fresh parse would guess the indentation from this text: so must the kept tree.
        if guess_indent(doc.text) != doc.indent:
            return None
        return doc

    def _keep(self, path: str, raw: bytes, doc: RoundTrip) -> None:
        if len(raw) > self.max_text_bytes:
            return
        self._trees[path] = (raw, doc)
        self._size += len(raw)
        while self._size > self.max_text_bytes:
            _, (text, _) = self._trees.popitem(last=False)
            self._size -= len(text)
