"""Issue 13, navigation, in the running app (Chromium, network off): a place search over the
gazetteer's spellings flies the map there, "Fit to events" frames the view's events, the map
follows a filter change that leaves every event off-screen, and the text filter finds a place
by another of its names (Odessa → Odesa).

One app process for the module on tests/app_data.py's store.

Skips when /usr/bin/chromium is missing, except with CI=true (then it fails).
"""
from __future__ import annotations

import pytest

from tests.app_data import SIBI, TRIPOLI_LY
from tests.browser import TIMEOUT, app_on_test_store, assert_only_tiles_blocked, map_frame, pick_option, settle
from tests.test_app_browser import wait_caption, wait_map_centre

N_ALL, N_REPORTED = 11, 10


@pytest.fixture(scope="module")
def app(browser, tmp_path_factory):
    with app_on_test_store(tmp_path_factory, "app-nav") as server:
        yield server


def ready(page):
    wait_caption(page, N_REPORTED, N_ALL)
    frame = map_frame(page)
    frame.wait_for_function("() => !!document.querySelector('.ev-legend')", timeout=TIMEOUT)
    settle(page)
    return frame


def map_view(frame) -> tuple:
    return tuple(frame.evaluate("() => { const c = window.map_div.getCenter();"
                                " return [c.lat, c.lng, window.map_div.getZoom()]; }"))


def test_place_search_flies_to_the_place_under_any_spelling(app, open_page):
    page, seen = open_page(app, "/?start=2024-03-05&end=2024-03-14")
    frame = ready(page)
    box = page.get_by_label("Find a place")
    box.fill("Kiev")
    box.press("Enter")
    page.wait_for_function("() => [...document.querySelectorAll('input[role=combobox]')]"
                           ".some(e => e.getAttribute('aria-label') === 'Place found'"
                           " && e.value === 'Kyiv · Kyiv City · UA · city')", timeout=TIMEOUT)
    frame.wait_for_function("() => { const c = window.map_div.getCenter();"
                            " return Math.abs(c.lat - 50.45) < 0.1 && Math.abs(c.lng - 30.52) < 0.1; }",
                            timeout=TIMEOUT)
    assert map_view(frame)[2] >= 9                            # a city: close enough to see its streets
    assert_only_tiles_blocked(seen)


def test_fit_to_events_frames_the_view_and_a_filter_change_follows_the_data(app, open_page):
    # far from every event: the Pacific
    page, seen = open_page(app, "/?start=2024-03-05&end=2024-03-14&center=-20.0,-150.0&zoom=6")
    frame = ready(page)
    page.get_by_role("button", name="Fit to events").click()
    # the app has moved the map (its link leaves the Pacific's zoom 6): only then move it again
    page.wait_for_function("() => { const q = new URLSearchParams(location.search);"
                           " return q.get('zoom') !== null && q.get('zoom') !== '6'; }", timeout=TIMEOUT)
    settle(page)
    # Libya to Pakistan, the US too: the whole world nearly; every pin is inside the map's bounds
    frame.wait_for_function("""([pts]) => { const b = window.map_div.getBounds();
        return pts.every(p => b.contains(L.latLng(p[0], p[1]))); }""",
                            arg=[[[SIBI["lat"], SIBI["lon"]], [TRIPOLI_LY["lat"], TRIPOLI_LY["lon"]]]],
                            timeout=TIMEOUT)

    # zoom in on Tripoli, then keep only the explosions: Sibi, off-screen, comes into view
    frame.evaluate("([lat, lon]) => window.map_div.setView([lat, lon], 9, {animate: false})",
                   [TRIPOLI_LY["lat"], TRIPOLI_LY["lon"]])
    wait_map_centre(page, TRIPOLI_LY["lat"], TRIPOLI_LY["lon"])     # the app knows where the map looks
    settle(page)
    pick_option(page, "Event type", "Explosion / remote violence")
    page.keyboard.press("Escape")
    wait_caption(page, 3, N_ALL)                               # Sibi's three reports
    wait_map_centre(page, SIBI["lat"], SIBI["lon"])
    assert_only_tiles_blocked(seen)


def test_the_text_filter_finds_a_place_by_another_of_its_names(app, open_page):
    page, seen = open_page(app, "/?start=2024-03-05&end=2024-03-14")
    ready(page)
    box = page.get_by_label("Search place, title or sentence")
    box.fill("Odessa")                                         # the store says Odesa
    box.press("Enter")
    wait_caption(page, 1, N_ALL)
    page.locator("[data-testid=stDataFrame] td[role=gridcell][aria-colindex='1']").first.wait_for(
        state="attached", timeout=TIMEOUT)
    settle(page)
    names = page.locator("[data-testid=stDataFrame] td[role=gridcell][aria-colindex='1']").all_text_contents()
    assert names == ["Odesa"]
    assert_only_tiles_blocked(seen)
