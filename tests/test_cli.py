"""The command line contract (`python -m geo extract|resolve`), through real subprocesses.

Each run loads spaCy (~3 s), so the runs are few and module-scoped: one batch folder holding
every kind of bad input next to good ones, one `extract -` run, one `resolve` run and one run
where nothing can be read. The tests then check different parts of those runs' output.
No network: `--online` is never passed; every file is written under tmp_path.
"""
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "seeds" / "000_52b5df1d0099c1a6.txt"
SEED_ID = SEED.stem

ARTICLE_KEYS = {"id", "title", "published", "url", "text", "mentions", "dates", "events"}
MENTION_KEYS = {"start", "end", "text", "name", "lat", "lon", "country_code", "kind", "geonameid",
                "score", "qualifier", "alternatives"}
PLACE_KEYS = {"start", "end", "name", "lat", "lon", "geonameid", "score"}

NON_ASCII = "Protesters gathered in Tərtər and in São Paulo’s centre; police in Zürich said… 🇦🇿 Later, Baku."
NO_PLACES = "The committee met and agreed on the budget."
CP1252_TEXT = "Protesters marched through Bogotá and Medellín, Colombia, on Friday – police said “calm”.\n"
UTF16_TEXT = "Flooding hit Valencia, Spain, and the army was sent to Zaragoza.\n"
BIG_BYTES = 20 * 1024 * 1024


def run_geo(args, stdin_text=None, timeout=300):
    """`python -m geo ARGS` from the project root; (completed process, seconds)."""
    t0 = time.monotonic()
    proc = subprocess.run([sys.executable, "-m", "geo", *args], cwd=ROOT, input=stdin_text,
                          capture_output=True, text=True, encoding="utf-8", timeout=timeout)
    return proc, time.monotonic() - t0


def json_lines(stdout: str) -> list:
    return [json.loads(line) for line in stdout.splitlines() if line.strip()]


def stderr_lines(proc) -> list:
    return [line for line in proc.stderr.splitlines() if line.strip()]


def lines_naming(proc, needle: str) -> list:
    return [line for line in stderr_lines(proc) if needle in line]


def assert_offsets_index_text(obj: dict) -> None:
    for m in obj["mentions"]:
        assert 0 <= m["start"] < m["end"] <= len(obj["text"]), m
        assert obj["text"][m["start"]:m["end"]] == m["text"], (obj["id"], m)


def mention_names(obj: dict) -> set:
    return {m["name"] for m in obj["mentions"]}


