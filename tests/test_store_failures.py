"""Clear failures, nothing lost (issue 11, items 4 and 5): real database files, real SQLite locks
and limits, real CLI subprocesses and the real app (AppTest). Nothing is patched.

Read-only: the tests run as root here, where chmod 0o444 does not stop a write. A file or folder
made immutable (`chattr +i`, which binds root too) is used then; as another user, chmod. Where
neither makes the file unwritable the test skips and says why.
Disk full: SQLite's own limit, `PRAGMA max_page_count`, set through the operator setting
GEO_DB_MAX_MB, makes SQLite fail with SQLITE_FULL exactly as on a full disk.
"""
from __future__ import annotations

import contextlib
import os
import random
import re
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from geo.exceptions import (StoreCorrupt, StoreForeign, StoreFull, StoreLocked, StoreReadOnly, StoreTooNew,
                            StoreUnopenable)
from geo.store import SCHEMA_VERSION, SNAPSHOT_CHANGED, Store
from tests.conftest import ROOT

APP = str(ROOT / "app.py")
# Runs the CLI in a fresh interpreter and says afterwards whether spaCy was ever imported, i.e.
# whether any geoparsing was started.
PROBE = ("import sys, geo.cli\n"
         "rc = geo.cli.main(sys.argv[1:])\n"
         "print('spacy loaded:', 'spacy' in sys.modules, file=sys.stderr)\n"
         "sys.exit(rc)\n")


def run(args, env=None, probe=False, timeout=600):
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("GEO_DB")}
    full_env.update(env or {})
    cmd = [sys.executable, "-c", PROBE, *args] if probe else [sys.executable, "-m", "geo", *args]
    t0 = time.monotonic()
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, encoding="utf-8",
                          env=full_env, timeout=timeout)
    proc.seconds = time.monotonic() - t0
    return proc


