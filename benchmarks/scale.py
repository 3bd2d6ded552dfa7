"""Scale benchmark (issue 12 item 6): the app on stores of 100k, 1M (and, on PostGIS, 10M) synthetic
events with realistic text, in the server and in headless Chromium.

    python benchmarks/scale.py --events 100000 1000000 [--db sqlite|postgresql://…] [--cache DIR]
                               [--repeats 5] [--browser-runs 3] [--skip-server] [--skip-browser]
                               [--rebuild] [--corpus ../shared/corpora] [--out benchmarks/results/scale.md]
    python benchmarks/scale.py --report-only       # the table again from the cached figures

**The stores.** The 89 VOA stories (`../shared/corpora/voa`) are ingested once through the real
pipeline (`geo.ingest.ingest` with `geo.pipeline.Geoparser`, `Store.add`) into a template store
(``voa_template.db`` in the cache): its articles, mentions (with their alternatives) and events are
the rows real ingests write. A synthetic store of N events holds copies of those articles, each
published on a day drawn over three years (density growing towards the end, e ** (t / 1.5 years)),
its event dates shifted with it (a day by days, a month by months, a year by years), its places
moved together by up to ±0.15° (so grid cells and boxes see spread, the place keys stay), its text,
title and URL given a serial number (so every content hash differs). Rows are written by bulk
inserts into the schema `Store.open` creates
(mentions copied in SQL from the attached template), each event first its own incident; then the
incidents are grouped in one pass (`group_incidents_bulk`: the store's own link test, component
cutting and incident writer, with candidates found by a date sweep instead of a query per event;
`--check-incidents DB` checks on copies of DB that it gives what `Store.rebuild_incidents()` gives,
which takes hours at 1M; `--incidents store` uses that instead). The result is a normal store
(schema, R*Tree, incidents, revision). Built stores are cached
as ``DIR/scale_N.db`` (default DIR ``/tmp/geo-scale``); a rerun reuses them.

**Server time per view.** For each view, the store calls `app.py`'s `page()` makes for it, in its
order, timed one by one on a fresh Store (as a new Streamlit run after the view changed): per
revision (cached by the app, so paid once per revision): `date_span`, `filter_options`, `count_view()`;
per view: `estimate_view(f)` (the count; off the fixed sample above 100,000 events), then up to
GEO_MAX_PINS `view_events(f)`, else, with the map's box, `estimate_view(f + box)` and `view_events` or
`view_cells(cell of the zoom)`, `view_histogram(bucket)`,
the table page (`view_events(newest_first, limit=500)`, big views only); and the map layer the app
builds from them (`mapview.event_layer` / `density_layer`, reported apart). Wall and CPU time.
Views: the latest day, week, month and year of news (ending on the last publication day: reported
events scheduled for later take the data's span, and so the app's presets, months past the news),
everything; each without a box (the world, zoom 2) and with the box of a 900×540 px map at zooms
3, 6, 9 around the densest town; the latest month with a type filter and with a text filter (the
most frequent place name), everything with that text, and the app's own Month preset.
`--repeats` runs each; median and max. PostgreSQL (`--db postgresql://…`, a database for the
benchmark only: it is emptied): the SQLite store of the same size is built (or reused) and copied
over row for row (`copy_to_postgis`: COPY, ids kept, sequences moved on, ANALYZE).

**In Chromium** (Debian's, headless, through Playwright; network off except the app): `streamlit run
app.py` on the store; a warm-up visit of the app's default opening, then `--browser-runs` fresh pages
opened on a link to the month of news ending two weeks before the last publication day: time from
navigation to the map drawn (event pins, areas or grid cells in the map's frame) and to the end of
the last rerun (the map reports its position back, which reruns the app); then, on the same page,
"Step ▶" twice (the window one week later: a slider step) and the presets Week, Month, Everything,
each timed from the click to the redrawn map (the previous layer gone, the new one drawn) and to the
end of the last rerun; medians. Then the Streamlit process's RSS (now and peak, /proc). Database
size on disk (file + -wal).

Progress goes to stderr; the Markdown report is printed and written to `--out`. The machine may be
shared: each report says the load average.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import platform
import random
import sqlite3
import statistics
import subprocess
import sys
import time
import urllib.request
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

os.environ.setdefault("STREAMLIT_LOGGER_LEVEL", "error")

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from geo import mapview, views  # noqa: E402
from geo.store import Store  # noqa: E402
from geo.store.base import content_hash, day_bounds, source_label  # noqa: E402

DEFAULT_CACHE = Path("/tmp/geo-scale")
CHROMIUM = "/usr/bin/chromium"
VIEWPORT = {"width": 1280, "height": 800}
MAP_PX = (900, 540)                 # the map's size on that page (sidebar on the left)
SPREAD_DAYS = 3 * 365
RECENCY_DAYS = 1.5 * 365            # publication density grows as e ** (t / RECENCY_DAYS)
END_DAY = date(2025, 11, 30)        # the last publication day
JITTER_DEG = 0.15
MAX_PINS = int(os.environ.get("GEO_MAX_PINS") or 5000)    # as app.py
TABLE_ROWS = 500
TARGET_VIEW_MS = 300
TARGET_FIRST_MAP_S = 3.0
TARGET_CHANGE_S = 1.0
TARGET_STEP_100K_S = 0.5
TARGET_RSS_MB = 1024


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def median(xs):
    return statistics.median(xs) if xs else float("nan")


def is_pg(location: str) -> bool:
    return str(location).startswith(("postgresql://", "postgres://"))


# --------------------------------------------------------------------------- the template (real ingest)

def template_store(cache: Path, corpus: Path) -> Path:
    """The 89 VOA stories ingested once through the real pipeline (cached)."""
    path = cache / "voa_template.db"
    if path.exists():
        return path
    from benchmarks.corpora import voa_path
    from geo.ingest import ingest, read_inputs
    from geo.pipeline import Geoparser
    src = voa_path(corpus)
    tmp = cache / "voa_template.tmp.db"
    for p in (tmp, Path(f"{tmp}-wal"), Path(f"{tmp}-shm")):
        p.unlink(missing_ok=True)
    log(f"ingesting {src} through the pipeline into the template store…")
    t = time.perf_counter()
    gp = Geoparser()
    with Store.open(tmp) as store:
        summary = ingest(read_inputs([str(src)]), store, gp)
    log(f"  {summary.added} articles, {summary.events} events in {time.perf_counter() - t:.0f} s")
    conn = sqlite3.connect(tmp)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    tmp.rename(path)
    for p in (Path(f"{tmp}-wal"), Path(f"{tmp}-shm")):
        p.unlink(missing_ok=True)
    return path


def _columns(conn, table: str) -> list:
    """The stored (not generated) columns of a table, in order."""
    return [r[1] for r in conn.execute(f"PRAGMA table_xinfo({table})") if r[6] == 0]


def read_template(path: Path) -> dict:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    conn.row_factory = sqlite3.Row
    arts = [dict(r) for r in conn.execute("SELECT * FROM articles ORDER BY id")]
    ev_cols = [c for c in _columns(conn, "events") if c not in ("id", "article_id", "incident_id", "component_id")]
    events = {}
    for r in conn.execute(f"SELECT article_id, {', '.join(ev_cols)} FROM events ORDER BY id"):
        events.setdefault(r["article_id"], []).append({c: r[c] for c in ev_cols})
    m_cols = [c for c in _columns(conn, "mentions") if c not in ("id", "article_id")]
    stats = {"articles": len(arts),
             "events": sum(len(v) for v in events.values()),
             "mentions": conn.execute("SELECT COUNT(*) FROM mentions").fetchone()[0],
             "mention_alternatives": conn.execute(
                 "SELECT AVG(json_array_length(alternatives)) FROM mentions").fetchone()[0],
             "event_alternatives": conn.execute(
                 "SELECT AVG(json_array_length(alternatives)) FROM events").fetchone()[0],
             "text_chars": conn.execute("SELECT AVG(length(text)) FROM articles").fetchone()[0]}
    conn.close()
    return {"articles": arts, "events": events, "ev_cols": ev_cols, "m_cols": m_cols, "stats": stats}


# --------------------------------------------------------------------------- shifting dates

def _add_months(y: int, m: int, k: int) -> tuple:
    t = y * 12 + (m - 1) + k
    return t // 12, t % 12 + 1


def shift_value(v, days: int):
    """A stored date value ('YYYY-MM-DD', 'YYYY-MM', 'YYYY', 'A/B') moved by about `days`: a day by
    days, a month by whole months, a year by whole years."""
    if v is None:
        return None
    v = str(v)
    if "/" in v:
        a, b = v.split("/", 1)
        return f"{shift_value(a, days)}/{shift_value(b, days)}"
    if len(v) == 10:
        return (date.fromisoformat(v) + timedelta(days=days)).isoformat()
    if len(v) == 7:
        y, m = _add_months(int(v[:4]), int(v[5:7]), round(days / 30.4375))
        return f"{y:04d}-{m:02d}"
    if len(v) == 4 and v.isdigit():
        return f"{int(v) + round(days / 365.25):04d}"
    return v                                     # '199X' and the like: left as they are


def shifted_event(e: dict, days: int) -> tuple:
    """(date, date_end, day_start, day_end) of a template event moved by `days`."""
    if e["date"] is None:
        return None, None, None, None
    d = shift_value(e["date"], days)
    d_end = e["date_end"]
    if d_end is not None:
        d_end = shift_value(d_end, days)
    try:
        lo, hi = day_bounds(d, d_end)
    except ValueError:
        lo, hi = day_bounds(d)
        d_end = hi
    return d, d_end, lo, hi


# --------------------------------------------------------------------------- building a store

def publication_days(n: int, rng: random.Random) -> list:
    """n publication days over SPREAD_DAYS up to END_DAY, denser towards the end, sorted."""
    k = SPREAD_DAYS / RECENCY_DAYS
    out = []
    for _ in range(n):
        u = rng.random()
        t = RECENCY_DAYS * math.log(1 + u * (math.exp(k) - 1))      # inverse CDF of e ** (t / R)
        out.append(END_DAY - timedelta(days=SPREAD_DAYS - min(SPREAD_DAYS, int(t))))
    out.sort()
    return out


def db_files(path) -> list:
    return [Path(str(path) + s) for s in ("", "-wal", "-shm")]


def db_size(location) -> int:
    if is_pg(location):
        with Store.open(location) as s:
            return int(s._read("SELECT pg_database_size(current_database())")[0][0])
    return sum(p.stat().st_size for p in db_files(location) if p.exists())


def build_store(n_events: int, location, template_path: Path, seed: int = 12, incidents: str = "bulk") -> dict:
    """Write a synthetic store of about n_events events (see the module docstring)."""
    tpl = read_template(template_path)
    rng = random.Random(seed)
    info = {"template": tpl["stats"]}
    t0 = time.perf_counter()
    if is_pg(location):
        # the SQLite store of the same size (built first when missing), copied over row for row
        sqlite_path = template_path.parent / f"scale_{n_events}.db"
        if not sqlite_path.exists():
            build_store(n_events, sqlite_path, template_path, seed, incidents)
        info = copy_to_postgis(sqlite_path, location)
        info["template"] = tpl["stats"]
        info["build_s"] = time.perf_counter() - t0
        info["db_bytes"] = db_size(location)
        return info
    path = Path(location)
    for p in db_files(path):
        p.unlink(missing_ok=True)
    Store.open(path).close()                        # the schema, as the store creates it
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode = OFF")       # the bulk load only; WAL again at the end
    conn.execute("PRAGMA synchronous = OFF")
    conn.execute("PRAGMA cache_size = -1000000")
    conn.execute("PRAGMA temp_store = MEMORY")
    conn.execute("ATTACH DATABASE ? AS t", (f"file:{template_path}?mode=ro",))
    conn.execute("CREATE TEMP TABLE copies (article_id INTEGER PRIMARY KEY, tid INTEGER NOT NULL,"
                 " dlat REAL NOT NULL, dlon REAL NOT NULL)")
    ev_cols = tpl["ev_cols"]
    ins_event = (f"INSERT INTO events (id, article_id, incident_id, component_id, {', '.join(ev_cols)})"
                 f" VALUES ({', '.join('?' * (len(ev_cols) + 4))})")
    a_cols = [c for c in _columns(conn, "articles") if c != "id"]
    ins_article = (f"INSERT INTO articles (id, {', '.join(a_cols)}) VALUES ({', '.join('?' * (len(a_cols) + 1))})")
    m_cols = tpl["m_cols"]
    m_select = ", ".join(
        {"lat": "CASE WHEN m.lat IS NULL THEN NULL ELSE MAX(-90.0, MIN(90.0, m.lat + c.dlat)) END",
         "lon": "CASE WHEN m.lon IS NULL THEN NULL ELSE MAX(-180.0, MIN(180.0, m.lon + c.dlon)) END"}
        .get(c, f'm."{c}"') for c in m_cols)
    quoted = ", ".join('"%s"' % c for c in m_cols)
    ins_mentions = (f"INSERT INTO mentions (article_id, {quoted})"
                    f" SELECT c.article_id, {m_select} FROM temp.copies c JOIN t.mentions m ON m.article_id = c.tid"
                    " ORDER BY c.article_id, m.id")
    picks, total = [], 0                            # the template of each copy, until n_events
    while total < n_events:
        a = rng.choice(tpl["articles"])
        picks.append(a)
        total += len(tpl["events"].get(a["id"], ()))
    n_articles = len(picks)
    days = publication_days(n_articles, rng)
    now = datetime.now(timezone.utc).isoformat(timespec="seconds")
    aid, eid, written = 0, 0, 0
    chunk = 20_000
    for lo in range(0, n_articles, chunk):
        art_rows, ev_rows, copies = [], [], []
        for a, day in zip(picks[lo:lo + chunk], days[lo:lo + chunk]):
            aid += 1
            tpub = date.fromisoformat(str(a["published"])[:10]) if a["published"] else day
            shift = (day - tpub).days
            dlat, dlon = rng.uniform(-JITTER_DEG, JITTER_DEG), rng.uniform(-JITTER_DEG, JITTER_DEG)
            text = f"{a['text']}\n\n[copy {aid}]"
            row = dict(a)
            row.update(content_hash=content_hash(text), text=text, external_id=f"{a['external_id']}-{aid}",
                       title=f"{a['title']} ({aid})" if a["title"] else a["title"],
                       url=f"{a['url']}?copy={aid}" if a["url"] else a["url"], ingested_at=now,
                       published=(shift_value(str(a["published"])[:10], shift) + str(a["published"])[10:]
                                  if a["published"] else None))
            row["source_label"] = source_label(row["url"], row["title"])
            art_rows.append([aid] + [row[c] for c in a_cols])
            copies.append((aid, a["id"], dlat, dlon))
            for e in tpl["events"].get(a["id"], ()):
                if eid >= n_events:
                    break
                eid += 1
                ev = dict(e)
                ev["date"], ev["date_end"], ev["day_start"], ev["day_end"] = shifted_event(e, shift)
                if ev["lat"] is not None:
                    ev["lat"] = max(-90.0, min(90.0, ev["lat"] + dlat))
                if ev["lon"] is not None:
                    ev["lon"] = max(-180.0, min(180.0, ev["lon"] + dlon))
                own = None if ev["hidden"] else eid
                ev_rows.append([eid, aid, own, own] + [ev[c] for c in ev_cols])
        if not art_rows:
            break
        conn.execute("BEGIN")
        conn.executemany(ins_article, art_rows)
        conn.executemany(ins_event, ev_rows)
        conn.execute("DELETE FROM temp.copies")
        conn.executemany("INSERT INTO temp.copies VALUES (?, ?, ?, ?)", copies)
        conn.execute(ins_mentions)
        conn.execute("COMMIT")
        written = eid
        log(f"  {aid:,} articles, {written:,} events ({time.perf_counter() - t0:.0f} s)")
    conn.execute("DETACH DATABASE t")
    conn.execute("UPDATE store_meta SET value = '1' WHERE key = 'revision'")
    conn.execute("PRAGMA journal_mode = WAL")
    info["insert_s"] = time.perf_counter() - t0
    # The incident grouping's candidate queries for long events ("e.place_key = ? AND e.day_start = ?
    # … AND e.type = ?") are planned on events_type (schema 7) instead of events_place_key, which
    # makes each one scan every event of its type. The index is set aside while the store groups the
    # events and then made again as it was (same SQL), so the store ends exactly as the schema has it.
    type_index = conn.execute("SELECT sql FROM sqlite_master WHERE type = 'index' AND name = 'events_type'").fetchone()
    if type_index:
        conn.execute("DROP INDEX events_type")
    conn.close()
    t1 = time.perf_counter()
    info["incidents_grouped"] = incidents
    with Store.open(path) as s:
        if incidents == "store":
            s.rebuild_incidents()
    if incidents == "bulk":
        group_incidents_bulk(path)
    with Store.open(path) as s:
        info["incidents"] = s._read("SELECT COUNT(DISTINCT incident_id) FROM events WHERE hidden = 0")[0][0]
        info["multi_incidents"] = s._read("SELECT COUNT(*) FROM incidents")[0][0]
        info["articles"], info["events"] = s.count_articles(), s.count_events()
        info["mentions"] = s._read("SELECT COUNT(*) FROM mentions")[0][0]
    info["incidents_s"] = time.perf_counter() - t1
    conn = sqlite3.connect(path)
    if type_index:
        conn.execute(type_index[0])
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    info["build_s"] = time.perf_counter() - t0
    info["db_bytes"] = db_size(path)
    return info


def group_incidents_bulk(path: Path) -> int:
    """Group every event of a freshly built store (each its own incident) into incidents in one pass,
    giving what `Store.rebuild_incidents()` gives (checked against it by `--check-incidents`), in
    seconds instead of hours at 1M events: the store's own `_links` decides every link, its
    `_split_component` / `_incident_row` / `_write_components` cut and write the components; only the
    candidates are found differently: a date sweep per event type instead of one query per event.

    Links by place key need no check beyond the dates: the events of one key and type still open
    when an event starts all meet it and each other (they started before it and end no earlier
    than a day before it starts), so once they come from two articles they are one component and the
    new event joins it through any one of them from another article. Links by distance (5 km, other
    keys) are found on a grid of 0.05° cells and decided by `_links`."""
    import heapq
    from geo.store import base
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA cache_size = -1000000")
    nodes = [base._Node(*r) for r in conn.execute(base._NODE_SQL + " WHERE e.hidden = 0 AND e.day_start IS NOT NULL")]
    parent: dict = {}

    def find(x):
        while parent.get(x, x) != x:
            nxt = parent.get(parent[x], parent[x])
            parent[x] = nxt
            x = nxt
        return x

    def union(a, b):
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)

    cell = 0.05
    dlat = base.INCIDENT_KM / 111.0

    def cells_near(n):
        i, j = math.floor(n.lat / cell), math.floor(n.lon / cell)
        coslat = math.cos(math.radians(min(89.9, abs(n.lat) + dlat)))
        k = int(math.ceil(dlat / coslat / cell))
        return [(i + a, j + b) for a in (-1, 0, 1) for b in range(-k, k + 1)]

    def spatial(n):
        return n.lat is not None and n.lon is not None and (n.kind not in base.AREA_KINDS or not n.place_key)

    class Open:
        """The events open for linking: by place key (a list and its articles) and by grid cell."""
        def __init__(self):
            self.by_key: dict = {}
            self.articles: dict = {}
            self.grid: dict = {}

        def add(self, n):
            if n.place_key:
                self.by_key.setdefault(n.place_key, {})[n.id] = n
                arts = self.articles.setdefault(n.place_key, {})
                arts[n.article_id] = arts.get(n.article_id, 0) + 1
            if spatial(n):
                c = (math.floor(n.lat / cell), math.floor(n.lon / cell))
                self.grid.setdefault(c, {}).setdefault(n.place_key, {})[n.id] = n

        def drop(self, n):
            if n.place_key:
                del self.by_key[n.place_key][n.id]
                arts = self.articles[n.place_key]
                arts[n.article_id] -= 1
                if not arts[n.article_id]:
                    del arts[n.article_id]
            if spatial(n):
                del self.grid[(math.floor(n.lat / cell), math.floor(n.lon / cell))][n.place_key][n.id]

        def link(self, n):
            if n.place_key and self.by_key.get(n.place_key):
                arts = self.articles[n.place_key]
                if len(arts) >= 2:               # one component already: join it through one event
                    m = next(m for m in self.by_key[n.place_key].values() if m.article_id != n.article_id)
                    union(n.id, m.id)
                elif n.article_id not in arts:   # all from one other article: each meets n
                    for m in self.by_key[n.place_key].values():
                        union(n.id, m.id)
            if spatial(n):
                for c in cells_near(n):
                    for key, members in self.grid.get(c, {}).items():
                        if n.place_key and key == n.place_key:
                            continue             # linked by key above
                        for m in members.values():
                            if base._links(n, m):
                                union(n.id, m.id)

    by_type: dict = {}
    for n in nodes:
        by_type.setdefault((n.type, bool(n.long_span)), []).append(n)
    slack = base.INCIDENT_SLACK_DAYS
    for (typ, long), group in by_type.items():
        if long:                                  # only the same interval: each interval on its own
            by_interval: dict = {}
            for n in group:
                by_interval.setdefault((n.day_start, n.day_end), []).append(n)
            for members in by_interval.values():
                opened = Open()
                for n in members:
                    opened.link(n)
                    opened.add(n)
            continue
        group.sort(key=lambda n: (n.day_start, n.id))
        opened, ends = Open(), []
        for n in group:
            # close those that end more than `slack` days before n starts
            limit = base._shift(n.day_start, -slack)
            while ends and ends[0][0] < limit:
                _, _, m = heapq.heappop(ends)
                opened.drop(m)
            opened.link(n)
            opened.add(n)
            heapq.heappush(ends, (n.day_end, n.id, n))
    comps: dict = {}
    for n in nodes:
        comps.setdefault(find(n.id), []).append(n)
    conn.execute("BEGIN IMMEDIATE")
    Store._write_components(conn, list(comps.values()), set())
    conn.execute("DELETE FROM store_meta WHERE key = 'incidents_stale'")
    conn.execute("COMMIT")
    conn.close()
    return len(comps)


def check_incidents(path: Path) -> bool:
    """Does `group_incidents_bulk` give what `Store.rebuild_incidents()` gives on this store? (on copies)"""
    import shutil
    a, b = path.with_suffix(".check_a.db"), path.with_suffix(".check_b.db")
    out = []
    for copy, how in ((a, "bulk"), (b, "store")):
        shutil.copyfile(path, copy)
        conn = sqlite3.connect(copy)
        conn.execute("DELETE FROM incidents")
        conn.execute("UPDATE events SET incident_id = CASE WHEN hidden THEN NULL ELSE id END,"
                     " component_id = CASE WHEN hidden THEN NULL ELSE id END")
        conn.commit()
        conn.close()
        t = time.perf_counter()
        if how == "bulk":
            group_incidents_bulk(copy)
        else:
            with Store.open(copy) as s:
                s.rebuild_incidents()
        conn = sqlite3.connect(copy)
        out.append((conn.execute("SELECT id, incident_id, component_id FROM events ORDER BY id").fetchall(),
                    conn.execute("SELECT * FROM incidents ORDER BY id").fetchall()))
        conn.close()
        log(f"  {how}: {time.perf_counter() - t:.1f} s")
        for p in db_files(copy):
            p.unlink(missing_ok=True)
    same = out[0] == out[1]
    log(f"incidents of {path}: bulk grouping {'==' if same else '!='} Store.rebuild_incidents()"
        f" ({len(out[0][1]):,} incidents of 2+ events)")
    return same


def ensure_store(n: int, args) -> tuple:
    """(location, build info) of the store of n events, built when not cached."""
    location = args.db_url if args.db_url else str(args.cache / f"scale_{n}.db")
    meta = args.cache / f"scale_{n}{'_pg' if args.db_url else ''}.build.json"
    if not args.rebuild and meta.exists() and (is_pg(location) or Path(location).exists()):
        info = json.loads(meta.read_text())
        info["cached"] = True
        return location, info
    tpl = template_store(args.cache, args.corpus)
    log(f"building {location} with {n:,} events…")
    info = build_store(n, location, tpl, incidents=args.incidents)
    info["cached"] = False
    meta.write_text(json.dumps(info, indent=1))
    log(f"built in {info['build_s']:.0f} s (inserts {info['insert_s']:.0f} s, incidents {info['incidents_s']:.0f} s),"
        f" {info['db_bytes'] / 1e9:.2f} GB")
    return location, info


def copy_to_postgis(sqlite_path: Path, url: str) -> dict:
    """Copy a built SQLite store into the PostgreSQL database at `url` (emptied first: a database for
    the benchmark only): the schema as `Store.open` makes it, then every table's rows by COPY, ids
    kept, the identity sequences moved past them, then ANALYZE. The same store on both backends."""
    import psycopg
    t0 = time.perf_counter()
    with psycopg.connect(url, autocommit=True) as pg:
        ours = [r[0] for r in pg.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'spatial_ref_sys'")]
        for t in ours:
            pg.execute(f'DROP TABLE IF EXISTS "{t}" CASCADE')
    Store.open(url).close()                                   # the schema, as the store creates it
    src = sqlite3.connect(f"file:{sqlite_path}?mode=ro", uri=True)
    counts = {}
    with psycopg.connect(url) as pg:
        pg.execute("SET session_replication_role = replica")  # no FK checks while the rows go in
        tables = [t for t in ("articles", "mentions", "incidents", "events", "corrections", "snapshots",
                              "store_meta") if t in {r[0] for r in pg.execute(
                                  "SELECT tablename FROM pg_tables WHERE schemaname = 'public'")}]
        for t in tables:
            pg_cols = [r[0] for r in pg.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_name = %s AND is_generated = 'NEVER'"
                " ORDER BY ordinal_position", (t,))]
            cols = [c for c in pg_cols if c in set(_columns(src, t))]
            if t == "store_meta":
                pg.execute("DELETE FROM store_meta WHERE key IN (SELECT unnest(%s::text[]))",
                           ([r[0] for r in src.execute("SELECT key FROM store_meta")],))
            quoted = ", ".join(f'"{c}"' for c in cols)
            n = 0
            with pg.cursor().copy(f"COPY {t} ({quoted}) FROM STDIN") as cp:
                for row in src.execute(f"SELECT {quoted} FROM {t}"):
                    cp.write_row(row)
                    n += 1
            counts[t] = n
            if "id" in cols and t != "store_meta" and pg.execute(
                    "SELECT pg_get_serial_sequence(%s, 'id')", (t,)).fetchone()[0]:    # (snapshot ids are text)
                pg.execute(f"SELECT setval(pg_get_serial_sequence('{t}', 'id'), GREATEST(COALESCE(MAX(id), 0), 1))"
                           f" FROM {t}")
            log(f"  copied {n:,} rows of {t} ({time.perf_counter() - t0:.0f} s)")
        pg.commit()
    src.close()
    with psycopg.connect(url, autocommit=True) as pg:
        pg.execute("ANALYZE")
    return {"insert_s": time.perf_counter() - t0, "incidents_s": 0.0, "copied_from": str(sqlite_path),
            "rows": counts, "incidents_grouped": "copied", "events": counts.get("events", 0),
            "articles": counts.get("articles", 0)}


# --------------------------------------------------------------------------- server time per view

def map_bounds(lat: float, lon: float, zoom: int) -> dict:
    """Leaflet's bounds of a MAP_PX map centred on (lat, lon) at `zoom` (Web Mercator)."""
    def y(lat_):
        s = math.sin(math.radians(lat_))
        return 0.5 - math.log((1 + s) / (1 - s)) / (4 * math.pi)

    def lat_of(yy):
        return math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * yy))))
    world = 256 * 2 ** zoom
    dx = MAP_PX[0] / world * 360 / 2
    cy = y(lat)
    dy = MAP_PX[1] / world / 2
    return {"_southWest": {"lat": lat_of(min(1.0, cy + dy)), "lng": lon - dx},
            "_northEast": {"lat": lat_of(max(0.0, cy - dy)), "lng": lon + dx}}


