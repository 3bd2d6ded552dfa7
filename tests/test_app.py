"""The app's widget logic through Streamlit's AppTest (no browser; the map component is not drawn).

Each test points GEO_DB at its own file; the geoparser is cached per process, so only the first
run pays for loading spaCy.
"""
import math
import re
from datetime import date

import pytest
from streamlit.testing.v1 import AppTest

from geo import views
from tests.conftest import ROOT, SEED, shown_links

APP = str(ROOT / "app.py")


@pytest.fixture
def db(tmp_path, monkeypatch):
    path = tmp_path / "events.db"
    monkeypatch.setenv("GEO_DB", str(path))
    return path


def new_app(query=None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=180)
    if query:
        at.query_params.update(query)
    return at.run()


def counts(at: AppTest) -> tuple:
    """(N, M) from the one caption that reads 'Showing N of M events'."""
    found = [re.fullmatch(r"Showing (\d+) of (\d+) events", c.value) for c in at.caption]
    found = [m for m in found if m]
    assert len(found) == 1, [c.value for c in at.caption]
    return int(found[0][1]), int(found[0][2])


def stored(db_path):
    from geo.store import Store
    with Store.open(db_path) as s:
        return {e["name"]: e for e in s.events()}


def opening(db_path) -> tuple:
    """What a fresh visit shows, from the stored events (so the NLP's reading of the seed decides
    it, not this file): (reported events in the opening window, all events, the window)."""
    from geo.store import Store
    with Store.open(db_path) as s:
        events = s.events()
    start, end = views.opening_window(events)
    shown = views.filter_events(events, views.ViewState(start=start, end=end), views.data_span(events))
    return len(shown), len(events), {"start": start.isoformat(), "end": end.isoformat()}


def test_first_start_fills_an_empty_database_from_the_seeds_and_filters_change_the_url(db, geoparser):
    at = new_app()
    assert not at.exception
    assert db.exists()
    n, m, window = opening(db)
    assert m == 5 and counts(at) == (n, m)                  # reported events only (the seed's history is background)
    assert at.query_params == window

    # the background switch: the window follows the data's span out to the background event
    at.toggle(key="w_background").set_value(True).run()
    assert counts(at) == (5, 5)
    assert at.query_params == {"start": "2023-09-01", "end": "2024-04-17", "background": "1"}

    # the date slider narrows the view; the URL follows
    at.slider(key="w_window").set_value((date(2024, 4, 1), date(2024, 4, 17))).run()
    assert counts(at) == (4, 5)
    assert (at.query_params["start"], at.query_params["end"]) == ("2024-04-01", "2024-04-17")

    # text search and minimum confidence filters
    at.text_input(key="w_text").set_value("monastery").run()
    assert counts(at) == (1, 5) and at.query_params["q"] == "monastery"
    at.text_input(key="w_text").set_value("").run()
    # a threshold on the slider's 0.05 grid just above the least confident pin in the window
    in_window = [e for e in stored(db).values() if e["role"] == "reported" and "2024-04-01" <= e["date"][:10] <= "2024-04-17"]
    threshold = round(math.floor(min(e["confidence"] for e in in_window) * 20 + 1) / 20, 2)
    confident = [e for e in in_window if e["confidence"] >= threshold]
    assert 0 < len(confident) < len(in_window)          # pins on both sides of the threshold
    at.slider(key="w_conf").set_value(threshold).run()
    assert counts(at) == (len(confident), 5) and at.query_params["conf"] == views._fmt_float(threshold, 2)
    at.slider(key="w_conf").set_value(0.0).run()

    # presets: "Everything" brings the whole span back
    at.button(key="w_preset_everything").click().run()
    assert counts(at) == (5, 5) and at.query_params["start"] == "2023-09-01"

    # the play control steps a window through time
    at.button(key="w_preset_week").click().run()
    assert at.slider(key="w_window").value == (date(2024, 4, 11), date(2024, 4, 17))
    at.button(key="w_play_step").click().run()             # at the end: wraps to the start
    assert at.slider(key="w_window").value == (date(2023, 9, 1), date(2023, 9, 7))
    assert counts(at) == (1, 5)
    at.selectbox(key="w_step").set_value("day")
    at.button(key="w_play_step").click().run()
    assert at.slider(key="w_window").value == (date(2023, 9, 2), date(2023, 9, 8))
    assert at.query_params["start"] == "2023-09-02"

    # an article ingested behind the app's back (as by the CLI) shows on the next interaction
    from geo.ingest import ingest
    from geo.store import Store
    at.button(key="w_preset_everything").click().run()
    with Store.open(db) as s:
        summary = ingest([views.article_from_text(
            "Protest in Yerevan\nBy Staff May 3, 2024\n\n"
            "Thousands of people protested in Yerevan on Thursday.")], s, geoparser)
    assert summary.added == 1 and summary.events == 1
    at.run()                                                  # any interaction
    assert counts(at) == (6, 6)                               # the window followed the data's end
    assert at.slider(key="w_window").value == (date(2023, 9, 1), date(2024, 5, 2))
    assert at.query_params["end"] == "2024-05-02"


