"""Incidents (geo/store.py, issue 9 item 5): several articles reporting the same happening at the same
place and time are one incident with N sources; the grouping is deterministic and follows every
add, delete and correction.

Results are built by hand (no NLP): short texts with one event each, as geo.pipeline would give them."""
from __future__ import annotations

import itertools
import sqlite3

import pytest

from geo.pipeline import ArticleResult
from geo.store import MAX_INCIDENT_DAYS, Store, StoreError
from geo.types import Article, Mention, Place, Span

SIBI = Place("gn:1164909", "Sibi", 29.5430, 67.8773, "PK", "city", geonameid=1164909)
SIBI_CANTT = Place("gn:9990001", "Sibi Cantonment", 29.5680, 67.8773, "PK", "landmark")   # 2.8 km north
DHADAR = Place("gn:1180295", "Dhadar", 29.9930, 67.8773, "PK", "city")                   # 50 km north
QUETTA = Place("gn:1167528", "Quetta", 30.1841, 67.0014, "PK", "city", geonameid=1167528)
PAKISTAN = Place("gn:1168579", "Pakistan", 30.0, 70.0, "PK", "country")
NEAR_CENTRE = Place("gn:9990002", "Centreville", 30.01, 70.01, "PK", "city")             # 1.4 km from it


def report(i: int, place: Place, date: str, type: str = "explosion_remote_violence", precision: str = "day",
           role: str = "reported", published: str = None, words: str = "a suicide bomber struck") -> ArticleResult:
    """Article `i`: one sentence reporting a happening at `place` on `date`."""
    text = f"Report {i}. On that day {words} in {place.name}, officials said."
    start = text.index(place.name, text.index(" in ") + 1)
    end = start + len(place.name)
    trigger = text.index(words.split()[-1])
    ev = {"name": place.name, "lat": place.lat, "lon": place.lon, "country_code": place.country_code,
          "kind": place.kind, "place_key": place.key, "date": date, "precision": precision,
          "date_source": "stated", "sentence": text[text.index("On"):], "mention_start": start,
          "mention_end": end, "confidence": 0.8, "type": type, "actors": ["a suicide bomber"], "role": role,
          "trigger": {"start": trigger, "end": trigger + len(words.split()[-1])},
          "sentence_start": text.index("On"), "date_text": "On that day", "date_text_start": text.index("On"),
          "date_text_end": text.index("On") + len("On that day")}
    art = Article(id=f"r{i}", text=text, title=f"Report {i} on {place.name}", url=f"https://news.example/{i}",
                  published=published or (date if len(date) == 10 else "2024-03-20"), source=f"r{i}.txt")
    return ArticleResult(art, [Mention(Span(start, end, place.name), place, 0.9, [])], events=[ev])


@pytest.fixture
def store(store_location):
    s = Store.open(store_location)
    yield s
    s.close()


def grouping(store: Store) -> set:
    """Incidents as sets of (article external id, mention start): comparable across stores."""
    ext = {a["id"]: a["external_id"] for a in store.articles()}
    groups: dict = {}
    for e in store.events():
        groups.setdefault(e["incident_id"], set()).add((ext[e["article_id"]], e["mention_start"]))
    return {frozenset(g) for g in groups.values()}


def incident_of(store: Store, external_id: str) -> int:
    aid = next(a["id"] for a in store.articles() if a["external_id"] == external_id)
    return next(e["incident_id"] for e in store.events() if e["article_id"] == aid)


# --------------------------------------------------------------------------- the rule

