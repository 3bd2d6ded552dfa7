"""Corrections an analyst needs (geo/store.py, issue 9 item 6): "not an event", "wrong type", "wrong date",
"always place NAME as PLACE", besides moving a pin. Each is dated, listed, undoable, survives closing
the store and re-ingesting the article, and keeps the incidents right; and a schema-3 file migrates."""
from __future__ import annotations

import json
import re
import sqlite3
from datetime import datetime

import pytest

from geo.store import MIGRATIONS, SCHEMA_VERSION, Store, StoreError, content_hash
from geo.types import Place
from tests.test_incidents import DHADAR, QUETTA, SIBI, report

GEORGIA_US = Place("gn:4197000", "Georgia", 32.75, -83.5, "US", "admin1")
TBILISI = (41.7151, 44.8271)


@pytest.fixture
def path(store_location):
    """The store's location, on each backend (conftest.py)."""
    return store_location


def only(store: Store, **kw) -> dict:
    (e,) = store.events(**kw)
    return e


def reopen(store: Store) -> Store:
    store.close()
    return Store.open(store.path)


def readd(store: Store, result) -> int:
    """Delete the article holding this text and add it again (as a re-ingest would)."""
    aid = next(a["id"] for a in store.articles() if a["external_id"] == result.article.id)
    assert store.delete_article(aid)
    assert store.add(result).status == "added"
    return next(a["id"] for a in store.articles() if a["external_id"] == result.article.id)


def span(e: dict) -> tuple:
    return e["article_id"], e["mention_start"], e["mention_end"]


def test_not_an_event_hides_keeps_survives_and_undoes(path):
    store = Store.open(path)
    r0, r1 = report(0, SIBI, "2024-03-05"), report(1, SIBI, "2024-03-05")
    store.add(r0)
    store.add(r1)
    assert [i["n_sources"] for i in store.incidents()] == [2]
    e = next(e for e in store.events() if e["title"] == "Report 0 on Sibi")
    cid = store.set_hidden(*span(e))
    assert [x["title"] for x in store.events()] == ["Report 1 on Sibi"]          # gone from the map …
    kept = [x for x in store.events(include_hidden=True) if x["hidden"]]          # … but kept
    assert len(kept) == 1 and kept[0]["incident_id"] is None and kept[0]["corrected_by"] == ["hidden"]
    assert [i["n_sources"] for i in store.incidents()] == [1]                     # and no longer a source
    (c,) = store.corrections()
    assert (c["id"], c["kind"], c["mention_text"], c["article_id"]) == (cid, "hidden", "Sibi", e["article_id"])
    assert "Sibi" in c["target"]
    assert datetime.fromisoformat(c["created_at"]).utcoffset().total_seconds() == 0

    store = reopen(store)
    assert len(store.events()) == 1
    readd(store, r0)                                   # re-ingested: hidden again
    assert len(store.events()) == 1 and len(store.events(include_hidden=True)) == 2
    assert store.undo_correction(cid) == 1
    assert len(store.events()) == 2 and not any(x["hidden"] or x["corrected"] for x in store.events())
    assert [i["n_sources"] for i in store.incidents()] == [2]
    assert store.corrections() == []
    with pytest.raises(StoreError, match="no correction with id"):
        store.undo_correction(cid)
    # set_hidden(False) is the same as undoing
    first = store.events()[0]
    store.set_hidden(*span(first))
    assert store.set_hidden(*span(first), hidden=False) is None
    assert len(store.events()) == 2 and store.corrections() == []
    store.close()


def test_wrong_type_moves_the_event_between_incidents(path):
    store = Store.open(path)
    r0 = report(0, SIBI, "2024-03-05")
    r1 = report(1, SIBI, "2024-03-05", type="battle", words="troops clashed")
    store.add(r0)
    store.add(r1)
    assert len(store.incidents()) == 2
    battle = only(store, types=["battle"])
    cid = store.set_type(*span(battle), "explosion_remote_violence")
    assert store.events(types=["battle"]) == []
    assert [i["n_sources"] for i in store.incidents()] == [2]                    # now one attack, two sources
    assert next(e for e in store.events(min_sources=2) if e["id"] == battle["id"])["corrected_by"] == ["type"]
    with pytest.raises(StoreError, match="unknown event type 'massacre'"):
        store.set_type(*span(battle), "massacre")

    store = reopen(store)
    readd(store, r1)
    assert store.events(types=["battle"]) == [] and [i["n_sources"] for i in store.incidents()] == [2]
    store.undo_correction(cid)
    assert only(store, types=["battle"])["type"] == "battle"                   # the pipeline's type again
    assert len(store.incidents()) == 2
    store.close()


