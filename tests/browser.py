"""Shared helpers for the real-browser tests (tests/test_mapview.py, tests/test_app_browser.py).

* `launch_chromium` — behind the `browser` fixture in conftest.py: Debian's Chromium driven by
  Playwright's sync API. Without /usr/bin/chromium the tests skip, except with CI=true (then
  they fail: CI must run them).
* `watch` — aborts every request that does not start with the allowed prefixes (the network is
  off for the page) and records page errors and the blocked URLs.
* `streamlit_server` — `streamlit run SCRIPT` as a subprocess on a free loopback port, waited for
  through its health endpoint, stopped afterwards.
* `COUNT_JS` — what the map shows: pins, events inside clusters, basemap and event areas.
"""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Optional

import pytest

from geo.export import CHROMIUM_ARGS   # the flags the PNG export launches Chromium with

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
OSM_TILES = "https://tile.openstreetmap.org/"
STREAMLIT_FOLIUM_IFRAME = "iframe[title='streamlit_folium.st_folium']"
TIMEOUT = 30_000          # ms: Streamlit renders asynchronously; the first visit may load the geoparser


def launch_chromium() -> Iterator:
    """Yield a Playwright Chromium browser (a generator for a pytest fixture)."""
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"{CHROMIUM} not found, and CI=true: browser tests must run in CI")
        pytest.skip(f"{CHROMIUM} not found: browser tests skipped (install Debian's chromium)")
    from playwright.sync_api import sync_playwright
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


def watch(page, allowed: tuple[str, ...]) -> dict:
    """Abort every request not starting with `allowed`; collect errors, blocked and allowed URLs."""
    seen = {"errors": [], "blocked": [], "requests": []}

    def route(r):
        url = r.request.url
        if url.startswith(allowed):
            seen["requests"].append(url)
            r.continue_()
        else:
            seen["blocked"].append(url)
            r.abort()
    page.context.route("**/*", route)
    page.on("pageerror", lambda exc: seen["errors"].append(str(exc)))
    page.on("console", lambda msg: msg.type == "error" and "Failed to load resource" not in msg.text
            and seen["errors"].append(msg.text))
    return seen


def assert_only_tiles_blocked(seen: dict) -> None:
    """Nothing but OpenStreetMap tiles tried to leave the machine."""
    stray = sorted({u for u in seen["blocked"] if not u.startswith(OSM_TILES)})
    assert not stray, f"requests that would have left the machine: {stray[:5]}"


