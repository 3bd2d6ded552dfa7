"""The map app's pure logic (geo/views.py): URL state, filters, timeline, histogram, caption."""
from dataclasses import replace
from datetime import date

import pytest

from geo import views
from geo.views import ViewState

SPAN = ("2023-09-01", "2024-04-17")


def ev(i, name="Khojaly", day="2024-04-17", day_end=None, cc="AZ", kind="city", conf=0.6,
       title="Russian peacekeepers leave", url=None, sentence="", **kw):
    return {"id": i, "article_id": 1, "name": name, "lat": 39.9 + i / 100, "lon": 46.8, "country_code": cc,
            "kind": kind, "date": day, "date_end": None, "day_start": day, "day_end": day_end or day,
            "precision": "day", "date_source": "stated", "sentence": sentence or f"Troops left {name}.",
            "confidence": conf, "title": title, "url": url, "published": "2024-04-17",
            "mention_start": 10, "mention_end": 10 + len(name), "alternatives": [], "corrected": False, **kw}


EVENTS = [
    ev(1, "Nagorno-Karabakh", day="2023-09-01", day_end="2023-09-30", kind="region", conf=0.57),
    ev(2, "Dadivank Monastery", kind="landmark", conf=0.38),
    ev(3, "Khojaly", conf=0.6),
    ev(4, "Tartar", conf=0.33, url="https://www.example.com/news/1", title="Another story"),
    ev(5, "Yerevan", cc="AM", day="2024-03-02", conf=0.9, url="https://news.example.org/a"),
    ev(6, "Somewhere", day=None, conf=0.5),
]


# --------------------------------------------------------------------------- caption

def test_caption_wording_is_exact():
    assert views.caption(3, 5) == "Showing 3 of 5 events"
    assert views.caption(1, 1) == "Showing 1 of 1 events"
    assert views.caption(0, 0) == "Showing 0 of 0 events"
    # a very large view's number is an estimate off the store's sample, and the caption says so
    assert views.caption(796_512, 1_000_000, exact=False) == "Showing about 797,000 of 1,000,000 events"
    assert views.caption(123_456, 200_000, exact=False) == "Showing about 123,000 of 200,000 events"


# --------------------------------------------------------------------------- URL state

def test_query_round_trip_keeps_every_field():
    state = ViewState(start=date(2023, 10, 1), end=date(2024, 4, 1), text="peace keepers",
                      countries=("AZ", "AM"), sources=("example.com", "A title, with a comma % sign"),
                      kinds=("city", "region"), min_confidence=0.35, selected=4,
                      center=(40.1234, 46.5), zoom=9)
    q = views.to_query(state)
    assert q["start"] == "2023-10-01" and q["end"] == "2024-04-01"
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in q.items())
    assert views.from_query(q, SPAN) == state


def test_query_leaves_defaults_out():
    q = views.to_query(ViewState(start=date(2023, 9, 1), end=date(2024, 4, 17)))
    assert q == {"start": "2023-09-01", "end": "2024-04-17"}


def test_missing_params_give_the_whole_span():
    v = views.from_query({}, SPAN)
    assert (v.start, v.end) == (date(2023, 9, 1), date(2024, 4, 17))
    assert v == ViewState(start=date(2023, 9, 1), end=date(2024, 4, 17))


@pytest.mark.parametrize("params", [
    {"start": "yesterday", "end": "2024-13-45"},
    {"start": "", "end": None},
    {"start": ["garbage"], "end": []},
    {"start": "2024-02-30"},
    {"conf": "nan", "zoom": "x", "event": "1; drop table", "center": "abc",
     "country": "Azerbaijan,<script>", "kind": "<b>", "q": None},
    {"center": "95,10", "zoom": "-4"},
])
def test_bad_params_are_ignored_never_raise(params):
    v = views.from_query(params, SPAN)
    assert (v.start, v.end) == (date(2023, 9, 1), date(2024, 4, 17))
    assert v.countries == () and v.kinds == () and v.min_confidence == 0.0 and v.selected is None
    assert v.center is None
    assert v.zoom in (None, 0)