def one_error_line(proc, name: str, *words: str) -> str:
    """The run failed with exactly one `error:` line on stderr, naming `name`, and no traceback."""
    assert proc.returncode != 0, (proc.stdout, proc.stderr)
    assert "Traceback" not in proc.stderr, proc.stderr
    errors = [line for line in proc.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, proc.stderr
    assert name in errors[0], errors
    for w in words:
        assert w in errors[0], errors
    return errors[0]


def no_geoparsing(proc) -> None:
    assert "spacy loaded: False" in proc.stderr, proc.stderr


@pytest.fixture
def article(tmp_path) -> Path:
    p = tmp_path / "in" / "a.txt"
    p.parent.mkdir()
    p.write_text("Protesters marched through Paris on Friday, police said.\n", encoding="utf-8")
    return p


def ingest_args(article: Path, db: Path) -> list:
    return ["ingest", str(article), "--db", str(db), "--no-ner"]


def export_args(db: Path, out: Path, *more) -> list:
    return ["export", "--format", "csv", "--out", str(out), "--db", str(db), *more]


def fingerprint(path: Path) -> bytes:
    return path.read_bytes()


# --------------------------------------------------------------------------- corrupt, foreign, newer

@pytest.fixture
def corrupt_db(tmp_path) -> Path:
    path = tmp_path / "events.db"
    path.write_bytes(random.Random(11).randbytes(64 * 1024))
    return path


def test_corrupt_file(corrupt_db, article, tmp_path):
    before = fingerprint(corrupt_db)
    with pytest.raises(StoreCorrupt, match="events.db is damaged or not an SQLite database"):
        Store.open(corrupt_db)
    proc = run(ingest_args(article, corrupt_db), probe=True)
    one_error_line(proc, str(corrupt_db), "restore it from a backup")
    assert proc.returncode == 2
    no_geoparsing(proc)
    one_error_line(run(export_args(corrupt_db, tmp_path / "out.csv")), str(corrupt_db), "damaged")
    assert fingerprint(corrupt_db) == before and not (tmp_path / "out.csv").exists()


def test_a_file_damaged_past_its_header_fails_on_read_with_the_same_one_line_message(tmp_path):
    path = tmp_path / "events.db"
    from tests.app_data import SIBI, _article, _event
    with Store.open(path) as store:
        for k in range(300):                    # enough rows to fill pages well past the header
            text = "Protesters gathered in Sibi on Friday. " * 20 + str(k)
            store.add(_article(f"a{k}", f"T{k}", "2024-03-05", None, text,
                               [_event(text, SIBI, "Sibi", "gathered", type="protest", date="2024-03-01")]))
    with contextlib.closing(sqlite3.connect(path)) as c:
        c.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    data = bytearray(path.read_bytes())
    page = 4096
    assert len(data) > 8 * page
    rng = random.Random(5)
    pages = len(data) // page
    for p in range(pages // 2, pages):          # the second half: rows, not the header or the schema
        data[p * page:(p + 1) * page] = rng.randbytes(page)
    path.write_bytes(bytes(data))
    with Store.open(path) as store:             # the header and the schema still read
        with pytest.raises(StoreCorrupt, match="events.db is damaged or not an SQLite database"):
            store.articles(with_text=True)      # reaches the damaged rows
        with pytest.raises(StoreCorrupt, match="events.db is damaged or not an SQLite database"):
            list(store.iter_view_events())      # and so does a streamed export of the events


def test_foreign_sqlite_database(tmp_path, article):
    path = tmp_path / "other.db"
    with contextlib.closing(sqlite3.connect(path)) as c:
        c.execute("CREATE TABLE users (name TEXT)")
        c.execute("INSERT INTO users VALUES ('ann')")
        c.commit()
    before = fingerprint(path)
    with pytest.raises(StoreForeign, match="another program"):
        Store.open(path)
    proc = run(ingest_args(article, path), probe=True)
    one_error_line(proc, str(path), "not an events database")
    assert proc.returncode == 2
    no_geoparsing(proc)
    one_error_line(run(export_args(path, tmp_path / "out.csv")), str(path), "not an events database")
    assert fingerprint(path) == before                      # not even switched to WAL
    with contextlib.closing(sqlite3.connect(path)) as c:
        assert c.execute("SELECT name FROM sqlite_master").fetchall() == [("users",)]


def test_newer_schema(tmp_path, article):
    path = tmp_path / "future.db"
    Store.open(path).close()
    with contextlib.closing(sqlite3.connect(path)) as c:
        c.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 3}")
    with pytest.raises(StoreTooNew, match="newer version of geo"):
        Store.open(path)
    proc = run(ingest_args(article, path), probe=True)
    one_error_line(proc, str(path), f"schema {SCHEMA_VERSION + 3}", "upgrade geo")
    assert proc.returncode == 2
    no_geoparsing(proc)
    one_error_line(run(export_args(path, tmp_path / "out.csv")), str(path), "newer")
    with contextlib.closing(sqlite3.connect(path)) as c:
        assert c.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION + 3


# --------------------------------------------------------------------------- read-only

@contextlib.contextmanager
def unwritable(path: Path):
    """`path` (file or folder) made unwritable for this process, restored afterwards; skips if impossible."""
    if os.geteuid() != 0:
        mode = path.stat().st_mode
        path.chmod(0o555 if path.is_dir() else 0o444)
        undo = lambda: path.chmod(mode)              # noqa: E731
    else:
        chattr = shutil.which("chattr")
        if not chattr or subprocess.run([chattr, "+i", str(path)], capture_output=True).returncode:
            pytest.skip("running as root, where chmod does not stop writes, and chattr +i is not available here")
        undo = lambda: subprocess.run([chattr, "-i", str(path)], check=True)   # noqa: E731
    try:
        if os.access(path, os.W_OK):
            pytest.skip(f"{path.name} stays writable for this user (root without an immutable flag)")
        yield
    finally:
        undo()


def test_read_only_file_is_refused_before_any_geoparsing(tmp_path, article):
    path = tmp_path / "events.db"
    Store.open(path).close()
    with unwritable(path):
        with Store.open(path) as s:              # reading still works …
            assert s.count_articles() == 0
            with pytest.raises(StoreReadOnly, match="events.db is read-only"):
                s.check_writable()               # … writing is refused up front
        proc = run(ingest_args(article, path), probe=True)
        one_error_line(proc, str(path), "read-only")
        assert proc.returncode == 2
        no_geoparsing(proc)
    with Store.open(path) as s:
        assert s.count_articles() == 0


def test_read_only_folder_is_refused_before_any_geoparsing(tmp_path, article):
    folder = tmp_path / "ro"
    folder.mkdir()
    path = folder / "events.db"
    Store.open(path).close()
    with unwritable(folder):
        with pytest.raises(StoreReadOnly, match="folder is read-only"):
            Store.open(path)
        proc = run(ingest_args(article, path), probe=True)
        one_error_line(proc, str(path), "folder is read-only")
        no_geoparsing(proc)
        proc = run(ingest_args(article, folder / "new.db"), probe=True)    # nor can a new one be made there
        one_error_line(proc, "new.db", "folder is read-only")


# --------------------------------------------------------------------------- locked

def test_write_lock_held_by_another_connection(tmp_path, article, monkeypatch):
    path = tmp_path / "events.db"
    Store.open(path).close()
    other = sqlite3.connect(path, isolation_level=None)
    try:
        other.execute("BEGIN EXCLUSIVE")
        monkeypatch.setenv("GEO_DB_BUSY_MS", "300")
        with Store.open(path) as s:
            with pytest.raises(StoreLocked, match="locked by another program"):
                s.check_writable()
        proc = run(ingest_args(article, path), env={"GEO_DB_BUSY_MS": "1000"}, probe=True)
        one_error_line(proc, str(path), "locked", "waited 1 s")
        assert proc.returncode == 2
        no_geoparsing(proc)
        assert 1.0 <= proc.seconds < 25, proc.seconds       # waited its timeout, not the default 30 s
    finally:
        other.execute("ROLLBACK")
        other.close()


def test_busy_timeout_setting_is_checked(tmp_path, article):
    proc = run(ingest_args(article, tmp_path / "events.db"), env={"GEO_DB_BUSY_MS": "soon"}, probe=True)
    one_error_line(proc, "GEO_DB_BUSY_MS", "'soon'")


# --------------------------------------------------------------------------- disk full

def test_disk_full_mid_ingest_keeps_whole_articles_and_says_why(tmp_path):
    folder = tmp_path / "news"
    folder.mkdir()
    filler = "The committee met again and agreed on the budget for the coming year.\n" * 560   # ~40 KB
    for i in range(6):
        (folder / f"{i}.txt").write_text(f"Protesters marched through Paris on Friday, report {i} said.\n\n"
                                         + filler + f"\nEnd of report {i}.\n", encoding="utf-8")
    db = tmp_path / "events.db"
    limit = {"GEO_DB_MAX_MB": "0.25"}            # a new store takes ~0.12 MB: room for two or three
    proc = run(["ingest", str(folder), "--db", str(db), "--no-ner"], env=limit)
    line = one_error_line(proc, str(db), "disk is full", "GEO_DB_MAX_MB limit of 0.25 MB")
    assert proc.returncode == 2
    assert "everything stored before is kept" in line and "not stored" in line
    added = int(re.search(r"^articles added: (\d+)$", proc.stdout, re.M)[1])
    assert 1 <= added < 6, proc.stdout
    assert "failed: 0" in proc.stdout              # the reason is said once, not per article

    with Store.open(db) as s:                      # what was reported stored is there, each article whole
        assert s._read("PRAGMA integrity_check") == [("ok",)]
        arts = s.articles()
        assert len(arts) == added
        assert all(len(s.mentions(a["id"])) >= 1 for a in arts)
        assert s.count_events() >= added

    again = run(["ingest", str(folder), "--db", str(db), "--no-ner"])    # space freed: the rest goes in
    assert again.returncode == 0, again.stderr
    assert f"articles added: {6 - added}" in again.stdout and f"skipped as duplicates: {added}" in again.stdout


def test_size_limit_on_open_is_a_store_full_error(tmp_path, monkeypatch):
    monkeypatch.setenv("GEO_DB_MAX_MB", "0.01")    # not even the schema fits
    with pytest.raises(StoreFull, match="tiny.db: the disk is full"):
        Store.open(tmp_path / "tiny.db")


# --------------------------------------------------------------------------- snapshots

def _snapshot_db(tmp_path) -> tuple:
    db = tmp_path / "events.db"
    text = "Protesters marched through Paris on Friday, police said."
    start = text.index("Paris")
    with Store.open(db) as s:
        s.add({"text": text, "source": "a.txt", "mentions": [], "events": [
            {"name": "Paris", "lat": 48.8566, "lon": 2.3522, "mention_start": start, "mention_end": start + 5,
             "date": "2024-04-12", "country_code": "FR", "kind": "city", "type": "protest"}]})
        events = s.events()
        kept = s.save_snapshot({"start": "2024-04-01", "end": "2024-04-30"}, events, title="kept")
        edited = s.save_snapshot({"start": "2024-04-01", "end": "2024-04-30"}, events, title="edited")
    with contextlib.closing(sqlite3.connect(db)) as c:      # someone edits the stored events directly
        c.execute("UPDATE snapshots SET events = replace(events, 'Paris', 'Lyon') WHERE id = ?", (edited.id,))
        c.commit()
    return db, kept.id, edited.id


def test_snapshot_hash_is_verified_when_opened(tmp_path):
    db, kept, edited = _snapshot_db(tmp_path)
    with Store.open(db) as s:
        good, bad = s.snapshot(kept), s.snapshot(edited)
    assert good.changed is False
    assert bad.changed is True and bad.events[0]["name"] == "Lyon"    # still opens, flagged

    ok = run(export_args(db, tmp_path / "kept.csv", "--snapshot", kept))
    assert ok.returncode == 0 and "warning" not in ok.stderr, ok.stderr
    proc = run(export_args(db, tmp_path / "edited.csv", "--snapshot", edited))
    assert proc.returncode == 0 and "Traceback" not in proc.stderr, proc.stderr
    warnings = [line for line in proc.stderr.splitlines() if line.startswith("warning:")]
    assert warnings == [f"warning: snapshot {edited}: {SNAPSHOT_CHANGED}"], proc.stderr
    assert "Lyon" in (tmp_path / "edited.csv").read_text(encoding="utf-8")


def test_app_shows_a_changed_snapshot_with_one_warning(tmp_path, monkeypatch):
    from streamlit.testing.v1 import AppTest
    db, kept, edited = _snapshot_db(tmp_path)
    monkeypatch.setenv("GEO_DB", str(db))
    for sid, warned in ((edited, [SNAPSHOT_CHANGED]), (kept, [])):
        at = AppTest.from_file(APP, default_timeout=180)
        at.query_params["snapshot"] = sid
        at.run()
        assert not at.exception
        assert [w.value for w in at.warning] == warned


# --------------------------------------------------------------------------- the app

def test_app_on_a_corrupt_database_shows_one_line(corrupt_db, monkeypatch):
    from streamlit.testing.v1 import AppTest
    monkeypatch.setenv("GEO_DB", str(corrupt_db))
    at = AppTest.from_file(APP, default_timeout=180).run()
    assert not at.exception
    assert len(at.error) == 1
    msg = at.error[0].value.replace("\\", "")      # as shown: the message is escaped for markdown
    assert "\n" not in msg and "Traceback" not in msg and "events.db" in msg and "damaged" in msg
    assert str(ROOT) not in msg                    # no server paths beyond the file name configured


# --------------------------------------------------------------------------- PostgreSQL: the same failures, one line each

def pg_url(cluster, dbname: str, user: str = "postgres", password: str = "") -> str:
    """A URL to the test cluster's socket, with a password that must never be shown."""
    auth = f"{user}:{password}" if password else user
    return f"postgresql://{auth}@/{dbname}?host={cluster['root']}&port=5432"


def test_postgres_server_unreachable_names_the_url_without_its_password(tmp_path, article):
    url = "postgresql://analyst:s3cret-pw@127.0.0.1:1/news"     # port 1: nothing listens
    with pytest.raises(StoreUnopenable) as exc:
        Store.open(url)
    message = str(exc.value)
    assert "\n" not in message and "s3cret" not in message
    assert "postgresql://analyst@127.0.0.1:1/news" in message and "cannot connect" in message
    proc = run(ingest_args(article, url), probe=True)
    line = one_error_line(proc, "postgresql://analyst@127.0.0.1:1/news", "cannot connect")
    assert "s3cret" not in proc.stderr + proc.stdout and proc.returncode == 2, line
    no_geoparsing(proc)
    proc = run(export_args(url, tmp_path / "out.csv"))            # export takes the URL (no file check)
    one_error_line(proc, "postgresql://analyst@127.0.0.1:1/news", "cannot connect")
    assert not (tmp_path / "out.csv").exists()


def test_postgres_missing_database(postgres_cluster):
    url = pg_url(postgres_cluster, "no_such_db", password="pw-hidden")
    with pytest.raises(StoreUnopenable, match="no such database") as exc:
        Store.open(url)
    assert "pw-hidden" not in str(exc.value) and "postgresql://postgres@/no_such_db" in str(exc.value)


def test_postgres_foreign_database_and_newer_schema(postgis_url):
    import psycopg
    with psycopg.connect(postgis_url, autocommit=True) as c:
        c.execute("CREATE TABLE articles (isbn TEXT PRIMARY KEY)")      # another program's table
    with pytest.raises(StoreForeign, match="another program"):
        Store.open(postgis_url)
    with psycopg.connect(postgis_url, autocommit=True) as c:
        assert c.execute("SELECT to_regclass('events')").fetchone()[0] is None       # nothing was changed
        c.execute("DROP TABLE articles")
    Store.open(postgis_url).close()
    with psycopg.connect(postgis_url, autocommit=True) as c:
        c.execute("UPDATE store_schema SET version = version + 1")
    with pytest.raises(StoreTooNew, match="newer version of geo"):
        Store.open(postgis_url)


def test_postgres_write_lock_held_by_another_connection(postgis_url, article, monkeypatch):
    import psycopg
    from geo.store.postgis import LOCK_KEY
    Store.open(postgis_url).close()
    with psycopg.connect(postgis_url, autocommit=True) as other:
        other.execute("SELECT pg_advisory_lock(%s)", (LOCK_KEY,))    # another writer, mid-transaction
        monkeypatch.setenv("GEO_DB_BUSY_MS", "300")
        with Store.open(postgis_url) as s:
            assert s.count_articles() == 0                           # readers never wait
            with pytest.raises(StoreLocked, match="locked by another program"):
                s.check_writable()
        proc = run(ingest_args(article, postgis_url), env={"GEO_DB_BUSY_MS": "1000"}, probe=True)
        one_error_line(proc, postgis_url.split("?")[0], "locked", "waited 1 s")
        assert proc.returncode == 2
        no_geoparsing(proc)
        assert 1.0 <= proc.seconds < 25, proc.seconds
    with Store.open(postgis_url) as s:                               # the lock gone, writing works
        s.check_writable()


def test_postgres_user_without_write_rights_is_refused_before_any_geoparsing(postgis_url, article):
    import psycopg
    Store.open(postgis_url).close()
    with psycopg.connect(postgis_url, autocommit=True) as c:
        c.execute("DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'geo_reader')"
                  " THEN CREATE ROLE geo_reader LOGIN; END IF; END $$")
        c.execute("GRANT SELECT ON ALL TABLES IN SCHEMA public TO geo_reader")
    reader = postgis_url.replace("postgresql://postgres@", "postgresql://geo_reader:pw@")
    with Store.open(reader) as s:
        assert s.count_articles() == 0
        with pytest.raises(StoreReadOnly, match="may not write"):
            s.check_writable()
    proc = run(ingest_args(article, reader), probe=True)
    line = one_error_line(proc, "postgresql://geo_reader@", "may not write")
    assert ":pw@" not in line
    no_geoparsing(proc)
