"""The map app's logic, kept free of Streamlit so it can be tested as plain functions.

`app.py` only lays out widgets; everything it decides goes through here:

* `ViewState` — what the user is looking at (date window, filters, selected event, map view);
  `to_query` / `from_query` turn it into URL query parameters and back (never raising on a bad
  URL: garbage is ignored, dates are clamped to the data's span).
* `filter_events` — the events the map, the table, the histogram and the caption show
  (reported only unless the view shows background; type, actor, minimum sources, ...).
* `group_incidents` — those events as incidents (one pin each: events sharing an incident id).
* `data_span`, `opening_window` — the timeline's range and the window a fresh visit opens on.
* `presets`, `play_step` — the timeline's quick windows and its step control; `next_play_window`,
  `rewind_window`, `play_interval` — playback (window or cumulative, skipping empty steps);
  `typed_window`, `brushed_window`, `day_axis` — typed dates, the histogram brush, its day ticks.
* `histogram_frame` — events per day/week/month for the Altair chart.
* `caption` — ``Showing N of M events`` (checks rely on this exact wording).
* `article_from_text`, `save_uploads` — what the sidebar's paste and upload boxes feed to ingest.
"""
from __future__ import annotations

import bisect
import hashlib
import html
import json
import math
import re
from dataclasses import dataclass, replace
from datetime import date, timedelta
from pathlib import Path
from typing import Iterable, Mapping, Optional, Sequence
from urllib.parse import unquote, urlparse

from geo.dates import as_date
from geo.events import EVENT_TYPES
from geo.types import Article

# --------------------------------------------------------------------------- view state

MAX_TEXT = 200          # a search string longer than this in a URL is cut
MAX_ZOOM = 19
KINDS_AREA = {"continent", "country", "region", "admin1", "admin2"}
# How close the map comes when an event is picked, by the kind of place.
ZOOM_BY_KIND = {"continent": 3, "country": 5, "region": 7, "admin1": 7, "admin2": 9,
                "city": 10, "landmark": 12}

# URL parameter names (the sharing issue relies on them).
Q_START, Q_END, Q_TEXT, Q_COUNTRY, Q_SOURCE, Q_KIND = "start", "end", "q", "country", "source", "kind"
Q_CONF, Q_EVENT, Q_CENTER, Q_ZOOM = "conf", "event", "center", "zoom"
Q_TYPE, Q_ACTOR, Q_BACKGROUND, Q_MIN_SOURCES = "type", "actor", "background", "min_sources"
Q_ARTICLE, Q_READ = "article", "read"    # one article's events only; the article being read
Q_HEAT = "heat"              # ?heat=1: the map shows the density (heatmap) instead of the pins
Q_SNAPSHOT = "snapshot"      # ?snapshot=ID opens a frozen snapshot instead of the live view
MAX_SOURCES = 1000

TYPE_LABELS = {
    "battle": "Battle", "explosion_remote_violence": "Explosion / remote violence",
    "violence_against_civilians": "Violence against civilians", "protest": "Protest", "riot": "Riot",
    "strategic_development": "Strategic development", "political": "Political", "legal": "Legal",
    "disaster_accident": "Disaster / accident", "economic": "Economic", "other": "Other",
}
PRECISIONS = ("day", "month", "year", "range")     # what a date correction can say


# --------------------------------------------------------------------------- event fields
# Rows from the store carry type, actors, role, incident_id and n_sources; older rows (and
# snapshots taken before them) do not: these read them with the defaults.

def event_type(e: Mapping) -> str:
    """The event's type, one of geo.events.EVENT_TYPES ("other" when missing or unknown)."""
    t = e.get("type")
    return t if t in TYPE_LABELS else "other"


def type_label(t: str) -> str:
    return TYPE_LABELS.get(t, str(t))


def role_of(e: Mapping) -> str:
    """"reported" (the news) or "background" (history, context)."""
    return "background" if e.get("role") == "background" else "reported"


def actors_of(e: Mapping) -> list[str]:
    a = e.get("actors")
    if isinstance(a, str):
        try:
            a = json.loads(a)
        except ValueError:
            a = [a]
    if not isinstance(a, (list, tuple)):
        return []
    return [str(x) for x in a if x is not None and str(x).strip()]


def n_sources_of(e: Mapping) -> int:
    """How many articles report the event's incident (as the store counts them; 1 by default)."""
    try:
        return max(1, int(e.get("n_sources") or 1))
    except (TypeError, ValueError):
        return 1


def incident_of(e: Mapping):
    """The event's incident id (its own event id when it has none)."""
    i = e.get("incident_id")
    return i if i is not None else e.get("id")


def _incident_key(e: Mapping) -> tuple:
    i = e.get("incident_id")
    return ("i", i) if i is not None else ("e", e.get("id"))


@dataclass(frozen=True)
class ViewState:
    """Everything that defines the view; `to_query` puts all of it in the URL."""
    start: Optional[date] = None          # date window, inclusive; None = unbounded
    end: Optional[date] = None
    text: str = ""                        # substring of place name, article title or sentence
    countries: tuple = ()                 # ISO 3166-1 alpha-2 codes
    sources: tuple = ()                   # `source_of(event)` labels
    kinds: tuple = ()                     # place kinds (city, region, country, ...)
    min_confidence: float = 0.0
    selected: Optional[int] = None        # event id
    center: Optional[tuple] = None        # (lat, lon)
    zoom: Optional[int] = None
    types: tuple = ()                     # event types (geo.events.EVENT_TYPES); none = all
    actor: str = ""                       # substring of any of the event's actors
    background: bool = False              # also show background events (history, context)
    min_sources: int = 1                  # only incidents reported by at least this many articles
    article: Optional[int] = None         # only this article's events ("show only this article")
    reading: Optional[int] = None         # the article open in the article view
    heat: bool = False                    # the map shows the events' density (heatmap), not pins


def _d(value) -> Optional[date]:
    """A date from a date, datetime or 'YYYY-MM-DD' string; None for anything else."""
    return as_date(value, strict=False)


def _span(data_span) -> tuple[Optional[date], Optional[date]]:
    if not data_span:
        return None, None
    lo, hi = (_d(x) for x in tuple(data_span)[:2])
    if lo and hi and lo > hi:
        lo, hi = hi, lo
    return lo, hi


def _last(value) -> Optional[str]:
    """One string from a query value (st.query_params gives str; AppTest may give a list)."""
    if isinstance(value, (list, tuple)):
        value = value[-1] if value else None
    if value is None:
        return None
    return str(value)


def parse_day(value: Optional[str], last: bool) -> Optional[date]:
    """'YYYY-MM-DD' (also 'YYYY-MM' / 'YYYY': the first or last day) or None."""
    if not value:
        return None
    v = value.strip()
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", v):
            return date.fromisoformat(v)
        if m := re.fullmatch(r"(\d{4})-(\d{2})", v):
            y, mo = int(m[1]), int(m[2])
            first = date(y, mo, 1)
            return (_month_end(first) if last else first)
        if m := re.fullmatch(r"(\d{4})", v):
            y = int(m[1])
            if y < 1:
                return None
            return date(y, 12, 31) if last else date(y, 1, 1)
    except ValueError:
        return None
    return None


def _clamp(d: Optional[date], lo: Optional[date], hi: Optional[date]) -> Optional[date]:
    if d is None:
        return None
    if lo and d < lo:
        d = lo
    if hi and d > hi:
        d = hi
    return d


def _join(items: Iterable[str]) -> str:
    """Items joined by commas; '%' and ',' inside an item are escaped so any string round-trips."""
    return ",".join(str(i).replace("%", "%25").replace(",", "%2C") for i in items)


