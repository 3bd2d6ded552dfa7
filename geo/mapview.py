"""The map, built by pure functions from event dicts (tests inspect their output).

    m = build_map()                                   # base map: outlines, OSM tiles, credits
    fg = event_layer(events, window=(start, end))     # one pin per incident, coloured by type, + legend
    st_folium(m, feature_group_to_add=fg, center=…, zoom=…, returned_objects=[…])
    standalone_html(events, window=…)                 # one self-contained HTML file

* **Offline.** No CDN URL reaches the page: each map gets its own ``default_js``/``default_css``
  lists (Leaflet, jQuery, Leaflet.markercluster from the ``xstatic`` packages, served as in
  `geo.assets`; Bootstrap, Font Awesome and awesome-markers are dropped, so nothing here uses an
  icon font: pins are CSS dots in ``DivIcon``s, areas are vector paths). A vector basemap of
  country outlines (Natural Earth) sits in its own pane *under* the tile pane: online the
  OpenStreetMap tiles cover it, offline the tiles fail and the outlines show.
* **Base map vs. events.** `build_map` without events is the same on every rerun, so
  streamlit-folium keeps it mounted (its component key hashes the base map's script) and only
  swaps the `event_layer` group (``feature_group_to_add``): no rebuild, no flicker, pan and zoom
  kept. The legend belongs to the event layer (it follows the filters). Do not pass the same
  events both to `build_map` and as ``feature_group_to_add`` (they would be drawn twice).
* **Incidents and types.** Events sharing an incident id (one happening, reported by several
  articles) are one pin at the representative event's place; its tooltip and popup say
  "reported by N sources" and the popup lists each source's sentence, title and link. Pins and
  areas are coloured by event type (legend); the date is on the app's timeline and histogram.
  Each tooltip ends with a hidden ``[#event id]`` so the app knows which pin was clicked.
* **Precision.** Towns, landmarks and admin2 units are pins, clustered (Leaflet.markercluster,
  fed from one JSON array by a small script rather than one folium element per event: fast for
  10,000 events). Countries are their simplified outline; admin1, regions and continents a
  circle with a radius by kind: translucent areas, so a country-level place never looks like a
  precise point. Areas at the same place are drawn once per type, with every incident in the popup.
* **Untrusted text.** Titles, sentences, names, alternatives and URLs come from articles. They
  travel to the page as JSON data (`event_payload`; `_js_json` keeps it from closing its
  ``<script>``), and the page's script escapes every string as it puts tooltips and popups
  together, on first hover or click (cheap for 10,000 events, and one place that escapes).
  Only http(s) URLs become links (checked here and again in the page; ``rel="noopener"``).
  No text is compiled as a Jinja template: folium/branca do that to every rendered element
  (``Element(text)``), so ``{{ … }}`` in an article given to a plain ``folium.Popup`` would run
  on the server; our elements output their text verbatim (`_RawElement`).
"""
from __future__ import annotations

import html
import json
import math
import re
from datetime import date
from functools import cache, lru_cache
from typing import Iterable, Mapping, Optional, Sequence
from urllib.parse import urlsplit

import folium
from branca.element import Element, MacroElement
from folium.template import Template

from geo import assets, basemap
from geo.dates import as_date
from geo.views import actors_of, event_type, group_incidents, n_articles, type_label

OSM_CREDIT = ('&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> '
              'contributors')
NATURAL_EARTH_CREDIT = ('<a href="https://www.naturalearthdata.com/" title="Country outlines, coastline, lakes, '
                        'province borders (public domain)">Natural Earth</a>')
GEONAMES_CREDIT = ('<a href="https://www.geonames.org/" title="Place names and coordinates">GeoNames</a> '
                   '(<a href="https://creativecommons.org/licenses/by/4.0/">CC BY 4.0</a>)')
OSM_TILES = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"

POINT_KINDS = frozenset({"city", "landmark", "admin2"})
AREA_KINDS = frozenset({"country", "continent", "region", "admin1"})
# Radius (m) of the translucent circle drawn for an area without an outline.
AREA_RADIUS_M = {"admin1": 100_000, "region": 350_000, "country": 450_000, "continent": 1_500_000}
# Areas are approximate places: an outline and a faint fill, in a pane under Leaflet's overlay
# pane (400) and marker pane (600), so they never hide a pin or take its click.
AREAS_PANE, AREAS_PANE_Z = "evAreas", 350
AREA_STYLE = {"weight": 1.0, "opacity": 0.75, "fillOpacity": 0.06, "hoverFillOpacity": 0.16,
              "circleDash": "4 4", "pane": AREAS_PANE}
# Cluster bubbles: one neutral grey, darker as they hold more (markercluster's own thresholds:
# small < 10, medium < 100, large), so they never read as a type (or date) colour.
CLUSTER_GREYS = {"small": ((150, 150, 150), (120, 120, 120)),
                 "medium": ((115, 115, 115), (85, 85, 85)),
                 "large": ((80, 80, 80), (45, 45, 45))}
# The density (heat) layer: a sequential ramp (magma-like), from the store's per-cell counts.
# Its light end is still a colour on the light land (a one-event cell must show).
HEAT_GRADIENT = {0.15: "#fbb47f", 0.4: "#f4777f", 0.65: "#c43c75", 0.85: "#7e2482", 1.0: "#3b0f70"}

# Categorical colours by event type (geo.events.EVENT_TYPES), told apart on the grey land and
# the blue sea; the date is on the timeline and the histogram, not on the pins.
TYPE_COLOURS = {
    "battle": "#d62728", "explosion_remote_violence": "#ff7f0e", "violence_against_civilians": "#8c564b",
    "protest": "#1f77b4", "riot": "#e377c2", "strategic_development": "#2ca02c", "political": "#9467bd",
    "legal": "#17becf", "disaster_accident": "#bcbd22", "economic": "#393b79", "other": "#8c8c8c",
}
DEFAULT_CENTER = (20.0, 0.0)
DEFAULT_ZOOM = 2
POPUP_GROUP_LIMIT = 12          # incidents listed in one area's popup


# --------------------------------------------------------------------------- dates and type colours

def _day(v) -> Optional[date]:
    return as_date(v, strict=False)


def event_days(e: Mapping) -> Optional[tuple[date, date]]:
    """First and last day an event covers (``day_start``/``day_end``, else parsed from ``date``)."""
    ds, de = e.get("day_start"), e.get("day_end")
    if type(ds) is str and (de is None or type(de) is str):   # the store's ISO days (the fast path)
        return _iso_days(ds, de)
    lo, hi = _day(ds), _day(de)
    if lo is None and e.get("date"):
        from geo.store import day_bounds
        try:
            lo, hi = (_day(d) for d in day_bounds(e.get("date"), e.get("date_end")))
        except Exception:        # an unparseable date is shown as undated, never an error
            lo = hi = None
    if lo is None:
        return None
    return lo, (hi if hi is not None and hi >= lo else lo)


@lru_cache(maxsize=65536)
def _iso_days(ds: str, de: Optional[str]) -> Optional[tuple[date, date]]:
    lo, hi = _day(ds), _day(de)
    if lo is None:
        return None
    return lo, (hi if hi is not None and hi >= lo else lo)


def resolve_window(events: Iterable[Mapping] = (), window=None) -> Optional[tuple[date, date]]:
    """A view's (start, end) dates: `window` (dates or ISO strings; a partial date such as
    ``2024-03`` stands for its whole span), else the span of the events' dates; None if no date."""
    if window is not None:
        start, end = window
        if isinstance(start, str) or isinstance(end, str):
            from geo.store import day_bounds
            try:
                s = day_bounds(start)[0] if isinstance(start, str) and start else start
                t = day_bounds(end)[1] if isinstance(end, str) and end else end
                start, end = s, t
            except ValueError:       # not a date: the events' own span below
                start = end = None
        lo, hi = _day(start), _day(end)
        if lo is not None and hi is not None:
            return (lo, hi) if lo <= hi else (hi, lo)
    spans = [d for d in (event_days(e) for e in events) if d]
    if not spans:
        return None
    return min(s for s, _ in spans), max(t for _, t in spans)


def type_colour(e: Mapping) -> str:
    """The colour of an event's pin or area: by its type."""
    return TYPE_COLOURS[event_type(e)]


def legend_html(type_counts: Mapping[str, int], n_events: int, n_incidents: Optional[int] = None,
                multi: bool = False) -> str:
    """The legend: the event count, a swatch per type present (with its number of pins and
    areas, i.e. incidents), the two symbol kinds and, with `multi`, the pin of an incident reported
    by several sources. Type labels are our own words."""
    total = f" · {n_events} event{'s' if n_events != 1 else ''}"
    if n_incidents is not None and n_incidents != n_events:
        total += f" · {n_incidents} incident{'s' if n_incidents != 1 else ''}"
    parts = [f'<div class="ev-legend-title">Event type{total}</div>']
    for t in TYPE_COLOURS:
        if type_counts.get(t):
            parts.append(f'<div class="ev-legend-type" data-type="{t}"><span class="ev-legend-swatch" '
                         f'style="background:{TYPE_COLOURS[t]}"></span>{html.escape(type_label(t))} '
                         f'<span class="ev-legend-n">{type_counts[t]}</span></div>')
    parts.append('<div><span class="ev-legend-pin"></span>town, landmark (point)</div>')
    parts.append('<div><span class="ev-legend-area"></span>country, region (approximate area)</div>')
    if multi:
        parts.append('<div><span class="ev-legend-multi">3</span>reported by 3 sources</div>')
    return "".join(parts)



