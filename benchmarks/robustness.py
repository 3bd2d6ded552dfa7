"""Bounded work per article (issue 11): time and peak memory of the whole pipeline on long and hostile texts.

    python benchmarks/robustness.py [--sizes 10k,100k,1m,10m] [--kinds real,commas,dots,line] [--corpus PATH]

Each case runs `Geoparser().extract(article)` (places, dates, events) on one text in a fresh process and
reports the wall time of the extraction (model loading excluded) and the process's peak resident memory
(`ru_maxrss`, model included). Texts:
  real    VOA stories from ../shared/corpora, concatenated and repeated up to the size;
  commas  a comma-separated list of gazetteer place names ("Paris, Lyon, Kharkiv, …");
  dots    "A. " repeated (a sentence splitter's and tokenizer's worst case);
  line    the real text with every line break and sentence end removed: one very long line.
Targets: time(1 MB) / time(100 KB) ≤ 12 for every kind, and peak RSS ≤ 1.5 GB for a 10 MB input.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
if str(PROJECT_ROOT) not in sys.path:
    sys.path.insert(0, str(PROJECT_ROOT))

from benchmarks.corpora import DEFAULT_CORPORA, voa_path  # noqa: E402

SIZES = {"10k": 10_000, "100k": 100_000, "1m": 1_000_000, "10m": 10_000_000}
KINDS = ("real", "commas", "dots", "line")

_CHILD = r"""
import json, resource, sys, time
sys.path.insert(0, sys.argv[1])
from geo.pipeline import Geoparser
from geo.types import Article
text = open(sys.argv[2], encoding="utf-8").read()
gp = Geoparser()
gp.extract(Article(id="warm", text="Protesters gathered in Kharkiv on Sunday.", published="2025-03-14"))
t0 = time.perf_counter()
r = gp.extract(Article(id="x", text=text, published="2025-03-14"))
seconds = time.perf_counter() - t0
print(json.dumps({"seconds": seconds, "mentions": len(r.mentions), "events": len(r.events),
                  "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def make_text(kind: str, size: int, corpus: Path) -> str:
    if kind == "dots":
        return ("A. " * (size // 3 + 1))[:size]
    if kind == "commas":
        from geo.gazetteer import Gazetteer
        gz = Gazetteer.load()
        names = [gz.place(i).name for i in range(0, len(gz), 7) if gz.place(i).kind == "city"][:50_000]
        out, n, i = [], 0, 0
        while n < size:
            out.append(names[i % len(names)])
            n += len(out[-1]) + 2
            i += 1
        return ", ".join(out)[:size]
    stories = [json.loads(line)["text"] for line in voa_path(corpus).open(encoding="utf-8") if line.strip()]
    real = "\n\n".join(stories)
    text = (real * (size // len(real) + 1))[:size]
    if kind == "line":
        text = re.sub(r"[.!?]+(\s)|\n+", r" ", text)
    return text


def run_case(kind: str, size: int, corpus: Path, tmp: Path) -> dict:
    path = tmp / f"robustness-{kind}-{size}.txt"
    path.write_text(make_text(kind, size, corpus), encoding="utf-8")
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", _CHILD, str(PROJECT_ROOT), str(path)],
                          capture_output=True, text=True)
    wall = time.perf_counter() - t0
    path.unlink(missing_ok=True)
    if proc.returncode != 0:
        return {"kind": kind, "size": size, "error": proc.stderr.strip().splitlines()[-1][:200]}
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    return {"kind": kind, "size": size, **out, "process_wall": wall}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="10k,100k,1m,10m")
    ap.add_argument("--kinds", default=",".join(KINDS))
    ap.add_argument("--corpus", default=str(DEFAULT_CORPORA))
    ap.add_argument("--tmp", default="/tmp")
    args = ap.parse_args(argv)
    corpus = Path(args.corpus)
    if not voa_path(corpus).is_file():
        print(f"skipped: VOA stories not found under {corpus}")
        return 1
    rows = []
    for kind in args.kinds.split(","):
        for label in args.sizes.split(","):
            row = run_case(kind, SIZES[label], corpus, Path(args.tmp))
            rows.append(row)
            print(json.dumps(row), file=sys.stderr, flush=True)
    print("| text | size | seconds | mentions | events | peak RSS (MB) |")
    print("|---|---:|---:|---:|---:|---:|")
    for r in rows:
        if "error" in r:
            print(f"| {r['kind']} | {r['size']:,} | failed: {r['error']} | | | |")
        else:
            print(f"| {r['kind']} | {r['size']:,} | {r['seconds']:.2f} | {r['mentions']:,} | {r['events']:,} | "
                  f"{r['rss_mb']:.0f} |")
    print()
    for kind in args.kinds.split(","):
        t = {r["size"]: r.get("seconds") for r in rows if r["kind"] == kind}
        if t.get(1_000_000) and t.get(100_000):
            ratio = t[1_000_000] / t[100_000]
            print(f"- {kind}: time(1 MB) / time(100 KB) = **{ratio:.1f}** (target ≤ 12: {'met' if ratio <= 12 else 'NOT met'})")
    big = [r for r in rows if r["size"] == 10_000_000 and "rss_mb" in r]
    for r in big:
        print(f"- {r['kind']}, 10 MB: peak RSS **{r['rss_mb']:.0f} MB** (target ≤ 1,536 MB: "
              f"{'met' if r['rss_mb'] <= 1536 else 'NOT met'})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
