"""Issue 13 items 6, 7 and 10 in the running app (Chromium, network off): the heatmap toggle (the
density drawn from the store's cells, the pins hidden, and back), a town pin inside a country's
area taking its own click (and the country the clicks elsewhere in it), areas drawn lightly and
cluster bubbles in greys, the 400 px layout (sidebar collapsed, the map visible and uncovered, its
height following the window, the legend folded to a line that unfolds it), and the events table (newest first, its story columns in view at
1280 px, a picked row selecting its event).

Skips when /usr/bin/chromium is missing, except with CI=true (then it fails).
"""
from __future__ import annotations

import re

import pytest

from geo import views
from geo.store import Store
from tests.app_data import N_ALL_WITH_COUNTRY, N_REPORTED_WITH_COUNTRY, build_store_with_a_country_event
from tests.browser import (COUNT_JS, ROOT, SCRIPT_STATE_JS, STREAMLIT_FOLIUM_IFRAME, TAG_PINS_JS, TIMEOUT,
                           assert_only_tiles_blocked, map_frame, query, settle, streamlit_server, wait_query, watch)
from tests.test_app_browser import pick_table_row, wait_caption

N_ALL, N_REPORTED = N_ALL_WITH_COUNTRY, N_REPORTED_WITH_COUNTRY
WINDOW = "start=2024-03-05&end=2024-03-14"

HEAT_JS = """() => {
    const c = document.querySelector('canvas.leaflet-heatmap-layer');
    if (!c || !c.width || !c.height) return 0;
    const px = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let n = 0;
    for (let i = 3; i < px.length; i += 4) { if (px[i] > 0) n++; }
    return n;                                   // painted pixels
}"""



@pytest.fixture(scope="module")
def app(browser, tmp_path_factory):
    d = tmp_path_factory.mktemp("app-density")
    db = d / "events.db"
    by_name = build_store_with_a_country_event(db)
    with streamlit_server("app.py", ROOT, d / "streamlit.log", env={"GEO_DB": str(db)}) as server:
        server.db = db
        server.ids = {name: [e["id"] for e in events] for name, events in by_name.items()}
        yield server


def open_at(browser, app, path: str, width: int, height: int):
    page = browser.new_page(viewport={"width": width, "height": height})
    seen = watch(page, (app.url + "/", "data:", "blob:", "about:"))
    page.add_init_script(SCRIPT_STATE_JS)
    page.goto(app.url + path)
    return page, seen


def test_heatmap_toggle_draws_the_density_offline_and_hides_the_pins(app, open_page):
    page, seen = open_page(app, f"/?{WINDOW}")
    wait_caption(page, N_REPORTED, N_ALL)
    frame = map_frame(page)
    frame.wait_for_function(f"() => ({COUNT_JS})().pins + ({COUNT_JS})().clustered > 0", timeout=TIMEOUT)
    # cluster bubbles in greys (no green/yellow/orange by count)
    frame.wait_for_selector(".marker-cluster", timeout=TIMEOUT)
    colours = frame.evaluate("() => [...document.querySelectorAll('.marker-cluster, .marker-cluster div')]"
                             ".map(e => getComputedStyle(e).backgroundColor.match(/\\d+/g).slice(0, 3).map(Number))")
    assert colours and all(r == g == b for r, g, b in colours), colours
    assert frame.evaluate(HEAT_JS) == 0
    settle(page)

    page.get_by_text("Heatmap", exact=True).click()
    wait_query(page, heat="1")
    try:
        frame.wait_for_function(f"() => ({HEAT_JS})() > 100 && ({COUNT_JS})().pins + ({COUNT_JS})().clustered === 0"
                                " && !!document.querySelector('.ev-heat-legend')", timeout=TIMEOUT)
    except Exception as exc:   # noqa: BLE001 - say what the map shows
        raise AssertionError(f"map shows {frame.evaluate(COUNT_JS)}, heat pixels {frame.evaluate(HEAT_JS)}") from exc
    legend = frame.inner_text(".ev-heat-legend")
    assert f"Event density · {N_REPORTED} events" in legend
    assert frame.evaluate("() => window.__heatCells") >= 3        # Pakistan, Ukraine, Libya, the US apart
    page.get_by_text("Heatmap: how many of these events", exact=False).wait_for(timeout=TIMEOUT)  # the caption says so
    assert page.get_by_text("incidents on the map", exact=False).count() == 0
    settle(page)

    page.get_by_text("Heatmap", exact=True).click()
    page.wait_for_function("() => !new URLSearchParams(location.search).has('heat')", timeout=TIMEOUT)
    frame.wait_for_function(f"() => ({HEAT_JS})() === 0 && ({COUNT_JS})().pins + ({COUNT_JS})().clustered > 0"
                            " && !document.querySelector('.ev-heat-legend')", timeout=TIMEOUT)
    page.get_by_text("Heatmap: how many of these events", exact=False).wait_for(state="detached", timeout=TIMEOUT)
    assert_only_tiles_blocked(seen)


