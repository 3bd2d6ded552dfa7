"""The event store (geo/store/): schema, idempotent ingest, queries, corrections, crash safety.

Tests taking the `store` fixture run on both backends (SQLite and PostgreSQL + PostGIS: the
`store_location` fixture of conftest.py); those that open files or read SQLite's internals run on
SQLite (tests/test_postgis.py has the PostgreSQL twins). Results are built by hand from geo.types /
geo.pipeline dataclasses: the NLP pipeline is not run."""
from __future__ import annotations

import sqlite3
import subprocess
import sys
import textwrap
import threading
from datetime import date
from pathlib import Path

import pytest

from geo.pipeline import ArticleResult
from geo.store import MIGRATIONS, SCHEMA_VERSION, Store, StoreError, content_hash, day_bounds
from geo.types import Article, Candidate, Mention, Place, Span

ROOT = Path(__file__).resolve().parent.parent

DADIVANK = Place("sup:dadivank", "Dadivank", 40.1617, 46.2883, "AZ", "landmark")
TARTAR = Place("gn:585170", "Tartar", 40.3417, 46.9317, "AZ", "city", geonameid=585170)
BARDA = Place("gn:587057", "Barda", 40.3744, 47.1267, "AZ", "city", geonameid=587057)
KARABAKH = Place("sup:nagorno-karabakh", "Nagorno-Karabakh", 39.8, 46.75, "AZ", "region")
ARMENIA = Place("gn:174982", "Armenia", 40.25, 45.0, "AM", "country", geonameid=174982)
MOSCOW = Place("gn:524901", "Moscow", 55.7522, 37.6156, "RU", "city", geonameid=524901)
KHOJALY = Place("gn:586725", "Khojaly", 39.9108, 46.7903, "AZ", "city", geonameid=586725)
TARTAR_RIVER = Place("gn:585171", "Tartar River", 40.45, 47.0, "AZ", "stream")

KARABAKH_BBOX = (45.5, 39.0, 47.5, 41.0)      # west, south, east, north


def mention(text: str, place: Place, word: str = None, alternatives=()) -> Mention:
    word = word or place.name
    start = text.index(word)
    return Mention(Span(start, start + len(word), word), place, 0.9,
                   [Candidate(p, 0.1) for p in alternatives])


def event(m: Mention, date=None, precision=None, date_end=None, source="stated", confidence=0.8) -> dict:
    p = m.place
    return {"name": p.name, "lat": p.lat, "lon": p.lon, "date": date, "date_end": date_end,
            "precision": precision, "date_source": source if date else "unknown",
            "sentence": f"... {m.span.text} ...", "mention_start": m.span.start, "mention_end": m.span.end,
            "confidence": confidence}


def article_a() -> ArticleResult:
    text = ("Russian peacekeepers left Dadivank on Wednesday. The convoy passed through Tartar. "
            "Azerbaijan retook Nagorno-Karabakh last September. Armenia protested on Wednesday.")
    ms = [mention(text, DADIVANK), mention(text, TARTAR, alternatives=[TARTAR_RIVER]),
          mention(text, KARABAKH), mention(text, ARMENIA)]
    evs = [event(ms[0], "2024-04-17", "day"), event(ms[1], "2024-04-17", "day", confidence=0.6),
           event(ms[2], "2023-09", "month"), event(ms[3], "2024-04-17", "day", confidence=0.3)]
    art = Article(id="voa-1", text=text, title="Peacekeepers leave Karabakh", published="2024-04-17",
                  published_source="metadata", url="https://example.org/a", source="a.txt")
    return ArticleResult(article=art, mentions=ms, events=evs)


def article_b() -> ArticleResult:
    text = ("Talks ran in Barda from April 10 to April 20. Moscow commented on April 17. "
            "Officials once visited Khojaly.")
    ms = [mention(text, BARDA), mention(text, MOSCOW), mention(text, KHOJALY)]
    evs = [event(ms[0], "2024-04-10", "day", date_end="2024-04-20"),   # straddles a window edge
           event(ms[1], "2024-04-17", "day"),                            # outside the bbox
           event(ms[2], None)]                                           # date unknown
    art = Article(id="voa-2", text=text, title="Talks in Barda", published="2024-04-21", url="https://example.org/b")
    return ArticleResult(article=art, mentions=ms, events=evs)