def test_three_articles_on_one_attack_are_one_incident_with_three_sources(store):
    for i, day in enumerate(["2024-03-05", "2024-03-05", "2024-03-06"]):    # one a day late: slack
        store.add(report(i, SIBI, day))
    evs = store.events()
    assert len(evs) == 3
    assert len({e["incident_id"] for e in evs}) == 1
    assert all(e["n_sources"] == 3 for e in evs)
    assert evs[0]["incident_id"] == min(e["id"] for e in evs)       # the id is its smallest event id

    (inc,) = store.incidents()
    assert (inc["type"], inc["n_sources"], inc["n_events"], inc["name"]) == \
        ("explosion_remote_violence", 3, 3, "Sibi")
    assert (inc["day_start"], inc["day_end"], inc["date"]) == ("2024-03-05", "2024-03-06", "2024-03-05")
    assert inc["event_ids"] == sorted(e["id"] for e in evs) and len(inc["article_ids"]) == 3

    full = store.incident(inc["id"])
    assert [e["title"] for e in full["events"]] == ["Report 0 on Sibi", "Report 1 on Sibi", "Report 2 on Sibi"]
    assert all(e["url"].startswith("https://news.example/") and "Sibi" in e["sentence"] and e["published"]
               for e in full["events"])
    first = full["events"][0]
    assert first["trigger"]["text"] == "struck"
    text = store.articles(with_text=True)[0]["text"]
    assert text[first["sentence_start"]:].startswith(first["sentence"])
    assert text[first["date_text_start"]:first["date_text_end"]] == first["date_text"] == "On that day"
    with pytest.raises(StoreError, match="no incident"):
        store.incident(12345)


@pytest.mark.parametrize("other, why", [
    (report(1, SIBI, "2024-03-05", type="battle", words="troops clashed"), "another type"),
    (report(1, SIBI, "2024-03-08"), "dates three days apart"),
    (report(1, DHADAR, "2024-03-05"), "a place 50 km away"),
    (report(1, QUETTA, "2024-03-05"), "another town"),
])
def test_not_the_same_incident(store, other, why):
    store.add(report(0, SIBI, "2024-03-05"))
    store.add(other)
    assert len(store.incidents()) == 2, why
    assert all(e["n_sources"] == 1 for e in store.events())


def test_a_nearby_point_is_the_same_place_an_area_is_not(store):
    store.add(report(0, SIBI, "2024-03-05"))
    store.add(report(1, SIBI_CANTT, "2024-03-05"))              # 2.8 km away, another gazetteer entry
    assert [i["n_sources"] for i in store.incidents()] == [2]
    # a country's representative point is no place where things happen
    store.add(report(2, PAKISTAN, "2024-03-05"))
    store.add(report(3, NEAR_CENTRE, "2024-03-05"))
    assert sorted(i["n_sources"] for i in store.incidents()) == [1, 1, 2]
    store.add(report(4, PAKISTAN, "2024-03-05"))               # the same country: linked by its key
    assert sorted(i["n_sources"] for i in store.incidents()) == [1, 2, 2]


def test_events_of_one_article_are_not_sources_of_each_other(store):
    r = report(0, SIBI, "2024-03-05")
    second = dict(r.events[0], mention_start=0, mention_end=6)       # the same happening said twice
    r.events.append(second)
    store.add(r)
    assert len(store.incidents()) == 2
    assert {e["n_sources"] for e in store.events()} == {1}
    store.add(report(1, SIBI, "2024-03-05"))                         # a second article joins both
    (inc,) = store.incidents()
    assert (inc["n_events"], inc["n_sources"]) == (3, 2)


def test_a_year_does_not_swallow_the_days_in_it(store):
    store.add(report(0, SIBI, "2024-03-05"))
    store.add(report(1, SIBI, "2024-07-01"))
    store.add(report(2, SIBI, "2024", precision="year", role="background"))
    assert len(store.incidents()) == 3
    store.add(report(3, SIBI, "2024", precision="year", role="background"))   # the same year: same interval
    incs = {i["day_start"] + "/" + i["day_end"]: i for i in store.incidents()}
    assert incs["2024-01-01/2024-12-31"]["n_sources"] == 2
    assert incs["2024-01-01/2024-12-31"]["role"] == "background"
    # a month (earlier this month) does meet the days in it
    store.add(report(4, SIBI, "2024-03", precision="month"))
    assert incident_of(store, "r4") == incident_of(store, "r0")


