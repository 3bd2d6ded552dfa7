"""Parallel ingest (issue 12): `--workers N` processes and a Dask cluster store exactly what the
in-process path stores, through the command line as a user runs it, with real worker processes, a real
LocalCluster on 127.0.0.1 and real SQLite files."""
import json
import os
import pickle
import re
import shutil
import subprocess
import sys

import pytest

from tests.conftest import ROOT, SEED

TEXT = ("{town} report\n\nBy Staff in Baku March {day}, 2024\n\n"
        "Shelling damaged homes in {town} on Tuesday, officials in Azerbaijan said. "
        "Residents of {town} left for Ganja the next day.\n")
GOOD_ARTICLES = 9                  # the seed, 3 texts, 3 + 2 JSONL records
BAD_LINES = {"shard2.jsonl:2": "record has no non-empty 'text' string", "shard2.jsonl:3": "invalid JSON"}


def geo(*args):
    return subprocess.run([sys.executable, "-m", "geo", "ingest", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=600)


def record(i: int, town: str) -> str:
    return json.dumps({"id": f"r{i}", "title": f"{town} shelling", "published": f"2024-03-{10 + i}",
                       "url": f"https://example.org/{i}", "text": TEXT.format(town=town, day=10 + i)})


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    """A folder (the seed article and three short texts) and two JSONL shards, the second with an
    empty text and an invalid line between good records."""
    root = tmp_path_factory.mktemp("parallel")
    texts = root / "texts"
    texts.mkdir()
    shutil.copy(SEED, texts / SEED.name)
    for i, town in enumerate(["Barda", "Tartar", "Shusha"]):
        (texts / f"t{i}.txt").write_text(TEXT.format(town=town, day=1 + i), encoding="utf-8")
    (root / "shard1.jsonl").write_text("\n".join(record(i, t) for i, t in enumerate(["Lachin", "Aghdam", "Fuzuli"]))
                                       + "\n", encoding="utf-8")
    (root / "shard2.jsonl").write_text("\n".join([
        record(3, "Gabala"), json.dumps({"id": "empty", "text": "  "}), '{"id": "cut", "text": "Shelling in',
        record(4, "Sheki")]) + "\n", encoding="utf-8")
    return root, [str(texts), str(root / "shard1.jsonl"), str(root / "shard2.jsonl")]


def contents(db) -> tuple:
    """What a user sees in the store: its articles and their events (place, dates, type, role, sources)."""
    from geo.store import Store
    with Store.open(db) as store:
        articles = {a["id"]: a for a in store.articles()}
        arts = sorted((a["content_hash"], a["external_id"], a["title"], a["published"], a["n_events"])
                      for a in articles.values())
        events = sorted((articles[e["article_id"]]["content_hash"], e["mention_start"], e["name"], e["date"],
                         e["date_end"], e["type"], e["role"], e["n_sources"]) for e in store.events())
        return arts, events


def summary(stdout: str) -> dict:
    out = {}
    for line in stdout.splitlines():
        for key in ("articles added", "skipped as duplicates", "failed", "events created"):
            if line.startswith(key + ": "):
                out[key] = int(line.split(": ")[1])
    return out


def assert_bad_lines_reported(run, root) -> None:
    failed = [line for line in run.stdout.splitlines() if line.startswith("  failed: ")]
    assert len(failed) == len(BAD_LINES), run.stdout
    for where, reason in BAD_LINES.items():
        assert any(f"{root / where}: {reason}" in line for line in failed), run.stdout
        assert f"error: {root / where}: {reason}" in run.stderr       # one line each, as it happens


@pytest.fixture(scope="module")
def one_worker(inputs, geoparser, tmp_path_factory):
    """The reference: today's in-process path, `geo.ingest.ingest` with a Geoparser here (what
    `--workers 1` and the app run), with the suite's one geoparser."""
    from geo.ingest import ingest, read_inputs
    from geo.store import Store
    _, args = inputs
    db = tmp_path_factory.mktemp("w1") / "events.db"
    with Store.open(db) as store:
        result = ingest(read_inputs(args), store, geoparser)
    return db, "\n".join(result.lines())


@pytest.fixture(scope="module")
def two_workers(inputs, tmp_path_factory):
    root, args = inputs
    db = tmp_path_factory.mktemp("w2") / "events.db"
    run = geo(*args, "--db", str(db), "--workers", "2", "--progress")
    assert run.returncode == 0, run.stderr
    return db, run


def test_a_result_pickles_whole(geoparser, seed_text):
    """What worker processes and Dask workers send back: an ArticleResult, pickled."""
    from geo.types import Article
    result = geoparser.extract(Article(id="seed", text=seed_text, published="2024-04-02", source="seed.txt"))
    back = pickle.loads(pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL))
    assert back.to_dict() == result.to_dict() and back.article == result.article
    assert [m.place for m in back.mentions] == [m.place for m in result.mentions]