def test_query_params_set_the_window_on_open(db):
    new_app()                                               # seeds the database
    at = new_app({"start": "2024-04-01", "end": "2024-04-30", "background": "1"})
    assert not at.exception
    assert counts(at) == (4, 5)
    assert at.slider(key="w_window").value == (date(2024, 4, 1), date(2024, 4, 17))   # clamped
    assert at.query_params["end"] == "2024-04-17"
    bad = new_app({"start": "garbage", "end": "2024-99-99", "conf": "x", "country": "<script>"})
    assert not bad.exception and counts(bad) == opening(db)[:2]


def test_uploaded_files_are_added_with_a_report_per_file(db):
    at = new_app()
    at.file_uploader[0].set_value([
        ("yerevan.txt", b"Protest in Yerevan\nBy Staff April 10, 2024\n\n"
                        b"Thousands of people protested in Yerevan on Tuesday.", "text/plain"),
        ("seed-again.txt", SEED.read_bytes(), "text/plain"),
        ("broken.pdf", b"%PDF-1.4", "application/pdf")]).run()
    at.button(key="w_add_files").click().run()
    assert not at.exception
    report = [t.value for t in at.sidebar.text]
    assert "yerevan.txt: 1 added, 0 duplicate(s), 0 failed, 1 event(s)" in report
    assert "seed-again.txt: 0 added, 1 duplicate(s), 0 failed, 0 event(s)" in report
    assert "broken.pdf: 0 added, 0 duplicate(s), 1 failed, 0 event(s) — unsupported file type" in report
    n, m = counts(at)
    assert m == 6 and n == m - sum(e["role"] == "background" for e in stored(db).values())
    assert "Yerevan" in stored(db)
    # the map frames what was just added (the new pins would be off the seed store's view)
    lat, lon = (float(x) for x in at.query_params["center"].split(","))
    assert (lat, lon) == pytest.approx((stored(db)["Yerevan"]["lat"], stored(db)["Yerevan"]["lon"]), abs=0.05)
    at.text_area(key="w_paste_0").set_value("Fire in Shusha\nApril 10, 2024\n\n"
                                            "A fire broke out in the town of Shusha, officials said.").run()
    at.button(key="w_add_text").click().run()
    assert counts(at) == (n + 1, 7) and stored(db)["Shusha"]["date"] == "2024-04-10"
    assert at.text_area(key="w_paste_1").value in ("", None)          # the box is empty for the next one
    assert not any("no publication date" in w.value for w in at.warning)

    # no date line and no date given: stored, with a warning saying what that means for its events
    at.text_area(key="w_paste_1").set_value("Flood in Ganja\n\nFloods hit the town of Ganja on Monday, "
                                            "officials said.").run()
    at.button(key="w_add_text").click().run()
    assert any("no publication date" in w.value for w in at.warning)
    assert stored(db)["Ganja"]["date_source"] == "unknown"

    # the date field dates a paste: "on Monday" is read against it
    at.text_area(key="w_paste_2").set_value("Protest in Lankaran\n\nHundreds of people protested in the town "
                                            "of Lankaran on Monday, residents said.").run()
    at.date_input(key="w_paste_date_2").set_value(date(2024, 4, 17)).run()
    at.button(key="w_add_text").click().run()
    assert stored(db)["Lankaran"]["date"] == "2024-04-15" and stored(db)["Lankaran"]["date_source"] == "stated"