def test_wrong_date_sets_the_day_bounds_and_undo_restores_them(path):
    store = Store.open(path)
    r0 = report(0, SIBI, "1815", precision="year", role="background", published="2024-03-20")
    store.add(r0)
    store.add(report(1, SIBI, "2024-03", precision="month"))
    e = only(store, role="background")
    cid = store.set_date(*span(e), "2024-03-15", role="reported")
    got = next(x for x in store.events() if x["id"] == e["id"])
    assert (got["date"], got["precision"], got["day_start"], got["day_end"], got["role"], got["date_source"]) == \
        ("2024-03-15", "day", "2024-03-15", "2024-03-15", "reported", "stated")
    assert got["date_text"] is None                                 # the article's words no longer date it
    assert got["n_sources"] == 2                                    # it now meets "March" at Sibi
    assert store.date_span() == ("2024-03-01", "2024-03-31")
    # a range, and a month
    store.set_date(*span(e), "2024-03-10", date_end="2024-03-12")
    got = next(x for x in store.events() if x["id"] == e["id"])
    assert (got["date"], got["date_end"], got["day_start"], got["day_end"]) == \
        ("2024-03-10", "2024-03-12", "2024-03-10", "2024-03-12")
    assert [c["kind"] for c in store.corrections()] == ["date"]           # one date correction per event
    cid = store.corrections()[0]["id"]
    for bad, why in [("next week", "not a date"), ("2024-02-30", "not a date"), (None, "needs a date")]:
        with pytest.raises(StoreError, match=why):
            store.set_date(*span(e), bad)
    with pytest.raises(StoreError, match="ends before"):
        store.set_date(*span(e), "2024-03-10", date_end="2024-03-01")
    with pytest.raises(StoreError, match="no event at"):
        store.set_date(e["article_id"], 0, 6, "2024-03-10")

    store = reopen(store)
    readd(store, r0)
    got = next(x for x in store.events() if x["title"] == "Report 0 on Sibi")
    assert (got["day_start"], got["day_end"]) == ("2024-03-10", "2024-03-12")
    store.undo_correction(cid)
    got = next(x for x in store.events() if x["title"] == "Report 0 on Sibi")
    assert (got["date"], got["precision"], got["day_start"], got["day_end"], got["role"], got["corrected"]) == \
        ("1815", "year", "1815-01-01", "1815-12-31", "background", False)
    assert got["date_text"] == "On that day"
    assert len(store.incidents()) == 2
    store.close()


def georgia_report(i: int, word: str = "Georgia"):
    """An article whose `word` the pipeline placed in the US state."""
    r = report(i, GEORGIA_US, "2024-05-01", type="protest", words="crowds protested")
    text = r.article.text.replace(" in Georgia,", f" in {word},")
    r.article.text = text
    start = text.index(word, text.index(" in ") + 1)
    r.events[0].update(mention_start=start, mention_end=start + len(word), sentence=text[text.index("On"):])
    m = r.mentions[0]
    m.span = type(m.span)(start, start + len(word), word)
    return r


def test_place_rule_applies_now_and_to_later_articles_and_undoes(path):
    store = Store.open(path)
    store.add(georgia_report(0))
    store.add(report(1, QUETTA, "2024-05-01"))
    rid = store.add_place_rule("  georgia ", *TBILISI, place_name="Georgia", place_key="gn:614540",
                               country_code="GE", kind="country")
    e = next(x for x in store.events() if x["mention_text"] == "Georgia")
    assert (e["lat"], e["lon"], e["country_code"], e["kind"], e["place_key"], e["corrected_by"]) == \
        (*TBILISI, "GE", "country", "gn:614540", ["place_rule"])
    m = next(m for m in store.mentions(e["article_id"]) if m["text"] == "Georgia")
    assert (m["lat"], m["country_code"], m["corrected"]) == (TBILISI[0], "GE", True)
    assert only(store, country="PK")["name"] == "Quetta"                          # other places untouched
    (c,) = store.corrections()
    assert (c["id"], c["kind"], c["rule_name"], c["lat"]) == (rid, "place_rule", "georgia", TBILISI[0])

    store = reopen(store)
    store.add(georgia_report(2, word="GEORGIA"))                                 # a later article, other case
    store.add(georgia_report(3, word="georgia"))
    later = [x for x in store.events(country="GE")]
    assert len(later) == 3 and all(x["lat"] == TBILISI[0] for x in later)
    assert [i["n_sources"] for i in store.incidents(country="GE")] == [3]       # one place now: one incident
    # a span's own place correction wins over the rule
    first = next(x for x in later if x["title"] == "Report 0 on Georgia")
    store.correct(*span(first), 42.27, 42.70, name="Kutaisi", place_key="gn:613607")
    assert next(x for x in store.events() if x["id"] == first["id"])["name"] == "Kutaisi"

    assert store.undo_correction(rid) == 3
    back = {x["title"]: x for x in store.events()}
    assert back["Report 0 on Georgia"]["name"] == "Kutaisi"                       # its own correction stays
    assert all(back[f"Report {i} on Georgia"]["country_code"] == "US" for i in (2, 3))
    assert all(not back[f"Report {i} on Georgia"]["corrected"] for i in (2, 3))
    store.add(georgia_report(4))
    assert next(x for x in store.events() if x["title"] == "Report 4 on Georgia")["country_code"] == "US"
    with pytest.raises(StoreError, match="needs a name"):
        store.add_place_rule("  ", 1, 2)
    with pytest.raises(StoreError, match="out of range"):
        store.add_place_rule("Georgia", 100, 2)
    store.close()


