"""Streamlit UI: widgets and layout only; the decisions are made in geo/views.py.

    streamlit run app.py            # GEO_DB picks the database file (default data/events.db)

The store answers each view (geo/store/view.py): the app asks for the window and filters and gets
the events to draw when they are few (at most GEO_MAX_PINS, default 5,000), else their counts per
grid cell; the histogram, the table's page and the filter choices are queries too. What it reads is
cached by the store's revision, which every write moves on, so articles ingested from the command
line while the app runs appear on the next interaction. The URL always holds the current view (see geo.views.to_query).
Article text reaches the page only through widgets that show plain text (st.dataframe, st.text,
markdown-escaped captions) and through geo.mapview, which escapes it.

Who may change the map (GEO_READ_ONLY, GEO_EDITOR_TOKEN) is decided in geo/access.py: the editing
widgets are drawn only when it allows, and the store the page gets refuses writes on its own.
"""
from __future__ import annotations

import contextlib
import dataclasses
import functools
import hashlib
import os
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Optional

import altair as alt
import streamlit as st
import streamlit.components.v1 as components
from streamlit_folium import st_folium

from geo import access, export, mapview, views
from geo.store import SNAPSHOT_CHANGED, Store, StoreError

SEEDS = Path(__file__).parent / "seeds"
PLAY_INTERVAL_S = 1.5
MAP_HEIGHT = 540
STEP_DAYS = {"day": 1, "week": 7, "month": 30}
OPENING_LIMIT = 20_000      # more events than this: open on the latest month, not everything
MAX_PINS = int(os.environ.get("GEO_MAX_PINS") or 5000)   # a view with more events is drawn as counts per cell
TABLE_ROWS = int(os.environ.get("GEO_TABLE_ROWS") or 500)   # rows per page of the events table
MEMO_VIEWS = 16             # views whose events one revision's memo keeps
TOKEN_KEY = "w_editor_token"   # the password field: its value stays in st.session_state, never in the URL
# The share bar: "Copy link", "Copy embed code", and the snapshots this browser made (its localStorage)
_share_bar = components.declare_component("geo_share", path=str(Path(__file__).parent / "geo" / "components" / "share"))

# Streamlit's "auto" starts the sidebar collapsed on a narrow window (a phone), open on a desktop.
st.set_page_config(page_title="Reported events", layout="wide", initial_sidebar_state="auto")
ss = st.session_state
# The map's height follows the window's: MAP_HEIGHT on a desktop, less on a short or narrow one
# (never under 280 px). streamlit-folium sizes its frame in pixels; this rule overrides that, and
# the map inside fills its frame (geo.mapview's style: #map_div at 100vh of the frame).
LAYOUT_CSS = f"""<style>
iframe[title="streamlit_folium.st_folium"] {{ height: clamp(280px, 68vh, {MAP_HEIGHT}px) !important; }}
@media (max-width: 640px) {{ [data-testid=stMainBlockContainer] {{ padding-top: 3rem; }} }}
/* A range slider's two thumbs sit side by side, the start's right edge and the end's left edge on
   their day, so a short window (one day) keeps both in reach instead of one hiding the other. */
[data-testid=stSlider] div:has(> div > input[type=range][aria-label$="start"]) {{
  transform: translate(-100%, -50%) !important; }}
[data-testid=stSlider] div:has(> div > input[type=range][aria-label$="end"]) {{
  transform: translate(0, -50%) !important; }}
</style>"""
st.html(LAYOUT_CSS)


# --------------------------------------------------------------------------- resources

@st.cache_resource(show_spinner="Loading the geoparser (spaCy and the gazetteer)…")
def geoparser():
    from geo.pipeline import Geoparser
    return Geoparser(gazetteer=gazetteer())


@st.cache_resource(show_spinner="Loading the gazetteer…")
def gazetteer():
    """The place index (about 0.7 s, 260 MB once per server), for place search and the text
    filter's alternate names; the geoparser shares it."""
    from geo.gazetteer import Gazetteer
    return Gazetteer.load()


@st.cache_resource
def static_assets() -> bool:
    """Local Leaflet/jQuery/marker-cluster files for the offline map (once per process)."""
    from geo import assets
    assets.ensure_static_assets()
    return True


def view_details():
    """Where the map's popups' contents go as static files (None: inline, static serving is off)."""
    from geo import assets
    return assets.view_details()


@st.cache_resource(show_spinner=False)
def outlines_warmed() -> bool:
    """Country outlines simplified for the map once per process, in the background from the first
    page on (0.3 s), so that the first view with country areas does not wait for them."""
    import threading
    threading.Thread(target=mapview.warm_country_outlines, name="warm-outlines", daemon=True).start()
    return True


@st.cache_resource(max_entries=4, show_spinner=False)
def _revision_memo(path: str, revision: int) -> dict:
    """What the app derived from one revision of one store (filter choices, spans, the events of
    recent views, the map's rows cache), shared by the sessions; a write starts a new one. Its
    "details_key" names the popups' files of this revision (`mapview.event_layer`)."""
    return {"details_key": f"{path}:{revision}:{time.time_ns()}"}


def memo_for(store: Store) -> dict:
    if store.path == ":memory:":
        memos = ss.setdefault("_memory_memo", {})
        if store.revision() not in memos:
            memos[store.revision()] = {"details_key": f":memory:{id(memos)}:{store.revision()}:{time.time_ns()}"}
        return memos[store.revision()]
    return _revision_memo(store.path, store.revision())


def remembered(memo: dict, key, compute):
    """memo[key], computed once; the events of at most MEMO_VIEWS views are kept (the oldest goes)."""
    if key not in memo:
        kind = key[0] if isinstance(key, tuple) and key[0] in ("events", "layer") else None
        if kind:                         # a view's events and its map layer: the MEMO_VIEWS latest
            kept = [k for k in list(memo) if isinstance(k, tuple) and k[0] == kind]
            for old in kept[:len(kept) - MEMO_VIEWS + 1]:
                memo.pop(old, None)
        memo[key] = compute()
    return memo[key]


def filters_key(f: dict) -> tuple:
    return tuple(sorted((k, tuple(v) if isinstance(v, list) else v) for k, v in f.items()))


def view_events(store: Store, memo: dict, f: dict) -> list:
    """The events of a view (at most MAX_PINS of them), read once per revision and view; never mutated."""
    return remembered(memo, ("events", filters_key(f)), lambda: store.view_events(**f))


# --------------------------------------------------------------------------- ingest helpers

def fill_from_seeds(store: Store) -> None:
    from geo.ingest import ingest, read_inputs
    with st.status("Empty database: adding the sample articles from seeds/…", expanded=True) as status:
        st.write("Loading the geoparser…")
        gp = geoparser()
        st.write("Reading and placing the sample articles…")
        summary = ingest(read_inputs([str(SEEDS)]), store, gp)
        status.update(label=f"Added {summary.added} sample article(s) with {summary.events} events",
                      state="complete", expanded=False)


def run_ingest(store: Store, batches: list, label: str) -> None:
    """Ingest (name, items) batches with a progress bar; one report line per batch."""
    from geo.ingest import ingest
    from geo.exceptions import StoreError
    lines, warnings = [], []
    try:
        store.check_writable()                 # read-only, locked or full: say so before any geoparsing
    except StoreError as exc:
        st.error(str(exc))
        return
    added = []
    with st.status(label, expanded=True) as status:
        bar = st.progress(0.0, text="Loading the geoparser…")
        gp = geoparser()
        for i, (name, items) in enumerate(batches):
            bar.progress(i / len(batches), text=f"{name} ({i + 1} of {len(batches)})")
            summary = ingest(items, store, gp)
            lines.append(views.report_line(name, summary))
            warnings += views.undated_warnings(name, summary)
            added += summary.article_ids
        bar.progress(1.0, text="Done")
        status.update(label=f"{label}: done", state="complete", expanded=False)
    if added:
        ss["_fit_articles"] = added             # the map frames the new articles' events (`live_view`)
    ss["_report"], ss["_report_warnings"] = lines, warnings


def add_uploads(store: Store, files) -> None:
    from geo.read import iter_articles
    store.require_edit()
    with tempfile.TemporaryDirectory(prefix="geo-upload-") as tmp:
        saved = views.save_uploads([(f.name, f.getvalue()) for f in files], tmp)
        # Read eagerly inside the temporary folder; the one-line reasons name the original file.
        batches = []
        for name, path in saved:
            items = list(iter_articles([str(path)]))
            for item in items:
                item.source = name
            batches.append((name, items))
        run_ingest(store, batches, f"Adding {len(batches)} file(s)")


def add_pasted(store: Store, text: str, published: Optional[date] = None) -> None:
    store.require_edit()
    run_ingest(store, [("pasted text", [views.article_from_text(text, published=published)])],
               "Adding the pasted text")


def add_url(store: Store, url: str) -> None:
    from geo.fetch import fetch_articles, is_url
    store.require_edit()
    if not is_url(url):
        ss["_report"] = [f"{url}: not an http(s) URL"]
        return
    run_ingest(store, [(url, list(fetch_articles(url.strip())))], "Fetching the URL")


# --------------------------------------------------------------------------- who may edit

def why_not_edit():
    """None when this session may change the map now, else the one-line reason (geo/access.py)."""
    return access.refusal(ss.get(TOKEN_KEY))


def can_edit() -> bool:
    return why_not_edit() is None


@contextlib.contextmanager
def writing():
    """Around a write: a refused one (geo.access.Refused) becomes a one-line message."""
    try:
        yield
    except access.Refused as exc:
        st.error(md(exc))


def stop_editing() -> None:
    ss[TOKEN_KEY] = ""


def sidebar_access() -> None:
    """Read-only: say so. Editor token set: the password field (and whether it was right)."""
    if access.read_only():
        st.sidebar.caption("Read-only map: view, filter, share links and download; no changes.")
        return
    if not access.needs_token():
        return
    with st.sidebar.expander("Editing", expanded=not can_edit()):
        st.text_input("Editor token", type="password", key=TOKEN_KEY,
                      help="Ask whoever runs this map; kept only in this browser session")
        if can_edit():
            st.caption("Editing is on for this session.")
            st.button("Stop editing", key="w_stop_editing", on_click=stop_editing)
        elif (ss.get(TOKEN_KEY) or "").strip():
            st.error(access.WRONG_TOKEN_MESSAGE)
        else:
            st.caption("View-only until the editor token is entered.")


