"""The running app in a real browser: `streamlit run app.py` from the project root (GEO_DB = a
fresh temporary SQLite file), driven by Playwright with Debian's Chromium and the network off
(every request not to the app itself is aborted; only OpenStreetMap tiles may even try).

Two app processes for the whole module: one on an empty database (the first visit fills it from
seeds/), one on a database prepared before the start (the seed, an article with events in March
and May 2024, and an article carrying markup in its title and sentence).

Skips when /usr/bin/chromium is missing, except with CI=true (then it fails).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from geo import views
from geo.store import Store
from tests.browser import (COUNT_JS, OSM_TILES, ROOT, TIMEOUT, Server, assert_only_tiles_blocked, map_frame,
                           pick_option, query, settle, streamlit_server, wait_query)

SEEDS = ROOT / "seeds"

POLAND = """Storms and floods across Poland
Published: 2024-05-25

Heavy storms tore roofs off houses in Gdansk on 12 March 2024, the city council said.

Floods hit the city of Krakow on 20 May 2024, forcing hundreds of residents to leave their homes, \
and rescuers worked in Wroclaw on 21 May 2024.
"""

XSS_IMG = '<img src=x onerror="window.__xss=1">'
XSS_SCRIPT = "<script>window.__xss=2</script>"
XSS_TITLE = "Shelling hit Kharkiv" + XSS_IMG + XSS_SCRIPT
# (The recogniser needs "the city of" here: a tag glued to the name hides it from the NER.)
XSS_SENTENCE = ("Shelling hit the city of Kharkiv on 3 March 2024" + XSS_IMG + XSS_SCRIPT
                + ", the regional governor said.")
KHARKIV = f"""{XSS_TITLE}
Published: 2024-03-04

{XSS_SENTENCE}
"""


@dataclass
class App:
    server: Server
    db: Path

    @property
    def url(self) -> str:
        return self.server.url

    def events(self) -> list:
        with Store.open(self.db) as s:
            return s.events()


@pytest.fixture(scope="module")
def empty_app(browser, tmp_path_factory):
    """The app on a database file that does not exist yet."""
    d = tmp_path_factory.mktemp("app-empty")
    db = d / "events.db"
    with streamlit_server("app.py", ROOT, d / "streamlit.log", env={"GEO_DB": str(db)}) as server:
        yield App(server, db)


@pytest.fixture(scope="module")
def prepared_app(browser, tmp_path_factory, geoparser):
    """The app on a database holding the seed, POLAND and KHARKIV (ingested before the start)."""
    from geo.ingest import ingest, read_inputs
    d = tmp_path_factory.mktemp("app-prepared")
    (d / "poland.txt").write_text(POLAND, encoding="utf-8")
    (d / "kharkiv.txt").write_text(KHARKIV, encoding="utf-8")
    db = d / "events.db"
    with Store.open(db) as s:
        summary = ingest(read_inputs([str(SEEDS), str(d / "poland.txt"), str(d / "kharkiv.txt")]), s, geoparser)
    assert summary.added == 3 and not summary.failed, summary
    with streamlit_server("app.py", ROOT, d / "streamlit.log", env={"GEO_DB": str(db)}) as server:
        app = App(server, db)
        # what the tests below count on: 9 events, one of them an area (the region), all dated
        got = sorted((e["name"], e["kind"], e["day_start"]) for e in app.events())
        assert got == [("Barda", "city", "2024-04-17"), ("Dadivank Monastery", "landmark", "2024-04-17"),
                       ("Gdańsk", "city", "2024-03-12"), ("Kharkiv", "city", "2024-03-03"),
                       ("Khojaly", "city", "2024-04-17"), ("Kraków", "city", "2024-05-20"),
                       ("Nagorno-Karabakh", "region", "2023-09-01"), ("Tartar", "city", "2024-04-17"),
                       ("Wrocław", "city", "2024-05-21")], got
        yield app



# --------------------------------------------------------------------------- helpers

def wait_caption(page, n: int, m: int) -> None:
    """The one caption over the map reads exactly 'Showing n of m events'."""
    def captions() -> list:
        return [t.strip() for t in page.locator("[data-testid=stCaptionContainer]").all_inner_texts()
                if re.fullmatch(r"Showing \d+ of \d+ events", t.strip())]
    try:
        page.get_by_text(f"Showing {n} of {m} events", exact=True).wait_for(timeout=TIMEOUT)
    except Exception as exc:   # noqa: BLE001 - say what the page shows instead
        raise AssertionError(f"caption {captions()}, not 'Showing {n} of {m} events'") from exc
    shown = captions()
    assert shown == [f"Showing {n} of {m} events"], shown


def expect_map(frame, points: int, areas: int, events: int = None) -> None:
    """The map shows `points` incidents as pins or inside clusters, `areas` event areas, and the
    legend counts `events` events (default: one per pin and area)."""
    n = points + areas if events is None else events
    js = (f"() => {{ const c = ({COUNT_JS})(); const l = document.querySelector('.ev-legend');"
          f" return c.pins + c.clustered === {points} && c.areas === {areas}"
          f" && !!l && l.innerText.includes('· {n} event{'s' if n != 1 else ''}'); }}")
    try:
        frame.wait_for_function(js, timeout=TIMEOUT)
    except Exception as exc:   # noqa: BLE001
        legend = frame.evaluate("() => (document.querySelector('.ev-legend') || {}).innerText")
        raise AssertionError(f"map shows {frame.evaluate(COUNT_JS)}, legend {legend!r}; "
                             f"expected {points} points and {areas} areas") from exc


def loaded(page, n: int, m: int, points: int, areas: int):
    """Wait for the page to show n of m events, the map to draw them, and the app to go quiet;
    returns the map's frame."""
    wait_caption(page, n, m)
    frame = map_frame(page)
    expect_map(frame, points=points, areas=areas, events=n)
    settle(page)
    return frame