def small_article(i: int) -> ArticleResult:
    text = f"Story {i}: shelling hit Tartar on Monday and Barda on Tuesday."
    ms = [mention(text, TARTAR), mention(text, BARDA)]
    return ArticleResult(Article(id=f"s{i}", text=text, published="2024-04-17"), ms,
                         events=[event(ms[0], "2024-04-15", "day"), event(ms[1], "2024-04-16", "day")])


@pytest.fixture
def store(store_location):
    s = Store.open(store_location)
    yield s
    s.close()


@pytest.fixture
def filled(store):
    assert store.add(article_a()).status == "added"
    assert store.add(article_b()).status == "added"
    return store


def names(rows) -> set:
    return {r["name"] for r in rows}


def rtree_ids(path) -> set:
    with sqlite3.connect(path) as c:
        return {r[0] for r in c.execute("SELECT id FROM events_rtree")}


def spatial_ids(store) -> set:
    """The event ids the store's spatial index holds: SQLite's R*Tree rows, PostGIS's points."""
    if store.backend == "postgis":
        return {r[0] for r in store._read("SELECT id FROM events WHERE geom IS NOT NULL")}
    return rtree_ids(store.path)


# --------------------------------------------------------------------------- opening and schema

def test_open_creates_file_wal_and_schema_version(tmp_path):
    path = tmp_path / "nested" / "dir" / "events.db"
    with Store.open(path) as s:
        assert path.exists()
        assert s.schema_version == SCHEMA_VERSION == len(MIGRATIONS)
        assert s.has_rtree
    c = sqlite3.connect(path)
    assert c.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert c.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
    objects = {r[0] for r in c.execute("SELECT name FROM sqlite_master")}
    assert {"articles", "mentions", "events", "corrections", "events_rtree",
            "events_view_start", "events_view_end", "events_newest", "events_article"} <= objects
    c.close()
    with Store.open(path) as s:           # reopening migrates nothing and keeps the version
        assert s.schema_version == len(MIGRATIONS)


def test_foreign_keys_on_and_newer_schema_refused(tmp_path):
    with Store.open(tmp_path / "fk.db") as store:
        assert store._read("PRAGMA foreign_keys")[0][0] == 1
    path = tmp_path / "future.db"
    Store.open(path).close()
    with sqlite3.connect(path) as c:
        c.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    with pytest.raises(StoreError, match="newer"):
        Store.open(path)


def test_path_from_env_then_default(tmp_path, monkeypatch):
    monkeypatch.setenv("GEO_DB", str(tmp_path / "env" / "x.db"))
    with Store.open() as s:
        assert Path(s.path) == tmp_path / "env" / "x.db"
    assert (tmp_path / "env" / "x.db").exists()
    with Store.open(tmp_path / "arg.db") as s:                 # the argument wins over the env
        assert Path(s.path) == tmp_path / "arg.db"
    import geo.store
    assert geo.store.DEFAULT_DB == ROOT / "data" / "events.db"


def test_not_a_database(tmp_path):
    bad = tmp_path / "bad.db"
    bad.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StoreError, match="bad.db"):
        Store.open(bad)


# --------------------------------------------------------------------------- adding

def test_add_same_article_twice_is_one_copy(store):
    first = store.add(article_a())
    assert (first.status, first.events) == ("added", 4)
    again = article_a()
    again.article.text = "  " + again.article.text + "\r\n"   # the same after normalising
    assert content_hash(again.article.text) == content_hash(article_a().article.text)
    second = store.add(again)
    assert (second.status, second.article_id, second.events) == ("duplicate", first.article_id, 0)
    assert len(store.articles()) == 1
    assert store.count_events() == 4
    a = store.articles()[0]
    assert (a["external_id"], a["title"], a["published"], a["n_events"]) == \
        ("voa-1", "Peacekeepers leave Karabakh", "2024-04-17", 4)


