"""Map benchmark: what a filter change costs the server, and how long a browser takes to show 10,000 events.

    python benchmarks/map.py [--events 100000] [--window-events 10000] [--repeats 7] [--runs 3]
                             [--db PATH] [--rebuild] [--skip-server] [--skip-browser] [--no-plain]
                             [--profile] [--out benchmarks/results/map.md]

1. Server side. `--events` synthetic events (`benchmarks/store.py`'s `synthetic_results`: 5,000 real
   gazetteer places, 2020-2024) are stored in a real SQLite file (cached as ``data/cache/bench_map_N.db``,
   git-ignored; `--rebuild` makes it again) and loaded as the app loads them (`Store.events()`). Then,
   as the app does on every rerun after the user changes a filter: `views.filter_events` over all
   events, `mapview.event_layer(shown, window)` and streamlit-folium's `_get_feature_group_string`
   (the JavaScript string the browser receives). Each row of the table is `--repeats` *different*
   views of one kind (the window slides across the data; a different search string or country each
   time), each timed once, so the caches keyed by the window are as cold as after a real change.
   Every row runs twice: with Python's gc as it is (the time spent inside the collector is reported),
   then as app.py runs, with the loaded events frozen out of the collector (`gc.collect();
   gc.freeze()` after loading, as its `_events_cached` does). Rows also cover the app's opening view
   of a big store (the latest month) and the unfiltered "Everything". Target: <= 300 ms.
2. Browser side. The `--window-events` events of one window (~6 months), shown in headless Chromium
   (no network: every request that is not file: or data: is aborted), `--runs` times each, fresh
   context per run: (a) `standalone_html(events, window=...)`; (b) the naive folium way on the same
   base map (`build_map(assets_mode="inline")`): one `folium.Marker` per event with its own
   `folium.Popup` and `folium.Tooltip` (escaped text), in a `folium.plugins.MarkerCluster`;
   (c) the same without clustering (`--no-plain` skips it). The time is from navigation start until
   every event is on the map (pins + the numbers on the cluster icons == the events) and the next
   frame has been painted. Targets: (a) <= 2 s, naive / ours >= 15x.

Progress goes to stderr; the Markdown report is written to `--out` and printed.
"""
from __future__ import annotations

import argparse
import gc
import html
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from pathlib import Path

os.environ.setdefault("STREAMLIT_LOGGER_LEVEL", "error")   # no "missing ScriptRunContext" noise

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from geo import assets, mapview, views  # noqa: E402
from geo.export import CHROMIUM_ARGS  # noqa: E402
from geo.store import Store  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
VIEWPORT = {"width": 1280, "height": 800}
TARGET_SERVER_MS = 300
TARGET_BROWSER_MS = 2000
TARGET_RATIO = 15
TEXT_NEEDLES = ("san", "ville", "saint", "ka", "ia", "on", "al", "burg", "port", "lake")


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def median(xs):
    return statistics.median(xs) if xs else float("nan")


# --------------------------------------------------------------------------- gc accounting

class GcClock:
    """Time spent inside Python's garbage collector (gc.callbacks), without changing gc."""

    def __init__(self):
        self.total = 0.0
        self.collections = [0, 0, 0]
        self._t = None
        gc.callbacks.append(self._cb)

    def _cb(self, phase, info):
        if phase == "start":
            self._t = time.perf_counter()
        elif self._t is not None:
            self.total += time.perf_counter() - self._t
            self.collections[info.get("generation", 0)] += 1
            self._t = None

    def close(self):
        gc.callbacks.remove(self._cb)


# --------------------------------------------------------------------------- the store

def open_events(n_events: int, db: Path, rebuild: bool) -> tuple[list, tuple, dict]:
    """All events as the app loads them (Store.events()), building the SQLite file when needed."""
    from benchmarks.store import synthetic_results
    info = {"db": db, "built_s": None}
    if db.exists() and not rebuild:
        try:
            with Store.open(db) as s:
                ok = s.count_events() == n_events
        except Exception as exc:   # noqa: BLE001 - an old schema or a broken file: build it again
            log(f"cached database unusable ({exc}): rebuilding")
            ok = False
        if not ok:
            rebuild = True
    if rebuild or not db.exists():
        for p in (db, Path(str(db) + "-wal"), Path(str(db) + "-shm")):
            if p.exists():
                p.unlink()
        db.parent.mkdir(parents=True, exist_ok=True)
        log(f"building {db} with {n_events:,} synthetic events…")
        t = time.perf_counter()
        with Store.open(db) as s:
            for k, r in enumerate(synthetic_results(n_events)):
                s.add(r)
                if k % 1000 == 999:
                    log(f"  {(k + 1) * 20:,} events")
        info["built_s"] = time.perf_counter() - t
    t = time.perf_counter()
    with Store.open(db) as s:
        events = s.events()
        span = tuple(s.date_span())
    info["load_s"] = time.perf_counter() - t
    return events, span, info


# --------------------------------------------------------------------------- server side

@dataclass
class Case:
    label: str
    views: list                      # ViewState per repeat
    note: str = ""
    rows: list = field(default_factory=list)          # as the app runs: gc.freeze() after loading
    rows_asis: list = field(default_factory=list)     # Python's gc as is
    shifted: list = field(default_factory=list)       # the views of the second pass (other windows)


def _shift(v, days: int = 3):
    """The same kind of view a few days later (so the second pass does not meet warm caches)."""
    if v.start is None or v.end is None or v.countries or v.text:
        return v
    return replace(v, start=v.start + timedelta(days=days), end=v.end + timedelta(days=days))


