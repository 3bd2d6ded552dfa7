"""Issue 13 item 5, the article view, in the running app (Chromium, network off): from the
selected-event panel and from a pin's popup the user opens the article, reads its whole text with
the event places, the words that dated them and the other places marked (the text, carrying
markup, shown as text and never run), sees its events, and puts "only this article" on the map
(in the URL, and cleared again).

One app process for the module on tests/app_data.py's store plus one article with stored mentions
and the offsets of its date words (written as ingest writes them: no NLP involved).

Skips when /usr/bin/chromium is missing, except with CI=true (then it fails).
"""
from __future__ import annotations

import pytest

from geo.store import Store
from tests.app_data import _article, _event, build_store
from tests.browser import COUNT_JS, ROOT, TIMEOUT, assert_only_tiles_blocked, map_frame, query, settle, \
    streamlit_server, wait_query
from tests.test_app_browser import wait_caption

XSS = '<img src=x onerror="window.__xss=1"><script>window.__xss=2</script>'
TEXT = (f"Shelling hit Mariupol on 4 March 2024, officials in Kyiv said. {XSS}\n"
        "Hundreds of residents marched in Kherson on 5 March 2024 to demand water.")
TITLE = "Two days in the south <b>live</b>"
MARIUPOL = {"name": "Mariupol", "lat": 47.0951, "lon": 37.5413, "country_code": "UA", "kind": "city",
            "place_key": "gn:701822"}
KHERSON = {"name": "Kherson", "lat": 46.6558, "lon": 32.6178, "country_code": "UA", "kind": "city",
           "place_key": "gn:706448"}
KYIV = {"name": "Kyiv", "lat": 50.4547, "lon": 30.5238, "country_code": "UA", "kind": "city",
        "place_key": "gn:703448"}


def dated(text: str, event: dict, words: str) -> dict:
    start = text.index(words)
    return {**event, "date_text": words, "date_text_start": start, "date_text_end": start + len(words)}


def mention(text: str, place: dict) -> dict:
    start = text.index(place["name"])
    return {**place, "start": start, "end": start + len(place["name"]), "text": place["name"], "score": 0.9}


@pytest.fixture(scope="module")
def app(browser, tmp_path_factory):
    d = tmp_path_factory.mktemp("app-article")
    db = d / "events.db"
    build_store(db)
    events = [dated(TEXT, _event(TEXT, MARIUPOL, "Mariupol", "Shelling", type="explosion_remote_violence",
                                 date="2024-03-04"), "on 4 March 2024"),
              dated(TEXT, _event(TEXT, KHERSON, "Kherson", "marched", type="protest", date="2024-03-05",
                                 actors=["Hundreds of residents"]), "on 5 March 2024")]
    art = _article("south", TITLE, "2024-03-06", "https://news.example.org/south", TEXT, events)
    art["mentions"] = [mention(TEXT, p) for p in (MARIUPOL, KYIV, KHERSON)]
    with Store.open(db) as store:
        outcome = store.add(art)
        ids = {e["name"]: e["id"] for e in store.view_events(article=outcome.article_id)}
        n_all, n_reported = store.count_view(), store.count_view(role="reported")
        n_days = store.count_view(role="reported", start="2024-03-04", end="2024-03-05")   # the article's days
    with streamlit_server("app.py", ROOT, d / "streamlit.log", env={"GEO_DB": str(db)}) as server:
        server.article, server.ids, server.n_all, server.n_reported = outcome.article_id, ids, n_all, n_reported
        server.n_days = n_days
        yield server


def article_view(page):
    view = page.locator(".st-key-article_view")
    view.wait_for(timeout=TIMEOUT)
    return view


def marks(view, kind: str) -> list:
    return view.locator(f"mark.art-{kind}").all_inner_texts()