def _split(value: Optional[str]) -> list[str]:
    if not value:
        return []
    return [unquote(p).strip() for p in value.split(",") if p.strip()]


def _float(value: Optional[str]) -> Optional[float]:
    try:
        f = float(value) if value is not None else None
    except (TypeError, ValueError):
        return None
    return f if f is not None and math.isfinite(f) else None


def _fmt_float(x: float, digits: int = 4) -> str:
    s = f"{x:.{digits}f}".rstrip("0").rstrip(".")
    return "0" if s in ("-0", "") else s


def to_query(state: ViewState) -> dict[str, str]:
    """The URL query parameters for `state`: start/end always (when known), the rest only when set."""
    q: dict[str, str] = {}
    if state.start:
        q[Q_START] = state.start.isoformat()
    if state.end:
        q[Q_END] = state.end.isoformat()
    if state.text:
        q[Q_TEXT] = state.text
    if state.countries:
        q[Q_COUNTRY] = _join(state.countries)
    if state.sources:
        q[Q_SOURCE] = _join(state.sources)
    if state.kinds:
        q[Q_KIND] = _join(state.kinds)
    if state.min_confidence and state.min_confidence > 0:
        q[Q_CONF] = _fmt_float(state.min_confidence, 2)
    if state.selected is not None:
        q[Q_EVENT] = str(state.selected)
    if state.center is not None:
        q[Q_CENTER] = f"{_fmt_float(state.center[0])},{_fmt_float(state.center[1])}"
    if state.zoom is not None:
        q[Q_ZOOM] = str(state.zoom)
    if state.types:
        q[Q_TYPE] = _join(state.types)
    if state.actor:
        q[Q_ACTOR] = state.actor
    if state.background:
        q[Q_BACKGROUND] = "1"
    if state.min_sources and state.min_sources > 1:
        q[Q_MIN_SOURCES] = str(int(state.min_sources))
    if state.article is not None:
        q[Q_ARTICLE] = str(state.article)
    if state.reading is not None:
        q[Q_READ] = str(state.reading)
    if state.heat:
        q[Q_HEAT] = "1"
    return q


def from_query(params: Mapping, data_span=None) -> ViewState:
    """A ViewState from URL query parameters; never raises.

    Missing or unreadable dates fall back to the data's span; dates are clamped into it (a window
    entirely outside it shrinks to its nearest edge); a start after the end is swapped. Garbage in
    any other parameter is ignored."""
    try:
        params = dict(params or {})
    except (TypeError, ValueError):
        params = {}
    lo, hi = _span(data_span)

    def get(key: str) -> Optional[str]:
        try:
            return _last(params.get(key))
        except Exception:   # noqa: BLE001 - an odd mapping must not break the page
            return None

    start = parse_day(get(Q_START), last=False) or lo
    end = parse_day(get(Q_END), last=True) or hi
    if start and end and start > end:
        start, end = end, start
    start, end = _clamp(start, lo, hi), _clamp(end, lo, hi)

    text = (get(Q_TEXT) or "").strip()[:MAX_TEXT]
    countries = tuple(dict.fromkeys(c.upper() for c in _split(get(Q_COUNTRY))
                                    if re.fullmatch(r"[A-Za-z]{2}", c)))
    sources = tuple(dict.fromkeys(s[:MAX_TEXT] for s in _split(get(Q_SOURCE))))
    kinds = tuple(dict.fromkeys(k.lower() for k in _split(get(Q_KIND))
                                if re.fullmatch(r"[A-Za-z0-9_-]{1,32}", k)))
    conf = _float(get(Q_CONF))
    conf = min(max(conf, 0.0), 1.0) if conf is not None else 0.0

    def an_id(key: str) -> Optional[int]:
        v = get(key)
        return int(v) if v and re.fullmatch(r"\s*\d{1,12}\s*", v) else None
    selected = an_id(Q_EVENT)

    center = None
    c = get(Q_CENTER)
    if c:
        parts = c.split(",")
        if len(parts) == 2:
            lat, lon = _float(parts[0]), _float(parts[1])
            if lat is not None and lon is not None and -90 <= lat <= 90 and -180 <= lon <= 180:
                center = (lat, lon)
    zoom = None
    z = _float(get(Q_ZOOM))
    if z is not None:
        zoom = int(min(max(round(z), 0), MAX_ZOOM))

    types = tuple(dict.fromkeys(t.lower() for t in _split(get(Q_TYPE)) if t.lower() in TYPE_LABELS))
    actor = (get(Q_ACTOR) or "").strip()[:MAX_TEXT]
    background = (get(Q_BACKGROUND) or "").strip().lower() in ("1", "true", "yes", "on")
    k = _float(get(Q_MIN_SOURCES))
    min_sources = int(min(max(round(k), 1), MAX_SOURCES)) if k is not None else 1

    return ViewState(start=start, end=end, text=text, countries=countries, sources=sources,
                     kinds=kinds, min_confidence=conf, selected=selected, center=center, zoom=zoom,
                     types=types, actor=actor, background=background, min_sources=min_sources,
                     article=an_id(Q_ARTICLE), reading=an_id(Q_READ),
                     heat=(get(Q_HEAT) or "").strip().lower() in ("1", "true", "yes", "on"))


# --------------------------------------------------------------------------- filtering

def source_of(event: Mapping) -> str:
    """An event's source: its article URL's domain when it has one, else the article title (the
    store keeps the same label per article, for the Source filter)."""
    from geo.store.base import source_label
    return source_label(event.get("url"), event.get("title"))


def covers_span(state: ViewState, data_span) -> bool:
    """True when the window is unbounded or covers the whole data span ("everything")."""
    lo, hi = _span(data_span)
    return ((state.start is None or (lo is not None and state.start <= lo))
            and (state.end is None or (hi is not None and state.end >= hi)))


def filter_events(events: Iterable[Mapping], state: ViewState, data_span=None) -> list:
    """The events the view shows, in their given order.

    Role: background events only when `state.background`; hidden events never. Text:
    case-insensitive substring of the place name, the article title or the sentence. Actor: a
    case-insensitive substring of any actor. Types / countries / sources / kinds: any of the chosen
    ones (none chosen = all). Confidence: at least `min_confidence`. Sources: the event's incident
    is reported by at least `min_sources` articles (`n_sources`). Dates: the event's
    [day_start, day_end] overlaps the window. Events with an unknown date are shown only when the
    window is unbounded or covers the whole `data_span`."""
    needle = state.text.strip().casefold()
    actor = state.actor.strip().casefold()
    types = set(state.types)
    min_sources = state.min_sources or 1
    countries = {c.upper() for c in state.countries}
    sources = set(state.sources)
    kinds = {k.lower() for k in state.kinds}
    lo = state.start.isoformat() if state.start else None
    hi = state.end.isoformat() if state.end else None
    keep_undated = covers_span(state, data_span)
    out = []
    for e in events:
        if e.get("hidden") or (not state.background and e.get("role") == "background"):
            continue
        ds, de = e.get("day_start"), e.get("day_end") or e.get("day_start")
        if ds is None:
            if not keep_undated:
                continue
        else:
            if hi and ds > hi:
                continue
            if lo and de < lo:
                continue
        if countries and (e.get("country_code") or "").upper() not in countries:
            continue
        if kinds and (e.get("kind") or "").lower() not in kinds:
            continue
        if sources and source_of(e) not in sources:
            continue
        if state.min_confidence and (e.get("confidence") is None
                                     or e["confidence"] < state.min_confidence - 1e-9):
            continue
        if needle and not any(needle in (e.get(k) or "").casefold() for k in ("name", "title", "sentence")):
            continue
        if types and event_type(e) not in types:
            continue
        if min_sources > 1 and n_sources_of(e) < min_sources:
            continue
        if actor and not any(actor in a.casefold() for a in actors_of(e)):
            continue
        if state.article is not None and e.get("article_id") != state.article:
            continue
        out.append(e)
    return out


