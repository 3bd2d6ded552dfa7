"""Sharing in a real browser (Chromium, network off): a link reproduces the view in a fresh
browser, a snapshot keeps its events after more news arrives, and the exported HTML works from
disk with no network.

Skips when /usr/bin/chromium is missing, except with CI=true (then it fails).
"""
from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest

from geo.store import Store
from tests.browser import (COUNT_JS, ROOT, SCRIPT_STATE_JS, TIMEOUT, assert_only_tiles_blocked, map_frame, query,
                           settle, streamlit_server, watch)
from tests.conftest import SEED

EXTRA = ("Clashes near Ganja and Lachin\n\nBy Staff in Baku April 20, 2024\n\n"
         "Shelling hit Lachin on 19 April 2024, officials said. Residents of Ganja reported "
         "explosions on 18 April 2024.\n")


def geo(*args):
    r = subprocess.run([sys.executable, "-m", "geo", *args], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    return r


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    """The app on a database holding the seed article."""
    tmp = tmp_path_factory.mktemp("share")
    db = tmp / "events.db"
    geo("ingest", str(SEED), "--db", str(db))
    with streamlit_server("app.py", ROOT, tmp / "streamlit.log", env={"GEO_DB": str(db)}) as server:
        yield server, db, tmp


def open_app(browser, url: str):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})   # a fresh browser profile
    page = context.new_page()
    base = re.match(r"https?://[^/]+/", url)[0]
    seen = watch(page, (base, "data:", "blob:", "about:"))
    page.add_init_script(SCRIPT_STATE_JS)
    page.goto(url)
    return page, seen


def caption_counts(page) -> tuple[int, int]:
    loc = page.get_by_text(re.compile(r"^Showing \d+ of \d+ events$"))
    loc.wait_for(timeout=TIMEOUT)
    n, m = re.fullmatch(r"Showing (\d+) of (\d+) events", loc.inner_text().strip()).groups()
    return int(n), int(m)


def leaflet_map(page):
    """The map frame once streamlit-folium's Leaflet map (``window.map_div``) exists."""
    frame = map_frame(page)
    frame.wait_for_function("() => window.map_div !== undefined && window.map_div.getZoom", timeout=TIMEOUT)
    return frame


def copy_link(page) -> str:
    """What "Copy link" over the map copies."""
    from tests.test_share_polish_browser import share_frame
    button = share_frame(page).locator("#copy-link")
    return button.get_attribute("data-link").strip()


def sidebar_link(page) -> str:
    """The link shown in the sidebar's "Share this view" panel."""
    page.get_by_text("Share this view").click()
    code = page.locator("[data-testid='stSidebar'] [data-testid='stMarkdownContainer'] code").first
    code.wait_for(timeout=TIMEOUT)
    return code.inner_text().strip()


def test_a_link_reproduces_the_view_in_a_fresh_browser(browser, app):
    server, db, _ = app
    with Store.open(db) as s:
        khojaly = next(e for e in s.events() if e["name"] == "Khojaly")
    page, seen = open_app(browser, f"{server.url}/?start=2024-04-01&end=2024-04-30&background=1&event={khojaly['id']}")
    assert caption_counts(page) == (4, 5)
    frame = leaflet_map(page)
    frame.wait_for_function(f"() => ({COUNT_JS})().pins + ({COUNT_JS})().clustered === 4", timeout=TIMEOUT)
    settle(page)
    # the user pans and zooms; the address bar follows
    frame.evaluate("() => window.map_div.setView([40.05, 46.9], 9)")
    page.wait_for_function("() => new URLSearchParams(location.search).get('zoom') === '9'", timeout=TIMEOUT)
    params = query(page)
    assert (params["start"], params["end"], params["event"]) == ("2024-04-01", "2024-04-17", str(khojaly["id"]))
    assert params["center"] == "40.05,46.9"
    settle(page)
    link = copy_link(page)
    assert link.startswith(server.url + "/?") and "zoom=9" in link and "center=40.05,46.9" in link
    assert sidebar_link(page) == link            # the pan reran the whole page: the sidebar follows too
    assert_only_tiles_blocked(seen)
    page.context.close()

    again, seen = open_app(browser, link)                       # a new browser, nothing remembered
    assert caption_counts(again) == (4, 5)
    frame = leaflet_map(again)
    frame.wait_for_function("() => window.map_div.getZoom() === 9", timeout=TIMEOUT)
    center = frame.evaluate("() => { const c = window.map_div.getCenter(); return [c.lat, c.lng]; }")
    assert center == pytest.approx([40.05, 46.9], abs=1e-3)
    assert again.get_by_text(re.compile(r"^Now at 39\.9")).count() + again.get_by_text("Khojaly").count() > 0
    assert again.locator("[data-testid='stSlider']").filter(has_text="Dates").inner_text().count("2024-04") >= 2
    assert query(again) == params
    assert_only_tiles_blocked(seen)
    again.context.close()


