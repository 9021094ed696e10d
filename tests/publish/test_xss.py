"""Hostile text in records — names, titles, descriptions, tags, URLs — never runs as script.

Every payload of the corpus goes into a dataset (name, description, tag, file paths, a
download URL), a tag, and a notice (name, title, description). The built site is opened in
Chromium over 127.0.0.1 and from file://, including search results drawn by script.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from catalog.publish import build_site
from tests.conftest import write_files
from tests.publish.conftest import Watched, serve
from tests.publish.sitecheck import html_pages, read
from tests.publish.xss_payloads import PAYLOADS

DOM_CHECK = """() => {
  const found = [];
  for (const el of document.querySelectorAll("*")) {
    for (const a of el.attributes) {
      const v = a.value.replace(/[\\u0000-\\u0020]/g, "").toLowerCase();
      if (a.name.startsWith("on")) found.push(el.tagName + " has " + a.name);
      if (/^(javascript|vbscript|data):/.test(v) && a.name !== "content")
        found.push(el.tagName + " " + a.name + "=" + a.value);
      if ((a.name === "id" || a.name === "name") && !/^[a-z][a-z0-9._-]*$/.test(a.value))
        found.push(el.tagName + " " + a.name + "=" + a.value);
    }
  }
  if (document.querySelector("iframe, frame, object, embed, base, body style, main script"))
    found.push("foreign element");
  const loader = typeof window.catalogSearchLoaded;
  if (loader !== "undefined" && loader !== "function") found.push("clobbered loader");
  return found;
}"""


GROUP = 4
"""Payloads per record: every record carries several, so the site stays small to browse."""


def _name(i: int, payloads: list[str]) -> str:
    """A record name carrying payloads (names may not hold '/', '\\' or controls)."""
    cleaned = re.sub(r"[/\\\x00-\x1f\x7f]", "", " ".join(payloads))
    return f"x{i} {cleaned}"[:200].strip()


def _path(i: int, payloads: list[str]) -> str:
    text = re.sub(r"[^A-Za-z0-9<>\"' =();:&#!?-]", "_", " ".join(payloads))
    return f"p{i}/" + text[:200].replace("..", "_")


def xss_files() -> dict[str, str]:
    """A valid catalog with every payload in every kind of place."""
    files = {
        "catalog.yaml": "name: xss\nsite:\n  title: '<script>alert(\"title\")</script>'\n",
        "records/repositories/main.yaml": json.dumps(
            {"kind": "repository", "name": "main", "type": "local", "url": "data",
             "data_url": "https://data.example/files"}
        ),
        "records/repositories/mirror.yaml": json.dumps(
            {"kind": "repository", "name": "mirror", "type": "http", "url": "https://m.example",
             "data_url": 'https://m.example/"><script>alert("repo")</script>'}
        ),
        "records/formats/raw.yaml": json.dumps({"kind": "format", "name": "raw"}),
        "records/dataset-types/any.yaml": json.dumps(
            {"kind": "dataset-type", "name": "any", "filename_pattern": "*"}
        ),
    }  # fmt: skip
    for i in range(0, len(PAYLOADS), GROUP):
        group = PAYLOADS[i : i + GROUP]
        text = "\n\n".join(group)
        uid = str(uuid.UUID(int=i + 1, version=4))
        files[f"records/tags/t{i}.yaml"] = json.dumps(
            {"kind": "tag", "name": _name(i, group), "description": text}
        )
        files[f"records/datasets/d{i}.yaml"] = json.dumps(
            {"kind": "dataset", "uuid": uid, "name": _name(i, group), "description": text,
             "session": f"s{i}", "dataset_type": "any", "data_format": "raw",
             "tags": [_name(i, group)], "created_by": group[0], "version": group[-1][:50],
             "file_records": [{"repository": "main", "relative_path": _path(i, group)},
                              {"repository": "mirror", "relative_path": _path(i, group)}]}
        )  # fmt: skip
        files[f"records/notices/n{i}.yaml"] = json.dumps(
            {"kind": "notice", "name": _name(i, group), "title": " ".join(group),
             "description": text, "importance": ["CRITICAL", "MAJOR", "MINOR"][i % 3],
             "datasets": [uid], "version_affected": group[1][:40]}
        )  # fmt: skip
    block = _name(1, PAYLOADS[12:14])
    files["records/experiments/x.yaml"] = json.dumps(
        {"kind": "experiment", "name": _name(0, PAYLOADS[16:18]), "description": PAYLOADS[16],
         "author": PAYLOADS[0], "status": "failed",
         "blocks": [{"name": block, "command": ["python", PAYLOADS[8]], "status": "failed",
                     "stdout": PAYLOADS[9], "stderr": PAYLOADS[0], "error_report": PAYLOADS[13],
                     "parameters": {PAYLOADS[0]: PAYLOADS[16]}}],
         "results": [{"name": "r1", "type": "string", "value": PAYLOADS[0], "primary": True}]}
    )  # fmt: skip
    return files


@pytest.fixture(scope="session")
def xss_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The payload catalog, built once."""
    root = tmp_path_factory.mktemp("xss") / "catalog"
    write_files(root, xss_files())  # type: ignore[arg-type]
    out = root.parent / "site"
    build_site(root, out=out)
    return out