def test_content_hash_normalisation():
    assert content_hash("a\r\nb\rc ") == content_hash("a\nb\nc")
    assert content_hash("Tərtər cafe\u0301") == content_hash("Tərtər caf\u00e9")
    assert content_hash("a b") != content_hash("a  b")


def test_mentions_and_events_stored_with_place_details(filled):
    aid = filled.articles()[0]["id"]
    ms = filled.mentions(aid)
    assert [m["name"] for m in ms] == ["Dadivank", "Tartar", "Nagorno-Karabakh", "Armenia"]
    tartar = ms[1]
    assert tartar["place_key"] == "gn:585170" and tartar["geonameid"] == 585170
    assert tartar["alternatives"][0]["name"] == "Tartar River"
    ev = {e["name"]: e for e in filled.events()}
    assert ev["Tartar"]["country_code"] == "AZ" and ev["Tartar"]["kind"] == "city"
    assert ev["Tartar"]["place_key"] == "gn:585170"            # taken from the matching mention
    assert ev["Tartar"]["alternatives"][0]["name"] == "Tartar River"
    assert (ev["Nagorno-Karabakh"]["day_start"], ev["Nagorno-Karabakh"]["day_end"]) == ("2023-09-01", "2023-09-30")
    assert (ev["Barda"]["day_start"], ev["Barda"]["day_end"]) == ("2024-04-10", "2024-04-20")
    assert ev["Khojaly"]["date"] is None and ev["Khojaly"]["date_source"] == "unknown"
    assert (ev["Tartar"]["title"], ev["Tartar"]["url"], ev["Tartar"]["published"]) == \
        ("Peacekeepers leave Karabakh", "https://example.org/a", "2024-04-17")
    assert filled.count_events() == 7
    assert filled.date_span() == ("2023-09-01", "2024-04-20")


def test_add_accepts_to_dict_output_and_event_objects(store):
    class Ev:
        def __init__(self, d):
            self.d = d

        def to_dict(self):
            return self.d

    r = article_a()
    r.events = [Ev(e) for e in r.events]
    assert store.add(r).events == 4
    as_dict = article_b().to_dict()
    out = store.add(as_dict)
    assert (out.status, out.events) == ("added", 3)
    assert store.articles()[1]["external_id"] == "voa-2"
    assert store.add(article_b()).status == "duplicate"


# --------------------------------------------------------------------------- queries

def test_date_window_and_bbox(filled):
    got = filled.events(start="2024-04-15", end="2024-04-30", bbox=KARABAKH_BBOX)
    # Barda straddles the window's start; Karabakh (2023-09) is out of the window; Moscow and the
    # country-level Armenia pin are outside the box; undated Khojaly is excluded by the window.
    assert names(got) == {"Dadivank", "Tartar", "Barda"}
    assert len(got) == 3
    assert [r["day_start"] for r in got] == sorted(r["day_start"] for r in got)

    assert names(filled.events(start="2024-04-15", end="2024-04-30")) == \
        {"Dadivank", "Tartar", "Barda", "Armenia", "Moscow"}
    # Month precision: any day of the month overlaps.
    assert names(filled.events(start="2023-09-15", end="2023-09-15")) == {"Nagorno-Karabakh"}
    assert names(filled.events(start=date(2023, 1, 1), end=date(2023, 12, 31), bbox=KARABAKH_BBOX)) == \
        {"Nagorno-Karabakh"}
    # Edges are inclusive: a window ending on Barda's first day still meets it.
    assert names(filled.events(start="2024-04-01", end="2024-04-10")) == {"Barda"}
    assert names(filled.events(start="2024-04-21", end="2024-05-31")) == set()
    # Open-ended windows and month strings.
    assert names(filled.events(start="2024-04-18")) == {"Barda"}
    assert names(filled.events(end="2023-12-31")) == {"Nagorno-Karabakh"}
    assert names(filled.events(start="2024-04", end="2024-04")) == \
        {"Dadivank", "Tartar", "Barda", "Armenia", "Moscow"}