def place_keys_named(gazetteer, text: str) -> list:
    """The keys of the places `text` names under any of their spellings ("Kiev" → Kyiv's key), for
    the text filter (`store_filters`); [] without a gazetteer or for a short text."""
    text = (text or "").strip()
    if gazetteer is None or len(text) < 3:
        return []
    return sorted({p.key for p in gazetteer.lookup(text)})


def store_filters(state: ViewState, data_span=None, text_places: Sequence[str] = ()) -> dict:
    """The view's filters as the store's view queries take them (`geo/store/view.py`), keeping the
    events `filter_events` keeps: reported ones (background too with `state.background`), never
    hidden ones, undated ones only when the window covers the whole `data_span`. text_places:
    place keys the text filter also matches (`place_keys_named`)."""
    covers = covers_span(state, data_span)
    f = {"role": None if state.background else "reported",
         "start": None if covers or state.start is None else state.start.isoformat(),
         "end": None if covers or state.end is None else state.end.isoformat()}
    if state.text.strip():
        f["text"] = state.text.strip()
        if text_places:
            f["text_places"] = list(text_places)
    if state.actor.strip():
        f["actor"] = state.actor.strip()
    for key, values in (("country", state.countries), ("sources", state.sources), ("kinds", state.kinds),
                        ("types", state.types)):
        if values:
            f[key] = list(values)
    if state.min_confidence:
        f["min_confidence"] = state.min_confidence - 1e-9
    if (state.min_sources or 1) > 1:
        f["min_sources"] = int(state.min_sources)
    if state.article is not None:
        f["article"] = int(state.article)
    return f


def _width(e: Mapping) -> int:
    lo, hi = _d(e.get("day_start")), _d(e.get("day_end") or e.get("day_start"))
    return (hi - lo).days if lo and hi else 10 ** 6


def representative(members: Sequence[Mapping]) -> Mapping:
    """The event an incident's pin stands on: the store's choice when the events carry it
    (`mark_representatives`), else chosen alike: at the members' most frequent place, preferring
    a stated date, then the narrowest date, then the most confident place, then the smallest id."""
    keys: dict = {}
    for m in members:
        if m.get("place_key"):
            keys[m["place_key"]] = keys.get(m["place_key"], 0) + 1

    def rank(m: Mapping) -> tuple:
        conf = m.get("confidence")
        mid = m.get("id")
        return (not m.get("representative"), -keys.get(m.get("place_key"), 0), m.get("date_source") != "stated",
                _width(m), -(conf if isinstance(conf, (int, float)) else 0.0),
                (0, mid) if isinstance(mid, int) else (1, str(mid)))
    return min(members, key=rank)


def mark_representatives(events: Iterable[dict], incidents: Iterable[Mapping]) -> list:
    """Set `representative` on each event: True for the event its incident's row names
    (`Store.incidents()`'s ``event_id``). Done once as the events are loaded; returns `events`."""
    reps = {i.get("event_id") for i in incidents}
    events = list(events)
    for e in events:
        e["representative"] = e.get("id") in reps
    return events


def group_incidents(events: Iterable[Mapping]) -> list[list]:
    """`events` (already filtered) as incidents: lists of the events sharing an incident id, in
    the order their first event comes, each with its `representative` first and the others in
    their given order; an event without an incident id is an incident of its own."""
    groups: dict = {}
    for e in events:
        groups.setdefault(_incident_key(e), []).append(e)
    out = []
    for members in groups.values():
        if len(members) > 1:
            rep = representative(members)
            members = [rep] + [m for m in members if m is not rep]
        out.append(members)
    return out


def count_incidents(events: Iterable[Mapping]) -> int:
    """How many incidents `events` are (as `group_incidents` would group them, without ranking
    each incident's members: a count for a caption)."""
    return len({_incident_key(e) for e in events})


def incident_actors(members: Iterable[Mapping]) -> list[str]:
    """Every source's actors, in order, each once (case-insensitively)."""
    seen, out = set(), []
    for m in members:
        for a in actors_of(m):
            if a.casefold() not in seen:
                seen.add(a.casefold())
                out.append(a)
    return out


def n_articles(members: Sequence[Mapping]) -> int:
    """How many different articles the (shown) events of one incident come from."""
    return len({m.get("article_id") if m.get("article_id") is not None else ("e", m.get("id"))
                for m in members})


def data_span(events: Iterable[Mapping], background: bool = False) -> tuple:
    """(first day, last day) as 'YYYY-MM-DD' over the dated events the timeline offers: reported
    ones, and background ones too when `background`; hidden ones never. (None, None) if none."""
    lo = hi = None
    for e in events:
        ds = e.get("day_start")
        if ds is None or e.get("hidden") or (not background and e.get("role") == "background"):
            continue
        de = e.get("day_end") or ds
        if lo is None or ds < lo:
            lo = ds
        if hi is None or de > hi:
            hi = de
    return lo, hi


OUTLIER_SLACK_DAYS = 31


def opening_window(events: Iterable[Mapping], background: bool = False) -> tuple:
    """The window a fresh visit opens on: it covers the reported events (background ones too with
    `background`) but not a stray date far from the rest (a history mention, a misread year).

    Outliers by Tukey's fences on the events' first days: a date is left out when it lies more
    than max(3 × the interquartile range, 31 days) before the first quartile or after the third.
    Returns (start, end) dates — from the earliest kept first day to the latest kept first day,
    so every kept event overlaps it — or (None, None) without dated events."""
    days = sorted(d for d in (_d(e.get("day_start")) for e in events
                              if not e.get("hidden") and (background or e.get("role") != "background"))
                  if d is not None)
    if not days:
        return None, None
    n = len(days)

    def quantile(q: float) -> int:
        pos = q * (n - 1)
        i = int(pos)
        a, b = days[i].toordinal(), days[min(i + 1, n - 1)].toordinal()
        return round(a + (b - a) * (pos - i))
    q1, q3 = quantile(0.25), quantile(0.75)
    fence = max(3 * (q3 - q1), OUTLIER_SLACK_DAYS)
    kept = [d for d in days if q1 - fence <= d.toordinal() <= q3 + fence] or days
    return kept[0], kept[-1]


def options(events: Iterable[Mapping]) -> dict:
    """The choices the filter widgets offer: sorted countries, sources and kinds present in `events`."""
    countries, sources, kinds, types = set(), set(), set(), set()
    for e in events:
        if e.get("country_code"):
            countries.add(e["country_code"].upper())
        sources.add(source_of(e))
        if e.get("kind"):
            kinds.add(e["kind"])
        types.add(event_type(e))
    return {"countries": sorted(countries), "sources": sorted(sources, key=str.casefold),
            "kinds": sorted(kinds), "types": [t for t in EVENT_TYPES if t in types]}


_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:&=\"'])")


def md_escape(text: str) -> str:
    """`text` as literal Markdown: every ASCII punctuation character that Markdown (or Streamlit's
    :color[...] / :emoji: directives) could read is backslash-escaped; line breaks become spaces."""
    return _MD_SPECIAL.sub(r"\\\1", " ".join(str(text).split()))


