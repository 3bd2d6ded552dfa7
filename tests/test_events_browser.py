"""Issue 9 in the running app (Chromium, network off): the type filter, the background switch,
one pin per incident with its sources, and each correction (hide, type, date, place rule)
surviving a reload.

One app process for the module, on a store of typed events written through `Store.add`
(tests/app_data.py: explicit type, role, date), so nothing here depends on the NLP's output. The
read-only tests come first; the corrections then change the store, each test undoing what it
must for the next.

Skips when /usr/bin/chromium is missing, except with CI=true (then it fails).
"""
from __future__ import annotations

import re

import pytest

from geo import views
from geo.store import Store
from tests.app_data import TRIPOLI_LB, build_store
from tests.browser import ROOT, TIMEOUT, pick_option, assert_only_tiles_blocked, map_frame, query, settle, streamlit_server, \
    wait_query
from tests.test_app_browser import choose, expect_map, find_pin, loaded, pick_table_row, wait_caption

N_ALL = 11          # events in the store
N_REPORTED = 10     # ... without the background battle at Izium
N_PINS = 8          # the reported ones as incidents: Sibi's three reports are one


class TypedApp:
    def __init__(self, server, db, ids):
        self.server, self.db, self.ids = server, db, ids

    @property
    def url(self) -> str:
        return self.server.url

    def event(self, event_id: int) -> dict:
        with Store.open(self.db) as s:
            return next(e for e in s.events(include_hidden=True) if e["id"] == event_id)


@pytest.fixture(scope="module")
def app(browser, tmp_path_factory):
    d = tmp_path_factory.mktemp("app-typed")
    db = d / "events.db"
    by_name = build_store(db)
    ids = {name: [e["id"] for e in events] for name, events in by_name.items()}
    with streamlit_server("app.py", ROOT, d / "streamlit.log", env={"GEO_DB": str(db)}) as server:
        yield TypedApp(server, db, ids)



def pin_near(frame, lat: float, lon: float):
    """The pin drawn at (lat, lon), after moving the map there (out of any cluster)."""
    frame.evaluate("([lat, lon]) => { window.map_div.setView([lat, lon], 9, {animate: false}); }", [lat, lon])
    frame.wait_for_function(
        """([lat, lon]) => Object.values(window.map_div._layers).some(l => {
            if (l._ev === undefined || !l._icon || !l.getLatLng) return false;
            const p = l.getLatLng();
            if (Math.abs(p.lat - lat) > 1e-4 || Math.abs(p.lng - lon) > 1e-4) return false;
            l._icon.setAttribute('data-test-pin', 'here');
            return true; })""", arg=[lat, lon], timeout=TIMEOUT)
    return frame.locator(".ev-pin[data-test-pin=here]")


def popup_of(frame, pin):
    """Click the pin and return its popup (again if the app redrew the map meanwhile)."""
    from playwright.sync_api import Error as PlaywrightError
    popup = frame.locator(".leaflet-popup-content")
    for attempt in range(3):
        pin.click()
        try:
            popup.wait_for(timeout=5000 if attempt < 2 else TIMEOUT)
            return popup
        except PlaywrightError:
            continue
    raise AssertionError("no popup")


def ready(page, n: int, m: int):
    """The page shows 'Showing n of m events', its map is drawn and the app is quiet. (With an
    event in the link the map is centred on it: only the pins around it are in the page.)"""
    wait_caption(page, n, m)
    frame = map_frame(page)
    frame.wait_for_function("() => !!document.querySelector('.ev-legend')", timeout=TIMEOUT)
    settle(page)
    return frame


def tab(page, name: str) -> None:
    """Open a tab of the selected event's panel (switching tabs does not rerun the app)."""
    t = page.get_by_role("tab", name=name, exact=True)
    t.click()
    page.wait_for_function("t => t.getAttribute('aria-selected') === 'true'", arg=t.element_handle(), timeout=TIMEOUT)


# --------------------------------------------------------------------------- filters, incidents

def test_type_filter_changes_the_markers_and_the_url(app, open_page):
    page, seen = open_page(app)
    frame = loaded(page, N_REPORTED, N_ALL, points=N_PINS, areas=0)
    wait_query(page, start="2024-03-05", end="2024-03-14")        # the reported events' span
    legend = frame.inner_text(".ev-legend")
    assert "Protest 3" in legend and "Explosion / remote violence 1" in legend and "Battle 1" in legend

    pick_option(page, "Event type", "Protest")
    wait_query(page, type="protest")
    wait_caption(page, 3, N_ALL)
    expect_map(frame, points=3, areas=0)                          # Quetta, Kharkiv, one Tripoli
    page.keyboard.press("Escape")
    assert frame.inner_text(".ev-legend").splitlines()[1:2] == ["Protest 3"]

    # a second type
    pick_option(page, "Event type", "Battle")
    wait_query(page, type="protest,battle")
    wait_caption(page, 4, N_ALL)
    expect_map(frame, points=4, areas=0)
    page.keyboard.press("Escape")
    assert seen["errors"] == []
    assert_only_tiles_blocked(seen)