def test_from_query_tolerates_odd_inputs():
    assert views.from_query(None, SPAN).start == date(2023, 9, 1)
    assert views.from_query({"start": "2024-01-01"}, (None, None)).start == date(2024, 1, 1)
    assert views.from_query({"start": "2024-01-01"}, None).end is None


def test_dates_are_clamped_to_the_data_span_and_swapped():
    v = views.from_query({"start": "2020-01-01", "end": "2030-01-01"}, SPAN)
    assert (v.start, v.end) == (date(2023, 9, 1), date(2024, 4, 17))
    v = views.from_query({"start": "2024-04-10", "end": "2024-04-01"}, SPAN)
    assert (v.start, v.end) == (date(2024, 4, 1), date(2024, 4, 10))
    v = views.from_query({"start": "2025-01-01", "end": "2025-02-01"}, SPAN)   # all after the data
    assert v.start == v.end == date(2024, 4, 17)
    v = views.from_query({"start": "2024-04", "end": "2024-04"}, SPAN)          # a month
    assert (v.start, v.end) == (date(2024, 4, 1), date(2024, 4, 17))


def test_other_params_are_normalised():
    v = views.from_query({"country": "az,am,AZ", "kind": "City", "conf": "1.7", "zoom": "30",
                          "event": " 12 ", "center": "40.5,46.25", "q": "  x  "}, SPAN)
    assert v.countries == ("AZ", "AM") and v.kinds == ("city",)
    assert v.min_confidence == 1.0 and v.zoom == views.MAX_ZOOM and v.selected == 12
    assert v.center == (40.5, 46.25) and v.text == "x"


# --------------------------------------------------------------------------- filters

def ids(events):
    return [e["id"] for e in events]


def whole():
    return ViewState(start=date(2023, 9, 1), end=date(2024, 4, 17))


def test_whole_span_shows_everything_including_undated():
    assert ids(views.filter_events(EVENTS, whole(), SPAN)) == [1, 2, 3, 4, 5, 6]
    assert ids(views.filter_events(EVENTS, ViewState(), SPAN)) == [1, 2, 3, 4, 5, 6]


def test_date_window_overlap():
    v = ViewState(start=date(2023, 9, 15), end=date(2023, 10, 1))      # inside event 1's month
    assert ids(views.filter_events(EVENTS, v, SPAN)) == [1]
    v = ViewState(start=date(2024, 4, 1), end=date(2024, 4, 17))
    assert ids(views.filter_events(EVENTS, v, SPAN)) == [2, 3, 4]
    v = ViewState(start=date(2023, 10, 1), end=date(2024, 3, 1))
    assert ids(views.filter_events(EVENTS, v, SPAN)) == []


def test_text_search_matches_place_title_and_sentence_case_insensitively():
    assert ids(views.filter_events(EVENTS, replace(whole(), text="dadivank"), SPAN)) == [2]
    assert ids(views.filter_events(EVENTS, replace(whole(), text="ANOTHER story"), SPAN)) == [4]
    assert ids(views.filter_events(EVENTS, replace(whole(), text="troops left yerevan"), SPAN)) == [5]
    assert ids(views.filter_events(EVENTS, replace(whole(), text="nowhere at all"), SPAN)) == []


def test_country_kind_source_and_confidence_filters():
    assert ids(views.filter_events(EVENTS, replace(whole(), countries=("am",)), SPAN)) == [5]
    assert ids(views.filter_events(EVENTS, replace(whole(), kinds=("region", "landmark")), SPAN)) == [1, 2]
    assert ids(views.filter_events(EVENTS, replace(whole(), sources=("example.com",)), SPAN)) == [4]
    assert ids(views.filter_events(EVENTS, replace(whole(), sources=("Russian peacekeepers leave",)),
                                   SPAN)) == [1, 2, 3, 6]
    assert ids(views.filter_events(EVENTS, replace(whole(), min_confidence=0.57), SPAN)) == [1, 3, 5]