def table_row(page, name: str) -> int:
    """The row (0-based) of the events table whose place is `name` (from the grid's
    accessibility table, which mirrors the canvas)."""
    selector = "[data-testid=stDataFrame] td[role=gridcell][aria-colindex='1']"
    cells = page.locator(selector)
    try:   # the grid fills its cells a moment after it is attached, and again after each rerun
        page.wait_for_function("([s, n]) => [...document.querySelectorAll(s)]"
                               ".some(c => c.textContent === n)", arg=[selector, name], timeout=TIMEOUT)
    except Exception as exc:   # noqa: BLE001 - say what the table shows instead
        raise AssertionError(f"{name!r} not among the table's places {cells.all_text_contents()}") from exc
    names = cells.all_text_contents()
    if name not in names:
        raise AttributeError("the table is being drawn anew")
    cell_id = cells.nth(names.index(name)).get_attribute("id")     # glide-cell-<col>-<row>
    if cell_id is None:
        raise AttributeError("the table is being drawn anew")
    return int(cell_id.rsplit("-", 1)[1])


def pick_table_row(page, name: str) -> None:
    """Tick the row's selection box (the grid is a canvas: 35 px header and rows, the row
    marker column on the left)."""
    from playwright.sync_api import Error as PlaywrightError
    for attempt in range(3):
        try:
            row = table_row(page, name)
            grid = page.locator("[data-testid=stDataFrame]")
            grid.scroll_into_view_if_needed(timeout=5000)
            box = grid.bounding_box(timeout=5000)
            if box is None:
                raise PlaywrightError("the table is not laid out")
        except (PlaywrightError, AttributeError):      # the table was drawn anew meanwhile
            if attempt == 2:
                raise
            settle(page)
            continue
        page.mouse.click(box["x"] + 18, box["y"] + 35 + 35 * row + 17)
        return