# --------------------------------------------------------------------------- state helpers

def set_window(start: date, end: date) -> None:
    """The date window. It lives in ``ss["_window"]``; the time bar's slider (key ``w_window``) and
    typed dates show it and are set from it before they are drawn (`timeline`): playback, the
    histogram's brush, a link and the presets move the window, not the widgets."""
    ss["_window"] = (start, end)


def get_window():
    return ss.get("_window")


ECHO_S = 5.0    # how long a time-bar value the app replaced may still come back from the browser


def show_in_widget(key: str, value) -> None:
    """Put a value the app chose (a preset, playback, the span growing, a link) in a time-bar
    widget. The value it showed before may still come back: a request the browser sent before the
    new value reached it carries the old one, and Streamlit takes that for the user's change and
    calls its `on_change` (seen in CI: "Show background" widening the window, then a stale "From"
    putting it back). So the replaced value is remembered for a few seconds as an echo."""
    old = ss.get(key)
    now = time.monotonic()
    gone = ss.setdefault("_replaced", {}).setdefault(key, {})
    if not ss.get("_playing"):       # (while playing, every step's values stay echoes until the stop)
        for v in [v for v, t in gone.items() if now - t > ECHO_S]:
            del gone[v]
    gone.pop(value, None)
    if old != value:
        if old is not None:
            gone[old] = now
        # (only when it changes: a value assigned in a run is pushed into the widget even when it is
        # the same, which wiped a date the user was typing while a rerun was under way)
        ss[key] = value


def is_echo(key: str, value) -> bool:
    """Whether a time-bar change is the browser sending back a value the app replaced, not the
    user: always while playback runs (the bar only shows the window then), else within `ECHO_S` of
    the replacement."""
    if ss.get("_playing"):
        return True
    at = (ss.get("_replaced") or {}).get(key, {}).get(value)
    return at is not None and time.monotonic() - at <= ECHO_S


def stop_playback() -> None:
    """Playback ends (Stop, or the end of the timeline): every value it showed may still come back
    for `ECHO_S` from now."""
    ss["_playing"] = False
    now = time.monotonic()
    for gone in (ss.get("_replaced") or {}).values():
        for v in gone:
            gone[v] = now


def slider_moved() -> None:
    """The slider was moved (its value differs from the one it was drawn with): that is the window."""
    win = ss.get("w_window")
    if win and tuple(win) != ss.get("_w_drawn") and not is_echo("w_window", tuple(win)):
        set_window(*win)


def map_reported() -> bool:
    """Has the map in the browser said where it is (it does once it is drawn)?"""
    return (ss.get("map") or {}).get("center") is not None


def map_position() -> tuple:
    """Where the map is now: as the browser last reported it after a pan or zoom, else where the
    app last sent it (a picked event, the URL), else (None, None) = fitted to all events."""
    out = ss.get("map") or {}
    c, z = out.get("center"), out.get("zoom")
    if isinstance(c, dict) and c.get("lat") is not None and c.get("lng") is not None and z is not None:
        lon = (float(c["lng"]) + 180) % 360 - 180        # Leaflet reports unwrapped longitudes
        reported = (round(float(c["lat"]), 4), round(lon, 4))
        if (ss.get("_base_view") or {}).get("bounds") and int(z) == mapview.DEFAULT_ZOOM \
                and reported == tuple(mapview.DEFAULT_CENTER):
            # the map's first report comes before it is fitted to the events: not a view to link
            return ss.get("center"), ss.get("zoom")
        if int(z) == ss.get("zoom") and views.near_on_screen(reported, ss.get("center"), int(z)):
            return ss.get("center"), ss.get("zoom")       # where the app put it: keep the link as it was
        return reported, int(z)
    return ss.get("center"), ss.get("zoom")


def current_view() -> views.ViewState:
    win = get_window() or (None, None)
    center, zoom = map_position()
    return views.ViewState(
        start=win[0], end=win[1], text=ss.get("w_text", ""),
        countries=tuple(ss.get("w_countries", ())), sources=tuple(ss.get("w_sources", ())),
        kinds=tuple(ss.get("w_kinds", ())), min_confidence=float(ss.get("w_conf", 0.0)),
        selected=ss.get("selected"), center=center, zoom=zoom,
        types=tuple(ss.get("w_types", ())), actor=(ss.get("w_actor") or "").strip(),
        background=bool(ss.get("w_background", False)), min_sources=int(ss.get("w_min_sources") or 1),
        article=ss.get("w_article"), reading=ss.get("reading"), heat=bool(ss.get("w_heat", False)))


def step_window(span) -> None:
    step = STEP_DAYS.get(ss.get("w_step", "week"), 7)
    v = views.play_step(current_view(), step, span)
    set_window(v.start, v.end)


def url_background() -> bool:
    """Whether the URL asks for background events too (decides the timeline's span, so it is
    read before the rest of the view)."""
    return views.from_query(st.query_params.to_dict()).background


def init_from_url(store: Store, span, opts: dict, news_end: Optional[str]) -> None:
    """First run of a session: the URL's view seeds every widget. Without dates in the URL the
    window is `views.opening_window` (the reported events, without a stray outlier date); a big
    store opens on its latest month instead."""
    params = st.query_params.to_dict()
    v = views.from_query(params, span)
    if not (params.get(views.Q_START) or params.get(views.Q_END)):
        timeline = {"role": None if v.background else "reported"}
        if store.estimate_view(**timeline)[0] > OPENING_LIMIT:
            # A big store opens on its latest month (the whole span is one click away: "Everything").
            start, end = views.presets(span[1], span[0], news_end)["Month"]
        else:
            start, end = views.opening_window(store.view_events(slim=True, **timeline), background=v.background)
        if start and end:
            v = views.from_query({**params, views.Q_START: start.isoformat(), views.Q_END: end.isoformat()}, span)
    if v.start and v.end:
        set_window(v.start, v.end)
    ss["w_text"] = v.text
    ss["w_countries"] = [c for c in v.countries if c in opts["countries"]]
    ss["w_sources"] = [s for s in v.sources if s in opts["sources"]]
    ss["w_kinds"] = [k for k in v.kinds if k in opts["kinds"]]
    ss["w_conf"] = round(v.min_confidence, 2)
    ss["w_types"] = [t for t in v.types if t in opts["types"]]
    ss["w_actor"] = v.actor
    ss["w_background"] = v.background
    ss["w_heat"] = v.heat
    ss["w_min_sources"] = v.min_sources
    ss["w_article"] = v.article if v.article is not None and store.article(v.article) else None
    ss["reading"] = v.reading if v.reading is not None and store.article(v.reading) else None
    picked = visible_event(store, v.selected)
    ss["selected"] = picked["id"] if picked else None
    ss["center"], ss["zoom"] = v.center, v.zoom
    if picked is not None and v.center is None:
        ss["center"], ss["zoom"] = views.focus(picked)
    ss["_span"] = span


def visible_event(store: Store, event_id) -> Optional[dict]:
    """The stored event with this id unless it is hidden ("not an event"), else None."""
    try:
        e = store.event(int(event_id)) if event_id is not None else None
    except (TypeError, ValueError):
        return None
    return e if e is not None and not e.get("hidden") else None


def keep_widgets_valid(span, opts: dict) -> None:
    """Widget values that no longer fit the data (a new span, a vanished source) are repaired
    before the widgets are drawn."""
    lo, hi = (date.fromisoformat(x) if x else None for x in span)
    win = get_window()
    old_lo, old_hi = (date.fromisoformat(x) if x else None for x in (ss.get("_span") or (None, None)))
    if lo and hi:
        if not win or (old_lo, old_hi) != (lo, hi):
            start, end = win if win else (lo, hi)
            if win and win[0] == old_lo:
                start = lo        # the window reached the data's edges: it follows them as they grow
            if win and win[1] == old_hi:
                end = hi
            start, end = min(max(start, lo), hi), min(max(end, lo), hi)
            set_window(min(start, end), max(start, end))
    elif "_window" in ss:
        del ss["_window"]         # no dated events left: no window
    ss["_span"] = span
    for key, name in (("w_countries", "countries"), ("w_sources", "sources"), ("w_kinds", "kinds"),
                      ("w_types", "types")):
        cur = ss.get(key, [])
        ok = [x for x in cur if x in opts[name]]
        if ok != list(cur):
            ss[key] = ok


def table_key(ids: list) -> str:
    """The events table's widget key changes with its rows, so a row picked in an older table
    never stands for a different event in the new one."""
    return "w_table_" + hashlib.sha1(",".join(map(str, ids)).encode()).hexdigest()[:10]


def take_table_pick(store: Store, slot: str = "_table") -> None:
    """A row picked in the events table (or, slot "_art_table", the article view's list of its
    events), as drawn in the last run, selects that event and centres the map on it."""
    last = ss.get(slot) or {}
    key, ids = last.get("key"), last.get("ids", [])
    try:
        rows = list(ss[key]["selection"]["rows"]) if key else []
    except (KeyError, TypeError):
        rows = []
    if rows == last.get("seen", []):
        return
    last["seen"] = rows
    e = visible_event(store, ids[rows[0]]) if rows and rows[0] < len(ids) else None
    if e is not None:
        ss["selected"], ss["_clicked"] = e["id"], None
        ss["center"], ss["zoom"] = views.focus(e)