def test_the_maps_legend_switches_between_pins_and_heatmap(app, open_page):
    page, seen = open_page(app, f"/?{WINDOW}")
    wait_caption(page, N_REPORTED, N_ALL)
    frame = map_frame(page)
    frame.wait_for_function(f"() => ({COUNT_JS})().pins + ({COUNT_JS})().clustered > 0", timeout=TIMEOUT)
    settle(page)
    frame.get_by_role("button", name="Show as heatmap").click()
    wait_query(page, heat="1")
    frame.wait_for_function(f"() => ({HEAT_JS})() > 100 && ({COUNT_JS})().pins + ({COUNT_JS})().clustered === 0",
                            timeout=TIMEOUT)
    assert page.get_by_role("switch", name="Heatmap").is_checked()
    settle(page)
    frame.get_by_role("button", name="Show the pins").click()
    page.wait_for_function("() => !new URLSearchParams(location.search).has('heat')", timeout=TIMEOUT)
    frame.wait_for_function(f"() => ({HEAT_JS})() === 0 && ({COUNT_JS})().pins + ({COUNT_JS})().clustered > 0",
                            timeout=TIMEOUT)
    assert not page.get_by_role("switch", name="Heatmap").is_checked()
    assert_only_tiles_blocked(seen)


def test_a_heatmap_link_opens_on_the_heatmap(app, open_page):
    page, seen = open_page(app, f"/?{WINDOW}&heat=1")
    wait_caption(page, N_REPORTED, N_ALL)
    frame = map_frame(page)
    frame.wait_for_function(f"() => ({HEAT_JS})() > 100", timeout=TIMEOUT)
    assert frame.evaluate(COUNT_JS)["pins"] == 0
    assert page.get_by_role("switch", name="Heatmap").is_checked()
    assert_only_tiles_blocked(seen)


def test_a_town_pin_inside_a_country_takes_its_own_click(app, open_page):
    kharkiv, ukraine = app.ids["Kharkiv"][0], app.ids["Ukraine"][0]
    page, seen = open_page(app, f"/?{WINDOW}&center=49,32&zoom=5")
    wait_caption(page, N_REPORTED, N_ALL)
    frame = map_frame(page)
    frame.wait_for_selector("path.ev-area.ev-country", timeout=TIMEOUT)
    # the country is drawn lightly, in a pane under the pins
    fill = frame.evaluate("() => +getComputedStyle(document.querySelector('path.ev-area.ev-country')).fillOpacity")
    assert 0 < fill <= 0.1
    # (leaflet.css, which stacks the panes, is a link the map's frame loads beside its scripts)
    frame.wait_for_function("() => getComputedStyle(window.map_div.getPane('markerPane')).zIndex !== 'auto'",
                            timeout=TIMEOUT)
    panes = frame.evaluate("() => { const p = document.querySelector('path.ev-area').closest('.leaflet-pane');"
                           " return [+getComputedStyle(p).zIndex, +getComputedStyle(window.map_div.getPane('markerPane')).zIndex]; }")
    assert panes[0] < panes[1]
    settle(page)
    frame.wait_for_function(f"() => ({TAG_PINS_JS})() >= 2", timeout=TIMEOUT)
    pin = frame.locator(f".ev-pin[data-ev='{kharkiv}']")
    # what lies under the pin's centre is the pin, not the country around it
    on_top = frame.evaluate("id => { const p = document.querySelector(`.ev-pin[data-ev='${id}']`),"
                            " r = p.getBoundingClientRect();"
                            " return p.contains(document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2)); }",
                            str(kharkiv))
    assert on_top
    pin.click()
    wait_query(page, event=str(kharkiv))
    page.get_by_text("Protest · Kharkiv · 2024-03-10", exact=False).first.wait_for(timeout=TIMEOUT)
    settle(page)
    # a click inside the country, away from its towns, selects the country's event
    point = frame.evaluate("() => window.map_div.latLngToContainerPoint([49.0, 32.0])")
    box = page.locator(STREAMLIT_FOLIUM_IFRAME).bounding_box()
    page.mouse.click(box["x"] + point["x"], box["y"] + point["y"])
    wait_query(page, event=str(ukraine))
    page.get_by_text("Legal · Ukraine · 2024-03-08", exact=False).first.wait_for(timeout=TIMEOUT)
    assert_only_tiles_blocked(seen)


def frame_box(page) -> dict:
    return page.locator(STREAMLIT_FOLIUM_IFRAME).bounding_box(timeout=TIMEOUT)