def densest_place(store) -> tuple:
    row = store._read("SELECT place_key, AVG(lat), AVG(lon), COUNT(*) FROM events WHERE lat IS NOT NULL"
                      " AND kind NOT IN ('country', 'continent', 'region', 'admin1')"
                      " GROUP BY place_key ORDER BY COUNT(*) DESC LIMIT 1")
    return (row[0][1], row[0][2], row[0][0]) if row else (0.0, 0.0, None)


def last_news_day(store) -> date:
    """The last publication day in the store (the "latest" windows end there: scheduled events
    reported for later make the data's span, and so the app's presets, end months after it)."""
    return date.fromisoformat(str(store._read("SELECT MAX(published) FROM articles")[0][0])[:10])


def view_cases(span, opts, centre, text_needle: str, news_end: date) -> list:
    """(label, ViewState, map bounds or None, zoom) per view."""
    lo, hi = (date.fromisoformat(x) for x in span)
    pre = views.presets(hi, lo)

    def back(days):
        return (max(lo, news_end - timedelta(days=days - 1)), news_end)
    windows = [("latest day", back(1)), ("latest week", back(7)), ("latest month", back(30)),
               ("latest year", back(365)), ("everything", pre["Everything"])]
    out = []
    for name, (s, e) in windows:
        out.append((f"{name}, world (zoom 2)", views.ViewState(start=s, end=e, zoom=2), None, 2))
        for z in (3, 6, 9):
            out.append((f"{name}, zoom {z} box", views.ViewState(start=s, end=e, zoom=z,
                                                                 center=(centre[0], centre[1])),
                        map_bounds(centre[0], centre[1], z), z))
    s, e = back(30)
    typ = "battle" if "battle" in opts["types"] else opts["types"][0]
    out.append((f"latest month, type = {typ}", views.ViewState(start=s, end=e, zoom=2, types=(typ,)), None, 2))
    out.append((f"latest month, text '{text_needle}'", views.ViewState(start=s, end=e, zoom=2, text=text_needle),
                None, 2))
    s, e = pre["Everything"]
    out.append((f"everything, text '{text_needle}'", views.ViewState(start=s, end=e, zoom=2, text=text_needle),
                None, 2))
    s, e = pre["Month"]
    out.append((f"the app's Month preset ({s} … {e}), world", views.ViewState(start=s, end=e, zoom=2), None, 2))
    return out