def test_in_process_counts_the_articles_events_and_bad_records(one_worker):
    db, lines = one_worker
    arts, events = contents(db)
    assert len(arts) == GOOD_ARTICLES and events
    assert summary(lines) == {"articles added": GOOD_ARTICLES, "skipped as duplicates": 0,
                              "failed": len(BAD_LINES), "events created": len(events)}


def test_two_workers_store_the_same_articles_and_events_as_one(inputs, one_worker, two_workers):
    root, _ = inputs
    db, run = two_workers
    assert contents(db) == contents(one_worker[0])
    assert summary(run.stdout) == summary(one_worker[1])
    assert_bad_lines_reported(run, root)
    assert re.search(rf"ingest: {GOOD_ARTICLES + len(BAD_LINES)}doc", run.stderr), run.stderr  # the bar counted all


@pytest.mark.parametrize("workers", ["2", "1"])
def test_rerun_adds_nothing(inputs, two_workers, workers):
    _, args = inputs
    db, _ = two_workers
    before = contents(db)
    again = geo(*args, "--db", str(db), "--workers", workers)
    assert again.returncode == 0, again.stderr
    assert summary(again.stdout) == {"articles added": 0, "skipped as duplicates": GOOD_ARTICLES,
                                     "failed": len(BAD_LINES), "events created": 0}
    assert contents(db) == before


def test_bad_options_are_one_line_each(tmp_path):
    db = str(tmp_path / "events.db")
    for args, reason in ((["--workers", "0"], "--workers must be 1 or more, not 0"),
                         (["--online", "--workers", "2"], "--online geoparses in this process only"),
                         (["--dask", "tcp://127.0.0.1:9"], "cannot reach the Dask scheduler at tcp://127.0.0.1:9")):
        run = subprocess.run([sys.executable, "-m", "geo", "ingest", str(SEED), "--db", db, *args], cwd=ROOT,
                             capture_output=True, text=True, timeout=120,
                             env={**os.environ, "DASK_DISTRIBUTED__COMM__TIMEOUTS__CONNECT": "2s"})
        assert run.returncode == 2 and reason in run.stderr, (args, run.stderr)
        assert len([line for line in run.stderr.splitlines() if line.startswith("error:")]) == 1, run.stderr


# --------------------------------------------------------------------------- Dask

@pytest.fixture(scope="module")
def cluster():
    """One two-worker LocalCluster for the module, built as `--dask local` builds it (127.0.0.1, no
    dashboard); each worker loads the geoparser once, when the first ingest registers the plugin."""
    pytest.importorskip("distributed")
    from geo.dask_ingest import local_cluster
    with local_cluster(2) as c:
        yield c


def test_dask_over_the_shards_stores_what_the_in_process_path_stores(inputs, one_worker, cluster, tmp_path):
    root, args = inputs
    db = tmp_path / "events.db"
    run = geo(*args, "--db", str(db), "--dask", cluster.scheduler_address)
    assert run.returncode == 0, run.stderr
    assert contents(db) == contents(one_worker[0])
    assert summary(run.stdout) == summary(one_worker[1])
    assert_bad_lines_reported(run, root)

    again = geo(*args, "--db", str(db), "--dask", cluster.scheduler_address)
    assert summary(again.stdout)["skipped as duplicates"] == GOOD_ARTICLES
    assert summary(again.stdout)["articles added"] == 0 and contents(db) == contents(one_worker[0])


def test_dask_results_stream_into_any_store_through_one_writer(inputs, one_worker, cluster, store_location):
    """The library path the CLI uses: a DaskRunner on the cluster and the store written here, in this
    process, whichever backend `Store.open` gives (SQLite, PostgreSQL + PostGIS); on_item hears of
    every article and bad record."""
    from geo.dask_ingest import DaskRunner
    from geo.ingest import ingest, read_inputs
    from geo.store import Store
    _, args = inputs
    seen = []
    with DaskRunner(cluster.scheduler_address) as runner, Store.open(store_location) as store:
        result = ingest(read_inputs(args[1:]), store, runner, on_item=seen.append)
    shards_only = contents(one_worker[0])
    arts = [a for a in shards_only[0] if a[1].startswith("r")]
    events = [e for e in shards_only[1] if e[0] in {a[0] for a in arts}]
    assert contents(store_location) == (arts, events)
    assert result.added == 5 and len(result.failed) == 2 and len(seen) == 7