def test_fix_this_pin_is_stored_and_survives_reingest(db, geoparser):
    new_app()
    barda = stored(db)["Barda"]
    assert barda["alternatives"] and not barda["corrected"]
    at = new_app({"event": str(barda["id"])})
    assert not at.exception
    alt = barda["alternatives"][0]
    at.selectbox(key=f"w_alt_{barda['id']}").set_value(0).run()
    at.button(key="w_save").click().run()
    assert not at.exception
    from geo.store import Store
    with Store.open(db) as s:
        moved = next(e for e in s.events() if e["id"] == barda["id"])
        assert s.corrections() and s.corrections()[0]["mention_start"] == barda["mention_start"]
    assert moved["corrected"] and moved["name"] == alt["name"]
    assert (moved["lat"], moved["lon"]) == pytest.approx((alt["lat"], alt["lon"]))
    assert at.query_params["event"] == str(barda["id"])
    assert any("Saved" in s.value for s in at.success)

    # picking a table row selects that event and centres the map on it (the URL says so)
    khojaly = stored(db)["Khojaly"]
    row = list(at.dataframe[0].value["place"]).index("Khojaly")
    at.session_state[at.dataframe[0].key] = {"selection": {"rows": [row], "columns": [], "cells": []}}
    at.run()
    assert at.query_params["event"] == str(khojaly["id"])
    lat, lon = (float(x) for x in at.query_params["center"].split(","))
    assert (lat, lon) == pytest.approx((khojaly["lat"], khojaly["lon"]), abs=1e-4)

    # ... and "fix this pin" by a click on the map
    at.radio(key=f"w_fix_mode_{khojaly['id']}").set_value("Click on the map").run()
    at.session_state["map"] = {"last_clicked": {"lat": 39.92, "lng": 46.80}, "last_object_clicked": None}
    at.run()
    at.button(key="w_save").click().run()
    moved = stored(db)["Khojaly"]
    assert moved["corrected"] and (moved["lat"], moved["lon"]) == pytest.approx((39.92, 46.80))

    # the corrections are used from then on: deleting the article and ingesting it again keeps them
    from geo.ingest import ingest, read_inputs
    with Store.open(db) as s:
        assert s.delete_article(barda["article_id"])
        assert ingest(read_inputs([str(SEED)]), s, geoparser).added == 1
    again = stored(db)
    assert again["Barda Rayon"]["corrected"] and again["Khojaly"]["corrected"]
    assert (again["Khojaly"]["lat"], again["Khojaly"]["lon"]) == pytest.approx((39.92, 46.80))


def test_choosing_a_country_frames_its_events(db):
    at = new_app({"start": "2024-04-01", "end": "2024-04-30", "background": "1", "center": "10,10", "zoom": "2"})
    at.multiselect(key="w_countries").set_value(["AZ"]).run()
    assert not at.exception
    az = [e for e in stored(db).values() if e["country_code"] == "AZ" and e["lat"] is not None]
    lat, lon = (float(x) for x in at.query_params["center"].split(","))
    assert min(e["lat"] for e in az) - 1 <= lat <= max(e["lat"] for e in az) + 1
    assert min(e["lon"] for e in az) - 1 <= lon <= max(e["lon"] for e in az) + 1
    assert int(at.query_params["zoom"]) >= 5


def test_a_click_on_a_cluster_bubble_selects_nothing(db):
    at = new_app({"start": "2024-04-01", "end": "2024-04-30", "background": "1"})
    assert "event" not in at.query_params
    # a cluster bubble has no tooltip of its own: streamlit-folium reports the click with the last
    # tooltip it saw (here none), at the bubble's middle, which may lie right next to a pin
    khojaly = stored(db)["Khojaly"]
    at.session_state["map"] = {"last_object_clicked": {"lat": khojaly["lat"], "lng": khojaly["lon"]},
                               "last_object_clicked_count": 1, "last_object_clicked_tooltip": None,
                               "last_clicked": None}
    at.run()
    assert not at.exception
    assert "event" not in at.query_params
    # a pin's click (its tooltip names it) selects it
    at.session_state["map"] = {"last_object_clicked": {"lat": khojaly["lat"], "lng": khojaly["lon"]},
                               "last_object_clicked_count": 2,
                               "last_object_clicked_tooltip": f"Khojaly · 2024-04-17 [#{khojaly['id']}]",
                               "last_clicked": None}
    at.run()
    assert at.query_params["event"] == str(khojaly["id"])


# --------------------------------------------------------------------------- sharing