def time_view(store, view, bounds, zoom, span) -> dict:
    """The store calls of one app rerun for this view (app.py page()), each timed, and the layer."""
    t = {}

    cpu = {"s": 0.0}

    def timed(key, fn):
        c0, t0 = time.process_time(), time.perf_counter()
        out = fn()
        t[key] = t.get(key, 0.0) + time.perf_counter() - t0
        cpu["s"] += time.process_time() - c0
        return out
    f = views.store_filters(view, span)
    n = timed("count", lambda: store.estimate_view(**f))[0]
    shown = cells = None
    if n <= MAX_PINS:
        shown = timed("pins", lambda: store.view_events(**f))
    else:
        box = views.padded_bbox(bounds) if bounds else None
        fb = dict(f, bbox=box) if box else f
        if box and timed("count", lambda: store.estimate_view(**fb))[0] <= MAX_PINS:
            shown = timed("pins", lambda: store.view_events(**fb))
        else:
            cell = views.cell_degrees(zoom)
            cells = timed("cells", lambda: store.view_cells(cell, **fb))
    bucket = views.auto_bucket(view.start, view.end)
    timed("histogram", lambda: store.view_histogram(bucket, **f))
    if n > MAX_PINS:
        timed("table", lambda: store.view_events(newest_first=True, limit=TABLE_ROWS, **f))
    store_s = sum(t.values())
    window = (view.start, view.end) if view.start and view.end else None
    t0 = time.perf_counter()
    if shown is not None:
        mapview.event_layer(shown, window=window, rows_cache={})
    else:
        mapview.density_layer(cells)
    layer_s = time.perf_counter() - t0
    return {"n": n, "drawn": ("pins", len(shown)) if shown is not None else ("cells", len(cells)),
            "store_s": store_s, "cpu_s": cpu["s"], "layer_s": layer_s, "steps": t}


