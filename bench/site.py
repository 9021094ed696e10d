"""How fast is `catalog build`, and how little does one search transfer, at 10k and 100k datasets?

Generates the synthetic catalog of ``bench/validate.py`` (repositories, formats, 100 dataset
types, tags, revisions, notices and N datasets filed by session), then measures:

* full build: every page, JSON file and the search index, from a warm record cache (the
  cold load is measured apart, as ``catalog validate`` would do it);
* the rebuild after editing one dataset, and how many files it wrote;
* the search index: build time, size, file count, largest file;
* queries in headless Chromium against the site served on 127.0.0.1 by a static file server
  in its own process (HTTP/1.1 keep-alive, as any static host), and from file://: bytes
  transferred and milliseconds to results, cold (first query, nothing cached); beside them
  the peer a single JSON blob of every record would need (what breaks static catalogs at a
  few thousand).

Wall-clock times on a shared machine are noisy, so CPU seconds (this process and its
workers) are printed next to them.

Usage::

    python bench/site.py                          # 10,000 datasets
    python bench/site.py --datasets 10000,100000  # both sizes of the targets
    python bench/site.py --json                   # one JSON object instead of the table

Targets (2 cores): 100k datasets fully built (search included) <= 120 s; a one-record
rebuild at 100k <= 3 s; one query < 500 kB and < 300 ms.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

HERE = Path(__file__).resolve().parent
# Run as a script, bench/ comes first on sys.path, and its git.py would shadow GitPython.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]
sys.path.insert(0, str(HERE.parent))

from catalog.publish import BuildReport, build_site  # noqa: E402
from catalog.validate import validate  # noqa: E402
from tests.publish.conftest import CHROMIUM, CHROMIUM_ARGS  # noqa: E402


def _generator() -> Callable[[Path, int], int]:
    """The synthetic catalog generator of bench/validate.py."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("bench_validate", HERE / "validate.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.generate  # type: ignore[no-any-return]


QUERIES = [
    ("one word", "search.html?q=attr2"),
    ("prefix", "search.html?q=obj1"),
    ("two words", "search.html?q=obj12%20attr3"),
    ("session", "search.html?q=SW000"),
    ("word + filters", "search.html?q=attr1&tag=tag3&qc=PASS"),
    ("table filter", "datasets/index.html?type=obj3.attr1&tag=tag2"),
    ("table sort", "datasets/index.html?sort=size&dir=desc"),
]


def _cpu() -> float:
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def _timed(fn: Callable[[], BuildReport]) -> tuple[float, float, BuildReport]:
    wall, cpu = time.perf_counter(), _cpu()
    report = fn()
    return time.perf_counter() - wall, _cpu() - cpu, report


def _size(folder: Path) -> tuple[int, int, int]:
    sizes = [p.stat().st_size for p in folder.rglob("*") if p.is_file()]
    return sum(sizes), len(sizes), max(sizes, default=0)


def _static_host(folder: str) -> None:
    """Serve ``folder`` on 127.0.0.1 (the child process of ``serving``); print the port."""
    from functools import partial
    from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

    class Handler(SimpleHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as any real static host
        # Headers and body go out in two writes: with Nagle's algorithm on, the body waits
        # for the client's delayed ACK (40 ms on Linux). Static hosts set TCP_NODELAY.
        disable_nagle_algorithm = True

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(Handler, directory=folder))
    print(server.server_address[1], flush=True)
    server.serve_forever()