# --- the runs ---------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    """One `extract FOLDER` run over good files and every kind of bad one."""
    d = tmp_path_factory.mktemp("batch")
    shutil.copy(SEED, d / SEED.name)
    (d / "nonascii.txt").write_text(NON_ASCII + "\n", encoding="utf-8")
    (d / "noplaces.txt").write_text(NO_PLACES + "\n", encoding="utf-8")
    (d / "empty.txt").write_bytes(b"")
    (d / "binary.txt").write_bytes(bytes(range(256)) * 64)
    (d / "cp1252.txt").write_bytes(CP1252_TEXT.encode("cp1252"))
    (d / "utf16.txt").write_bytes(UTF16_TEXT.encode("utf-16"))  # with its BOM
    assert (d / "utf16.txt").read_bytes()[:2] in (b"\xff\xfe", b"\xfe\xff")
    with open(d / "huge.txt", "wb") as f:  # real text: if it were read, the run would be slow
        line = b"Troops moved from Paris to Lyon and on to Marseille today.\n"
        f.write(line * (BIG_BYTES // len(line) + 1))
    records = [
        json.dumps({"id": "jl-1", "text": "Shelling was reported near Kharkiv, Ukraine."}),
        '{"id": "jl-2", "text": "broken',
        json.dumps({"id": "jl-3", "text": "Talks resumed in Geneva, Switzerland.", "title": "Talks"}),
    ]
    (d / "mixed.jsonl").write_text("\n".join(records) + "\n", encoding="utf-8")
    proc, seconds = run_geo(["extract", str(d), "--format", "json"])
    out = {o["id"]: o for o in json_lines(proc.stdout)}
    return {"proc": proc, "seconds": seconds, "out": out, "dir": d}


@pytest.fixture(scope="module")
def stdin_run():
    """`extract -` with JSON Lines on stdin."""
    records = [
        {"id": "s1", "text": NON_ASCII, "title": "Protests", "published": "2024-03-01",
         "url": "https://example.org/protests"},
        {"id": "s2", "text": "Russian troops left through Barda, Azerbaijan, on Wednesday."},
    ]
    stdin = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)
    proc, _ = run_geo(["extract", "-", "--format", "json"], stdin_text=stdin)
    return {"proc": proc, "records": records, "out": json_lines(proc.stdout)}


RESOLVE_TEXT = "Flooding in Paris and the Loire valley worried the committee."


def _span(word: str) -> list:
    start = RESOLVE_TEXT.index(word)
    return [start, start + len(word)]


# Deliberately not in text order: the answer must follow the given order.
RESOLVE_SPANS = [_span("Loire"), _span("Paris"), _span("the"), _span("committee")]


@pytest.fixture(scope="module")
def resolve_run():
    """`resolve` with a malformed line (line 2) among good ones."""
    lines = [
        json.dumps({"id": "r1", "text": RESOLVE_TEXT, "spans": RESOLVE_SPANS}),
        '{"id": "r2", "text": "Troops in Baku", "spans": [[10, 14]',
        json.dumps({"id": "r3", "text": "Troops left through Barda.", "spans": [[20, 25]]}),
    ]
    proc, _ = run_geo(["resolve", "--format", "json"], stdin_text="\n".join(lines) + "\n")
    return {"proc": proc, "out": json_lines(proc.stdout)}


@pytest.fixture(scope="module")
def nothing_readable(tmp_path_factory):
    d = tmp_path_factory.mktemp("unreadable")
    (d / "empty.txt").write_bytes(b"")
    proc, _ = run_geo(["extract", str(d / "empty.txt"), str(d / "missing.txt"), "--format", "json"])
    return proc


# --- extract: output shape and offsets ------------------------------------------------------------

def test_extract_prints_one_json_object_per_article_per_line(batch):
    proc = batch["proc"]
    lines = [line for line in proc.stdout.splitlines() if line.strip()]
    assert len(lines) == len(batch["out"])  # one line each, ids unique
    for obj in batch["out"].values():
        assert set(obj) == ARTICLE_KEYS
        assert isinstance(obj["mentions"], list)
        assert isinstance(obj["dates"], list) and isinstance(obj["events"], list)
        for m in obj["mentions"]:
            assert set(m) == MENTION_KEYS
            assert isinstance(m["alternatives"], list)
            assert isinstance(m["lat"], float) and isinstance(m["lon"], float)


def test_extract_mention_offsets_index_the_text_exactly(batch, stdin_run):
    outputs = list(batch["out"].values()) + stdin_run["out"]
    assert sum(len(o["mentions"]) for o in outputs) > 20
    for obj in outputs:
        assert_offsets_index_text(obj)


def test_extract_offsets_in_non_ascii_text(batch):
    obj = batch["out"]["nonascii"]
    assert obj["text"].rstrip("\n") == NON_ASCII
    surfaces = {m["text"] for m in obj["mentions"]}
    assert {"Tərtər", "São Paulo", "Zürich", "Baku"} <= surfaces
    assert_offsets_index_text(obj)


# --- extract: the seed article ---------------------------------------------------------------------

def test_extract_seed_title_date_and_barda_in_azerbaijan(batch):
    obj = batch["out"][SEED_ID]
    assert obj["title"] == "Russian peacekeeping forces reportedly leaving Nagorno-Karabakh"
    assert obj["published"] == "2024-04-17"
    assert obj["text"] == SEED.read_text(encoding="utf-8")
    barda = [m for m in obj["mentions"] if m["text"] == "Barda"]
    assert barda, mention_names(obj)
    assert all(m["country_code"] == "AZ" for m in barda), barda
    assert all(m["name"] == "Barda" for m in barda)
    assert {"Baku", "Azerbaijan", "Kalbajar", "Khojaly"} <= mention_names(obj)


# --- extract: stdin -------------------------------------------------------------------------------

def test_extract_stdin_echoes_ids_and_given_fields(stdin_run):
    proc = stdin_run["proc"]
    assert proc.returncode == 0, proc.stderr
    out = stdin_run["out"]
    assert [o["id"] for o in out] == ["s1", "s2"]
    for rec, obj in zip(stdin_run["records"], out):
        assert set(obj) == ARTICLE_KEYS
        assert obj["text"] == rec["text"]
        assert_offsets_index_text(obj)
    s1, s2 = out
    assert (s1["title"], s1["published"], s1["url"]) == \
        ("Protests", "2024-03-01", "https://example.org/protests")
    assert s2["url"] is None
    barda = [m for m in s2["mentions"] if m["text"] == "Barda"]
    assert barda and barda[0]["country_code"] == "AZ"


# --- extract: bad inputs in a batch ---------------------------------------------------------------

def test_batch_with_bad_inputs_exits_zero_and_keeps_good_ones(batch):
    proc = batch["proc"]
    assert proc.returncode == 0, proc.stderr
    assert set(batch["out"]) == {SEED_ID, "nonascii", "noplaces", "cp1252", "utf16", "jl-1", "jl-3"}
    assert batch["out"]["jl-3"]["title"] == "Talks"
    assert {"Kharkiv", "Ukraine"} <= mention_names(batch["out"]["jl-1"])
    assert "Geneva" in mention_names(batch["out"]["jl-3"])


@pytest.mark.parametrize("name, reason", [
    ("empty.txt", "empty file"),
    ("binary.txt", "binary file"),
    ("huge.txt", "MB limit"),
    ("mixed.jsonl:2", "invalid JSON"),
    ("noplaces.txt", "no places found"),
])
def test_batch_each_bad_input_gets_one_stderr_line_with_reason(batch, name, reason):
    lines = lines_naming(batch["proc"], name)
    assert len(lines) == 1, batch["proc"].stderr
    assert reason in lines[0]


def test_batch_good_files_get_no_stderr_lines(batch):
    proc = batch["proc"]
    for name in (SEED.name, "nonascii.txt", "cp1252.txt", "utf16.txt", "mixed.jsonl:1", "mixed.jsonl:3"):
        assert not lines_naming(proc, name), proc.stderr
    # nothing else on stderr: five bad inputs, five lines
    assert len([l for l in stderr_lines(proc) if l.startswith(("error:", "note:"))]) == 5, proc.stderr


def test_batch_reads_cp1252_and_utf16_with_bom(batch):
    cp = batch["out"]["cp1252"]
    assert cp["text"] == CP1252_TEXT
    assert {"Bogotá", "Medellín", "Colombia"} <= {m["text"] for m in cp["mentions"]}
    assert all(m["country_code"] == "CO" for m in cp["mentions"])
    u16 = batch["out"]["utf16"]
    assert u16["text"] == UTF16_TEXT
    assert not u16["text"].startswith("\ufeff")
    assert {"Valencia", "Spain", "Zaragoza"} <= {m["text"] for m in u16["mentions"]}
    assert_offsets_index_text(cp)
    assert_offsets_index_text(u16)


def test_batch_oversized_file_is_refused_fast(batch):
    # 20 MB of place-rich text: parsing it would take minutes; refusing it costs nothing.
    assert (batch["dir"] / "huge.txt").stat().st_size >= BIG_BYTES
    assert batch["seconds"] < 60, batch["seconds"]


def test_nothing_readable_exits_non_zero_naming_each_input(nothing_readable):
    proc = nothing_readable
    assert proc.returncode != 0
    assert proc.stdout.strip() == ""
    empty, missing = lines_naming(proc, "empty.txt"), lines_naming(proc, "missing.txt")
    assert len(empty) == 1 and "empty file" in empty[0], proc.stderr
    assert len(missing) == 1 and "no such file" in missing[0], proc.stderr


# --- resolve --------------------------------------------------------------------------------------

def test_resolve_answers_good_lines_and_names_the_malformed_line(resolve_run):
    proc = resolve_run["proc"]
    assert proc.returncode == 0, proc.stderr
    assert [o["id"] for o in resolve_run["out"]] == ["r1", "r3"]
    errors = [l for l in stderr_lines(proc) if l.startswith("error:")]
    assert len(errors) == 1, proc.stderr
    assert ":2:" in errors[0]


def test_resolve_places_in_span_order(resolve_run):
    r1, r3 = resolve_run["out"]
    assert set(r1) == {"id", "places"}
    places = r1["places"]
    assert len(places) == len(RESOLVE_SPANS)
    for place, (s, e) in zip(places, RESOLVE_SPANS):
        if place is not None:
            assert set(place) == PLACE_KEYS
            assert (place["start"], place["end"]) == (s, e)
    assert places[1]["name"] == "Paris"
    assert places[0] is not None  # "Loire" is some place; which one is the resolver's business
    assert places[3] is None  # "committee" names no place
    assert r3["places"][0]["name"] == "Barda"
    assert r3["places"][0]["geonameid"] == 587057  # Barda, Azerbaijan


def test_resolve_span_over_common_word_is_null(resolve_run):
    r1 = resolve_run["out"][0]
    s, e = RESOLVE_SPANS[2]
    assert RESOLVE_TEXT[s:e] == "the"
    assert r1["places"][2] is None, r1["places"][2]