def test_source_is_url_domain_else_title():
    assert views.source_of(EVENTS[3]) == "example.com"
    assert views.source_of(EVENTS[4]) == "news.example.org"
    assert views.source_of(EVENTS[0]) == "Russian peacekeepers leave"
    assert views.source_of({"title": None, "url": None}) == "(untitled)"
    assert views.options(EVENTS)["countries"] == ["AM", "AZ"]
    assert "example.com" in views.options(EVENTS)["sources"]


# --------------------------------------------------------------------------- timeline

def test_presets_end_at_the_last_day():
    p = views.presets("2024-04-17", "2023-09-01")
    assert list(p) == ["Day", "Week", "Month", "Everything"]
    assert p["Day"] == (date(2024, 4, 17), date(2024, 4, 17))
    assert p["Week"] == (date(2024, 4, 11), date(2024, 4, 17))
    assert p["Month"] == (date(2024, 3, 19), date(2024, 4, 17))
    assert p["Everything"] == (date(2023, 9, 1), date(2024, 4, 17))
    assert views.presets("2024-04-17", "2024-04-15")["Month"] == (date(2024, 4, 15), date(2024, 4, 17))
    assert views.presets(None) == {}


def test_play_steps_the_window_and_wraps_round():
    v = ViewState(start=date(2023, 9, 1), end=date(2023, 9, 7))
    v2 = views.play_step(v, 7, SPAN)
    assert (v2.start, v2.end) == (date(2023, 9, 8), date(2023, 9, 14))
    near_end = ViewState(start=date(2024, 4, 8), end=date(2024, 4, 14))
    v3 = views.play_step(near_end, 7, SPAN)
    assert (v3.start, v3.end) == (date(2024, 4, 11), date(2024, 4, 17))    # flush with the end
    assert views.at_end(v3, SPAN)
    v4 = views.play_step(v3, 7, SPAN)
    assert (v4.start, v4.end) == (date(2023, 9, 1), date(2023, 9, 7))      # back to the start
    everything = ViewState(start=date(2023, 9, 1), end=date(2024, 4, 17))
    assert views.play_step(everything, 7, SPAN) == everything
    assert views.play_step(v, 7, (None, None)) == v


def test_histogram_buckets():
    evs = [ev(1, day="2024-04-15"), ev(2, day="2024-04-17"), ev(3, day="2024-04-17"),
           ev(4, day="2024-05-02"), ev(5, day=None)]
    by_day = views.histogram_frame(evs, "day")
    assert list(by_day.columns) == ["period", "period_end", "events"]
    assert by_day["events"].sum() == 4                       # the undated one is not counted
    assert len(by_day) == 18                                   # 15 Apr … 2 May, zeros filled
    assert by_day.set_index("period").loc["2024-04-17", "events"] == 2
    by_week = views.histogram_frame(evs, "week")
    assert [str(p.date()) for p in by_week["period"]] == ["2024-04-15", "2024-04-22", "2024-04-29"]
    assert list(by_week["events"]) == [3, 0, 1]
    assert str(by_week["period_end"].iloc[0].date()) == "2024-04-22"
    by_month = views.histogram_frame(evs, "month")
    assert [str(p.date()) for p in by_month["period"]] == ["2024-04-01", "2024-05-01"]
    assert list(by_month["events"]) == [3, 1]
    assert views.histogram_frame([], "day").empty
    with pytest.raises(ValueError):
        views.histogram_frame(evs, "fortnight")


def test_histogram_reflects_the_filters():
    shown = views.filter_events(EVENTS, replace(whole(), countries=("AZ",)), SPAN)
    assert views.histogram_frame(shown, "month")["events"].sum() == 4


def test_auto_bucket():
    assert views.auto_bucket(date(2024, 4, 1), date(2024, 4, 17)) == "day"
    assert views.auto_bucket(date(2023, 9, 1), date(2024, 4, 17)) == "week"
    assert views.auto_bucket(date(2020, 9, 1), date(2024, 4, 17)) == "month"


# --------------------------------------------------------------------------- fixing, adding

