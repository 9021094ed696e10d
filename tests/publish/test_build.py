"""`catalog build`: a valid catalog in, a complete, safe, linked static site out."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from catalog.cli import main
from catalog.errors import CatalogError, ConfigError
from catalog.publish import build_site
from catalog.publish.output import Staging
from catalog.publish.paths import record_api, record_page
from catalog.sync.report import FileReport, SyncReport, write_report
from catalog.validate import load_catalog
from tests.conftest import MakeCatalog, git
from tests.publish.sitecheck import broken_links, html_pages, read

UUID1 = "11111111-1111-4111-8111-111111111111"
UUID2 = "22222222-2222-4222-8222-222222222222"


def dataset(uid: str, name: str = "spikes.times.npy", **extra: str) -> str:
    """A dataset record of the base catalog's type, with extra top-level lines."""
    lines = "".join(f"{k}: {v}\n" for k, v in extra.items())
    return (
        f"kind: dataset\nuuid: {uid}\nname: {name}\nsession: SW001/2024-01-05/001\n"
        f"collection: alf\ndataset_type: spikes.times\ndata_format: npy\n{lines}"
        f"file_records:\n  - repository: local-main\n    relative_path: {uid}/{name}\n"
    )


def test_example_site_has_a_page_and_json_for_every_record(example_site: Path) -> None:
    records = load_catalog(Path(__file__).resolve().parents[2])
    for e in records:
        key = e.model.key() if e.kind != "dataset" else e.model.uuid  # type: ignore[attr-defined]
        assert (example_site / record_page(e.kind, key)).is_file(), e.path
        assert json.loads((example_site / record_api(e.kind, key)).read_text())["source"] == e.path


def test_every_page_has_the_csp_first_in_head_and_no_inline_script(example_site: Path) -> None:
    pages = html_pages(example_site)
    assert len(pages) > 100
    for page in pages:
        facts = read(page)
        tag, attrs = facts.head_children[0]
        assert (tag, attrs.get("http-equiv")) == ("meta", "Content-Security-Policy"), page
        assert "script-src 'self'" in attrs["content"]
        assert "unsafe-inline" not in attrs["content"]
        assert not facts.inline_scripts or all(
            s.get("type") == "application/ld+json" for s in facts.scripts if "src" not in s
        ), page


def test_no_internal_link_is_broken(example_site: Path) -> None:
    assert broken_links(example_site) == []


def test_json_ld_describes_the_dataset(example_site: Path) -> None:
    page = next(example_site.glob("datasets/*.html"))
    text = page.read_text()
    data = json.loads(re.search(r'ld\+json">(.*?)</script>', text, re.S).group(1))  # type: ignore[union-attr]
    assert data["@type"] == "Dataset"
    assert data["identifier"] == page.stem
    assert data["includedInDataCatalog"]["name"] == "wren-lab-ephys"


def test_an_invalid_catalog_is_refused_and_nothing_written(make_catalog: MakeCatalog) -> None:
    root = make_catalog({"records/tags/bad.yaml": "kind: tag\nname: bad\nprotected: maybe\n"})
    result = CliRunner().invoke(main, ["build", "--root", str(root)])
    assert result.exit_code == 1
    assert "records/tags/bad.yaml:3" in result.output
    assert "nothing was written" in result.output
    assert not (root / "_site").exists()


@pytest.mark.parametrize(
    ("out", "message"),
    [(".", "it contains the catalog itself"), ("records/x", "inside the catalog's records")],
)
def test_refuses_to_build_over_the_catalog(
    make_catalog: MakeCatalog, out: str, message: str
) -> None:
    root = make_catalog()
    with pytest.raises(ConfigError, match=message):
        build_site(root, out=root / out)


def test_refuses_to_replace_a_folder_it_did_not_build(make_catalog: MakeCatalog) -> None:
    root = make_catalog({"docs/notes.txt": "mine"})
    with pytest.raises(ConfigError, match="files that no catalog build wrote"):
        build_site(root, out=root / "docs")
    assert (root / "docs/notes.txt").read_text() == "mine"