def bench_server(location, repeats: int) -> dict:
    with Store.open(location) as store:
        per_rev = {}
        for key, fn in (("date_span", lambda: store.date_span(role="reported")),
                        ("filter_options", store.filter_options), ("count_view()", store.count_view)):
            ts = []
            for _ in range(repeats):
                t0 = time.perf_counter()
                out = fn()
                ts.append(time.perf_counter() - t0)
            per_rev[key] = ts
            if key == "date_span":
                span = out
            elif key == "filter_options":
                opts = out
        lat, lon, key = densest_place(store)
        news_end = last_news_day(store)
        log(f"span {span[0]} … {span[1]}; last publication {news_end}; densest place {key} ({lat:.2f}, {lon:.2f})")
        # the text filter: the place named most often in the first articles (a name the text holds)
        needle = store._read("SELECT name FROM events WHERE id <= 20000 AND name IS NOT NULL"
                             " GROUP BY name ORDER BY COUNT(*) DESC LIMIT 1")[0][0]
        cases = view_cases(span, opts, (lat, lon), needle, news_end)
    rows = []
    for label, view, bounds, zoom in cases:
        runs = []
        for _ in range(repeats):
            with Store.open(location) as store:       # a fresh connection, as each app run opens one
                runs.append(time_view(store, view, bounds, zoom, span))
        r = {"label": label, "n": runs[0]["n"], "drawn": runs[0]["drawn"],
             "store_ms": [x["store_s"] * 1000 for x in runs], "cpu_ms": [x["cpu_s"] * 1000 for x in runs],
             "layer_ms": [x["layer_s"] * 1000 for x in runs],
             "steps_ms": {k: median([x["steps"].get(k, 0.0) * 1000 for x in runs]) for k in runs[0]["steps"]}}
        rows.append(r)
        log(f"  {label}: {r['n']:,} events, {r['drawn'][1]:,} {r['drawn'][0]}; store median "
            f"{median(r['store_ms']):,.0f} ms (max {max(r['store_ms']):,.0f}), layer {median(r['layer_ms']):,.0f} ms; "
            + ", ".join(f"{k} {v:,.0f}" for k, v in r["steps_ms"].items()))
    return {"span": list(span), "news_end": news_end.isoformat(),
            "per_revision_ms": {k: [x * 1000 for x in v] for k, v in per_rev.items()},
            "views": rows, "centre": [lat, lon, key]}


