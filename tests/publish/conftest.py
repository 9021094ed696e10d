"""Fixtures of the site tests: built sites, a static server on 127.0.0.1, headless Chromium."""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from catalog.publish import build_site

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
WATCH_SCRIPT = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__violations.push(e.violatedDirective + " " + e.blockedURI);
});
"""


def copy_example(dest: Path) -> Path:
    """A copy of the bundled example catalog (catalog.yaml and records/)."""
    dest.mkdir(parents=True, exist_ok=True)
    shutil.copy(REPO / "catalog.yaml", dest / "catalog.yaml")
    shutil.copytree(REPO / "records", dest / "records")
    return dest


@pytest.fixture(scope="session")
def example_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example catalog, built once for the whole session."""
    root = copy_example(tmp_path_factory.mktemp("example") / "catalog")
    out = root.parent / "site"
    build_site(root, out=out)
    return out


class _QuietHandler(SimpleHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as any real static host
    disable_nagle_algorithm = True  # as static hosts do: no 40 ms wait on delayed ACKs

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the stdlib's name
        pass


@contextmanager
def serve(folder: Path) -> Iterator[str]:
    """Serve ``folder`` over HTTP on 127.0.0.1 in a thread; yields the base URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(_QuietHandler, directory=str(folder)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.fixture(scope="session")
def example_url(example_site: Path) -> Iterator[str]:
    """The built example site, served on 127.0.0.1."""
    with serve(example_site) as url:
        yield url


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """One headless Chromium (Debian's) for the whole session."""
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian's chromium is not installed (.ci/run installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@dataclass
class Watched:
    """A browser page and everything it reported."""

    page: Any
    errors: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)

    def open(self, url: str) -> Any:
        """Go to ``url`` and wait until the page and its scripts are idle."""
        self.page.goto(url, wait_until="load")
        if self.page.query_selector("[data-state]") is not None:
            self.page.wait_for_selector("[data-state=done], [data-state=idle], [data-state=error]")
        return self.page

    def violations(self) -> list[str]:
        """CSP violations reported by the current page."""
        return list(self.page.evaluate("window.__violations || []"))


@pytest.fixture
def watched(browser: Any) -> Iterator[Watched]:
    """A fresh browser page that records console errors, dialogs, requests."""
    context = browser.new_context()
    context.add_init_script(WATCH_SCRIPT)
    page = context.new_page()
    w = Watched(page)
    page.on("console", lambda m: w.errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: w.errors.append(str(e)))
    page.on("dialog", lambda d: (w.dialogs.append(d.message), d.dismiss()))
    page.on("request", lambda r: w.requests.append(r.url))
    yield w
    context.close()