# --------------------------------------------------------------------------- popups and tooltips

_URL_BAD_CHARS = re.compile(r"[\x00-\x20\x7f\s]")


@lru_cache(maxsize=4096)
def _safe_url(url: str) -> Optional[str]:
    url = url.strip()
    if _URL_BAD_CHARS.search(url):
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    return url


def safe_url(url) -> Optional[str]:
    """`url` if it is an absolute http(s) URL, else None (javascript:, data:, relative…)."""
    return _safe_url(url) if isinstance(url, str) else None


def _find(sentence: str, needle: str) -> Optional[tuple[int, int]]:
    """Span of the first case-insensitive occurrence of `needle` in `sentence`."""
    low_s, low_n = sentence.lower(), needle.lower()
    if len(low_s) == len(sentence) and len(low_n) == len(needle):
        i = low_s.find(low_n)
        return (i, i + len(needle)) if i >= 0 else None
    m = re.search(re.escape(needle), sentence, re.IGNORECASE)   # lower() changed lengths
    return m.span() if m else None


def _place_span(sentence: str, e: Mapping) -> tuple[Optional[tuple[int, int]], Optional[int]]:
    """(span of the place's mention in `sentence`, offset of the sentence in the article or None)."""
    s0, a, b = e.get("sentence_start"), e.get("mention_start"), e.get("mention_end")
    if all(isinstance(v, int) for v in (s0, a, b)) and 0 <= a - s0 < b - s0 <= len(sentence):
        return (a - s0, b - s0), s0
    for candidate in (e.get("mention_text"), e.get("name")):
        if candidate and str(candidate).strip():
            span = _find(sentence, str(candidate))
            if span:
                return span, (a - span[0] if isinstance(a, int) else None)
    return None, None


def highlight_parts(sentence: str, e: Mapping) -> list[str]:
    """The sentence split as [before, the place's mention, after] (found before any escaping),
    or [sentence] when the mention is not in it. Split here, not by offsets in the browser:
    Python and JavaScript count characters differently (UTF-16 surrogates)."""
    span, _ = _place_span(sentence, e)
    if span is None:
        return [sentence]
    i, j = span
    return [sentence[:i], sentence[i:j], sentence[j:]]


def _trigger_span(sentence: str, e: Mapping, s0: Optional[int],
                  place: Optional[tuple[int, int]]) -> Optional[tuple[int, int]]:
    """Where the event's trigger ({"start", "end", "text"}, offsets into the article) is in
    `sentence`: by its offsets when the sentence's own offset is known and the text agrees,
    else its first occurrence outside the place's mention; None when it overlaps the place."""
    t = e.get("trigger")
    if isinstance(t, str):
        try:
            t = json.loads(t)
        except ValueError:
            t = None
    if not isinstance(t, Mapping):
        return None
    text, ts, te = t.get("text"), t.get("start"), t.get("end")
    text = str(text) if text is not None and str(text).strip() else None
    span = None
    if s0 is not None and isinstance(ts, int) and isinstance(te, int) and 0 <= ts - s0 < te - s0 <= len(sentence):
        span = (ts - s0, te - s0)
        if text is not None and sentence[span[0]:span[1]] != text:
            span = None
    if span is None and text is not None:
        found = [m.span() for m in re.finditer(re.escape(text), sentence, re.IGNORECASE)]
        outside = [f for f in found if place is None or f[1] <= place[0] or f[0] >= place[1]]
        span = outside[0] if outside else None
    if span is None or (place is not None and span[0] < place[1] and place[0] < span[1]):
        return None
    return span


def sentence_parts(sentence: str, e: Mapping) -> list[list]:
    """The sentence as [[text, mark], ...] with mark 1 for the place's mention, 2 for the
    trigger (what happened), 0 for the rest — split here, before any escaping (see
    `highlight_parts`); the page escapes each piece."""
    place, s0 = _place_span(sentence, e)
    trigger = _trigger_span(sentence, e, s0, place)
    cuts = sorted(([(place, 1)] if place else []) + ([(trigger, 2)] if trigger else []))
    out, at = [], 0
    for (i, j), mark in cuts:
        if i > at:
            out.append([sentence[at:i], 0])
        out.append([sentence[i:j], mark])
        at = j
    if at < len(sentence) or not out:
        out.append([sentence[at:], 0])
    return out


_SOURCE_TEXT = {
    "stated": "stated in the article",
    "published": "date inferred from publication",
    "unknown": "date unknown",
}


def date_text(e: Mapping) -> str:
    d, d_end = e.get("date"), e.get("date_end")
    if not d:
        return "no date"
    if not d_end or d_end == d:
        return str(d)
    from geo.store import day_bounds
    try:
        own_end = _day(day_bounds(d, None)[1])
    except (TypeError, ValueError):
        own_end = None
    # "2025-03" already ends on 31 March, "1800/1933" on the last day of 1933: no end to add
    return str(d) if own_end is not None and str(d_end) <= own_end.isoformat() else f"{d} – {d_end}"


def tooltip_text(e: Mapping, n_sources: int = 1) -> str:
    """``place · date · type`` (`` · reported by N sources``) as plain text (the browser
    escapes it; the page's tooltip adds a hidden ``[#id]`` for the app to know the marker)."""
    tip = f"{e.get('name') or '?'} · {date_text(e)} · {type_label(event_type(e))}"
    return tip + (f" · reported by {n_sources} sources" if n_sources > 1 else "")


def _alternatives(e: Mapping) -> list:
    alts = e.get("alternatives") or []
    if isinstance(alts, str):
        try:
            alts = json.loads(alts)
        except ValueError:
            return []
    return [a for a in alts if isinstance(a, Mapping)] if isinstance(alts, (list, tuple)) else []


def _number(v, fmt: str = "{:.2f}") -> str:
    try:
        return fmt.format(float(v))
    except (TypeError, ValueError):
        return "?"


def _str(v) -> Optional[str]:
    return None if v is None or v == "" else str(v)


@lru_cache(maxsize=4096)
def _article_row(title: Optional[str], url: Optional[str], published: Optional[str]) -> tuple:
    url = safe_url(url)
    return (title or "(untitled article)", url, (urlsplit(url).hostname or url) if url else None, published)


def article_row(e: Mapping) -> tuple:
    """[title, http(s) URL or None, its host, published] — what a popup shows of the article."""
    return _article_row(*(_str(e.get(k)) for k in ("title", "url", "published")))


def event_row(e: Mapping, article: int) -> list:
    """What a popup and tooltip show of one event, as plain text (escaped in the browser):
    [place, date text, precision, date source, sentence as `sentence_parts` or None, kind,
    country code, confidence, corrected (0/1), alternatives [[name, cc, kind, score]], type,
    actors, the words that dated it (date_text) or None, event id, 1 for a background event,
    index of its article row]."""
    sentence = e.get("sentence")
    return [str(e.get("name") or "?"), date_text(e), _str(e.get("precision")), e.get("date_source") or "unknown",
            sentence_parts(str(sentence), e) if sentence else None,
            _str(e.get("kind")), _str(e.get("country_code")), _number(e.get("confidence")),
            1 if e.get("corrected") else 0,
            [[str(a.get("name") or "?"), _str(a.get("country_code")), _str(a.get("kind")), _number(a.get("score"))]
             for a in _alternatives(e)[:6]],
            event_type(e), actors_of(e)[:8], _str(e.get("date_text")), e.get("id"),
            1 if e.get("role") == "background" else 0, article]


# --------------------------------------------------------------------------- folium elements

def _js_json(obj) -> str:
    """JSON that is also safe inside an HTML <script> element."""
    s = json.dumps(obj, ensure_ascii=False, separators=(",", ":"))
    # "<" only occurs inside JSON strings, where "<\/" and "<\u0021" read the same: no "</script>"
    # or "<!--" from an article can end the script element.
    # "{{", "{%" and "{#" (Jinja delimiters) can only occur inside strings too.
    return (s.replace("</", "<\\/").replace("<!", "<\\u0021")
            .replace("{{", "{\\u007b").replace("{%", "{\\u0025").replace("{#", "{\\u0023")
            .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))


class _RawElement(Element):
    """Text output verbatim. (branca's ``Element(text)`` compiles `text` as a Jinja template, and
    ``MacroElement.render`` wraps each rendered macro in one: slow for megabytes of event data,
    and ``{{ … }}`` in an article would be evaluated on the server.)"""

    def __init__(self, text: str):
        super().__init__()
        self._text = text

    def render(self, **kwargs) -> str:
        return self._text


