"""The store answers the view (issue 12): counts, pages, grid cells, histogram bars, bounds and
filter choices computed in the database agree with the same view filtered in Python over every
event, so the app can stop loading the whole store without showing anything different."""
from __future__ import annotations

from collections import Counter
from datetime import date

import pytest

from geo import views
from geo.store import Store
from tests.app_data import build_store

VIEWS = [
    views.ViewState(),
    views.ViewState(background=True),
    views.ViewState(start=date(2024, 3, 5), end=date(2024, 3, 5)),
    views.ViewState(start=date(2024, 3, 6), end=date(2024, 3, 31), background=True),
    views.ViewState(start=date(2022, 1, 1), end=date(2022, 12, 31), background=True),
    views.ViewState(types=("protest",)),
    views.ViewState(types=("explosion_remote_violence", "other"), countries=("PK",)),
    views.ViewState(text="sibi"),
    views.ViewState(text="IB"),                   # under three characters: no trigram, a scan
    views.ViewState(text='rally "sibi'),          # a quote inside the text is a character, not syntax
    views.ViewState(text="100%"),
    views.ViewState(text="rally", start=date(2024, 3, 1), end=date(2024, 3, 31)),
    views.ViewState(actor="hundreds"),
    views.ViewState(kinds=("city",), min_confidence=0.5),
    views.ViewState(min_confidence=0.9),
    views.ViewState(min_sources=2),
    views.ViewState(min_sources=3, background=True),
]


@pytest.fixture(scope="module")
def filled(tmp_path_factory):
    path = tmp_path_factory.mktemp("view") / "events.db"
    build_store(path)
    with Store.open(path) as store:
        yield store


def _span(store, state):
    return store.date_span(role=None if state.background else "reported")


def _expected(store, state):
    everything = views.mark_representatives(store.events(), store.incidents())
    return views.filter_events(everything, state, _span(store, state))


@pytest.mark.parametrize("state", VIEWS, ids=lambda v: views.describe(v, 0)[:60] or "default")
def test_the_store_keeps_the_events_the_view_shows(filled, state):
    want = _expected(filled, state)
    f = views.store_filters(state, _span(filled, state))
    assert filled.count_view(**f) == len(want)
    got = filled.view_events(**f)
    assert [e["id"] for e in got] == [e["id"] for e in want]            # same order: by date, then id
    assert got == want                                                   # and the same rows


def test_sources_filter_by_the_label_the_filter_offers(filled):
    state = views.ViewState(sources=("news.example.org",))
    want = _expected(filled, state)
    assert want, "the test store has an article from news.example.org"
    f = views.store_filters(state, _span(filled, state))
    assert [e["id"] for e in filled.view_events(**f)] == [e["id"] for e in want]


def test_filter_choices_are_those_of_the_stored_events(filled):
    assert filled.filter_options() == views.options(filled.events(include_hidden=True))


def test_the_table_pages_newest_first(filled):
    f = views.store_filters(views.ViewState(background=True), _span(filled, views.ViewState(background=True)))
    everything = filled.view_events(**f)
    newest = sorted(everything, key=lambda e: (e["day_start"] is None, [-ord(c) for c in e["day_start"] or ""],
                                               -e["id"]))
    pages = [filled.view_events(newest_first=True, limit=3, offset=o, **f) for o in range(0, len(everything), 3)]
    assert [e["id"] for p in pages for e in p] == [e["id"] for e in newest]
    assert all(len(p) == 3 for p in pages[:-1]) and 1 <= len(pages[-1]) <= 3


def test_slim_rows_leave_out_only_the_alternatives(filled):
    f = views.store_filters(views.ViewState(), _span(filled, views.ViewState()))
    full, slim = filled.view_events(**f), filled.view_events(slim=True, **f)
    assert any(e["alternatives"] for e in full)
    assert [dict(e, alternatives=[]) for e in full] == slim


