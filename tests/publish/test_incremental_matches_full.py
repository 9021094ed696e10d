"""An incremental build leaves exactly the site a full build makes, edit after edit.

One small catalog (a revision group, provenance with a parent dataset and an experiment
block, tags, notices by id and by selector, two repositories, a sync report, git history)
goes through a sequence of edits. After each one the incremental build into ``_site/`` is
compared with a full build of the same catalog into a fresh folder: the same files, byte
for byte, except the search index's term shards, filter files and meta file, which an
incremental build patches in place by design (catalog/publish/search_update.py): new terms
and filter values are appended, so file numbers and key order depend on the edit history.
Those are compared as the site's search script reads them instead.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from catalog.publish import build_site
from catalog.publish.output import MARKER
from catalog.publish.postings import decode
from catalog.sync.report import FileReport, FileStatus, SyncReport, write_report
from tests.conftest import MakeCatalog, git

D_OLD = "11111111-1111-4111-8111-111111111111"  # revision group: unrevised, first default
D_REV = "22222222-2222-4222-8222-222222222222"  # revision group: revision 2024-01-01
D_PARENT = "33333333-3333-4333-8333-333333333333"  # first parent of D_CHILD
D_OTHER = "44444444-4444-4444-8444-444444444444"  # second parent of D_CHILD
D_CHILD = "55555555-5555-4555-8555-555555555555"  # made from a parent and a block output
D_DOOMED = "66666666-6666-4666-8666-666666666666"  # deleted by one edit
D_NEW = "77777777-7777-4777-8777-777777777777"  # added by one edit, joins the revision group

SESSION = "SW001/2024-01-05/001"
OTHER_SESSION = "SW001/2024-01-06/001"

STAMPED = frozenset({MARKER})
"""Files that legitimately differ between two builds of the same catalog.

The marker names the build that wrote the folder (a fresh id per build, so the next build
can tell its manifest belongs to this output). Two full builds differ in nothing else.
"""

PATCHED = re.compile(r"search/(meta\.js|t/\d+\.js|f/\d+\.js)")
"""Search index files an incremental build patches in place rather than lays out afresh."""


def dataset(
    uid: str,
    name: str,
    *,
    session: str = SESSION,
    repository: str = "local-main",
    extra: str = "",
) -> str:
    """A dataset record of the base catalog's type and format; ``extra`` is YAML lines."""
    return (
        f"kind: dataset\nuuid: {uid}\nname: {name}\nsession: {session}\ncollection: alf\n"
        f"dataset_type: spikes.times\ndata_format: npy\n{extra}"
        f"file_records:\n  - repository: {repository}\n    relative_path: {uid}/{name}\n"
    )


FILES: dict[str, str | bytes | None] = {
    ".gitignore": ".catalog/\n_site/\n",
    "records/datasets/s1/spikes.times.npy.yaml": None,  # replaced by the group below
    "records/repositories/http-mirror.yaml": (
        "kind: repository\nname: http-mirror\ntype: http\nurl: https://mirror.example.org/data\n"
        "data_url: https://mirror.example.org/data/\n"
    ),
    "records/formats/npy.yaml": (
        "kind: format\nname: npy\nfile_extension: .npy\ndescription: NumPy arrays.\n"
    ),
    "records/dataset-types/spikes.times.yaml": (
        'kind: dataset-type\nname: spikes.times\nfilename_pattern: "*spikes.times*.npy"\n'
        "description: Spike times in seconds.\n"
    ),
    "records/tags/curated.yaml": "kind: tag\nname: curated\ndescription: Checked by hand.\n",
    "records/revisions/2024-02-01.yaml": "kind: revision\nname: 2024-02-01\n",
    "records/datasets/group/old.yaml": dataset(
        D_OLD, "spikes.times.npy", extra="qc: PASS\ntags: [raw]\ndefault_dataset: false\n"
    ),
    "records/datasets/group/rev.yaml": dataset(
        D_REV, "spikes.times.npy", extra="revision: 2024-01-01\ntags: [raw]\n"
    ),
    "records/datasets/parents/parent.yaml": dataset(
        D_PARENT,
        "spikes.times.npy",
        session=OTHER_SESSION,
        extra="description: The sorted spikes.\n",
    ),
    "records/datasets/parents/other.yaml": dataset(
        D_OTHER, "spikes.times_other.npy", session=OTHER_SESSION, repository="http-mirror"
    ),
    "records/datasets/child.yaml": dataset(
        D_CHILD,
        "spikes.times_filtered.npy",
        session=OTHER_SESSION,
        extra=(
            f"provenance:\n  datasets: [{D_PARENT}]\n"
            "  block: {experiment: filtering, block: filter, output: kept}\n"
        ),
    ),
    "records/datasets/doomed.yaml": dataset(
        D_DOOMED, "spikes.times_doomed.npy", session=OTHER_SESSION, extra="tags: [raw]\n"
    ),
    "records/experiments/filtering.yaml": (
        "kind: experiment\nname: filtering\nrepository: local-main\nstatus: done\nblocks:\n"
        "  - name: filter\n    command: [python, -m, steps.filter]\n"
        f"    inputs: [{{name: spikes, dataset: {D_PARENT}}}]\n"
        "    outputs: [{name: kept, path: kept.npy}]\n    status: done\n"
    ),
    "records/notices/by-id.yaml": (
        f"kind: notice\nname: by-id\ntitle: One bad file\nimportance: MINOR\ndatasets: [{D_OLD}]\n"
    ),
    "records/notices/by-selector.yaml": (
        "kind: notice\nname: by-selector\ntitle: Raw data is shifted\nimportance: CRITICAL\n"
        "description: 'Use **revision** 2024-01-01.'\nselector:\n  tags: [raw]\n"
    ),
}