class _VerbatimMacro(MacroElement):
    """A MacroElement whose rendered macros reach the page verbatim (see `_RawElement`).
    streamlit-folium calls the ``script`` macro itself, which was never re-parsed."""

    def render(self, **kwargs):
        figure = self.get_root()
        for part in ("header", "html", "script"):
            macro = self._template.module.__dict__.get(part)
            if macro is not None:
                getattr(figure, part).add_child(_RawElement(macro(self, kwargs)), name=self.get_name())
        for child in self._children.values():
            child.render(**kwargs)


def cluster_css() -> str:
    """CSS for markercluster's bubbles in `CLUSTER_GREYS` (prefixed with .leaflet-container to win
    over MarkerCluster.Default.css's green/yellow/orange whatever order the sheets load in)."""
    out = []
    for size, ((r, g, b), (r2, g2, b2)) in CLUSTER_GREYS.items():
        out.append(f".leaflet-container .marker-cluster-{size} {{ background-color: rgba({r},{g},{b},.35); }}")
        out.append(f".leaflet-container .marker-cluster-{size} div {{ background-color: rgba({r2},{g2},{b2},.88); "
                   "color: #fff; }")
    return "\n        ".join(out)


class _Style(_VerbatimMacro):
    """CSS for pins, legend and popups (a <style> in the head: streamlit-folium keeps those)."""

    def __init__(self):
        super().__init__()
        self._name = "Style"
        self.cluster_css = cluster_css()
        self.area_hover = AREA_STYLE["hoverFillOpacity"]
        self.fold_px = LEGEND_FOLD_WIDTH_PX
        self.heat_bar = "linear-gradient(to right, " + ", ".join(
            f"{c} {round(float(k) * 100)}%" for k, c in sorted(HEAT_GRADIENT.items())) + ")"
    _template = Template("""
        {% macro header(this, kwargs) %}
        <style>
        .leaflet-container { background: #cfe0ea; }
        .ev-pin { background: transparent; border: none; }
        path.ev-area:focus, .ev-pin:focus { outline: none; }
        .ev-pin.ev-picked span { box-shadow: 0 0 0 2px #fff, 0 0 0 4px #111111; }
        path.ev-area.ev-picked { stroke: #111111; stroke-width: 3; }
        .ev-pin span { display: block; width: 12px; height: 12px; margin: 1px; border-radius: 50%;
                       border: 1.5px solid #fff; box-shadow: 0 0 0 1px #333; box-sizing: border-box; }
        .ev-legend { background: rgba(255,255,255,.92); padding: 6px 8px; font: 11px/1.35 sans-serif;
                     color: #222; border-radius: 4px; box-shadow: 0 1px 4px rgba(0,0,0,.3); min-width: 190px; }
        .ev-legend-title { font-weight: bold; margin-bottom: 3px; }
        .ev-legend-title:focus { outline: none; }
        @media (max-width: {{ this.fold_px }}px) {
            .ev-legend { min-width: 0; }
            .ev-legend-title { cursor: pointer; margin-bottom: 0; }
            .ev-legend-title::after { content: " \\25B8"; }
            .ev-legend-open .ev-legend-title { margin-bottom: 3px; }
            .ev-legend-open .ev-legend-title::after { content: " \\25BE"; }
            .ev-legend:not(.ev-legend-open) > :not(.ev-legend-title) { display: none; }
        }
        .ev-legend-swatch, .ev-legend-pin, .ev-legend-area { display: inline-block; vertical-align: middle;
                     margin-right: 5px; }
        .ev-pin span.ev-multi { width: 18px; height: 18px; margin: 0; font: bold 10px/15px sans-serif;
                       color: #fff; text-align: center; }
        .ev-legend-swatch { width: 12px; height: 12px; border-radius: 50%; border: 1px solid #fff;
                     box-shadow: 0 0 0 1px #555; box-sizing: border-box; }
        .ev-legend-n { color: #666; }
        .ev-legend-pin { width: 10px; height: 10px; border-radius: 50%; background: #8c8c8c;
                     border: 1.5px solid #fff; box-shadow: 0 0 0 1px #333; }
        .ev-legend-area { width: 14px; height: 12px; background: rgba(140,140,140,.25);
                     border: 1px solid #8c8c8c; border-radius: 3px; }
        .ev-legend-multi { width: 15px; height: 15px; border-radius: 50%; background: #8c8c8c; color: #fff;
                     display: inline-block; vertical-align: middle; margin-right: 5px; text-align: center;
                     font: bold 9px/15px sans-serif; box-shadow: 0 0 0 1px #333; }
        .ev-ref { display: none; }
        {{ this.cluster_css }}
        path.ev-area { cursor: pointer; }
        path.ev-area:hover { fill-opacity: {{ this.area_hover }}; stroke-opacity: 1; }
        /* streamlit-folium sizes the map's box in pixels; the box follows its frame instead,
           whose height the app sets from the window's (app.py, LAYOUT_CSS) */
        #map_div { height: 100vh !important; }
        .ev-heat-bar { height: 8px; margin: 3px 0 1px; border-radius: 2px; background: {{ this.heat_bar }}; }
        .ev-heat-scale { display: flex; justify-content: space-between; color: #666; }
        .ev-heat-switch { margin-top: 4px; font: bold 11px sans-serif; color: #0b57d0; background: none; border: 0;
                          padding: 0; cursor: pointer; text-decoration: underline; }
        .ev-popup { font: 12px/1.4 sans-serif; max-width: 340px; }
        .ev-popup .ev-title { display: block; font-size: 13px; margin-bottom: 2px; }
        .ev-popup p { margin: 2px 0; }
        .ev-popup i { color: #666; }
        .ev-popup blockquote { margin: 4px 0; padding: 2px 6px; border-left: 3px solid #ccc; color: #333; }
        .ev-popup mark { background: #ffe066; padding: 0 1px; }
        .ev-popup .ev-trigger { background: #ffd0c2; padding: 0 1px; font-weight: bold; }
        .ev-popup .ev-head { font-size: 13px; }
        .ev-popup .ev-swatch { display: inline-block; width: 10px; height: 10px; border-radius: 50%;
                     margin-right: 4px; vertical-align: baseline; }
        .ev-popup .ev-src { border-top: 1px solid #e3e3e3; margin-top: 4px; padding-top: 3px; }
        .ev-popup ul { margin: 2px 0 2px 16px; padding: 0; }
        .ev-caption { background: rgba(255,255,255,.92); padding: 4px 8px; font: 12px/1.35 sans-serif;
                      color: #222; border-radius: 4px; box-shadow: 0 1px 4px rgba(0,0,0,.3); max-width: 420px; }
        .ev-list { background: rgba(255,255,255,.95); font: 12px/1.35 sans-serif; color: #222; border-radius: 4px;
                   box-shadow: 0 1px 4px rgba(0,0,0,.3); width: 260px; max-height: 60vh; overflow-y: auto; }
        .ev-list-head { padding: 5px 8px; font-weight: bold; border-bottom: 1px solid #ddd; position: sticky; top: 0;
                        background: #fff; }
        .ev-list-item { padding: 4px 8px; border-bottom: 1px solid #eee; cursor: pointer; }
        .ev-list-item:hover, .ev-list-item.ev-on { background: #fff4c2; }
        .ev-list-item i { color: #666; }
        .ev-list .ev-swatch { display: inline-block; width: 9px; height: 9px; border-radius: 50%; margin-right: 4px; }
        .ev-popup button.ev-read { font: bold 12px sans-serif; color: #0b57d0; background: none; border: 0; padding: 0;
                                   cursor: pointer; text-decoration: underline; }
        .ev-group > hr { border: 0; border-top: 1px solid #ddd; margin: 6px 0; }
        .ev-group > i { color: #666; font: 12px sans-serif; }
        </style>
        {% endmacro %}
    """)


class _Basemap(_VerbatimMacro):
    """Country outlines in their own non-interactive pane under the tiles, plus the credits."""
    _template = Template("""
        {% macro script(this, kwargs) %}
        (function (map) {
            // Leaflet focuses the map on a mouse press (for its arrow keys): without preventScroll the
            // page scrolls to show the whole map frame, the release lands elsewhere, the click is lost
            var box = map.getContainer();
            box.focus = function (o) { HTMLElement.prototype.focus.call(box, Object.assign({preventScroll: true}, o || {})); };
            var pane = map.createPane('basemap');
            pane.style.zIndex = 150;
            pane.style.pointerEvents = 'none';
            // event areas (countries, regions): under the overlay pane and far under the pins
            if (!map.getPane({{ this.areas_pane|tojson }})) {
                map.createPane({{ this.areas_pane|tojson }}).style.zIndex = {{ this.areas_z }};
            }
            var style = {pane: 'basemap', interactive: false, bubblingMouseEvents: false,
                         color: '#8f8f8f', weight: 0.6, opacity: 1,
                         fillColor: '#efede8', fillOpacity: 1, className: 'basemap-country'};
            if (map.attributionControl) {
                {% for credit in this.credits %}
                map.attributionControl.addAttribution({{ credit|tojson }});
                {% endfor %}
            }
            function draw(data) { L.geoJSON(data, style).addTo(map); }
            {% if this.data is not none %}
            draw({{ this.data }});
            {% else %}
            fetch({{ this.url|tojson }})
                .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); })
                .then(draw)
                .catch(function (err) { console.warn('basemap not loaded:', err); });
            {% endif %}
        })({{ this._parent.get_name() }});
        {% endmacro %}
    """)

    def __init__(self, *, url: Optional[str] = None, data: Optional[str] = None,
                 credits: Sequence[str] = ()):
        super().__init__()
        self._name = "Basemap"
        self.url, self.data, self.credits = url, data, list(credits)
        self.areas_pane, self.areas_z = AREAS_PANE, AREAS_PANE_Z