def caption(n: int, m: int, exact: bool = True) -> str:
    """The caption over the map; browser and AppTest checks rely on this exact wording. A very large
    view's number is an estimate (`Store.estimate_view`), rounded and said to be one."""
    if not exact:
        return f"Showing about {_round_estimate(n):,} of {m:,} events"
    return f"Showing {n} of {m} events"


def _round_estimate(n: int) -> int:
    """An estimate to three significant figures (796,512 -> 797,000): no false precision."""
    digits = max(0, len(str(abs(int(n)))) - 3)
    return int(round(n, -digits))


def describe(state: ViewState, n: int) -> str:
    """One plain-text line saying what a view shows (for exports and snapshots):
    ``2024-04-01 – 2024-04-30 · 4 events · country AM · search "Kalbajar"``."""
    parts = []
    if state.start and state.end:
        parts.append(state.start.isoformat() if state.start == state.end
                     else f"{state.start.isoformat()} – {state.end.isoformat()}")
    parts.append(f"{n} event{'s' if n != 1 else ''}")
    if state.countries:
        parts.append(("country " if len(state.countries) == 1 else "countries ") + ", ".join(state.countries))
    if state.kinds:
        parts.append("kind " + ", ".join(state.kinds))
    if state.sources:
        parts.append("source " + ", ".join(state.sources))
    if state.types:
        parts.append(("type " if len(state.types) == 1 else "types ") + ", ".join(state.types))
    if state.actor:
        parts.append(f'actor "{state.actor}"')
    if state.min_sources and state.min_sources > 1:
        parts.append(f"≥ {state.min_sources} sources")
    if state.background:
        parts.append("background shown")
    if state.min_confidence:
        parts.append(f"confidence ≥ {state.min_confidence:.2f}")
    if state.text:
        parts.append(f'search "{state.text}"')
    if state.article is not None:
        parts.append(f"article #{state.article} only")
    return " · ".join(parts)


def map_options(state: ViewState, n: int, title: str = "Reported events", **kw):
    """`geo.export.MapOptions` reproducing `state`: its window, centre, zoom, and a caption."""
    from geo.export import MapOptions
    window = (state.start, state.end) if state.start and state.end else None
    return MapOptions(window=window, center=state.center, zoom=state.zoom, title=title,
                      caption=f"{title} · {describe(state, n)}", **kw)


def within_bbox(events: Iterable[Mapping], bbox: Optional[Sequence[float]]) -> list:
    """The events inside a W,S,E,N box (the command line's --bbox); all of them when `bbox` is None."""
    if bbox is None:
        return list(events)
    w, s_, e_, n_ = (float(v) for v in bbox)

    def inside(ev) -> bool:
        try:
            lat, lon = float(ev["lat"]), float(ev["lon"])
        except (KeyError, TypeError, ValueError):
            return False
        in_lon = (w <= lon <= e_) if w <= e_ else (lon >= w or lon <= e_)   # a box across 180°
        return s_ <= lat <= n_ and in_lon
    return [ev for ev in events if inside(ev)]


def near_on_screen(a: Optional[tuple], b: Optional[tuple], zoom: Optional[int], pixels: float = 2.0) -> bool:
    """True when map centres `a` and `b` are within a few screen pixels at `zoom` (Web Mercator:
    360° of longitude are 256·2^zoom pixels). A map opened at a linked centre reports it back a
    fraction of a pixel off (its container is resized as the page lays out); that is the same view."""
    if a is None or b is None or zoom is None:
        return False
    degrees = pixels * 360.0 / (256 * 2 ** zoom)
    return abs(a[0] - b[0]) <= degrees and abs(((a[1] - b[1]) + 180) % 360 - 180) <= degrees


DEFAULT_BASE_URL = "http://localhost:8501/"


def base_url(page_url: Optional[str]) -> str:
    """The app's address without query or fragment (where links to views point)."""
    try:
        parts = urlparse(page_url or "")
    except ValueError:
        parts = None
    if not parts or parts.scheme not in ("http", "https") or not parts.netloc:
        return DEFAULT_BASE_URL
    return f"{parts.scheme}://{parts.netloc}{parts.path or '/'}"


def link(base: str, params: Mapping[str, str]) -> str:
    """`base` with `params` as its (percent-encoded) query."""
    from urllib.parse import quote, urlencode
    query = urlencode({str(k): str(v) for k, v in params.items()}, quote_via=quote, safe=",")
    return f"{base}?{query}" if query else base


def permalink(base: str, state: ViewState) -> str:
    """The link that reopens `state`: window, filters, map centre and zoom, selected event."""
    return link(base, to_query(state))


def snapshot_link(base: str, snapshot_id: str) -> str:
    return link(base, {Q_SNAPSHOT: snapshot_id})


def code_text(url: str) -> str:
    """Markdown showing a link as selectable code text. Inline code, not `st.code`: a code block
    makes the browser load and parse Streamlit's 1.5 MB syntax highlighter on every page load,
    before the map. A backtick, the one character that could end the code span, is
    percent-encoded: the same URL."""
    return "`" + str(url).replace("`", "%60") + "`"


# --------------------------------------------------------------------------- timeline

def presets(span_end, span_start=None, news_end=None) -> dict:
    """Quick windows: the latest day, week and month of news, and everything.

    The first three end at `news_end` (the latest publication day; kept inside the span), else at
    the data's last day: an event scheduled for next year does not push "the latest week" past
    the news. Values are (start, end) dates; starts are clamped to `span_start` when given."""
    last = _d(span_end)
    if last is None:
        return {}
    first = _d(span_start)
    end = _d(news_end) or last
    end = min(max(end, first), last) if first else min(end, last)

    def back(days: int) -> tuple:
        s = end - timedelta(days=days - 1)
        return (max(s, first) if first else s, end)

    # "Everything" without a known first day is unbounded at the start.
    return {"Day": back(1), "Week": back(7), "Month": back(30), "Everything": (first, last)}


def play_step(state: ViewState, step_days: int, span) -> ViewState:
    """The window moved `step_days` later, keeping its width; past the data's end it wraps round to
    the start. Windows as wide as the span (or no span) are returned unchanged."""
    lo, hi = _span(span)
    if lo is None or hi is None:
        return state
    start, end = state.start or lo, state.end or hi
    width = (end - start).days
    if width >= (hi - lo).days or step_days <= 0:
        return replace(state, start=start, end=end)
    if end >= hi:                     # at the end: back to the beginning
        new_start = lo
    else:
        new_start = start + timedelta(days=step_days)
        if new_start + timedelta(days=width) > hi:   # last step lands flush with the end
            new_start = hi - timedelta(days=width)
    new_start = max(new_start, lo)
    return replace(state, start=new_start, end=new_start + timedelta(days=width))


def at_end(state: ViewState, span) -> bool:
    """True when the window already reaches the span's last day (the play control then stops)."""
    _, hi = _span(span)
    return hi is None or (state.end is not None and state.end >= hi)


BUCKETS = ("day", "week", "month")


def auto_bucket(start, end) -> str:
    """A histogram bucket that gives a readable number of bars for the window."""
    s, e = _d(start), _d(end)
    if not s or not e:
        return "month"
    days = (e - s).days + 1
    return "day" if days <= 62 else "week" if days <= 366 else "month"


def _month_end(d: date) -> date:
    nxt = date(d.year + (d.month == 12), d.month % 12 + 1, 1)
    return nxt - timedelta(days=1)


def bucket_start(d: date, bucket: str) -> date:
    if bucket == "week":
        return d - timedelta(days=d.weekday())
    if bucket == "month":
        return d.replace(day=1)
    return d