def test_undo_a_moved_pin_restores_the_pipeline_place(path):
    store = Store.open(path)
    r = report(0, SIBI, "2024-03-05")
    store.add(r)
    store.add(report(1, SIBI, "2024-03-05"))
    e = store.events()[0]
    store.correct(*span(e), DHADAR.lat, DHADAR.lon, name="Dhadar")       # clicked on the map: no gazetteer key
    moved = next(x for x in store.events() if x["id"] == e["id"])
    assert (moved["name"], moved["place_key"], moved["corrected_by"]) == ("Dhadar", None, ["place"])
    assert [i["n_sources"] for i in store.incidents()] == [1, 1]          # 50 km away: its own incident
    (c,) = store.corrections()
    assert (c["kind"], c["lat"], c["name"]) == ("place", DHADAR.lat, "Dhadar")
    store.undo_correction(c["id"])
    back = next(x for x in store.events() if x["id"] == e["id"])
    assert (back["name"], back["lat"], back["place_key"], back["corrected"]) == ("Sibi", SIBI.lat, SIBI.key, False)
    assert next(m for m in store.mentions(e["article_id"]))["lat"] == SIBI.lat
    assert [i["n_sources"] for i in store.incidents()] == [2]
    store.close()


def test_corrections_carry_to_a_fresh_store_with_the_same_corrections(tmp_path):
    a, b = tmp_path / "a.db", tmp_path / "b.db"
    r0, r1 = georgia_report(0), report(1, SIBI, "2024-03-05", type="battle", words="troops clashed")
    with Store.open(a) as s:
        s.add(r0)
        s.add(r1)
        s.add_place_rule("Georgia", *TBILISI, place_key="gn:614540", country_code="GE")
        e = only(s, types=["battle"])
        s.set_type(*span(e), "riot")
        s.set_date(*span(e), "2024-03-04")
        s.set_hidden(*span(only(s, country="GE")))
        kinds = sorted(c["kind"] for c in s.corrections())
    with sqlite3.connect(a) as src, sqlite3.connect(b) as dst:
        src.backup(dst)
    with Store.open(b) as s:                 # the same corrections, no articles: then the news comes in again
        for art in s.articles():
            s.delete_article(art["id"])
        assert s.count_events() == 0 and sorted(c["kind"] for c in s.corrections()) == kinds
        assert all(c.get("article_id") is None for c in s.corrections())
        assert re.search(r"not stored now", next(c for c in s.corrections() if c["kind"] == "type")["target"])
        s.add(r1)
        s.add(r0)
        e = only(s)
        assert (e["type"], e["date"], e["corrected_by"]) == ("riot", "2024-03-04", ["type", "date"])
        hidden = only(s, include_hidden=True, country="GE")
        assert hidden["hidden"] and hidden["lat"] == TBILISI[0]
        assert sorted(c["kind"] for c in s.event_corrections(hidden["id"])) == ["hidden", "place_rule"]


# --------------------------------------------------------------------------- migration

