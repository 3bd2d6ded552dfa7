"""The offline basemap in Chromium with the network off (every request but the app's own, or
file:/data: for the HTML export, is aborted): at the seed store's opening view the towns around
are named, province borders, rivers and lakes drawn; zoomed out to 3, far fewer labels.

Expected names come from the built data and the gazetteer, not from this file."""
from __future__ import annotations

import json

import pytest

from geo import basemap, mapview
from geo.gazetteer import Gazetteer
from tests.browser import ROOT, STREAMLIT_FOLIUM_IFRAME, assert_only_tiles_blocked, query, settle, streamlit_server

LONG = 240_000          # ms: the first visit fills the store from seeds/ (loads the geoparser)

DRAWN_JS = """() => ({
    labels: [...document.querySelectorAll('span.basemap-label')].map(e => [e.textContent, +e.dataset.rank]),
    admin1: document.querySelectorAll('path.basemap-admin1').length,
    river: document.querySelectorAll('path.basemap-river').length,
    lake: document.querySelectorAll('path.basemap-lake').length,
    coast: document.querySelectorAll('path.basemap-coast').length,
    country: document.querySelectorAll('path.basemap-country').length,
    layers: [...document.querySelectorAll('.leaflet-control-layers label')].map(l => l.textContent.trim()),
    labelPane: (() => { const p = document.querySelector('.leaflet-basemapLabels-pane');
                        return p && [getComputedStyle(p).pointerEvents, +getComputedStyle(p).zIndex]; })(),
    tilePane: +getComputedStyle(document.querySelector('.leaflet-tile-pane')).zIndex,
    inView: [...document.querySelectorAll('span.basemap-label')].every(e => {
        const r = e.getBoundingClientRect(), m = document.querySelector('.leaflet-container').getBoundingClientRect();
        return r.left >= m.left - 8 && r.right <= m.right + 8 && r.top >= m.top - 8 && r.bottom <= m.bottom + 8; }),
})"""


def near_places(events: list, zoom: int, radius: float = 0.6) -> list[str]:
    """The most prominent labelled places (from the built tiles) near the events' middle."""
    lat = sum(e["lat"] for e in events) / len(events)
    lon = sum(e["lon"] for e in events) / len(events)
    out = []
    for band in (0, 2):
        for key in basemap.tiles_in(band, lon - radius, lat - radius, lon + radius, lat + radius):
            for p in json.loads(basemap.tile_text(band, key))["places"]:
                if abs(p[0] - lon) <= radius and abs(p[1] - lat) <= radius and 1 <= p[3] <= 5:
                    out.append((p[3], p[2]))
    return [name for _, name in sorted(out)]


@pytest.fixture(scope="module")
def seed_app(browser, tmp_path_factory):
    d = tmp_path_factory.mktemp("basemap-app")
    with streamlit_server("app.py", ROOT, d / "streamlit.log", env={"GEO_DB": str(d / "events.db")}) as server:
        server.db = d / "events.db"
        yield server