class _BasemapDetail(_VerbatimMacro):
    """The offline basemap's detail (`geo.basemap`): coastline, lakes, rivers, province borders in
    a pane under the tiles, and place names as DOM text by rank and zoom."""
    _template = Template("""
        {% macro header(this, kwargs) %}<style>{{ this.css }}</style>{% endmacro %}
        {% macro script(this, kwargs) %}{{ this.js }}({{ this._parent.get_name() }}, {{ this.config }});
        {% endmacro %}
    """)

    def __init__(self, config: str):
        super().__init__()
        self._name = "BasemapDetail"
        self.config, self.js, self.css = config, basemap.LAYER_JS, basemap.LAYER_CSS


class _LayerSwitch(_VerbatimMacro):
    """Leaflet's layers control: "OpenStreetMap" (the tiles) or "Offline basemap" (no tiles), and
    the offline place names over the tiles."""
    _template = Template("""
        {% macro script(this, kwargs) %}{{ this.js }}({{ this._parent.get_name() }}, {{ this.tiles }});
        {% endmacro %}
    """)

    def __init__(self, tiles_name: str):
        super().__init__()
        self._name = "LayerSwitch"
        self.tiles, self.js = tiles_name, basemap.SWITCH_JS


def _basemap_detail(inline: bool, urls: Mapping[str, str], center, zoom, box) -> Optional[_BasemapDetail]:
    """The detail layer's element: files fetched from `urls["basemap_tiles"]` (the app), or, for
    the HTML export, the global file and the tiles around the opening view inlined (at most
    `geo.basemap.INLINE_BUDGET` bytes). None (country outlines only) when the data is missing."""
    try:
        if inline:
            if box is not None:
                (s, w), (n, e) = box
                pad_x, pad_y = max(1.0, (e - w) * 0.5), max(1.0, (n - s) * 0.5)
                view = (w - pad_x, s - pad_y, e + pad_x, n + pad_y)
                z = zoom if zoom is not None else max(2, min(7, int(math.log2(360 / max(e - w, (n - s) * 1.6, 1e-3)) + 2)))
            elif center is not None:
                z = zoom if zoom is not None else 5
                view = basemap.view_box(center, z)
            else:
                view, z = None, zoom if zoom is not None else DEFAULT_ZOOM
            return _BasemapDetail(basemap.page_config(None, basemap.inline_data(view, z)))
        if urls.get("basemap_tiles"):
            return _BasemapDetail(basemap.page_config(urls["basemap_tiles"]))
        return _BasemapDetail(basemap.page_config(None, basemap.inline_data(None, None)))
    except Exception as exc:   # noqa: BLE001 - a missing data package leaves the country outlines
        import logging
        logging.getLogger(__name__).warning("offline basemap detail unavailable: %s", exc)
        return None


# The legend's "Show as heatmap" / "Show the pins" button: inside the app (the map's frame is
# served by the app, so it may reach the page around it) it flips the app's "Heatmap" toggle, whose
# state is in the URL; elsewhere (an exported file) there is no toggle and no button.
HEAT_SWITCH_JS = """function (div, label) {
    function toggle() {
        try {
            var doc = window.parent !== window ? window.parent.document : null;
            if (!doc) { return null; }
            return Array.prototype.find.call(doc.querySelectorAll('input[role=switch]'), function (i) {
                var l = i.closest('label');
                return l && l.textContent.trim() === 'Heatmap';
            }) || null;
        } catch (err) { return null; }       // another origin: no way to the app's toggle
    }
    if (!toggle()) { return; }
    var b = L.DomUtil.create('button', 'ev-heat-switch', div);
    b.type = 'button';
    b.textContent = label;
    b.onclick = function () { var t = toggle(); if (t) { t.click(); } };
}"""


# On a narrow map (a phone, a 400 px window) the legend folds to its title line, which opens and
# closes it (click, Enter or Space): unfolded it would cover a third of the map.
LEGEND_FOLD_JS = """function (div) {
    var title = div.querySelector('.ev-legend-title');
    if (!title) { return; }
    title.setAttribute('role', 'button');
    title.tabIndex = 0;
    title.setAttribute('aria-expanded', 'false');
    function flip(ev) {
        if (ev.type === 'keydown' && ev.key !== 'Enter' && ev.key !== ' ') { return; }
        ev.preventDefault();
        var open = div.classList.toggle('ev-legend-open');
        title.setAttribute('aria-expanded', open ? 'true' : 'false');
    }
    title.addEventListener('click', flip);
    title.addEventListener('keydown', flip);
}"""
LEGEND_FOLD_WIDTH_PX = 560


