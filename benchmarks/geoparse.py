"""Geoparsing benchmark on GeoVirus and TR-News: recognition, resolution and end-to-end scores.

    python benchmarks/geoparse.py [--corpus PATH] [--only geovirus|trnews] [--limit N] [--errors FILE]

For each corpus it measures
  (a) recognition, on the spans the geoparser finds by itself: precision, recall and F1, for exact span
      match and for overlapping span match;
  (b) resolution, with the gold spans given (`Geoparser.resolve(text, gold_spans)`): accuracy within
      161 km (no place counts as wrong), mean and median error over the resolved toponyms, and the AUC of
      the log error curve (Gritta et al. 2018; lower is better);
  (c) end to end: how many gold toponyms an overlapping predicted span found, and the accuracy within
      161 km of the places given to those.
and prints one Markdown table row per corpus (see benchmarks/README.md for what each column means).
"""
from __future__ import annotations

import argparse
import json
import math
import re
import statistics
import sys
import time
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
if str(PROJECT_ROOT) not in sys.path:
    sys.path.insert(0, str(PROJECT_ROOT))

from benchmarks.corpora import DEFAULT_CORPORA, LOADERS, CorpusNotFound  # noqa: E402
from geo.resolve import haversine_km  # noqa: E402

ACCURACY_KM = 161.0          # 100 miles, the customary threshold
MAX_ERROR_KM = 20039.0       # half the Earth's circumference: the error given to an unresolved toponym in AUC
CONTEXT_CHARS = 300          # how far to look for the sentence around a span in the error file


# --- scores ----------------------------------------------------------------------------------------

def ratio(num: float, den: float) -> float:
    return num / den if den else 0.0


def f1(p: float, r: float) -> float:
    return 2 * p * r / (p + r) if p + r else 0.0


def auc_log_error(errors_km: list) -> float:
    """Area under the curve of sorted ln(1 + error), scaled to 0..1 (Gritta et al. 2018); lower is better."""
    if len(errors_km) < 2:
        return 0.0
    ys = sorted(math.log1p(e) for e in errors_km)
    area = sum((a + b) / 2 for a, b in zip(ys, ys[1:]))      # trapezoids of unit width
    return area / (math.log1p(MAX_ERROR_KM) * (len(ys) - 1))


def overlaps(a_start: int, a_end: int, b_start: int, b_end: int) -> bool:
    return a_start < b_end and b_start < a_end


# --- error-file helpers ----------------------------------------------------------------------------

_LEFT_BOUNDARY = re.compile(r"[.!?][\"'”’)]*\s+|\n")
_RIGHT_BOUNDARY = re.compile(r"[.!?][\"'”’)]*(?=\s|$)|\n")


def sentence_around(text: str, start: int, end: int) -> str:
    """The sentence holding text[start:end], with the span marked [[like this]]."""
    lo = max(0, start - CONTEXT_CHARS)
    cuts = list(_LEFT_BOUNDARY.finditer(text, lo, start))
    left = cuts[-1].end() if cuts else lo
    m = _RIGHT_BOUNDARY.search(text, end, min(len(text), end + CONTEXT_CHARS))
    right = m.end() if m else min(len(text), end + CONTEXT_CHARS)
    return (text[left:start] + "[[" + text[start:end] + "]]" + text[end:right]).strip()


def place_dict(place, gold=None) -> dict | None:
    if place is None:
        return None
    d = {"key": place.key, "name": place.name, "lat": place.lat, "lon": place.lon,
         "country_code": place.country_code, "kind": place.kind, "population": place.population,
         "geonameid": place.geonameid}
    if gold is not None:
        d["km"] = round(haversine_km(gold["lat"], gold["lon"], place.lat, place.lon), 1)
    return d


def gold_dict(g: dict) -> dict:
    return {"start": g["start"], "end": g["end"], "name": g["name"], "lat": g["lat"], "lon": g["lon"],
            "ref": g.get("ref", "")}


# --- per-corpus tally ------------------------------------------------------------------------------