def schema_3_file(path):
    """A database as the previous release left it: migrations 1-3 only, with rows in the old schema
    (Quetta's pin moved by hand, as the old `correct` did it)."""
    conn = sqlite3.connect(path, isolation_level=None)
    for i, step in enumerate(MIGRATIONS[:3]):
        conn.execute("BEGIN")
        step(conn, True)
        conn.execute(f"PRAGMA user_version = {i + 1}")
        conn.execute("COMMIT")
    for i, r in enumerate([report(0, SIBI, "2024-03-05"), report(1, SIBI, "2024-03-06"),
                           report(2, QUETTA, "2024-03-05")]):
        a, e = r.article, r.events[0]
        moved = e["name"] == "Quetta"
        name, lat, lon = ("Quetta east", 30.2, 67.1) if moved else (e["name"], e["lat"], e["lon"])
        conn.execute("INSERT INTO articles (id, content_hash, external_id, title, url, published, published_source,"
                     " source, text, ingested_at) VALUES (?, ?, ?, ?, ?, ?, 'metadata', ?, ?, '2024-03-20T00:00:00')",
                     (i + 1, content_hash(a.text), a.id, a.title, a.url, a.published, a.source, a.text))
        conn.execute('INSERT INTO mentions (article_id, "start", "end", text, name, lat, lon, country_code, kind,'
                     " place_key, score, corrected) VALUES (?, ?, ?, ?, ?, ?, ?, 'PK', 'city', ?, 0.9, ?)",
                     (i + 1, e["mention_start"], e["mention_end"], e["name"], name, lat, lon, e["place_key"], moved))
        conn.execute("INSERT INTO events (article_id, mention_start, mention_end, name, lat, lon, country_code, kind,"
                     " date, day_start, day_end, precision, date_source, sentence, confidence, place_key, corrected)"
                     " VALUES (?, ?, ?, ?, ?, ?, 'PK', 'city', ?, ?, ?, 'day', 'stated', ?, 0.8, ?, ?)",
                     (i + 1, e["mention_start"], e["mention_end"], name, lat, lon, e["date"], e["date"], e["date"],
                      e["sentence"], e["place_key"], moved))
        if moved:
            conn.execute("INSERT INTO corrections (content_hash, mention_start, mention_end, lat, lon, name,"
                         " place_key, note, created_at, mention_text) VALUES (?, ?, ?, 30.2, 67.1, 'Quetta east',"
                         " NULL, 'moved', '2024-03-21T10:00:00+00:00', 'Quetta')",
                         (content_hash(a.text), e["mention_start"], e["mention_end"]))
    conn.execute("INSERT INTO snapshots VALUES ('snapshot-id-0123456789', '2024-03-21', 't', '', '{}', '[]', 0, 'x')")
    conn.close()


def test_a_schema_3_file_migrates_and_keeps_its_rows(tmp_path):
    db = tmp_path / "old.db"
    schema_3_file(db)
    with Store.open(db) as s:
        assert s.schema_version == SCHEMA_VERSION >= 4
        evs = {e["name"]: e for e in s.events()}
        assert len(s.events()) == 3 and len(s.articles()) == 3
        assert all((e["type"], e["role"], e["actors"], e["trigger"], e["hidden"]) ==
                   ("other", "reported", [], None, False) for e in s.events())
        assert {e["mention_text"] for e in s.events()} == {"Sibi", "Quetta"}
        assert evs["Quetta east"]["corrected"] and evs["Quetta east"]["lat"] == 30.2
        # the two Sibi reports (5 and 6 March) are one incident, found when the file was first opened
        assert sorted(i["n_sources"] for i in s.incidents()) == [1, 2]
        (c,) = s.corrections()
        assert (c["kind"], c["name"], c["lat"], c["mention_text"], c["created_at"], c["note"], c["article_id"]) == \
            ("place", "Quetta east", 30.2, "Quetta", "2024-03-21T10:00:00+00:00", "moved",
             evs["Quetta east"]["article_id"])
        assert s.snapshot("snapshot-id-0123456789").title == "t"
        # new corrections work on migrated rows
        s.set_type(*span(evs["Sibi"]), "explosion_remote_violence")
        assert sorted(i["n_sources"] for i in s.incidents()) == [1, 1, 1]
        s.delete_article(evs["Quetta east"]["article_id"])
    with Store.open(db) as s:                                 # opened again: nothing left to migrate or group
        assert s._read("SELECT COUNT(*) FROM store_meta WHERE key = 'incidents_stale'")[0][0] == 0
        s.add(report(2, QUETTA, "2024-03-05"))                # the old place correction is re-applied
        q = next(e for e in s.events() if e["mention_text"] == "Quetta")
        assert (q["name"], q["lat"], q["corrected_by"]) == ("Quetta east", 30.2, ["place"])
        assert s.undo_correction(s.corrections()[0]["id"]) == 1      # and, re-ingested, can be undone
        q = next(e for e in s.events() if e["mention_text"] == "Quetta")
        assert (q["name"], q["lat"], q["corrected"]) == ("Quetta", QUETTA.lat, False)
    raw = sqlite3.connect(db)
    assert raw.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    raw.close()