def test_a_chain_of_daily_reports_is_cut_into_weeks(store):
    for i in range(10):                                              # 1 March … 10 March, each a day apart
        store.add(report(i, QUETTA, f"2024-03-{i + 1:02d}", type="protest", words="crowds protested"))
    incs = store.incidents()
    assert [(i["day_start"], i["day_end"]) for i in incs] == \
        [("2024-03-01", f"2024-03-{MAX_INCIDENT_DAYS:02d}"), (f"2024-03-{MAX_INCIDENT_DAYS + 1:02d}", "2024-03-10")]
    assert sum(i["n_sources"] for i in incs) == 10
    # "earlier this month" joins the week it meets most
    store.add(report(10, QUETTA, "2024-03", precision="month", type="protest", words="crowds protested"))
    assert [i["n_sources"] for i in store.incidents()] == [MAX_INCIDENT_DAYS + 1, 10 - MAX_INCIDENT_DAYS]


def test_undated_events_stay_alone(store):
    a, b = report(0, SIBI, "2024-03-05"), report(1, SIBI, "2024-03-05")
    for r in (a, b):
        r.events[0].update(date=None, precision=None, date_source="unknown")
    store.add(a)
    store.add(b)
    assert [i["n_sources"] for i in store.incidents()] == [1, 1]


# --------------------------------------------------------------------------- determinism

def test_the_same_articles_in_any_order_give_the_same_incidents(tmp_path):
    reports = [report(0, SIBI, "2024-03-05"), report(1, SIBI_CANTT, "2024-03-06"), report(2, SIBI, "2024-03-07"),
               report(3, SIBI, "2024-03-05", type="battle", words="troops clashed"),
               report(4, SIBI, "2024-03", precision="month"), report(5, DHADAR, "2024-03-05"),
               report(6, QUETTA, "2024-03-05"), report(7, QUETTA, "2024-03-04")]
    orders = [list(range(len(reports))), list(reversed(range(len(reports)))), [4, 6, 1, 3, 0, 7, 2, 5],
              [2, 0, 5, 1, 7, 4, 6, 3]]
    seen = set()
    for k, order in enumerate(orders):
        with Store.open(tmp_path / f"o{k}.db") as s:
            for i in order:
                s.add(reports[i])
            incs = s.incidents()
            assert all(inc["id"] == min(inc["event_ids"]) for inc in incs)
            before = [(i["id"], i["event_ids"], i["n_sources"], i["event_id"], i["date"]) for i in incs]
            assert s.rebuild_incidents() == len(incs)           # from scratch: the same as incrementally
            assert [(i["id"], i["event_ids"], i["n_sources"], i["event_id"], i["date"])
                    for i in s.incidents()] == before
            seen.add(frozenset(grouping(s)))
            rep = {i["n_events"]: i for i in incs}[4]
            seen_rep = (rep["name"], rep["date"], rep["day_start"], rep["day_end"])
            assert seen_rep == ("Sibi", "2024-03-05", "2024-03-01", "2024-03-31")
    assert len(seen) == 1
    (g,) = seen
    # Sibi 5, Sibi Cantonment 6, Sibi 7 March and "March" at Sibi; Quetta 4 and 5 March; the battle; Dhadar
    assert {frozenset(a for a, _ in x) for x in g} == \
        {frozenset({"r0", "r1", "r2", "r4"}), frozenset({"r6", "r7"}), frozenset({"r3"}), frozenset({"r5"})}


# --------------------------------------------------------------------------- updates

def test_deleting_the_bridge_splits_the_incident_and_re_adding_joins_it(store):
    ids = [store.add(report(i, SIBI, f"2024-03-{5 + i:02d}")).article_id for i in range(3)]   # 5, 6, 7 March
    (inc,) = store.incidents()
    assert inc["n_sources"] == 3
    assert store.delete_article(ids[1])                    # 5 and 7 March do not meet without the 6th
    incs = store.incidents()
    assert [i["n_sources"] for i in incs] == [1, 1]
    assert incs[0]["id"] == inc["id"]                      # the first keeps its id
    assert store._read("SELECT COUNT(*) FROM incidents")[0][0] == 0      # lone events need no row
    assert store.incident(incs[1]["id"])["events"][0]["title"] == "Report 2 on Sibi"
    store.add(report(1, SIBI, "2024-03-06"))
    assert [i["n_sources"] for i in store.incidents()] == [3]
    assert store.delete_article(ids[0]) and store.delete_article(ids[2])
    assert [i["n_sources"] for i in store.incidents()] == [1]