def take_map_click(shown: list) -> None:
    """A click on a pin or an area selects its incident (its representative event; without
    moving the map). Every click counts (streamlit-folium numbers them), the same pin twice too;
    the clicked layer's tooltip names the event ("[#id]", hidden; bound before the click lands),
    so of several pins on one spot the clicked one is taken, and an area anywhere inside it. A
    new tooltip naming no shown event falls back to the event drawn at the clicked point; a click on
    a cluster bubble (no tooltip of its own) picks nothing."""
    out = ss.get("map") or {}
    obj, count = out.get("last_object_clicked"), out.get("last_object_clicked_count")
    if not obj or count == ss.get("_click_seen"):
        return
    tip = out.get("last_object_clicked_tooltip")
    # a layer without a tooltip (a cluster bubble) leaves the last one in place: a tooltip counts
    # when it is new, or when its event is near the click (a pin, spiderfied or not)
    fresh, ss["_click_seen"], ss["_tip_seen"] = tip != ss.get("_tip_seen"), count, tip
    by_id = {e["id"]: e for e in shown}
    e = by_id.get(views.tooltip_event_id(tip))
    if e is not None and not fresh and views.nearest_event([e], obj.get("lat"), obj.get("lng"), 2.0) is None:
        e = None                  # a cluster bubble clicked (to spread it): no event is picked
    elif e is None and fresh and tip:
        e = views.nearest_event(shown, obj.get("lat"), obj.get("lng"))
    if e is not None:
        ss["selected"] = ss["_clicked"] = e["id"]       # the pin marks itself: no ring, no redraw
    read = views.tooltip_read_article(tip)              # the popup's "Read the article"
    if read is not None:
        ss["reading"] = read


def clear_selection() -> None:
    ss["selected"], ss["center"], ss["zoom"], ss["_clicked"] = None, None, None, None


# --------------------------------------------------------------------------- the article view

def open_article(article_id) -> None:
    ss["reading"] = int(article_id)


def close_article() -> None:
    ss["reading"] = None


def clear_article_filter() -> None:
    ss["w_article"] = None


def article_entry(store: Store, memo: dict, article_id: int) -> Optional[dict]:
    """What the article view shows of one article, read and marked up once per revision: its
    facts (no text kept), its visible events in text order, the marked-up text (geo.views.article_html,
    which escapes it) and the counts of each kind of mark. None for an unknown article."""
    def compute():
        art = store.article(article_id)
        if art is None:
            return None
        events = sorted(store.view_events(article=article_id), key=lambda e: (e["mention_start"], e["id"]))
        mentions = store.mentions(article_id)
        text = art.pop("text") or ""
        body, cut = views.article_html(text, events, mentions)
        spans = views.article_spans(text[:views.ARTICLE_VIEW_LIMIT], events, mentions)
        count = {k: sum(1 for x in spans if x["kind"] == k) for k in ("event", "date", "place")}
        return {**art, "n_chars": len(text), "events": events, "html": body, "cut": cut, "count": count}
    return remembered(memo, ("article", int(article_id)), compute)


def show_only_article(entry: dict, store: Store) -> None:
    """"Show only this article on the map": the article filter on, the other filters off, the
    window over its events (background shown when it reports none as news)."""
    ss["w_article"] = entry["id"]
    for key, empty in (("w_text", ""), ("w_actor", ""), ("w_countries", []), ("w_sources", []), ("w_kinds", []),
                       ("w_types", []), ("w_conf", 0.0), ("w_min_sources", 1)):
        ss[key] = empty
    events = entry["events"]
    reported = [e for e in events if views.role_of(e) == "reported"]
    if events and not reported:
        ss["w_background"] = True
    days = [(e["day_start"], e["day_end"] or e["day_start"]) for e in (reported or events) if e.get("day_start")]
    lo, hi = (date.fromisoformat(x) if x else None
              for x in store.date_span(role=None if ss.get("w_background") else "reported"))
    if days and lo and hi:
        start = min(max(date.fromisoformat(min(d[0] for d in days)), lo), hi)
        end = min(max(date.fromisoformat(max(d[1] for d in days)), lo), hi)
        set_window(start, end)
    ss["_fit_next"] = True                 # and the map frames its events (`page`)


def article_view(store: Store, memo: dict) -> None:
    """The article being read: title, date, source link, its full text with every recognised place
    marked (event places by type colour, other places, the words dating each event), its events, and
    "Show only this article on the map". Article text reaches the page only escapped (geo.views)."""
    aid = ss.get("reading")
    entry = article_entry(store, memo, aid) if aid is not None else None
    if entry is None:
        ss["reading"] = None
        return
    with st.container(border=True, key="article_view"):
        c1, c2 = st.columns([6, 1], vertical_alignment="center")
        c1.subheader(md(entry.get("title") or "(untitled article)"), anchor=False)
        c2.button("Close article", key="w_read_close", on_click=close_article, width="stretch")
        n = len(entry["events"])
        facts = [f"published {entry['published']}" if entry.get("published") else "publication date unknown",
                 f"source: {views.source_of(entry)}", f"{n} event{'s' if n != 1 else ''}",
                 f"{entry['n_chars']:,} characters"]
        st.caption(md(" · ".join(facts)))
        b1, b2, _ = st.columns([2, 2, 3])
        url = mapview.safe_url(entry.get("url"))
        if url:
            b1.link_button("Open the source ↗", url, width="stretch")
        if ss.get("w_article") == entry["id"]:
            b2.button("Show every article", key="w_article_all", on_click=clear_article_filter, width="stretch")
        elif b2.button("Show only this article on the map", key="w_article_only", type="primary", width="stretch"):
            ss["_only_article"] = entry["id"]      # applied at the top of the next run, before the widgets
            st.rerun()
        count = entry["count"]
        st.html(views.article_legend_html(count["event"], count["place"], count["date"]))
        st.html(entry["html"])
        if entry["cut"]:
            st.caption(f"Only the first {views.ARTICLE_VIEW_LIMIT:,} of its {entry['n_chars']:,} characters are shown.")
        st.markdown("**Its events** (pick one to select it on the map)")
        if not entry["events"]:
            st.caption("None: no place in it was read as where something happened.")
            return
        rows = views.table_rows(entry["events"])
        ids = [r["id"] for r in rows]
        key = f"w_art_table_{entry['id']}_" + table_key(ids)[-10:]
        picked = [ids.index(ss["selected"])] if ss.get("selected") in ids else []
        if (ss.get("_art_table") or {}).get("key") != key:
            ss["_art_table"] = {"key": key, "ids": ids, "seen": picked}
        st.dataframe(rows, key=key, on_select="rerun", selection_mode="single-row", hide_index=True,
                     selection_default={"selection": {"rows": picked}} if picked else None, width="stretch",
                     height=min(320, 38 + 35 * len(rows)),
                     column_config={"id": None, "title": None, "source": None,
                                    "confidence": st.column_config.NumberColumn(format="%.2f"),
                                    "sentence": st.column_config.TextColumn(width="large")})


def sidebar_article_filter(store: Store, memo: dict) -> None:
    """While the map shows one article only: which one, and the way back to every article."""
    aid = ss.get("w_article")
    if aid is None:
        return
    entry = article_entry(store, memo, aid)
    if entry is None:
        ss["w_article"] = None
        return
    st.sidebar.info(f"Only the article “{md(entry.get('title') or '(untitled)')}”")
    c1, c2 = st.sidebar.columns(2)
    c1.button("Show every article", key="w_article_clear", on_click=clear_article_filter, width="stretch")
    c2.button("Read it", key="w_article_read", on_click=open_article, args=(aid,), width="stretch")


def country_name(code: str) -> str:
    try:
        import pycountry
        c = pycountry.countries.get(alpha_2=code)
        return f"{c.name} ({code})" if c else code
    except Exception:  # noqa: BLE001
        return code


def md(text) -> str:
    return views.md_escape(str(text if text is not None else ""))


# --------------------------------------------------------------------------- page

def sidebar_add(store: Store) -> None:
    with st.sidebar.expander("Add articles", expanded=False):
        gen = ss.setdefault("_upload_gen", 0)
        files = st.file_uploader("Article files (.txt .md .html .json .jsonl)", accept_multiple_files=True,
                                 key=f"w_upload_{gen}")
        if st.button("Add files", key="w_add_files", disabled=not files):
            with writing():
                add_uploads(store, files)
                ss["_upload_gen"] = gen + 1
                st.rerun()
        paste = ss.setdefault("_paste_gen", 0)       # a new box (empty) once its text went in
        text = st.text_area("Or paste an article (first line = title)", key=f"w_paste_{paste}", height=120)
        published = st.date_input("Its publication date", value=None, key=f"w_paste_date_{paste}",
                                  help="Dates such as “on Monday” are read from it. Empty: taken from a byline or "
                                       "dateline in the text, if there is one")
        if st.button("Add text", key="w_add_text", disabled=not (text or "").strip()):
            with writing():
                add_pasted(store, text, published)
                ss["_paste_gen"] = paste + 1
                st.rerun()
        url = st.text_input("Or an article / feed URL (needs a network)", key="w_url")
        if st.button("Fetch", key="w_fetch", disabled=not (url or "").strip()):
            with writing():
                add_url(store, url)
                st.rerun()
    for line in ss.get("_report", []):
        st.sidebar.text(line)
    for warning in ss.get("_report_warnings", []):
        st.sidebar.warning(md(warning))


def typed_date(which: str, span) -> None:
    typed = ss.get("w_from" if which == "start" else "w_to")
    if is_echo("w_from" if which == "start" else "w_to", typed):
        return
    start, end, note = views.typed_window(which, typed, get_window(), span)
    if start and end:
        set_window(start, end)
    ss["_typed_note"] = note


def play_pressed(span) -> None:
    """Play or Stop pressed (a button, not a switch: a switch redrawn at every step could report its
    value from the step before). Whether it plays is ``ss["_playing"]``; the live view's timer is
    set by a whole-page run, which the live view asks for (``_play_changed``). With the window
    already at the end, playback starts over."""
    if ss.get("_playing"):
        stop_playback()
    else:
        ss["_playing"] = True
    ss["_play_changed"] = True
    ss["_last_tick"] = time.monotonic()          # the first step comes one interval later
    ss.pop("_play_note", None)
    win = get_window()
    if ss["_playing"] and win:
        step = STEP_DAYS.get(ss.get("w_step", "week"), 7)
        mode = ss.get("w_play_mode", "window")
        if views.next_play_window(win[0], win[1], step, span, mode) is None:
            set_window(*views.rewind_window(win[0], win[1], span, mode))


