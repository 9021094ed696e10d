"""Reading a built site back: the elements of each page, its links, its <head>."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

LINK_ATTRS = {"a": "href", "link": "href", "script": "src", "img": "src", "form": "action"}


@dataclass
class PageFacts:
    """What a link or safety check needs to know about one HTML page."""

    head_children: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    scripts: list[dict[str, str]] = field(default_factory=list)
    inline_scripts: list[str] = field(default_factory=list)
    links: list[str] = field(default_factory=list)
    ids: set[str] = field(default_factory=set)
    attrs: list[tuple[str, str, str]] = field(default_factory=list)


class _Reader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.facts = PageFacts()
        self.stack: list[str] = []
        self._script: dict[str, str] | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if self.stack and self.stack[-1] == "head":
            self.facts.head_children.append((tag, a))
        for k, v in a.items():
            self.facts.attrs.append((tag, k, v))
        if "id" in a:
            self.facts.ids.add(a["id"])
        if tag in LINK_ATTRS and LINK_ATTRS[tag] in a:
            self.facts.links.append(a[LINK_ATTRS[tag]])
        if tag == "script":
            self.facts.scripts.append(a)
            self._script, self._text = a, []
        if tag not in ("meta", "link", "br", "img", "input", "hr", "wbr"):
            self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag == "script" and self._script is not None:
            if "src" not in self._script:
                self.facts.inline_scripts.append("".join(self._text))
            self._script = None
        while self.stack and self.stack.pop() != tag:
            pass

    def handle_data(self, data: str) -> None:
        if self._script is not None:
            self._text.append(data)


def read(path: Path) -> PageFacts:
    """Parse one page."""
    r = _Reader()
    r.feed(path.read_text("utf-8"))
    return r.facts


def html_pages(out: Path) -> list[Path]:
    """Every HTML page of a built site."""
    return sorted(out.resolve().rglob("*.html"))


def broken_links(out: Path) -> list[str]:
    """Internal links (and #fragments) that lead nowhere, as 'page -> link'."""
    broken = []
    out = out.resolve()
    # 404.html is served at any depth, so its links start from the base URL (tested apart).
    facts = {p: read(p) for p in html_pages(out) if p.name != "404.html"}
    for page, f in facts.items():
        for link in f.links:
            parts = urlsplit(link)
            if parts.scheme in ("http", "https", "mailto"):
                continue
            assert not parts.scheme, f"{page}: unexpected URL scheme in {link!r}"
            target = (page.parent / unquote(parts.path)).resolve() if parts.path else page
            if not target.is_relative_to(out.resolve()) or not target.is_file():
                broken.append(f"{page.relative_to(out)} -> {link}")
            elif parts.fragment and target.suffix == ".html":
                ids = facts[target].ids if target in facts else read(target).ids  # 404
                if parts.fragment not in ids:
                    broken.append(f"{page.relative_to(out)} -> {link} (no such id)")
    return broken
