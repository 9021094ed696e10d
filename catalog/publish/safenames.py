"""Safe, unique, stable file names for record names with any characters.

A name that is already a plain lower-case word (``spikes.times``, ``2024-paper``) keeps its
spelling. Any other name (upper case, spaces, non-ASCII, '..', Windows device names, very
long) becomes an ASCII slug, then ``--``, then 12 hex digits of a hash of the exact name.
Plain names never contain ``--``, so the two forms cannot meet; plain names are lower case,
so no two file names differ only by case (case-insensitive file systems); and the result has
no path separator, no leading or trailing dot and stays far below 255 bytes.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata

_PLAIN = re.compile(r"^[a-z0-9]+(?:[._-][a-z0-9]+)*$")
_NON_SLUG = re.compile(r"[^a-z0-9]+")
PLAIN_MAX = 100
SLUG_MAX = 48

WINDOWS_DEVICES = frozenset(
    ["con", "prn", "aux", "nul", "conin$", "conout$", "clock$"]
    + [f"com{i}" for i in range(10)]
    + [f"lpt{i}" for i in range(10)]
)
"""Names Windows reserves whatever the extension (``con.html`` is the console)."""

RESERVED = frozenset({"index"})
"""Plain names the site uses for its own files (``tags/index.html`` lists the tags)."""


def is_plain(name: str) -> bool:
    """Whether ``name`` can be used as a file name unchanged."""
    if len(name) > PLAIN_MAX or not _PLAIN.match(name):
        return False
    stem = name.split(".", 1)[0]
    return stem not in WINDOWS_DEVICES and stem not in RESERVED


def slug(name: str) -> str:
    """An ASCII approximation of ``name``: lower-case letters and digits joined by '-'."""
    folded = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    return _NON_SLUG.sub("-", folded.lower()).strip("-")[:SLUG_MAX].strip("-")


def safe_name(name: str) -> str:
    """The file-name stem for a record called ``name`` (add '.html' or '.json' to it)."""
    if is_plain(name):
        return name
    digest = hashlib.sha256(name.encode("utf-8", "surrogatepass")).hexdigest()[:12]
    return f"{slug(name) or 'name'}--{digest}"