def test_without_rtree_same_answers(tmp_path, monkeypatch):
    import geo.store.sqlite as gs
    monkeypatch.setattr(gs, "rtree_available", lambda: False)
    with Store.open(tmp_path / "plain.db") as s:
        assert not s.has_rtree
        s.add(article_a())
        s.add(article_b())
        got = s.events(start="2024-04-15", end="2024-04-30", bbox=KARABAKH_BBOX)
        assert names(got) == {"Dadivank", "Tartar", "Barda"}
        aid = s.articles()[0]["id"]
        s.correct(aid, *next((m["start"], m["end"]) for m in s.mentions(aid) if m["name"] == "Tartar"), 50.0, 10.0)
        assert names(s.events(bbox=(9, 49, 11, 51))) == {"Tartar"}


def test_undated_events_only_without_window(filled):
    assert "Khojaly" in names(filled.events())
    assert names(filled.events(bbox=KARABAKH_BBOX)) == {"Dadivank", "Tartar", "Nagorno-Karabakh", "Barda", "Khojaly"}
    assert len(filled.events()) == 7
    assert filled.events()[-1]["name"] == "Khojaly"           # unknown dates sort last


def test_other_filters(filled):
    assert names(filled.events(country="am")) == {"Armenia"}
    assert names(filled.events(country=["AM", "RU"])) == {"Armenia", "Moscow"}
    assert names(filled.events(text="tartar")) == {"Tartar"}
    assert names(filled.events(text="Talks in")) == {"Barda", "Moscow", "Khojaly"}   # article title
    assert names(filled.events(text="100%")) == set()
    assert "Armenia" not in names(filled.events(min_confidence=0.5))
    assert "Tartar" in names(filled.events(min_confidence=0.6))
    assert len(filled.events(limit=2)) == 2
    with pytest.raises(StoreError):
        filled.events(start="2024-05-01", end="2024-04-01")
    with pytest.raises(StoreError):
        filled.events(start="next week")
    with pytest.raises(StoreError):
        filled.events(bbox=(1, 2, 3))


def test_bbox_edges_and_antimeridian(store):
    text = "Storms hit Suva and Apia and Nuku'alofa."
    suva = Place("gn:1", "Suva", -18.14, 178.44, "FJ", "city")
    apia = Place("gn:2", "Apia", -13.83, -171.76, "WS", "city")
    tonga = Place("gn:3", "Nuku'alofa", -21.14, -175.2, "TO", "city")
    ms = [mention(text, suva), mention(text, apia), mention(text, tonga)]
    store.add(ArticleResult(Article("p", text), ms, events=[event(m, "2024-01-05") for m in ms]))
    assert names(store.events(bbox=(170, -25, -170, -10))) == {"Suva", "Apia", "Nuku'alofa"}
    assert names(store.events(bbox=(178, -25, -174, -15))) == {"Suva", "Nuku'alofa"}
    # A point exactly on the edge is inside; one a hair outside is not (exact check after the R*Tree).
    assert names(store.events(bbox=(178.44, -20, 179, -18.14))) == {"Suva"}
    assert names(store.events(bbox=(178.4400001, -20, 179, -18))) == set()


# --------------------------------------------------------------------------- corrections and deletion