def timeline(span, news_end: Optional[str]) -> None:
    """The time bar under the map: the window's slider across the page, typed dates, quick windows,
    stepping and playback. It is part of the live view, so moving it redraws the map first (only the
    fragment reruns) and the rest of the page follows once the map is drawn (`live_view`)."""
    lo, hi = (date.fromisoformat(x) if x else None for x in span)
    if not (lo and hi):
        st.caption("No dated events yet.")
        return
    if lo == hi:
        st.caption(f"All dated events are on {lo.isoformat()}.")
        return
    win = get_window() or (lo, hi)
    # the widgets show the window as it is now (playback or a link may have moved it); while it plays
    # they only show it (a box redrawn at every step could report the step before as a change)
    show_in_widget("w_window", tuple(win))
    ss["_w_drawn"] = tuple(win)
    show_in_widget("w_from", win[0])
    show_in_widget("w_to", win[1])
    playing = bool(ss.get("_playing"))
    st.slider("Dates", min_value=lo, max_value=hi, key="w_window", format="YYYY-MM-DD", on_change=slider_moved,
              disabled=playing)
    # typed dates: any date is accepted by the boxes and then kept inside the data's span
    wide_lo, wide_hi = date(max(1, lo.year - 50), 1, 1), date(min(9999, hi.year + 50), 12, 31)
    names = list(views.presets(hi, lo, news_end).items())
    cols = st.columns([1.4, 1.4] + [1] * len(names), vertical_alignment="bottom")
    cols[0].date_input("From", key="w_from", min_value=wide_lo, max_value=wide_hi, format="YYYY-MM-DD",
                       on_change=typed_date, args=("start", span), help=f"First day of the window ({lo} – {hi})",
                       disabled=playing)
    cols[1].date_input("To", key="w_to", min_value=wide_lo, max_value=wide_hi, format="YYYY-MM-DD",
                       on_change=typed_date, args=("end", span), help=f"Last day of the window ({lo} – {hi})",
                       disabled=playing)
    for col, (name, (s, e)) in zip(cols[2:], names):
        col.button(name, key=f"w_preset_{name.lower()}", on_click=set_window, args=(s, e), width="stretch",
                   help=f"{s} – {e} (ending on the latest news day)", disabled=playing)
    if ss.get("_typed_note"):
        # (kept through the fragment's run for the whole-page run that follows it)
        st.caption(md(ss.get("_typed_note") if in_fragment_run() else ss.pop("_typed_note")))
    c1, c2, c3, c4 = st.columns([1.2, 1, 1, 1.4], vertical_alignment="bottom")
    c1.selectbox("Play step", list(STEP_DAYS), index=1, key="w_step", format_func=lambda k: f"1 {k}")
    c2.button("Step ▶", key="w_play_step", on_click=step_window, args=(span,), width="stretch",
              help="Move the window one step later (wraps round at the end)", disabled=playing)
    speed = ss.get("w_speed", "1×")
    c3.button("■ Stop" if playing else "▶ Play", key="w_play", on_click=play_pressed, args=(span,),
              width="stretch", type="primary" if playing else "secondary",
              help=f"Step every {views.play_interval(PLAY_INTERVAL_S, speed):g} s; only the map, the histogram "
                   "and this bar follow while it plays (the table when it stops); it stops at the end")
    c4.checkbox("Skip empty steps", value=True, key="w_skip_empty",
                help="A step that would show no event jumps to the next one that has some")
    c1, c2 = st.columns(2)
    c1.radio("Speed", list(views.PLAY_SPEEDS), index=1, key="w_speed", horizontal=True,
             on_change=ss.__setitem__, args=("_play_changed", True))      # a new timer: a whole run
    c2.radio("Playback", list(views.PLAY_MODES), index=0, key="w_play_mode", horizontal=True,
             format_func=lambda m: "slide the window" if m == "window" else "cumulative (grow the end)")
    if ss.get("_play_note"):
        st.caption(ss["_play_note"])


def sidebar_filters(opts: dict) -> None:
    sb = st.sidebar
    sb.subheader("Filters")
    sb.toggle("Show background", key="w_background",
              help="Also show history and context (events the articles mention but do not report as news)")
    sb.multiselect("Event type", opts["types"], key="w_types", format_func=views.type_label)
    sb.text_input("Actor", key="w_actor", help="Part of the name of anyone doing or undergoing it")
    sb.number_input("Minimum sources", min_value=1, max_value=views.MAX_SOURCES, step=1, key="w_min_sources",
                    help="Only incidents reported by at least this many articles")
    sb.text_input("Search place, title or sentence", key="w_text")
    sb.multiselect("Country", opts["countries"], key="w_countries", format_func=country_name,
                   on_change=ss.__setitem__, args=("_fit_next", True))     # the map frames the countries
    sb.multiselect("Source", opts["sources"], key="w_sources")
    sb.multiselect("Place kind", opts["kinds"], key="w_kinds")
    sb.slider("Minimum confidence", 0.0, 1.0, step=0.05, key="w_conf")


def fly_to(center, zoom) -> None:
    ss["center"], ss["zoom"] = center, zoom


def fly_to_found() -> None:
    """The place picked among the search's namesakes."""
    hit = (ss.get("_found") or {}).get(ss.get("w_find_pick"))
    if hit:
        fly_to((hit["lat"], hit["lon"]), views.ZOOM_BY_KIND.get(hit["kind"], 9))


def navigation(bounds, link: str) -> None:
    """Above the map: a place search over the gazetteer (any spelling: "Kiev" finds Kyiv) that flies
    the map there, "Fit to events" (the view's events, whole), and the share bar (`share_bar`)."""
    c1, c2, c3, c5, c4 = st.columns([2.6, 2, 1.8, 2, 3.8], vertical_alignment="bottom")
    c5.toggle("Heatmap", key="w_heat", help="The events' density (counted per grid cell of the map's zoom) "
              "instead of the pins: for large windows")
    with c4:
        share_bar(link)
    name = c1.text_input("Find a place", key="w_find", placeholder="a town, region or country",
                         on_change=lambda: ss.update(_find_new=True))
    hits = views.place_choices(gazetteer(), name) if name.strip() else []
    ss["_found"] = {h["label"]: h for h in hits}
    if hits:
        if ss.pop("_find_new", False) or ss.get("w_find_pick") not in ss["_found"]:
            ss["w_find_pick"] = hits[0]["label"]            # a new name: fly to its likeliest place
            fly_to_found()
        c2.selectbox("Place found", [h["label"] for h in hits], key="w_find_pick", on_change=fly_to_found)
    elif name.strip():
        c2.caption(f"No place called “{md(name.strip())}” in the gazetteer.")
    c3.button("Fit to events", key="w_fit", width="stretch", disabled=bounds is None,
              on_click=lambda: fly_to(*views.fit_view(bounds, height_px=MAP_HEIGHT)) if bounds else None)


def follow_the_data(store: Store, f: dict, n: int, bounds) -> None:
    """After a filter change or an article added, when none of the view's events lies where the
    map looks, the map moves to fit them."""
    key = (filters_key(f), store.revision())
    changed = ss.get("_follow_key") not in (None, key)
    ss["_follow_key"] = key
    box = views.padded_bbox((ss.get("map") or {}).get("bounds"), pad=0.0)
    if changed and n and bounds and box and store.estimate_view(**dict(f, bbox=box))[0] == 0:
        fly_to(*views.fit_view(bounds, height_px=MAP_HEIGHT))


def histogram(store: Store, memo: dict, f: dict, view: views.ViewState, span, held: bool = False) -> None:
    """Incidents (one per happening, however many articles report it) per day/week/month, counted
    by the store. Brushing a range on it (drag across the bars) makes that range, in whole days,
    the window; a window of up to two months has a tick per day (or every few days), dated."""
    choice = ss.get("w_bucket", "auto")
    bucket = views.auto_bucket(view.start, view.end) if choice == "auto" else choice
    bars = remembered(memo, ("bars", bucket, filters_key(f)), lambda: store.view_histogram(bucket, **f))
    frame = views.counts_frame({date.fromisoformat(p): n for p, n in bars}, bucket)
    c1, c2 = st.columns([5, 2])
    with c2:
        st.radio("Bars per", ["auto", "day", "week", "month"], key="w_bucket", horizontal=True,
                 label_visibility="collapsed")
    with c1:
        if frame.empty:
            st.caption("No dated events in this view.")
            return
        if held:
            st.caption("Drawing the histogram…")
            return
        if view.start and view.end:     # the axis spans the window, whatever the bars
            lo = views.bucket_start(view.start, bucket)
            hi = view.end + timedelta(days=1)
            scale = alt.Scale(domain=[alt.DateTime(year=lo.year, month=lo.month, date=lo.day),
                                      alt.DateTime(year=hi.year, month=hi.month, date=hi.day)])
        else:
            scale = alt.Undefined
        ticks = views.day_axis(view.start, view.end)
        axis = (alt.Axis(format=ticks["format"], labelAngle=0,
                         tickCount=alt.TimeIntervalStep(interval=ticks["interval"], step=ticks["step"]))
                if ticks else alt.Undefined)
        brush = alt.selection_interval(name="brush", encodings=["x"])
        chart = (alt.Chart(frame, height=130)
                 .mark_bar(color="#277f8e", stroke="#ffffff", strokeWidth=0.5, clip=True)
                 .encode(x=alt.X("period:T", title=f"events per {bucket} (drag across the bars to pick dates)",
                                 scale=scale, axis=axis),
                         x2="period_end:T",
                         y=alt.Y("events:Q", title=None, axis=alt.Axis(tickMinStep=1)),
                         y2=alt.datum(0),
                         tooltip=[alt.Tooltip("period:T", title=f"{bucket} from"), "events:Q"])
                 .add_params(brush))
        # a new key after each brush: the chart comes back without the old brush on it
        gen = ss.setdefault("_brush_gen", 0)
        event = st.altair_chart(chart, width="stretch", on_select="rerun", key=f"w_hist_{gen}")
    picked = views.brushed_window(((event or {}).get("selection") or {}).get("brush"), span)
    if picked is not None:
        ss["_brush_gen"] = gen + 1
        set_window(*picked)
        st.rerun(scope="app")                # the sidebar's dates and the table follow


def heat_cells(store: Store, memo: dict, f: dict, view: views.ViewState) -> list:
    """The view's events counted per grid cell of the map's zoom, for the heatmap (the store counts
    them: no event is loaded, however big the view)."""
    cell = views.cell_degrees(view.zoom or mapview.DEFAULT_ZOOM)
    return remembered(memo, ("cells", cell, filters_key(f)), lambda: store.view_cells(cell, **f))


