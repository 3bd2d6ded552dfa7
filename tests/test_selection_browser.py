"""Issue 13, selection by identity, in the running app (Chromium, network off): of two pins on
one spot, each click selects the event of the pin clicked (in the URL, the "Selected event"
panel and a mark on the pin, its popup left open), clicking the same pin again still works, and
an area is selectable.

One app process for the module on tests/app_data.py's store, where the battle (9 March) and the
protest (13 March) in Tripoli are two incidents at the same point, and a law passed in Ukraine
(a country: drawn as its outline).

Skips when /usr/bin/chromium is missing, except with CI=true (then it fails).
"""
from __future__ import annotations

import pytest

from tests.app_data import N_ALL_WITH_COUNTRY, N_REPORTED_WITH_COUNTRY, TRIPOLI_LY, build_store_with_a_country_event
from tests.browser import ROOT, TAG_PINS_JS, TIMEOUT, assert_only_tiles_blocked, map_frame, query, settle, streamlit_server, \
    wait_query
from tests.test_app_browser import wait_caption

N_ALL, N_REPORTED = N_ALL_WITH_COUNTRY, N_REPORTED_WITH_COUNTRY

# Spread the two-pin cluster at Tripoli, then tag every pin's icon with the event its tooltip names.
SPIDERFY_JS = f"""() => {{
    for (const l of Object.values(window.map_div._layers)) {{
        if (l.getChildCount && l.getChildCount() === 2 && l.spiderfy) {{ l.spiderfy(); }}
    }}
    return ({TAG_PINS_JS})();
}}"""


@pytest.fixture(scope="module")
def app(browser, tmp_path_factory):
    d = tmp_path_factory.mktemp("app-select")
    db = d / "events.db"
    by_name = build_store_with_a_country_event(db)
    with streamlit_server("app.py", ROOT, d / "streamlit.log", env={"GEO_DB": str(db)}) as server:
        server.ids = {name: [e["id"] for e in events] for name, events in by_name.items()}
        yield server


# The mouse events a desktop browser sends to the pin under the pointer. (Headless Chromium says
# it has a touch screen, and Leaflet's touch handling then hands the release of a press on a
# spread-out pin to the map, which folds the pins back; a mouse click reaches the pin.)
CLICK_JS = """id => {
    const pin = document.querySelector(`.ev-pin[data-ev='${id}']`), r = pin.getBoundingClientRect();
    const at = {bubbles: true, cancelable: true, view: window, button: 0,
                clientX: r.left + r.width / 2, clientY: r.top + r.height / 2};
    for (const t of ['mousedown', 'mouseup', 'click']) { pin.dispatchEvent(new MouseEvent(t, at)); }
}"""


def click_pin(page, frame, event_id: int) -> None:
    """Spread the Tripoli pins (again: a rerun redraws the layer) and click the one of `event_id`."""
    settle(page)
    frame.wait_for_function(f"() => ({SPIDERFY_JS})() >= 2", timeout=TIMEOUT)
    frame.evaluate(CLICK_JS, event_id)


def test_each_of_two_pins_on_one_spot_selects_its_own_event(app, open_page):
    battle, protest = app.ids["Tripoli"]
    page, seen = open_page(app, f"/?start=2024-03-05&end=2024-03-14&center={TRIPOLI_LY['lat']},"
                                f"{TRIPOLI_LY['lon']}&zoom=12")
    wait_caption(page, N_REPORTED, N_ALL)
    frame = map_frame(page)
    frame.wait_for_function("() => !!document.querySelector('.ev-legend')", timeout=TIMEOUT)

    for event_id, head in ((protest, "Protest · Tripoli · 2024-03-13"), (battle, "Battle · Tripoli · 2024-03-09"),
                           (protest, "Protest · Tripoli · 2024-03-13")):
        click_pin(page, frame, event_id)
        wait_query(page, event=str(event_id))
        page.get_by_text(head, exact=False).first.wait_for(timeout=TIMEOUT)
        # the clicked pin is marked as the selected one (and no ring elsewhere)
        frame.wait_for_function(f"() => !!document.querySelector(\".ev-pin.ev-picked[data-ev='{event_id}']\")"
                                " && document.querySelectorAll('.ev-picked').length === 1"
                                " && !document.querySelector('path.ev-selected')", timeout=TIMEOUT)

    # the same pin clicked again after the selection was cleared: selected again
    page.get_by_role("button", name="Clear selection").click()
    page.wait_for_function("() => !new URLSearchParams(location.search).has('event')", timeout=TIMEOUT)
    click_pin(page, frame, protest)
    wait_query(page, event=str(protest))
    assert_only_tiles_blocked(seen)


def test_an_area_is_selected_by_a_click_inside_it(app, open_page):
    """A country drawn as its outline: a click inside it selects its event (no black focus box)."""
    page, seen = open_page(app, "/?start=2024-03-05&end=2024-03-14&type=legal")
    wait_caption(page, 1, N_ALL)
    frame = map_frame(page)
    area = frame.locator("path.ev-area.ev-country")
    area.first.wait_for(timeout=TIMEOUT)
    area.first.click()
    wait_query(page, event=str(app.ids["Ukraine"][0]))
    page.get_by_text("Legal · Ukraine · 2024-03-08", exact=False).first.wait_for(timeout=TIMEOUT)
    outline = frame.evaluate("() => { const p = document.querySelector('path.ev-area.ev-country');"
                             " return p ? getComputedStyle(p).outlineStyle : null; }")
    assert outline in ("none", None)
    assert_only_tiles_blocked(seen)


def test_a_real_click_on_a_pin_selects_it_when_the_map_reaches_below_the_window(app, browser):
    """A window shorter than the page: the map's frame runs past its bottom edge. A press on a pin
    must not scroll the page (focusing the pin did), or the release lands elsewhere and the click
    is lost."""
    from tests.browser import SCRIPT_STATE_JS, watch
    lviv = app.ids["Lviv"][0]
    page = browser.new_page(viewport={"width": 1400, "height": 700})
    try:
        seen = watch(page, (app.url + "/", "data:", "blob:", "about:"))
        page.add_init_script(SCRIPT_STATE_JS)
        page.goto(app.url + "/?start=2024-03-05&end=2024-03-14&center=49.8397,24.0297&zoom=10")
        wait_caption(page, N_REPORTED, N_ALL)
        frame = map_frame(page)
        frame.wait_for_function(f"() => ({TAG_PINS_JS})() >= 1", timeout=TIMEOUT)
        settle(page)
        box = frame.locator(f".ev-pin[data-ev='{lviv}']").bounding_box()
        frame_box = page.locator("iframe[title='streamlit_folium.st_folium']").bounding_box()
        assert box["y"] + box["height"] < 700 < frame_box["y"] + frame_box["height"]   # the case to test
        page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        wait_query(page, event=str(lviv))
        # the page did not scroll under the pointer
        assert page.locator("iframe[title='streamlit_folium.st_folium']").bounding_box()["y"] == frame_box["y"]
        assert_only_tiles_blocked(seen)
    finally:
        page.close()