class _EventData(_VerbatimMacro):
    """Builds the event layer's contents in the browser from one JSON payload."""
    _template = Template(r"""
        {% macro script(this, kwargs) %}
        (function (fg) {
            var D = {{ this.payload }};
            var E = D.events, icons = {};
            if (!window.__pinsKeepScroll) {
                // A pin or cluster is focusable (the keyboard reaches it); a mouse press on it must
                // not focus it (focusing scrolls the page to show it, as the map's own focus would).
                window.__pinsKeepScroll = true;
                document.addEventListener('mousedown', function (e) {
                    if (e.target.closest && e.target.closest('.leaflet-marker-icon')) { e.preventDefault(); }
                }, true);
            }
            // Every string from an article is escaped here, as the HTML is put together.
            var ENT = {'&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;'};
            function esc(v) {
                return v === null || v === undefined ? '' : String(v).replace(/[&<>"']/g, function (c) { return ENT[c]; });
            }
            var I = D.incidents, T = D.types;
            // The popups' contents (sentences, other candidates, actors, articles) come apart from the
            // pins when the app drew them (`split_details`): fetched now, put in place, and every popup
            // already opened is filled in.
            var DET = D.details ? 'loading' : 'inline', bound = [];
            window.__eventDetails = DET;
            function detailsArrived(det) {
                det.s.forEach(function (v, k) { E[k][4] = v; });
                det.a.forEach(function (v, k) { E[k][9] = v; });
                det.c.forEach(function (v, k) { E[k][11] = v; });
                D.articles = det.articles;
                detailsState('loaded');
            }
            function detailsState(state) {
                DET = state;
                if (window.__eventLayer === fg) { window.__eventDetails = state; }
                bound.forEach(function (b) { b[0].setPopupContent(b[1](b[2])); });
            }
            function fetchDetails(tries) {
                fetch(D.details).then(function (r) {
                    if (!r.ok) { throw new Error('HTTP ' + r.status); }
                    return r.json();
                }).then(detailsArrived, function () {
                    if (tries < 6) { setTimeout(function () { fetchDetails(tries + 1); }, 250 * (tries + 1)); }
                    else { detailsState('failed'); }
                });
            }
            if (D.details) { fetchDetails(0); }
            function pending() {
                return DET === 'loading' ? '<p class="ev-pending"><i>Loading the sources\u2026</i></p>'
                    : '<p class="ev-pending"><i>The sources could not be loaded: reload the page to see them.</i></p>';
            }
            function typeOf(e) { return T[e[10]] || [e[10], '#8c8c8c']; }
            function ref(id) { return '<span class="ev-ref">[#' + esc(id) + ']</span>'; }
            // incident i: [event rows (representative first), number of sources, representative's id]
            function tipOf(i) {
                var inc = I[i], e = E[inc[0][0]];
                return esc(e[0] + ' \u00b7 ' + e[1] + ' \u00b7 ' + typeOf(e)[0]
                           + (inc[1] > 1 ? ' \u00b7 reported by ' + inc[1] + ' sources' : '')) + ref(inc[2]);
            }
            function marked(parts) {
                return parts.map(function (p) {
                    return p[1] === 1 ? '<mark>' + esc(p[0]) + '</mark>'
                        : p[1] === 2 ? '<strong class="ev-trigger">' + esc(p[0]) + '</strong>' : esc(p[0]);
                }).join('');
            }
            function dateLine(e) {
                var how = e[3] === 'stated' && e[12] ? 'dated by \u201c' + esc(e[12]) + '\u201d' : esc(D.how[e[3]] || e[3]);
                return esc(e[1]) + ' <i>(' + (e[2] ? esc(e[2]) + ', ' : '') + how + ')</i>';
            }
            function sourceOf(k, many) {
                var e = E[k], a = D.articles[e[15]];
                var url = a[1] && /^https?:\/\//i.test(a[1]) ? a[1] : null;   // checked in Python too
                var h = '<div class="ev-src"><b class="ev-title">' + esc(a[0]) + '</b>';
                if (many) { h += '<p class="ev-date">' + dateLine(e) + '</p>'; }
                if (e[4]) { h += '<blockquote>' + marked(e[4]) + '</blockquote>'; }
                h += '<p class="ev-source">' + (url ? '<a href="' + esc(url) + '" target="_blank" rel="noopener">source: '
                    + esc(a[2]) + '</a>' : '<i>no source link</i>') + (a[3] ? ' \u00b7 published ' + esc(a[3]) : '') + '</p>';
                if (D.read && a[4] !== null && a[4] !== undefined) {
                    h += '<p><button type="button" class="ev-read" data-article="' + esc(a[4]) + '">Read the article \u2192</button></p>';
                }
                return h + '</div>';
            }
            function popupOf(i) {
                var inc = I[i], ks = inc[0], e = E[ks[0]], t = typeOf(e), n = inc[1];
                var h = '<div class="ev-popup"><p class="ev-head"><span class="ev-swatch" style="background:' + esc(t[1])
                    + '"></span><b class="ev-type">' + esc(t[0]) + '</b>'
                    + (n > 1 ? ' \u00b7 <b class="ev-n">reported by ' + n + ' sources</b>' : '')
                    + (e[14] ? ' \u00b7 <i class="ev-role">background (history or context)</i>' : '') + '</p>';
                if (DET === 'loading' || DET === 'failed') {
                    return h + '<p class="ev-date">' + dateLine(e) + '</p>' + pending() + '<p><b>' + esc(e[0])
                        + '</b> \u00b7 geocode confidence ' + esc(e[7]) + '</p></div>';
                }
                var acts = [], had = {};                 // every source's actors, once each
                ks.forEach(function (k) { E[k][11].forEach(function (a) {
                    var key = a.toLowerCase();
                    if (!had[key]) { had[key] = 1; acts.push(a); }
                }); });
                if (acts.length) { h += '<p class="ev-actors">Actors: ' + acts.map(esc).join(', ') + '</p>'; }
                h += '<p class="ev-date">' + dateLine(e) + '</p>';
                h += ks.map(function (k) { return sourceOf(k, ks.length > 1); }).join('');
                var where = [e[5], e[6]].filter(Boolean).map(esc).join(', ');
                h += '<p><b>' + esc(e[0]) + '</b>' + (where ? ' <i>(' + where + ')</i>' : '')
                    + ' \u00b7 geocode confidence ' + esc(e[7]) + (e[8] ? ' \u00b7 <i>corrected by a user</i>' : '') + '</p>';
                if (e[9].length) {
                    h += '<p>Other candidates:</p><ul>' + e[9].map(function (c) {
                        return '<li>' + esc(c[0]) + (c[1] ? ' (' + esc(c[1]) + ')' : '') + (c[2] ? ' ' + esc(c[2]) : '')
                            + ' \u00b7 score ' + esc(c[3]) + '</li>';
                    }).join('') + '</ul>';
                } else {
                    h += '<p><i>No other candidates.</i></p>';
                }
                return h + '</div>';
            }
            function areaTip(r) { return r[5] === null ? tipOf(r[6][0]) : esc(r[5]) + ref(I[r[6][0]][2]); }
            function areaPopup(r) {
                if (r[7] === 1) { return popupOf(r[6][0]); }
                return '<div class="ev-group"><i>' + r[7] + ' events at this place' + (r[8] ? ', most recent first' : '')
                    + '</i><hr>' + r[6].map(popupOf).join('<hr>')
                    + (r[7] > r[6].length ? '<hr><i>\u2026 and ' + (r[7] - r[6].length) + ' more</i>' : '') + '</div>';
            }
            function pin(i) {
                var inc = I[i], t = E[inc[0][0]][10], n = inc[1] > 1 ? inc[1] : 0, key = t + '|' + n;
                return icons[key] || (icons[key] = L.divIcon({
                    className: 'ev-pin ev-t-' + t,
                    html: '<span' + (n ? ' class="ev-multi"' : '') + ' style="background:' + esc(typeOf(E[inc[0][0]])[1]) + '">'
                        + (n ? esc(n) : '') + '</span>',
                    iconSize: n ? [18, 18] : [14, 14], iconAnchor: n ? [9, 9] : [7, 7], popupAnchor: [0, -6],
                    tooltipAnchor: [6, -6]}));
            }
            var popupOptions = {maxWidth: 360, maxHeight: 340};
            // Tooltips and popups are built and bound on first hover/click: 10,000 markers cost
            // no more than 10,000 markers.
            function lazy(group, rows, tipOfRow, popupOfRow, tipOptions) {
                function tip(l) {
                    if (!l.getTooltip()) { l.bindTooltip(tipOfRow(rows[l._ev]), tipOptions); }
                }
                // Bound before the click too (mousedown comes first): the map reports the clicked
                // layer's tooltip, whose [#id] names the event, so a click selects that very one
                // even among pins on one spot.
                group.on('mousedown', function (e) {
                    if (e.layer !== undefined && e.layer._ev !== undefined) { tip(e.layer); }
                });
                group.on('mouseover', function (e) {
                    var l = e.layer;
                    if (l === undefined || l._ev === undefined || l.getTooltip()) { return; }
                    tip(l);
                    l.openTooltip(l.getLatLng ? undefined : e.latlng);
                });
                group.on('click', function (e) {
                    var l = e.layer;
                    if (l === undefined || l._ev === undefined) { return; }
                    tip(l);   // also for streamlit-folium's last_object_clicked_tooltip
                    // the clicked one is the selected one: marked here, so the app need not redraw
                    // the layer (which would close the popup just opened)
                    document.querySelectorAll('.ev-picked').forEach(function (x) { x.classList.remove('ev-picked'); });
                    var el = l._icon || l._path;
                    if (el) { el.classList.add('ev-picked'); }
                    if (!l.getPopup()) {
                        l.bindPopup(popupOfRow(rows[l._ev]), popupOptions);
                        if (DET === 'loading') { bound.push([l, popupOfRow, rows[l._ev]]); }
                        l.openPopup(l.getLatLng ? undefined : e.latlng);
                    }
                });
            }
            // For tests and scripts: the HTML a popup / tooltip of incident k gets.
            fg.eventPopupHtml = popupOf;
            fg.eventTooltipHtml = tipOf;
            window.__eventLayer = fg;
            // Chunked loading draws the pins over several frames: __eventsDrawn says when the
            // last chunk is on the map (the PNG export waits for it).
            window.__eventsDrawn = D.points.length === 0 || !D.cluster;
            // Without clustering (the PNG export) every pin is drawn as itself, at once.
            var cluster = !D.cluster ? L.featureGroup() : L.markerClusterGroup({
                chunkedLoading: true, showCoverageOnHover: false, maxClusterRadius: 45,
                chunkProgress: function (done, total) { if (done >= total) { window.__eventsDrawn = true; } }});
            var markers = new Array(D.points.length);
            for (var i = 0; i < D.points.length; i++) {
                var p = D.points[i];
                var m = L.marker([p[0], p[1]], {icon: pin(p[2]), riseOnHover: true});
                m._ev = i;
                markers[i] = m;
            }
            lazy(cluster, D.points, function (r) { return tipOf(r[2]); }, function (r) { return popupOf(r[2]); },
                 {direction: 'top'});
            if (cluster.addLayers) { cluster.addLayers(markers); }
            else { markers.forEach(function (m) { cluster.addLayer(m); }); }
            var areas = L.featureGroup(), areaParts = new Array(D.areas.length);
            for (var j = 0; j < D.areas.length; j++) {
                var a = D.areas[j], c = T[a[4]] ? T[a[4]][1] : '#8c8c8c', S = D.area_style;
                // drawn lightly (outline, faint fill) in their own pane under the pins: a country
                // mention is an approximate place, never a weight over the towns in it
                var opts = {color: c, weight: S.weight, opacity: S.opacity, fillColor: c,
                            fillOpacity: S.fillOpacity, pane: S.pane};
                var layer;
                if (a[0] !== null && D.shapes[a[0]]) {
                    opts.className = 'ev-area ev-country';
                    layer = L.geoJSON(D.shapes[a[0]], opts);
                    layer.eachLayer(function (part) { part._ev = j; areaParts[j] = areaParts[j] || part; });
                } else {
                    opts.className = 'ev-area ev-circle';
                    opts.dashArray = S.circleDash;          // a circle is a guess at the area: dashed
                    opts.radius = a[3];
                    layer = L.circle([a[1], a[2]], opts);
                    layer._ev = j;
                    areaParts[j] = layer;
                }
                areas.addLayer(layer);
            }
            lazy(areas, D.areas, areaTip, areaPopup, {sticky: true});
            fg.addLayer(areas);
            fg.addLayer(cluster);
            // The HTML export's side list: one line per pin or area, latest first; a click pans
            // the map there and opens its popup.
            if (D.list) {
                var items = [];
                D.points.forEach(function (p, i) { items.push([p[2], markers[i], [p[0], p[1]], 10]); });
                D.areas.forEach(function (a, j) { items.push([a[6][0], areaParts[j], [a[1], a[2]], a[0] !== null ? 5 : 6]); });
                function dayOf(it) { var d = E[I[it[0]][0][0]][1]; return /^\d/.test(d) ? d : ''; }
                items.sort(function (x, y) { return dayOf(y) < dayOf(x) ? -1 : dayOf(y) > dayOf(x) ? 1 : 0; });
                var list = L.control({position: 'topleft'}), listTurn = 0;
                list.onAdd = function (map) {
                    var div = L.DomUtil.create('div', 'ev-list');
                    div.innerHTML = '<div class="ev-list-head">' + esc(items.length) + ' on the map \u00b7 click to go there</div>'
                        + items.map(function (it, k) {
                            var inc = I[it[0]], e = E[inc[0][0]], a = D.articles[e[15]], t = typeOf(e);
                            return '<div class="ev-list-item" data-k="' + k + '" data-ev="' + esc(inc[2]) + '">'
                                + '<span class="ev-swatch" style="background:' + esc(t[1]) + '"></span>'
                                + '<b>' + esc(e[0]) + '</b> \u00b7 ' + esc(e[1]) + ' \u00b7 ' + esc(t[0])
                                + (inc[1] > 1 ? ' \u00b7 ' + esc(inc[1]) + ' sources' : '')
                                + '<br><i>' + esc(a[0]) + '</i></div>';
                        }).join('');
                    L.DomEvent.disableClickPropagation(div);
                    L.DomEvent.disableScrollPropagation(div);
                    div.addEventListener('click', function (ev) {
                        var row = ev.target.closest('.ev-list-item');
                        if (!row) { return; }
                        var it = items[+row.getAttribute('data-k')], layer = it[1];
                        div.querySelectorAll('.ev-list-item.ev-on').forEach(function (x) { x.classList.remove('ev-on'); });
                        row.classList.add('ev-on');
                        // Only the latest click counts: an earlier one's move or popup still pending
                        // must not take the map away from it
                        var turn = ++listTurn;
                        function open() { if (layer && turn === listTurn) { layer.fire('click', {latlng: L.latLng(it[2])}, true); } }
                        // Each step waits until the map and its clusters are still: a zoom animation's end
                        // puts back the zoom it set out for (undoing a setView made during it, e.g. the
                        // opening fit), and zoomToShowLayer called while clusters split waits for a
                        // 'moveend' it then ignores, so the popup never opens
                        function whenStill(step) {
                            if (turn !== listTurn) { return; }
                            if (map._animatingZoom) { map.once('zoomend', function () { whenStill(step); }); }
                            else if (cluster._inZoomAnimation) { cluster.once('animationend', function () { whenStill(step); }); }
                            else { step(); }
                        }
                        whenStill(function () {
                            map.setView(it[2], Math.max(map.getZoom(), it[3]), {animate: false});
                            whenStill(function () {
                                if (layer && cluster.zoomToShowLayer && layer instanceof L.Marker) {
                                    cluster.zoomToShowLayer(layer, open);
                                } else { open(); }
                            });
                        });
                    });
                    return div;
                };
                fg.on('add', function () { list.addTo(fg._map); });
                fg.on('remove', function () { list.remove(); });
                if (fg._map) { list.addTo(fg._map); }
            }
            // "Read the article" in a popup: the app hears of it as a click on the popup's pin whose
            // tooltip ends with "[read #article id]" (streamlit-folium reports a clicked layer's
            // tooltip; geo.views.tooltip_read_article reads it), fired on this group so that the
            // pin's own click handlers (and its popup's toggle) stay out of it.
            function readArticle(src, aid, popup) {
                var tip = src.getTooltip && src.getTooltip();
                var old = tip ? tip.getContent() : null;
                if (tip) { tip.setContent(old + '<span class="ev-ref">[read #' + esc(aid) + ']</span>'); }
                var ll = src.getLatLng ? src.getLatLng() : popup.getLatLng();
                fg.fire('click', {latlng: ll, layer: src, sourceTarget: src});
                if (tip) { tip.setContent(old); }
                window.__readArticle = aid;       // for tests and scripts
            }
            fg.on('popupopen', function (e) {
                var src = e.popup && e.popup._source;
                if (src && src.closeTooltip) { src.closeTooltip(); }
                var box = e.popup && e.popup.getElement && e.popup.getElement();
                if (!box || !src) { return; }
                box.querySelectorAll('button.ev-read').forEach(function (a) {
                    a.onclick = function (ev) {
                        ev.preventDefault();
                        readArticle(src, a.getAttribute('data-article'), e.popup);
                    };
                });
            });
            var legend = L.control({position: 'bottomright'});
            legend.onAdd = function () {
                var div = L.DomUtil.create('div', 'ev-legend');
                div.innerHTML = D.legend;
                ({{ this.switch_js }})(div, 'Show as heatmap');
                ({{ this.fold_js }})(div);
                L.DomEvent.disableClickPropagation(div);
                L.DomEvent.disableScrollPropagation(div);
                return div;
            };
            fg.on('add', function () { legend.addTo(fg._map); });
            fg.on('remove', function () { legend.remove(); });
            if (fg._map) { legend.addTo(fg._map); }
        })({{ this._parent.get_name() }});
        {% endmacro %}
    """)

    def __init__(self, payload: str):
        super().__init__()
        self._name = "EventData"
        self.payload = payload
        self.switch_js, self.fold_js = HEAT_SWITCH_JS, LEGEND_FOLD_JS