def _cases(events, span, repeats: int, every_repeats: int) -> list[Case]:
    lo, hi = (date.fromisoformat(x) for x in span)
    total = (hi - lo).days
    cases = []
    for label, days in (("1 week", 7), ("1 month", 30), ("6 months", 182), ("1 year", 365)):
        starts = [lo + timedelta(days=round(i * (total - days - 3) / max(1, repeats - 1))) for i in range(repeats)]
        cases.append(Case(f"date window, {label}", [views.ViewState(start=s, end=s + timedelta(days=days - 1))
                                                    for s in starts],
                          f"{repeats} windows each, their starts spread evenly from {lo} to the last one that fits"))
    cases.append(Case("search text, whole span",
                      [views.ViewState(start=lo, end=hi, text=t) for t in TEXT_NEEDLES[:repeats]],
                      "`" + "`, `".join(TEXT_NEEDLES[:repeats]) + "`"))
    counts: dict = {}
    for e in events:
        cc = (e.get("country_code") or "").upper()
        if cc:
            counts[cc] = counts.get(cc, 0) + 1
    top = sorted(counts, key=counts.get, reverse=True)[:repeats]
    cases.append(Case("country, whole span", [views.ViewState(start=lo, end=hi, countries=(cc,)) for cc in top],
                      "the most frequent countries, one at a time: " + ", ".join(top)))
    presets = getattr(views, "presets", None)
    month = presets(hi, lo).get("Month") if presets else None
    if month:
        cases.append(Case("latest month (the app's opening view of a big store)",
                          [views.ViewState(start=month[0], end=month[1])] * every_repeats,
                          f"{month[0]} … {month[1]}, the timeline's Month preset: app.py opens a store of more "
                          "than 20,000 events on it"))
    cases.append(Case("everything (the Everything preset)", [views.ViewState(start=lo, end=hi)] * every_repeats,
                      "no filter"))
    for c in cases:       # the sliding windows move; the other views stay as they are
        c.shifted = [_shift(v) for v in c.views] if c.label.startswith("date window") else list(c.views)
    return cases


def _st_folium_rest(m, fg_string: str) -> None:
    """The rest of what st_folium does with the map on every rerun (base map string, header, args
    JSON as Streamlit marshals component arguments): reported apart from the target."""
    from streamlit_folium import _get_header, _get_html, _get_map_string
    m.get_root().render()
    m.render()
    html_ = _get_html(m)
    header = _get_header(m)
    leaflet = _get_map_string(m)
    json.dumps({"script": leaflet, "header": header, "html": html_, "feature_group": fg_string})


def time_filter_change(events, view, span, gcc: GcClock, shown_as=None) -> dict:
    """One rerun after a filter change; `shown_as` (prepared beforehand) replaces the filtered
    events handed to `event_layer` (same events, other text)."""
    from streamlit_folium import _get_feature_group_string
    window = (view.start, view.end) if view.start and view.end else None
    g0 = gcc.total
    t0 = time.perf_counter()
    shown = views.filter_events(events, view, span)
    t1 = time.perf_counter()
    if shown_as is not None:
        shown = shown_as
    fg = mapview.event_layer(shown, window=window)
    t2 = time.perf_counter()
    g1 = gcc.total
    # The app's base map: build_map() with Streamlit's static asset URLs (no I/O here).
    m = mapview.build_map(asset_urls=assets.static_urls())
    _st_folium_rest(m, "")
    t3 = time.perf_counter()
    g2 = gcc.total
    fg_string = _get_feature_group_string(fg, m)
    t4 = time.perf_counter()
    g3 = gcc.total
    json.dumps({"feature_group": fg_string})      # the payload's share of the args JSON
    t5 = time.perf_counter()
    return {"n": len(shown), "filter": t1 - t0, "layer": t2 - t1, "fg": t4 - t3,
            "rest": (t3 - t2) + (t5 - t4), "total": (t2 - t0) + (t4 - t3),
            "gc": (g1 - g0) + (g3 - g2), "mb": len(fg_string.encode("utf-8")) / 1e6}


def news_like(events: list, seed: int = 11) -> list:
    """Copies of `events` with article-length text (a ~160-character sentence naming the place, a
    ~65-character title, an https URL, 0-3 alternative places): what real articles carry."""
    import random
    rng = random.Random(seed)
    words = ("officials said the talks on the new water agreement resumed after a week of protests near "
             "the border crossing where hundreds had gathered").split()
    out = []
    for e in events:
        c = dict(e)
        before = " ".join(rng.choice(words) for _ in range(9)).capitalize()
        after = " ".join(rng.choice(words) for _ in range(14))
        c["sentence"] = f"{before} in {e.get('name')} on Tuesday, {after}."
        c["title"] = " ".join(rng.choice(words) for _ in range(10)).capitalize()
        c["url"] = f"https://news.example.org/world/{c.get('article_id')}-{rng.randrange(10**6)}"
        c["alternatives"] = [{"name": f"{e.get('name')} {k}", "country_code": "XX", "kind": "city",
                              "score": rng.random()} for k in range(rng.randrange(4))]
        out.append(c)
    return out


def _run(case_rows: list, events, views_: list, span, gcc: GcClock, label: str) -> None:
    for k, v in enumerate(views_):
        r = time_filter_change(events, v, span, gcc)
        case_rows.append(r)
        log(f"  {label} [{k + 1}/{len(views_)}]: {r['n']:,} events, {r['total'] * 1000:.0f} ms")


