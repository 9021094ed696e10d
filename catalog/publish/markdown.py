"""Markdown from records rendered to safe HTML, and URLs from records checked for safety.

Markdown goes through markdown-it-py's ``js-default`` preset (raw HTML off, dangerous link
schemes refused) and then nh3, which keeps only a short list of tags and attributes: no
scripts, no event handlers, no ids (DOM clobbering), no images (they would load from third
parties), links only to http, https, mailto or relative targets.
"""

from __future__ import annotations

import html
import re
from functools import lru_cache

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup

ALLOWED_SCHEMES = frozenset({"http", "https", "mailto"})
"""URL schemes a link from a record may use (relative links are allowed too)."""

_TAGS = frozenset(
    {
        "a", "abbr", "b", "blockquote", "br", "code", "dd", "del", "dl", "dt", "em",
        "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "kbd", "li", "ol", "p", "pre",
        "s", "strong", "sub", "sup", "table", "tbody", "td", "th", "thead", "tr", "ul",
    }
)  # fmt: skip
_ATTRIBUTES = {"a": {"href", "title"}, "abbr": {"title"}, "td": {"align"}, "th": {"align"}}
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.\-]*):")
_IGNORED = re.compile(r"[\t\n\r]")
_SPACE_AND_CONTROLS = "".join(map(chr, range(0x21)))


@lru_cache(maxsize=1)
def _parser() -> MarkdownIt:
    return MarkdownIt("js-default")


def safe_url(url: str | None) -> str | None:
    """``url`` when its scheme is allowed (or it is relative), else None.

    Parsed the way browsers do: surrounding spaces and control characters and any tab or
    newline inside are ignored, so ``" jav\\tascript:"`` is still seen as javascript.
    A protocol-relative ``//host`` counts as another site's URL, which needs a scheme.
    """
    if not url:
        return None
    # Judge the text as written and as it would read with HTML entities decoded, so that
    # "javascript&colon;…" cannot become a script URL in any later context.
    for form in (url, html.unescape(url)):
        cleaned = _IGNORED.sub("", form).strip(_SPACE_AND_CONTROLS)
        m = _SCHEME.match(cleaned)
        if m and m.group(1).lower() not in ALLOWED_SCHEMES:
            return None
        if not m and cleaned.startswith(("//", "\\\\", "/\\", "\\/")):
            return None
    return url.strip()


def render_markdown(text: str) -> Markup:
    """Markdown text as sanitized HTML, ready to put into a page."""
    if not text.strip():
        return Markup("")
    html = _parser().render(text)
    clean = nh3.clean(
        html,
        tags=set(_TAGS),
        attributes={k: set(v) for k, v in _ATTRIBUTES.items()},
        url_schemes=set(ALLOWED_SCHEMES),
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    )
    return Markup(clean)  # noqa: S704 - sanitized by nh3 just above


def plain_text(text: str, limit: int = 200) -> str:
    """A one-line plain-text summary of Markdown (for lists, search results, meta tags)."""
    if not text.strip():
        return ""
    bare = nh3.clean(_parser().render(text), tags=set(), strip_comments=True)
    flat = " ".join(html.unescape(bare).split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"