def test_a_400px_window_starts_with_the_sidebar_collapsed_and_the_map_fitting(app, browser):
    page, seen = open_at(browser, app, f"/?{WINDOW}", 400, 700)
    try:
        wait_caption(page, N_REPORTED, N_ALL)
        frame = map_frame(page)
        frame.wait_for_function(f"() => ({COUNT_JS})().pins + ({COUNT_JS})().clustered > 0", timeout=TIMEOUT)
        settle(page)
        # the sidebar starts collapsed: off the screen, nothing of it over the page
        sidebar = page.locator("[data-testid=stSidebar]")
        sb = sidebar.bounding_box()
        assert sb is None or sb["x"] + sb["width"] <= 0, sb
        page.locator(STREAMLIT_FOLIUM_IFRAME).scroll_into_view_if_needed()
        box = frame_box(page)
        assert box["x"] >= 0 and box["x"] + box["width"] <= 400            # the map fits the width
        assert 280 <= box["height"] <= 700 * 0.7 + 1                        # and the window's height
        # the map is not covered: what lies at its centre is the map's frame
        covered = page.evaluate("s => { const f = document.querySelector(s), r = f.getBoundingClientRect();"
                                " return document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2) !== f; }",
                                STREAMLIT_FOLIUM_IFRAME)
        assert not covered
        # the map inside fills its frame
        inner = frame.evaluate("() => document.querySelector('.leaflet-container').getBoundingClientRect().height")
        assert abs(inner - box["height"]) <= 2
        # the legend is folded to its title line, which unfolds it
        legend = frame.locator(".ev-legend")
        folded = legend.bounding_box()
        assert folded["width"] * folded["height"] < 0.08 * box["width"] * box["height"], folded
        assert not frame.locator(".ev-legend-type").first.is_visible()
        frame.get_by_role("button", name=re.compile("^Event type")).click()
        frame.locator(".ev-legend-type").first.wait_for(state="visible", timeout=TIMEOUT)
        assert legend.bounding_box()["height"] > 2 * folded["height"]
        frame.get_by_role("button", name=re.compile("^Event type")).press("Enter")
        frame.locator(".ev-legend-type").first.wait_for(state="hidden", timeout=TIMEOUT)
        # a shorter window, a shorter map (never under 280 px)
        page.set_viewport_size({"width": 400, "height": 500})
        page.wait_for_function("([s, h]) => Math.abs(document.querySelector(s).getBoundingClientRect().height - h) > 20",
                               arg=[STREAMLIT_FOLIUM_IFRAME, box["height"]], timeout=TIMEOUT)
        short = frame_box(page)["height"]
        assert 280 <= short < box["height"]
        frame.wait_for_function("h => Math.abs(document.querySelector('.leaflet-container')"
                                ".getBoundingClientRect().height - h) <= 2", arg=short, timeout=TIMEOUT)
        assert_only_tiles_blocked(seen)
    finally:
        page.close()


def test_a_desktop_window_keeps_the_map_height_and_the_sidebar(app, open_page):
    page, seen = open_page(app, f"/?{WINDOW}")
    wait_caption(page, N_REPORTED, N_ALL)
    map_frame(page)
    settle(page)
    assert abs(frame_box(page)["height"] - 540) <= 1
    assert map_frame(page).locator(".ev-legend-type").first.is_visible()       # a wide map: the legend unfolded
    sb = page.locator("[data-testid=stSidebar]").bounding_box()
    assert sb is not None and sb["x"] >= 0 and sb["width"] > 200
    assert_only_tiles_blocked(seen)


def test_the_table_lists_newest_first_with_its_story_in_view_and_a_pick_selects(app, browser):
    page, seen = open_at(browser, app, f"/?{WINDOW}", 1280, 800)
    try:
        wait_caption(page, N_REPORTED, N_ALL)
        map_frame(page)
        settle(page)
        cells = "[data-testid=stDataFrame] td[role=gridcell][aria-colindex='1']"
        page.locator(cells).first.wait_for(state="attached", timeout=TIMEOUT)
        with Store.open(app.db) as store:
            newest = [e["name"] for e in store.view_events(newest_first=True, role="reported",
                                                           start="2024-03-05", end="2024-03-14")]
        page.wait_for_function("([s, n]) => [...document.querySelectorAll(s)].map(c => c.textContent).join('|') === n",
                               arg=[cells, "|".join(newest)], timeout=TIMEOUT)
        # the columns in the order the story reads, and the first five fit the table's width at 1280 px
        heads = page.locator("[data-testid=stDataFrame] th[role=columnheader]").all_text_contents()
        assert heads[:5] == ["place", "date", "title", "source", "sentence"]
        grid = page.locator("[data-testid=stDataFrame]").bounding_box()
        row_marker = 40
        first_four = sum(views.TABLE_WIDTHS[c] for c in ("place", "date", "title", "source"))
        assert row_marker + first_four + 60 <= grid["width"], grid       # ... and 60 px of the sentence at least
        assert page.evaluate("() => document.querySelector('[data-testid=stDataFrame] .dvn-scroller').scrollLeft") == 0

        # picking a row selects its event: the URL and the "Selected event" panel say so
        odesa = app.ids["Odesa"][0]
        pick_table_row(page, "Odesa")
        wait_query(page, event=str(odesa))
        page.get_by_text("Political · Odesa · 2024-03-14", exact=False).first.wait_for(timeout=TIMEOUT)
        assert query(page)["event"] == str(odesa)
        assert_only_tiles_blocked(seen)
    finally:
        page.close()
