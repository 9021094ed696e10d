"""Markdown from records is sanitized; URLs from records pass a scheme allowlist."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

from catalog.publish.linkeddata import script_json
from catalog.publish.markdown import plain_text, render_markdown, safe_url


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "JaVaScRiPt:alert(1)",
        " \tjava\nscript:alert(1)",
        "\x01javascript:alert(1)",
        "javascript&colon;alert(1)",
        "&#106;avascript:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "vbscript:msgbox(1)",
        "file:///etc/passwd",
        "//evil.example/x",
        "\\\\evil.example\\x",
    ],
)
def test_unsafe_urls_are_dropped(url: str) -> None:
    assert safe_url(url) is None


@pytest.mark.parametrize(
    "url", ["https://example.org/a?b=1", "http://x.test", "mailto:data@lab.test", "../a.html", "#f"]
)
def test_safe_urls_are_kept(url: str) -> None:
    assert safe_url(url) == url


class _Elements(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[str, dict[str, str]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found.append((tag, {k: v or "" for k, v in attrs}))


def elements(html: str) -> list[tuple[str, dict[str, str]]]:
    """The start tags of an HTML fragment with their attributes."""
    parser = _Elements()
    parser.feed(html)
    return parser.found


@pytest.mark.parametrize(
    "markdown",
    [
        "<script>alert(1)</script>",
        "<img src=x onerror=alert(1)>",
        '<a href="#" onclick="alert(1)">x</a>',
        "[x](javascript:alert(1))",
        "[x](JAVASCRIPT&#58;alert(1))",
        "[x](data:text/html;base64,PHNjcmlwdD4=)",
        "![x](https://tracker.example/pixel.png)",
        '<iframe srcdoc="<script>alert(1)</script>"></iframe>',
        '<p id="__proto__">x</p>',
        "<svg onload=alert(1)>",
    ],
)
def test_markdown_cannot_carry_script_or_foreign_content(markdown: str) -> None:
    for tag, attrs in elements(str(render_markdown(markdown))):
        assert tag in {"p", "a", "em", "strong", "code"}, tag
        assert not any(k.startswith("on") or k in ("id", "name", "style") for k in attrs)
        assert safe_url(attrs.get("href", "#")) is not None


def test_markdown_keeps_formatting_and_safe_links() -> None:
    html = str(render_markdown("**bold** and [docs](https://lab.test/docs)\n\n| a |\n|---|\n| 1 |"))
    assert "<strong>bold</strong>" in html
    assert 'href="https://lab.test/docs"' in html
    assert "<table>" in html


def test_json_for_script_elements_cannot_close_the_element() -> None:
    text = str(script_json({"name": "</script><script>alert(1)</script>", "x": "a & b"}))
    assert "<" not in text
    assert ">" not in text
    assert "&" not in text


def test_plain_text_summary_is_one_line_without_markup() -> None:
    assert plain_text("# Title\n\nSome **bold** `code`.\n\nMore.", 20) == "Title Some bold cod…"