def test_seed_store_opening_view_is_a_readable_map_offline(seed_app, open_page):
    page, seen = open_page(seed_app)
    page.wait_for_selector(STREAMLIT_FOLIUM_IFRAME, timeout=LONG)
    frame = page.locator(STREAMLIT_FOLIUM_IFRAME).element_handle(timeout=LONG).content_frame()
    frame.wait_for_function("() => document.querySelectorAll('span.basemap-label').length > 10"
                            " && document.querySelector('path.basemap-admin1')", timeout=LONG)
    settle(page)
    frame.wait_for_function("() => (window.__basemapReady || 0) > 0", timeout=30_000)
    got = frame.evaluate(DRAWN_JS)

    from geo.store import Store
    with Store.open(seed_app.db) as s:
        events = [e for e in s.events() if e.get("lat") is not None and e.get("kind") != "region"]
    zoom = int(float(query(page).get("zoom") or 8))
    names = {n for n, _ in got["labels"]}
    expected = near_places(events, zoom)[:6]
    assert len(expected) >= 4, expected
    hits = [n for n in expected if n in names]
    assert len(hits) >= len(expected) // 2 + 1, (expected, sorted(names))
    assert 20 <= len(got["labels"]) <= basemap.MAX_LABELS
    assert all(1 <= r <= basemap.max_rank(zoom) for _, r in got["labels"])
    assert got["inView"]
    # province borders, rivers (the Kura, the Aras) and lakes (Sevan, Mingachevir) in view
    assert got["admin1"] >= 1 and got["river"] >= 1 and got["lake"] >= 1 and got["country"] > 200
    # under the tiles: online OpenStreetMap covers it; a switch between the two
    assert got["labelPane"][0] == "none" and got["labelPane"][1] < got["tilePane"]
    assert got["layers"][:2] == ["OpenStreetMap", "Offline basemap"], got["layers"]
    assert any("/app/static/vendor/basemap/2/" in u for u in seen["requests"])
    assert_only_tiles_blocked(seen)
    assert not seen["errors"], seen["errors"]


def _events_at(names: list[str]) -> list[dict]:
    gaz = Gazetteer.load()
    out = []
    for i, name in enumerate(names):
        p = max(gaz.lookup(name), key=lambda p: p.population)
        out.append({"event_id": f"e{i}", "id": f"e{i}", "name": p.name, "place_name": p.name, "kind": "city",
                    "lat": p.lat, "lon": p.lon, "country_code": p.country_code, "date": "2024-04-17",
                    "day_start": "2024-04-17", "day_end": "2024-04-17", "title": f"Story {i}",
                    "sentence": f"Shelling hit {p.name}.", "url": "https://example.org/a", "event_type": "battle"})
    return out


def test_zoom_out_leaves_the_big_cities_and_coarser_lines(browser, tmp_path):
    events = _events_at(["Barda", "Tartar", "Khojaly", "Kalbajar"])
    path = tmp_path / "map.html"
    path.write_text(mapview.standalone_html(events, center=(40.15, 46.6), zoom=8), encoding="utf-8")
    page = browser.new_page(viewport={"width": 1200, "height": 800})
    blocked, errors = [], []
    page.route("**/*", lambda r: r.continue_() if r.request.url.startswith(("file:", "data:"))
               else (blocked.append(r.request.url), r.abort()))
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        page.goto(path.as_uri())
        page.wait_for_function("() => (window.__basemapReady || 0) > 0", timeout=30_000)
        at8 = page.evaluate(DRAWN_JS)
        assert at8["admin1"] >= 1 and at8["river"] >= 1 and at8["lake"] >= 1
        names8 = {n for n, _ in at8["labels"]}
        assert {e["name"] for e in events} & names8                 # the event towns are named
        page.evaluate("""() => { const k = Object.keys(window).find(k => /^map_[0-9a-f]+$/.test(k));
                                 window.__zoomed = window.__basemapReady; window[k].setZoom(3, {animate: false}); }""")
        page.wait_for_function("() => window.__basemapReady > window.__zoomed", timeout=30_000)
        page.wait_for_timeout(100)                                  # the labels follow on the next frame
        at3 = page.evaluate(DRAWN_JS)
        ranks3 = [r for _, r in at3["labels"]]
        assert 5 <= len(at3["labels"]) < len(at8["labels"]) / 2, (len(at3["labels"]), len(at8["labels"]))
        assert max(ranks3) <= basemap.max_rank(3) == 2              # capitals and big cities only
        assert sum(r >= 1 for r in ranks3) >= 5 and 0 in ranks3        # cities and country names
        assert at3["admin1"] == 0 and at3["coast"] >= 1             # no province borders; 1:110m coast
        assert at3["inView"]
        assert not errors and all(u.startswith("https://tile.openstreetmap.org/") for u in blocked), blocked[:3]
    finally:
        page.close()