def test_a_failed_build_leaves_the_published_site_as_it_was(
    make_catalog: MakeCatalog, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = make_catalog()
    build_site(root)
    before = {p: p.read_bytes() for p in (root / "_site").rglob("*") if p.is_file()}
    write = Staging.write

    def full_disk(self: Staging, rel: str, data: bytes) -> None:
        # Fault injection: the disk fills up after a few files of the rebuild.
        if len(list(self.path.rglob("*.html"))) > 3:
            raise OSError(28, "No space left on device")
        write(self, rel, data)

    monkeypatch.setattr(Staging, "write", full_disk)
    with pytest.raises(OSError, match="No space"):
        build_site(root, full=True)
    after = {p: p.read_bytes() for p in (root / "_site").rglob("*") if p.is_file()}
    assert after == before
    assert not list(root.glob("._site.staging-*"))


def test_one_edit_rewrites_only_the_pages_that_show_it(make_catalog: MakeCatalog) -> None:
    root = make_catalog({f"records/datasets/s2/{UUID2}.yaml": dataset(UUID2, "spikes.times2.npy")})
    first = build_site(root)
    assert first.full
    assert first.written == first.files
    path = root / "records/datasets/s1/spikes.times.npy.yaml"
    path.write_text(path.read_text() + "qc: FAIL\n")
    second = build_site(root)
    assert not second.full
    html = read_written(root, second.written)
    assert record_page("dataset", UUID1) in html
    assert record_page("dataset", UUID2) not in html
    assert 0 < second.written < first.files / 3
    assert build_site(root).written == 0


def test_a_damaged_build_state_makes_the_next_build_full(make_catalog: MakeCatalog) -> None:
    import marshal

    from catalog.publish import KNOWN_KEY
    from catalog.publish.output import manifest_path

    root = make_catalog({f"records/datasets/s2/{UUID2}.yaml": dataset(UUID2, "spikes.times2.npy")})
    build_site(root)
    manifest = manifest_path(root / ".catalog", (root / "_site").absolute())
    state = marshal.loads(manifest.read_bytes())  # noqa: S302 - the build's own file
    state["extra"][KNOWN_KEY] = ("not", "what", "a", "build", "leaves")
    manifest.write_bytes(marshal.dumps(state))
    path = root / "records/datasets/s1/spikes.times.npy.yaml"
    path.write_text(path.read_text() + "qc: FAIL\n")
    again = build_site(root)
    assert again.full  # what it knew of the datasets is unreadable: nothing is trusted
    assert "FAIL" in (root / "_site" / record_page("dataset", UUID1)).read_text()
    assert not build_site(root).full


def read_written(root: Path, n: int) -> set[str]:
    """The site paths written most recently (the n newest files)."""
    files = [p for p in (root / "_site").rglob("*") if p.is_file()]
    files.sort(key=lambda p: p.stat().st_mtime_ns, reverse=True)
    return {p.relative_to(root / "_site").as_posix() for p in files[:n]}


def test_the_command_says_how_many_files_it_wrote(make_catalog: MakeCatalog) -> None:
    root = make_catalog()
    first = CliRunner().invoke(main, ["build", "--root", str(root)])
    assert first.exit_code == 0, first.output
    total = re.search(r"full build: wrote (\d+) of \1 files", first.output)
    assert total is not None, first.output
    again = CliRunner().invoke(main, ["build", "--root", str(root)])
    assert f"incremental build: wrote 0 of {total.group(1)} files" in again.output


def test_links_stay_relative_or_under_the_base_url(make_catalog: MakeCatalog) -> None:
    root = make_catalog()
    build_site(root, base_url="/lab/data/")
    out = root / "_site"
    for page in html_pages(out):
        for link in read(page).links:
            if link.startswith(("http://", "https://", "mailto:")):
                continue
            assert not link.startswith("/") or link.startswith("/lab/data/"), (page, link)
    sitemap = (out / "sitemaps/1.xml").read_text()
    assert "<loc>/lab/data/datasets/" in sitemap


def test_json_ld_in_a_page_cannot_be_closed_by_record_text(make_catalog: MakeCatalog) -> None:
    evil = '"</script><script>alert(1)</script>"'
    root = make_catalog(
        {"records/datasets/s1/spikes.times.npy.yaml": dataset(UUID1, description=evil)}
    )
    build_site(root)
    text = (root / "_site" / record_page("dataset", UUID1)).read_text()
    block = re.search(r'ld\+json">(.*?)</script>', text, re.S).group(1)  # type: ignore[union-attr]
    assert "<" not in block
    assert json.loads(block)["description"] == "</script><script>alert(1)</script>"


def test_the_api_index_is_paginated(
    make_catalog: MakeCatalog, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("catalog.publish.api.INDEX_PAGE", 1)
    root = make_catalog({f"records/datasets/s2/{UUID2}.yaml": dataset(UUID2, "spikes.times2.npy")})
    build_site(root)
    first = json.loads((root / "_site/api/dataset.json").read_text())
    assert (first["count"], first["pages"], first["next"]) == (2, 2, "api/dataset/index/2.json")
    second = json.loads((root / "_site/api/dataset/index/2.json").read_text())
    assert [i["key"] for i in first["items"] + second["items"]] == [UUID1, UUID2]


def test_sync_findings_show_on_dataset_and_repository_pages(make_catalog: MakeCatalog) -> None:
    root = make_catalog()
    report = SyncReport()
    path = "SW001/2024-01-05/001/alf/spikes.times.npy"
    checked = "2024-05-01T10:00:00Z"
    report.add(FileReport(UUID1, "local-main", path, "hash_mismatch", checked, None, "sha256 bad"))
    write_report(root / ".catalog", report)
    build_site(root)
    page = (root / "_site" / record_page("dataset", UUID1)).read_text()
    assert "hash mismatch" in page
    assert "sha256 bad" in page
    repo = (root / "_site" / record_page("repository", "local-main")).read_text()
    assert "Latest sync" in repo
    assert re.search(r'<span class="count">1</span> hash mismatch', repo)


def test_history_of_each_record_comes_from_git(make_catalog: MakeCatalog) -> None:
    root = make_catalog(git_init=True)
    path = root / "records/tags/raw.yaml"
    path.write_text(path.read_text() + "description: Unprocessed data.\n")
    git(root, "commit", "-qam", "Describe the raw tag")
    build_site(root)
    tag = (root / "_site" / record_page("tag", "raw")).read_text()
    dataset_page = (root / "_site" / record_page("dataset", UUID1)).read_text()
    assert "initial catalog" in dataset_page
    assert "Describe the raw tag" not in dataset_page
    assert "Describe the raw tag" in (root / "_site/index.html").read_text()
    assert "Unprocessed data." in tag


NOTICES = {
    "records/notices/minor.yaml": "kind: notice\nname: minor-one\ntitle: A minor thing\n"
    f"importance: MINOR\ndatasets: [{UUID1}]\n",
    "records/notices/raw-bug.yaml": "kind: notice\nname: raw-bug\ntitle: Raw data is shifted\n"
    "importance: CRITICAL\ndescription: 'Use **revision** 2024-01-01.'\n"
    "selector:\n  tags: [raw]\n",
}


def test_notices_reach_the_datasets_they_select_most_important_first(
    make_catalog: MakeCatalog,
) -> None:
    root = make_catalog(NOTICES)
    build_site(root)
    page = (root / "_site" / record_page("dataset", UUID1)).read_text()
    assert page.index("Raw data is shifted") < page.index("A minor thing")
    assert "<strong>revision</strong>" in page
    notice = (root / "_site" / record_page("notice", "raw-bug")).read_text()
    assert record_page("dataset", UUID1) in notice
    assert "Raw data is shifted" in (root / "_site/index.html").read_text()


def test_other_revisions_are_listed_with_the_default_marked(make_catalog: MakeCatalog) -> None:
    newer = dataset(UUID2, revision="2024-01-01").replace(
        f"relative_path: {UUID2}/", "relative_path: rev/"
    )
    old = dataset(UUID1, default_dataset="false")
    root = make_catalog(
        {"records/datasets/s1/spikes.times.npy.yaml": old, "records/datasets/r/new.yaml": newer}
    )
    build_site(root)
    page = (root / "_site" / record_page("dataset", UUID1)).read_text()
    section = page[page.index("Revisions of this dataset") :]
    assert record_page("dataset", UUID2).split("/")[1] in section
    assert '<span class="badge ok">default</span>' in section


def test_build_errors_name_the_problem(make_catalog: MakeCatalog) -> None:
    root = make_catalog({"records/datasets/s1/spikes.times.npy.yaml": dataset(UUID1, qc="MAYBE")})
    with pytest.raises(CatalogError, match=r"spikes.times.npy.yaml:\d+:\d+: .*qc"):
        build_site(root)


def test_a_deleted_record_loses_its_page_and_json(make_catalog: MakeCatalog) -> None:
    root = make_catalog({"records/tags/old.yaml": "kind: tag\nname: old\n"})
    build_site(root)
    assert (root / "_site" / record_page("tag", "old")).is_file()
    (root / "records/tags/old.yaml").unlink()
    report = build_site(root)
    assert report.removed >= 2  # its page, its JSON, and index files it alone filled
    assert not (root / "_site" / record_page("tag", "old")).exists()
    assert not (root / "_site" / record_api("tag", "old")).exists()


def test_the_not_found_page_links_from_the_base_url(make_catalog: MakeCatalog) -> None:
    root = make_catalog()
    build_site(root, base_url="/lab/")
    links = read(root / "_site/404.html").links
    assert "/lab/static/site.css" in links
    assert all(link.startswith(("/lab/", "#")) for link in links)