class _Caption(_VerbatimMacro):
    """A line of plain text over the map (what an exported view shows: title, window, count)."""
    _template = Template("""
        {% macro script(this, kwargs) %}
        (function (map) {
            var c = L.control({position: 'topright'});
            c.onAdd = function () {
                var d = L.DomUtil.create('div', 'ev-caption');
                d.textContent = {{ this.text }};
                return d;
            };
            c.addTo(map);
        })({{ this._parent.get_name() }});
        {% endmacro %}
    """)

    def __init__(self, text: str):
        super().__init__()
        self._name = "Caption"
        self.text = _js_json(text)


# --------------------------------------------------------------------------- layers and maps

@lru_cache(maxsize=512)
def _drawn_km2(key: tuple) -> float:
    """About how much of the map an area group covers: its country's outline, else its circle."""
    if key[0] == "country" and len(key) == 3:
        return _outline_km2(key[1])
    return math.pi * (AREA_RADIUS_M.get(key[0], AREA_RADIUS_M["region"]) / 1000) ** 2


@lru_cache(maxsize=512)
def _outline_km2(iso_a2: str) -> float:
    from geo.shapes import country_shapes
    geom = country_shapes().get(iso_a2.upper())
    if geom is None:
        return 0.0
    return geom.area * 111.32 ** 2 * math.cos(math.radians(geom.centroid.y))


def country_outline(iso_a2: str) -> Optional[dict]:
    """A country's outline as a GeoJSON geometry, simplified to its size (None if unknown). Made
    once per country (simplifying Russia's takes ~50 ms; a map of a busy month draws ~100 of them
    at every step); the dict is shared, so callers must not change it."""
    return _country_outline((iso_a2 or "").upper())


def warm_country_outlines() -> None:
    """Make every country's outline now (the app does it in the background when it starts)."""
    from geo.shapes import country_shapes
    for code in country_shapes():
        _country_outline(code)


@cache
def _country_outline(iso_a2: str) -> Optional[dict]:
    from geo.shapes import country_shapes
    geom = country_shapes().get(iso_a2)
    if geom is None:
        return None
    minx, miny, maxx, maxy = geom.bounds
    tolerance = min(0.25, max(0.01, max(maxx - minx, maxy - miny) / 250))
    return assets.geometry_json(geom, tolerance)


def has_point(e: Mapping) -> bool:
    """True when the event has a usable position (what the map and every export can show)."""
    try:
        return e.get("lat") is not None and e.get("lon") is not None and \
            -90 <= float(e["lat"]) <= 90 and -180 <= float(e["lon"]) <= 180
    except (TypeError, ValueError):
        return False


def _sort_key_latest(e: Mapping):
    d = event_days(e)
    return (d is not None, d[1] if d else date.min, str(e.get("id") or ""))