def test_a_snapshot_keeps_its_events_after_more_news(browser, app):
    server, db, tmp = app
    page, _ = open_app(browser, f"{server.url}/?start=2024-04-01&end=2024-04-30&background=1")
    assert caption_counts(page) == (4, 5)
    settle(page)
    page.get_by_text("Share this view").click()
    title = page.get_by_label("Snapshot title")
    title.fill("Peacekeepers <b>leave</b>")
    title.press("Enter")                     # commit the title (its own rerun) before the click
    settle(page)
    page.get_by_role("button", name="Share snapshot").click()
    page.get_by_text("Snapshot saved").wait_for(timeout=TIMEOUT)
    link = page.locator("[data-testid='stSidebar'] [data-testid='stMarkdownContainer'] code").last.inner_text().strip()
    assert re.fullmatch(re.escape(server.url) + r"/\?snapshot=[A-Za-z0-9_-]{22}", link)
    page.context.close()

    # more news, while the app runs (a typed event written as ingest would: no NLP involved)
    from tests.app_data import _article, _event
    with Store.open(db) as s:
        s.add(_article("extra", "Clashes near Lachin", "2024-04-20", None, EXTRA,
                       [_event(EXTRA, {"name": "Lachin", "lat": 39.6383, "lon": 46.5461, "country_code": "AZ",
                                       "kind": "city", "place_key": "gn:147622"}, "Lachin", "Shelling",
                               type="explosion_remote_violence", date="2024-04-19")]))

    live, _ = open_app(browser, f"{server.url}/?start=2024-04-01&end=2024-04-30&background=1")
    n_live, _total = caption_counts(live)
    assert n_live > 4
    live.context.close()

    snap, seen = open_app(browser, link)
    banner = snap.get_by_text(re.compile(r"^Snapshot of \d+ events, taken 20"))
    banner.wait_for(timeout=TIMEOUT)
    assert banner.inner_text().startswith("Snapshot of 4 events, taken ")
    assert "Peacekeepers <b>leave</b>" in snap.locator("[data-testid='stAlert']").first.inner_text()
    assert caption_counts(snap) == (4, 4)
    frame = leaflet_map(snap)
    frame.wait_for_function(f"() => ({COUNT_JS})().pins + ({COUNT_JS})().clustered === 4", timeout=TIMEOUT)
    assert snap.get_by_role("link", name="Open the live view").get_attribute("href").startswith(server.url + "/?start=")
    assert snap.evaluate("window.__xss") is None
    assert_only_tiles_blocked(seen)

    bad, _ = open_app(browser, f"{server.url}/?snapshot=AAAAAAAAAAAAAAAAAAAAAA")
    bad.get_by_text(re.compile("This snapshot cannot be opened: no snapshot with id")).wait_for(timeout=TIMEOUT)
    snap.context.close()
    bad.context.close()


def test_exported_html_shows_every_marker_with_the_network_off(browser, app, tmp_path):
    _, db, _ = app
    out = tmp_path / "april.html"
    r = geo("export", "--format", "html", "--start", "2024-04-01", "--end", "2024-04-30", "--background",
            "--db", str(db), "--out", str(out), "--title", "April <i>2024</i>")
    n = int(r.stdout.split()[0])
    payload = json.loads(re.search(r"var D = (\{.*?\});\n", out.read_text()).group(1))
    assert len(payload["events"]) == n and n >= 4
    page = browser.new_page(viewport={"width": 1200, "height": 800})
    seen = watch(page, ("file:", "data:"))
    page.goto(out.as_uri())
    points = len(payload["points"])
    page.wait_for_function(f"() => ({COUNT_JS})().pins + ({COUNT_JS})().clustered === {points}", timeout=TIMEOUT)
    page.wait_for_function(f"() => ({COUNT_JS})().basemap > 200", timeout=TIMEOUT)
    assert page.evaluate(COUNT_JS)["areas"] >= len(payload["areas"])
    assert f"{n} events" in page.inner_text(".ev-legend")
    assert page.inner_text(".ev-caption").startswith("April <i>2024</i> · 2024-04-01 – ")   # text, not markup
    assert page.title() == "April <i>2024</i>"
    assert seen["errors"] == [] and all(u.startswith("https://tile.openstreetmap.org/") for u in seen["blocked"])
    page.close()
