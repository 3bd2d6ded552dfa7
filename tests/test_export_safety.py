"""Issue 11: exports safe to hand to a team. CSV cells a spreadsheet would run as formulas are
text (OWASP's rule), and `python -m geo export` never creates a database nor exports a view it
did not understand (real SQLite files, the real command line, the CSV read back with `csv`)."""
from __future__ import annotations

import csv
import os
import subprocess
import sys
from pathlib import Path

import pytest

from geo import export
from geo.store import Store
from tests.conftest import ROOT, SEED

EVIL = ["=1+2", "+SUM(A1:A9)", "-2+3", "@cmd", "\t=HYPERLINK(\"http://x\")", "\r=1", "=cmd|' /C calc'!A0"]


def geo(*args, cwd=ROOT):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, "-m", "geo", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=300, env=env)


def read_csv(path: Path) -> list[dict]:
    with open(path, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def evil_event(i: int, value: str) -> dict:
    return {"id": i, "article_id": i, "name": value, "lat": -41.29, "lon": 174.78, "country_code": "NZ",
            "kind": "city", "date": "2024-03-04", "precision": "day", "date_source": "stated",
            "date_text": value, "sentence": value, "confidence": 0.5, "title": value, "url": value,
            "published": "2024-03-05", "type": "other", "actors": [value, "=2"], "role": "reported",
            "incident_id": i, "n_sources": 1, "source": value}


@pytest.mark.parametrize("value", EVIL)
def test_written_csv_neutralises_every_text_cell_that_starts_a_formula(tmp_path, value):
    out = tmp_path / "events.csv"
    assert export.write([evil_event(1, value)], "csv", out) == 1
    [row] = read_csv(out)
    for field in ("name", "title", "sentence", "url", "date_text"):
        assert row[field] == "'" + value, (field, row[field])
    assert row["source"] == "'" + value.strip()          # the title, stripped (views.source_of)
    assert row["actors"] == "'" + value + "; =2"
    assert (row["lat"], row["lon"], row["confidence"], row["n_sources"]) == ("-41.29", "174.78", "0.5", "1")


@pytest.mark.parametrize("value, cell", [
    ("-12.5", "-12.5"), ("+3", "+3"), ("-1e3", "-1e3"),               # plain numbers stay numbers
    ("\t1", "'\t1"), ("-inf", "'-inf"), ("-1_000", "'-1_000"), (" =1", " =1"),   # float() would take these
    ("Kyiv", "Kyiv"), ("a=b", "a=b"),
])
def test_csv_numbers_stay_numbers_and_only_plain_ones(tmp_path, value, cell):
    out = tmp_path / "n.csv"
    export.write([evil_event(1, value)], "csv", out)
    assert read_csv(out)[0]["title"] == cell


# --------------------------------------------------------------------------- the command line

@pytest.fixture(scope="module")
def seed_db(tmp_path_factory) -> Path:
    db = tmp_path_factory.mktemp("seed") / "events.db"
    r = geo("ingest", str(SEED), "--db", str(db))
    assert r.returncode == 0, r.stderr
    return db


def test_cli_csv_of_a_store_with_formula_text_is_neutralised(tmp_path):
    from tests.app_data import _article, _event, SIBI
    t = "=HYPERLINK(\"http://evil\") A bomber attacked a rally in Sibi on 5 March 2024."
    a = _article("evil", "@SUM(1+1)", "2024-03-05", "https://news.example.org/e", t,
                 [_event(t, dict(SIBI, name="-Sibi"), "Sibi", "attacked", type="explosion_remote_violence",
                         date="2024-03-05", actors=["+bomber", "\tgang"])])
    db = tmp_path / "evil.db"
    with Store.open(db) as store:
        assert store.add(a).status == "added"
    out = tmp_path / "evil.csv"
    r = geo("export", "--format", "csv", "--db", str(db), "--out", str(out))
    assert r.returncode == 0, r.stderr
    [row] = read_csv(out)
    assert row["title"] == "'@SUM(1+1)" and row["sentence"] == "'" + t and row["name"] == "'-Sibi"
    assert row["actors"] == "'+bomber; \tgang" and row["url"] == "https://news.example.org/e"


def listing(folder: Path) -> set:
    return {p.relative_to(folder) for p in folder.rglob("*")}


@pytest.mark.parametrize("db", ["typo/x.db", "x.db"])
def test_cli_export_from_a_missing_database_is_an_error_and_creates_nothing(tmp_path, db):
    before = listing(tmp_path)
    r = geo("export", "--format", "csv", "--db", db, "--out", "out.csv", cwd=tmp_path)
    assert r.returncode != 0
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and db in lines[0] and "no database" in lines[0], r.stderr
    assert listing(tmp_path) == before           # no typo/, no x.db, no -wal/-shm, no out.csv


def test_cli_export_from_an_empty_file_is_an_error_and_leaves_it_empty(tmp_path):
    db = tmp_path / "empty.db"
    db.write_bytes(b"")
    r = geo("export", "--format", "csv", "--db", str(db), "--out", str(tmp_path / "o.csv"))
    assert r.returncode != 0 and "empty.db" in r.stderr and len(r.stderr.strip().splitlines()) == 1
    assert db.read_bytes() == b"" and listing(tmp_path) == {Path("empty.db")}


@pytest.mark.parametrize("args, message", [
    (("--country", "Ukraine"), "--country Ukraine is not a 2-letter ISO country code"),
    (("--country", "UA,ZZ"), "--country ZZ is not a 2-letter ISO country code"),
    (("--kind", "town"), "--kind town is not a place kind"),
    (("--type", "war"), "--type war is not an event type"),
    (("--link", "http://localhost:8501/?country=Ukraine"), "--country Ukraine is not"),
    (("--link", "http://localhost:8501/?kind=village"), "--kind village is not"),
])
def test_cli_export_names_an_unknown_value(seed_db, tmp_path, args, message):
    out = tmp_path / "out.csv"
    r = geo("export", "--format", "csv", *args, "--db", str(seed_db), "--out", str(out))
    assert r.returncode != 0 and message in r.stderr, r.stderr
    assert len(r.stderr.strip().splitlines()) == 1 and "Traceback" not in r.stderr and not out.exists()


@pytest.mark.parametrize("args", [("--country", "az,am"), ("--kind", "city,Country,region"), ("--type", "battle")])
def test_cli_export_accepts_known_values(seed_db, tmp_path, args):
    out = tmp_path / "out.csv"
    r = geo("export", "--format", "csv", *args, "--db", str(seed_db), "--out", str(out))
    assert r.returncode == 0, r.stderr
    assert out.exists()


def test_cli_export_main_with_argv_refuses_a_missing_db(tmp_path, capsys):
    from geo.cli import main
    db = tmp_path / "nope" / "events.db"
    assert main(["export", "--format", "geojson", "--db", str(db), "--out", str(tmp_path / "o.json")]) != 0
    assert str(db) in capsys.readouterr().err and not (tmp_path / "nope").exists()


def test_a_carriage_return_inside_a_cell_cannot_start_a_row_of_its_own(tmp_path):
    out = tmp_path / "cr.csv"
    e = evil_event(1, "Kyiv")
    e["sentence"] = "Shelling hit Kyiv.\r=HYPERLINK(\"http://x\"),\n@SUM(1)"
    export.write([e, evil_event(2, "Lviv")], "csv", out)
    rows = read_csv(out)
    assert [r["name"] for r in rows] == ["Kyiv", "Lviv"] and rows[0]["sentence"] == e["sentence"]