def histogram_frame(events: Iterable[Mapping], bucket: str = "day"):
    """A pandas DataFrame of events per bucket (day, ISO week starting Monday, or month), by the
    event's first day: columns `period` (the bucket's first day), `period_end` (the next bucket's
    first day, so bars can span their bucket) and `events` (count), sorted by period, with empty
    buckets between the first and the last filled with 0. Undated events are not counted."""
    import pandas as pd

    if bucket not in BUCKETS:
        raise ValueError(f"bucket must be one of {BUCKETS}, not {bucket!r}")
    counts: dict[date, int] = {}
    for e in events:
        d = _d(e.get("day_start"))
        if d is None:
            continue
        k = bucket_start(d, bucket)
        counts[k] = counts.get(k, 0) + 1
    return counts_frame(counts, bucket)


def counts_frame(counts: Mapping[date, int], bucket: str):
    """`histogram_frame` from counts per bucket already made (`Store.view_histogram`, keyed by
    the bucket's first day as a date)."""
    import pandas as pd

    if bucket not in BUCKETS:
        raise ValueError(f"bucket must be one of {BUCKETS}, not {bucket!r}")
    if not counts:
        return pd.DataFrame({"period": pd.Series([], dtype="datetime64[ns]"),
                             "period_end": pd.Series([], dtype="datetime64[ns]"),
                             "events": pd.Series([], dtype="int64")})

    def following(k: date) -> date:
        if bucket == "month":
            return _month_end(k) + timedelta(days=1)
        return k + timedelta(days=7 if bucket == "week" else 1)

    first, last = min(counts), max(counts)
    periods, k = [], first
    while k <= last and len(periods) <= 5000:
        periods.append(k)
        k = following(k)
    if len(periods) > 5000:             # a very long span by day: no zero-filling
        periods = sorted(counts)
    return pd.DataFrame({"period": pd.to_datetime(periods),
                         "period_end": pd.to_datetime([following(p) for p in periods]),
                         "events": [counts.get(p, 0) for p in periods]})


# --------------------------------------------------------------------------- table, selection, fixing

TABLE_COLUMNS = ("id", "place", "date", "title", "source", "sentence", "type", "precision", "date source", "role",
                 "actors", "sources", "incident", "kind", "country", "confidence", "corrected")
# Width (px) of the table's first columns: place, date, title and source, and the sentence's start,
# fit the events table's half of a 1280 px window with the sidebar open (~480 px); the rest scroll.
TABLE_WIDTHS = {"place": 76, "date": 82, "title": 116, "source": 86, "sentence": 420}


def table_rows(events: Iterable[Mapping]) -> list[dict]:
    """One plain-text row per event for the events table (Streamlit renders cells as text): where
    and when, then the story (title, source, sentence), then the type and the details."""
    return [{"id": e.get("id"), "place": e.get("name"),
             "date": e.get("date") or "unknown", "title": e.get("title"), "source": source_of(e),
             "sentence": e.get("sentence"), "type": type_label(event_type(e)), "precision": e.get("precision"),
             "date source": e.get("date_source"), "role": role_of(e), "actors": ", ".join(actors_of(e)),
             "sources": n_sources_of(e), "incident": incident_of(e), "kind": e.get("kind"),
             "country": e.get("country_code"), "confidence": e.get("confidence"),
             "corrected": bool(e.get("corrected"))}
            for e in events]


def newest_first(events: Iterable[Mapping]) -> list:
    """The events by first day, latest first (undated last), then by id, latest first: the table's order,
    as `Store.view_events(newest_first=True)` gives it."""
    dated = sorted((e for e in events if e.get("day_start")), key=lambda e: (e["day_start"], e.get("id") or 0),
                   reverse=True)
    return dated + sorted((e for e in events if not e.get("day_start")), key=lambda e: e.get("id") or 0,
                          reverse=True)


def padded_bbox(bounds, pad: float = 0.5) -> Optional[tuple]:
    """The map's reported bounds ({"_southWest": {"lat", "lng"}, "_northEast": …}, as Leaflet gives
    them) grown by `pad` of their size on each side, as (west, south, east, north) for the store;
    None when unknown or when it spans half the world or more (no box is worth it then)."""
    try:
        s, w = float(bounds["_southWest"]["lat"]), float(bounds["_southWest"]["lng"])
        n, e = float(bounds["_northEast"]["lat"]), float(bounds["_northEast"]["lng"])
    except (KeyError, TypeError, ValueError):
        return None
    dx, dy = (e - w) * pad, (n - s) * pad
    if e - w + 2 * dx >= 180:
        return None               # half the world or more: a box would filter little and cost much
    w, e = w - dx, e + dx
    s, n = max(-90.0, s - dy), min(90.0, n + dy)
    def wrap(x: float) -> float:                  # Leaflet reports unwrapped longitudes
        return x if -180 <= x <= 180 else (x + 180) % 360 - 180
    return (wrap(w), s, wrap(e), n)


def fit_view(bounds, width_px: int = 900, height_px: int = 540, max_zoom: int = 10) -> tuple:
    """(center, zoom) showing `bounds` ((south, west), (north, east)) whole on a map of this size
    (Web Mercator: a 256 px tile spans 360 / 2**zoom degrees of longitude); a single point gets
    `max_zoom` - 2."""
    (s, w), (n, e) = bounds
    center = (round((s + n) / 2, 4), round((w + e) / 2, 4))
    dlon, dlat = max(e - w, 0.0), max(n - s, 0.0)
    if dlon < 1e-6 and dlat < 1e-6:
        return center, max_zoom - 2

    def merc(lat: float) -> float:
        lat = max(min(lat, 85.0), -85.0)
        return math.log(math.tan(math.pi / 4 + math.radians(lat) / 2))
    zx = math.log2(width_px * 360 / (256 * dlon)) if dlon > 1e-6 else max_zoom
    dy = abs(merc(n) - merc(s))
    zy = math.log2(height_px * 2 * math.pi / (256 * dy)) if dy > 1e-9 else max_zoom
    return center, int(max(1, min(max_zoom, math.floor(min(zx, zy) - 0.15))))     # a margin round the edges


def place_choices(gazetteer, name: str, limit: int = 8) -> list:
    """The gazetteer's places called `name` under any spelling, likeliest first (countries and
    continents, then by population and fame), as dicts: `label` ("Kyiv · Kyiv City · UA · city"),
    `lat`, `lon`, `kind`, `key`."""
    name = (name or "").strip()
    if gazetteer is None or not name:
        return []
    order = {"continent": 0, "country": 1}
    places = sorted(gazetteer.lookup(name), key=lambda p: (order.get(p.kind, 4), -(p.population or 0),
                                                           -(p.fame or 0), p.key))
    return [{"label": " · ".join(x for x in (p.name, p.admin1 if p.kind == "city" else "", p.country_code, p.kind)
                                 if x),
             "lat": p.lat, "lon": p.lon, "kind": p.kind, "key": p.key} for p in places[:limit]]


def cell_degrees(zoom: int) -> float:
    """The grid a big view is counted on at this zoom: about 64 px cells on the screen (a 256 px
    tile spans 360 / 2**zoom degrees)."""
    return 360.0 / 2 ** max(0, int(zoom)) / 4


def find_event(events: Iterable[Mapping], event_id) -> Optional[Mapping]:
    if event_id is None:
        return None
    return next((e for e in events if e.get("id") == event_id), None)


def focus(event: Mapping) -> tuple[Optional[tuple], Optional[int]]:
    """(center, zoom) for showing one event on the map."""
    if event.get("lat") is None or event.get("lon") is None:
        return None, None
    return (float(event["lat"]), float(event["lon"])), ZOOM_BY_KIND.get(event.get("kind") or "", 8)