def test_copy_link_shows_the_whole_view_and_the_map_position_reaches_the_url(db):
    new_app()
    at = new_app({"start": "2024-04-01", "end": "2024-04-30", "country": "AZ", "background": "1"})
    # the map reports a pan and zoom (as streamlit-folium does after the user moves it)
    at.session_state["map"] = {"center": {"lat": 40.12345678, "lng": 46.5}, "zoom": 8,
                               "last_clicked": None, "last_object_clicked": None}
    at.run()
    assert not at.exception
    q = at.query_params
    assert (q["start"], q["end"], q["country"], q["center"], q["zoom"]) == \
        ("2024-04-01", "2024-04-17", "AZ", "40.1235,46.5", "8")
    links = shown_links(at.sidebar)
    assert links == ["http://localhost:8501/?start=2024-04-01&end=2024-04-17&country=AZ&center=40.1235,46.5&zoom=8"
                     "&background=1"]
    # the map's first report, made before it is fitted to the events, is not a view to link
    fresh = new_app({"start": "2024-04-01", "end": "2024-04-30", "background": "1"})
    fresh.session_state["map"] = {"center": {"lat": 20.0, "lng": 0.0}, "zoom": 2}
    fresh.run()
    assert "center" not in fresh.query_params and "zoom" not in fresh.query_params
    # a Leaflet longitude past the antimeridian is wrapped back
    at.session_state["map"] = {"center": {"lat": 10.0, "lng": 370.0}, "zoom": 3}
    at.run()
    assert at.query_params["center"] == "10,10"


def test_share_snapshot_freezes_the_view_and_opens_read_only(db, geoparser):
    new_app()
    at = new_app({"start": "2024-04-01", "end": "2024-04-30"})
    assert counts(at) == (4, 5)
    at.text_input(key="w_snap_title").set_value("April <b>2024</b>").run()
    at.button(key="w_snap_save").click().run()
    assert not at.exception
    link = shown_links(at.sidebar)[-1]
    sid = re.fullmatch(r"http://localhost:8501/\?snapshot=([A-Za-z0-9_-]{22})", link)[1]

    # more news arrives; the live view grows, the snapshot does not
    from geo.ingest import ingest, read_inputs
    from geo.store import Store
    extra = db.parent / "extra.txt"
    extra.write_text("Protest in Yerevan\nBy Staff April 10, 2024\n\n"
                     "Thousands of people protested in Yerevan on Tuesday.", encoding="utf-8")
    with Store.open(db) as s:
        assert ingest(read_inputs([str(extra)]), s, geoparser).added == 1
    assert counts(new_app({"start": "2024-04-01", "end": "2024-04-30"})) == (5, 6)

    snap = new_app({"snapshot": sid})
    assert not snap.exception
    banner = snap.info[0].value
    assert banner.startswith("**Snapshot of 4 events, taken 20") and "read-only" in banner
    assert "April \\<b\\>2024\\</b\\>" in banner                      # the title shown as text
    assert counts(snap) == (4, 4)
    assert not snap.slider and not snap.file_uploader                  # read-only: no filters, no adding
    assert snap.query_params == {"snapshot": sid}
    assert len(snap.dataframe[0].value) == 4


@pytest.mark.parametrize("bad", ["nope", "A" * 22, "<script>alert(1)</script>"])
def test_unknown_or_malformed_snapshot_ids_get_a_clear_message(db, bad):
    at = new_app({"snapshot": bad})
    assert not at.exception
    assert len(at.error) == 1 and at.error[0].value.startswith("This snapshot cannot be opened:")
    assert ("is not a snapshot id" in at.error[0].value) or ("no snapshot with id" in at.error[0].value)


def test_a_stale_time_bar_value_after_the_app_moved_the_window_does_not_move_it_back(db):
    """"Show background" widens the window to the new span; a request the browser sent before the
    new dates reached it carries the old "From" (seen in CI: the window snapping back). That old
    value is an echo and leaves the window alone; a date the user types is taken as before."""
    from tests.app_data import build_store
    build_store(db)
    at = new_app()
    assert at.slider(key="w_window").value == (date(2024, 3, 5), date(2024, 3, 14))
    at.toggle(key="w_background").set_value(True).run()
    widened = (date(2022, 9, 10), date(2024, 3, 14))
    assert at.slider(key="w_window").value == widened
    at.date_input(key="w_from").set_value(date(2024, 3, 5)).run()        # the echo
    assert at.slider(key="w_window").value == widened and at.query_params["start"] == "2022-09-10"
    at.date_input(key="w_from").set_value(date(2023, 1, 2)).run()        # the user
    assert at.slider(key="w_window").value == (date(2023, 1, 2), date(2024, 3, 14))
    # a preset moves the window; the slider's old value coming back is an echo too
    at.button(key="w_preset_everything").click().run()
    assert at.slider(key="w_window").value == widened
    at.slider(key="w_window").set_value((date(2023, 1, 2), date(2024, 3, 14))).run()
    assert at.slider(key="w_window").value == widened