def wait_map_centre(page, lat: float, lon: float) -> None:
    """The URL's map centre (reported by the map after it moved) is at (lat, lon)."""
    js = ("([lat, lon]) => { const c = new URLSearchParams(location.search).get('center');"
          " if (!c) return false; const [a, b] = c.split(',').map(Number);"
          " return Math.abs(a - lat) < 1e-3 && Math.abs(b - lon) < 1e-3; }")
    try:
        page.wait_for_function(js, arg=[lat, lon], timeout=TIMEOUT)
    except Exception as exc:   # noqa: BLE001
        raise AssertionError(f"URL {query(page)}: the map is not centred on {lat}, {lon}") from exc


def choose(page, label: str, option: str) -> None:
    """Pick `option` in the selectbox labelled `label`: focus it, open its list with the keyboard
    (a click may land while the page scrolls, which closes the list), click the option."""
    pick_option(page, label, option)
    page.wait_for_function("([l, v]) => [...document.querySelectorAll('input[role=combobox]')]"
                           ".some(e => e.getAttribute('aria-label') === l && e.value === v)",
                           arg=[label, option], timeout=TIMEOUT)


def find_pin(frame, tooltip_start: str):
    """The pin whose tooltip starts with `tooltip_start` (hovering each pin in turn)."""
    pins = frame.locator(".ev-pin")
    seen = []
    for k in range(pins.count()):
        pins.nth(k).hover()
        tip = frame.locator(".leaflet-tooltip").last
        tip.wait_for(timeout=5000)
        text = tip.inner_text()
        seen.append(text)
        if text.startswith(tooltip_start):
            return pins.nth(k)
    raise AssertionError(f"no pin with a tooltip starting {tooltip_start!r}: {seen}")


def assert_nothing_ran(page, frame, seen) -> None:
    """No markup from article text became an element or ran, in the page or in the map."""
    for where in (page, frame):
        assert where.evaluate("typeof window.__xss") == "undefined", where.url
        assert where.evaluate("document.querySelectorAll('img[onerror], img[src=\"x\"]').length") == 0
        assert where.evaluate("[...document.scripts].filter(s => s.textContent.trim()"
                              " === 'window.__xss=2').length") == 0
    assert not [u for u in seen["requests"] if u.split("?")[0].endswith("/x")], "the <img src=x> was loaded"


# --------------------------------------------------------------------------- tests

def test_first_visit_fills_the_empty_database_and_maps_the_seed(empty_app, open_page):
    if empty_app.db.exists():
        with Store.open(empty_app.db) as s:
            assert s.count_articles() == 0, "the database was not empty before the first visit"
    page, seen = open_page(empty_app)
    page.get_by_text("Added 1 sample article(s) with 5 events", exact=True).wait_for(timeout=TIMEOUT)
    with Store.open(empty_app.db) as s:
        assert s.count_articles() == 1 and s.count_events() == 5
    events = empty_app.events()
    assert sorted(e["kind"] for e in events) == ["city", "city", "city", "landmark", "region"]
    # a fresh visit shows the reported events (the seed's history is background) over their span
    start, end = views.opening_window(events)
    reported = [e for e in events if e["role"] == "reported"]
    points = sum(e["kind"] not in ("region", "country") for e in reported)
    wait_caption(page, len(reported), 5)
    frame = map_frame(page)
    expect_map(frame, points=points, areas=len(reported) - points)
    # the address bar is a link to this view
    wait_query(page, start=start.isoformat(), end=end.isoformat())
    assert seen["errors"] == []
    assert_only_tiles_blocked(seen)
    assert any(u.startswith(OSM_TILES) for u in seen["blocked"])   # the blocking was in force


SEED_ALL = "/?background=1&start=2023-09-01&end=2024-04-17"      # the seed's five events, its whole span


def test_the_seed_with_background_shows_all_five_events_over_its_whole_span(empty_app, open_page):
    page, seen = open_page(empty_app, SEED_ALL)
    loaded(page, 5, 5, points=4, areas=1)     # 3 towns and a monastery; Nagorno-Karabakh as an area
    assert page.get_by_role("slider", name="Dates — start").get_attribute("aria-valuetext") == "2023-09-01"
    assert page.get_by_role("slider", name="Dates — end").get_attribute("aria-valuetext") == "2024-04-17"
    assert seen["errors"] == []