def test_correction_from_an_alternative_or_a_click():
    e = ev(4, "Barda", alternatives=[{"name": "Barda Rayon", "lat": 40.38, "lon": 47.12, "country_code": "AZ",
                                      "kind": "admin1", "place_key": "adm1:AZ:Barda Rayon", "score": 0.46}])
    kw = views.correction_for(e, alt=e["alternatives"][0])
    assert kw["lat"] == 40.38 and kw["name"] == "Barda Rayon" and kw["place_key"] == "adm1:AZ:Barda Rayon"
    assert (kw["article_id"], kw["mention_start"], kw["mention_end"]) == (1, 10, 15)
    kw = views.correction_for(e, point=(40.0, 407.0))
    assert kw["lon"] == 47.0 and kw["name"] is None
    assert views.place_key_of({"geonameid": 586268}) == "gn:586268"
    assert "Barda Rayon" in views.alternative_label(e["alternatives"][0])
    with pytest.raises(ValueError):
        views.correction_for(e)


def test_article_from_pasted_text_uses_the_byline_date():
    a = views.article_from_text("Troops leave Khojaly\nBy Someone in Baku April 17, 2024\n\nThe troops left.")
    assert a.title == "Troops leave Khojaly" and a.published == "2024-04-17" and a.published_source == "byline"
    assert a.id.startswith("pasted-") and a.source == "pasted text"
    b = views.article_from_text("No date here\n\nSomething happened in Baku.")
    assert b.published is None and b.published_source == "unknown"


def test_uploads_are_saved_under_their_own_names(tmp_path):
    saved = views.save_uploads([("../../etc/passwd.txt", b"x"), ("a b.md", b"y"), ("a b.md", b"z")], tmp_path)
    assert [p.name for _, p in saved] == ["passwd.txt", "a b.md", "a b.md"]
    assert all(tmp_path in p.parents for _, p in saved)
    assert saved[2][1].read_bytes() == b"z"


def test_markdown_escape_neutralises_markup():
    s = views.md_escape("**bold** [x](http://e) <img src=x onerror=alert(1)> :red[hi]")
    assert "**" not in s.replace("\\*", "") and "\\[x\\]\\(http" in s and "\\<img" in s


def test_table_rows_and_focus():
    rows = views.table_rows(EVENTS)
    assert tuple(rows[0]) == views.TABLE_COLUMNS and rows[5]["date"] == "unknown"
    center, zoom = views.focus(EVENTS[2])
    assert center == (EVENTS[2]["lat"], EVENTS[2]["lon"]) and zoom == views.ZOOM_BY_KIND["city"]
    assert views.nearest_event(EVENTS, EVENTS[2]["lat"], 46.8)["id"] == 3
    assert views.nearest_event(EVENTS, 0, 0) is None



def test_a_map_centre_a_pixel_off_is_the_same_view_but_a_pan_is_not():
    from geo.views import near_on_screen
    linked = (40.05, 46.9)
    assert near_on_screen((40.0507, 46.9006), linked, 9)          # reported back after layout
    assert not near_on_screen((40.0507, 46.9006), linked, 14)     # at street level that is a real move
    assert not near_on_screen((40.2, 46.9), linked, 9)
    assert near_on_screen((0.0, 179.9999), (0.0, -179.9999), 9)   # across the antimeridian
    assert not near_on_screen(None, linked, 9) and not near_on_screen(linked, linked, None)


# --------------------------------------------------------------------------- issue 9: type, actor, role, sources

TYPED = [
    ev(1, "Sibi", day="2024-03-05", type="explosion_remote_violence", actors=["suicide bomber"], incident_id=1,
       n_sources=3, article_id=11),
    ev(2, "Sibi", day="2024-03-05", type="explosion_remote_violence", incident_id=1, n_sources=3, article_id=12),
    ev(3, "Sibi", day="2024-03-05", type="explosion_remote_violence", incident_id=1, n_sources=3, article_id=13,
       representative=True),
    ev(4, "Quetta", day="2024-03-07", type="protest", actors=["Protesters", "Police"], incident_id=4, article_id=13),
    ev(5, "Izium", day="2022-09-10", type="battle", role="background", actors=["Ukrainian forces"], incident_id=5,
       article_id=14),
    ev(6, "Lviv", day="2024-03-12"),                              # a row from before issue 9: defaults
    ev(7, "Washington", day="2024-03-12", type="political", hidden=True, article_id=15),
]
TSPAN = ("2024-03-05", "2024-03-12")


