"""Parallel ingest benchmark (issue 12): articles/s into a fresh SQLite store for one worker (in process),
two worker processes (`--workers 2`) and a two-worker Dask LocalCluster (`--dask local`), each over
the same VOA stories in the same run.

    python benchmarks/ingest_parallel.py [--corpus ../shared/corpora] [--repeat 5] [--workers 2]

Model loading (spaCy and the gazetteer in every worker; the cluster's start for Dask) is timed apart
from the steady state: each runner is loaded once, then ingests the corpus `--repeat` times, each time
into a fresh SQLite file, the three runners taking turns so that other jobs on the machine weigh on
them alike. Reported: the load time, the best and median articles/s, the spread, and the speed-up
over one worker (best over best, and median over median). Writes benchmarks/results/ingest_parallel.md.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.corpora import DEFAULT_CORPORA, voa_path  # noqa: E402
from geo.exceptions import ReadError  # noqa: E402
from geo.ingest import ingest, read_inputs  # noqa: E402
from geo.store import Store  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results" / "ingest_parallel.md"


def load_runners(workers: int) -> list:
    """[(label, runner, load seconds)]: each runner ready to geoparse, models loaded."""
    from geo.dask_ingest import DaskRunner
    from geo.parallel import ProcessPool
    from geo.pipeline import Geoparser

    runners = []
    t = time.perf_counter()
    runners.append(("1 worker, in process (`--workers 1`)", Geoparser(), time.perf_counter() - t))
    t = time.perf_counter()
    pool = ProcessPool(workers)
    pool.warm_up()
    runners.append((f"{workers} worker processes (`--workers {workers}`)", pool, time.perf_counter() - t))
    t = time.perf_counter()
    cluster = DaskRunner("local", workers=workers)
    runners.append((f"Dask LocalCluster, {workers} workers (`--dask local`)", cluster, time.perf_counter() - t))
    return runners


def cpu_seconds() -> float:
    """CPU time of this process and all its children (worker processes, the Dask cluster's)."""
    import psutil                                  # comes with distributed
    me = psutil.Process()
    total = sum(me.cpu_times()[:2])
    for child in me.children(recursive=True):
        try:
            total += sum(child.cpu_times()[:2])
        except psutil.Error:
            pass
    return total


def timed_ingest(articles: list, runner) -> tuple:
    """(wall seconds, CPU seconds, summary) of one ingest of `articles` into a fresh SQLite file."""
    with tempfile.TemporaryDirectory(prefix="geo-bench-") as tmp:
        with Store.open(Path(tmp) / "events.db") as store:
            cpu, t = cpu_seconds(), time.perf_counter()
            summary = ingest(articles, store, runner)
            return time.perf_counter() - t, cpu_seconds() - cpu, summary


def table(rows: list, n_docs: int) -> str:
    base_best = max(rows[0]["rates"])
    base_median = statistics.median(rows[0]["rates"])
    out = ["| runner | model loading (s) | articles/s, best | median | spread (min–max) | × 1 worker, best "
           "| × 1 worker, median | CPU s / article | CPUs busy |",
           "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        rates, best = r["rates"], r["rates"].index(max(r["rates"]))
        out.append(f"| {r['label']} | {r['load']:.1f} | **{max(rates):.2f}** | {statistics.median(rates):.2f} | "
                   f"{min(rates):.2f}–{max(rates):.2f} | **{max(rates) / base_best:.2f}×** | "
                   f"{statistics.median(rates) / base_median:.2f}× | {statistics.median(r['cpu']) / n_docs:.3f} | "
                   f"{r['busy'][best]:.2f} |")
    return "\n".join(out)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--corpus", default=str(DEFAULT_CORPORA), help="corpora folder (default: %(default)s)")
    p.add_argument("--repeat", type=int, default=5, help="ingests per runner (default 5)")
    p.add_argument("--workers", type=int, default=2, help="worker processes / Dask workers (default 2)")
    p.add_argument("--out", default=str(RESULTS), help="markdown file to write (default: %(default)s)")
    args = p.parse_args(argv)

    path = voa_path(args.corpus)
    if not path.is_file():
        print(f"skipped: VOA stories not found at {path}")
        return 0
    articles = [a for a in read_inputs([str(path)]) if not isinstance(a, ReadError)]
    n_chars = sum(len(a.text) for a in articles)
    load_before = os.getloadavg()
    print(f"{len(articles)} VOA stories, {n_chars:,} characters; {os.cpu_count()} CPUs; "
          f"load average before: {load_before[0]:.2f}", flush=True)

    runners = load_runners(args.workers)
    rows = [{"label": label, "load": load, "rates": [], "cpu": [], "busy": []} for label, _, load in runners]
    events = set()
    try:
        for round_ in range(args.repeat):
            for row, (label, runner, _) in zip(rows, runners):
                seconds, cpu, summary = timed_ingest(articles, runner)
                assert summary.added == len(articles) and not summary.failed, summary.lines()
                events.add(summary.events)
                row["rates"].append(len(articles) / seconds)
                row["cpu"].append(cpu)
                row["busy"].append(cpu / seconds)
                print(f"round {round_ + 1}: {label}: {seconds:.2f} s, {len(articles) / seconds:.2f} articles/s, "
                      f"{cpu:.1f} CPU s, {summary.events} events, load {os.getloadavg()[0]:.2f}", flush=True)
    finally:
        for _, runner, _ in runners:
            close = getattr(runner, "close", None)
            if close:
                close()
    load_after = os.getloadavg()

    text = "\n".join([
        f"Parallel ingest (`python benchmarks/ingest_parallel.py --repeat {args.repeat}`, "
        f"{datetime.now(timezone.utc):%Y-%m-%d}): {len(articles)} VOA stories ({n_chars:,} characters) "
        f"into a fresh SQLite file each time, {args.repeat} ingests per runner taking turns, "
        f"{os.cpu_count()} CPUs; load average {load_before[0]:.2f} before, {load_after[0]:.2f} after "
        "(the machine is shared with other jobs).",
        "",
        table(rows, len(articles)),
        "",
        f"Events stored per ingest: {', '.join(str(e) for e in sorted(events))} (the same for every runner "
        "when there is one number). Model loading: spaCy and the gazetteer in each worker, in parallel; "
        "for Dask also the cluster's start. CPU s / article: CPU time of this process and its worker "
        "processes (median run); CPUs busy: CPU time over wall time in the best run — when another job "
        "holds a core, 2 workers cannot keep 2 CPUs busy. Target (issue 12): 2 workers ≥ 1.7× one worker.",
        ""])
    print("\n" + text)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(text, encoding="utf-8")
    print(f"written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