def explain(location, span) -> list:
    """EXPLAIN QUERY PLAN of the slow view queries (SQLite)."""
    if is_pg(location):
        return []
    out = []
    with Store.open(location) as store:
        lo, hi = (date.fromisoformat(x) for x in span)
        for label, view in (("everything", views.ViewState(start=lo, end=hi)),
                            ("latest month", views.ViewState(start=hi - timedelta(days=29), end=hi))):
            f = views.store_filters(view, span)
            sql, params = store._filtered(f)
            for what, q in (("count_view", "SELECT COUNT(*)" + sql),
                            ("view_histogram", "SELECT COUNT(DISTINCT COALESCE(e.incident_id, e.id))" + sql)):
                plan = store._read("EXPLAIN QUERY PLAN " + q, params)
                out.append({"view": label, "query": what, "plan": [r[-1] for r in plan]})
    return out


# --------------------------------------------------------------------------- in Chromium

LAYER_SEL = ".ev-pin, .marker-cluster, path.ev-area, path.ev-cell, .ev-cell-n"
STATE_JS = """window.__runs = 0; window.__lastChange = performance.now();
new MutationObserver(() => { window.__lastChange = performance.now(); window.__runs += 1; })
    .observe(document, {attributes: true, subtree: true, attributeFilter: ['data-test-script-state']});"""
IDLE_JS = """() => {
    const app = document.querySelector('[data-testid=stApp]');
    return !!app && app.getAttribute('data-test-script-state') === 'notRunning'
        && performance.now() - window.__lastChange > 1500;
}"""
IDLE_AFTER_JS = """t => {
    const app = document.querySelector('[data-testid=stApp]');
    return !!app && app.getAttribute('data-test-script-state') === 'notRunning'
        && performance.now() - Math.max(window.__lastChange, t) > 1500;
}"""
FRESH_LAYER_JS = f"""() => {{
    const els = [...document.querySelectorAll({LAYER_SEL!r})];
    return els.length > 0 && els.every(e => !e.hasAttribute('data-old'));
}}"""
MARK_OLD_JS = f"""() => {{ document.querySelectorAll({LAYER_SEL!r}).forEach(e => e.setAttribute('data-old', '1'));
    return document.querySelectorAll({LAYER_SEL!r}).length; }}"""
COUNT_LAYER_JS = """() => ({pins: document.querySelectorAll('.ev-pin').length,
    clusters: document.querySelectorAll('.marker-cluster').length,
    areas: document.querySelectorAll('path.ev-area').length,
    cells: document.querySelectorAll('path.ev-cell').length})"""


