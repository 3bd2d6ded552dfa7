"""The PostgreSQL + PostGIS backend (geo/store/postgis.py) where it differs from SQLite: its schema
(geometry columns, GiST indexes, its own migrations), URLs (GEO_DB, --db, no password shown), the
?-placeholder translation, writers in two processes at once, and a killed ingest. The behaviour both
backends share is tested on both by test_store, test_incidents, test_corrections and
test_store_failures (conftest.py: `store_location`). A throwaway cluster (conftest.py:
`postgres_cluster`); these skip without PostgreSQL/PostGIS, except under CI=true."""
from __future__ import annotations

import subprocess
import sys

import pytest

from geo.store import Store, StoreError
from tests.conftest import ROOT
from tests.test_incidents import DHADAR, QUETTA, SIBI, report
from tests.test_store import CRASH_SCRIPT, article_a, article_b, names


def test_placeholders_become_psycopg_ones_outside_literals_only():
    from geo.store.postgis import to_psycopg
    assert to_psycopg("SELECT a FROM t WHERE b = ? AND c LIKE ? ESCAPE '\\'") == \
        "SELECT a FROM t WHERE b = %s AND c LIKE %s ESCAPE '\\'"
    assert to_psycopg("SELECT '?', 'it''s ?', \"odd?name\" FROM t WHERE x = ?") == \
        "SELECT '?', 'it''s ?', \"odd?name\" FROM t WHERE x = %s"
    assert to_psycopg("SELECT '50%' || ?, 5 % 2") == "SELECT '50%%' || %s, 5 %% 2"
    assert to_psycopg("SELECT $$ ? $$, ? -- what?\n") == "SELECT $$ ? $$, %s -- what?\n"
    assert to_psycopg("SELECT $1::int") == "SELECT $1::int"


def test_url_redaction():
    from geo.store.postgis import redact
    assert redact("postgresql://ana:s3cret@db.example:5433/news?sslmode=require&password=x") == \
        "postgresql://ana@db.example:5433/news?sslmode=require"
    assert redact("postgres://ana@/news?host=/run/pg") == "postgres://ana@/news?host=/run/pg"


def test_schema_geometry_gist_and_migrations(postgis_url):
    from geo.store import postgis
    with Store.open(postgis_url) as s:
        assert s.backend == "postgis" and s.schema_version == postgis.SCHEMA_VERSION == len(postgis.MIGRATIONS)
        cols = dict(s._read("SELECT table_name || '.' || column_name, udt_name FROM information_schema.columns"
                            " WHERE column_name = 'geom'"))
        assert cols == {"events.geom": "geometry", "incidents.geom": "geometry"}
        assert s._read("SELECT Find_SRID('public', 'events', 'geom')")[0][0] == 4326
        gist = {r[0] for r in s._read("SELECT indexname FROM pg_indexes WHERE indexdef LIKE '%USING gist%'")}
        assert {"events_geom", "incidents_geom"} <= gist
        s.add(article_a())
        pts = s._read("SELECT ST_X(geom), ST_Y(geom), lon, lat FROM events WHERE geom IS NOT NULL")
        assert pts and all(x == lon and y == lat for x, y, lon, lat in pts)
        aid = s.articles()[0]["id"]
        tartar = next(m for m in s.mentions(aid) if m["name"] == "Tartar")
        s.correct(aid, tartar["start"], tartar["end"], 50.0, 10.0)        # the point follows a moved pin
        assert names(s.events(bbox=(9, 49, 11, 51))) == {"Tartar"}
        # the bbox query goes through the GiST index once the planner cannot scan instead
        s._conn.execute("SET enable_seqscan = off")
        plan = "\n".join(r[0] for r in s._read("EXPLAIN SELECT id FROM events e WHERE e.geom && "
                                               "ST_MakeEnvelope(?, ?, ?, ?, 4326)", (45.5, 39.0, 47.5, 41.0)))
        assert "events_geom" in plan, plan
        s._conn.execute("RESET enable_seqscan")
        revision = s.revision()
    with Store.open(postgis_url) as s:              # reopening migrates nothing
        assert s.schema_version == postgis.SCHEMA_VERSION and s.revision() == revision