def test_the_background_switch_reveals_a_background_event(app, open_page):
    page, seen = open_page(app)
    frame = loaded(page, N_REPORTED, N_ALL, points=N_PINS, areas=0)
    assert "background" not in query(page)
    switch = page.get_by_role("switch", name="Show background")
    page.get_by_text("Show background", exact=True).click()
    wait_query(page, background="1", start="2022-09-10", end="2024-03-14")   # the window followed the span
    wait_caption(page, N_ALL, N_ALL)
    expect_map(frame, points=N_PINS + 1, areas=0, events=N_ALL)
    izium = app.event(app.ids["Izium"][0])
    pin = pin_near(frame, izium["lat"], izium["lon"])
    pin.hover()
    assert frame.locator(".leaflet-tooltip").last.inner_text() == "Izium · 2022-09-10 · Battle"
    text = popup_of(frame, pin).inner_text()
    assert text.startswith("Battle · background (history or context)")
    assert "Ukrainian forces retook Izium on 10 September 2022." in text
    assert switch.is_checked()
    page.get_by_text("Show background", exact=True).click()
    wait_caption(page, N_REPORTED, N_ALL)
    wait_query(page, start="2024-03-05", end="2024-03-14")
    assert "background" not in query(page)
    assert seen["errors"] == []


def test_an_incident_reported_by_three_articles_is_one_pin_listing_each_source(app, open_page):
    sibi = app.ids["Sibi"]
    page, seen = open_page(app, "/?type=explosion_remote_violence")
    frame = loaded(page, 3, N_ALL, points=1, areas=0)             # three reports, one pin
    pin = find_pin(frame, "Sibi")
    assert frame.locator(".leaflet-tooltip").last.inner_text() == \
        "Sibi · 2024-03-05 · Explosion / remote violence · reported by 3 sources"
    assert pin.inner_text() == "3"
    popup = popup_of(frame, pin)
    text = popup.inner_text()
    assert "reported by 3 sources" in text and popup.locator(".ev-src").count() == 3
    for title, sentence in (("Bomb attack at Sibi rally", "A suicide bomber attacked an election rally in Sibi"),
                            ("Five killed in Sibi blast", "An explosion in Sibi killed five people"),
                            ("Balochistan after the Sibi bombing", "Police said the blast in Sibi on 5 March")):
        assert title in text and sentence in text
    assert sorted(popup.locator("a").evaluate_all("as => as.map(a => a.href)")) == [
        "https://news.example.org/sibi-1", "https://other.example.com/pk/blast"]   # the third has no link
    assert sorted(popup.locator("strong.ev-trigger").all_inner_texts()) == ["attacked", "blast", "explosion"]
    assert popup.locator("mark").all_inner_texts() == ["Sibi"] * 3
    head = [line for line in text.splitlines() if line.strip()]
    assert head[:2] == ["Explosion / remote violence · reported by 3 sources", "Actors: suicide bomber"]
    assert "2024-03-05 (day, dated by \u201con 5 March\u201d)" in text          # the representative's words
    assert "dated by \u201con Tuesday\u201d" in text and "dated by \u201con 5 March 2024\u201d" in text

    # the click selected the incident: the panel shows every source
    wait_query(page, event=str(max(sibi)))                        # the store's representative
    page.get_by_text("Reported by 3 sources", exact=True).wait_for(timeout=TIMEOUT)
    page.get_by_text("Actors: suicide bomber", exact=True).wait_for(timeout=TIMEOUT)
    page.get_by_text("Explosion / remote violence · Sibi · 2024-03-05 (day, dated by “on 5 March”)").wait_for(
        timeout=TIMEOUT)
    for e in sibi:       # in the panel (the table shows the sentences too)
        page.get_by_text(app.event(e)["sentence"], exact=True).and_(page.locator(":not([role=gridcell])")) \
            .wait_for(timeout=TIMEOUT)
    assert seen["errors"] == []
    assert_only_tiles_blocked(seen)


# --------------------------------------------------------------------------- corrections survive a reload