class App:
    """`streamlit run app.py` on a store, headless on a free port (like tests/browser.py's helper,
    keeping the process for its RSS)."""

    def __init__(self, location, log_path: Path):
        from tests.browser import free_port
        self.port = free_port()
        env = {**os.environ, "GEO_DB": str(location), "STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false"}
        self.log = open(log_path, "wb")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
             "--server.address", "127.0.0.1", "--server.port", str(self.port),
             "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"],
            cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT)
        self.url = f"http://127.0.0.1:{self.port}"
        deadline = time.time() + 90
        while True:
            try:
                with urllib.request.urlopen(self.url + "/_stcore/health", timeout=1) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if self.proc.poll() is not None or time.time() > deadline:
                raise RuntimeError(f"streamlit did not start: see {log_path}")
            time.sleep(0.2)

    def rss_mb(self) -> tuple:
        """(VmRSS, VmHWM) of the Streamlit process in MB."""
        got = {}
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            k, _, v = line.partition(":")
            if k in ("VmRSS", "VmHWM"):
                got[k] = int(v.split()[0]) / 1024
        return got.get("VmRSS", float("nan")), got.get("VmHWM", float("nan"))

    def close(self):
        self.proc.terminate()
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()


def _frame(page, timeout_ms: int):
    from tests.browser import STREAMLIT_FOLIUM_IFRAME
    handle = page.locator(STREAMLIT_FOLIUM_IFRAME).element_handle(timeout=timeout_ms)
    return handle.content_frame()


def _now_ms(page) -> float:
    return page.evaluate("performance.now()")


def first_map(page, url: str, timeout_ms: int) -> dict:
    t_nav = time.perf_counter()
    page.goto(url, wait_until="commit", timeout=timeout_ms)
    frame = _frame(page, timeout_ms)
    frame.wait_for_function(FRESH_LAYER_JS, timeout=timeout_ms, polling=50)
    t_map = time.perf_counter() - t_nav
    # idle counted from the drawing on: the map reports its position once it has drawn, which reruns
    # the app (the fragment, then the page); a click before that lands in those reruns
    drawn_at = _now_ms(page)
    page.wait_for_function(IDLE_AFTER_JS, arg=drawn_at, timeout=timeout_ms, polling=100)
    idle_at = page.evaluate("window.__lastChange")          # ms since the page's time origin
    return {"map_s": t_map, "idle_s": idle_at / 1000, "layer": frame.evaluate(COUNT_LAYER_JS),
            "runs": page.evaluate("window.__runs")}


def change(page, click, timeout_ms: int) -> dict:
    """Click, then wait for the old layer to be replaced by a new one and the app to be idle."""
    frame = _frame(page, timeout_ms)
    frame.evaluate(MARK_OLD_JS)
    t0_page = _now_ms(page)
    t0 = time.perf_counter()
    click()
    try:
        frame = _frame(page, timeout_ms)
        frame.wait_for_function(FRESH_LAYER_JS, timeout=timeout_ms, polling=30)
        map_s = time.perf_counter() - t0
    except Exception:                                   # noqa: BLE001 - an empty view: no layer drawn
        map_s = float("nan")
    page.wait_for_function(IDLE_JS, timeout=timeout_ms, polling=100)
    idle_s = (page.evaluate("window.__lastChange") - t0_page) / 1000
    return {"map_s": map_s, "idle_s": idle_s, "layer": frame.evaluate(COUNT_LAYER_JS)}


def bench_browser(location, args, log_path: Path) -> dict:
    """Fresh pages on the app: the default opening (no URL view) once as a warm-up, then
    `--browser-runs` pages opened on a link to the month of news ending 14 days before the last
    publication day; on each: Step ▶ twice (the window a week later: a slider step), then the
    presets Week, Month and Everything (which end on the data's last day, see `last_news_day`)."""
    from playwright.sync_api import sync_playwright
    from geo.export import CHROMIUM_ARGS
    timeout_ms = args.browser_timeout * 1000
    with Store.open(location) as s:
        news_end = last_news_day(s)
    end = news_end - timedelta(days=14)
    link = f"?start={(end - timedelta(days=29)).isoformat()}&end={end.isoformat()}"
    app = App(location, log_path)
    out = {"first": [], "changes": {}, "errors": [], "link": link}
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                out["version"] = browser.version
                for run in range(args.browser_runs + 1):
                    ctx = browser.new_context(viewport=VIEWPORT)
                    ctx.route("**/*", lambda r: r.continue_() if r.request.url.startswith(app.url)
                              else r.abort())
                    page = ctx.new_page()
                    page.add_init_script(STATE_JS)
                    page.on("pageerror", lambda exc: out["errors"].append(str(exc)))
                    # the first visit of the process also imports modules and loads the assets
                    r = first_map(page, app.url + ("/" if run == 0 else "/" + link), timeout_ms)
                    label = "default opening, warm-up" if run == 0 else f"run {run}, {link}"
                    log(f"  first map ({label}): drawn {r['map_s']:.2f} s, idle {r['idle_s']:.2f} s, {r['layer']}")
                    if run == 0:
                        out["warm"] = r
                        ctx.close()
                        continue
                    out["first"].append(r)
                    step = lambda: page.get_by_role("button", name="Step ▶").click()   # noqa: E731
                    for name, click in (("Step ▶ (a week later)", step), ("Step ▶ (a week later) ", step),
                                        ("Week", lambda: page.get_by_role("button", name="Week", exact=True).click()),
                                        ("Month", lambda: page.get_by_role("button", name="Month", exact=True).click()),
                                        ("Everything", lambda: page.get_by_role("button", name="Everything",
                                                                                exact=True).click())):
                        c = change(page, click, timeout_ms)
                        out["changes"].setdefault(name.strip(), []).append(c)
                        log(f"  {name}: redrawn {c['map_s']:.2f} s, idle {c['idle_s']:.2f} s, {c['layer']}")
                    ctx.close()
            finally:
                browser.close()
        out["rss_mb"], out["peak_rss_mb"] = app.rss_mb()
    finally:
        app.close()
    return out


# --------------------------------------------------------------------------- report

def fmt_ms(x) -> str:
    return "–" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:,.0f}"


def fmt_s(x) -> str:
    return "–" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.2f}"


def spread(xs, f=fmt_s) -> str:
    xs = [x for x in xs if not math.isnan(x)]
    if not xs:
        return "–"
    if len(xs) == 1:
        return f(xs[0])
    return f"{f(median(xs))} ({f(min(xs))}–{f(max(xs))})"