def nearest_event(events: Iterable[Mapping], lat: float, lon: float, tolerance: float = 1e-4):
    """The event drawn at (lat, lon) — for a click on a marker — or None."""
    best, best_d = None, tolerance
    for e in events:
        if e.get("lat") is None or e.get("lon") is None:
            continue
        d = abs(e["lat"] - lat) + abs(e["lon"] - lon)
        if d <= best_d:
            best, best_d = e, d
    return best


# The map's tooltips end with a reference to the event they stand for, in an element the user does
# not see ("[#123]"; geo.mapview); streamlit-folium reports the clicked layer's tooltip as text.
_REF = re.compile(r"\[#(\d{1,12})\]\s*$")
# A popup's "Read the article" link reports itself as a click on its pin whose tooltip ends with
# "[read #article id]" after the event's reference (geo.mapview: the page's readArticle).
_READ_REF = re.compile(r"\[read #(\d{1,12})\]\s*$")


def union_bounds(boxes) -> Optional[tuple]:
    """The ((south, west), (north, east)) holding every given box (None ones skipped), or None."""
    boxes = [b for b in boxes if b]
    if not boxes:
        return None
    return ((min(b[0][0] for b in boxes), min(b[0][1] for b in boxes)),
            (max(b[1][0] for b in boxes), max(b[1][1] for b in boxes)))


def tooltip_event_id(tooltip) -> Optional[int]:
    """The event id a clicked marker's tooltip text refers to, or None."""
    if isinstance(tooltip, str):
        tooltip = _READ_REF.sub("", tooltip)
    m = _REF.search(tooltip) if isinstance(tooltip, str) else None
    return int(m[1]) if m else None


def tooltip_read_article(tooltip) -> Optional[int]:
    """The article a popup's "Read the article" link asks for (its forwarded click's tooltip), or None."""
    m = _READ_REF.search(tooltip) if isinstance(tooltip, str) else None
    return int(m[1]) if m else None


def incident_members(events: Iterable[Mapping], event: Mapping) -> list:
    """The events of `event`'s incident among `events` (itself first, then by article)."""
    key = _incident_key(event)
    others = [e for e in events if _incident_key(e) == key and e.get("id") != event.get("id")]
    return [event] + sorted(others, key=lambda e: (str(e.get("published") or ""), str(e.get("id"))))


def place_key_of(alt: Mapping) -> Optional[str]:
    if alt.get("place_key") or alt.get("key"):
        return alt.get("place_key") or alt.get("key")
    if alt.get("geonameid"):
        return f"gn:{alt['geonameid']}"
    return None


def alternative_label(alt: Mapping) -> str:
    parts = [str(alt.get("name") or "?")]
    extra = ", ".join(str(x) for x in (alt.get("kind"), alt.get("country_code")) if x)
    if extra:
        parts.append(f"({extra})")
    if alt.get("score") is not None:
        parts.append(f"score {alt['score']:.2f}")
    if alt.get("lat") is not None and alt.get("lon") is not None:
        parts.append(f"{alt['lat']:.3f}, {alt['lon']:.3f}")
    return " ".join(parts)


def target_of(event: Mapping) -> dict:
    """The keyword arguments naming an event for the store's corrections (article and span)."""
    return {"article_id": event["article_id"], "mention_start": event["mention_start"],
            "mention_end": event["mention_end"]}


def date_value(start: date, end: Optional[date] = None, precision: str = "day") -> tuple[str, Optional[str]]:
    """(date, date_end) as the store keeps them for a date correction: ISO 8601 truncated to the
    precision ('2024-03-05', '2024-03', '2024'), or a range's first and last day."""
    if precision == "month":
        return f"{start.year:04d}-{start.month:02d}", None
    if precision == "year":
        return f"{start.year:04d}", None
    if precision == "range":
        end = end or start
        lo, hi = min(start, end), max(start, end)
        return lo.isoformat(), hi.isoformat()
    if precision != "day":
        raise ValueError(f"precision must be one of {', '.join(PRECISIONS)}, not {precision!r}")
    return start.isoformat(), None


def _short(value) -> str:
    if isinstance(value, Mapping):
        return ", ".join(f"{k} {_short(v)}" for k, v in value.items() if v is not None and v != "")
    if isinstance(value, float):
        return _fmt_float(value)
    return str(value)


def _when(stamp) -> str:
    """An ISO 8601 time stamp as 'YYYY-MM-DD HH:MM:SS' (+ ' UTC' when it is in UTC)."""
    from datetime import datetime, timezone
    try:
        t = datetime.fromisoformat(str(stamp))
    except (TypeError, ValueError):
        return str(stamp or "")
    utc = t.tzinfo is not None and t.utcoffset() == timezone.utc.utcoffset(None)
    return t.strftime("%Y-%m-%d %H:%M:%S") + (" UTC" if utc else "")


CORRECTION_KINDS = {"place": "place", "place_rule": "always place", "type": "type", "date": "date",
                    "hidden": "not an event"}


def correction_label(c: Mapping) -> str:
    """One line of plain text for a stored correction: when, what kind, what, and the new value."""
    when = _when(c.get("created_at"))
    kind = CORRECTION_KINDS.get(c.get("kind"), str(c.get("kind") or "?"))
    target, value = c.get("target"), c.get("value")
    parts = [when, kind]
    if target not in (None, "", {}):
        parts.append(_short(target))
    if value not in (None, "", {}):
        parts.append("→ " + _short(value))
    return " · ".join(p for p in parts if p)


def hidden_label(c: Mapping) -> str:
    """One line of plain text for a hidden event (a "hidden" correction): what, where, when."""
    when = _when(c.get("created_at"))
    return " · ".join(p for p in (_short(c.get("target") or c.get("mention_text") or "?"),
                                  f"hidden {when}" if when else "") if p)


def correction_for(event: Mapping, alt: Optional[Mapping] = None, point: Optional[tuple] = None,
                   name: Optional[str] = None) -> dict:
    """Keyword arguments for `Store.correct` moving `event` to an alternative or to a clicked point."""
    base = {"article_id": event["article_id"], "mention_start": event["mention_start"],
            "mention_end": event["mention_end"]}
    if alt is not None:
        return {**base, "lat": float(alt["lat"]), "lon": float(alt["lon"]), "name": alt.get("name"),
                "place_key": place_key_of(alt), "country_code": alt.get("country_code") or None,
                "kind": alt.get("kind") or None, "note": "picked an alternative in the app"}
    if point is not None:
        lat, lon = float(point[0]), float(point[1])
        lon = ((lon + 180) % 360) - 180 if not -180 <= lon <= 180 else lon
        return {**base, "lat": lat, "lon": lon, "name": (name or "").strip() or None, "place_key": None,
                "note": "placed on the map in the app"}
    raise ValueError("a correction needs an alternative or a point")


# --------------------------------------------------------------------------- adding articles

def article_from_text(text: str, title: Optional[str] = None, url: Optional[str] = None,
                      published: Optional[date] = None) -> Article:
    """An Article for pasted text: title = first non-empty line; publication date as given (the
    paste box's date field), else from a byline or dateline near the top (never today's date);
    id from the text's hash."""
    from geo.dates import publication_date_from_text

    text = text or ""
    first = next((ln.strip() for ln in text.splitlines() if ln.strip()), "")
    found = None if published else publication_date_from_text(text)
    digest = hashlib.sha256(text.strip().encode("utf-8")).hexdigest()[:16]
    return Article(id=f"pasted-{digest}", text=text, title=" ".join((title or first).split())[:300],
                   published=published.isoformat() if published else (found[0] if found else None),
                   published_source="given" if published else ("byline" if found else "unknown"),
                   published_span=found[1:] if found else None,
                   url=url or None, source="pasted text")