def sync_report(root: Path, status: FileStatus, detail: str, checked: str) -> None:
    """Write a sync report with one finding about each of three datasets' copies."""
    report = SyncReport(started=checked, finished=checked)
    for uid, name, repo in (
        (D_OLD, "spikes.times.npy", "local-main"),
        (D_DOOMED, "spikes.times_doomed.npy", "local-main"),
        (D_OTHER, "spikes.times_other.npy", "http-mirror"),
    ):
        report.add(FileReport(uid, repo, f"{uid}/{name}", status, checked, None, detail))
    write_report(root / ".catalog", report)


def edit(root: Path, rel: str, old: str, new: str) -> None:
    """Replace ``old`` (which must be there) by ``new`` in a record file."""
    path = root / rel
    text = path.read_text(encoding="utf-8")
    assert old in text, (rel, old)
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def tree(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` (relative POSIX path → bytes), but stamped or patched ones."""
    files = {p.relative_to(folder).as_posix(): p for p in folder.rglob("*") if p.is_file()}
    return {
        rel: p.read_bytes()
        for rel, p in files.items()
        if rel not in STAMPED and not PATCHED.fullmatch(rel)
    }


def loaded(folder: Path, name: str) -> Any:
    """The data an index file hands to ``catalogSearchLoaded(name, data)``."""
    text = (folder / f"search/{name}.js").read_text("utf-8")
    prefix = f"catalogSearchLoaded({json.dumps(name)},"
    assert text.startswith(prefix), name
    assert text.endswith(");\n"), name
    return json.loads(text[len(prefix) : -3])


def postings(lists: list[str]) -> tuple[tuple[int, ...], ...]:
    """A term's posting lists (weights 3, 2, 1) decoded, padded to three."""
    return tuple(tuple(decode(x)) for x in [*lists, "", "", ""][:3])


def search_view(folder: Path) -> dict[str, Any]:
    """The search index as site/static/search.js reads it, without its file layout.

    Shard and filter-file numbers, the order of terms within a shard and the cache-busting
    version (chained from the previous one when patched) are layout. What a query finds is
    not: each term with the shard key that leads to it and its postings, each split shard's
    prefix union, the members of each filter value (a value left with no members finds
    nothing, as an absent one does) and the counts. No shard or filter file lies about
    that meta does not name. (Sort segments and display rows are compared byte for byte.)
    """
    meta = loaded(folder, "meta")
    keys, split, facets = meta.pop("keys"), meta.pop("split"), meta.pop("facets")
    del meta["version"], meta["next_facet"]
    terms: dict[str, tuple[str, tuple[tuple[int, ...], ...]]] = {}
    unions: dict[str, tuple[tuple[int, ...], ...]] = {}
    for n, key in enumerate(keys):
        shard = loaded(folder, f"t/{n}")
        for term, lists in shard.get("t", {}).items():
            assert term not in terms, f"{folder}: {term!r} in two shards"
            terms[term] = (key, postings(lists))
        if split[n] == "1":
            unions[key] = postings(shard.get("p", []))
    filters: dict[tuple[str, str], tuple[int, tuple[int, ...]]] = {}
    for name, entries in facets.items():
        for value, n, count in entries:
            members = tuple(decode(loaded(folder, f"f/{n}")))
            assert count == len(members), f"{folder}: count of {name}={value}"
            if members:
                filters[(name, value)] = (count, members)
    named = {f"search/t/{n}.js" for n in range(len(keys))}
    named |= {f"search/f/{e[1]}.js" for entries in facets.values() for e in entries}
    present = {p.relative_to(folder).as_posix() for p in folder.glob("search/[tf]/*.js")}
    assert present == named, f"{folder}: index files meta does not name: {present - named}"
    return {"meta": meta, "terms": terms, "unions": unions, "filters": filters}


def differences(got: Path, want: Path, limit: int = 10) -> list[str]:
    """How the site ``got`` differs from ``want``: missing, extra, changed paths, first few."""
    a, b = tree(got), tree(want)
    out = [f"missing: {p}" for p in sorted(b.keys() - a.keys())]
    out += [f"extra: {p}" for p in sorted(a.keys() - b.keys())]
    out += [f"differs: {p}" for p in sorted(a.keys() & b.keys()) if a[p] != b[p]]
    sa, sb = search_view(got), search_view(want)
    for part, va in sa.items():
        vb = sb[part]
        if part == "meta":
            out += [
                f"search meta differs: {k}"
                for k in sorted(va.keys() | vb.keys())
                if va.get(k) != vb.get(k)
            ]
        else:
            out += [
                f"search {part} differ: {k}"
                for k in sorted(va.keys() | vb.keys(), key=str)
                if va.get(k) != vb.get(k)
            ]
    return out[:limit]


GROUP = "records/datasets/group"
PARENT = "records/datasets/parents/parent.yaml"
SELECTOR_NOTICE = "records/notices/by-selector.yaml"


def change_qc(root: Path) -> None:
    edit(root, f"{GROUP}/old.yaml", "qc: PASS", "qc: FAIL")


def flip_default(root: Path) -> None:
    edit(root, f"{GROUP}/old.yaml", "default_dataset: false\n", "")
    edit(root, f"{GROUP}/rev.yaml", "tags:", "default_dataset: false\ntags:")


def rename_parent(root: Path) -> None:
    # The child's page links to its parent by name; the parent keeps its uuid.
    edit(root, PARENT, "name: spikes.times.npy", "name: spikes.times_sorted.npy")
    edit(root, PARENT, "The sorted spikes.", "Re-sorted spikes.")


def move_provenance(root: Path) -> None:
    edit(root, "records/datasets/child.yaml", f"datasets: [{D_PARENT}]", f"datasets: [{D_OTHER}]")


def add_tag(root: Path) -> None:
    edit(
        root,
        "records/datasets/parents/other.yaml",
        "file_records:",
        "tags: [curated]\nfile_records:",
    )


def reselect_notice(root: Path) -> None:
    # From every raw dataset (old, rev, doomed) to the curated one (other).
    edit(root, SELECTOR_NOTICE, "importance: CRITICAL", "importance: MINOR")
    edit(root, SELECTOR_NOTICE, "tags: [raw]", "tags: [curated]")


def delete_dataset(root: Path) -> None:
    (root / "records/datasets/doomed.yaml").unlink()


def add_revision(root: Path) -> None:
    text = dataset(
        D_NEW,
        "spikes.times.npy",
        extra="revision: 2024-02-01\ndefault_dataset: false\ntags: [raw, curated]\n",
    )
    (root / f"{GROUP}/new.yaml").write_text(text, encoding="utf-8")


def move_data_url(root: Path) -> None:
    edit(
        root,
        "records/repositories/http-mirror.yaml",
        "data_url: https://mirror.example.org/data/",
        "data_url: https://files.example.org/public/",
    )


def describe_type(root: Path) -> None:
    edit(
        root,
        "records/dataset-types/spikes.times.yaml",
        "Spike times in seconds.",
        "Times of spikes, in seconds from the session start.",
    )


def describe_format(root: Path) -> None:
    edit(root, "records/formats/npy.yaml", "NumPy arrays.", "NumPy .npy arrays.")


def commit(root: Path) -> None:
    git(root, "add", "records")  # the deletion and the new record too
    git(root, "commit", "-q", "-m", "Edits of the day")


def new_sync_report(root: Path) -> None:
    sync_report(root, "missing", "not found", "2024-06-01T08:00:00Z")


EDITS: list[Callable[[Path], None]] = [
    change_qc,
    flip_default,
    rename_parent,
    move_provenance,
    add_tag,
    reselect_notice,
    delete_dataset,
    add_revision,
    move_data_url,
    describe_type,
    describe_format,
    commit,
    new_sync_report,
]


NARROW = {
    change_qc,
    flip_default,
    rename_parent,
    move_provenance,
    add_tag,
    delete_dataset,
    add_revision,
}
"""Edits of datasets alone: only the datasets they can reach are digested again."""
WIDE = {reselect_notice, move_data_url, describe_type, describe_format, new_sync_report}
"""Edits of what every dataset page may show: every dataset is digested again."""


def test_every_incremental_build_equals_a_full_build(
    make_catalog: MakeCatalog, tmp_path: Path
) -> None:
    root = make_catalog(FILES, git_init=True)
    sync_report(root, "hash_mismatch", "sha256 bad", "2024-05-01T10:00:00Z")
    assert build_site(root).full
    site = root / "_site"
    before = tmp_path / "full-0"
    build_site(root, out=before, full=True)
    assert differences(site, before) == []
    for n, change in enumerate(EDITS, 1):
        change(root)
        report = build_site(root)
        assert not report.full, change.__name__
        datasets = len(list((root / "records" / "datasets").rglob("*.yaml")))
        if change in NARROW:
            assert report.digested < datasets, change.__name__
        elif change in WIDE:
            assert report.digested == datasets, change.__name__
        full = tmp_path / f"full-{n}"
        build_site(root, out=full, full=True)
        assert differences(site, full) == [], f"after edit {n} ({change.__name__})"
        # Each edit shows on the site: none is a no-op that proves nothing.
        assert tree(full) != tree(before), f"edit {n} ({change.__name__}) changed no page"
        before = full