def draw_map(shown: Optional[list], cells: Optional[list], view: views.ViewState, memo: dict,
             selected: Optional[dict] = None, heat: Optional[list] = None, layer_key=None):
    """The base map is the same on every rerun of a session (so streamlit-folium keeps it mounted,
    with the user's pan and zoom); the view's events (or, for a big view, their counts per cell)
    travel as `feature_group_to_add`, and a picked event moves the view through `center`/`zoom`."""
    base = ss.get("_base_view") or {}
    m = mapview.build_map(center=base.get("center"), zoom=base.get("zoom"))
    layer = (mapview.heat_layer(heat) if heat is not None
             else mapview.layer_from_json(layer_json(memo, layer_key, shown, view)) if shown is not None
             else mapview.density_layer(cells))
    if selected is not None and selected.get("id") != ss.get("_clicked"):
        mapview.mark_selected(layer, selected)        # picked in the table or a link
    if base.get("bounds") and base.get("center") is None:
        m.fit_bounds(base["bounds"], padding=(30, 30), max_zoom=8)
    # center/zoom: where the app moves the map (a picked event); the map reports its own pan and
    # zoom back (returned "center"/"zoom") for the URL.
    return st_folium(m, key="map", feature_group_to_add=layer,
                     center=ss.get("center"), zoom=ss.get("zoom"),
                     returned_objects=["last_clicked", "last_object_clicked", "last_object_clicked_count",
                                       "last_object_clicked_tooltip", "center", "zoom", "bounds"],
                     use_container_width=True, height=MAP_HEIGHT)


def base_view(store: Store, memo: dict, background: bool) -> dict:
    """The map's opening view for the session: the URL's centre and zoom, else the bounds of the
    reported events (background ones too with `background`; all events when there are none). Kept
    fixed for the session so that reruns never remount the map."""
    if ss.get("center"):
        return {"center": tuple(ss["center"]), "zoom": ss.get("zoom") or 7, "bounds": None}
    # read once per revision, not once per visitor
    box = (remembered(memo, ("bounds", background), lambda: store.view_bounds(role=None if background else "reported"))
           or remembered(memo, ("bounds", None), lambda: store.view_bounds(role=None)))
    if box is None:
        return {"center": None, "zoom": None, "bounds": None}
    (south, west), (north, east) = box
    if north - south < 1e-6 and east - west < 1e-6:
        return {"center": (south, west), "zoom": 8, "bounds": None}
    return {"center": None, "zoom": None, "bounds": [[south, west], [north, east]]}