NO_DATE_WARNING = ("{name}: no publication date (none given, none found in a byline or dateline): its events are "
                   "dated only where the text names a full date; “on Monday” or “last week” stay undated. Give "
                   "the date and add it again to date them.")


def undated_warnings(name: str, summary) -> list:
    """A warning for each article an ingest stored without a publication date."""
    return [NO_DATE_WARNING.format(name=src if len(summary.unknown_date) > 1 else name)
            for src in summary.unknown_date]


_UNSAFE = re.compile(r"[^\w.\- ]+", re.UNICODE)


def safe_filename(name: str, index: int = 0) -> str:
    """The base name of an uploaded file, without any directory part or odd characters."""
    base = Path(str(name).replace("\\", "/")).name
    base = _UNSAFE.sub("_", base).strip(" .")
    return base or f"upload-{index}"


def save_uploads(files: Sequence[tuple], folder) -> list[tuple[str, Path]]:
    """Write uploaded (name, bytes) pairs into `folder` under their own (sanitised) names, each in
    its own sub-folder so equal names do not collide; returns (original name, path) pairs."""
    folder = Path(folder)
    out = []
    for i, (name, data) in enumerate(files):
        sub = folder / f"{i:03d}"
        sub.mkdir(parents=True, exist_ok=True)
        path = sub / safe_filename(name, i)
        path.write_bytes(bytes(data))
        out.append((str(name), path))
    return out


def report_line(name: str, summary) -> str:
    """One line per uploaded file: added / duplicates / failed (with the reason) / events."""
    line = (f"{name}: {summary.added} added, {summary.duplicates} duplicate(s), "
            f"{len(summary.failed)} failed, {summary.events} event(s)")
    if summary.failed:
        reasons = "; ".join(why for _, why in summary.failed[:3])
        line += f" — {reasons}"
    return line


# --------------------------------------------------------------------------- the article view

ARTICLE_VIEW_LIMIT = 100_000     # characters of an article's text drawn in the article view
MARK_STYLES = {   # inline styles (st.html keeps style attributes; a <style> block it may drop)
    "event": "background:#ffe066;border-bottom:3px solid {colour};font-weight:600;padding:0 1px;border-radius:2px",
    "date": "background:#d9f0d3;border-bottom:2px dashed #2f7d32;padding:0 1px;border-radius:2px",
    "place": "background:#e3ecf7;border-bottom:1px dotted #3d6fa8;padding:0 1px;border-radius:2px",
}


def _span_of(start, end, text: str) -> Optional[tuple[int, int]]:
    try:
        a, b = int(start), int(end)
    except (TypeError, ValueError):
        return None
    return (a, b) if 0 <= a < b <= len(text) else None


def article_spans(text: str, events: Iterable[Mapping], mentions: Iterable[Mapping]) -> list[dict]:
    """What the article view marks in `text`, in text order, never overlapping: each event's place
    (``kind`` "event", with the event), the words that dated it ("date", the event), and every other
    recognised place ("place", the mention). Where two overlap the event's place wins, then the date.
    Offsets are the store's (mention_start/end, date_text_start/end, mentions' start/end); a span that
    does not fit the text is left out."""
    wanted = []
    for e in events:
        span = _span_of(e.get("mention_start"), e.get("mention_end"), text)
        if span:
            wanted.append((0, span, "event", e))
        span = _span_of(e.get("date_text_start"), e.get("date_text_end"), text)
        if span and (not e.get("date_text") or text[span[0]:span[1]] == e["date_text"]):
            wanted.append((1, span, "date", e))
    for m in mentions:
        span = _span_of(m.get("start"), m.get("end"), text)
        if span:
            wanted.append((2, span, "place", m))
    kept: list = []
    taken: list = []        # sorted kept spans, for the overlap test
    for rank, (a, b), kind, item in sorted(wanted, key=lambda w: (w[0], w[1])):
        i = bisect.bisect_left(taken, (a, b))
        if (i > 0 and taken[i - 1][1] > a) or (i < len(taken) and taken[i][0] < b):
            continue            # overlaps a span of a stronger kind (or the same one, twice)
        taken.insert(i, (a, b))
        kept.append({"start": a, "end": b, "kind": kind, "item": item})
    return sorted(kept, key=lambda k: k["start"])


def _mark_title(kind: str, item: Mapping) -> str:
    if kind == "event":
        return " · ".join(x for x in (type_label(event_type(item)), str(item.get("name") or ""),
                                      str(item.get("date") or "no date"), role_of(item)) if x)
    if kind == "date":
        return f"date of the {type_label(event_type(item)).lower()} at {item.get('name') or '?'}: " \
               f"{item.get('date') or 'no date'}"
    where = ", ".join(str(x) for x in (item.get("kind"), item.get("country_code")) if x)
    return f"{item.get('name') or '?'}" + (f" ({where})" if where else "") + " · mentioned, not an event place"


def article_html(text: str, events: Sequence[Mapping], mentions: Sequence[Mapping],
                 limit: int = ARTICLE_VIEW_LIMIT) -> tuple[str, bool]:
    """The article's text as HTML for the article view, every piece of it escaped here
    (html.escape), with the spans of `article_spans` marked: ``<mark class="art-event">`` (coloured
    by the event's type), ``art-date`` and ``art-place``, each with a title saying what it is.
    Returns (html, cut): only the first `limit` characters are drawn (cut = True when there were more)."""
    from geo.mapview import TYPE_COLOURS
    text = text or ""
    cut = len(text) > limit
    shown = text[:limit]
    out, at = [], 0
    for s in article_spans(shown, events, mentions):
        a, b, kind, item = s["start"], s["end"], s["kind"], s["item"]
        out.append(html.escape(shown[at:a]))
        style = MARK_STYLES[kind].format(colour=TYPE_COLOURS.get(event_type(item), "#8c8c8c"))
        extra = f' data-event="{int(item["id"])}"' if kind in ("event", "date") and item.get("id") is not None else ""
        out.append(f'<mark class="art-{kind}"{extra} style="{style}" title="{html.escape(_mark_title(kind, item))}">'
                   f"{html.escape(shown[a:b])}</mark>")
        at = b
    out.append(html.escape(shown[at:]))
    body = "".join(out)
    return (f'<div class="art-text" style="white-space:pre-wrap;line-height:1.6;font-size:0.95rem;'
            f'max-height:520px;overflow-y:auto;padding:0.5rem 0.75rem;border:1px solid #e3e3e3;'
            f'border-radius:6px">{body}</div>'), cut


def article_legend_html(n_events: int, n_places: int, n_dates: int) -> str:
    """The article view's key: the three kinds of mark with their numbers (our own words)."""
    def swatch(kind: str, label: str, n: int) -> str:
        style = MARK_STYLES[kind].format(colour="#d62728")
        return f'<mark class="art-key-{kind}" style="{style}">{label}</mark> {n} '
    return ('<div class="art-key" style="font-size:0.85rem;color:#444">'
            + swatch("event", "event place", n_events) + " · "
            + swatch("date", "its date words", n_dates) + " · "
            + swatch("place", "other place mentioned", n_places) + "</div>")


# --------------------------------------------------------------------------- embedding

EMBED_HEIGHT = 600


def embed_link(link: str) -> str:
    """`link` with Streamlit's ``embed=true`` (the page without its menu and padding, for an iframe)."""
    return link + ("&" if "?" in link else "?") + "embed=true"