@pytest.mark.parametrize("cell", [0.01, 1.0, 30.0])
def test_grid_cells_count_every_placed_event_once(filled, cell):
    state = views.ViewState(background=True)
    want = [e for e in _expected(filled, state) if e["lat"] is not None]
    cells = filled.view_cells(cell, **views.store_filters(state, _span(filled, state)))
    assert sum(c["n"] for c in cells) == len(want)
    by_cell = Counter((int((e["lat"] + 90) // cell), int((e["lon"] + 180) // cell)) for e in want)
    assert sorted(c["n"] for c in cells) == sorted(by_cell.values())
    for c in cells:      # each cell's point lies among its events
        members = [e for e in want if (int((e["lat"] + 90) // cell), int((e["lon"] + 180) // cell))
                   == (int((c["lat"] + 90) // cell), int((c["lon"] + 180) // cell))]
        assert len(members) == c["n"]
        assert c["first"] == min(e["day_start"] for e in members if e["day_start"])


@pytest.mark.parametrize("bucket", ["day", "week", "month"])
def test_histogram_counts_incidents_per_period(filled, bucket):
    state = views.ViewState(background=True)
    shown = _expected(filled, state)
    f = views.store_filters(state, _span(filled, state))
    bars = dict(filled.view_histogram(bucket, **f))
    want = Counter()
    for members in views.group_incidents(shown):
        periods = {views.bucket_start(date.fromisoformat(m["day_start"]), bucket)
                   for m in members if m["day_start"]}
        for p in periods:
            want[p.isoformat()] += 1
    assert bars == dict(want)
    # the Sibi attack, told by three articles, is one incident on its day
    assert filled.view_histogram("day", **views.store_filters(
        views.ViewState(types=("explosion_remote_violence",)), _span(filled, state))) == [("2024-03-05", 1)]


def test_bounds_fit_the_view(filled):
    state = views.ViewState(countries=("PK",))
    f = views.store_filters(state, _span(filled, state))
    (s, w), (n, e) = filled.view_bounds(**f)
    pts = [(x["lat"], x["lon"]) for x in _expected(filled, state)]
    assert (s, w, n, e) == (min(p[0] for p in pts), min(p[1] for p in pts), max(p[0] for p in pts),
                            max(p[1] for p in pts))
    assert filled.view_bounds(**views.store_filters(views.ViewState(text="no such place"), None)) is None


def test_one_event_by_id_hidden_ones_too(tmp_path):
    washington = build_store(tmp_path / "h.db")["Washington"][0]
    with Store.open(tmp_path / "h.db") as store:
        store.set_hidden(washington["article_id"], washington["mention_start"], washington["mention_end"])
        assert washington["id"] not in {e["id"] for e in store.view_events()}
        hidden = store.event(washington["id"])
        assert hidden["hidden"] and hidden == store.events(include_hidden=True, text="Washington")[0]
        assert store.event(10 ** 9) is None


def test_a_text_view_follows_the_store_as_it_changes(tmp_path):
    # a text view's matches are read once per store revision (SQLite keeps them in a temporary
    # table for the view's count, cells, histogram and table): a write since is seen
    washington = build_store(tmp_path / "t.db")["Washington"][0]
    state = views.ViewState(text="Washington", background=True)
    with Store.open(tmp_path / "t.db") as store:
        f = views.store_filters(state, _span(store, state))
        before = store.count_view(**f)
        assert washington["id"] in {e["id"] for e in store.view_events(newest_first=True, limit=50, **f)}
        store.set_hidden(washington["article_id"], washington["mention_start"], washington["mention_end"])
        assert store.count_view(**f) == before - 1
        assert washington["id"] not in {e["id"] for e in store.view_events(**f)}
        assert sum(c["n"] for c in store.view_cells(5.0, **f)) == before - 1
        assert store.view_events(**f) == _expected(store, state)


@pytest.mark.parametrize("window", [{}, {"start": "2024-03-05", "end": "2024-03-12"}, {"end": "2024-03-13"}])
@pytest.mark.parametrize("box", [(60.0, 25.0, 75.0, 35.0), (20.0, 45.0, 40.0, 55.0),
                                 (10.0, 20.0, -60.0, 60.0)],             # (across the antimeridian)
                         ids=["Pakistan", "Ukraine", "antimeridian"])
def test_a_box_read_off_its_band_of_latitudes_keeps_the_same_events(tmp_path, monkeypatch, window, box):
    # a box dense with events is read off its band of latitudes (SQLite's latitude index), not the
    # R*Tree or a date index: the same events, counts and cells either way
    build_store(tmp_path / "b.db")
    with Store.open(tmp_path / "b.db") as store:
        if store.backend != "sqlite":
            pytest.skip("the latitude index is SQLite's")
        f = dict(window, bbox=box, role="reported")
        by_rtree = (store.count_view(**f), store.view_events(**f), store.view_cells(2.0, **f))
        monkeypatch.setattr(type(store), "_driver", lambda self, lo, hi, b: "geo" if b else "start")
        assert (store.count_view(**f), store.view_events(**f), store.view_cells(2.0, **f)) == by_rtree
        assert by_rtree[0] == len(store.events(**f)) > 0


def test_a_dense_narrow_band_leads_the_query(tmp_path, monkeypatch):
    build_store(tmp_path / "d.db")
    with Store.open(tmp_path / "d.db") as store:
        if store.backend != "sqlite":
            pytest.skip("the latitude index is SQLite's")
        monkeypatch.setattr(type(store), "BOX_PROBE", 1)            # every box with an event is dense
        assert store._driver(None, None, (30.0, 45.0, 40.0, 55.0)) == "geo"       # 4 of 11 events
        assert store._driver(None, None, (-180.0, 0.0, 180.0, 60.0)) == "start"   # all of them


def test_the_revision_moves_with_every_write(tmp_path):
    with Store.open(tmp_path / "r.db") as store:
        before = store.revision()
        build_store(tmp_path / "r.db")
        assert store.revision() > before            # another connection's writes count too
        now = store.revision()
        store.save_snapshot({}, [])
        assert store.revision() == now + 1
        store.events()
        assert store.revision() == now + 1          # reading moves nothing


def test_a_view_streams_in_batches_as_it_pages(filled):
    f = views.store_filters(views.ViewState(background=True), _span(filled, views.ViewState(background=True)))
    stream = filled.iter_view_events(batch=2, **f)
    assert not isinstance(stream, list)
    assert list(stream) == filled.view_events(**f)


@pytest.mark.parametrize("fmt", ["geojson", "csv", "kml"])
def test_exports_written_from_the_stream_are_the_files_of_the_whole_list(filled, tmp_path, fmt):
    from geo import export
    f = views.store_filters(views.ViewState(), _span(filled, views.ViewState()))
    listed = filled.view_events(**f)
    n = export.write(filled.iter_view_events(batch=3, **f), fmt, tmp_path / f"x.{fmt}")
    assert n == export.count(listed, fmt) == len(listed)
    assert (tmp_path / f"x.{fmt}").read_bytes() == export.render(listed, fmt)


def test_the_text_filter_matches_a_place_by_its_other_names(filled):
    """'Odessa' is not in the store's text (it says Odesa), but the gazetteer knows it as a name of
    that city: with the place keys it names, the text filter finds the event."""
    from geo.gazetteer import Gazetteer
    keys = views.place_keys_named(Gazetteer.load(), "Odessa")
    state = views.ViewState(text="Odessa")
    assert filled.count_view(**views.store_filters(state, _span(filled, state))) == 0
    got = filled.view_events(**views.store_filters(state, _span(filled, state), keys))
    assert [e["name"] for e in got] == ["Odesa"]


def test_csv_rows_lead_back_to_the_event_its_incident_and_its_article(filled, tmp_path):
    import csv
    from geo import export
    f = views.store_filters(views.ViewState(), _span(filled, views.ViewState()))
    export.write(filled.iter_view_events(**f), "csv", tmp_path / "v.csv")
    with open(tmp_path / "v.csv", newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    want = {e["id"]: e for e in filled.view_events(**f)}
    assert sorted(int(r["event_id"]) for r in rows) == sorted(want)
    for r in rows:
        e = want[int(r["event_id"])]
        assert (int(r["article_id"]), int(r["incident_id"])) == (e["article_id"], e["incident_id"])


@pytest.fixture
def many(store_location):
    """1,600 one-event articles over 20 days at 40 places, on each backend: enough to count on the sample."""
    from tests.app_data import _article, _event
    with Store.open(store_location) as store:
        for k in range(1600):
            day = date(2024, 3, 1 + k % 40 // 2)
            place = {"name": f"Town {k % 40}", "lat": 10.0 + (k % 40) * 0.5, "lon": 20.0 + (k % 7) * 3.0,
                     "country_code": "PK", "kind": "city", "place_key": f"test:{k % 40}"}
            text = f"Protesters gathered in Town {k % 40} on that day, number {k}."
            store.add(_article(f"m{k}", f"Rally {k}", day.isoformat(), None, text,
                               [_event(text, place, f"Town {k % 40}", "gathered", type="protest",
                                       date=day.isoformat())]))
        yield store


def test_a_very_large_view_is_counted_on_the_fixed_sample_and_says_so(many):
    f = {"role": "reported"}
    exact = many.view_cells(2.0, **f)
    assert not any(c["approx"] for c in exact) and sum(c["n"] for c in exact) == 1600
    sampled = many.view_cells(2.0, sample_above=0, **f)          # as if it were a million events
    assert sampled and all(c["approx"] for c in sampled)
    # whole incidents are in the sample or out: their events, scaled up
    in_sample = [e for e in many.view_events(**f) if (e["incident_id"] or e["id"]) % 16 == 0]
    assert sum(c["n"] for c in sampled) == 16 * len(in_sample)
    assert all(c["n"] % 16 == 0 for c in sampled)
    assert len(sampled) <= len(exact)
    bars = dict(many.view_histogram("week", **f))
    approx_bars = dict(many.view_histogram("week", sample_above=0, **f))
    assert set(approx_bars) <= set(bars) and all(n % 16 == 0 for n in approx_bars.values())
    incidents_in_sample = {e["incident_id"] or e["id"] for e in in_sample}
    assert sum(approx_bars.values()) == 16 * len(incidents_in_sample)
    # its number: estimated off the sample, and says so; a view under the bound is counted
    assert many.estimate_view(sample_above=0, **f) == (16 * len(in_sample), False)
    assert many.estimate_view(**f) == (1600, True)
    assert many.estimate_view(sample_above=None, types=["battle"]) == (0, True)