def test_correction_updates_and_survives_delete_and_reingest(store, tmp_path):
    aid = store.add(article_a()).article_id
    tartar = next(m for m in store.mentions(aid) if m["name"] == "Tartar")
    n = store.correct(aid, tartar["start"], tartar["end"], 40.45, 47.0, name="Tartar River",
                      place_key="gn:585171", note="the river, not the town")
    assert n == 1
    ev = next(e for e in store.events() if e["mention_start"] == tartar["start"])
    assert (ev["name"], ev["lat"], ev["lon"], ev["place_key"], ev["corrected"]) == \
        ("Tartar River", 40.45, 47.0, "gn:585171", True)
    assert next(m for m in store.mentions(aid) if m["start"] == tartar["start"])["corrected"]
    # The R*Tree follows the move.
    assert "Tartar River" in names(store.events(bbox=(46.99, 40.44, 47.01, 40.46)))
    assert names(store.events(bbox=(46.93, 40.34, 46.94, 40.35))) == set()

    assert store.delete_article(aid)
    assert not store.delete_article(aid)
    assert store.count_events() == 0 and store.articles() == [] and store.mentions(aid) == []
    assert spatial_ids(store) == set()
    assert len(store.corrections()) == 1

    out = store.add(article_a())
    assert out.status == "added" and out.article_id != aid
    ev = {e["name"]: e for e in store.events()}
    assert "Tartar" not in ev
    assert (ev["Tartar River"]["lat"], ev["Tartar River"]["lon"], ev["Tartar River"]["corrected"]) == \
        (40.45, 47.0, True)
    assert not ev["Dadivank"]["corrected"]
    m = next(m for m in store.mentions(out.article_id) if m["start"] == tartar["start"])
    assert (m["name"], m["lat"], m["corrected"]) == ("Tartar River", 40.45, True)
    assert spatial_ids(store) == {e["id"] for e in store.events()}


def test_correct_errors(store):
    with pytest.raises(StoreError, match="no article"):
        store.correct(999, 0, 5, 1.0, 2.0)
    aid = store.add(article_a()).article_id
    with pytest.raises(StoreError, match="out of range"):
        store.correct(aid, 0, 5, 91.0, 2.0)
    with pytest.raises(StoreError, match="outside its text"):
        store.correct(aid, 5, 5000, 1.0, 2.0)
    assert store.corrections() == []


# --------------------------------------------------------------------------- bad input

def test_failure_midway_writes_nothing_and_next_article_goes_in(store):
    bad = article_a()
    del bad.events[2]["lat"]                                  # third event lacks a required field
    with pytest.raises(StoreError, match=r"a\.txt: event 2: missing lat"):
        store.add(bad)
    assert store.articles() == [] and store.count_events() == 0
    assert store._read("SELECT COUNT(*) FROM mentions")[0][0] == 0
    assert spatial_ids(store) == set()

    assert store.add(article_b()).status == "added"
    assert store.add(article_a()).status == "added"            # the fixed article is not a "duplicate"
    assert store.count_events() == 7


@pytest.mark.parametrize("change, reason", [
    ({"date": "sometime"}, "unrecognised date"),
    ({"date": "2024-04-20", "date_end": "2024-04-01"}, "ends before"),
    ({"date_source": "guessed"}, "date_source"),
    ({"lat": 123.0}, "out of range"),
    ({"lon": "east"}, "not a number"),
    ({"mention_start": 500, "mention_end": 506}, "outside the text"),
])
def test_bad_event_values_rejected(store, change, reason):
    r = article_b()
    r.events[1].update(change)
    with pytest.raises(StoreError, match=reason):
        store.add(r)
    assert store.articles() == []


def test_any_exception_rolls_back(store):
    class Boom:
        def to_dict(self):
            raise RuntimeError("events step crashed")

    r = article_a()
    r.events.insert(3, Boom())
    with pytest.raises(RuntimeError):
        store.add(r)
    assert store.articles() == [] and store.count_events() == 0
    assert store.add(article_a()).events == 4


def test_closed_store(store_location):
    s = Store.open(store_location)
    s.close()
    with pytest.raises(StoreError, match="closed"):
        s.events()
    with pytest.raises(StoreError, match="closed"):
        s.add(article_a())


def test_threads_share_one_store(store):
    errors = []

    def work(k):
        try:
            for i in range(k, 40, 4):
                store.add(small_article(i))
                store.events(start="2024-04-01", end="2024-04-30", bbox=KARABAKH_BBOX)
        except Exception as exc:        # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(store.articles()) == 40 and store.count_events() == 80