@contextmanager
def serving(site: Path) -> Iterator[str]:
    """The site served by a static file server in its own process (not this one, whose
    Python also drives the browser); yields the base URL."""
    child = subprocess.Popen(
        [sys.executable, __file__, "--serve", str(site)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert child.stdout is not None
        port = int(child.stdout.readline())
        yield f"http://127.0.0.1:{port}/"
    finally:
        child.terminate()
        child.wait(timeout=10)


REPEATS = 3
"""Cold runs of each query: the median is compared with the target (one run on a shared
two-core machine is sometimes slowed by whatever else runs); the slowest is shown too."""


def measure_queries(site: Path) -> list[dict[str, Any]]:
    """Bytes and milliseconds of each query, cold, in headless Chromium, served and from disk."""
    from playwright.sync_api import sync_playwright

    out = []
    with serving(site) as base, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for label, path in QUERIES:
            row: dict[str, Any] = {"query": label, "path": path}
            for origin, root in (("http", base), ("file", site.resolve().as_uri() + "/")):
                times = []
                for _ in range(REPEATS):
                    context = browser.new_context()  # nothing cached from an earlier run
                    page = context.new_page()
                    got: list[str] = []

                    def count(request: Any, got: list[str] = got) -> None:
                        if "/search/" in request.url:
                            got.append(unquote(urlsplit(request.url).path).split("/search/", 1)[1])

                    page.on("requestfinished", count)
                    page.goto(root + path)
                    page.wait_for_selector("[data-state=done], [data-state=error]", timeout=60_000)
                    status = page.locator("[data-state]").first
                    times.append(float(status.get_attribute("data-ms") or -1))
                    row["results"] = int(status.get_attribute("data-total") or -1)
                    files = [site / "search" / p for p in got]
                    row["bytes"] = sum(f.stat().st_size for f in files)
                    row["gzip_bytes"] = sum(len(gzip.compress(f.read_bytes())) for f in files)
                    row["files"] = len(files)
                    context.close()
                row[f"{origin}_ms"] = statistics.median(times)
                row[f"{origin}_max_ms"] = max(times)
            out.append(row)
        browser.close()
    return out


def run(n: int, workdir: Path | None, browser: bool) -> dict[str, Any]:
    """Generate n datasets, build, edit one, rebuild, query; return the figures."""
    tmp = Path(tempfile.mkdtemp(prefix="catalog-site-bench-", dir=workdir))
    try:
        _generator()(tmp, n)
        t = time.perf_counter()
        validate(tmp)
        load_cold = time.perf_counter() - t
        full_wall, full_cpu, full = _timed(lambda: build_site(tmp))
        site = tmp / "_site"
        pages = sum(1 for _ in site.rglob("*.html"))
        edited = next((tmp / "records/datasets").rglob("*.yaml"))
        edited.write_text(edited.read_text().replace("qc: PASS", "qc: WARNING"))
        inc_wall, inc_cpu, inc = _timed(lambda: build_site(tmp))
        search_bytes, search_files, search_largest = _size(site / "search")
        blob = sum(p.stat().st_size for p in (site / "search/d").iterdir())
        queries = measure_queries(site) if browser else []
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return {
        "datasets": n,
        "files": full.files,
        "pages": pages,
        "load_cold_s": round(load_cold, 2),
        "full_s": round(full_wall, 2),
        "full_cpu_s": round(full_cpu, 2),
        "full_phases": full.seconds,
        "pages_per_s": round(pages / full_wall),
        "files_per_s": round(full.files / full_wall),
        "incremental_s": round(inc_wall, 2),
        "incremental_cpu_s": round(inc_cpu, 2),
        "incremental_phases": inc.seconds,
        "incremental_written": inc.written,
        "index_s": full.seconds.get("search", 0.0),
        "index_bytes": search_bytes,
        "index_files": search_files,
        "index_largest_file": search_largest,
        "single_blob_bytes": blob,
        "queries": queries,
        "cores": os.cpu_count(),
        "load_average": round(os.getloadavg()[0], 1),
    }


def table(results: list[dict[str, Any]]) -> str:
    """The figures as plain-text tables with the targets beside them."""
    out = [
        f"site build on {results[0]['cores']} cores (load average at the end: "
        + ", ".join(str(r["load_average"]) for r in results)
        + ")",
        f"{'datasets':>9} {'files':>8} {'full s':>8} {'cpu s':>7} {'pages/s':>8} "
        f"{'1 edit s':>9} {'cpu s':>6} {'wrote':>6} {'index s':>8} {'index MB':>9}",
        "-" * 88,
    ]
    for r in results:
        out.append(
            f"{r['datasets']:>9,} {r['files']:>8,} {r['full_s']:>8.1f} {r['full_cpu_s']:>7.1f} "
            f"{r['pages_per_s']:>8,} {r['incremental_s']:>9.2f} {r['incremental_cpu_s']:>6.2f} "
            f"{r['incremental_written']:>6} {r['index_s']:>8.1f} "
            f"{r['index_bytes'] / 1e6:>9.1f}"
        )
    out.append("-" * 88)
    out.append("targets at 100k: full build <= 120 s; one-record rebuild <= 3 s")
    for r in results:
        out.append(f"phases at {r['datasets']:,}: full {r['full_phases']}")
        out.append(f"{'':>{len(str(r['datasets'])) + 13}}1 edit {r['incremental_phases']}")
        out.append(
            f"cold load (catalog validate, no cache) {r['load_cold_s']} s; largest index file "
            f"{r['index_largest_file'] / 1e3:.0f} kB of {r['index_files']:,}"
        )
    for r in results:
        if not r["queries"]:
            continue
        out.append("")
        out.append(
            f"queries at {r['datasets']:,} datasets, cold, Chromium; a static server on 127.0.0.1 "
            f"(peer: one JSON blob of all rows = {r['single_blob_bytes'] / 1e3:,.0f} kB)"
        )
        out.append(
            f"{'query':<16} {'results':>8} {'kB':>7} {'gzip kB':>8} {'files':>6} "
            f"{'http ms':>8} {'(max)':>6} {'file ms':>8} {'(max)':>6}  target (median of "
            f"{REPEATS})"
        )
        for q in r["queries"]:
            ok = q["bytes"] < 500_000 and max(q["http_ms"], q["file_ms"]) < 300
            out.append(
                f"{q['query']:<16} {q['results']:>8,} {q['bytes'] / 1e3:>7.1f} "
                f"{q['gzip_bytes'] / 1e3:>8.1f} {q['files']:>6} {q['http_ms']:>8.1f} "
                f"{q['http_max_ms']:>6.0f} {q['file_ms']:>8.1f} {q['file_max_ms']:>6.0f}  "
                f"<500 kB, <300 ms: {'ok' if ok else 'MISSED'}"
            )
    return "\n".join(out)


def main() -> None:
    """Command line: generate, build, query, print."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--datasets", default="10000", help="comma-separated sizes")
    ap.add_argument("--json", action="store_true", help="print one JSON object")
    ap.add_argument("--workdir", type=Path, default=None, help="where to make the temp catalogs")
    ap.add_argument("--no-browser", action="store_true", help="skip the Chromium queries")
    ap.add_argument("--site", type=Path, help="only query this built site (no build)")
    ap.add_argument("--serve", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.serve:
        _static_host(args.serve)
        return
    if args.site:
        for q in measure_queries(args.site):
            print(json.dumps(q))
        return
    sizes = [int(x) for x in args.datasets.split(",")]
    results = [run(n, args.workdir, not args.no_browser) for n in sizes]
    print(json.dumps(results) if args.json else table(results))


if __name__ == "__main__":
    main()