@pytest.fixture(scope="session")
def xss_url(xss_site: Path) -> Iterator[str]:
    """The payload site served on 127.0.0.1."""
    with serve(xss_site) as url:
        yield url


def test_the_corpus_has_at_least_60_payloads() -> None:
    assert len(set(PAYLOADS)) >= 60


def test_pages_keep_csp_first_and_carry_no_inline_script(xss_site: Path) -> None:
    for page in html_pages(xss_site):
        facts = read(page)
        assert facts.head_children[0][1].get("http-equiv") == "Content-Security-Policy", page
        assert facts.inline_scripts == [] or all(
            s.get("type") == "application/ld+json" for s in facts.scripts if "src" not in s
        ), page
        assert not [(t, k) for t, k, _ in facts.attrs if k.startswith("on")], page


def test_json_ld_of_every_dataset_parses_and_never_closes_its_element(xss_site: Path) -> None:
    pages = list(xss_site.glob("datasets/*-*.html"))
    assert len(pages) == -(-len(PAYLOADS) // GROUP)
    for page in pages:
        block = page.read_text().split('<script type="application/ld+json">', 1)[1]
        block = block.split("</script>", 1)[0]
        assert "<" not in block
        assert json.loads(block)["@type"] == "Dataset"


def _check(w: Watched, url: str) -> list[str]:
    w.page.goto(url, wait_until="load")
    if w.page.query_selector("[data-state]") is not None:
        w.page.wait_for_selector("[data-state=done], [data-state=idle], [data-state=error]")
    found: list[str] = w.page.evaluate(DOM_CHECK)
    return found + w.violations()


@pytest.mark.browser
@pytest.mark.parametrize("origin", ["http", "file"])
def test_no_payload_runs_in_any_page(
    watched: Watched, xss_site: Path, xss_url: str, origin: str
) -> None:
    base = xss_url if origin == "http" else xss_site.resolve().as_uri() + "/"
    pages = [p.relative_to(xss_site.resolve()).as_posix() for p in html_pages(xss_site)]
    if origin == "file":
        pages.remove("404.html")  # hosts serve it for missing URLs; its links start at "/"
    searches = [
        "search.html?q=alert",
        "search.html?q=script&kind=notice",
        "search.html?q=proto",
        "search.html?q=constructor",
        "datasets/index.html?q=onerror",
        "datasets/index.html?sort=type&dir=desc",
    ]
    problems: dict[str, Any] = {}
    for rel in pages + searches:
        found = _check(watched, base + rel)
        if found:
            problems[rel] = found
    assert problems == {}
    assert watched.dialogs == []
    assert watched.errors == []
    assert [r for r in watched.requests if not r.startswith(base)] == []


@pytest.mark.browser
def test_search_results_show_payloads_as_text(watched: Watched, xss_url: str) -> None:
    page = watched.open(xss_url + "search.html?q=alert&kind=notice")
    titles = page.locator("#search-results .title a").all_inner_texts()
    assert any("<script>alert(1)</script>" in t for t in titles)
    assert page.locator("#search-results script").count() == 0
    assert watched.dialogs == []
