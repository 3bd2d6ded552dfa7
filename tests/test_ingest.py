"""Ingest into the store and export from it, through the command line as a user runs it."""
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from tests.conftest import ROOT, SEED

TOWNS = ["Barda", "Tartar", "Ganja", "Shusha", "Lachin", "Aghdam", "Fuzuli", "Gabala", "Sheki", "Quba"]


def geo(*args, **kw):
    return subprocess.run([sys.executable, "-m", "geo", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=300, **kw)


def _articles(folder: Path, n: int) -> None:
    folder.mkdir()
    for i in range(n):
        town = TOWNS[i % len(TOWNS)]
        (folder / f"a{i:03d}.txt").write_text(
            f"Report {i} from {town}\n\nBy Staff in Baku March {1 + i % 28}, 2024\n\n"
            f"Shelling damaged homes in {town} on Tuesday, officials in Azerbaijan said. "
            f"Story number {i} continues with a visit to the market in {town}.\n", encoding="utf-8")


def _count(db: Path, sql: str) -> int:
    con = sqlite3.connect(db)
    try:
        return con.execute(sql).fetchone()[0]
    finally:
        con.close()


def test_ingesting_the_seed_twice_keeps_one_copy_and_reports_it(tmp_path):
    db = tmp_path / "events.db"
    first = geo("ingest", str(SEED), "--db", str(db))
    assert first.returncode == 0, first.stderr
    assert "articles added: 1" in first.stdout
    second = geo("ingest", str(SEED), str(tmp_path / "missing.txt"), "--db", str(db))
    assert "skipped as duplicates: 1" in second.stdout and "articles added: 0" in second.stdout
    assert "missing.txt: no such file" in second.stdout + second.stderr
    assert _count(db, "select count(*) from articles") == 1


def test_export_geojson_and_csv_for_a_date_window(tmp_path):
    db = tmp_path / "events.db"
    assert geo("ingest", str(SEED), "--db", str(db)).returncode == 0
    out = tmp_path / "april.geojson"
    r = geo("export", "--format", "geojson", "--start", "2024-04-01", "--end", "2024-04-30",
            "--db", str(db), "--out", str(out))
    assert r.returncode == 0, r.stderr
    features = json.loads(out.read_text())["features"]
    assert features and all(f["properties"]["date"].startswith("2024-04") for f in features)
    lon, lat = features[0]["geometry"]["coordinates"]
    assert 44 < lon < 50 and 38 < lat < 42            # RFC 7946: longitude first
    csv_out = tmp_path / "all.csv"
    assert geo("export", "--format", "csv", "--db", str(db), "--out", str(csv_out)).returncode == 0
    rows = csv_out.read_text().splitlines()
    assert rows[0].startswith("name,lat,lon") and len(rows) - 1 >= len(features)


def test_killed_ingest_resumes_without_duplicates(tmp_path):
    folder, db = tmp_path / "batch", tmp_path / "events.db"
    _articles(folder, 120)
    proc = subprocess.Popen([sys.executable, "-m", "geo", "ingest", str(folder), "--db", str(db), "--no-ner"],
                            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    deadline = time.time() + 120
    stored = 0
    while time.time() < deadline and proc.poll() is None:
        if db.exists():
            try:
                stored = _count(db, "select count(*) from articles")
            except sqlite3.OperationalError:
                stored = 0
            if stored >= 5:
                break
        time.sleep(0.02)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    partial = _count(db, "select count(*) from articles")
    assert 0 < partial < 120, "the kill should land midway"
    # every stored article is whole: its events are all there
    assert _count(db, "select count(*) from articles a where not exists "
                      "(select 1 from events e where e.article_id = a.id)") == 0
    rerun = geo("ingest", str(folder), "--db", str(db), "--no-ner")
    assert rerun.returncode == 0, rerun.stderr
    assert f"skipped as duplicates: {partial}" in rerun.stdout
    assert _count(db, "select count(*) from articles") == 120
    assert _count(db, "select count(distinct content_hash) from articles") == 120
    con = sqlite3.connect(db)
    assert con.execute("pragma integrity_check").fetchone()[0] == "ok"
    con.close()


def test_article_without_a_date_is_stored_with_the_date_marked_unknown(tmp_path):
    db = tmp_path / "events.db"
    undated = tmp_path / "undated.txt"
    undated.write_text("Floods in Barda\n\nFloods damaged homes in the town of Barda in Azerbaijan, "
                       "officials said.\n", encoding="utf-8")
    r = geo("ingest", str(undated), "--db", str(db))
    assert r.returncode == 0, r.stderr
    assert "publication date unknown" in r.stdout and "undated.txt" in r.stdout
    con = sqlite3.connect(db)
    try:
        sources = {row[0] for row in con.execute("select date_source from events")}
        published = con.execute("select published, published_source from articles").fetchone()
    finally:
        con.close()
    assert sources == {"unknown"} and published == (None, "unknown")


def test_ingest_from_a_url_on_a_local_server(tmp_path):
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    page = ("<html><head><title>Convoy leaves Khojaly</title>"
            "<meta property='article:published_time' content='2024-04-17T09:00:00Z'></head><body><article>"
            "<h1>Convoy leaves Khojaly</h1><p>A convoy of trucks left the base in Khojaly on Wednesday and "
            "passed through the town of Barda, residents said.</p><p>Officials in Baku gave no details "
            "about the schedule of the remaining units, which are expected to leave within days.</p>"
            "</article></body></html>").encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(page)))
            self.end_headers()
            self.wfile.write(page)

        def log_message(self, *a):
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        db = tmp_path / "events.db"
        url = f"http://127.0.0.1:{httpd.server_address[1]}/convoy"
        # a loopback server is refused unless the operator allows private addresses (issue 11)
        refused = geo("ingest", url, "--db", str(tmp_path / "refused.db"),
                      env={k: v for k, v in os.environ.items() if not k.startswith("GEO_FETCH")})
        assert "refused" in refused.stderr + refused.stdout and "articles added: 0" in refused.stdout
        r = geo("ingest", url, "--db", str(db), env={**os.environ, "GEO_FETCH_ALLOW_PRIVATE": "1"})
        assert r.returncode == 0, r.stderr
        assert "articles added: 1" in r.stdout
        con = sqlite3.connect(db)
        try:
            url_stored, published = con.execute("select url, published from articles").fetchone()
            names = {row[0] for row in con.execute("select name from events")}
        finally:
            con.close()
        assert url_stored == url and published == "2024-04-17"
        assert {"Khojaly", "Barda"} <= names
    finally:
        httpd.shutdown()
        httpd.server_close()