def event_payload(events: Sequence[Mapping], window=None, rows_cache: Optional[dict] = None, *,
                  read_links: bool = False, cluster: bool = True, side_list: bool = False) -> dict:
    """What the browser needs to draw `events`: plain data, no HTML built from article text
    (the page's script escapes it while building tooltips and popups; see `_EventData`).

    Events sharing an incident id are one incident (`geo.views.group_incidents`): one pin (or
    area) at its representative event's place, coloured by its type, whose popup lists every
    source. `window` is accepted for the callers' sake; colours do not depend on dates.

    `rows_cache`: a dict that lives exactly as long as the events' list (the app keeps one per
    loaded store): each event's row is then built once, keyed by its id, and reused by every
    later window or filter over the same events.

    ``events``: `event_row` per event; ``articles``: `article_row` per article;
    ``incidents``: [[event indexes, representative first], number of sources (articles),
    representative's id]; ``articles`` rows end with the article's id; ``read``: popups carry a
    "Read the article" link (the app: see `_EventData`'s readArticle); ``cluster``: pins are
    clustered (the PNG export draws each one); ``list``: a side list of the incidents that pans the
    map to one when clicked (the HTML export); ``points``: [lat, lon, incident index]; ``areas``: [outline key or
    None, lat, lon, radius (m), type, group tooltip text or None, [incident indexes, latest
    first, at most POPUP_GROUP_LIMIT], number of incidents, any dated]; ``shapes``: outlines by
    key; ``types``: {type: [label, colour]}; ``how`` (date source wording); ``legend``."""
    events = [e for e in events if has_point(e)]
    articles: list[tuple] = []
    article_index: dict = {}       # article row -> index
    art_by_id: dict = {}           # article id -> article row
    rows: list[list] = []

    def row(e) -> int:
        eid = e.get("id") if rows_cache is not None else None
        cached = rows_cache.get(eid) if eid is not None else None
        if cached is None:
            aid = e.get("article_id")
            art = art_by_id.get(aid) if aid is not None else None
            if art is None:
                art = article_row(e) + (aid,)
                if aid is not None:
                    art_by_id[aid] = art
            cached = (event_row(e, -1)[:-1], art)
            if eid is not None:
                rows_cache[eid] = cached
        fields, art = cached
        k = article_index.get(art)
        if k is None:
            k = article_index[art] = len(articles)
            articles.append(art)
        rows.append(fields + [k])
        return len(rows) - 1

    incidents: list[list] = []
    type_counts: dict[str, int] = {}

    def incident(members) -> int:
        first = members[0]
        incidents.append([[row(e) for e in members], n_articles(members), first.get("id")])
        t = event_type(first)
        type_counts[t] = type_counts.get(t, 0) + 1
        return len(incidents) - 1

    points, groups = [], {}
    for members in group_incidents(events):
        e = members[0]
        if e.get("kind") in AREA_KINDS:
            cc = (e.get("country_code") or "").upper()
            if e.get("kind") == "country" and cc and country_outline(cc) is not None:
                key = ("country", cc)
            else:
                key = (e.get("kind"), round(float(e["lat"]), 4), round(float(e["lon"]), 4))
            groups.setdefault(key + (event_type(e),), []).append(members)
        else:
            points.append([round(float(e["lat"]), 6), round(float(e["lon"]), 6), incident(members)])

    areas, shapes = [], {}
    # the biggest drawn underneath, so that a smaller area inside another (Puntland's circle in
    # Somalia's outline) stays clickable
    for key, incs in sorted(groups.items(), key=lambda kv: -_drawn_km2(kv[0])):
        incs.sort(key=lambda m: _sort_key_latest(m[0]), reverse=True)
        first = incs[0][0]
        shape_key = None
        if key[0] == "country" and len(key) == 3:
            shape_key = key[1]
            shapes[shape_key] = country_outline(shape_key)
        dated = [d for d in (event_days(m[0]) for m in incs) if d]
        tip = None
        if len(incs) > 1:
            span = f"{min(d[0] for d in dated)} – {max(d[1] for d in dated)}" if dated else "no date"
            tip = f"{first.get('name') or '?'} · {span} · {type_label(event_type(first))} ({len(incs)} events)"
        shown = [incident(m) for m in incs[:POPUP_GROUP_LIMIT]]
        for m in incs[POPUP_GROUP_LIMIT:]:          # counted in the legend, not listed
            type_counts[event_type(m[0])] = type_counts.get(event_type(m[0]), 0) + 1
        areas.append([shape_key, round(float(first["lat"]), 5), round(float(first["lon"]), 5),
                      AREA_RADIUS_M.get(first.get("kind"), AREA_RADIUS_M["region"]), event_type(first), tip,
                      shown, len(incs), bool(dated)])

    n_incidents = sum(type_counts.values())
    win = resolve_window(events, window) if window is not None else None
    return {"types": {t: [type_label(t), c] for t, c in TYPE_COLOURS.items() if t in type_counts},
            "how": _SOURCE_TEXT, "articles": articles, "events": rows, "incidents": incidents,
            "points": points, "areas": areas, "shapes": shapes,
            "legend": legend_html(type_counts, len(events), n_incidents,
                                  multi=any(inc[1] > 1 for inc in incidents)),
            "window": [win[0].isoformat(), win[1].isoformat()] if win else None,
            "read": bool(read_links), "cluster": bool(cluster), "list": bool(side_list),
            "area_style": {k: AREA_STYLE[k] for k in ("weight", "opacity", "fillOpacity", "circleDash", "pane")}}


def split_details(payload: dict) -> dict:
    """Take what only the popups show out of `payload` (in place) and return it: per event row its
    sentence, other candidates and actors, and the articles' rows. The rest draws the pins, areas,
    tooltips and legend; `_EventData`'s script fetches these once the layer is drawn."""
    rows = payload["events"]
    details = {"s": [r[4] for r in rows], "a": [r[9] for r in rows], "c": [r[11] for r in rows],
               "articles": payload["articles"]}
    payload["events"] = [r[:4] + [None] + r[5:9] + [[]] + r[10:11] + [[]] + r[12:] for r in rows]
    payload["articles"] = []
    return details


def event_layer(events: Iterable[Mapping] = (), window=None, rows_cache: Optional[dict] = None, *,
                read_links: bool = False, cluster: bool = True, side_list: bool = False,
                details=None, details_key: Optional[str] = None) -> folium.FeatureGroup:
    """The events as one FeatureGroup named "events" (see `event_layer_json`, which says what it
    draws, and `layer_from_json`)."""
    return layer_from_json(event_layer_json(events, window, rows_cache, read_links=read_links, cluster=cluster,
                                            side_list=side_list, details=details, details_key=details_key))


def layer_from_json(payload_json: str) -> folium.FeatureGroup:
    """The FeatureGroup drawing a payload made by `event_layer_json` (which the app keeps per view)."""
    fg = folium.FeatureGroup(name="events")
    _EventData(payload_json).add_to(fg)
    return fg


def event_layer_json(events: Iterable[Mapping] = (), window=None, rows_cache: Optional[dict] = None, *,
                     read_links: bool = False, cluster: bool = True, side_list: bool = False,
                     details=None, details_key: Optional[str] = None) -> str:
    """What draws the events as one FeatureGroup named "events" (for streamlit-folium's
    ``feature_group_to_add``), as the script's JSON: one clustered pin per incident for towns/landmarks/admin2,
    translucent outlines or circles for countries/regions, coloured by type; tooltips
    ``place · date · type``, popups with every source (see `event_payload`), and the type legend
    (shown while the layer is on the map). `window`: the view's dates ((start, end) dates or ISO
    strings). `rows_cache`, `read_links`, `cluster`, `side_list`: see `event_payload`.

    `details` (a `geo.assets.ViewDetails`, the app's): the popups' contents go to a static file the
    map fetches after drawing (`split_details`), named by `details_key` (the store and its revision:
    the same view of the same data is written once) and the events shown. Without it (exports,
    snapshots, a file opened offline) everything is inline."""
    payload = event_payload(list(events), window, rows_cache, read_links=read_links, cluster=cluster,
                            side_list=side_list)
    if details is not None and payload["events"] and not side_list:
        key = (details_key or "") + "|" + ("1" if read_links else "0") + "|" + ",".join(
            str(r[13]) for r in payload["events"])
        payload["details"] = details.url(key, split_details(payload))
    return _js_json(payload)


DENSITY_COLOUR = "#5b6770"      # neutral: it must not read as a date or a type


def density_layer(cells: Sequence[Mapping]) -> folium.FeatureGroup:
    """The view's events counted per grid cell (`Store.view_cells`), for views too big to draw one
    pin each: a neutral circle per cell, its area growing with the count, labelled with the count;
    a click zooms in there (the tooltip says so)."""
    fg = folium.FeatureGroup(name="events")
    top = max((c["n"] for c in cells), default=1)
    for c in cells:
        radius = 8 + 22 * math.sqrt(c["n"] / top)
        days = f"{c['first']} … {c['last']}" if c.get("first") else "undated"
        folium.CircleMarker(location=(c["lat"], c["lon"]), radius=radius, color=DENSITY_COLOUR, weight=1,
                            fill=True, fill_color=DENSITY_COLOUR, fill_opacity=0.35, class_name="ev-cell",
                            tooltip=f"{c['n']:,} event{'s' if c['n'] != 1 else ''} · {days} · zoom in to see them"
                            ).add_to(fg)
        folium.Marker(location=(c["lat"], c["lon"]), icon=folium.DivIcon(
            html=f'<div class="ev-cell-n" style="transform:translate(-50%,-50%);display:inline-block;'
                 f'font:600 11px sans-serif;color:#222">{c["n"]:,}</div>', icon_size=(0, 0))).add_to(fg)
    return fg