@dataclass
class Tally:
    corpus: str
    docs: int = 0
    chars: int = 0
    # recognition
    gold: int = 0
    pred: int = 0
    exact: int = 0            # predicted spans equal to a gold span
    pred_overlapping: int = 0  # predicted spans overlapping some gold span
    gold_overlapped: int = 0   # gold spans overlapped by some predicted span
    # resolution with gold spans (only toponyms with gold coordinates)
    geocoded: int = 0
    resolved_correct: int = 0
    errors_km: list = field(default_factory=list)   # resolved ones only
    unresolved: int = 0
    # end to end (only toponyms with gold coordinates)
    e2e_found: int = 0
    e2e_correct: int = 0
    # seconds
    t_recognise: float = 0.0
    t_resolve: float = 0.0
    t_resolve_gold: float = 0.0

    def row(self) -> dict:
        p_ex, r_ex = ratio(self.exact, self.pred), ratio(self.exact, self.gold)
        p_ov, r_ov = ratio(self.pred_overlapping, self.pred), ratio(self.gold_overlapped, self.gold)
        errs = self.errors_km
        e2e_seconds = self.t_recognise + self.t_resolve
        return {
            "corpus": self.corpus, "docs": self.docs, "gold": self.gold,
            "P exact": p_ex, "R exact": r_ex, "F1 exact": f1(p_ex, r_ex),
            "P overlap": p_ov, "R overlap": r_ov, "F1 overlap": f1(p_ov, r_ov),
            "acc@161 (gold spans)": ratio(self.resolved_correct, self.geocoded),
            "mean km": statistics.fmean(errs) if errs else float("nan"),
            "median km": statistics.median(errs) if errs else float("nan"),
            "AUC": auc_log_error(errs + [MAX_ERROR_KM] * self.unresolved),
            "found (e2e)": f"{self.e2e_found}/{self.geocoded}",
            "acc@161 (e2e)": ratio(self.e2e_correct, self.e2e_found),
            "docs/s": ratio(self.docs, e2e_seconds),
        }


# --- scoring one document --------------------------------------------------------------------------

def score_recognition(tally: Tally, doc: dict, spans: list, errors: list) -> None:
    text, gold = doc["text"], doc["gold"]
    pred = sorted({(s.start, s.end): s for s in spans}.values(), key=lambda s: (s.start, s.end))
    gold_keys = {(g["start"], g["end"]) for g in gold}
    tally.gold += len(gold)
    tally.pred += len(pred)
    tally.exact += sum((s.start, s.end) in gold_keys for s in pred)
    for s in pred:
        if any(overlaps(s.start, s.end, g["start"], g["end"]) for g in gold):
            tally.pred_overlapping += 1
        else:
            errors.append({"type": "false_positive", "start": s.start, "end": s.end, "text": s.text,
                           "score": s.score, "evidence": list(s.evidence),
                           "context": sentence_around(text, s.start, s.end)})
    for g in gold:
        hits = [s for s in pred if overlaps(s.start, s.end, g["start"], g["end"])]
        if hits:
            tally.gold_overlapped += 1
        if not hits or all((s.start, s.end) != (g["start"], g["end"]) for s in hits):
            errors.append({"type": "boundary" if hits else "false_negative", "gold": gold_dict(g),
                           "predicted": [{"start": s.start, "end": s.end, "text": s.text} for s in hits],
                           "context": sentence_around(text, g["start"], g["end"])})


def _is_correct(place, g: dict) -> bool:
    return place is not None and haversine_km(g["lat"], g["lon"], place.lat, place.lon) <= ACCURACY_KM


def score_resolution(tally: Tally, doc: dict, mentions: list, errors: list) -> None:
    """Mentions are the resolver's answers for the gold spans, one per gold toponym, in order."""
    text = doc["text"]
    for g, m in zip(doc["gold"], mentions):
        if g["lat"] is None:
            continue
        tally.geocoded += 1
        if m.place is None:
            tally.unresolved += 1
        else:
            tally.errors_km.append(haversine_km(g["lat"], g["lon"], m.place.lat, m.place.lon))
        if _is_correct(m.place, g):
            tally.resolved_correct += 1
            continue
        alternatives = [place_dict(c.place, g) for c in m.alternatives[:5]]
        right_rank = next((i + 1 for i, a in enumerate(alternatives) if a["km"] <= ACCURACY_KM), None)
        errors.append({"type": "wrong_resolution" if m.place else "unresolved", "gold": gold_dict(g),
                       "predicted": place_dict(m.place, g), "score": round(m.score, 4),
                       "km": round(haversine_km(g["lat"], g["lon"], m.place.lat, m.place.lon), 1)
                       if m.place else None,
                       "right_alternative_rank": right_rank, "alternatives": alternatives,
                       "context": sentence_around(text, g["start"], g["end"])})


def score_end_to_end(tally: Tally, doc: dict, mentions: list) -> None:
    """Each geocoded gold toponym takes the place of the predicted span overlapping it most."""
    for g in doc["gold"]:
        if g["lat"] is None:
            continue
        best, best_overlap = None, 0
        for m in mentions:
            shared = min(m.span.end, g["end"]) - max(m.span.start, g["start"])
            if shared > best_overlap:
                best, best_overlap = m, shared
        if best is not None:
            tally.e2e_found += 1
            tally.e2e_correct += _is_correct(best.place, g)