FINDINGS = """### Where the time went before the covering indexes (measured 2026-12-01 on these stores, before schema 9; kept as the record of why; the fixes are in the README)

1. **A date window reads every long event that starts before its end.** `_event_filter`'s window is
   `e.id IN (day_start BETWEEN lo-31 AND hi UNION ALL long_span = 1 AND day_start <= hi)`; a fifth of the events
   real ingests make last over a month (years, ranges: 19,900 of 100k), so the latest day (448 events at 100k)
   looks up 24,359 rows, 315 of them long events that meet it. Suggest a partial index
   `events(day_end, day_start) WHERE long_span = 1` and `long_span = 1 AND day_end >= lo AND day_start <= hi`.
2. **Every aggregate reads whole event rows, joined to `articles`.** count, cells and histogram need ~8 narrow
   columns but read the row (sentence, alternatives, actors, mention text) and look up the article (4 KB of text
   a row) for each event even with no text/source filter; dropping the joins halves a year's count (807 → 389 ms
   wall at 100k). Suggest joining `articles` only for text/source filters and `incidents` only for min_sources,
   and a covering index (or a narrow table) `(day_start, day_end, role, hidden, type, lat, lon, incident_id)`.
3. **Three or four passes per view, O(events in the view) each.** count, cells/pins, histogram and the table
   each filter again; a year at 1M costs 4–12 s per query, everything 5–30 s. Beyond index work, big windows need
   pre-aggregated counts: per (day, type, role, coarse grid cell) kept on write or per revision, summed for
   count, histogram and cells (about 1,100 days × a few hundred cells instead of 800k rows).
4. **The table's newest 500 sort the whole view** (`ORDER BY e.day_start IS NULL, e.day_start DESC, e.id DESC`:
   `USE TEMP B-TREE FOR ORDER BY` over full rows, 13–18 s for everything at 1M). Suggest an order the day_start
   index gives (no `IS NULL` term when the window excludes undated events) so LIMIT stops after 500, or ids first.
5. **A near-world box leads with the R*Tree on latitude only.** At zoom 3 the padded box is 316° wide and crosses
   the antimeridian, so `_driver` picks 'rtree' (the only estimate without dates) and scans the R*Tree joined row
   by row: everything + zoom-3 box 85 s at 1M vs 30 s without a box (100k: count 1,413 vs 160 ms CPU). Suggest
   `padded_bbox` returning None over ~180° of longitude, and `_driver` never leading with an estimate ≥ 0.5.
6. **Pins cost as much again in Python.** `view_events` decodes every pin's alternatives (the app does not pass
   `slim=True`) and `mapview.event_layer` lays out 4,813 pins in 2.4–3 s wall; the 100k slider step that lands on
   that view takes 6.7–15.5 s cold. Suggest `slim=True` for the map and caching each event's layer row by id.
7. **Per session, uncached:** `base_view` calls `view_bounds(role='reported')` (a full scan) for every new
   session and `count_view()` / `date_span` cost 2.7 s / 0.4 s at 100k, 5.8 s / 0.9 s at 1M per revision; a page
   whose views are all cached still takes 17–32 s (100k) and 24 s (1M) to its first map. Suggest storing the
   bounds, span and counts in `store_meta`, maintained on write.
8. **The app's presets end months after the news:** reported events scheduled for later (ranges, next year) take
   the span to 2026-04-14 while the last article is of 2025-11-29, so "Month" shows 46 (100k) / 347 (1M) events.
   Suggest ending the presets at the last publication day (or today).
9. **The incident grouping's long-event candidate query is planned on `events_type`** (schema 7) instead of
   `events_place_key` (`WHERE e.place_key = ? AND e.day_start = ? AND +e.day_end = ? AND e.type = ?` →
   `SEARCH e USING INDEX events_type (type=?)`): each long event added scans every event of its type.
   `rebuild_incidents` on the 10k store: 56 s with the index, 4 s without; 100k: over 12 min (stopped). Ingest into
   a 1M store pays it for every year-long event. Suggest `+e.type` in `NEIGHBOUR_COMMON` (or `INDEXED BY`).
   (This benchmark sets the index aside while grouping and makes it again.)

Not measured: 10M events on PostGIS (the store would be about 90 GB; 65 GB of disk are free here). Synthetic copies of 89 stories group into fewer, larger incidents than real
news would (1M events: 55,089 incidents, 50,822 of two or more events).
"""