def test_background_events_only_with_the_switch_and_hidden_ones_never():
    assert ids(views.filter_events(TYPED, ViewState(), TSPAN)) == [1, 2, 3, 4, 6]
    assert ids(views.filter_events(TYPED, ViewState(background=True), TSPAN)) == [1, 2, 3, 4, 5, 6]
    assert views.data_span(TYPED) == ("2024-03-05", "2024-03-12")
    assert views.data_span(TYPED, background=True) == ("2022-09-10", "2024-03-12")
    assert views.data_span([]) == (None, None)


def test_type_actor_and_minimum_sources_filters():
    def shown(**kw):
        return ids(views.filter_events(TYPED, ViewState(background=True, **kw), TSPAN))
    assert shown(types=("protest",)) == [4]
    assert shown(types=("protest", "battle")) == [4, 5]
    assert shown(types=("other",)) == [6]                          # no type = other
    assert shown(actor="BOMBER") == [1] and shown(actor="pol") == [4] and shown(actor="nobody") == []
    assert shown(min_sources=2) == [1, 2, 3] and shown(min_sources=4) == []
    assert views.options(TYPED)["types"] == ["battle", "explosion_remote_violence", "protest", "political", "other"]


def test_new_filters_round_trip_through_the_url():
    state = ViewState(start=date(2024, 3, 5), end=date(2024, 3, 12), types=("protest", "battle"),
                      actor="Russian peacekeepers", background=True, min_sources=2)
    q = views.to_query(state)
    assert (q["type"], q["actor"], q["background"], q["min_sources"]) == \
        ("protest,battle", "Russian peacekeepers", "1", "2")
    assert views.from_query(q, TSPAN) == state
    # defaults stay out of the URL; garbage is ignored
    assert views.to_query(ViewState(min_sources=1)) == {}
    v = views.from_query({"type": "protest,<script>,Riot", "background": "maybe", "min_sources": "-3"}, TSPAN)
    assert v.types == ("protest", "riot") and v.background is False and v.min_sources == 1
    assert views.from_query({"min_sources": "1e9"}, TSPAN).min_sources == views.MAX_SOURCES
    text = views.describe(state, 4)
    assert "types protest, battle" in text and 'actor "Russian peacekeepers"' in text and "≥ 2 sources" in text


def test_events_sharing_an_incident_are_one_group_with_the_representative_first():
    groups = views.group_incidents(views.filter_events(TYPED, ViewState(background=True), TSPAN))
    assert [[e["id"] for e in g] for g in groups] == [[3, 1, 2], [4], [5], [6]]
    assert views.n_articles(groups[0]) == 3
    assert views.count_incidents(views.filter_events(TYPED, ViewState(background=True), TSPAN)) == len(groups) == 4
    # without the store's mark: the most frequent place, a stated date, the narrowest date, the most confident
    a, b = ev(21, incident_id=9, conf=0.5), ev(22, incident_id=9, conf=0.9)
    c = ev(23, incident_id=9, conf=0.99, day="2024-03", day_end="2024-03-31")
    assert [e["id"] for e in views.group_incidents([a, b, c])[0]] == [22, 21, 23]
    marked = views.mark_representatives([dict(a), dict(b)], [{"id": 9, "event_id": 21}])
    assert [e["representative"] for e in marked] == [True, False]
    assert views.group_incidents(marked)[0][0]["id"] == 21
    members = views.incident_members(TYPED, TYPED[1])
    assert [e["id"] for e in members] == [2, 1, 3]
    assert views.incident_actors([TYPED[3], TYPED[0], dict(TYPED[0], actors=["POLICE", "Suicide Bomber"])]) == \
        ["Protesters", "Police", "suicide bomber"]