def evaluate_doc(geoparser, tally: Tally, doc: dict, errors: list) -> None:
    from geo.types import Span

    text = doc["text"]
    t0 = time.perf_counter()
    spans = geoparser.recognise(text)
    t1 = time.perf_counter()
    mentions = geoparser.resolve(text, spans)
    t2 = time.perf_counter()
    gold_spans = [Span(g["start"], g["end"], text[g["start"]:g["end"]]) for g in doc["gold"]]
    gold_mentions = geoparser.resolve(text, gold_spans)
    t3 = time.perf_counter()
    if len(mentions) != len(spans) or len(gold_mentions) != len(gold_spans):
        raise RuntimeError(f"{doc['id']}: resolve() must return one Mention per span")

    tally.docs += 1
    tally.chars += len(text)
    tally.t_recognise += t1 - t0
    tally.t_resolve += t2 - t1
    tally.t_resolve_gold += t3 - t2
    doc_errors: list = []
    score_recognition(tally, doc, spans, doc_errors)
    score_resolution(tally, doc, gold_mentions, doc_errors)
    score_end_to_end(tally, doc, mentions)
    errors.extend({"corpus": tally.corpus, "doc": doc["id"], **e} for e in doc_errors)


def evaluate(geoparser, corpus, limit: int | None = None, errors: list | None = None) -> Tally:
    """Score `geoparser` on the documents of `corpus`; misses are appended to `errors` when given."""
    from tqdm import tqdm

    errors = errors if errors is not None else []
    docs = list(corpus)[:limit] if limit else list(corpus)
    tally = Tally(corpus.name)
    for doc in tqdm(docs, desc=corpus.name, unit="doc", file=sys.stderr):
        evaluate_doc(geoparser, tally, doc, errors)
    return tally


# --- output ----------------------------------------------------------------------------------------

def _cell(value) -> str:
    if isinstance(value, float):
        if math.isnan(value):
            return "–"
        return f"{value:.0f}" if abs(value) >= 100 else f"{value:.3f}" if abs(value) < 1 else f"{value:.1f}"
    return str(value)


def markdown_table(rows: list) -> str:
    header = list(rows[0])
    lines = ["| " + " | ".join(header) + " |",
             "|" + "|".join("---" if h == "corpus" else "---:" for h in header) + "|"]
    lines += ["| " + " | ".join(_cell(r[h]) for h in header) + " |" for r in rows]
    return "\n".join(lines)


def timing_lines(tallies: list) -> list:
    lines = []
    for t in tallies:
        e2e = t.t_recognise + t.t_resolve
        lines.append(f"- {t.corpus}: {t.docs} docs, {t.chars:,} chars; recognise {t.t_recognise:.1f} s, "
                     f"resolve {t.t_resolve:.1f} s (end to end {ratio(t.docs, e2e):.1f} docs/s, "
                     f"{ratio(t.chars, e2e):,.0f} chars/s); resolve with gold spans {t.t_resolve_gold:.1f} s")
    return lines


def write_errors(path: str, errors: list) -> None:
    with open(path, "w", encoding="utf-8") as f:
        for e in errors:
            f.write(json.dumps(e, ensure_ascii=False) + "\n")


def command_line(argv=None) -> str:
    """How this run was started, for the header of the saved results."""
    return " ".join(["python", "benchmarks/geoparse.py", *(sys.argv[1:] if argv is None else argv)])


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", default=str(DEFAULT_CORPORA),
                        help="folder of the development corpora (default: %(default)s)")
    parser.add_argument("--only", choices=sorted(LOADERS), help="run on one corpus only")
    parser.add_argument("--limit", type=int, help="score only the first N documents of each corpus")
    parser.add_argument("--errors", metavar="FILE", help="write the misses as JSON lines to FILE")
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    corpora, notes = [], []
    for key in ([args.only] if args.only else sorted(LOADERS)):
        try:
            corpus = LOADERS[key](args.corpus)
        except CorpusNotFound as e:
            print(e, file=sys.stderr)
            continue
        corpora.append(corpus)
        notes.append(f"- {corpus.describe()}")
    if not corpora:
        return 0

    from geo.pipeline import Geoparser

    t0 = time.perf_counter()
    geoparser = Geoparser()
    startup = time.perf_counter() - t0

    errors: list = []
    tallies = [evaluate(geoparser, c, args.limit, errors) for c in corpora]
    if args.errors:
        write_errors(args.errors, errors)
        print(f"wrote {len(errors)} misses to {args.errors}", file=sys.stderr)

    print(f"## Geoparsing benchmark ({date.today().isoformat()})\n")
    print(f"Command: `{command_line(argv)}`\n")
    print(markdown_table([t.row() for t in tallies]))
    print("\nCorpora:")
    print("\n".join(notes))
    print(f"\nTiming (Geoparser() built in {startup:.1f} s, not counted):")
    print("\n".join(timing_lines(tallies)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