def report(results: dict, argv: list) -> str:
    sizes = sorted(results, key=lambda k: results[k]["n"])
    load = [r.get("load", [None, None]) for r in results.values()]
    out = [f"## Scale benchmark ({date.today().isoformat()})", "",
           "Commands: " + ", ".join(sorted({f"`python benchmarks/scale.py {r['argv']}`"
                                            for r in results.values() if r.get("argv")})
                                    or {"`python benchmarks/scale.py " + " ".join(argv) + "`"})
           + " (the report again: `--report-only`).", "",
           f"{os.cpu_count()} cores, Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}. "
           "**The machine was shared** with other jobs (tests, a long benchmark) while this ran: load average "
           + ", ".join(f"{a:.1f}–{b:.1f}" for a, b in load if a is not None)
           + " (2 cores), so every figure is the median of repeats with its spread; best = min.", ""]
    any_r = results[sizes[0]]
    st = any_r["build"]["template"]
    out += [f"Stores: copies of the {st['articles']} VOA stories as the real pipeline ingested them "
            f"({st['events']} events, {st['mentions']:,} mentions: {st['events'] / st['articles']:.1f} events and "
            f"{st['mentions'] / st['articles']:.0f} mentions per article, {st['mention_alternatives']:.1f} "
            f"alternatives per mention, {st['text_chars']:,.0f} characters of text per article), published over "
            f"3 years up to {END_DAY} (denser towards the end), dates shifted with them, places moved by up to "
            f"±{JITTER_DEG}°; incidents grouped in one pass by `group_incidents_bulk` (the store's own link test and "
            "incident writer; identical to `Store.rebuild_incidents()` on the 10k store, which it checks with "
            "`--check-incidents`).", ""]
    # the summary
    out += ["### Summary", "",
            "| store | events | articles | DB size | build s (inserts + incidents) | first map s, cold / cached | "
            "slider step (Step ▶) redrawn s, cold / cached | Everything clicked, redrawn s, cold / cached | "
            "worst view, store ms | "
            "views over 300 ms | Streamlit RSS MB (peak) |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for k in sizes:
        r = results[k]
        b = r["build"]
        sv, br = r.get("server"), r.get("browser")
        worst = max(sv["views"], key=lambda v: median(v["store_ms"])) if sv else None
        over = sum(1 for v in sv["views"] if max(v["store_ms"]) > TARGET_VIEW_MS) if sv else None
        if br:
            def cold_warm(xs_by_run):
                cold = xs_by_run[0] if xs_by_run else []
                warm = [x for xs in xs_by_run[1:] for x in xs]
                return f"{spread(cold)} / {spread(warm)}"
            fm = cold_warm([[x["map_s"]] for x in br["first"]])
            n_runs = len(br["first"])
            def page_of(cs, k):                           # the clicks of page k (in page order)
                per = max(1, len(cs) // max(1, n_runs))
                return cs[k * per:(k + 1) * per]
            steps = cold_warm([[c["map_s"] for name, cs in br["changes"].items() if name.startswith("Step")
                                for c in page_of(cs, k)] for k in range(n_runs)])
            pres = cold_warm([[c["map_s"] for c in page_of(br["changes"].get("Everything", []), k)]
                              for k in range(n_runs)])
            rss = f"{br['rss_mb']:,.0f} ({br['peak_rss_mb']:,.0f})"
        else:
            fm, steps, pres, rss = "–", "–", "–", "–"
        out.append(f"| {r['backend']} | {b['events']:,} | {b['articles']:,} | {b['db_bytes'] / 1e9:.2f} GB | "
                   f"{b['build_s']:,.0f} ({b['insert_s']:,.0f} + {b['incidents_s']:,.0f}) | {fm} | "
                   f"{steps} | {pres} | "
                   + (f"{fmt_ms(median(worst['store_ms']))} ({worst['label']})" if worst else "–")
                   + f" | {over if over is not None else '–'} of {len(sv['views']) if sv else '–'} | {rss} |")
    out += ["", "Browser figures: from the navigation or the click to the map drawn (for a change: the previous "
            "layer gone and the new one drawn in the map's frame), median (min–max). *Cold*: the first page, whose "
            "views the server computes; *cached*: the later pages, which ask for the same views again and get them "
            "from the app's per-revision cache (`_revision_memo`, shared by the sessions): what a second analyst "
            "opening the same link meets. Targets: "
            "100k: a slider step ≤ 0.5 s; 1M (SQLite): first map ≤ 3 s, change ≤ 1 s, every view ≤ 300 ms, "
            "RSS ≤ 1 GB.", ""]
    for k in sizes:
        r = results[k]
        n = r["build"]["events"]
        sv, br = r.get("server"), r.get("browser")
        out += [f"### {n:,} events ({r['backend']})", ""]
        if sv:
            pr = sv["per_revision_ms"]
            out += [f"Span of reported events {sv['span'][0]} … {sv['span'][1]} (events scheduled for later take "
                    f"it months past the news: the \"latest\" windows end on the last publication day, "
                    f"{sv.get('news_end')}); boxes centred on the densest town ({sv['centre'][2]}). Once per store "
                    "revision (the app caches them): "
                    + ", ".join(f"`{key}` {spread(v, fmt_ms)} ms" for key, v in pr.items()) + ".", "",
                    "Store ms = wall time of the view's store calls (median and max of the repeats; the steps "
                    "are medians); CPU ms = the process's CPU time in them, which the other jobs on the machine "
                    "inflate much less than the wall time.", "",
                    "| view | events | drawn as | store ms, median (max) | CPU ms | count | pins | cells | "
                    "histogram | table | map layer ms | ≤ 300 ms (wall max) |",
                    "|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---|"]
            for v in sv["views"]:
                s = v["steps_ms"]
                ok = "yes" if max(v["store_ms"]) <= TARGET_VIEW_MS else (
                    "median only" if median(v["store_ms"]) <= TARGET_VIEW_MS else "**no**")
                out.append(f"| {v['label']} | {v['n']:,} | {v['drawn'][1]:,} {v['drawn'][0]} | "
                           f"{fmt_ms(median(v['store_ms']))} ({fmt_ms(max(v['store_ms']))}) | "
                           f"{fmt_ms(median(v['cpu_ms'])) if v.get('cpu_ms') else '–'} | "
                           f"{fmt_ms(s.get('count'))} | {fmt_ms(s.get('pins'))} | {fmt_ms(s.get('cells'))} | "
                           f"{fmt_ms(s.get('histogram'))} | {fmt_ms(s.get('table'))} | "
                           f"{fmt_ms(median(v['layer_ms']))} | {ok} |")
            out.append("")
        if br:
            out += [f"Chromium {br.get('version', '?')}, {VIEWPORT['width']}×{VIEWPORT['height']}, "
                    f"{len(br['first'])} fresh pages opened on `{br.get('link')}` (a month of news ending two weeks "
                    "before the last publication day) after a warm-up visit of the default opening (map drawn "
                    f"{fmt_s(br['warm'].get('map_s'))} s, {br['warm'].get('layer')}). Each page: Step ▶ twice, then "
                    f"the presets. Streamlit RSS after the runs {br['rss_mb']:,.0f} MB, "
                    f"peak {br['peak_rss_mb']:,.0f} MB.", "",
                    "| step | map drawn s: " + " / ".join(f"page {k + 1}" for k in range(len(br["first"])))
                    + " | last rerun finished s: " + " / ".join(f"page {k + 1}" for k in range(len(br["first"])))
                    + " | layer after it |",
                    "|---|---:|---:|---|"]
            n_runs = len(br["first"])
            out.append("| page load → first map | " + " / ".join(fmt_s(x["map_s"]) for x in br["first"]) + " | "
                       + " / ".join(fmt_s(x["idle_s"]) for x in br["first"]) + " | "
                       + (str(br["first"][-1]["layer"]) if br["first"] else "") + " |")
            for name, cs in br["changes"].items():
                k = max(1, len(cs) // max(1, n_runs))       # clicks of this name per page
                for j in range(k):
                    mine = cs[j::k]
                    label = name + (f" ({j + 1})" if k > 1 else "")
                    out.append(f"| click {label} | " + " / ".join(fmt_s(c["map_s"]) for c in mine) + " | "
                               + " / ".join(fmt_s(c["idle_s"]) for c in mine) + f" | {mine[-1]['layer']} |")
            if br["errors"]:
                out.append(f"\nPage errors: {'; '.join(sorted(set(br['errors']))[:3])}")
            out.append("")
        if r.get("plans"):
            out += ["Query plans (SQLite `EXPLAIN QUERY PLAN`):", ""]
            for p in r["plans"]:
                out.append(f"- {p['view']}, `{p['query']}`: " + "; ".join(f"`{x}`" for x in p["plan"]))
            out.append("")
    out += ["", FINDINGS]
    return "\n".join(out)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--events", type=int, nargs="+", default=[100_000, 1_000_000])
    ap.add_argument("--db", default="sqlite", help="sqlite (default: files in --cache) or a postgresql:// URL")
    ap.add_argument("--cache", type=Path, default=DEFAULT_CACHE)
    ap.add_argument("--corpus", type=Path, default=ROOT.parent / "shared" / "corpora")
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--browser-runs", type=int, default=3)
    ap.add_argument("--browser-timeout", type=int, default=180, help="seconds per browser step")
    ap.add_argument("--rebuild", action="store_true")
    ap.add_argument("--incidents", choices=("bulk", "store", "none"), default="bulk",
                    help="group the built store's incidents in one pass (bulk, default; the same result as "
                         "Store.rebuild_incidents()), with Store.rebuild_incidents() (store: hours at 1M), or "
                         "leave each event its own incident (none)")
    ap.add_argument("--check-incidents", type=Path, metavar="DB",
                    help="check on copies of DB that the bulk grouping gives what Store.rebuild_incidents() gives")
    ap.add_argument("--build-only", action="store_true")
    ap.add_argument("--skip-server", action="store_true")
    ap.add_argument("--skip-browser", action="store_true")
    ap.add_argument("--report-only", action="store_true", help="print the report from the cached figures")
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "scale.md")
    args = ap.parse_args()
    argv = sys.argv[1:]
    args.db_url = args.db if is_pg(args.db) else None
    args.cache.mkdir(parents=True, exist_ok=True)
    if args.check_incidents:
        return 0 if check_incidents(args.check_incidents) else 1
    figures = args.cache / "figures.json"
    results = json.loads(figures.read_text()) if figures.exists() else {}
    if not args.report_only:
        for n in args.events:
            key = f"{'postgis' if args.db_url else 'sqlite'}-{n}"
            load0 = os.getloadavg()[0]
            location, info = ensure_store(n, args)
            if args.build_only:
                continue
            r = results.get(key, {}) if (args.skip_server or args.skip_browser) else {}
            r.update({"n": n, "backend": "PostGIS" if args.db_url else "SQLite", "build": info})
            if not args.skip_server:
                log(f"server time per view, {n:,} events…")
                r["server"] = bench_server(location, args.repeats)
                r["plans"] = explain(location, r["server"]["span"])
            if not args.skip_browser:
                if not Path(CHROMIUM).exists():
                    log(f"skipped the browser part: {CHROMIUM} not found")
                else:
                    log(f"Chromium, {n:,} events…")
                    r["browser"] = bench_browser(location, args, args.cache / f"streamlit_{key}.log")
            r["load"] = [load0, os.getloadavg()[0]]
            r["argv"] = " ".join(argv)
            results[key] = r
            figures.write_text(json.dumps(results, indent=1, default=str))
    if not results:
        log("no figures yet")
        return 1
    text = report(results, argv)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text + "\n", encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