def test_opening_window_covers_the_reported_events_but_not_a_stray_date():
    days = ["2024-03-01", "2024-03-05", "2024-03-09", "2024-03-20", "2024-04-02"]
    evs = [ev(i, day=d) for i, d in enumerate(days)]
    assert views.opening_window(evs) == (date(2024, 3, 1), date(2024, 4, 2))
    stray = evs + [ev(10, day="1815-06-18"), ev(11, day="2025-12-31")]
    assert views.opening_window(stray) == (date(2024, 3, 1), date(2024, 4, 2))
    # background events do not count, unless they are shown
    old = evs + [ev(12, day="2024-02-10", role="background")]
    assert views.opening_window(old) == (date(2024, 3, 1), date(2024, 4, 2))
    assert views.opening_window(old, background=True)[0] == date(2024, 2, 10)
    # a store spread evenly over years keeps all of it; one event or none
    years = [ev(i, day=f"{2020 + i // 12}-{1 + i % 12:02d}-15") for i in range(48)]
    assert views.opening_window(years) == (date(2020, 1, 15), date(2023, 12, 15))
    assert views.opening_window([ev(1, day="2024-03-01")]) == (date(2024, 3, 1), date(2024, 3, 1))
    assert views.opening_window([ev(1, day=None)]) == (None, None)


def test_table_rows_carry_type_role_actors_sources_and_incident():
    row = views.table_rows([TYPED[0]])[0]
    assert (row["type"], row["role"], row["actors"], row["sources"], row["incident"]) == \
        ("Explosion / remote violence", "reported", "suicide bomber", 3, 1)
    old = views.table_rows([TYPED[5]])[0]
    assert (old["type"], old["role"], old["actors"], old["sources"], old["incident"]) == ("Other", "reported", "", 1, 6)


def test_a_clicked_tooltip_names_its_event():
    assert views.tooltip_event_id("Sibi · 2024-03-05 · Battle · reported by 3 sources[#123]") == 123
    assert views.tooltip_event_id("Sibi [#12] · x") is None
    assert views.tooltip_event_id(None) is None and views.tooltip_event_id("") is None


def test_date_corrections_and_correction_lines():
    d = date(2024, 3, 5)
    assert views.date_value(d) == ("2024-03-05", None)
    assert views.date_value(d, precision="month") == ("2024-03", None)
    assert views.date_value(d, precision="year") == ("2024", None)
    assert views.date_value(d, date(2024, 3, 1), "range") == ("2024-03-01", "2024-03-05")
    with pytest.raises(ValueError):
        views.date_value(d, precision="fortnight")
    line = views.correction_label({"id": 3, "kind": "type", "target": "'Lviv' at 20-24 of article 5",
                                   "value": {"type": "disaster_accident"},
                                   "created_at": "2026-12-01T10:00:00.123456+00:00"})
    assert line == "2026-12-01 10:00:00 UTC · type · 'Lviv' at 20-24 of article 5 · → type disaster_accident"
    assert views.correction_label({"kind": "place_rule", "value": {"lat": 34.43671, "lon": 35.8}}).endswith(
        "always place · → lat 34.4367, lon 35.8")
    assert views.target_of(TYPED[0]) == {"article_id": 11, "mention_start": 10, "mention_end": 14}


def test_presets_end_on_the_latest_news_not_on_an_event_scheduled_later():
    """An election scheduled for next year stretches the data's span; the latest week of news still
    ends on the last publication day, and "Everything" still reaches the span's end."""
    p = views.presets("2025-06-30", "2024-01-01", news_end="2024-11-29")
    assert p["Day"] == (date(2024, 11, 29), date(2024, 11, 29))
    assert p["Week"] == (date(2024, 11, 23), date(2024, 11, 29))
    assert p["Everything"] == (date(2024, 1, 1), date(2025, 6, 30))
    # without a publication day, or with one outside the span, the windows stay inside the span
    assert views.presets("2024-04-30", "2024-04-01")["Day"] == (date(2024, 4, 30), date(2024, 4, 30))
    assert views.presets("2024-04-30", "2024-04-10", news_end="2024-03-01")["Week"] == \
        (date(2024, 4, 10), date(2024, 4, 10))