def test_a_big_store_opens_on_its_latest_month(db):
    """Over 20,000 events: the first view is the latest month, not a 20,000-pin map."""
    from datetime import timedelta
    from geo.pipeline import ArticleResult
    from geo.store import Store
    from geo.types import Article
    first = date(2023, 1, 1)
    with Store.open(db) as s:
        for a in range(1001):
            events = []
            for k in range(20):
                d = (first + timedelta(days=(a * 20 + k) % 700)).isoformat()
                # places far enough apart that the store links no incidents across them
                events.append({"name": "Ganja", "lat": 30 + k, "lon": 20 + (a % 50) * 0.5, "country_code": "AZ",
                               "kind": "city", "date": d, "date_end": d, "precision": "day",
                               "date_source": "stated", "sentence": f"Report {a} from Ganja.",
                               "mention_start": 0, "mention_end": 5, "confidence": 0.9})
            s.add(ArticleResult(article=Article(id=f"a{a}", text=f"Ganja report {a}.", title=f"Report {a}"),
                                events=events))
        span = s.date_span()
        total = s.count_events()
    assert total > 20_000
    at = new_app()
    assert not at.exception
    last = date.fromisoformat(span[1])
    assert at.slider(key="w_window").value == (last - timedelta(days=29), last)
    n, m = counts(at)
    assert m == total and 0 < n < 2_000
    assert at.query_params["start"] == (last - timedelta(days=29)).isoformat()
    # an explicit window in the link is respected
    linked = new_app({"start": span[0], "end": span[1]})
    assert counts(linked) == (total, total)


# --------------------------------------------------------------------------- issue 9

def test_opening_window_covers_the_reported_events_without_a_stray_date_and_filters_reach_the_url(db):
    """A typed store (tests/app_data.py) plus a report misdated to 1815: the app opens on the
    reported events' span, not 1815 – 2024; background, type, actor and minimum sources filter
    the events and land in the URL."""
    from geo.store import Store
    from tests.app_data import SIBI, _article, _event, build_store
    build_store(db)
    text = "Cannon fire was heard in Sibi on 18 June 1815, the paper wrote."
    with Store.open(db) as s:
        s.add(_article("stray", "A misread year", "2024-03-10", None, text,
                       [_event(text, SIBI, "Sibi", "fire", type="battle", date="1815-06-18")]))
    at = new_app()
    assert not at.exception
    assert counts(at) == (10, 12)                       # reported, in the window; Izium (background) and 1815 not
    assert at.query_params == {"start": "2024-03-05", "end": "2024-03-14"}
    assert at.slider(key="w_window").value == (date(2024, 3, 5), date(2024, 3, 14))
    assert any(c.value.startswith("8 incidents on the map") for c in at.caption)
    at.toggle(key="w_background").set_value(True).run()
    assert at.query_params["background"] == "1" and counts(at) == (10, 12)    # Izium is outside the window
    at.button(key="w_preset_everything").click().run()
    assert counts(at) == (12, 12) and at.query_params["start"] == "1815-06-18"
    at.multiselect(key="w_types").set_value(["battle"]).run()
    assert counts(at) == (3, 12) and at.query_params["type"] == "battle"   # 1815, Izium, Tripoli
    at.text_input(key="w_actor").set_value("militia").run()
    assert counts(at) == (1, 12) and at.query_params["actor"] == "militia"
    at.multiselect(key="w_types").set_value([]).run()
    at.text_input(key="w_actor").set_value("").run()
    at.number_input(key="w_min_sources").set_value(2).run()
    assert counts(at) == (3, 12) and at.query_params["min_sources"] == "2"
    assert set(at.dataframe[0].value["place"]) == {"Sibi"} and set(at.dataframe[0].value["sources"]) == {3}
    # a link with the filters opens on them
    linked = new_app({"type": "protest", "start": "2024-03-01", "end": "2024-03-31"})
    assert counts(linked) == (3, 12) and linked.multiselect(key="w_types").value == ["protest"]