def test_day_bounds():
    assert day_bounds("2024-02") == ("2024-02-01", "2024-02-29")
    assert day_bounds("1990/1993") == ("1990-01-01", "1993-12-31")
    assert day_bounds("199X") == ("1990-01-01", "1999-12-31")
    assert day_bounds(date(2024, 4, 17)) == ("2024-04-17", "2024-04-17")
    assert day_bounds(None) == (None, None)


# --------------------------------------------------------------------------- the crash test

CRASH_SCRIPT = textwrap.dedent("""
    import sys, time
    sys.path.insert(0, {root!r})
    from tests.test_store import small_article
    from geo.store import Store

    class SlowEvent:                       # slow events: the kill lands inside a transaction
        def __init__(self, d):
            self.d = d
        def to_dict(self):
            time.sleep(0.01)
            return self.d

    with Store.open(sys.argv[1]) as store:
        for i in range(50):
            r = small_article(i)
            r.events = [SlowEvent(e) for e in r.events]
            out = store.add(r)
            print(i, out.status, out.article_id, flush=True)
""")


def test_killed_ingest_leaves_whole_articles_and_rerun_completes(tmp_path):
    script = tmp_path / "ingest.py"
    script.write_text(CRASH_SCRIPT.format(root=str(ROOT)), encoding="utf-8")
    db = tmp_path / "crash.db"
    cmd = [sys.executable, str(script), str(db)]

    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    printed = []
    try:
        for line in proc.stdout:
            printed.append(line)
            if len(printed) == 10:
                proc.kill()                                   # SIGKILL: no cleanup, no rollback
                break
    finally:
        proc.kill()
        proc.wait(timeout=10)
        proc.stdout.close()
        proc.stderr.close()
    assert len(printed) == 10 and proc.returncode == -9

    with Store.open(db) as s:
        arts = s.articles()
        n_before = len(arts)
        assert 10 <= n_before < 50
        assert all(a["n_events"] == 2 for a in arts)
        per_article = s._read("SELECT article_id, COUNT(*) FROM mentions GROUP BY article_id")
        assert len(per_article) == n_before and all(n == 2 for _, n in per_article)
        assert s._read("SELECT COUNT(*) FROM events WHERE article_id NOT IN (SELECT id FROM articles)")[0][0] == 0
        assert s._read("PRAGMA integrity_check")[0][0] == "ok"
        assert rtree_ids(db) == {e["id"] for e in s.events()}

    rerun = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert rerun.returncode == 0, rerun.stderr
    statuses = [line.split()[1] for line in rerun.stdout.splitlines()]
    assert statuses.count("duplicate") == n_before and statuses.count("added") == 50 - n_before

    with Store.open(db) as s:
        arts = s.articles()
        assert len(arts) == 50
        assert len({a["content_hash"] for a in arts}) == 50
        assert sorted(a["external_id"] for a in arts) == sorted(f"s{i}" for i in range(50))
        assert all(a["n_events"] == 2 for a in arts) and s.count_events() == 100
        assert s._read("PRAGMA integrity_check")[0][0] == "ok"


def test_correction_not_misapplied_to_shifted_text(store):
    aid = store.add(article_a()).article_id
    tartar = next(m for m in store.mentions(aid) if m["name"] == "Tartar")
    store.correct(aid, tartar["start"], tartar["end"], 40.45, 47.0, name="Tartar River")
    store.delete_article(aid)
    shifted = article_a()
    shifted.article.text = "\n\n" + shifted.article.text       # same hash, offsets moved by two
    for m in shifted.mentions:
        m.span = Span(m.span.start + 2, m.span.end + 2, m.span.text)
    for e in shifted.events:
        e["mention_start"] += 2
        e["mention_end"] += 2
    assert store.add(shifted).status == "added"
    assert not any(e["corrected"] for e in store.events())
    assert "Tartar" in names(store.events())