def test_a_shown_link_stays_one_code_span_whatever_its_text():
    shown = views.code_text("http://h/?text=a`b`![x](http://evil/i.png)")
    assert shown.startswith("`") and shown.endswith("`") and shown.count("`") == 2
    assert "a%60b%60" in shown                                   # the same URL, percent-encoded


def test_heatmap_state_round_trips_through_the_url():
    v = views.ViewState(heat=True)
    assert views.to_query(v)[views.Q_HEAT] == "1"
    assert views.from_query(views.to_query(v)).heat is True
    assert views.Q_HEAT not in views.to_query(views.ViewState())           # pins: the default, not in the URL
    assert views.from_query({views.Q_HEAT: "nonsense"}).heat is False
    assert views.from_query({}).heat is False


# --------------------------------------------------------------------------- issue 13: the timeline

TL_SPAN = ("2024-03-05", "2024-03-14")
TL_DAYS = ["2024-03-05", "2024-03-07", "2024-03-09", "2024-03-10", "2024-03-12", "2024-03-13", "2024-03-14"]


def test_playback_slides_the_window_and_stops_at_the_end():
    d = date
    assert views.next_play_window(d(2024, 3, 5), d(2024, 3, 6), 1, TL_SPAN) == (d(2024, 3, 6), d(2024, 3, 7))
    # the last step lands flush with the end; from there playback is over (no wrapping)
    assert views.next_play_window(d(2024, 3, 10), d(2024, 3, 12), 7, TL_SPAN) == (d(2024, 3, 12), d(2024, 3, 14))
    assert views.next_play_window(d(2024, 3, 12), d(2024, 3, 14), 1, TL_SPAN) is None
    assert views.next_play_window(d(2024, 3, 5), d(2024, 3, 14), 1, TL_SPAN) is None      # everything
    assert views.next_play_window(d(2024, 3, 5), d(2024, 3, 6), 1, (None, None)) is None


def test_cumulative_playback_keeps_the_start_and_grows_the_end():
    d = date
    assert views.next_play_window(d(2024, 3, 5), d(2024, 3, 5), 1, TL_SPAN, mode="cumulative") == \
        (d(2024, 3, 5), d(2024, 3, 6))
    assert views.next_play_window(d(2024, 3, 5), d(2024, 3, 12), 7, TL_SPAN, mode="cumulative") == \
        (d(2024, 3, 5), d(2024, 3, 14))
    assert views.next_play_window(d(2024, 3, 5), d(2024, 3, 14), 1, TL_SPAN, mode="cumulative") is None


def test_skipping_empty_steps_jumps_to_the_next_window_with_events():
    d = date
    # one-day window: 6 March is empty, 7 March has events; 11 March empty, 12 March not
    assert views.next_play_window(d(2024, 3, 5), d(2024, 3, 5), 1, TL_SPAN, event_days=TL_DAYS) == \
        (d(2024, 3, 7), d(2024, 3, 7))
    assert views.next_play_window(d(2024, 3, 10), d(2024, 3, 10), 1, TL_SPAN, event_days=TL_DAYS) == \
        (d(2024, 3, 12), d(2024, 3, 12))
    # without skipping the empty day is shown
    assert views.next_play_window(d(2024, 3, 10), d(2024, 3, 10), 1, TL_SPAN) == (d(2024, 3, 11), d(2024, 3, 11))
    # a two-day window stepping by two days lands on the step that holds the next event
    assert views.next_play_window(d(2024, 3, 5), d(2024, 3, 6), 2, TL_SPAN, event_days=["2024-03-05", "2024-03-12"]) \
        == (d(2024, 3, 11), d(2024, 3, 12))
    # nothing later: playback is over
    assert views.next_play_window(d(2024, 3, 5), d(2024, 3, 5), 1, TL_SPAN, event_days=["2024-03-05"]) is None
    # cumulative: a step adding no event grows to the one that adds some
    assert views.next_play_window(d(2024, 3, 5), d(2024, 3, 10), 1, TL_SPAN, mode="cumulative",
                                  event_days=TL_DAYS) == (d(2024, 3, 5), d(2024, 3, 12))
    assert views.next_play_window(d(2024, 3, 5), d(2024, 3, 7), 3, TL_SPAN, mode="cumulative",
                                  event_days=["2024-03-05", "2024-03-14"]) == (d(2024, 3, 5), d(2024, 3, 14))