def test_each_correction_is_stored_survives_a_reload_and_can_be_undone(app, open_page):
    """Wrong type, wrong date, not an event, always place NAME as PLACE: made one after the other
    in one session (picking table rows), then a reload shows every one of them."""
    lviv, odesa, washington = app.ids["Lviv"][0], app.ids["Odesa"][0], app.ids["Washington"][0]
    first, second = app.ids["Tripoli"]
    page, seen = open_page(app, f"/?event={lviv}")
    ready(page, N_REPORTED, N_ALL)

    # wrong type
    page.get_by_text("Other · Lviv · 2024-03-12").wait_for(timeout=TIMEOUT)
    tab(page, "Type")
    choose(page, "Type", "Disaster / accident")
    settle(page)
    page.get_by_role("button", name="Save type").click()
    page.get_by_text("Disaster / accident · Lviv · 2024-03-12").wait_for(timeout=TIMEOUT)
    assert app.event(lviv)["type"] == "disaster_accident"

    # wrong date
    pick_table_row(page, "Odesa")
    page.get_by_text("Political · Odesa · 2024-03-14").wait_for(timeout=TIMEOUT)
    tab(page, "Date")
    page.get_by_role("spinbutton", name="day, Date").click()
    page.keyboard.type("06")
    page.get_by_text("Precision", exact=True).click()            # the date is taken when the field loses focus
    page.get_by_text("Will be stored as 2024-03-06 (day)").wait_for(timeout=TIMEOUT)
    page.get_by_role("button", name="Save date").click()
    page.get_by_text("Political · Odesa · 2024-03-06").wait_for(timeout=TIMEOUT)
    stored = app.event(odesa)
    assert (stored["date"], stored["day_start"], stored["date_source"]) == ("2024-03-06", "2024-03-06", "stated")

    # not an event
    pick_table_row(page, "Washington")
    page.get_by_text("Political · Washington · 2024-03-12").wait_for(timeout=TIMEOUT)
    tab(page, "Not an event")
    page.get_by_role("button", name="Not an event (hide)").click()
    wait_caption(page, N_REPORTED - 1, N_ALL - 1)
    assert app.event(washington)["hidden"]

    # always place "Tripoli" as Tripoli, Lebanon (picked among the alternatives); the table lists
    # the newest first: the protest of the 13th
    pick_table_row(page, "Tripoli")
    page.get_by_text(re.compile(r"^Protest · Tripoli · 2024-03-13")).wait_for(timeout=TIMEOUT)
    tab(page, "Place")
    page.get_by_text("Pick an alternative", exact=True).wait_for(timeout=TIMEOUT)
    choose(page, "Alternative", views.alternative_label(TRIPOLI_LB))
    settle(page)
    page.get_by_text("Always place “Tripoli” there in this store").click()
    settle(page)
    page.get_by_role("button", name="Save correction").click()
    page.get_by_text(re.compile(r"^Now at 34\.4367, 35\.8497 · .* · corrected by hand$")).first.wait_for(timeout=TIMEOUT)
    for e in (first, second):                                    # both articles' mentions
        moved = app.event(e)
        assert (moved["lat"], moved["lon"]) == pytest.approx((TRIPOLI_LB["lat"], TRIPOLI_LB["lon"]))
        assert moved["country_code"] == "LB" and "place_rule" in moved["corrected_by"]

    # a reload (on the other Tripoli article's event) shows all four
    page.goto(app.url + f"/?event={first}")
    frame = ready(page, N_REPORTED - 1, N_ALL - 1)                # Washington stays hidden
    page.get_by_text(re.compile(r"^Now at 34\.4367, 35\.8497 · .* · corrected by hand$")).first.wait_for(timeout=TIMEOUT)
    assert "Disaster / accident 1" in frame.inner_text(".ev-legend")
    wait_query(page, end="2024-03-13")           # Odesa moved to the 6th: the last reported day is Tripoli's 13th
    page.get_by_text("Corrections (4)").click()
    for pattern in (r"· type · 'Lviv' .* → type disaster_accident$", r"· date · 'Odesa' .* → date 2024-03-06",
                    r"· not an event · 'Washington' ",
                    r"· always place · every mention reading 'tripoli' · → lat 34\.4367"):
        page.get_by_text(re.compile(pattern)).wait_for(timeout=TIMEOUT)
    page.get_by_text("Hidden events (1)").click()
    page.get_by_text(re.compile(r"^'Washington' at \d+-\d+ of article \d+ \(Fire in Lviv\) · hidden 20")).wait_for(
        timeout=TIMEOUT)

    # restore the hidden event; undo the type
    page.get_by_role("button", name="Restore").click()
    wait_caption(page, N_REPORTED, N_ALL)
    settle(page)        # (the run the restore started redraws the panels: a click meanwhile can be lost)
    assert not app.event(washington)["hidden"]
    page.get_by_text("Corrections (3)").click()
    with Store.open(app.db) as s:
        typed = next(c["id"] for c in s.corrections() if c["kind"] == "type")
    page.locator(f".st-key-w_undo_{typed} button").click()
    page.get_by_text("Corrections (2)").wait_for(timeout=TIMEOUT)
    assert app.event(lviv)["type"] == "other"
    assert seen["errors"] == []
    assert_only_tiles_blocked(seen)
