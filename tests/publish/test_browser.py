"""The example site in headless Chromium, over 127.0.0.1 and from file://: what readers do."""

from __future__ import annotations

from pathlib import Path

import pytest

from catalog.publish import build_site
from tests.conftest import MakeCatalog
from tests.publish.conftest import Watched
from tests.publish.sitecheck import html_pages
from tests.publish.test_build import dataset
from tests.publish.test_search_index import UUIDS

pytestmark = pytest.mark.browser


@pytest.fixture(params=["http", "file"])
def site(request: pytest.FixtureRequest, example_site: Path, example_url: str) -> str:
    """The base URL of the example site, served or straight from disk."""
    return example_url if request.param == "http" else example_site.resolve().as_uri() + "/"


def assert_clean(w: Watched, base: str) -> None:
    """No console error, no dialog, no CSP violation, no request outside the site."""
    assert w.errors == []
    assert w.dialogs == []
    assert w.violations() == []
    assert [r for r in w.requests if not r.startswith(base)] == []


def test_home_shows_counts_and_the_critical_notice_first(watched: Watched, site: str) -> None:
    page = watched.open(site + "index.html")
    banner = page.locator(".banner-item").first
    assert "CRITICAL" in banner.inner_text().upper()
    assert page.locator(".card").count() == 10
    assert page.locator(".card .count").first.inner_text().isdigit()
    assert_clean(watched, site)


def test_search_a_dataset_by_name_and_open_it(watched: Watched, site: str) -> None:
    page = watched.open(site + "search.html")
    page.fill("#search-q", "probabilityLeft")
    page.wait_for_selector("#search-status[data-state=done]")
    results = page.locator("#search-results li")
    assert results.count() >= 3
    assert all("probabilityLeft" in t for t in results.all_inner_texts())
    results.first.locator("a").click()
    page.wait_for_url("**/datasets/*.html")
    assert "_ibl_trials.probabilityLeft.npy" in page.locator("h1").inner_text()
    assert_clean(watched, site)


def test_search_index_meta_loads_with_the_page_once(watched: Watched, site: str) -> None:
    # The page names search/meta.js in its head so it downloads beside the page; the query
    # must use that copy (or, when it arrived first, the data it left) instead of asking again.
    page = watched.open(site + "search.html?q=probabilityLeft")
    page.wait_for_selector("#search-status[data-state=done]")
    assert page.locator("#search-results li").count() >= 3
    assert page.locator("head script[data-search-meta]").count() == 1
    metas = [u for u in watched.requests if u.split("?")[0].endswith("/search/meta.js")]
    assert len(metas) == 1, metas
    assert_clean(watched, site)


def test_search_finds_words_by_prefix_and_filters_by_kind(watched: Watched, site: str) -> None:
    page = watched.open(site + "search.html?q=prob&kind=dataset-type")
    rows = page.locator("#search-results li")
    assert rows.count() >= 2
    assert set(page.locator("#search-results .kind-label").all_inner_texts()) == {"DATASET-TYPE"}
    assert_clean(watched, site)


def test_filter_and_sort_the_datasets_table(watched: Watched, site: str) -> None:
    page = watched.open(site + "datasets/index.html")
    everything = int(page.get_attribute("#table-status", "data-total") or 0)
    page.select_option("select[name=type]", "spikes.times")
    page.wait_for_selector("#table-status[data-state=done]")
    types = page.locator("#table-body tr td:nth-child(2)").all_inner_texts()
    assert 0 < len(types) < everything
    assert set(types) == {"spikes.times"}
    page.select_option("select[name=type]", "")
    page.click("th[data-sort=qc]")
    page.wait_for_selector("th[data-sort=qc][aria-sort=ascending]")
    page.wait_for_selector("#table-status[data-state=done]")
    qcs = page.locator("#table-body .badge[class*=qc-]").all_inner_texts()
    order = ["CRITICAL", "FAIL", "WARNING", "PASS", "NOT SET"]
    assert [order.index(q.upper()) for q in qcs] == sorted(order.index(q.upper()) for q in qcs)
    assert_clean(watched, site)


def test_a_filtered_table_link_from_a_tag_page(watched: Watched, site: str) -> None:
    page = watched.open(site + "datasets/index.html?tag=2024_paper&default=yes")
    assert page.locator("select[name=tag]").input_value() == "2024_paper"
    rows = page.locator("#table-body tr")
    assert rows.count() > 0
    assert all("2024_paper" in t for t in rows.all_inner_texts())
    assert_clean(watched, site)


def test_follow_a_notice_to_an_affected_dataset(watched: Watched, site: str) -> None:
    page = watched.open(site + "notices/index.html")
    page.locator("table.index a").first.click()
    page.wait_for_url("**/notices/*.html")
    title = page.locator("h1").evaluate("h => h.firstChild.textContent.trim()")
    page.locator("table.datasets tbody a").first.click()
    page.wait_for_url("**/datasets/*.html")
    assert any(title in c for c in page.locator(".notices .callout").all_inner_texts())
    assert_clean(watched, site)


def test_an_experiment_shows_its_block_graph(watched: Watched, site: str) -> None:
    page = watched.open(site + "experiments/index.html")
    page.locator("table.index a").first.click()
    page.wait_for_url("**/experiments/*.html")
    nodes = page.locator("svg.graph a.graph-node")
    assert nodes.count() == page.locator("article.block").count() >= 2
    nodes.nth(1).click()
    target = page.evaluate("location.hash")
    assert page.locator(f"article{target}").is_visible()
    assert_clean(watched, site)


def test_no_page_has_console_errors_or_foreign_requests(
    watched: Watched, example_site: Path, site: str
) -> None:
    pages = [p.relative_to(example_site.resolve()).as_posix() for p in html_pages(example_site)]
    if site.startswith("file:"):
        pages.remove("404.html")  # hosts serve it for missing URLs; its links start at "/"
    for rel in pages:
        watched.open(site + rel)
        assert watched.violations() == [], rel
    assert watched.errors == []
    assert watched.dialogs == []
    assert [r for r in watched.requests if not r.startswith(site)] == []
    assert len(pages) > 100


def test_sorting_reads_the_order_segment_by_segment(
    watched: Watched, make_catalog: MakeCatalog, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("catalog.publish.search.SORT_SEGMENT", 2)
    sizes = [5000, 100, 70000, 300, 9]
    files = {
        f"records/datasets/d{i}.yaml": dataset(u, f"spikes.times{i}.npy", file_size=str(n))
        for i, (u, n) in enumerate(zip(UUIDS, sizes, strict=True))
    }
    root = make_catalog(files)
    build_site(root)
    base = (root / "_site").resolve().as_uri() + "/"
    ascending = ["9 B", "100 B", "300 B", "5.0 kB", "70.0 kB"]
    for direction, expected in (("asc", ascending), ("desc", ascending[::-1])):
        page = watched.open(base + f"datasets/index.html?sort=size&dir={direction}")
        shown = [t for t in page.locator("#table-body td.num").all_inner_texts() if t]
        assert shown == expected
    assert watched.errors == []