def test_rewind_and_speed():
    d = date
    assert views.rewind_window(d(2024, 3, 12), d(2024, 3, 14), TL_SPAN) == (d(2024, 3, 5), d(2024, 3, 7))
    assert views.rewind_window(d(2024, 3, 6), d(2024, 3, 14), TL_SPAN, "cumulative") == (d(2024, 3, 6), d(2024, 3, 6))
    assert views.play_interval(1.5, "1×") == 1.5
    assert views.play_interval(1.5, "4×") == 0.375
    assert views.play_interval(1.5, "0.5×") == 3.0
    assert views.play_interval(1.5, "garbage") == 1.5


def test_typed_dates_are_kept_in_the_span_and_in_order():
    d, win = date, (date(2024, 3, 7), date(2024, 3, 9))
    assert views.typed_window("start", d(2024, 3, 6), win, TL_SPAN) == (d(2024, 3, 6), d(2024, 3, 9), None)
    s, e, note = views.typed_window("start", d(2019, 1, 1), win, TL_SPAN)
    assert (s, e) == (d(2024, 3, 5), d(2024, 3, 9)) and "before the first dated event (2024-03-05)" in note
    s, e, note = views.typed_window("end", d(2030, 1, 1), win, TL_SPAN)
    assert (s, e) == (d(2024, 3, 7), d(2024, 3, 14)) and "after the last dated event" in note
    s, e, note = views.typed_window("start", d(2024, 3, 12), win, TL_SPAN)
    assert (s, e) == (d(2024, 3, 12), d(2024, 3, 12)) and "end moved" in note
    s, e, note = views.typed_window("end", d(2024, 3, 6), win, TL_SPAN)
    assert (s, e) == (d(2024, 3, 6), d(2024, 3, 6)) and "start moved" in note
    s, e, note = views.typed_window("end", None, win, TL_SPAN)
    assert (s, e) == win and note


def test_a_brushed_range_becomes_whole_days_inside_the_span():
    d = date
    ms = lambda y, m, day, h=0: (date(y, m, day) - date(1970, 1, 1)).days * 86_400_000 + h * 3_600_000  # noqa: E731
    # from the middle of 7 March's bar to the middle of 9 March's: 7 – 9 March
    assert views.brushed_window({"period": [ms(2024, 3, 7, 12), ms(2024, 3, 9, 12)]}, TL_SPAN) == \
        (d(2024, 3, 7), d(2024, 3, 9))
    # dragged right to left, ending exactly at midnight: the day before midnight is the last
    assert views.brushed_window({"period": [ms(2024, 3, 10), ms(2024, 3, 8, 6)]}, TL_SPAN) == \
        (d(2024, 3, 8), d(2024, 3, 9))
    # ISO strings too; beyond the span: clamped
    assert views.brushed_window({"period": ["2024-03-01T00:00:00.000Z", "2024-03-06T10:00:00Z"]}, TL_SPAN) == \
        (d(2024, 3, 5), d(2024, 3, 6))
    assert views.brushed_window({}, TL_SPAN) is None
    assert views.brushed_window({"period": ["x", None]}, TL_SPAN) is None
    assert views.brushed_window(None, TL_SPAN) is None


def test_short_windows_get_a_day_axis():
    assert views.day_axis(date(2024, 3, 5), date(2024, 3, 5)) == {"format": "%d %b", "interval": "day", "step": 1}
    assert views.day_axis(date(2024, 3, 1), date(2024, 3, 31))["step"] == 4
    assert views.day_axis(date(2024, 1, 1), date(2024, 12, 31)) is None
    assert views.day_axis(None, None) is None