EVERYTHING = "/?background=1&start=2023-09-01&end=2024-05-21"     # every event of the prepared store


def test_a_link_with_dates_opens_that_window(prepared_app, open_page):
    page, seen = open_page(prepared_app, "/?start=2024-04-01&end=2024-04-30&background=1")
    loaded(page, 4, 9, points=4, areas=0)     # the four April events of the seed
    assert page.get_by_role("slider", name="Dates — start").get_attribute("aria-valuetext") == "2024-04-01"
    assert page.get_by_role("slider", name="Dates — end").get_attribute("aria-valuetext") == "2024-04-30"
    q = query(page)
    assert (q["start"], q["end"]) == ("2024-04-01", "2024-04-30")      # the link keeps its window

    assert seen["errors"] == []
    assert_only_tiles_blocked(seen)


def test_the_page_is_a_product_without_deploy_button_or_developer_menu(prepared_app, open_page):
    """.streamlit/config.toml: toolbar in viewer mode (issue 13)."""
    page, seen = open_page(prepared_app, "/?start=2024-04-01&end=2024-04-30&background=1")
    loaded(page, 4, 9, points=4, areas=0)
    assert page.locator("[data-testid=stAppDeployButton]").count() == 0
    menu = page.locator("[data-testid=stMainMenu]")
    if menu.count():                              # viewer mode keeps only the viewer's items
        menu.first.click()
        page.locator("[data-testid=stMainMenuList], [role=menu], ul[role=listbox]").first.wait_for(timeout=TIMEOUT)
        for developer_item in ("Clear cache", "Rerun", "Record a screencast", "Developer options"):
            assert page.get_by_text(developer_item, exact=False).count() == 0, developer_item
        page.keyboard.press("Escape")
    assert_only_tiles_blocked(seen)


def test_moving_the_date_slider_changes_the_map_and_the_url(prepared_app, open_page):
    page, seen = open_page(prepared_app, EVERYTHING)
    frame = loaded(page, 9, 9, points=8, areas=1)
    frame.evaluate("window.__mounted = 'once'")

    end = page.get_by_role("slider", name="Dates — end")
    end.focus()
    end.press("ArrowLeft")                    # one day earlier: Wrocław (21 May) drops out
    wait_query(page, start="2023-09-01", end="2024-05-20")
    wait_caption(page, 8, 9)
    expect_map(frame, points=7, areas=1)
    assert end.get_attribute("aria-valuetext") == "2024-05-20"

    start = page.get_by_role("slider", name="Dates — start")
    start.focus()
    start.press("End")                        # the start thumb as far as the end thumb: one day
    wait_query(page, start="2024-05-20", end="2024-05-20")
    wait_caption(page, 1, 9)                  # Kraków
    expect_map(frame, points=1, areas=0)

    start.press("Home")                       # back to the first day
    wait_query(page, start="2023-09-01", end="2024-05-20")
    wait_caption(page, 8, 9)
    expect_map(frame, points=7, areas=1)
    assert frame.evaluate("window.__mounted") == "once"    # the map was updated, not reloaded
    assert seen["errors"] == []
    assert_only_tiles_blocked(seen)