def test_a_failing_migration_leaves_the_previous_version(postgis_url, monkeypatch):
    from geo.store import postgis
    Store.open(postgis_url).close()

    def add_column(conn):
        conn.execute("ALTER TABLE articles ADD COLUMN language TEXT")

    def broken(conn):
        conn.execute("CREATE TABLE half_done (x INTEGER)")
        raise RuntimeError("migration bug")

    before = postgis.SCHEMA_VERSION
    monkeypatch.setattr(postgis, "MIGRATIONS", postgis.MIGRATIONS + [add_column, broken])
    monkeypatch.setattr(postgis, "SCHEMA_VERSION", len(postgis.MIGRATIONS))
    with pytest.raises(RuntimeError, match="migration bug"):
        Store.open(postgis_url)
    import psycopg
    with psycopg.connect(postgis_url) as c:
        assert c.execute("SELECT version FROM store_schema").fetchone()[0] == before + 1   # the good one stays
        assert c.execute("SELECT to_regclass('half_done')").fetchone()[0] is None
        assert c.execute("SELECT 1 FROM information_schema.columns WHERE table_name = 'articles'"
                         " AND column_name = 'language'").fetchone()


def test_geo_db_and_cli_db_take_a_url(postgis_url, monkeypatch, tmp_path):
    monkeypatch.setenv("GEO_DB", postgis_url)
    with Store.open() as s:
        assert s.backend == "postgis"
        s.add(article_a())
        s.add(article_b())
    monkeypatch.delenv("GEO_DB")
    out = tmp_path / "out.csv"
    proc = subprocess.run([sys.executable, "-m", "geo", "export", "--db", postgis_url, "--format", "csv",
                           "--out", str(out), "--start", "2024-04-15", "--end", "2024-04-30"],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    text = out.read_text(encoding="utf-8")
    assert "Dadivank" in text and "Moscow" in text and "Khojaly" not in text


def test_across_the_antimeridian_boxes_and_incidents(postgis_url):
    from geo.types import Place
    east = Place("gn:9990010", "Eastpoint", -16.8, 179.98, "FJ", "city")      # 4.3 km apart,
    west = Place("gn:9990011", "Westpoint", -16.8, -179.98, "FJ", "city")     # either side of 180°
    with Store.open(postgis_url) as s:
        s.add(report(0, east, "2024-03-05"))
        s.add(report(1, west, "2024-03-05"))
        assert names(s.events(bbox=(179.0, -17.5, -179.0, -16.0))) == {"Eastpoint", "Westpoint"}   # two envelopes
        assert names(s.events(bbox=(179.0, -17.5, 180.0, -16.0))) == {"Eastpoint"}
        assert names(s.events(bbox=(-180.0, -17.5, -179.0, -16.0))) == {"Westpoint"}
        (inc,) = s.incidents()                                 # one place: the box search spans 180°
        assert inc["n_sources"] == 2


WRITER = """
import sys
sys.path.insert(0, {root!r})
from tests.test_incidents import QUETTA, SIBI, report
from geo.store import Store
with Store.open(sys.argv[1]) as store:
    for i in range(int(sys.argv[2]), 40, 2):
        store.add(report(i, QUETTA if i % 3 else SIBI, f"2024-03-{{5 + i % 4:02d}}"))
"""


def test_two_processes_writing_at_once_give_what_a_rebuild_gives(postgis_url, tmp_path):
    """Writers serialise on the advisory lock: two processes adding linked reports at once end with
    every article, and incidents equal to a regrouping from scratch."""
    Store.open(postgis_url).close()
    script = tmp_path / "writer.py"
    script.write_text(WRITER.format(root=str(ROOT)), encoding="utf-8")
    procs = [subprocess.Popen([sys.executable, str(script), postgis_url, str(k)], cwd=ROOT,
                              stderr=subprocess.PIPE, text=True) for k in (0, 1)]
    for p in procs:
        _, err = p.communicate(timeout=300)
        assert p.returncode == 0, err
    with Store.open(postgis_url) as s:
        assert s.count_articles() == 40 and s.count_events() == 40
        before = sorted((i["id"], tuple(i["event_ids"])) for i in s.incidents())
        revision = s.revision()
        assert revision >= 40                       # every committed article moved it on
        s.rebuild_incidents()
        assert sorted((i["id"], tuple(i["event_ids"])) for i in s.incidents()) == before
        assert s.revision() == revision + 1
        assert len({e["id"] for e in s.events()}) == 40


def test_killed_ingest_leaves_whole_articles_and_rerun_completes(postgis_url, tmp_path):
    script = tmp_path / "ingest.py"
    script.write_text(CRASH_SCRIPT.format(root=str(ROOT)), encoding="utf-8")
    cmd = [sys.executable, str(script), postgis_url]
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    printed = []
    try:
        for line in proc.stdout:
            printed.append(line)
            if len(printed) == 10:
                proc.kill()                                   # SIGKILL: the server rolls its transaction back
                break
    finally:
        proc.kill()
        proc.wait(timeout=10)
        proc.stdout.close()
        proc.stderr.close()
    assert len(printed) == 10 and proc.returncode == -9
    with Store.open(postgis_url) as s:
        arts = s.articles()
        assert 10 <= len(arts) < 50 and all(a["n_events"] == 2 for a in arts)
        assert s._read("SELECT COUNT(*) FROM mentions WHERE article_id NOT IN (SELECT id FROM articles)")[0][0] == 0
        n_before = len(arts)
    rerun = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert rerun.returncode == 0, rerun.stderr
    statuses = [line.split()[1] for line in rerun.stdout.splitlines()]
    assert statuses.count("duplicate") == n_before and statuses.count("added") == 50 - n_before
    with Store.open(postgis_url) as s:
        assert s.count_articles() == 50 and s.count_events() == 100


def test_event_ids_are_never_reused_and_a_refused_article_leaves_no_gap(postgis_url):
    with Store.open(postgis_url) as s:
        s.add(report(0, QUETTA, "2024-03-05"))
        s.add(report(1, SIBI, "2024-03-05"))
        ids = [e["id"] for e in s.events()]
        bad = report(2, DHADAR, "2024-03-05")
        bad.events[0]["lat"] = 123.0                          # refused: nothing of it is written
        with pytest.raises(StoreError, match="out of range"):
            s.add(bad)
        s.delete_article(s.articles()[-1]["id"])
        s.add(report(3, QUETTA, "2024-03-06"))
        new = [e["id"] for e in s.events()]
        assert sorted(ids) == [1, 2] and max(new) == 3        # 2 was deleted: never given again


# --------------------------------------------------------------------------- the view queries on PostGIS

@pytest.fixture(scope="module")
def filled(postgres_cluster):
    """tests/app_data.py's articles in a PostGIS store, for the view tests of test_store_view.py."""
    from tests.app_data import articles
    postgres_cluster["admin"]("CREATE DATABASE geo_view TEMPLATE geo_template STRATEGY FILE_COPY")
    url = postgres_cluster["url"]("geo_view")
    with Store.open(url) as store:
        for a in articles():
            assert store.add(a).status == "added"
        yield store
    postgres_cluster["admin"]("DROP DATABASE geo_view WITH (FORCE)")


def _view_tests_on_postgis():
    """Every test of test_store_view.py that reads the `filled` store runs here again on PostGIS:
    the view queries (geo/store/view.py) give the same answers on both backends."""
    import inspect
    from tests import test_store_view
    for name, fn in vars(test_store_view).items():
        if name.startswith("test_") and callable(fn) and "filled" in inspect.signature(fn).parameters:
            globals()[f"{name}_on_postgis"] = fn


_view_tests_on_postgis()


def test_a_streamed_view_holds_a_batch_and_can_stop_early(filled):
    everything = filled.view_events()
    streamed = list(filled.iter_view_events(batch=3))
    assert [e["id"] for e in streamed] == [e["id"] for e in everything]
    stream = filled.iter_view_events(batch=2)
    first = next(stream)
    stream.close()                                    # stopped early: the connection is usable again
    assert first["id"] == everything[0]["id"] and filled.count_view() == len(everything)
