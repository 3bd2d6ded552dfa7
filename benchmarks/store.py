"""Store scale benchmark: 100,000 synthetic events at real gazetteer places over five years,
then date-window + bounding-box queries; and the ingest rate on the 89 VOA stories.

    python benchmarks/store.py [--events 100000] [--corpus ../shared/corpora] [--skip-voa]
"""
from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from geo.gazetteer import Gazetteer  # noqa: E402
from geo.pipeline import ArticleResult  # noqa: E402
from geo.store import Store  # noqa: E402
from geo.types import Article  # noqa: E402

QUERIES = [  # (label, start, end, bbox W,S,E,N)
    ("one week, Caucasus", "2023-03-01", "2023-03-07", (38.0, 36.0, 52.0, 45.0)),
    ("one month, Europe", "2022-06-01", "2022-06-30", (-12.0, 35.0, 40.0, 62.0)),
    ("one year, Middle East", "2021-01-01", "2021-12-31", (30.0, 12.0, 60.0, 40.0)),
    ("one day, world", "2024-02-14", "2024-02-14", (-180.0, -90.0, 180.0, 90.0)),
    ("five years, small box", "2020-01-01", "2024-12-31", (44.0, 39.0, 48.0, 41.0)),
]


def synthetic_results(n_events: int, per_article: int = 20, seed: int = 7):
    rng = random.Random(seed)
    gz = Gazetteer.load()
    places = [gz.place(i) for i in rng.sample(range(len(gz)), 5000)]
    first = date(2020, 1, 1)
    for a in range(n_events // per_article):
        text = f"Synthetic article {a}. " + "x" * 40
        events = []
        for k in range(per_article):
            p = rng.choice(places)
            d = first + timedelta(days=rng.randrange(5 * 365))
            events.append({"name": p.name, "lat": p.lat, "lon": p.lon, "country_code": p.country_code,
                           "kind": p.kind, "date": d.isoformat(), "date_end": d.isoformat(), "precision": "day",
                           "date_source": "stated", "sentence": text[:20], "mention_start": 0,
                           "mention_end": 9, "confidence": rng.random()})
        yield ArticleResult(article=Article(id=f"s{a}", text=text, title=f"Synthetic {a}",
                                            published=(first + timedelta(days=a % 1800)).isoformat()),
                            events=events)


def bench_queries(n_events: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        store = Store.open(Path(tmp) / "bench.db")
        t0 = time.perf_counter()
        for r in synthetic_results(n_events):
            store.add(r)
        load_s = time.perf_counter() - t0
        n = store.count_events()
        print(f"## Store benchmark\n\n{n:,} synthetic events at 5,000 real gazetteer places, 2020-2024; "
              f"loaded in {load_s:.1f} s ({n / load_s:,.0f} events/s, one transaction per 20-event article).\n")
        print("| query | events returned | median ms | max ms (of 20) |\n|---|---:|---:|---:|")
        for label, start, end, bbox in QUERIES:
            times, got = [], 0
            for _ in range(20):
                t = time.perf_counter()
                got = len(store.events(start=start, end=end, bbox=bbox))
                times.append((time.perf_counter() - t) * 1000)
            print(f"| {label} | {got:,} | {statistics.median(times):.1f} | {max(times):.1f} |")
        store.close()


def bench_voa(corpus: Path) -> None:
    voa = corpus / "voa" / "voa_stories.jsonl"
    if not voa.exists():
        print(f"\nskipped VOA ingest: corpus not found at {voa}")
        return
    from geo.ingest import ingest, read_inputs
    from geo.pipeline import Geoparser
    gp = Geoparser()
    with tempfile.TemporaryDirectory() as tmp:
        store = Store.open(Path(tmp) / "voa.db")
        t = time.perf_counter()
        s = ingest(read_inputs([str(voa)]), store, gp)
        secs = time.perf_counter() - t
        print(f"\n## VOA ingest\n\n{s.added} stories added ({s.duplicates} duplicates, {len(s.failed)} failed), "
              f"{s.events} events, in {secs:.1f} s ({s.added / secs:.1f} articles/s, geoparsing included).")
        again = ingest(read_inputs([str(voa)]), store, gp)
        print(f"Re-ingest: {again.added} added, {again.duplicates} skipped as duplicates.")
        store.close()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--events", type=int, default=100_000)
    ap.add_argument("--corpus", type=Path, default=ROOT.parent / "shared" / "corpora")
    ap.add_argument("--skip-voa", action="store_true")
    args = ap.parse_args()
    bench_queries(args.events)
    if not args.skip_voa:
        bench_voa(args.corpus)
    return 0


if __name__ == "__main__":
    sys.exit(main())
