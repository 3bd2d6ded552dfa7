"""Sharing what you see: frozen snapshots, and exports (GeoJSON, CSV, KML, HTML, PNG) of a view,
from the library and from the command line, agreeing on what they hold."""
from __future__ import annotations

import csv
import io
import json
import os
import re
import sqlite3
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from shapely.geometry import Point, shape

from geo import export, views
from geo.exceptions import ExportError
from geo.store import Store, StoreError
from tests.conftest import ROOT, SEED

KML = "{http://www.opengis.net/kml/2.2}"
XSS = "<script>window.__xss=1</script><img src=x onerror=\"window.__xss=2\">"
APRIL = ("--start", "2024-04-01", "--end", "2024-04-30")

EXTRA = ("Clashes near Ganja and Lachin\n\nBy Staff in Baku May 3, 2024\n\n"
         "Shelling hit Lachin on 2 May 2024, officials said. Residents of Ganja reported "
         "explosions on 1 May 2024.\n")


def geo(*args):
    return subprocess.run([sys.executable, "-m", "geo", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=300)


@pytest.fixture(scope="module")
def seed_db(tmp_path_factory) -> Path:
    """A database holding the seed article (read-only for the tests that use it)."""
    db = tmp_path_factory.mktemp("seed") / "events.db"
    r = geo("ingest", str(SEED), "--db", str(db))
    assert r.returncode == 0, r.stderr
    return db


def fresh_copy(seed_db: Path, tmp_path: Path) -> Path:
    db = tmp_path / "events.db"
    src, dst = sqlite3.connect(seed_db), sqlite3.connect(db)
    try:
        src.backup(dst)             # a consistent copy, write-ahead log included
    finally:
        src.close()
        dst.close()
    return db


def april_view(store: Store):
    span = store.date_span()
    view = views.from_query({"start": "2024-04-01", "end": "2024-04-30"}, span)
    return view, views.filter_events(store.events(), view, span)


# --------------------------------------------------------------------------- snapshots

def test_snapshot_keeps_showing_the_same_events_after_ingest_correction_and_deletion(seed_db, tmp_path, geoparser):
    db = fresh_copy(seed_db, tmp_path)
    with Store.open(db) as store:
        view, shown = april_view(store)
        assert len(shown) == 4
        snap = store.save_snapshot(views.to_query(view), shown, title="April 2024", note="for the desk")
        frozen = [dict(e) for e in shown]

        from geo.ingest import ingest, read_inputs
        (tmp_path / "extra.txt").write_text(EXTRA, encoding="utf-8")
        assert ingest(read_inputs([str(tmp_path / "extra.txt")]), store, geoparser).added == 1
        e = shown[0]
        store.correct(e["article_id"], e["mention_start"], e["mention_end"], 1.0, 2.0, name="Elsewhere")
        store.delete_article(e["article_id"])
        assert store.count_events() < 5 + 2        # the seed's events are gone

    with Store.open(db) as store:                   # a new process would see the same
        again = store.snapshot(snap.id)
        assert again.events == frozen and again.n_events == 4
        assert again.title == "April 2024" and again.note == "for the desk"
        assert again.view == {"start": "2024-04-01", "end": "2024-04-17"}
        assert again.content_hash == snap.content_hash and re.fullmatch(r"[0-9a-f]{64}", snap.content_hash)
        assert [s["id"] for s in store.snapshots()] == [snap.id]


def test_snapshot_ids_are_unguessable_and_bad_ids_get_a_clear_message(tmp_path):
    with Store.open(tmp_path / "e.db") as store:
        ids = {store.save_snapshot({}, []).id for _ in range(20)}
        assert len(ids) == 20
        assert all(re.fullmatch(r"[A-Za-z0-9_-]{22}", i) for i in ids)     # 128 random bits each
        with pytest.raises(StoreError, match="is not a snapshot id"):
            store.snapshot("../../etc/passwd")
        with pytest.raises(StoreError, match="is not a snapshot id"):
            store.snapshot("'; DROP TABLE snapshots; --")
        with pytest.raises(StoreError, match="no snapshot with id 'AAAAAAAAAAAAAAAAAAAAAA'"):
            store.snapshot("A" * 22)
        assert len(store.snapshots()) == 20


# --------------------------------------------------------------------------- formats

def sample_events() -> list[dict]:
    return [
        {"id": 1, "article_id": 1, "name": "Kharkiv", "lat": 49.9935, "lon": 36.2304, "country_code": "UA",
         "kind": "city", "date": "2024-03-04", "date_end": None, "day_start": "2024-03-04",
         "day_end": "2024-03-04", "precision": "day", "date_source": "stated",
         "sentence": "Shelling hit Kharkiv" + XSS + " on Monday.", "confidence": 0.91,
         "title": "Strikes & fires " + XSS, "url": "https://news.example.org/a/1", "published": "2024-03-05",
         "type": "explosion_remote_violence", "actors": ["Russian forces", "=HYPERLINK(\"http://x\")"],
         "role": "reported", "incident_id": 1, "n_sources": 2},
        {"id": 2, "article_id": 2, "name": "France", "lat": 46.6, "lon": 2.4, "country_code": "FR",
         "kind": "country", "date": "2024-03", "date_end": None, "day_start": "2024-03-01",
         "day_end": "2024-03-31", "precision": "month", "date_source": "stated",
         "sentence": "France sent aid in March.", "confidence": 0.7, "title": "Aid",
         "url": "javascript:alert(1)", "published": "2024-04-01", "type": "political", "role": "background",
         "incident_id": 2, "n_sources": 1},
        {"id": 3, "article_id": 2, "name": "Wellington", "lat": -41.29, "lon": 174.78, "country_code": "NZ",
         "kind": "city", "date": None, "date_end": None, "day_start": None, "day_end": None,
         "precision": None, "date_source": "unknown", "sentence": "Wellington waits.", "confidence": 0.5,
         "title": "Aid", "url": None, "published": None},
    ]


def test_geojson_is_rfc7946_one_feature_per_event_and_round_trips_through_shapely():
    events = sample_events()
    doc = json.loads(export.render(events, "geojson"))
    assert doc["type"] == "FeatureCollection" and len(doc["features"]) == len(events)
    for f, e in zip(doc["features"], events):
        assert f["type"] == "Feature" and f["geometry"]["type"] == "Point"
        lon, lat = f["geometry"]["coordinates"]
        assert (lon, lat) == (round(e["lon"], 6), round(e["lat"], 6))     # longitude first
        assert -180 <= lon <= 180 and -90 <= lat <= 90
        geom = shape(f["geometry"])
        assert isinstance(geom, Point) and (geom.x, geom.y) == (lon, lat)
        assert json.loads(json.dumps(geom.__geo_interface__))["coordinates"] == [lon, lat]
        p = f["properties"]
        assert p["date"] == e["date"] and p["precision"] == e["precision"] and p["sentence"] == e["sentence"]
    sources = [f["properties"]["source"] for f in doc["features"]]
    assert sources == ["news.example.org", "Aid", "Aid"]
    p = [f["properties"] for f in doc["features"]]
    assert [(x["type"], x["role"], x["incident_id"], x["n_sources"]) for x in p] == [
        ("explosion_remote_violence", "reported", 1, 2), ("political", "background", 2, 1),
        ("other", "reported", 3, 1)]                       # a row without the fields gets the defaults
    assert p[0]["actors"] == events[0]["actors"] and p[2]["actors"] == []


def test_kml_parses_with_times_places_and_article_text_kept_as_text():
    events = sample_events()
    root = ET.fromstring(export.render(events, "kml", export.MapOptions(title="March & more")))
    doc = root.find(f"{KML}Document")
    assert doc.find(f"{KML}name").text == "March & more"
    marks = doc.findall(f"{KML}Placemark")
    assert [m.find(f"{KML}name").text for m in marks] == ["Kharkiv", "France", "Wellington"]
    lon, lat = map(float, marks[0].find(f"{KML}Point/{KML}coordinates").text.split(","))
    assert (lon, lat) == (36.2304, 49.9935)
    assert marks[1].find(f"{KML}TimeSpan/{KML}begin").text == "2024-03-01"
    assert marks[1].find(f"{KML}TimeSpan/{KML}end").text == "2024-03-31"
    assert marks[2].find(f"{KML}TimeSpan") is None                # no date, no time span
    # Google Earth renders <description> as HTML: the article's markup arrives escaped in it
    desc = marks[0].find(f"{KML}description").text
    assert "&lt;script&gt;" in desc and "<script" not in desc and "<img" not in desc
    assert "javascript:" not in marks[1].find(f"{KML}description").text
    data = {d.get("name"): d.find(f"{KML}value").text for d in marks[0].iter(f"{KML}Data")}
    assert data["sentence"] == events[0]["sentence"] and data["precision"] == "day"
    assert (data["type"], data["role"], data["incident_id"], data["n_sources"]) == \
        ("explosion_remote_violence", "reported", "1", "2")
    assert data["actors"] == "; ".join(events[0]["actors"])
    assert "Explosion / remote violence · reported by 2 sources" in desc and "Actors: Russian forces" in desc
    second = {d.get("name"): d.find(f"{KML}value").text for d in marks[1].iter(f"{KML}Data")}
    assert second["role"] == "background" and "(background)" in marks[1].find(f"{KML}description").text
    styles = {s.get("id") for s in doc.findall(f"{KML}Style")}
    assert all(m.find(f"{KML}styleUrl").text[1:] in styles for m in marks)


def test_csv_has_one_row_per_event_with_the_text_intact():
    events = sample_events()
    rows = list(csv.DictReader(io.StringIO(export.render(events, "csv").decode("utf-8"))))
    assert len(rows) == 3 and rows[0]["sentence"] == events[0]["sentence"]
    assert rows[0]["lat"] == "49.9935" and rows[0]["source"] == "news.example.org"
    assert [(r["type"], r["role"], r["incident_id"], r["n_sources"]) for r in rows] == [
        ("explosion_remote_violence", "reported", "1", "2"), ("political", "background", "2", "1"),
        ("other", "reported", "3", "1")]
    # a cell a spreadsheet would run as a formula is text; negative numbers stay numbers
    assert rows[0]["actors"] == "Russian forces; =HYPERLINK(\"http://x\")"
    evil = dict(events[2], sentence="=1+2", title="@SUM(A1)", name="-cmd", actors=["+x", "y"])
    row = next(csv.DictReader(io.StringIO(export.render([evil], "csv").decode("utf-8"))))
    assert (row["sentence"], row["title"], row["name"], row["actors"], row["lat"]) == \
        ("'=1+2", "'@SUM(A1)", "'-cmd", "'+x; y", "-41.29")


def test_failed_export_leaves_no_half_written_file(tmp_path):
    out = tmp_path / "map.png"
    out.write_bytes(b"previous export")
    with pytest.raises(ExportError, match="between 100 and"):
        export.write(sample_events(), "png", out, export.MapOptions(width=50, height=50))
    with pytest.raises(ExportError, match="unknown export format"):
        export.write(sample_events(), "shp", out)
    assert out.read_bytes() == b"previous export" and os.listdir(tmp_path) == ["map.png"]


# --------------------------------------------------------------------------- command line

@pytest.fixture(scope="module")
def typed_db(tmp_path_factory) -> Path:
    """A database of typed events written through Store.add (tests/app_data.py): no NLP involved."""
    from tests.app_data import build_store
    db = tmp_path_factory.mktemp("typed") / "events.db"
    build_store(db)
    return db


MARCH = ("--start", "2024-03-01", "--end", "2024-03-31")


def test_cli_exports_of_one_view_agree_on_the_events(typed_db, tmp_path):
    counts = {}
    for fmt in ("geojson", "csv", "kml", "html"):
        out = tmp_path / f"march.{fmt}"
        r = geo("export", "--format", fmt, *MARCH, "--db", str(typed_db), "--out", str(out))
        assert r.returncode == 0, r.stderr
        counts[fmt] = int(r.stdout.split()[0])
    assert set(counts.values()) == {10}, counts          # the reported events of March (no background)
    features = json.loads((tmp_path / "march.geojson").read_text())["features"]
    assert len(features) == 10 and {f["properties"]["role"] for f in features} == {"reported"}
    sibi = [f["properties"] for f in features if f["properties"]["name"] == "Sibi"]
    assert len(sibi) == 3 and {(p["incident_id"], p["n_sources"], p["type"]) for p in sibi} == \
        {(sibi[0]["incident_id"], 3, "explosion_remote_violence")}
    rows = list(csv.DictReader(open(tmp_path / "march.csv", encoding="utf-8")))
    assert len(rows) == 10 and {r["n_sources"] for r in rows if r["name"] == "Sibi"} == {"3"}
    assert len(ET.parse(tmp_path / "march.kml").getroot().findall(f"{KML}Document/{KML}Placemark")) == 10
    payload = json.loads(re.search(r"var D = (\{.*?\});\n", (tmp_path / "march.html").read_text()).group(1))
    assert len(payload["events"]) == 10 and len(payload["incidents"]) == 8     # Sibi's three reports: one pin
    # the same view as a link copied from the app, and with a filter on top
    link = "http://localhost:8501/?start=2024-03-01&end=2024-03-31&country=PK"
    r = geo("export", "--format", "geojson", "--link", link, "--db", str(typed_db), "--out", str(tmp_path / "pk.json"))
    assert r.returncode == 0, r.stderr
    names = {f["properties"]["country_code"] for f in json.loads((tmp_path / "pk.json").read_text())["features"]}
    assert names == {"PK"} and "country PK" in r.stdout


@pytest.mark.parametrize("args, link, names", [
    (("--type", "protest"), "type=protest", ["Kharkiv", "Quetta", "Tripoli"]),
    (("--type", "protest,battle", "--background"), "type=protest,battle&background=1",
     ["Izium", "Kharkiv", "Quetta", "Tripoli", "Tripoli"]),
    (("--actor", "BOMBER"), "actor=bomber", ["Sibi"]),
    (("--min-sources", "2"), "min_sources=2", ["Sibi", "Sibi", "Sibi"]),
])
def test_cli_export_filters_by_type_actor_role_and_sources_as_the_app_links_do(typed_db, tmp_path, args, link, names):
    out = tmp_path / "out.geojson"
    r = geo("export", "--format", "geojson", *args, "--db", str(typed_db), "--out", str(out))
    assert r.returncode == 0, r.stderr
    assert sorted(f["properties"]["name"] for f in json.loads(out.read_text())["features"]) == names
    r = geo("export", "--format", "geojson", "--link", f"http://localhost:8501/?{link}", "--db", str(typed_db),
            "--out", str(tmp_path / "via_link.geojson"))
    assert r.returncode == 0 and (tmp_path / "via_link.geojson").read_text() == out.read_text()


def test_cli_export_of_a_snapshot_is_frozen(typed_db, tmp_path):
    from tests.app_data import articles
    db = fresh_copy(typed_db, tmp_path)
    with Store.open(db) as store:
        span = views.data_span(store.events())
        view = views.from_query({"start": "2024-03-01", "end": "2024-03-10"}, span)
        shown = views.filter_events(store.events(), view, span)
        assert len(shown) == 6
        sid = store.save_snapshot(views.to_query(view), shown, title="Early March").id
        extra = dict(articles()[3], id="more", text=articles()[3]["text"] + "\nMore news.")
        assert store.add(extra).status == "added"
    live = geo("export", "--format", "csv", "--db", str(db), "--out", str(tmp_path / "live.csv"))
    frozen = geo("export", "--format", "csv", f"--snapshot={sid}", "--db", str(db), "--out", str(tmp_path / "snap.csv"))
    assert frozen.returncode == 0, frozen.stderr
    assert int(frozen.stdout.split()[0]) == 6 and int(live.stdout.split()[0]) == 11
    # a link to the snapshot works as well
    via_link = geo("export", "--format", "csv", "--link", f"http://host/?snapshot={sid}", "--db", str(db),
                   "--out", str(tmp_path / "snap2.csv"))
    assert (tmp_path / "snap2.csv").read_text() == (tmp_path / "snap.csv").read_text(), via_link.stderr


@pytest.mark.parametrize("args, message", [
    (("--start", "2024-02-30"), "--start must be a date YYYY-MM-DD"),
    (("--end", "soon"), "--end must be a date"),
    (("--bbox", "1,2,3"), "--bbox must be W,S,E,N"),
    (("--min-confidence", "3"), "--min-confidence must be between 0 and 1"),
    (("--snapshot", "nope"), "'nope' is not a snapshot id"),
    (("--snapshot", "B" * 22), "no snapshot with id"),
    (("--width", "20"), "PNG size must be between 100"),
    (("--type", "protest,war"), "--type war is not an event type"),
    (("--min-sources", "0"), "--min-sources must be 1 or more"),
])
def test_cli_export_explains_bad_requests(seed_db, tmp_path, args, message):
    out = tmp_path / "out.png"
    r = geo("export", "--format", "png", *args, "--db", str(seed_db), "--out", str(out))
    assert r.returncode != 0 and message in r.stderr, r.stderr
    assert "Traceback" not in r.stderr and not out.exists()


# --------------------------------------------------------------------------- PNG (real Chromium)

def chromium_or_skip() -> str:
    try:
        return export.find_chromium()
    except ExportError as exc:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true but no browser: {exc}")
        pytest.skip(str(exc))


def test_png_is_the_requested_size_and_shows_the_map(tmp_path):
    chromium_or_skip()
    from PIL import Image
    out = tmp_path / "view.png"
    opts = export.MapOptions(width=640, height=420, caption="Sample · 3 events")
    assert export.write(sample_events(), "png", out, opts) == 3
    img = Image.open(out).convert("RGB")
    assert img.size == (640, 420)
    colours = img.getcolors(maxcolors=1 << 20)
    assert len(colours) > 50                                   # not a blank page
    counts = {c: n for n, c in colours}
    land, sea = (0xef, 0xed, 0xe8), (0xcf, 0xe0, 0xea)          # the vector basemap, offline
    assert counts.get(land, 0) > 1000 and counts.get(sea, 0) > 1000
    pin = _pin_colour(sample_events()[0], sample_events())
    assert counts.get(pin, 0) > 10                              # the Kharkiv pin is drawn


def _pin_colour(event: dict, events: list) -> tuple:
    from geo.mapview import type_colour
    hex_rgb = type_colour(event)
    return tuple(int(hex_rgb[i:i + 2], 16) for i in (1, 3, 5))