def events_table(store: Store, memo: dict, f: dict, shown: Optional[list], n: int) -> list:
    """The view's events, newest first, TABLE_ROWS a page (a bigger view's pages are read from the
    store); returns the events listed."""
    pages = max(1, -(-n // TABLE_ROWS))
    page_no = 1
    if pages > 1:
        if int(ss.get("w_table_page") or 1) > pages:       # the view shrank under the page
            ss["w_table_page"] = pages
        c1, c2 = st.columns([1, 3], vertical_alignment="center")
        page_no = int(c1.number_input("Page", min_value=1, max_value=pages, step=1, key="w_table_page"))
        c2.caption(f"Events {(page_no - 1) * TABLE_ROWS + 1:,}–{min(n, page_no * TABLE_ROWS):,} of {n:,}, "
                   "newest first")
    offset = (page_no - 1) * TABLE_ROWS
    if shown is not None:
        rows_events = views.newest_first(shown)[offset:offset + TABLE_ROWS]
    else:
        rows_events = remembered(memo, ("table", page_no, filters_key(f)), lambda: store.view_events(
            newest_first=True, limit=TABLE_ROWS, offset=offset, **f))
    rows = views.table_rows(rows_events)
    ids = [r["id"] for r in rows]
    key = table_key(ids)
    picked = [ids.index(ss["selected"])] if ss.get("selected") in ids else []
    last = ss.get("_table") or {}
    if last.get("key") != key:          # a new table starts with the selected event ticked
        ss["_table"] = {"key": key, "ids": ids, "seen": picked}
    st.dataframe(rows, key=key, on_select="rerun", selection_mode="single-row", hide_index=True,
                 selection_default={"selection": {"rows": picked}} if picked else None,
                 width="stretch", height=min(420, 38 + 35 * max(len(rows), 1)),
                 column_config={"id": None,
                                "confidence": st.column_config.NumberColumn(format="%.2f"),
                                **{c: st.column_config.TextColumn(width=w) for c, w in views.TABLE_WIDTHS.items()}})
    row = next((e for e in rows_events if e.get("id") == ss.get("selected")), None)
    if row is not None and row.get("article_id") is not None:
        st.button(f"Read the article of the selected row: “{md(row.get('title') or '(untitled)')}”",
                  key="w_read_row", on_click=open_article, args=(row["article_id"],))
    return rows_events


def date_how(e: dict) -> str:
    """How the event got its date, in words: the words that dated it, or where it came from."""
    source = e.get("date_source")
    if source == "stated":
        return f"dated by “{e['date_text']}”" if e.get("date_text") else "stated in the article"
    return "date inferred from publication" if source == "published" else "date unknown"


def incident_members(store: Store, event: dict) -> list:
    """The visible events of the selected event's incident (itself alone if it has none)."""
    if event.get("incident_id") is None:
        return [event]
    try:
        members = store.incident(event["incident_id"])["events"]
    except StoreError:
        return [event]
    return views.incident_members(members, event)       # itself first, then by publication


def incident_panel(store: Store, event: dict) -> dict:
    """The selected incident: what, where, when, who, and every source reporting it. Returns the
    event the corrections below apply to (one of the incident's events)."""
    members = incident_members(store, event)
    n = views.n_articles(members)
    st.markdown(f"**{md(views.type_label(views.event_type(event)))}** · **{md(event.get('name'))}** · "
                f"{md(event.get('date') or 'unknown date')} ({md(event.get('precision') or '?')}, "
                f"{md(date_how(event))})")
    actors = views.incident_actors(members)
    if actors:
        st.caption("Actors: " + md(", ".join(actors)))
    if views.role_of(event) == "background":
        st.caption("Background: history or context, not reported as news")
    st.markdown(f"**Reported by {n} source{'s' if n != 1 else ''}**")
    for m in members:
        with st.container(border=True):
            st.caption(md(m.get("title") or "(untitled article)"))
            st.text(m.get("sentence") or "")
            url = mapview.safe_url(m.get("url"))
            extra = " · ".join(x for x in (f"published {m['published']}" if m.get("published") else "",
                                           f"{m.get('date') or 'no date'} ({date_how(m)})" if len(members) > 1 else "")
                               if x)
            if extra:
                st.caption(md(extra))
            b1, b2 = st.columns(2)
            if m.get("article_id") is not None:
                b1.button("Read the article", key=f"w_read_{m['id']}", on_click=open_article, args=(m["article_id"],),
                          width="stretch", help="Its full text with every place marked, and its events")
            if url:
                b2.link_button(f"Source ({md(views.source_of(m))}) ↗", url, width="stretch")
    target = event
    if len(members) > 1:
        ids = [m["id"] for m in members]
        by = {m["id"]: m for m in members}
        pick = st.selectbox("Correct the report from", ids, key=f"w_target_{event['id']}",
                            format_func=lambda i: f"{by[i].get('title') or '(untitled)'} — {by[i].get('name')}")
        target = by[pick]
    return target


FLASH_S = 4.0      # how long a confirmation stays: the runs that follow an action within it show it too


def flash(text: str) -> None:
    """A confirmation over the map ("Snapshot deleted…"), shown by the next run and by those that
    follow within FLASH_S (an action's run is often followed at once by another, e.g. a component's
    report, which would otherwise wipe it before it can be read)."""
    ss["_flash"] = (text, time.monotonic())


def show_flash() -> None:
    text, at = ss.get("_flash") or (None, 0.0)
    if text is None:
        return
    if ss.get("_flash_shown") == at and time.monotonic() - at > FLASH_S:
        ss.pop("_flash", None)
        return
    st.success(text)
    ss["_flash_shown"] = at


def fix_place(store: Store, event: dict) -> None:
    lat, lon, conf = event.get("lat"), event.get("lon"), event.get("confidence")
    where = f"Now at {lat:.4f}, {lon:.4f}" if lat is not None and lon is not None else "No position"
    st.caption(f"{where} · confidence {conf if conf is not None else '?'}"
               + (" · corrected by hand" if event.get("corrected") else ""))
    st.markdown("**Fix this pin**")
    alts = [a for a in (event.get("alternatives") or [])
            if a.get("lat") is not None and a.get("lon") is not None
            and (a["lat"], a["lon"]) != (event.get("lat"), event.get("lon"))]
    modes = (["Pick an alternative"] if alts else []) + ["Click on the map"]
    mode = st.radio("How", modes, key=f"w_fix_mode_{event['id']}", horizontal=True, label_visibility="collapsed")
    kwargs = None
    if mode == "Pick an alternative":
        i = st.selectbox("Alternative", range(len(alts)), key=f"w_alt_{event['id']}",
                         format_func=lambda k: views.alternative_label(alts[k]))
        kwargs = views.correction_for(event, alt=alts[i])
    else:
        click = (ss.get("map") or {}).get("last_clicked")
        if click:
            st.text(f"Clicked point: {click['lat']:.5f}, {click['lng']:.5f}")
            name = st.text_input("Place name (optional)", key=f"w_fix_name_{event['id']}")
            kwargs = views.correction_for(event, point=(click["lat"], click["lng"]), name=name)
        else:
            st.caption("Click the map where this happened, then save.")
    said = event.get("mention_text") or event.get("name") or ""
    rule = st.checkbox(f"Always place “{md(said)}” there in this store", key=f"w_rule_{event['id']}",
                       help="A rule for every mention of this name, in the articles stored and in those to come")
    if st.button("Save correction", key="w_save", type="primary", disabled=kwargs is None):
        with writing():
            save_place(store, kwargs, rule, said)


def save_place(store: Store, kwargs: dict, rule: bool, said: str) -> None:
    """The pin fix: a place rule for every mention of `said`, or this one event moved."""
    if rule:
        store.add_place_rule(said, kwargs["lat"], kwargs["lon"], place_name=kwargs.get("name"),
                             place_key=kwargs.get("place_key"), country_code=kwargs.get("country_code"),
                             kind=kwargs.get("kind"))
        flash(f"Saved: “{md(said)}” is always placed at {kwargs['lat']:.4f}, {kwargs['lon']:.4f} "
              "in this store")
    else:
        n = store.correct(**kwargs)
        flash(f"Saved: {n} event(s) moved to {kwargs['lat']:.4f}, {kwargs['lon']:.4f}")
    ss["center"], ss["zoom"] = (kwargs["lat"], kwargs["lon"]), ss.get("zoom") or 9
    st.rerun()


def fix_type(store: Store, event: dict) -> None:
    from geo.events import EVENT_TYPES
    current = views.event_type(event)
    t = st.selectbox("Type", EVENT_TYPES, index=EVENT_TYPES.index(current), key=f"w_type_{event['id']}",
                     format_func=views.type_label)
    if st.button("Save type", key="w_save_type", type="primary", disabled=t == current):
        with writing():
            store.set_type(type=t, **views.target_of(event))
            flash(f"Saved: the type is now {views.type_label(t)}")
            st.rerun()


def fix_date(store: Store, event: dict) -> None:
    days = mapview.event_days(event)
    first, last = days if days else (date.today(), date.today())
    precision = event.get("precision") if event.get("precision") in views.PRECISIONS else "day"
    prec = st.radio("Precision", views.PRECISIONS, index=views.PRECISIONS.index(precision), horizontal=True,
                    key=f"w_prec_{event['id']}")
    c1, c2 = st.columns(2)
    start = c1.date_input("Date" if prec != "range" else "From", value=first, key=f"w_date_{event['id']}",
                          min_value=date(1, 1, 1), max_value=date(9999, 12, 31))
    end = None
    if prec == "range":
        end = c2.date_input("To", value=max(last, start), key=f"w_date_end_{event['id']}",
                            min_value=date(1, 1, 1), max_value=date(9999, 12, 31))
    value, value_end = views.date_value(start, end, prec)
    st.caption(f"Will be stored as {value}" + (f" – {value_end}" if value_end else "") + f" ({prec})")
    if st.button("Save date", key="w_save_date", type="primary"):
        with writing():
            store.set_date(date=value, date_end=value_end, precision=prec, **views.target_of(event))
            flash(f"Saved: the date is now {value}" + (f" – {value_end}" if value_end else ""))
            st.rerun()


def hide_event(store: Store, event: dict) -> None:
    st.caption("Not something that happened at this place: hide it (it is kept, and can be restored "
               "from Hidden events below)")
    if st.button("Not an event (hide)", key="w_hide"):
        with writing():
            store.set_hidden(hidden=True, **views.target_of(event))
            flash(f"Hidden: {md(event.get('name'))} in “{md(event.get('title') or '(untitled)')}”")
            clear_selection()
            st.rerun()


def corrections_panel(store: Store) -> None:
    """Every correction, newest first, each with an Undo; the hidden events, each with Restore."""
    try:
        corrections = list(store.corrections())
    except StoreError:
        corrections = []
    hidden = [c for c in corrections if c.get("kind") == "hidden"]
    newest_first = sorted(corrections, key=lambda c: (str(c.get("created_at")), c.get("id")), reverse=True)
    undo_list(store, f"Hidden events ({len(hidden)})", hidden, views.hidden_label,
              "None: “Not an event” hides an event here.", "Restore", "Restored", "w_restore")
    undo_list(store, f"Corrections ({len(corrections)})", newest_first, views.correction_label,
              "None yet.", "Undo", "Undone", "w_undo")


def undo_list(store: Store, title: str, items: list, label, empty: str, button: str, done: str, key: str) -> None:
    """An expander listing corrections, each with a button that undoes it."""
    with st.expander(title, expanded=False):
        if not items:
            st.caption(empty)
        for c in items:
            c1, c2 = st.columns([4, 1], vertical_alignment="center")
            c1.text(label(c))
            if c2.button(button, key=f"{key}_{c['id']}"):
                with writing():
                    store.undo_correction(c["id"])
                    flash(f"{done}: " + md(label(c)))
                    st.rerun()


def selected_panel(store: Store, in_view: bool, event: dict) -> None:
    if not in_view:
        st.caption("(not in the current view)")
    target = incident_panel(store, event)
    if not can_edit():
        return
    place, kind, when, hide = st.tabs(["Place", "Type", "Date", "Not an event"])
    with place:
        fix_place(store, target)
    with kind:
        fix_type(store, target)
    with when:
        fix_date(store, target)
    with hide:
        hide_event(store, target)


# --------------------------------------------------------------------------- sharing

def page_base() -> str:
    """This app's address (for links), as the browser sees it."""
    try:
        return views.base_url(st.context.url)
    except Exception:  # noqa: BLE001 - no browser context (e.g. AppTest)
        return views.DEFAULT_BASE_URL


def _render_view(location: str, f: dict, fmt: str, opts) -> bytes:
    """A big view's file, read from the store only when its button is clicked (its own connection:
    the callable runs outside the page's run)."""
    with Store.open(location) as s:
        return export.render(s.view_events(**f), fmt, opts)


def download_buttons(events: Optional[list], view: views.ViewState, title: str, key: str,
                     source: Optional[tuple] = None, n: Optional[int] = None) -> None:
    """The view as files: HTML, GeoJSON, CSV, KML (built when clicked) and PNG (rendered on request).
    events: the view's events; None for a view too big to hold, whose files are read from the
    store when clicked: source = (store location, the view's store filters), n = its size."""
    if events is None:
        opts = views.map_options(view, n, title=title)
        st.caption(f"Download these {n:,} events")
    else:
        opts = views.map_options(view, export.count(events, "html"), title=title)
        st.caption(f"Download these {len(events)} events")
    cols = [c for _ in range(2) for c in st.columns(2)]      # a 2×2 grid fits the sidebar
    for col, fmt in zip(cols, ("html", "geojson", "csv", "kml")):
        # A callable is only run when the button is clicked (it gets no Streamlit context: it
        # closes over plain values).
        data = (functools.partial(export.render, events, fmt, opts) if events is not None
                else functools.partial(_render_view, source[0], source[1], fmt, opts))
        col.download_button(fmt.upper(), data=data,
                            file_name=export.file_name(fmt, opts), mime=export.MEDIA_TYPES[fmt],
                            key=f"{key}_dl_{fmt}", on_click="ignore", width="stretch")
    c1, c2 = st.columns(2)
    width = c1.number_input("PNG width", 300, 4000, 1200, step=100, key=f"{key}_png_w")
    height = c2.number_input("PNG height", 200, 4000, 800, step=100, key=f"{key}_png_h")
    if events is None:
        st.caption(f"PNG: narrow the view to at most {MAX_PINS:,} events.")
        return
    fit = st.checkbox("Fit the PNG to the events", value=True, key=f"{key}_png_fit",
                      help="Off: the PNG shows the map where it is now")
    if st.button("Render PNG", key=f"{key}_png", width="stretch"):
        with st.status("Rendering the map in headless Chromium…") as status:
            try:
                png_opts = dataclasses.replace(opts, width=int(width), height=int(height))
                if fit:
                    png_opts = dataclasses.replace(png_opts, center=None, zoom=None)
                ss[f"{key}_png_data"] = (export.render(events, "png", png_opts), export.file_name("png", png_opts))
                status.update(label=f"PNG ready ({width}×{height})", state="complete")
            except export.ExportError as exc:
                ss.pop(f"{key}_png_data", None)
                status.update(label="No PNG", state="error")
                st.error(md(exc))
    if ss.get(f"{key}_png_data"):
        data, name = ss[f"{key}_png_data"]
        st.download_button("Download PNG", data=data, file_name=name, mime="image/png", key=f"{key}_dl_png",
                           on_click="ignore", type="primary")


def share_bar(link: str, title: str = "Reported events") -> None:
    """"Copy link" and "Copy embed code" (buttons that copy `link` and its <iframe> snippet), and the
    keeper of this browser's snapshots: their ids and owner keys live in the browser's
    localStorage (geo/components/share/index.html), which reports them back here
    (``ss["_my_snaps"]``); snapshots made or deleted in this session reach it as `add`/`remove`."""
    pending = ss.setdefault("_snap_pending", {"add": [], "remove": []})
    held = ss.get("w_share") if isinstance(ss.get("w_share"), list) else []     # its last report
    mine = _share_bar(link=link, embed=views.embed_snippet(link, title), add=pending["add"],
                      remove=pending["remove"], have=[x.get("id") for x in held if isinstance(x, dict)],
                      key="w_share", default=[])
    if isinstance(mine, list):
        reported = [x for x in mine if isinstance(x, dict) and isinstance(x.get("id"), str)
                    and isinstance(x.get("key"), str)][:200]
        ids = {x["id"] for x in reported}
        pending["add"] = [x for x in pending["add"] if x["id"] not in ids]
        pending["remove"] = [i for i in pending["remove"] if i in ids]
        # until the browser confirms them, this session's own adds and deletes stand over its report
        # (which lags one round trip: a snapshot just deleted would be listed again as gone)
        kept = [x for x in reported if x["id"] not in pending["remove"]] + pending["add"]
        changed = kept != (ss.get("_my_snaps") or [])
        ss["_my_snaps"] = kept
        if changed and in_fragment_run():
            st.rerun(scope="app")            # "My snapshots" in the sidebar lists them


def forget_snapshot(snapshot_id: str) -> None:
    """Drop a snapshot from this browser's list (and from the store, by the caller, if it is still there)."""
    pending = ss.setdefault("_snap_pending", {"add": [], "remove": []})
    if snapshot_id not in pending["remove"]:
        pending["remove"].append(snapshot_id)
    pending["add"] = [x for x in pending["add"] if x["id"] != snapshot_id]
    ss["_my_snaps"] = [x for x in ss.get("_my_snaps") or [] if x["id"] != snapshot_id]


def my_snapshots(store: Store) -> None:
    """The snapshots made in this browser: title, size, date and link each, and (with editing
    rights) rename and delete, which the store allows only with the snapshot's owner key that this
    browser keeps (a link's recipients do not have it)."""
    mine = ss.get("_my_snaps") or []
    st.markdown(f"**My snapshots** ({len(mine)})")
    if not mine:
        st.caption("None yet from this browser. The snapshots you share from here are listed here (this browser "
                   "keeps their ids; nothing of it goes in the links).")
        return
    try:
        known = {x["id"]: x for x in store.snapshots()}
    except StoreError:
        known = {}
    base = page_base()
    for x in reversed(mine):          # newest first
        sid, snap = x["id"], known.get(x["id"])
        with st.container(border=True, key=f"my_snap_{sid}"):
            if snap is None:
                st.caption("No longer in this map's database.")
                st.button("Forget it", key=f"w_snap_forget_{sid}", on_click=forget_snapshot, args=(sid,))
                continue
            when = str(snap["created_at"]).replace("T", " ").replace("+00:00", " UTC")[:23]
            st.markdown(f"**{md(snap['title'] or '(untitled)')}** · {snap['n_events']} event"
                        f"{'s' if snap['n_events'] != 1 else ''} · {md(when)}")
            st.markdown(views.code_text(views.snapshot_link(base, sid)))
            if not can_edit():
                continue
            title = st.text_input("Title", value=snap["title"], key=f"w_snap_name_{sid}", max_chars=200)
            c1, c2 = st.columns(2)
            if c1.button("Rename", key=f"w_snap_rename_{sid}", disabled=title.strip() == snap["title"],
                         width="stretch"):
                with writing():
                    store.require_edit()
                    try:
                        store.rename_snapshot(sid, title.strip(), x["key"])
                        flash(f"Snapshot renamed: “{md(title.strip() or '(untitled)')}”")
                    except StoreError as exc:
                        st.error(md(exc))
                    else:
                        st.rerun()
            if c2.button("Delete", key=f"w_snap_delete_{sid}", width="stretch"):
                with writing():
                    store.require_edit()
                    try:
                        store.delete_snapshot(sid, x["key"])
                    except StoreError as exc:
                        st.error(md(exc))
                    else:
                        forget_snapshot(sid)
                        if ss.get("_snap_link", "").endswith(sid):
                            ss.pop("_snap_link", None)
                        flash(f"Snapshot deleted: “{md(snap['title'] or '(untitled)')}”; its link no longer opens")
                        st.rerun()


def sidebar_share(store: Store, shown: Optional[list], f: dict, n: int, view: views.ViewState) -> None:
    link = views.permalink(page_base(), view)
    with st.sidebar.expander("Share this view", expanded=False):
        st.caption("The link of exactly this view (dates, filters, map position, selected event); "
                   "“Copy link” over the map copies it")
        st.markdown(views.code_text(link))
        st.text_area("Embed code: this view in another page (“Copy embed code” over the map copies it)",
                     value=views.embed_snippet(link), height=100, disabled=True)
        if can_edit() and shown is not None:
            snapshot_form(store, shown, view)
        elif can_edit():
            st.caption(f"Share snapshot: narrow the view to at most {MAX_PINS:,} events to freeze it.")
        if ss.get("_snap_link"):
            st.success("Snapshot saved: its link")
            st.markdown(views.code_text(ss["_snap_link"]))
        my_snapshots(store)
        download_buttons(shown, view, "Reported events", key="w_live", source=(store.path, f), n=n)


def snapshot_form(store: Store, shown: list, view: views.ViewState) -> None:
    st.caption("Share snapshot: freeze these events, so the link keeps showing them after new articles, "
               "corrections or deletions")
    title = st.text_input("Snapshot title", key="w_snap_title", max_chars=200)
    note = st.text_area("Note", key="w_snap_note", height=68, max_chars=2000)
    if st.button("Share snapshot", key="w_snap_save", disabled=not shown):
        with writing():    # GuardedStore: editing rights, the size cap and this session's rate limit
            snap = store.save_snapshot(views.to_query(view), shown, title=title, note=note)
            ss["_snap_link"] = views.snapshot_link(page_base(), snap.id)
            # this browser keeps the snapshot's id and owner key (share_bar), for "My snapshots"
            entry = {"id": snap.id, "key": store.snapshot_owner_key(snap.id), "at": snap.created_at}
            ss.setdefault("_snap_pending", {"add": [], "remove": []})["add"].append(entry)
            ss["_my_snaps"] = (ss.get("_my_snaps") or []) + [entry]
            st.rerun()


def snapshot_page(store: Store, snapshot_id: str) -> None:
    """?snapshot=ID: the frozen view, read-only, with a banner and a link to the live view."""
    static_assets()
    base = page_base()
    try:
        snap = store.snapshot(snapshot_id)
    except StoreError as exc:
        st.error(f"This snapshot cannot be opened: {md(exc)}")
        st.link_button("Open the live map", base)
        return
    view = views.from_query(snap.view)
    events = snap.events
    if getattr(snap, "changed", False):     # its stored content no longer matches its hash (Store.snapshot)
        st.warning(SNAPSHOT_CHANGED)
    st.sidebar.title("Reported events")
    st.info(f"**Snapshot of {snap.n_events} event{'s' if snap.n_events != 1 else ''}, taken "
            f"{md(snap.created_at.replace('T', ' ').replace('+00:00', ' UTC'))}** · read-only"
            + (f" · {md(snap.title)}" if snap.title else ""))
    if snap.note:
        st.text(snap.note)
    c1, c2 = st.columns([1, 1], vertical_alignment="bottom")
    c1.link_button("Open the live view", views.link(base, snap.view))
    with c2:
        share_bar(views.snapshot_link(base, snap.id), title=snap.title or "Snapshot")   # copy this snapshot's link
    st.caption(views.caption(len(events), len(events)))
    st.caption(md(views.describe(view, len(events))))
    window = (view.start, view.end) if view.start and view.end else None
    m = mapview.build_map(events, center=view.center, zoom=view.zoom, window=window)
    st_folium(m, key="snapmap", returned_objects=[], use_container_width=True, height=MAP_HEIGHT)
    st.dataframe(views.table_rows(events), hide_index=True, width="stretch",
                 column_config={"id": None, "confidence": st.column_config.NumberColumn(format="%.2f")})
    with st.sidebar:
        download_buttons(events, view, snap.title or "Snapshot", key="w_snap")


def in_fragment_run() -> bool:
    """True while only a fragment reruns (its timer, or a widget inside it), not the whole page."""
    from streamlit.runtime.scriptrunner import get_script_run_ctx
    ctx = get_script_run_ctx()
    return bool(ctx is not None and ctx.fragment_ids_this_run)


def view_data(store: Store, memo: dict, span) -> dict:
    """What the view shows, as the store answers it: the view, its filters, the number of its events
    (an estimate for a very large view), and its events (at most MAX_PINS) or their counts per cell."""
    view = current_view()
    f = view_filters(view, span)
    return dict(view=view, f=f, **view_content(store, memo, view, f, (ss.get("map") or {}).get("bounds")))


def view_filters(view: views.ViewState, span) -> dict:
    return views.store_filters(view, span, views.place_keys_named(gazetteer() if view.text else None, view.text))


def view_content(store: Store, memo: dict, view: views.ViewState, f: dict, map_bounds) -> dict:
    """`view_data`'s answers for a view and the map's bounds (no session state: `read_ahead` runs it
    in a thread too). ``layer``: the memo key of the map layer drawing ``shown``."""
    # (a very large view's number comes off the store's fixed sample: an estimate, said to be one)
    n_shown, exact = remembered(memo, ("estimate", filters_key(f)), lambda: store.estimate_view(**f))
    # a view small enough is drawn pin by pin; a bigger one as counts per grid cell of the map's zoom
    shown, cells, layer = None, None, None
    if n_shown <= MAX_PINS:
        shown, layer = view_events(store, memo, f), ("layer", filters_key(f))
    else:
        # zoomed in on part of a big view: the pins there when they are few enough, else counts per cell
        box = views.padded_bbox(map_bounds)
        fb = dict(f, bbox=box) if box else f
        if box and remembered(memo, ("estimate", filters_key(fb)), lambda: store.estimate_view(**fb))[0] <= MAX_PINS:
            shown, layer = view_events(store, memo, fb), ("layer", filters_key(fb))
        else:
            cell = views.cell_degrees(view.zoom or mapview.DEFAULT_ZOOM)
            cells = remembered(memo, ("cells", cell, filters_key(fb)), lambda: store.view_cells(cell, **fb))
    return {"n": n_shown, "exact": exact, "shown": shown, "cells": cells, "layer": layer}


def layer_json(memo: dict, key, shown: list, view: views.ViewState) -> str:
    """The map layer of a view's events (its script's data), made once per revision and view."""
    window = (view.start, view.end) if view.start and view.end else None
    return remembered(memo, key, lambda: mapview.event_layer_json(
        shown, window=window, rows_cache=memo.setdefault("rows", {}), read_links=True, details=view_details(),
        details_key=memo.get("details_key")))


READ_AHEAD_MIN_EVENTS = 1000   # a smaller view is read in less time than a thread and a store take to start


def read_ahead(store: Store, memo: dict, view: views.ViewState, span, n_shown: int) -> None:
    """Read the next step's window (what Step ▶ and playback show next) and lay out its map layer in
    a background thread while the analyst looks at this one: the step then only sends it (a month of
    5,000 events at 100k: its events and layer take ~0.25 s to make). One at a time per revision."""
    if (store.path == ":memory:" or memo.get("_reading_ahead") or not (view.start and view.end) or view.heat
            or n_shown < READ_AHEAD_MIN_EVENTS):
        return
    step = STEP_DAYS.get(ss.get("w_step", "week"), 7)
    nxt = views.play_step(view, step, span)
    if ss.get("_playing") and ss.get("w_play_mode", "window") != "window":
        win = views.next_play_window(view.start, view.end, step, span, ss.get("w_play_mode"), None)
        if win:
            nxt = dataclasses.replace(view, start=win[0], end=win[1])
    if (nxt.start, nxt.end) == (view.start, view.end):
        return
    f, bounds = view_filters(nxt, span), (ss.get("map") or {}).get("bounds")
    memo["_reading_ahead"] = True

    def work() -> None:
        try:
            with Store.open() as s:                # the app's store (GEO_DB), as `live_view` opens it
                d = view_content(s, memo, nxt, f, bounds)
                if d["shown"] is not None:
                    layer_json(memo, d["layer"], d["shown"], nxt)
        except Exception as exc:  # noqa: BLE001 - reading ahead is a bonus: the step reads it itself
            print(f"read-ahead of {nxt.start}…{nxt.end} failed: {exc}", flush=True)
        finally:
            memo.pop("_reading_ahead", None)

    import threading
    threading.Thread(target=work, name="read-ahead", daemon=True).start()


def play_tick(store: Store, memo: dict, span) -> None:
    """While playing, each timed run of the live view moves the window one step (STEP_DAYS of
    "Play step"; the window slides, or, cumulative, grows its end; with "Skip empty steps" a step
    showing no event jumps to the next that does, found on the view's events per day). At the end
    playback stops and the whole page reruns (the table, the sidebar's dates follow then)."""
    if not ss.get("_playing") or not in_fragment_run():
        return
    interval = views.play_interval(PLAY_INTERVAL_S, ss.get("w_speed", "1×"))
    now = time.monotonic()
    if now - ss.get("_last_tick", 0.0) < 0.8 * interval:
        return                               # a run of the fragment by a click or a pan, not its timer
    if ss.get("_step_pending"):
        return      # the last step's run was cut short by the next one (a slow machine): draw it first
    ss["_last_tick"] = now
    win = get_window()
    if not win:
        return
    step = STEP_DAYS.get(ss.get("w_step", "week"), 7)
    mode = ss.get("w_play_mode", "window")
    days = None
    if ss.get("w_skip_empty", True):
        whole = dataclasses.replace(current_view(), start=None, end=None)
        fw = views.store_filters(whole, span, views.place_keys_named(gazetteer() if whole.text else None, whole.text))
        bars = remembered(memo, ("bars", "day", filters_key(fw)), lambda: store.view_histogram("day", **fw))
        days = [p for p, n in bars if n]
    nxt = views.next_play_window(win[0], win[1], step, span, mode, days)
    ss["_play_steps"] = ss.get("_play_steps", 0) + 1
    if nxt is None:
        stop_playback()
        ss["_play_note"] = ("Playback stopped at the end of the timeline." if days is None or win[1] >= views._span(span)[1]
                            else "Playback stopped: no later step has events.")
        st.rerun(scope="app")
    set_window(*nxt)
    ss["_step_pending"] = True                # until this window has been drawn (end of `live_view`)


def live_view(span, news_end: Optional[str] = None) -> None:
    """The part of the page that follows the window on its own: the captions, the navigation bar, the
    map, and under it the histogram and the time bar. A fragment (`page`): while playing it reruns
    every step by itself and the rest of the page (sidebar, article view, table, panels) does not; a
    move of the time bar, a pan or a zoom reruns it first, and once the map is drawn the whole page
    follows; a pin clicked, a range brushed and the end of playback rerun the whole page at once."""
    if ss.pop("_play_changed", False) and in_fragment_run():
        st.rerun(scope="app")       # Play/Stop pressed or a new speed: a whole run sets the timer
    if ss.get("_held") and map_reported() and in_fragment_run():
        ss["_held"] = False
        st.rerun(scope="app")       # the map is up: now the histogram and the table
    try:
        opened = Store.open()
    except StoreError as exc:
        st.error(md(exc))
        return
    with opened:
        store = access.GuardedStore(opened, why_not_edit, ss.setdefault("_snap_limiter", access.RateLimiter()))
        memo = memo_for(store)
        play_tick(store, memo, span)
        d = view_data(store, memo, span)
        view, f, n_shown, shown, cells = d["view"], d["f"], d["n"], d["shown"], d["cells"]
        if shown is not None:
            before = (ss.get("selected"), ss.get("reading"))
            take_map_click(shown)
            if (ss.get("selected"), ss.get("reading")) != before and in_fragment_run():
                st.rerun(scope="app")            # the panels, the table and the article view follow
            view = current_view()
        st.caption(views.caption(n_shown, remembered(memo, "n_all", store.count_view), d["exact"]))
        if view.heat:
            st.caption("Heatmap: how many of these events lie in each part of the map (counted per grid cell of "
                       "the zoom). Switch it off to see the pins.")
        elif shown is not None:
            n_incidents = views.count_incidents(shown)
            if n_incidents != len(shown):
                st.caption(f"{n_incidents} incident{'s' if n_incidents != 1 else ''} on the map: events reported "
                           "by several articles are one pin")
        else:
            st.caption(f"Too many events to draw one by one (more than {MAX_PINS:,}): the grey circles count them "
                       "per area. Narrow the dates or filters to see the pins.")
        show_flash()
        bounds = remembered(memo, ("bounds", filters_key(f)), lambda: store.view_bounds(**f))
        follow_the_data(store, f, n_shown, bounds)
        if ss.pop("_fit_next", False) and bounds:
            fly_to(*views.fit_view(bounds, height_px=MAP_HEIGHT))
        new_articles = ss.pop("_fit_articles", None)
        if new_articles:
            fresh = views.union_bounds([store.view_bounds(**dict(f, article=a)) for a in new_articles[:200]])
            if fresh:                             # (those in the view's dates and filters)
                fly_to(*views.fit_view(fresh, height_px=MAP_HEIGHT))
        navigation(bounds, views.permalink(page_base(), view))
        draw_map(shown, cells, view, memo, visible_event(store, ss.get("selected")),
                 heat=heat_cells(store, memo, f, view) if view.heat else None, layer_key=d["layer"])
        if in_fragment_run():
            update_url()
        # under the map (whose frame the browser starts loading first): the histogram and the time bar
        histogram(store, memo, f, view, span, held=bool(ss.get("_held")))
        timeline(span, news_end)
        read_ahead(opened, memo, view, span, n_shown)
        ss["_step_pending"] = False          # (last: a run cut short leaves the step to be drawn again)
        if in_fragment_run():
            if not ss.get("_playing") and (get_window(), map_position()) != ss.get("_page_drawn"):
                # a new window, a pan, a zoom, a fly-to: the map is drawn; now the table, the panels
                # and the sidebar's link follow
                st.rerun(scope="app")



def update_url() -> None:
    """The address bar is always a link to this view."""
    wanted = views.to_query(current_view())
    if wanted != st.query_params.to_dict():
        st.query_params.from_dict(wanted)


def page(store: Store) -> None:
    static_assets()
    # One slot, on every run, for what only some runs show above the map: the fragment after it keeps
    # its place in the page, so a whole run after a fragment's run does not remount the map's frame.
    notices = st.empty()
    if store.count_articles() == 0 and can_edit():
        with notices.container():
            fill_from_seeds(store)

    outlines_warmed()
    memo = memo_for(store)
    if ss.get("_only_article") is not None and "_init" in ss:      # "Show only this article on the map"
        entry = article_entry(store, memo, ss.pop("_only_article"))
        if entry is not None:
            show_only_article(entry, store)
    background = bool(ss.get("w_background")) if "_init" in ss else url_background()
    # the timeline's range: reported events (+ background)
    span = remembered(memo, ("span", background),
                      lambda: store.date_span(role=None if background else "reported"))
    opts = remembered(memo, "opts", store.filter_options)
    remembered(memo, "n_all", store.count_view)
    news_end = remembered(memo, "news_end", store.last_published)     # the presets end on the latest news

    if "_init" not in ss:
        init_from_url(store, span, opts, news_end)
        ss["_base_view"] = base_view(store, memo, background)
        ss["_init"] = True
    keep_widgets_valid(span, opts)
    take_table_pick(store)
    take_table_pick(store, "_art_table")
    ss["_full_runs"] = ss.get("_full_runs", 0) + 1
    # A browser's first view of the page draws the map first: the histogram and the table, whose
    # scripts the browser must fetch and compile (about 2 MB) while it builds the map's frame, come
    # with the run that follows the map's first report (`live_view`), or any later one.
    ss["_held"] = ss["_full_runs"] == 1 and bool(st.context.headers) and not map_reported()

    st.sidebar.title("Reported events")
    sidebar_access()
    sidebar_filters(opts)
    sidebar_article_filter(store, memo)
    if can_edit():
        sidebar_add(store)

    # captions, navigation, map, histogram and time bar: one fragment, which alone reruns while playing
    playing = bool(ss.get("_playing")) and get_window() is not None
    interval = views.play_interval(PLAY_INTERVAL_S, ss.get("w_speed", "1×")) if playing else None
    ss["_page_drawn"] = (get_window(), map_position())
    st.fragment(live_view, run_every=interval)(span, news_end)

    d = view_data(store, memo, span)           # (the fragment's answers, from the memo)
    view, f, n_shown, shown = d["view"], d["f"], d["n"], d["shown"]
    article_view(store, memo)

    left, right = st.columns([3, 2])
    with left:
        st.markdown("**Events**")
        if ss.get("_held"):
            st.caption("Listing the events…")
            table = []
        else:
            table = events_table(store, memo, f, shown if n_shown <= MAX_PINS else None, n_shown)
    with right:
        st.markdown("**Selected event**")
        selected = visible_event(store, ss.get("selected"))
        if selected is None:
            st.caption("Pick a row in the table or click a pin.")
        else:
            in_view = selected["id"] in {e["id"] for e in (shown if shown is not None else table)}
            selected_panel(store, in_view, selected)
            st.button("Clear selection", key="w_clear", on_click=clear_selection)
        if can_edit():
            corrections_panel(store)

    sidebar_share(store, shown, f, n_shown, view)
    # (a run counter only a full run moves: the browser tests read it to tell a full run from the fragment's)
    st.caption("Place names: GeoNames (CC BY 4.0). Country outlines: Natural Earth.")
    st.html(f'<span class="geo-full-runs" data-runs="{int(ss["_full_runs"])}" hidden></span>')

    update_url()


try:
    _opened = Store.open()
except StoreError as exc:      # corrupt, foreign, newer-schema, locked…: one line naming the file, no traceback
    st.error(md(exc))
    st.stop()
with _opened:
    # Every write method of the store the page gets asks geo/access.py again (Refused if not allowed).
    _store = access.GuardedStore(_opened, why_not_edit, ss.setdefault("_snap_limiter", access.RateLimiter()))
    _snapshot = st.query_params.get(views.Q_SNAPSHOT)
    if _snapshot is not None:
        snapshot_page(_store, _snapshot)
    else:
        page(_store)