COUNT_JS = """() => {
    const clusters = [...document.querySelectorAll('.marker-cluster span')];
    return {pins: document.querySelectorAll('.ev-pin').length,
            clustered: clusters.reduce((n, s) => n + parseInt(s.textContent, 10), 0),
            basemap: document.querySelectorAll('path.basemap-country').length,
            areas: document.querySelectorAll('path.ev-area').length,
            countries: document.querySelectorAll('path.ev-area.ev-country').length,
            circles: document.querySelectorAll('path.ev-area.ev-circle').length};
}"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Server:
    url: str                 # http://127.0.0.1:PORT (no trailing slash)
    log_path: Path

    def log(self) -> str:
        try:
            return self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""


@contextmanager
def app_on_test_store(tmp_path_factory, label: str, env: Optional[dict] = None) -> Iterator:
    """`streamlit run app.py` on a fresh copy of the app tests' store (tests/app_data.py), for a
    module's browser tests: the server, with `db` (its file) and `by_name` (build_store's events)."""
    from tests.app_data import build_store
    d = tmp_path_factory.mktemp(label)
    db = d / "events.db"
    by_name = build_store(db)
    with streamlit_server("app.py", ROOT, d / "streamlit.log", env={"GEO_DB": str(db), **(env or {})}) as server:
        server.db, server.by_name = db, by_name
        yield server


@contextmanager
def streamlit_server(script: str, cwd: Path, log_path: Path, env: Optional[dict] = None,
                     args: tuple = (), timeout: float = 60.0) -> Iterator[Server]:
    """`streamlit run script` from `cwd` (so its .streamlit/config.toml applies), headless on a
    free 127.0.0.1 port; yields once /_stcore/health answers, terminates it afterwards."""
    port = free_port()
    full_env = {**os.environ, "STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false", **(env or {})}
    log = open(log_path, "wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", script, "--server.headless", "true",
         "--server.address", "127.0.0.1", "--server.port", str(port),
         "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none", *args],
        cwd=cwd, env=full_env, stdout=log, stderr=subprocess.STDOUT)
    server = Server(url=f"http://127.0.0.1:{port}", log_path=Path(log_path))
    try:
        deadline = time.time() + timeout
        while True:
            try:
                with urllib.request.urlopen(server.url + "/_stcore/health", timeout=1) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            assert proc.poll() is None, f"streamlit exited:\n{server.log()}"
            assert time.time() < deadline, f"streamlit did not start in {timeout:.0f} s:\n{server.log()}"
            time.sleep(0.2)
        yield server
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


# --------------------------------------------------------------------------- the running app

# Installed in every page before its scripts: the time the app last started or stopped a run.
SCRIPT_STATE_JS = """window.__lastChange = performance.now();
new MutationObserver(() => { window.__lastChange = performance.now(); })
    .observe(document, {attributes: true, subtree: true, attributeFilter: ['data-test-script-state']});"""
SETTLED_JS = """() => {
    const app = document.querySelector('[data-testid=stApp]');
    const map = document.querySelector('iframe[title="streamlit_folium.st_folium"]');
    let details = null;                   // the popups' contents, fetched once the pins are drawn
    try { details = map && map.contentWindow.__eventDetails; } catch (e) { details = null; }
    return !!app && app.getAttribute('data-test-script-state') === 'notRunning'
        && performance.now() - window.__lastChange > 1000 && details !== 'loading';
}"""


def settle(page) -> None:
    """Wait until the app has been idle for a second (the map reports its position back once it
    has drawn, which reruns the app: interacting meanwhile may hit a widget being replaced) and the
    map's popups have their contents."""
    page.wait_for_function(SETTLED_JS, timeout=TIMEOUT)


def query(page) -> dict:
    """The address bar's query, as the page has it now (page.url may lag behind replaceState)."""
    from urllib.parse import parse_qsl
    return dict(parse_qsl(page.evaluate("location.search").lstrip("?")))


def wait_query(page, **want) -> None:
    js = ("w => { const q = new URLSearchParams(location.search);"
          " return Object.entries(w).every(([k, v]) => q.get(k) === v); }")
    try:
        page.wait_for_function(js, arg=want, timeout=TIMEOUT)
    except Exception as exc:   # noqa: BLE001 - say what the URL was
        raise AssertionError(f"URL query {query(page)} does not have {want}") from exc


def map_frame(page):
    """The streamlit-folium iframe's frame, once its map has drawn anything."""
    handle = page.locator(STREAMLIT_FOLIUM_IFRAME).element_handle(timeout=TIMEOUT)
    frame = handle.content_frame()
    frame.wait_for_function("() => !!document.querySelector('.leaflet-container')", timeout=TIMEOUT)
    return frame


def pick_option(page, label: str, option: str) -> None:
    """Pick `option` in the multiselect or select box labelled `label`: focus it and open its list with
    the keyboard (a click on a box below the sidebar's fold scrolls it into view, and the scroll closes
    the list it opened), then click the option; again if the list closed under us."""
    box = page.get_by_role("combobox", name=label, exact=True)
    for attempt in range(3):
        box.focus()
        if box.get_attribute("aria-expanded") != "true":
            box.press("ArrowDown")
        try:
            page.get_by_role("option", name=option, exact=True).click(timeout=5000)
            return
        except Exception:   # noqa: BLE001 - the list closed (a rerun, a scroll): again
            if attempt == 2:
                raise
            settle(page)


# Tag every pin's icon with the event its tooltip names (hovering binds the tooltip); returns how many.
TAG_PINS_JS = """() => {
    let n = 0;
    for (const l of Object.values(window.map_div._layers)) {
        if (l._ev === undefined || !l._icon) continue;
        l.fire('mouseover', {}, true);
        const tip = l.getTooltip() && l.getTooltip().getContent();
        const ref = /\\[#(\\d+)\\]/.exec(typeof tip === 'string' ? tip : '');
        if (ref) { l._icon.setAttribute('data-ev', ref[1]); n++; }
    }
    return n;
}"""
