"""The article view's and the sharing polish's plain functions (issue 13 items 5 and 9): the marks of
an article's text and their escaping, the article filter in the URL and the store's filters, the
popup's "Read the article" reference, the embed snippet, and the map payload's switches."""
from __future__ import annotations

from datetime import date

from geo import mapview, views

TEXT = 'Shelling hit Kharkiv on 3 March 2024 <img src=x onerror="alert(1)">, and Kyiv said so. Kharkiv again.'


def event(**kw) -> dict:
    start = TEXT.index("Kharkiv")
    d0 = TEXT.index("on 3 March 2024")
    base = {"id": 7, "name": "Kharkiv", "type": "battle", "date": "2024-03-03", "role": "reported",
            "mention_start": start, "mention_end": start + 7, "date_text": "on 3 March 2024",
            "date_text_start": d0, "date_text_end": d0 + len("on 3 March 2024")}
    return {**base, **kw}


def mention(name: str, nth: int = 0) -> dict:
    start = -1
    for _ in range(nth + 1):
        start = TEXT.index(name, start + 1)
    return {"start": start, "end": start + len(name), "name": name, "kind": "city", "country_code": "UA"}


def test_marks_event_places_over_mentions_and_date_words_each_once():
    spans = views.article_spans(TEXT, [event()], [mention("Kharkiv"), mention("Kyiv"), mention("Kharkiv", 1)])
    got = [(TEXT[s["start"]:s["end"]], s["kind"]) for s in spans]
    assert got == [("Kharkiv", "event"), ("on 3 March 2024", "date"), ("Kyiv", "place"), ("Kharkiv", "place")]


def test_spans_that_do_not_fit_the_text_or_its_words_are_left_out():
    wrong_words = event(date_text="on 4 March 2024")                  # corrected since: not these words
    out_of_text = event(id=8, mention_start=len(TEXT) - 2, mention_end=len(TEXT) + 5, date_text_start=None)
    spans = views.article_spans(TEXT, [wrong_words, out_of_text], [{"start": 5, "end": 3}])
    assert [s["kind"] for s in spans] == ["event"]


def test_article_html_escapes_the_text_and_cuts_a_long_one():
    body, cut = views.article_html(TEXT, [event()], [mention("Kyiv")])
    assert not cut and "<img" not in body and "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in body
    assert '<mark class="art-event" data-event="7"' in body and 'title="Battle · Kharkiv · 2024-03-03 · reported"' in body
    assert body.count("<mark") == 3
    hostile = event(name='"><script>x</script>', type="protest")
    body, _ = views.article_html(TEXT, [hostile], [])
    assert "<script>" not in body and "&quot;&gt;&lt;script&gt;" in body      # a name in a title attribute
    body, cut = views.article_html("a" * 50 + " Kharkiv", [], [{"start": 51, "end": 58}], limit=40)
    assert cut and "mark" not in body and body.count("a") >= 40


def test_the_article_filter_and_the_article_read_are_in_the_url():
    state = views.ViewState(start=date(2024, 3, 1), end=date(2024, 3, 31), article=12, reading=12)
    q = views.to_query(state)
    assert (q["article"], q["read"]) == ("12", "12")
    assert views.from_query(q) == state
    assert views.from_query({"article": "12; drop", "read": "-3"}).article is None
    f = views.store_filters(state, ("2024-01-01", "2024-12-31"))
    assert f["article"] == 12
    assert views.filter_events([{"id": 1, "article_id": 12, "day_start": "2024-03-02", "day_end": "2024-03-02"},
                                {"id": 2, "article_id": 13, "day_start": "2024-03-02", "day_end": "2024-03-02"}],
                               state) == [{"id": 1, "article_id": 12, "day_start": "2024-03-02",
                                           "day_end": "2024-03-02"}]
    assert "article #12 only" in views.describe(state, 3)


def test_a_popups_read_link_names_its_article_and_keeps_the_events_reference():
    tip = "Sibi · 2024-03-05 · Battle[#123][read #45]"
    assert views.tooltip_event_id(tip) == 123 and views.tooltip_read_article(tip) == 45
    assert views.tooltip_read_article("Sibi · 2024-03-05 · Battle[#123]") is None


def test_embed_snippet_is_an_iframe_of_the_link_with_its_attributes_escaped():
    snippet = views.embed_snippet('http://h/?q=a"b&start=2024-03-01', title="<Map>")
    assert snippet.startswith('<iframe src="http://h/?q=a&quot;b&amp;start=2024-03-01&amp;embed=true"')
    assert 'title="&lt;Map&gt;"' in snippet and snippet.endswith("></iframe>")
    assert views.embed_link("http://h/") == "http://h/?embed=true"


def test_payload_switches_and_article_ids():
    e = {"id": 1, "article_id": 9, "name": "Lviv", "lat": 49.8, "lon": 24.0, "kind": "city", "type": "other",
         "title": "Fire", "sentence": "A fire in Lviv."}
    p = mapview.event_payload([e])
    assert (p["read"], p["cluster"], p["list"]) == (False, True, False)
    assert p["articles"][p["events"][0][15]][4] == 9
    p = mapview.event_payload([e], read_links=True, cluster=False, side_list=True)
    assert (p["read"], p["cluster"], p["list"]) == (True, False, True)


# --------------------------------------------------------------------------- in the app (AppTest: no browser)

def test_the_table_opens_the_article_of_the_picked_row_and_its_filter_clears(tmp_path, monkeypatch):
    """A row picked in the table (here: the event a link selects, ticked in the table) offers "Read the
    article of the selected row"; the article view opens; "only this article" shows in the sidebar."""
    from streamlit.testing.v1 import AppTest
    from geo.store import Store
    from tests.app_data import build_store
    from tests.conftest import ROOT
    db = tmp_path / "events.db"
    by_name = build_store(db)
    monkeypatch.setenv("GEO_DB", str(db))
    lviv = by_name["Lviv"][0]
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.query_params.update({"start": "2024-03-01", "end": "2024-03-14", "event": str(lviv["id"])})
    at.run()
    assert not at.exception
    read_row = at.button(key="w_read_row")
    assert read_row.label == "Read the article of the selected row: “Fire in Lviv”"
    read_row.click().run()
    assert at.session_state["reading"] == lviv["article_id"] and at.query_params["read"] == str(lviv["article_id"])
    assert any(s.value == "Fire in Lviv" for s in at.subheader)
    with Store.open(db) as s:
        n_article = s.count_view(article=lviv["article_id"], role="reported")
    at.button(key="w_article_only").click().run()
    assert not at.exception
    assert at.query_params["article"] == str(lviv["article_id"])
    assert any(c.value == f"Showing {n_article} of 11 events" for c in at.caption)
    assert any("Only the article “Fire in Lviv”" in i.value for i in at.sidebar.info)
    at.button(key="w_article_clear").click().run()
    assert "article" not in at.query_params and not at.sidebar.info