def test_min_sources_type_and_role_filters(store):
    for i in range(3):
        store.add(report(i, SIBI, "2024-03-05"))
    store.add(report(3, QUETTA, "2024-03-05", type="protest", words="crowds protested"))
    store.add(report(4, QUETTA, "1998", precision="year", type="battle", role="background", words="troops fought"))
    assert {e["name"] for e in store.events(min_sources=2)} == {"Sibi"}
    assert len(store.events(min_sources=3)) == 3 and store.events(min_sources=4) == []
    assert {e["name"] for e in store.events(types=["protest"])} == {"Quetta"}
    assert len(store.events(types=("protest", "explosion_remote_violence"))) == 4
    assert store.events(types=[]) == []
    assert [e["date"] for e in store.events(role="background")] == ["1998"]
    assert len(store.events(role="reported")) == 4
    assert len(store.events(start="2024-03-01", end="2024-03-31", min_sources=2, types=["explosion_remote_violence"],
                            role="reported", bbox=(67, 29, 68, 30))) == 3
    assert [i["name"] for i in store.incidents(min_sources=2)] == ["Sibi"]
    assert [i["type"] for i in store.incidents(role="background")] == ["battle"]
    assert [i["name"] for i in store.incidents(start="2024-03-05", end="2024-03-05", types=["protest"])] == ["Quetta"]
    assert [i["name"] for i in store.incidents(bbox=(67.5, 29, 68, 30))] == ["Sibi"]
    assert store.date_span() == ("1998-01-01", "2024-03-05")
    assert store.date_span(role="reported") == ("2024-03-05", "2024-03-05")


def test_old_result_dicts_get_the_defaults_and_bad_values_are_refused(store):
    r = report(0, SIBI, "2024-03-05")
    for k in ("type", "actors", "role", "trigger", "sentence_start", "date_text", "date_text_start", "date_text_end"):
        del r.events[0][k]
    store.add(r.to_dict())
    (e,) = store.events()
    assert (e["type"], e["actors"], e["role"], e["trigger"], e["hidden"]) == ("other", [], "reported", None, False)
    assert (e["sentence_start"], e["date_text"], e["date_text_start"]) == (None, None, None)
    for change, reason in [({"type": "massacre"}, "type must be one of"), ({"role": "news"}, "role must be"),
                           ({"actors": "police"}, "actors must be a list"),
                           ({"trigger": {"start": 5, "end": 900}}, "outside the text")]:
        bad = report(1, SIBI, "2024-03-05")
        bad.events[0].update(change)
        with pytest.raises(StoreError, match=reason):
            store.add(bad)
    assert len(store.articles()) == 1


def test_ingest_stays_fast_with_incidents(store):
    """Adding keeps to its neighbourhood: 400 articles (1,200 events) at 40 places go in quickly and
    group exactly: each place-day-type reported by several articles is one incident."""
    import time
    places = [Place(f"gn:{k}", f"Town{k}", 20 + k * 0.5, 40 + k * 0.5, "XX", "city") for k in range(40)]
    t = time.perf_counter()
    for i in range(400):
        r = report(i, places[i % 40], f"2024-0{1 + (i // 40) % 9}-1{i % 10}")
        r.events += [dict(r.events[0], mention_start=0, mention_end=6, type=t_, date=f"2023-{1 + i % 12:02d}-01")
                     for t_ in ("battle", "protest")]
        store.add(r)
    secs = time.perf_counter() - t
    assert store.count_events() == 1200
    assert secs < 30
    assert sum(i["n_events"] for i in store.incidents()) == 1200