def test_the_article_from_the_selected_event_marks_its_places_and_filters_the_map(app, open_page):
    page, seen = open_page(app, f"/?start=2024-03-01&end=2024-03-14&event={app.ids['Mariupol']}")
    n_reported = app.n_reported          # tests/app_data.py's reported events and this article's two
    wait_caption(page, n_reported, app.n_all)
    settle(page)
    page.get_by_role("button", name="Read the article", exact=True).click()
    view = article_view(page)
    view.get_by_text(TITLE, exact=True).wait_for(timeout=TIMEOUT)         # markup in a title is text
    wait_query(page, read=str(app.article))
    # every recognised place marked: the events' places, the words that dated them, the other place
    view.locator("mark.art-place").first.wait_for(timeout=TIMEOUT)
    assert marks(view, "event") == ["Mariupol", "Kherson"]
    assert marks(view, "date") == ["on 4 March 2024", "on 5 March 2024"]
    assert marks(view, "place") == ["Kyiv"]
    assert "Protest · Kherson · 2024-03-05" in view.locator("mark.art-event").nth(1).get_attribute("title")
    text = view.locator(".art-text").inner_text()
    assert XSS in text and text.startswith("Shelling hit Mariupol")       # the article's markup, as text
    assert page.evaluate("window.__xss") is None
    assert view.locator(".art-text img, .art-text script").count() == 0
    assert view.get_by_role("link", name="Open the source ↗").get_attribute("href") == "https://news.example.org/south"
    # its events, listed
    assert "2 events" in view.locator("[data-testid=stCaptionContainer]").first.inner_text()
    view.locator("[data-testid=stDataFrame]").wait_for(timeout=TIMEOUT)

    # only this article on the map: in the URL, the caption, the map; then cleared
    view.get_by_role("button", name="Show only this article on the map").click()
    wait_query(page, article=str(app.article))
    wait_caption(page, 2, app.n_all)
    frame = map_frame(page)
    frame.wait_for_function(f"() => ({COUNT_JS})().pins + ({COUNT_JS})().clustered === 2", timeout=TIMEOUT)
    page.get_by_text("Only the article “Two days in the south <b>live</b>”").wait_for(timeout=TIMEOUT)
    settle(page)
    article_view(page).get_by_role("button", name="Show every article").click()
    page.wait_for_function("() => !new URLSearchParams(location.search).has('article')", timeout=TIMEOUT)
    wait_caption(page, app.n_days, app.n_all)        # every article again, over the article's days
    assert app.n_days > 2 and (query(page)["start"], query(page)["end"]) == ("2024-03-04", "2024-03-05")
    assert query(page)["read"] == str(app.article)                        # still reading it
    assert_only_tiles_blocked(seen)


# The mouse events a desktop browser sends to a pin (see tests/test_selection_browser.py).
CLICK_JS = """() => {
    const pin = document.querySelector('.ev-pin'), r = pin.getBoundingClientRect();
    const at = {bubbles: true, cancelable: true, view: window, button: 0,
                clientX: r.left + r.width / 2, clientY: r.top + r.height / 2};
    for (const t of ['mousedown', 'mouseup', 'click']) { pin.dispatchEvent(new MouseEvent(t, at)); }
}"""


def test_read_the_article_from_a_pins_popup(app, open_page):
    page, seen = open_page(app, f"/?start=2024-03-01&end=2024-03-14&type=protest&center={KHERSON['lat']},"
                                f"{KHERSON['lon']}&zoom=11")
    frame = map_frame(page)
    frame.wait_for_function("() => document.querySelectorAll('.ev-pin').length === 1", timeout=TIMEOUT)
    settle(page)
    assert "read" not in query(page)
    frame.evaluate(CLICK_JS)
    link = frame.locator(".ev-popup button.ev-read")
    link.wait_for(timeout=TIMEOUT)
    assert frame.locator(".ev-popup .ev-title").inner_text() == TITLE
    link.click()
    wait_query(page, read=str(app.article), event=str(app.ids["Kherson"]))
    view = article_view(page)
    view.get_by_text(TITLE, exact=True).wait_for(timeout=TIMEOUT)
    view.locator("mark.art-event").nth(1).wait_for(timeout=TIMEOUT)     # the text streams in after the title
    assert marks(view, "event") == ["Mariupol", "Kherson"]
    settle(page)
    view.get_by_role("button", name="Close article").click()
    page.wait_for_function("() => !new URLSearchParams(location.search).has('read')", timeout=TIMEOUT)
    assert page.locator(".st-key-article_view").count() == 0
    assert_only_tiles_blocked(seen)