def bench_server(events, span, args) -> dict:
    """Every case twice: first with Python's gc as it is, then as app.py runs it since it freezes the
    loaded events out of the collector (`gc.collect(); gc.freeze()` in `_events_cached`), on windows
    shifted by three days so that the second pass meets no warmer caches than the first."""
    gcc = GcClock()
    cases = _cases(events, span, args.repeats, max(2, min(3, args.repeats)))
    six = next(c for c in cases if "6 months" in c.label)

    # The first filter change of a process also loads the country outlines and fills the caches.
    v = _shift(six.views[len(six.views) // 2], 1)
    first = time_filter_change(events, v, span, gcc)
    log(f"first filter change of the process: {first['total'] * 1000:.0f} ms")

    log("pass 1: gc as is")
    for case in cases:
        _run(case.rows_asis, events, case.views, span, gcc, case.label + " (gc as is)")
    collections = list(gcc.collections)

    log("pass 2: as app.py runs (gc.collect(); gc.freeze() after loading)")
    gc.collect()
    gc.freeze()
    try:
        for case in cases:
            _run(case.rows, events, case.shifted, span, gcc, case.label)
        # The same 6-month windows with article-length text (diagnostic; not the target's data).
        rich = Case("6 months, article-length text (diagnostic)", six.shifted,
                    "the 6-month windows, the filtered events swapped (untimed) for copies with ~160-character "
                    "sentences, titles, URLs and 0-3 alternatives, as real articles have")
        for v in six.shifted:
            shown_as = news_like(views.filter_events(events, v, span))
            r = time_filter_change(events, v, span, gcc, shown_as=shown_as)
            rich.rows.append(r)
            log(f"  {rich.label}: {r['n']:,} events, {r['total'] * 1000:.0f} ms")
            del shown_as
        out = {"first": first, "cases": cases, "rich": rich, "gc_collections": collections,
               "frozen_collections": [b - a for a, b in zip(collections, gcc.collections)]}
        if args.profile:
            out["profile"] = profile_server(events, span, six.shifted[len(six.shifted) // 2])
    finally:
        gc.unfreeze()
        gcc.close()
    return out


def profile_server(events, span, view) -> str:
    """cProfile of one 6-month filter change (cumulative, top functions)."""
    import cProfile
    import io
    import pstats
    from streamlit_folium import _get_feature_group_string
    clear = getattr(getattr(mapview, "_days_colour", None), "cache_clear", None)
    if clear:
        clear()                             # as after a real window change
    pr = cProfile.Profile()
    pr.enable()
    shown = views.filter_events(events, view, span)
    fg = mapview.event_layer(shown, window=(view.start, view.end))
    m = mapview.build_map(asset_urls=assets.static_urls())
    m.get_root().render()
    _get_feature_group_string(fg, m)
    pr.disable()
    buf = io.StringIO()
    pstats.Stats(pr, stream=buf).sort_stats("tottime").print_stats(18)
    return buf.getvalue()


# --------------------------------------------------------------------------- browser side

def window_with(events, span, n_target: int) -> tuple[date, date]:
    """A window starting a year into the data that holds about `n_target` events."""
    lo, hi = (date.fromisoformat(x) for x in span)
    start = min(lo + timedelta(days=366), hi)
    days = sorted(e["day_start"] for e in events if e.get("day_start") and e["day_start"] >= start.isoformat())
    if not days:
        return lo, hi
    end = date.fromisoformat(days[min(n_target, len(days)) - 1])
    return start, end


def _naive_popup(e) -> str:
    esc = html.escape
    title, url, host, published = mapview.article_row(e)
    parts = mapview.highlight_parts(str(e.get("sentence") or ""), e)
    quote = (esc(parts[0]) + "<mark>" + esc(parts[1]) + "</mark>" + esc(parts[2])) if len(parts) == 3 \
        else esc(parts[0])
    where = ", ".join(esc(str(x)) for x in (e.get("kind"), e.get("country_code")) if x)
    alts = "".join(f"<li>{esc(str(a.get('name')))} ({esc(str(a.get('country_code')))})</li>"
                   for a in (e.get("alternatives") or [])[:6] if isinstance(a, dict))
    src = (f'<a href="{esc(url)}" target="_blank" rel="noopener">source: {esc(host)}</a>' if url
           else "<i>no source link</i>")
    return (f'<div class="ev-popup"><b>{esc(title)}</b><p>{esc(mapview.date_text(e))} '
            f'<i>({esc(str(e.get("precision") or ""))}, {esc(str(e.get("date_source") or ""))})</i></p>'
            f'<blockquote>{quote}</blockquote><p><b>{esc(str(e.get("name") or "?"))}</b> <i>({where})</i> · '
            f'geocode confidence {float(e.get("confidence") or 0):.2f}</p>'
            + (f"<p>Other candidates:</p><ul>{alts}</ul>" if alts else "<p><i>No other candidates.</i></p>")
            + f'<p>{src}{" · published " + esc(published) if published else ""}</p></div>')


def naive_html(events, clustered: bool) -> str:
    """One folium.Marker per event with its own Popup and Tooltip, as folium's docs show it."""
    import folium
    from folium.plugins import MarkerCluster
    m = mapview.build_map(assets_mode="inline")       # the same offline base map as ours
    target = m
    if clustered:
        target = MarkerCluster(name="events")
        target.default_js, target.default_css = [], []   # already inlined by build_map (no CDN)
        target.add_to(m)
    for e in events:
        if not mapview.has_point(e):
            continue
        folium.Marker([float(e["lat"]), float(e["lon"])],
                      popup=folium.Popup(_naive_popup(e), max_width=360),
                      tooltip=folium.Tooltip(html.escape(mapview.tooltip_text(e)).replace("`", "&#96;")),
                      ).add_to(target)
    return m.get_root().render()


# Long tasks (main thread blocked > 50 ms) from the very start of the page.
INIT_JS = """
window.__longtasks = [];
try {
  new PerformanceObserver(l => { for (const e of l.getEntries()) window.__longtasks.push([e.startTime, e.duration]); })
    .observe({type: 'longtask', buffered: true});
} catch (e) {}
"""

# Evaluated on every animation frame: false until pins + cluster numbers reach the expected count.
# The frame in which that is first seen (F) is the first to paint the last markers; Chromium starts
# frame F+2 only once F has been rasterised and activated, so the moment F+2 begins is taken as "shown".
# (This matters: 10,000 unclustered Leaflet markers are 10,000 composited layers, and with
# --disable-gpu the compositor needs far longer for them than the page's script.)
DONE_JS = """([sel, n]) => {
    if (window.__shown) { return window.__shown; }
    if (!window.__complete) {
        const clustered = [...document.querySelectorAll('.marker-cluster span')]
            .reduce((k, s) => k + parseInt(s.textContent, 10), 0);
        const pins = document.querySelectorAll(sel).length;
        if (pins + clustered !== n) { return false; }
        window.__complete = [performance.now(), pins, clustered];
        requestAnimationFrame(() => requestAnimationFrame(() => { window.__shown = performance.now(); }));
    }
    return false;
}"""


def time_page(pw, path: Path, sel: str, n: int, timeout_ms: int = 300_000) -> dict:
    """One load of `path` in a freshly launched Chromium (nothing left over from other pages)."""
    browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    version = browser.version
    ctx = browser.new_context(viewport=VIEWPORT)
    blocked, errors = [], []

    def route(r):
        if r.request.url.startswith(("file:", "data:")):
            r.continue_()
        else:
            blocked.append(r.request.url)
            r.abort()
    ctx.route("**/*", route)
    ctx.add_init_script(INIT_JS)
    page = ctx.new_page()
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        page.goto(path.as_uri(), wait_until="commit", timeout=timeout_ms)
        shown = page.wait_for_function(DONE_JS, arg=[sel, n], polling="raf", timeout=timeout_ms).json_value()
        info = page.evaluate("""() => {
            const nav = performance.getEntriesByType('navigation')[0];
            const lt = (window.__longtasks || []).filter(t => t[0] < window.__shown);
            return {complete: window.__complete, dcl: nav ? nav.domContentLoadedEventEnd : 0,
                    longest: lt.reduce((m, t) => Math.max(m, t[1]), 0),
                    blocked_ms: lt.reduce((s, t) => s + t[1], 0)};
        }""")
    finally:
        browser.close()
    return {"shown": shown, "complete": info["complete"][0], "pins": info["complete"][1],
            "clustered": info["complete"][2], "dcl": info["dcl"], "longest": info["longest"],
            "blocked_ms": info["blocked_ms"], "requests_blocked": len(blocked), "errors": errors,
            "version": version}


def bench_browser(events, span, args, tmp: Path) -> dict:
    start, end = window_with(events, span, args.window_events)
    shown = views.filter_events(events, views.ViewState(start=start, end=end), span)
    payload = mapview.event_payload(shown, (start, end))
    n_points = len(payload["points"])
    n_located = sum(1 for e in shown if mapview.has_point(e))
    log(f"browser window {start} … {end}: {len(shown):,} events, {n_points:,} pins "
        f"(+ {len(payload['areas'])} areas)")

    t = time.perf_counter()
    assets.inline_head()
    assets.basemap_json()
    mapview.standalone_html([], window=(start, end))          # warm: basemap simplification, outlines
    warm_s = time.perf_counter() - t

    pages = []
    builds = []
    for _ in range(3):
        t = time.perf_counter()
        ours = mapview.standalone_html(shown, window=(start, end))
        builds.append(time.perf_counter() - t)
    p = tmp / "ours.html"
    p.write_text(ours, encoding="utf-8")
    pages.append({"key": "ours", "label": "ours (`standalone_html`)", "path": p,
                  "sel": ".ev-pin", "n": n_points, "build_s": median(builds), "mb": len(ours.encode()) / 1e6,
                  "markers": f"{n_points:,} pins + {len(payload['areas'])} areas", "runs_wanted": args.runs})
    variants = [("naive_cluster", True, "naive, MarkerCluster")]
    if not args.no_plain:
        variants.append(("naive_plain", False, "naive, no clustering"))
    for key, clustered, label in variants:
        log(f"building {key}…")
        t = time.perf_counter()
        text = naive_html(shown, clustered)
        build_s = time.perf_counter() - t
        p = tmp / f"{key}.html"
        p.write_text(text, encoding="utf-8")
        pages.append({"key": key, "label": label, "path": p, "sel": ".leaflet-marker-icon:not(.marker-cluster)",
                      "n": n_located, "build_s": build_s, "mb": len(text.encode()) / 1e6,
                      "markers": f"{n_located:,} markers",
                      "runs_wanted": args.runs if clustered else min(args.runs, args.plain_runs)})
        del text

    from playwright.sync_api import sync_playwright
    load_before = os.getloadavg()[0]
    with sync_playwright() as pw:
        # One throw-away load first (Chromium's own start-up costs fall on nobody's first run).
        version = time_page(pw, pages[0]["path"], pages[0]["sel"], pages[0]["n"])["version"]
        for run in range(args.runs):        # interleaved, so drift on a shared machine hits all pages
            for pg in pages:
                if run >= pg["runs_wanted"]:
                    continue
                r = time_page(pw, pg["path"], pg["sel"], pg["n"])
                pg.setdefault("runs", []).append(r)
                log(f"  run {run + 1}/{pg['runs_wanted']} {pg['key']}: shown at {r['shown']:,.0f} ms, all markers "
                    f"on the page at {r['complete']:,.0f} ms (pins {r['pins']:,}, clustered {r['clustered']:,}; "
                    f"longest task {r['longest']:,.0f} ms)" + (f" ERRORS {r['errors'][:2]}" if r["errors"] else ""))
    for pg in pages:
        pg["shown_ms"] = median([r["shown"] for r in pg["runs"]])
    return {"window": (start, end), "n_shown": len(shown), "n_points": n_points, "n_areas": len(payload["areas"]),
            "pages": pages, "version": version, "warm_s": warm_s, "ours_builds": builds,
            "load": (load_before, os.getloadavg()[0])}


# --------------------------------------------------------------------------- basemap first paint (issue 13)

# The basemap is painted: country outlines drawn and, with the detail layer, its files for the view
# loaded and the labels placed; then two frames (as DONE_JS: the paint has reached the screen).
BASEMAP_DONE_JS = """(detail) => {
    if (window.__shown) { return window.__shown; }
    if (!window.__complete) {
        if (document.querySelectorAll('path.basemap-country').length < 200) { return false; }
        if (!window.__outlines) {
            window.__outlines = performance.now();
            requestAnimationFrame(() => requestAnimationFrame(() => { window.__outlinesShown = performance.now(); }));
        }
        if (detail && !((window.__basemapReady || 0) > 0 && document.querySelector('span.basemap-label'))) { return false; }
        window.__complete = [performance.now(), document.querySelectorAll('span.basemap-label').length,
                             document.querySelectorAll('path[class*=basemap-]').length];
        requestAnimationFrame(() => requestAnimationFrame(() => { window.__shown = performance.now(); }));
    }
    return false;
}"""


def seed_events() -> list:
    """The seed store's events: seeds/ ingested into a scratch SQLite store by the real pipeline."""
    from geo.ingest import ingest, read_inputs
    from geo.pipeline import Geoparser
    with tempfile.TemporaryDirectory() as tmp:
        with Store.open(Path(tmp) / "seed.db") as s:
            ingest(read_inputs([str(ROOT / "seeds")]), s, Geoparser())
            return s.events()


def time_basemap_page(pw, path: Path, detail: bool) -> dict:
    browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    ctx = browser.new_context(viewport=VIEWPORT)
    ctx.route("**/*", lambda r: r.continue_() if r.request.url.startswith(("file:", "data:")) else r.abort())
    ctx.add_init_script(INIT_JS)
    page = ctx.new_page()
    try:
        page.goto(path.as_uri(), wait_until="commit")
        shown = page.wait_for_function(BASEMAP_DONE_JS, arg=detail, polling="raf", timeout=120_000).json_value()
        info = page.evaluate("""() => { const lt = (window.__longtasks || []).filter(t => t[0] < window.__shown);
            return {complete: window.__complete, longest: lt.reduce((m, t) => Math.max(m, t[1]), 0),
                    outlines: window.__outlinesShown || window.__shown}; }""")
    finally:
        browser.close()
    return {"shown": shown, "outlines": info["outlines"], "labels": info["complete"][1], "paths": info["complete"][2],
            "longest": info["longest"]}


def bench_basemap(args, tmp: Path) -> dict:
    """First paint of the seed store's HTML export at zoom 3 and zoom 8, offline: with the basemap
    as it was before issue 13 (country outlines only: the detail element left out) and as it is."""
    from playwright.sync_api import sync_playwright
    events = [e for e in seed_events() if mapview.has_point(e)]
    box = mapview.bounds(events)
    center = ((box[0][0] + box[1][0]) / 2, (box[0][1] + box[1][1]) / 2)
    log(f"basemap: {len(events)} seed events around {center[0]:.2f}, {center[1]:.2f}")
    pages = []
    real_detail = mapview._basemap_detail
    for zoom in (3, 8):
        for key, detail in (("before", False), ("after", True)):
            mapview._basemap_detail = real_detail if detail else (lambda *a, **k: None)
            try:
                t = time.perf_counter()
                text = mapview.standalone_html(events, center=center, zoom=zoom)
                build_s = time.perf_counter() - t
            finally:
                mapview._basemap_detail = real_detail
            p = tmp / f"basemap_{key}_{zoom}.html"
            p.write_text(text, encoding="utf-8")
            pages.append({"zoom": zoom, "key": key, "detail": detail, "path": p, "mb": len(text.encode()) / 1e6,
                          "build_s": build_s, "runs": []})
    with sync_playwright() as pw:
        time_basemap_page(pw, pages[0]["path"], False)             # Chromium's own start-up: on nobody
        for run in range(args.runs):
            for pg in pages:
                r = time_basemap_page(pw, pg["path"], pg["detail"])
                pg["runs"].append(r)
                log(f"  run {run + 1}/{args.runs} zoom {pg['zoom']} {pg['key']}: outlines painted at "
                    f"{r['outlines']:,.0f} ms, all at {r['shown']:,.0f} ms "
                    f"({r['labels']} labels, {r['paths']} basemap paths; longest task {r['longest']:,.0f} ms)")
    for pg in pages:
        pg["shown_ms"] = median([r["shown"] for r in pg["runs"]])
        pg["outlines_ms"] = median([r["outlines"] for r in pg["runs"]])
    return {"pages": pages, "n_events": len(events), "center": center, "sizes": basemap_sizes()}


def basemap_sizes() -> dict:
    from geo import basemap
    return basemap.sizes()


def basemap_report(b: dict, runs: int) -> str:
    out = ["## Basemap: first map paint (issue 13)", "",
           f"The seed store ({b['n_events']} events) as the HTML export (`standalone_html`, every asset inlined), "
           f"offline, {VIEWPORT['width']}×{VIEWPORT['height']}, fresh Chromium per run, median of {runs}, from "
           "navigation start: *first paint* = the country outlines drawn and the next frame painted; *complete* = "
           "(after) the detail for the view drawn too and the labels placed, then the next frame painted. "
           "Before = country outlines only (the basemap before issue 13).", "",
           "| zoom | basemap | HTML | first paint | complete | labels | basemap paths | longest task |",
           "|---:|---|---:|---:|---:|---:|---:|---:|"]
    for pg in b["pages"]:
        r = pg["runs"][0]
        out.append(f"| {pg['zoom']} | {pg['key']} | {pg['mb']:.2f} MB | {pg['outlines_ms']:,.0f} ms | "
                   f"{pg['shown_ms']:,.0f} ms | {r['labels']} | "
                   f"{r['paths']} | {median([x['longest'] for x in pg['runs']]):,.0f} ms |")
    sz = b["sizes"]
    out += ["", "Built detail files (data/cache/basemap-v1, built once in "
            f"{sz['build_s']:.0f} s): " + ", ".join(f"band {i}: {x['files']} files, {x['bytes'] / 1e6:.2f} MB"
                                                  for i, x in enumerate(sz["bands"])) + f"; {sz['places']:,} places.", ""]
    return "\n".join(out)


# --------------------------------------------------------------------------- report

def _version(dist: str) -> str:
    from importlib.metadata import PackageNotFoundError, version
    try:
        return version(dist)
    except PackageNotFoundError:
        return "?"


def fmt_ms(s: float) -> str:
    return f"{s * 1000:,.0f}"


def server_target(six: Case) -> str:
    tot = [r["total"] for r in six.rows]
    asis = [r["total"] for r in six.rows_asis]
    ok = max(tot) * 1000 <= TARGET_SERVER_MS
    return (f"- Filter change, 6-month window (~{median([r['n'] for r in six.rows]):,.0f} events), as the app runs: "
            f"median {fmt_ms(median(tot))} ms, max {fmt_ms(max(tot))} ms (target <= {TARGET_SERVER_MS} ms): "
            + ("met." if ok else "**not met**" + (" (the median is)." if median(tot) * 1000 <= TARGET_SERVER_MS
                                                  else "."))
            + (f" With gc as is: median {fmt_ms(median(asis))} ms, max {fmt_ms(max(asis))} ms." if asis else ""))


def report(args, info, n_events, server, browser) -> str:
    import folium
    out = [f"## Map benchmark ({date.today().isoformat()})", "",
           "Command: `python benchmarks/map.py" + (" " + " ".join(args.argv) if args.argv else "") + "`", "",
           f"{os.cpu_count()} cores, Python {platform.python_version()}, folium {folium.__version__}, "
           f"streamlit-folium {_version('streamlit-folium')}"
           + (f", Chromium {browser['version']}" if browser else "")
           + f"; load average {info['load_start']:.1f} at the start (a shared machine: other jobs ran too).", ""]
    built = (f"built in {info['built_s']:.1f} s" if info["built_s"] is not None
             else "cached from an earlier run")
    out += [f"{n_events:,} synthetic events (`benchmarks/store.py`'s `synthetic_results`: 5,000 real gazetteer "
            f"places, 2020-2024) in a SQLite file ({built}); `Store.events()` loads them in "
            f"{info['load_s']:.1f} s (the app does this once and caches the list).", ""]
    if server:
        out += ["### Server side: one filter change", "",
                f"Each row: {args.repeats} different views of that kind, each timed once, as in the app's rerun: "
                "`views.filter_events` over all events, `mapview.event_layer(shown, window)`, and "
                "streamlit-folium's `_get_feature_group_string(fg, m)`, the string the browser receives. "
                "**total** is the sum of those three; the target is <= 300 ms.", "",
                "- *as the app runs*: after `gc.collect(); gc.freeze()` once the events are loaded, as app.py's "
                "`_events_cached` does (the collector then no longer walks the loaded events). The step columns "
                "are from this pass.",
                "- *gc as is*: the same views (the sliding windows three days earlier) before that, with Python's "
                "collector untouched; *of which gc* is the time spent inside the collector (`gc.callbacks`), "
                "median.",
                "- *rest of st_folium* (not in the total): the base map (`build_map()` + streamlit-folium's map "
                "string) and the JSON encoding of the component's arguments, also paid on every rerun.", "",
                "| filter change | events shown | filter_events ms | event_layer ms | feature-group string ms "
                "| payload MB | **total ms**, median | total ms, max | gc as is: total median / max ms "
                "| of which gc ms | rest of st_folium ms | <= 300 ms (max) |",
                "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"]

        def verdict(rows) -> str:
            med, mx = median([r["total"] for r in rows]) * 1000, max(r["total"] for r in rows) * 1000
            return "yes" if mx <= TARGET_SERVER_MS else ("median only" if med <= TARGET_SERVER_MS else "**no**")

        for case in server["cases"] + [server["rich"]]:
            rows, asis = case.rows, case.rows_asis
            ns = [r["n"] for r in rows]
            n_txt = f"{ns[0]:,}" if min(ns) == max(ns) else f"{min(ns):,}–{max(ns):,}"
            asis_txt = (f"{fmt_ms(median([r['total'] for r in asis]))} / {fmt_ms(max(r['total'] for r in asis))}"
                        if asis else "–")
            gc_txt = fmt_ms(median([r["gc"] for r in asis])) if asis else "–"
            ok = verdict(rows) + (f"; gc as is: {verdict(asis)}" if asis else "")
            out.append(f"| {case.label} | {n_txt} | {fmt_ms(median([r['filter'] for r in rows]))} | "
                       f"{fmt_ms(median([r['layer'] for r in rows]))} | {fmt_ms(median([r['fg'] for r in rows]))} | "
                       f"{median([r['mb'] for r in rows]):.2f} | **{fmt_ms(median([r['total'] for r in rows]))}** | "
                       f"{fmt_ms(max(r['total'] for r in rows))} | {asis_txt} | {gc_txt} | "
                       f"{fmt_ms(median([r['rest'] for r in rows]))} | {ok} |")
        out.append("")
        by_note: dict = {}
        for c in server["cases"] + [server["rich"]]:
            if c.note:
                by_note.setdefault(c.note, []).append(c.label)
        notes = [f"- {'; '.join(labels)}: {note}." for note, labels in by_note.items()]
        first = server["first"]
        notes.append(f"- The first filter change of a process (not in the table) took {fmt_ms(first['total'])} ms "
                     f"for {first['n']:,} events: country outlines and caches are filled then.")
        g, f = server["gc_collections"], server["frozen_collections"]
        notes.append(f"- Collections, gc as is: {g[0]:,} young, {g[1]:,} middle, {g[2]:,} full (each full one walks "
                     f"every container object, the {n_events:,} loaded events included); as the app runs: "
                     f"{f[0]:,} young, {f[1]:,} middle, {f[2]:,} full.")
        out += ["Views:", ""] + notes + [""]
        if server.get("profile"):
            out += ["cProfile of one 6-month change (tottime):", "", "```",
                    server["profile"].strip(), "```", ""]
    if browser:
        b = browser
        ours = b["pages"][0]
        out += ["### Browser: one window of events in headless Chromium", "",
                f"Window {b['window'][0]} … {b['window'][1]}: {b['n_shown']:,} events ({b['n_points']:,} towns "
                f"and admin2 units, which ours draws as clustered pins; ours draws the other {b['n_areas']} "
                "area groups as outlines/circles, the naive pages make every event a marker). Each page is one "
                "self-contained file on the same offline base map (`build_map(assets_mode=\"inline\")`: Leaflet, "
                "markercluster and the country outlines inlined); every request that is not file: or data: is "
                "aborted (only the OSM tiles try). Every run launches a fresh Chromium (`--disable-gpu`, viewport "
                f"{VIEWPORT['width']}×{VIEWPORT['height']}); runs are interleaved across pages.", "",
                "- *naive*: one `folium.Marker` per event with its own `folium.Popup` (the same fields as "
                "ours, HTML put together in Python with every string escaped) and `folium.Tooltip`, in a "
                "`folium.plugins.MarkerCluster` (folium's defaults) or added straight to the map.",
                "- *all on page*: from navigation start until the pins plus the numbers on the cluster icons "
                "add up to every event (checked on every animation frame, as `COUNT_JS` in the tests).",
                "- ***shown***: until that frame has been drawn (the start of the frame after next; see "
                "`DONE_JS`). The target is on this one.",
                "- *longest task*: the longest stretch the page's main thread was blocked before *shown* "
                "(no scrolling, no clicks meanwhile).", "",
                "| page | markers | Python build s | HTML MB | all on page ms | **shown ms** | runs (shown ms) "
                "| longest task ms | × ours, browser | × ours, build + browser |",
                "|---|---|---:|---:|---:|---:|---|---:|---:|---:|"]
        ours_total = ours["build_s"] + ours["shown_ms"] / 1000
        for pg in b["pages"]:
            runs = ", ".join(f"{r['shown']:,.0f}" for r in pg["runs"])
            ratio = pg["shown_ms"] / ours["shown_ms"]
            ratio_total = (pg["build_s"] + pg["shown_ms"] / 1000) / ours_total
            out.append(f"| {pg['label']} | {pg['markers']} | {pg['build_s']:.2f} | {pg['mb']:.1f} | "
                       f"{median([r['complete'] for r in pg['runs']]):,.0f} | **{pg['shown_ms']:,.0f}** | {runs} | "
                       f"{median([r['longest'] for r in pg['runs']]):,.0f} | {ratio:.1f} | {ratio_total:.1f} |")
        out.append("")
        errors = sorted({e for pg in b["pages"] for r in pg["runs"] for e in r["errors"]})
        out.append("- Medians over the runs listed. Python build: ours the median of 3 (the first build of a "
                   f"process also simplifies the basemap and outlines: {b['warm_s']:.1f} s, not counted); each "
                   "naive page built once.")
        out.append("- *× ours, build + browser* adds the Python build to the browser time: an export, or a "
                   "Streamlit rerun that rebuilt the naive map, pays both.")
        out.append(f"- The machine is shared: load average {b['load'][0]:.1f} before the browser runs, "
                   f"{b['load'][1]:.1f} after ({os.cpu_count()} cores).")
        out.append("- Page errors: " + ("none." if not errors else "; ".join(errors[:5])))
        out.append("")
        naive = [pg for pg in b["pages"] if pg["key"] != "ours"]
        out += ["### Targets", "",
                f"- Ours shown in {ours['shown_ms']:,.0f} ms (target <= {TARGET_BROWSER_MS:,} ms): "
                + ("met." if ours["shown_ms"] <= TARGET_BROWSER_MS else "**not met**.")]
        for pg in naive:
            r = pg["shown_ms"] / ours["shown_ms"]
            out.append(f"- {pg['label']} / ours, in the browser: {r:.1f}× (expected >= {TARGET_RATIO}×): "
                       + ("met." if r >= TARGET_RATIO else "**not met**.")
                       + f" Build + browser: {(pg['build_s'] + pg['shown_ms'] / 1000) / ours_total:.1f}×.")
        if server:
            six = next(c for c in server["cases"] if "6 months" in c.label)
            out.append(server_target(six))
        out.append("")
    elif server:
        six = next(c for c in server["cases"] if "6 months" in c.label)
        out += ["### Targets", "", server_target(six), ""]
    return "\n".join(out)


# --------------------------------------------------------------------------- playback (issue 13)

# sampled every 10 ms in the page: the URL (the app writes the window there at the end of each run),
# the app's run state, and the map's legend in its iframe (drawn when the map has the step's layer)
PLAYBACK_JS = """() => { window.__samples = [];
    setInterval(() => {
        const app = document.querySelector('[data-testid=stApp]');
        const f = document.querySelector("iframe[title='streamlit_folium.st_folium']");
        let legend = null;
        try { const l = f && f.contentDocument.querySelector('.ev-legend'); legend = l ? l.innerText : null; } catch (e) {}
        window.__samples.push([performance.now(), location.search,
                               app ? app.getAttribute('data-test-script-state') : null, legend]);
    }, 10); }"""


def playback_steps(samples: list) -> list:
    """Seconds per playback step: from the start of the run that moved the window (the app's run
    state turning to running) until, after the URL shows the new window, the app is idle again and
    the map's legend has been redrawn (its text settled for 50 ms)."""
    out, run_start, prev_state, prev_url = [], None, None, None
    i = 0
    while i < len(samples):
        t, url, state, legend = samples[i]
        if state == "running" and prev_state != "running":
            run_start = t
        prev_state = state
        if prev_url is not None and url != prev_url and run_start is not None:
            j = i
            while j < len(samples) and samples[j][2] == "running":
                j += 1
            k = j
            while k + 5 < len(samples) and any(samples[m][3] != samples[k][3] for m in range(k, k + 5)):
                k += 1
            if k < len(samples):
                out.append((samples[k][0] - run_start) / 1000)
            run_start = None
        prev_url = url
        i += 1
    return out


def bench_playback(args, tmp: Path) -> dict:
    """One playback step on tests/app_data.py's store (a one-day window stepping one day at a time
    through 5 – 14 March 2024, 1×), in headless Chromium: before (the app of commit 343baf8, whose
    ticker reruns the whole page each step) and after (the fragment: map and histogram only)."""
    import subprocess
    sys.path.insert(0, str(ROOT))
    from playwright.sync_api import sync_playwright
    from tests.app_data import build_store
    from tests.browser import streamlit_server
    old = ROOT / "_bench_app_343baf8.py"          # run from the project root, as app.py is
    old.write_bytes(subprocess.run(["git", "show", "343baf8:app.py"], cwd=ROOT, capture_output=True,
                                   check=True).stdout)
    results = {}
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            for label, script in (("before: full-page rerun per step (343baf8)", old.name),
                                  ("after: fragment rerun per step", "app.py")):
                db = tmp / f"{len(results)}.db"
                build_store(db)
                steps = []
                for run in range(args.runs):
                    with streamlit_server(script, ROOT, tmp / f"log{len(results)}{run}.txt",
                                          env={"GEO_DB": str(db)}) as server:
                        page = browser.new_page(viewport=VIEWPORT)
                        page.context.route("**/*", lambda r: r.continue_() if r.request.url.startswith(
                            (server.url, "data:", "blob:", "about:")) else r.abort())
                        page.goto(server.url + "/?start=2024-03-05&end=2024-03-05")
                        page.get_by_text("Showing 3 of 11 events").wait_for(timeout=120_000)
                        page.frame_locator("iframe[title='streamlit_folium.st_folium']").locator(
                            ".ev-legend").wait_for(timeout=60_000)
                        page.wait_for_timeout(2000)
                        page.get_by_role("combobox", name="Play step").click()
                        page.get_by_role("option", name="1 day", exact=True).click()
                        page.wait_for_timeout(1500)
                        if script == "app.py":
                            page.get_by_text("Skip empty steps", exact=True).click()    # every day, as before
                            page.wait_for_timeout(1500)
                        page.evaluate(PLAYBACK_JS)
                        if script == "app.py":
                            page.get_by_role("button", name="▶ Play").click()
                        else:                                # (the app before: a switch in the sidebar)
                            page.get_by_text("Auto-play", exact=True).click()
                        page.wait_for_function("() => new URLSearchParams(location.search).get('start') === "
                                               "'2024-03-14'", timeout=120_000)
                        page.wait_for_timeout(1500)
                        got = playback_steps(page.evaluate("() => window.__samples"))
                        steps += got[1:]         # (the first: the switch's own run with it)
                        log(f"playback {label}, run {run + 1}: " + ", ".join(f"{x * 1000:.0f}" for x in got) + " ms")
                        page.close()
                results[label] = steps
            browser.close()
    finally:
        old.unlink(missing_ok=True)
    return results


def playback_report(results: dict, runs: int) -> str:
    lines = ["## Playback step (issue 13)", "",
             f"tests/app_data.py's store, a one-day window stepping a day at a time through 5 – 14 March 2024 "
             f"at 1× (1.5 s a step), headless Chromium, network off; {runs} run(s) each. A step: from the start of the "
             "run that moves the window until the app is idle again and the map's legend has been redrawn.", "",
             "| app | steps timed | median ms | min ms | max ms |", "|---|---:|---:|---:|---:|"]
    for label, xs in results.items():
        if xs:
            lines.append(f"| {label} | {len(xs)} | **{median(xs) * 1000:,.0f}** | {min(xs) * 1000:,.0f} | "
                         f"{max(xs) * 1000:,.0f} |")
        else:
            lines.append(f"| {label} | 0 | – | – | – |")
    lines += ["", f"- Load average {os.getloadavg()[0]:.1f} at the end (2 cores, shared with other work).",
              "- `python benchmarks/map.py --playback [--runs N]`"]
    return "\n".join(lines)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--events", type=int, default=100_000, help="events in the store (default 100,000)")
    ap.add_argument("--window-events", type=int, default=10_000, help="events in the browser's window")
    ap.add_argument("--repeats", type=int, default=7, help="views timed per server-side row (default 7)")
    ap.add_argument("--runs", type=int, default=3, help="browser runs per page (default 3)")
    ap.add_argument("--db", type=Path, default=None, help="SQLite file (default data/cache/bench_map_N.db)")
    ap.add_argument("--rebuild", action="store_true", help="build the SQLite file again")
    ap.add_argument("--skip-server", action="store_true")
    ap.add_argument("--skip-browser", action="store_true")
    ap.add_argument("--no-plain", action="store_true", help="skip the naive page without clustering")
    ap.add_argument("--plain-runs", type=int, default=3,
                    help="browser runs of the naive page without clustering (default 3, ~10 s each)")
    ap.add_argument("--profile", action="store_true", help="add a cProfile of one 6-month filter change")
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "map.md")
    ap.add_argument("--basemap", action="store_true",
                    help="only the basemap's first paint (seed store, zoom 3 and 8, before/after issue 13); "
                         "report to benchmarks/results/map_basemap.md unless --out")
    ap.add_argument("--playback", action="store_true",
                    help="only the playback step, before (343baf8: full-page rerun) and after (fragment); "
                         "the report is appended to benchmarks/results/map.md unless --out")
    args = ap.parse_args()
    if args.playback:
        with tempfile.TemporaryDirectory() as tmp:
            text = playback_report(bench_playback(args, Path(tmp)), args.runs)
        if "--out" in sys.argv:
            args.out.write_text(text + "\n", encoding="utf-8")
        else:
            old = args.out.read_text(encoding="utf-8") if args.out.exists() else ""
            old = old.split("\n## Playback step (issue 13)")[0].rstrip("\n")
            args.out.write_text(old + "\n\n" + text + "\n", encoding="utf-8")
        print(text)
        return 0
    if args.basemap:
        out = args.out if "--out" in sys.argv else ROOT / "benchmarks" / "results" / "map_basemap.md"
        with tempfile.TemporaryDirectory() as tmp:
            text = basemap_report(bench_basemap(args, Path(tmp)), args.runs)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text + "\n", encoding="utf-8")
        print(text)
        return 0
    args.argv = sys.argv[1:]
    args.repeats = max(1, min(args.repeats, len(TEXT_NEEDLES)))
    db = args.db or ROOT / "data" / "cache" / f"bench_map_{args.events}.db"

    t0 = time.perf_counter()
    load_start = os.getloadavg()[0]
    events, span, info = open_events(args.events, db, args.rebuild)
    info["load_start"] = load_start
    log(f"{len(events):,} events loaded in {info['load_s']:.1f} s; span {span[0]} … {span[1]}")
    server = None if args.skip_server else bench_server(events, span, args)
    browser = None
    if not args.skip_browser:
        if not Path(CHROMIUM).exists():
            log(f"skipped the browser part: {CHROMIUM} not found")
        else:
            with tempfile.TemporaryDirectory() as tmp:
                browser = bench_browser(events, span, args, Path(tmp))
    text = report(args, info, len(events), server, browser)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text + "\n", encoding="utf-8")
    print(text)
    log(f"wrote {args.out} in {time.perf_counter() - t0:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