def test_migrations_append_one_transaction_each(tmp_path, monkeypatch):
    import geo.store.sqlite as gs
    path = tmp_path / "m.db"
    Store.open(path).close()

    def add_column(conn, has_rtree):
        conn.execute("ALTER TABLE articles ADD COLUMN language TEXT")

    def broken(conn, has_rtree):
        conn.execute("CREATE TABLE half_done (x)")
        raise RuntimeError("migration bug")

    monkeypatch.setattr(gs, "MIGRATIONS", gs.MIGRATIONS + [add_column, broken])
    monkeypatch.setattr(gs, "SCHEMA_VERSION", len(gs.MIGRATIONS))
    with pytest.raises(RuntimeError, match="migration bug"):
        Store.open(path)
    with sqlite3.connect(path) as c:
        assert c.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION + 1   # the good one stays
        cols = {r[1] for r in c.execute("PRAGMA table_info(articles)")}
        assert "language" in cols
        assert c.execute("SELECT 1 FROM sqlite_master WHERE name = 'half_done'").fetchone() is None


def test_snapshot_ids_never_start_with_a_dash(tmp_path, monkeypatch):
    """`geo export --snapshot ID` must not read an id as an option: an id starting with '-' is drawn again."""
    import re
    from geo.store import sqlite as store_module
    drawn = iter(["-leadingDashXXXXXXXXXX", "--twoDashesXXXXXXXXXXX", "okIdStartsWell_-XXXXXX"])
    with monkeypatch.context() as m:
        m.setattr(store_module.secrets, "token_urlsafe", lambda n: next(drawn))
        assert store_module.new_snapshot_id() == "okIdStartsWell_-XXXXXX"
    with Store.open(tmp_path / "e.db") as store:
        ids = [store.save_snapshot({}, []).id for _ in range(200)]      # ~3 would start with '-' otherwise
    assert len(set(ids)) == 200
    assert all(re.fullmatch(r"[A-Za-z0-9_][A-Za-z0-9_-]{21}", i) for i in ids)


# --------------------------------------------------------------------------- one article; snapshot owners

def test_one_article_with_its_text_and_the_article_filter(filled):
    """The article view reads one article (its text, title, date, link) and its events alone."""
    a, b = filled.articles()
    got = filled.article(b["id"])
    assert got["text"].startswith("Talks ran in Barda") and got["title"] == "Talks in Barda"
    assert (got["url"], got["published"], got["n_events"]) == ("https://example.org/b", "2024-04-21", 3)
    assert filled.article(10 ** 9) is None and filled.article("not an id") is None
    assert names(filled.view_events(article=b["id"])) == {"Barda", "Moscow", "Khojaly"}
    assert filled.count_view(article=a["id"]) == 4
    assert filled.count_view(article=b["id"], start="2024-04-15", end="2024-04-30") == 2
    assert filled.view_bounds(article=b["id"]) is not None
    assert filled.count_view(article=10 ** 9) == 0


def test_only_the_snapshot_owners_key_renames_or_deletes_it(store):
    snap = store.save_snapshot({"start": "2024-04-01"}, [], title="April")
    other = store.save_snapshot({}, [], title="Other")
    key = store.snapshot_owner_key(snap.id)
    assert key == store.snapshot_owner_key(snap.id) != store.snapshot_owner_key(other.id)
    with pytest.raises(StoreError, match="whoever made it"):
        store.rename_snapshot(snap.id, "Hijacked", store.snapshot_owner_key(other.id))
    with pytest.raises(StoreError, match="whoever made it"):
        store.delete_snapshot(snap.id, "")
    store.rename_snapshot(snap.id, "April, renamed", key)
    assert store.snapshot(snap.id).title == "April, renamed"
    assert not store.snapshot(snap.id).changed                   # the title is not part of its content hash
    assert store.delete_snapshot(snap.id, key) is True
    with pytest.raises(StoreError, match="no snapshot"):
        store.snapshot(snap.id)
    with pytest.raises(StoreError, match="no snapshot"):
        store.snapshot_owner_key(snap.id)
    assert [s["id"] for s in store.snapshots()] == [other.id]