HEAT_RADIUS, HEAT_BLUR = 28, 22      # px: about a grid cell (`geo.views.cell_degrees`: ~64 px)


def heat_data(cells: Sequence[Mapping]) -> list:
    """[[lat, lon, weight]] for Leaflet.heat from `Store.view_cells` rows: the weight is the cell's
    event count (the plugin scales by the largest)."""
    return [[round(float(c["lat"]), 5), round(float(c["lon"]), 5), int(c["n"])]
            for c in cells if c.get("lat") is not None and c.get("lon") is not None and c.get("n")]


def heat_legend_html(cells: Sequence[Mapping]) -> str:
    """The density layer's legend: what it counts, the colour ramp, the largest cell's count."""
    n = sum(int(c.get("n") or 0) for c in cells)
    top = max((int(c.get("n") or 0) for c in cells), default=0)
    approx = any(c.get("approx") for c in cells)
    about = "about " if approx else ""
    return (f'<div class="ev-legend-title">Event density · {about}{n:,} event{"s" if n != 1 else ""}</div>'
            '<div class="ev-heat-bar"></div>'
            f'<div class="ev-heat-scale"><span>fewer</span><span>{about}{top:,} in a cell</span></div>'
            '<div class="ev-legend-n">counted per grid cell of this zoom</div>')


class _HeatLegend(_VerbatimMacro):
    """The density layer's legend (numbers and our own words only), shown while the layer is."""
    _template = Template("""
        {% macro script(this, kwargs) %}
        (function (fg) {
            var legend = L.control({position: 'bottomright'});
            legend.onAdd = function () {
                var div = L.DomUtil.create('div', 'ev-legend ev-heat-legend');
                div.innerHTML = {{ this.html }};
                ({{ this.switch_js }})(div, 'Show the pins');
                ({{ this.fold_js }})(div);
                L.DomEvent.disableClickPropagation(div);
                return div;
            };
            fg.on('add', function () { legend.addTo(fg._map); });
            fg.on('remove', function () { legend.remove(); });
            if (fg._map) { legend.addTo(fg._map); }
            window.__heatCells = {{ this.n }};
        })({{ this._parent.get_name() }});
        {% endmacro %}
    """)

    def __init__(self, html_text: str, n: int):
        super().__init__()
        self._name = "HeatLegend"
        self.html, self.n = _js_json(html_text), int(n)
        self.switch_js, self.fold_js = HEAT_SWITCH_JS, LEGEND_FOLD_JS


def heat_layer(cells: Sequence[Mapping]) -> folium.FeatureGroup:
    """The view's density as a heatmap (folium's `HeatMap`, i.e. Leaflet.heat) over the store's
    counts per grid cell (`Store.view_cells`): one weighted point per cell, so it costs the same
    for 100 events or a million. Named "events" like `event_layer` (it takes its place; no pins).
    Leaflet.heat is loaded with the map (`geo.assets` "heat_js", served locally): this instance
    asks for no script of its own, so no CDN URL reaches the page."""
    from folium.plugins import HeatMap
    fg = folium.FeatureGroup(name="events")
    data = heat_data(cells)
    if data:
        heat = HeatMap(data, min_opacity=0.45, radius=HEAT_RADIUS, blur=HEAT_BLUR,
                       gradient={str(k): v for k, v in HEAT_GRADIENT.items()}, control=False)
        heat.default_js = []          # per instance: folium's class list holds the CDN URL
        heat.add_to(fg)
    _HeatLegend(heat_legend_html(cells), len(data)).add_to(fg)
    return fg


SELECTED_COLOUR = "#111111"


def mark_selected(layer: folium.FeatureGroup, event: Optional[Mapping]) -> None:
    """A ring around the selected event's place (an area's centre), drawn over the pins; it takes
    no clicks, so the pin under it stays selectable. For an event picked in the table or a link: a
    pin clicked on the map marks itself (`ev-picked`), without the layer being drawn again."""
    if event is None or event.get("lat") is None or event.get("lon") is None:
        return
    folium.CircleMarker(location=(float(event["lat"]), float(event["lon"])), radius=13, color=SELECTED_COLOUR,
                        weight=3, fill=False, interactive=False, class_name="ev-selected").add_to(layer)


def bounds(events: Sequence[Mapping]) -> Optional[list]:
    """[[south, west], [north, east]] around the events with a position, or None."""
    pts = [(float(e["lat"]), float(e["lon"])) for e in events if has_point(e)]
    if not pts:
        return None
    return [[min(p[0] for p in pts), min(p[1] for p in pts)],
            [max(p[0] for p in pts), max(p[1] for p in pts)]]


def build_map(events: Iterable[Mapping] = (), *, center=None, zoom: Optional[int] = None, window=None,
              tiles: bool = True, assets_mode: str = "urls",
              asset_urls: Optional[Mapping[str, str]] = None, controls: bool = True, cluster: bool = True,
              side_list: bool = False) -> folium.Map:
    """The base map (with `events` drawn on it by `event_layer(events, window)` when there are
    any; for Streamlit pass no events here and the layer as ``feature_group_to_add``).

    Every JS/CSS asset is local: `asset_urls` (default `geo.assets.current_urls()`, i.e. what
    `geo.assets.ensure_static_assets` set up for Streamlit) becomes this map's
    ``default_js``/``default_css``; with ``assets_mode="inline"`` they are inlined instead (and the
    basemap too). `center`/`zoom` default to the events' bounds (or the whole world). With
    `tiles` an OpenStreetMap tile layer lies over the vector basemap (offline it simply fails).
    `controls`: the zoom buttons and the layer switch (a picture has no use for them); `cluster`,
    `side_list`: how `events` are drawn (see `event_payload`).
    """
    events = list(events)
    inline = assets_mode == "inline"
    if assets_mode not in ("urls", "inline"):
        raise ValueError(f"assets_mode must be 'urls' or 'inline', not {assets_mode!r}")
    urls = dict(asset_urls) if asset_urls is not None else assets.current_urls()

    box = bounds(events) if center is None else None
    m = folium.Map(location=list(center) if center is not None else list(DEFAULT_CENTER),
                   zoom_start=zoom if zoom is not None else (5 if center is not None else DEFAULT_ZOOM),
                   tiles=None, min_zoom=1, world_copy_jump=True, zoom_control=controls)
    # Per instance (folium's class-level lists hold the CDN URLs; never mutate those).
    if inline:
        m.default_js, m.default_css = [], []
        m.get_root().header.add_child(_RawElement(assets.inline_head()), name="offline_assets")
    else:
        m.default_js = [(key, urls[key]) for key in assets.JS_KEYS]
        m.default_css = [(key, urls[key]) for key in assets.CSS_KEYS]

    _Style().add_to(m)
    credits = [NATURAL_EARTH_CREDIT, basemap.RIVERS_CREDIT, GEONAMES_CREDIT]
    if inline:
        _Basemap(data=assets.basemap_json().replace("<", "\\u003c"), credits=credits).add_to(m)
    else:
        _Basemap(url=urls["basemap"], credits=credits).add_to(m)
    detail = _basemap_detail(inline, urls, center, zoom, box)
    if detail is not None:
        detail.add_to(m)
    if tiles:
        osm = folium.TileLayer(OSM_TILES, attr=OSM_CREDIT, name="OpenStreetMap", max_zoom=19,
                               control=False).add_to(m)
        if controls:
            _LayerSwitch(osm.get_name()).add_to(m)
    if events:
        event_layer(events, window, cluster=cluster, side_list=side_list).add_to(m)
    if box is not None:
        if box[0] == box[1]:
            m.location = box[0]
            m.options["zoom"] = zoom if zoom is not None else 6
        else:
            # keep the legend's corner (bottom right) clear of the events
            m.fit_bounds(box, padding_top_left=(40, 30), padding_bottom_right=(30, 140),
                         max_zoom=zoom if zoom is not None else 7)
    return m


def standalone_html(events: Iterable[Mapping] = (), *, title: str = "Reported events",
                    caption: Optional[str] = None, **kw) -> str:
    """One HTML file with the same map and every asset inlined (opens from disk, no network);
    `caption` (plain text) is shown over the map. Keywords as `build_map` takes them (the HTML
    export: ``side_list=True``; the PNG's page: ``controls=False, cluster=False``)."""
    kw.pop("assets_mode", None)
    m = build_map(events, assets_mode="inline", **kw)
    if caption:
        _Caption(caption).add_to(m)
    m.get_root().title = html.escape(title)
    return m.get_root().render()