def test_a_long_chain_of_reports_stays_fast(store):
    """Three reports a day from one town for five months: every add joins the same long component.
    An add merges stored components without walking them (this took minutes when it did)."""
    import time
    from datetime import date, timedelta
    t = time.perf_counter()
    for i in range(450):
        store.add(report(i, QUETTA, (date(2024, 1, 1) + timedelta(days=i // 3)).isoformat(), type="other"))
    assert time.perf_counter() - t < 25
    incs = store.incidents()
    assert len(incs) == 22 and {i["n_sources"] for i in incs[:-1]} == {3 * MAX_INCIDENT_DAYS}
    t = time.perf_counter()
    e = store.events()[200]
    store.set_hidden(e["article_id"], e["mention_start"], e["mention_end"])   # walks the chain once
    assert time.perf_counter() - t < 5
    assert sum(i["n_sources"] for i in store.incidents()) == 449


def test_incremental_updates_equal_a_rebuild_after_any_mix_of_changes(store):
    """Adds, deletes and every kind of correction in a seeded random order: after each step the stored
    incidents are exactly what grouping all events from scratch gives."""
    import random
    rng = random.Random(9)
    places = [SIBI, SIBI_CANTT, DHADAR, QUETTA]
    types = ["explosion_remote_violence", "battle"]
    pool = [report(i, rng.choice(places), f"2024-03-{rng.randint(1, 12):02d}", type=rng.choice(types))
            for i in range(40)]
    pool += [report(40 + i, rng.choice(places), "2024-03", precision="month") for i in range(4)]

    def state():
        return [(i["id"], i["event_ids"], i["n_sources"], i["event_id"], i["day_start"], i["day_end"])
                for i in store.incidents()]

    stored, richest = [], 0
    for step in range(120):
        op = rng.random()
        evs = store.events(include_hidden=True)
        if op < 0.45 or not evs:
            r = rng.choice(pool)
            out = store.add(r)
            if out.status == "added":
                stored.append(out.article_id)
        elif op < 0.6:
            aid = rng.choice(stored)
            stored.remove(aid)
            store.delete_article(aid)
        else:
            e = rng.choice(evs)
            where = (e["article_id"], e["mention_start"], e["mention_end"])
            kind = rng.choice(["hide", "type", "date", "place", "undo"])
            if kind == "hide":
                store.set_hidden(*where, hidden=not e["hidden"])
            elif kind == "type":
                store.set_type(*where, rng.choice(types))
            elif kind == "date":
                store.set_date(*where, f"2024-03-{rng.randint(1, 12):02d}")
            elif kind == "place":
                p = rng.choice(places)
                store.correct(*where, p.lat, p.lon, name=p.name, place_key=p.key)
            elif store.corrections():
                store.undo_correction(rng.choice(store.corrections())["id"])
        before = state()
        store.rebuild_incidents()
        assert state() == before, f"step {step}"
        richest = max([richest] + [i[2] for i in before])
    assert richest >= 3


def test_a_crowded_city_ingests_to_exactly_what_a_rebuild_gives(store):
    """Three hundred articles about one city, five events each within 2 km of each other over two
    months (days and a few months, three types): the crowded box leads the candidate lookup through
    the date index, and the incremental grouping is exactly a rebuild from scratch."""
    import random
    from datetime import date, timedelta
    rng = random.Random(11)
    types = ["explosion_remote_violence", "battle", "protest"]
    for i in range(300):
        r = report(i, SIBI, "2024-03-05")
        base = r.events[0]
        r.events = []
        for k in range(5):
            day = (date(2024, 3, 1) + timedelta(days=rng.randrange(60))).isoformat()
            month = rng.random() < 0.1
            r.events.append(dict(base, mention_start=k, mention_end=k + 1, type=rng.choice(types),
                                 lat=SIBI.lat + rng.uniform(-0.009, 0.009), lon=SIBI.lon + rng.uniform(-0.009, 0.009),
                                 place_key=rng.choice([SIBI.key, SIBI_CANTT.key, None]),
                                 date=day[:7] if month else day, precision="month" if month else "day"))
        store.add(r)
    assert store.count_events() == 1500

    def state():
        return [(i["id"], i["event_ids"], i["n_sources"], i["event_id"], i["day_start"], i["day_end"], i["date"])
                for i in store.incidents()]

    before = state()
    assert sum(i[2] > 1 for i in before) > 20 and max(len(i[1]) for i in before) > 20
    assert store.rebuild_incidents() == len(before)
    assert state() == before