def test_popup_and_panel_show_markup_from_articles_as_text(prepared_app, open_page):
    kharkiv = next(e for e in prepared_app.events() if e["name"] == "Kharkiv")
    assert kharkiv["title"] == XSS_TITLE and kharkiv["sentence"] == XSS_SENTENCE
    page, seen = open_page(prepared_app, EVERYTHING)
    page.locator("[data-testid=stDataFrame] td[role=gridcell]").first.wait_for(state="attached",
                                                                              timeout=TIMEOUT)
    frame = loaded(page, 9, 9, points=8, areas=1)

    pin = find_pin(frame, "Kharkiv")
    assert XSS_IMG not in frame.locator(".leaflet-tooltip").last.inner_html()   # escaped in the tooltip
    pin.click()
    popup = frame.locator(".leaflet-popup-content")
    popup.wait_for(timeout=TIMEOUT)
    text = popup.inner_text()
    assert XSS_TITLE in text                  # the title, literally
    assert XSS_SENTENCE in text               # the sentence, literally
    assert popup.locator("img, script").count() == 0
    assert popup.locator("mark").inner_text() == "Kharkiv"

    # the click selected the event: the panel shows the same text literally (no Markdown
    # backslashes, no HTML), and the URL names the event
    wait_query(page, event=str(kharkiv["id"]))
    page.get_by_text("Fix this pin", exact=True).wait_for(timeout=TIMEOUT)
    panel = page.locator("[data-testid=stCaptionContainer], [data-testid=stText], [data-testid=stMarkdownContainer]")
    panel.get_by_text(XSS_TITLE, exact=True).first.wait_for(timeout=TIMEOUT)      # (the table lists it too)
    panel.get_by_text(XSS_SENTENCE, exact=True).first.wait_for(timeout=TIMEOUT)
    page.wait_for_timeout(300)                # give an injected onerror handler its chance
    assert_nothing_ran(page, frame, seen)
    assert seen["errors"] == []
    assert_only_tiles_blocked(seen)


def test_fix_this_pin_is_stored_and_shown_in_a_new_session(empty_app, open_page):
    page, seen = open_page(empty_app, SEED_ALL)
    loaded(page, 5, 5, points=4, areas=1)     # (the first visit fills the database, if still empty)
    barda = next(e for e in empty_app.events() if e["name"] == "Barda")
    assert not barda["corrected"]
    # the alternatives the panel offers (those not at the current spot); take the last one
    alts = [a for a in barda["alternatives"] if a.get("lat") is not None and a.get("lon") is not None
            and (a["lat"], a["lon"]) != (barda["lat"], barda["lon"])]
    assert alts, barda["alternatives"]
    alt = alts[-1]
    new = f"{alt['lat']:.4f}, {alt['lon']:.4f}"

    pick_table_row(page, "Barda")
    page.get_by_text(f"Now at {barda['lat']:.4f}, {barda['lon']:.4f}").wait_for(timeout=TIMEOUT)
    wait_query(page, event=str(barda["id"]))
    wait_map_centre(page, barda["lat"], barda["lon"])     # the map went to the event (and said so)
    settle(page)
    page.get_by_text("Pick an alternative", exact=True).wait_for(timeout=TIMEOUT)
    choose(page, "Alternative", views.alternative_label(alt))
    page.get_by_role("button", name="Save correction").click()
    page.get_by_text(f"Saved: 1 event(s) moved to {new}").wait_for(timeout=TIMEOUT)
    page.get_by_text(re.compile(rf"^Now at {re.escape(new)} · .* · corrected by hand$")).wait_for(timeout=TIMEOUT)

    # stored in the SQLite file
    moved = next(e for e in empty_app.events() if e["id"] == barda["id"])
    assert moved["corrected"] and moved["name"] == alt["name"]
    assert (moved["lat"], moved["lon"]) == pytest.approx((alt["lat"], alt["lon"]))

    # a fresh visit (a new session, no event in the link): picking the row again shows the
    # event at its new place, and the map centres there
    page.goto(empty_app.url + SEED_ALL)
    loaded(page, 5, 5, points=4, areas=1)
    page.get_by_text("Pick a row in the table or click a pin.").wait_for(timeout=TIMEOUT)
    pick_table_row(page, alt["name"])
    page.get_by_text(re.compile(rf"^Now at {re.escape(new)} · .* · corrected by hand$")).wait_for(timeout=TIMEOUT)
    wait_query(page, event=str(barda["id"]))
    wait_map_centre(page, alt["lat"], alt["lon"])
    assert seen["errors"] == []
    assert_only_tiles_blocked(seen)
