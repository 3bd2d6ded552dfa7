"""Fit the confidence model (geo/calibration.py) on GeoVirus and TR-News and show how well it is calibrated.

    python benchmarks/calibrate.py [--corpus PATH] [--dry-run]

Every mention of both corpora is judged as `benchmarks/geoparse.py` judges it: end to end (the spans the
geoparser finds; a span overlapping no gold toponym is a wrong pin) and with the gold spans given; right
means what the map shows is right: within 161 km of the gold point, or, for a country or province drawn
as an area, its area holds the gold point (the area-aware rule of benchmarks/geoparse.py). Qualifiers
("Russian forces", "New York-based") are no pins and are left out: GeoVirus never marks a nationality
word as a toponym and TR-News nearly always does, so they would only teach the model a corpus's habit. A logistic model on `geo.calibration.features` is fitted on all of
them and written to geo/calibration.json (unless --dry-run). Printed:
  * cross-corpus: fitted on one corpus, judged on the other (the held-out figure that matters),
  * the reliability table and ECE of the raw score and of the fitted probability, per corpus and run,
  * how well the score orders pins (AUROC: the chance that a right pin outscores a wrong one) and what a
    confidence filter at 0.5 removes (wrong pins removed against right pins lost).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
if str(PROJECT_ROOT) not in sys.path:
    sys.path.insert(0, str(PROJECT_ROOT))

from benchmarks.corpora import DEFAULT_CORPORA, LOADERS, CorpusNotFound  # noqa: E402
from benchmarks.geoparse import _gold_spans, _judged_end_to_end, is_correct_area_aware  # noqa: E402
from benchmarks.reliability import expected_calibration_error, reliability_table  # noqa: E402


def judged(geoparser, corpus) -> dict:
    """{"e2e": [(mention, correct)], "gold": [...]} with each mention's raw score kept beside it."""
    from tqdm import tqdm

    out = {"e2e": [], "gold": []}
    for doc in tqdm(list(corpus), desc=corpus.name, unit="doc", file=sys.stderr):
        text = doc["text"]
        out["e2e"] += [(m, bool(c) and m.place is not None and _right(m.place, g))
                       for (m, c), g in _judged_with_gold(doc, geoparser.resolve(text, geoparser.recognise(text)))
                       if not m.span.qualifier]
        gold = [(g, m) for g, m in zip(doc["gold"], geoparser.resolve(text, _gold_spans(doc))) if g["lat"] is not None]
        out["gold"] += [(m, _right(m.place, g)) for g, m in gold]
    return out


def _right(place, g: dict) -> bool:
    """Right as the map draws it: a point within 161 km, a country or province whose area holds the
    gold point (benchmarks/geoparse.py, area-aware)."""
    return place is not None and is_correct_area_aware(place, g)


def _judged_with_gold(doc: dict, mentions: list) -> list:
    """((mention, overlaps a gold toponym), that toponym) as _judged_end_to_end pairs them."""
    out = []
    for m, c in _judged_end_to_end(doc, mentions):
        best, best_overlap = None, 0
        for g in doc["gold"]:
            shared = min(m.span.end, g["end"]) - max(m.span.start, g["start"])
            if shared > best_overlap:
                best, best_overlap = g, shared
        out.append(((m, best is not None), best))
    return out


def auroc(pairs: list) -> float:
    """P(score of a right pin > score of a wrong one), ties counted half."""
    right = sorted(s for s, c in pairs if c)
    wrong = sorted(s for s, c in pairs if not c)
    if not right or not wrong:
        return float("nan")
    import bisect
    total = 0.0
    for s in right:
        lo, hi = bisect.bisect_left(wrong, s), bisect.bisect_right(wrong, s)
        total += lo + (hi - lo) / 2
    return total / (len(right) * len(wrong))


def filter_effect(pairs: list, threshold: float = 0.5) -> str:
    wrong = [s for s, c in pairs if not c]
    right = [s for s, c in pairs if c]
    return (f"a filter at {threshold} removes {sum(s < threshold for s in wrong)}/{len(wrong)} wrong pins "
            f"and {sum(s < threshold for s in right)}/{len(right)} right ones")


def main(argv=None) -> int:
    from geo import calibration
    from geo.pipeline import Geoparser

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--corpus", default=str(DEFAULT_CORPORA))
    ap.add_argument("--dry-run", action="store_true", help="do not write geo/calibration.json")
    args = ap.parse_args(argv)

    import geo.resolve
    real = calibration.WEIGHTS_PATH
    calibration.WEIGHTS_PATH = PROJECT_ROOT / "no-calibration.json"   # judge with the raw score while fitting
    # the features read every alternative, as in `Resolver.resolve` before it keeps only the best few
    geo.resolve.MAX_ALTERNATIVES = 10 ** 6
    geoparser = Geoparser()
    data = {}
    for key in sorted(LOADERS):
        try:
            corpus = LOADERS[key](Path(args.corpus))
        except CorpusNotFound as e:
            print(f"{key}: {e}")
            continue
        data[corpus.name] = judged(geoparser, corpus)
    calibration.WEIGHTS_PATH = real
    if len(data) < 2:
        print("skipped: both GeoVirus and TR-News are needed")
        return 1

    def rows(name):
        return [(calibration.features(m), c) for run in ("e2e", "gold") for m, c in data[name][run] if m.place]

    def scored(name, run, w):
        out = []
        for m, c in data[name][run]:
            if m.place is None:
                out.append((0.0, c))
            elif w is None:
                out.append((m.score, c))
            else:
                import math
                z = sum(a * b for a, b in zip(w, calibration.features(m)))
                out.append((1 / (1 + math.exp(-max(-30, min(30, z)))), c))
        return out

    names = list(data)
    print("# Confidence calibration\n")
    print("Command: `python benchmarks/calibrate.py`\n")
    print("## Held out: fitted on one corpus, judged on the other\n")
    print("| fitted on | judged on | run | ECE raw | ECE fitted | AUROC raw | AUROC fitted |")
    print("|---|---|---|---:|---:|---:|---:|")
    for train in names:
        w = calibration.fit(rows(train))
        for test in names:
            if test == train:
                continue
            for run in ("e2e", "gold"):
                raw, new = scored(test, run, None), scored(test, run, w)
                print(f"| {train} | {test} | {run} | {expected_calibration_error(raw):.3f} | "
                      f"{expected_calibration_error(new):.3f} | {auroc(raw):.3f} | {auroc(new):.3f} |")
    weights = calibration.fit(rows(names[0]) + rows(names[1]))
    print("\n## Fitted on both (the shipped model)\n")
    for name in names:
        for run in ("e2e", "gold"):
            raw, new = scored(name, run, None), scored(name, run, weights)
            print(f"### {name}, {'end to end' if run == 'e2e' else 'gold spans'}\n")
            print(f"Raw score: AUROC {auroc(raw):.3f}; {filter_effect(raw)}.\n")
            print(reliability_table(raw) + "\n")
            print(f"Fitted probability: AUROC {auroc(new):.3f}; {filter_effect(new)}.\n")
            print(reliability_table(new) + "\n")
    print("## Weights\n")
    print("| feature | weight |\n|---|---:|")
    for f, v in zip(calibration.FEATURES, weights):
        print(f"| {f} | {v:+.3f} |")
    if not args.dry_run:
        calibration.save(weights, {"fitted_on": names, "pairs": len(rows(names[0]) + rows(names[1]))})
        print(f"\nwrote {calibration.WEIGHTS_PATH.relative_to(PROJECT_ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