def embed_snippet(link: str, title: str = "Reported events", height: int = EMBED_HEIGHT) -> str:
    """An ``<iframe>`` that shows the view of `link` on another page (attribute values escaped)."""
    return (f'<iframe src="{html.escape(embed_link(link), quote=True)}" title="{html.escape(title, quote=True)}" '
            f'width="100%" height="{int(height)}" style="border:0" loading="lazy"></iframe>')


# --------------------------------------------------------------------------- the timeline (issue 13)

PLAY_SPEEDS = {"0.5×": 0.5, "1×": 1.0, "2×": 2.0, "4×": 4.0}    # playback speed: steps per base interval
PLAY_MODES = ("window", "cumulative")      # slide the window / keep its start and grow its end


def play_interval(base_s: float, speed) -> float:
    """Seconds between two playback steps at `speed` (a PLAY_SPEEDS label or a factor; 1× = base_s)."""
    factor = PLAY_SPEEDS.get(speed, speed) if isinstance(speed, str) else speed
    try:
        factor = float(factor)
    except (TypeError, ValueError):
        factor = 1.0
    return base_s / factor if factor > 0 else base_s


def _any_between(days: Sequence[date], a: date, b: date) -> bool:
    i = bisect.bisect_left(days, a)
    return i < len(days) and days[i] <= b


def next_play_window(start, end, step_days: int, span, mode: str = "window",
                     event_days: Optional[Sequence] = None) -> Optional[tuple]:
    """The window after one playback step, or None when playback is over (it stops there).

    mode "window": the window moves `step_days` later keeping its width; the last step lands
    flush with the span's end. mode "cumulative": the start stays, the end moves `step_days`
    later (at most to the span's end). None once the window reaches the span's end.

    event_days (the days that have events in the view, any order; `Store.view_histogram("day")`):
    skip empty steps. A window step that would show none of them jumps to the next step that does;
    a cumulative step that would add none grows to the next one that adds some. None when no
    later step has any."""
    lo, hi = _span(span)
    s, e = _d(start) or lo, _d(end) or hi
    if lo is None or hi is None or s is None or e is None or step_days <= 0 or e >= hi:
        return None
    step = timedelta(days=int(step_days))
    days = sorted({d for d in (_d(x) for x in event_days or ()) if d is not None}) if event_days is not None else None
    if mode == "cumulative":
        new_end = min(e + step, hi)
        if days is not None and not _any_between(days, e + timedelta(days=1), new_end):
            i = bisect.bisect_right(days, e)
            if i >= len(days) or days[i] > hi:
                return None
            k = -(-(days[i] - e).days // step.days)          # steps until that day is in
            new_end = min(e + k * step, hi)
        return s, new_end
    width = e - s
    if width >= hi - lo:
        return None

    def at(k: int) -> tuple:
        ns = s + k * step
        if ns + width > hi:
            ns = hi - width
        return ns, ns + width
    ns, ne = at(1)
    if days is None:
        return ns, ne
    while not _any_between(days, ns, ne):
        if ne >= hi:
            return None                 # the last window is empty too: nothing later to show
        i = bisect.bisect_left(days, ns)
        if i >= len(days) or days[i] > hi:
            return None
        d = days[i]                     # the next day with events, after this window
        k = max(1, -(-((d - width) - s).days // step.days))
        ns2, ne2 = at(k)
        if ns2 <= ns:                   # no progress (cannot happen with k growing; be safe)
            return None
        ns, ne = ns2, ne2
    return ns, ne


def rewind_window(start, end, span, mode: str = "window") -> tuple:
    """Where playback starts when it is started with the window at the span's end: the window
    back at the span's start (same width), or, cumulative, the window shrunk to its first day."""
    lo, hi = _span(span)
    s, e = _d(start) or lo, _d(end) or hi
    if lo is None or hi is None:
        return s, e
    if mode == "cumulative":
        return s, s
    width = min(e - s, hi - lo)
    return lo, lo + width


def typed_window(which: str, typed, window, span) -> tuple:
    """The window after a date typed into the sidebar's "From" (`which` = "start") or "To" box:
    (start, end, note). The date is kept inside the data's span (the note says where it went); a
    start after the end moves the end to it and an end before the start moves the start (the note
    says so); an empty or unreadable entry leaves the window as it was (note says so)."""
    lo, hi = _span(span)
    s, e = (_d(x) for x in (tuple(window or (None, None)) + (None, None))[:2])
    s, e = s or lo, e or hi
    d = _d(typed)
    label = "start" if which == "start" else "end"
    if d is None:
        return s, e, f"No {label} date given: the window stays {s} – {e}."
    note = None
    if lo and d < lo:
        note, d = f"{d} is before the first dated event ({lo}): the window {label}s there.", lo
    elif hi and d > hi:
        note, d = f"{d} is after the last dated event ({hi}): the window {label}s there.", hi
    if which == "start":
        s = d
        if e is not None and s > e:
            e, note = s, (note + " " if note else "") + f"The end moved to {s} too (it was before the start)."
    else:
        e = d
        if s is not None and e < s:
            s, note = e, (note + " " if note else "") + f"The start moved to {e} too (it was after the end)."
    return s, e, note


def _instant_day(value, ceil: bool) -> Optional[date]:
    """The day of a chart instant: milliseconds since the epoch (UTC), an ISO date(time) string or a
    date; rounded down (or up, `ceil`, when it is past midnight) to a whole day."""
    from datetime import datetime, timezone
    t = None
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)) and math.isfinite(value):
        try:
            t = datetime.fromtimestamp(value / 1000.0, tz=timezone.utc).replace(tzinfo=None)
        except (OverflowError, OSError, ValueError):
            return None
    elif isinstance(value, datetime):
        t = value.replace(tzinfo=None) if value.tzinfo is None else \
            value.astimezone(timezone.utc).replace(tzinfo=None)
    elif isinstance(value, date):
        return value
    elif isinstance(value, str):
        try:
            t = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            return None
        if t.tzinfo is not None:
            t = t.astimezone(timezone.utc).replace(tzinfo=None)
    if t is None:
        return None
    day = t.date()
    if ceil and t != datetime(day.year, day.month, day.day):
        day += timedelta(days=1)
    return day


def brushed_window(selection, span, field: str = "period") -> Optional[tuple]:
    """The window a range brushed on the histogram stands for, snapped to whole days: every day
    the brush touches (its start rounded down, its end up; a brush ending at midnight ends the day
    before), kept inside the data's span. `selection` is Streamlit's interval selection value,
    ``{field: [low, high]}`` (instants as ms since the epoch or ISO strings); None when empty."""
    if not isinstance(selection, Mapping):
        return None
    pair = selection.get(field)
    if not isinstance(pair, (list, tuple)) or len(pair) != 2:
        return None
    a, b = _instant_day(min(pair, key=_sort_key), ceil=False), _instant_day(max(pair, key=_sort_key), ceil=True)
    if a is None or b is None:
        return None
    b = max(a, b - timedelta(days=1))
    lo, hi = _span(span)
    a, b = _clamp(a, lo, hi), _clamp(b, lo, hi)
    return (a, b) if a and b and a <= b else None


def _sort_key(v):
    return v if isinstance(v, (int, float)) else str(v)


def day_axis(start, end) -> Optional[dict]:
    """Ticks for the histogram's time axis over a short window: one per day (or every few days),
    labelled with the date ("05 Mar"), never hours. None for windows over two months (the chart's
    own ticks are fine there). Keys: format, interval, step."""
    s, e = _d(start), _d(end)
    if not s or not e:
        return None
    days = (e - s).days + 1
    if days > 62:
        return None
    return {"format": "%d %b", "interval": "day", "step": max(1, -(-days // 10))}
