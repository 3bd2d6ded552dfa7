"""The map, built by pure functions from event dicts (tests inspect their output).

    m = build_map()                                   # base map: outlines, OSM tiles, credits
    fg = event_layer(events, window=(start, end))     # the events, coloured by date, + legend
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
  kept. The legend belongs to the event layer (it follows the window). Do not pass the same
  events both to `build_map` and as ``feature_group_to_add`` (they would be drawn twice).
* **Precision.** Towns, landmarks and admin2 units are pins, clustered (Leaflet.markercluster,
  fed from one JSON array by a small script rather than one folium element per event: fast for
  10,000 events). Countries are their simplified outline; admin1, regions and continents a
  circle with a radius by kind: translucent areas, so a country-level place never looks like a
  precise point. Areas at the same place are drawn once, with every event in the popup.
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
import re
from datetime import date
from functools import lru_cache
from typing import Iterable, Mapping, Optional, Sequence
from urllib.parse import urlsplit

import folium
from branca.element import Element, MacroElement
from folium.template import Template

from geo import assets
from geo.dates import as_date

OSM_CREDIT = ('&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> '
              'contributors')
NATURAL_EARTH_CREDIT = '<a href="https://www.naturalearthdata.com/" title="Country outlines">Natural Earth</a>'
GEONAMES_CREDIT = ('<a href="https://www.geonames.org/" title="Place names and coordinates">GeoNames</a> '
                   '(<a href="https://creativecommons.org/licenses/by/4.0/">CC BY 4.0</a>)')
OSM_TILES = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"

POINT_KINDS = frozenset({"city", "landmark", "admin2"})
AREA_KINDS = frozenset({"country", "continent", "region", "admin1"})
# Radius (m) of the translucent circle drawn for an area without an outline.
AREA_RADIUS_M = {"admin1": 100_000, "region": 350_000, "country": 450_000, "continent": 1_500_000}
_AREA_ORDER = {"continent": 0, "region": 1, "country": 2, "admin1": 3}   # big ones underneath

# Sequential palette (viridis without its palest yellow, which vanishes on the grey land):
# window start -> window end.
PALETTE = ("#440154", "#46327e", "#365c8d", "#277f8e", "#1fa187", "#4ac16d", "#9fda3a")
UNDATED_COLOUR = "#8c8c8c"
DEFAULT_CENTER = (20.0, 0.0)
DEFAULT_ZOOM = 2
POPUP_GROUP_LIMIT = 12          # events listed in one area's popup


# --------------------------------------------------------------------------- dates and colours

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
    """The colour scale's (start, end): `window` (dates or ISO strings; a partial date such as
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


def _mix(c1: str, c2: str, f: float) -> str:
    a = [int(c1[i:i + 2], 16) for i in (1, 3, 5)]
    b = [int(c2[i:i + 2], 16) for i in (1, 3, 5)]
    return "#" + "".join(f"{round(x + (y - x) * f):02x}" for x, y in zip(a, b))


def colour_at(fraction: float) -> str:
    """The palette colour at `fraction` (0 = window start, 1 = window end)."""
    f = min(1.0, max(0.0, fraction)) * (len(PALETTE) - 1)
    i = min(int(f), len(PALETTE) - 2)
    return _mix(PALETTE[i], PALETTE[i + 1], f - i)


def date_colour(e: Mapping, window: Optional[tuple[date, date]]) -> str:
    """Colour of an event: the middle of its days inside the window, on the window's scale."""
    days = event_days(e)
    if days is None or window is None:
        return UNDATED_COLOUR
    return _days_colour(days, window)


@lru_cache(maxsize=65536)
def _days_colour(days: tuple[date, date], window: tuple[date, date]) -> str:
    (lo, hi), (ws, we) = days, window
    lo, hi = max(lo, ws), min(hi, we)
    if lo > hi:                                   # outside the window: the nearer end
        mid = ws if days[1] < ws else we
    else:
        mid = lo + (hi - lo) / 2
    span = (we - ws).days
    return colour_at(1.0 if span == 0 else (mid - ws).days / span)


def legend_html(window: Optional[tuple[date, date]], *, undated: bool = False,
                counts: Optional[tuple[int]] = None) -> str:
    """The legend: date colour ramp labelled with the window's dates, and the two symbol kinds."""
    total = f" · {counts[0]} event{'s' if counts[0] != 1 else ''}" if counts is not None else ""
    parts = [f'<div class="ev-legend-title">Event date{total}</div>']
    if window is not None:
        ws, we = window
        labels = [ws.isoformat()]
        if (we - ws).days >= 2:
            labels.append((ws + (we - ws) / 2).isoformat())
        if we != ws:
            labels.append(we.isoformat())
        stops = ", ".join(PALETTE) if we != ws else f"{PALETTE[-1]}, {PALETTE[-1]}"
        parts.append(f'<div class="ev-legend-ramp" style="background:linear-gradient(to right, {stops})">'
                     '</div>')
        parts.append('<div class="ev-legend-dates">'
                     + "".join(f"<span>{d}</span>" for d in labels) + "</div>")
    if undated or window is None:
        parts.append(f'<div><span class="ev-legend-swatch" style="background:{UNDATED_COLOUR}"></span>'
                     'no date</div>')
    parts.append('<div><span class="ev-legend-pin"></span>town, landmark (point)</div>')
    parts.append('<div><span class="ev-legend-area"></span>country, region (approximate area)</div>')
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


def highlight_parts(sentence: str, e: Mapping) -> list[str]:
    """The sentence split as [before, the place's mention, after] (found before any escaping),
    or [sentence] when the mention is not in it. Split here, not by offsets in the browser:
    Python and JavaScript count characters differently (UTF-16 surrogates)."""
    span = None
    s0, a, b = e.get("sentence_start"), e.get("mention_start"), e.get("mention_end")
    if all(isinstance(v, int) for v in (s0, a, b)) and 0 <= a - s0 < b - s0 <= len(sentence):
        span = (a - s0, b - s0)
    else:
        for candidate in (e.get("mention_text"), e.get("name")):
            if candidate and str(candidate).strip():
                span = _find(sentence, str(candidate))
                if span:
                    break
    if span is None:
        return [sentence]
    i, j = span
    return [sentence[:i], sentence[i:j], sentence[j:]]


_SOURCE_TEXT = {
    "stated": "stated in the article",
    "published": "inferred from the publication date (no date in the text)",
    "unknown": "date unknown",
}


def date_text(e: Mapping) -> str:
    d, d_end = e.get("date"), e.get("date_end")
    if not d:
        return "no date"
    return f"{d} – {d_end}" if d_end and d_end != d else str(d)


def tooltip_text(e: Mapping) -> str:
    """``place · date`` as plain text (the browser escapes it)."""
    return f"{e.get('name') or '?'} · {date_text(e)}"


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
    [place, date text, precision, date source, sentence split by `highlight_parts` or None,
    kind, country code, confidence, corrected (0/1), alternatives [[name, cc, kind, score]],
    index of its article row]."""
    sentence = e.get("sentence")
    return [str(e.get("name") or "?"), date_text(e), _str(e.get("precision")), e.get("date_source") or "unknown",
            highlight_parts(str(sentence), e) if sentence else None,
            _str(e.get("kind")), _str(e.get("country_code")), _number(e.get("confidence")),
            1 if e.get("corrected") else 0,
            [[str(a.get("name") or "?"), _str(a.get("country_code")), _str(a.get("kind")), _number(a.get("score"))]
             for a in _alternatives(e)[:6]],
            article]


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


class _Style(_VerbatimMacro):
    """CSS for pins, legend and popups (a <style> in the head: streamlit-folium keeps those)."""
    _template = Template("""
        {% macro header(this, kwargs) %}
        <style>
        .leaflet-container { background: #cfe0ea; }
        .ev-pin { background: transparent; border: none; }
        .ev-pin span { display: block; width: 12px; height: 12px; margin: 1px; border-radius: 50%;
                       border: 1.5px solid #fff; box-shadow: 0 0 0 1px #333; box-sizing: border-box; }
        .ev-legend { background: rgba(255,255,255,.92); padding: 6px 8px; font: 11px/1.35 sans-serif;
                     color: #222; border-radius: 4px; box-shadow: 0 1px 4px rgba(0,0,0,.3); min-width: 190px; }
        .ev-legend-title { font-weight: bold; margin-bottom: 3px; }
        .ev-legend-ramp { height: 10px; border-radius: 2px; }
        .ev-legend-dates { display: flex; justify-content: space-between; gap: 6px; margin: 1px 0 4px; }
        .ev-legend-swatch, .ev-legend-pin, .ev-legend-area { display: inline-block; vertical-align: middle;
                     margin-right: 5px; }
        .ev-legend-swatch { width: 12px; height: 12px; border-radius: 2px; }
        .ev-legend-pin { width: 10px; height: 10px; border-radius: 50%; background: #277f8e;
                     border: 1.5px solid #fff; box-shadow: 0 0 0 1px #333; }
        .ev-legend-area { width: 14px; height: 12px; background: rgba(39,127,142,.25);
                     border: 1px solid #277f8e; border-radius: 3px; }
        .ev-popup { font: 12px/1.4 sans-serif; max-width: 340px; }
        .ev-popup .ev-title { display: block; font-size: 13px; margin-bottom: 2px; }
        .ev-popup p { margin: 2px 0; }
        .ev-popup i { color: #666; }
        .ev-popup blockquote { margin: 4px 0; padding: 2px 6px; border-left: 3px solid #ccc; color: #333; }
        .ev-popup mark { background: #ffe066; padding: 0 1px; }
        .ev-popup ul { margin: 2px 0 2px 16px; padding: 0; }
        .ev-caption { background: rgba(255,255,255,.92); padding: 4px 8px; font: 12px/1.35 sans-serif;
                      color: #222; border-radius: 4px; box-shadow: 0 1px 4px rgba(0,0,0,.3); max-width: 420px; }
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
            var pane = map.createPane('basemap');
            pane.style.zIndex = 150;
            pane.style.pointerEvents = 'none';
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


class _EventData(_VerbatimMacro):
    """Builds the event layer's contents in the browser from one JSON payload."""
    _template = Template(r"""
        {% macro script(this, kwargs) %}
        (function (fg) {
            var D = {{ this.payload }};
            var C = D.colours, E = D.events, icons = {};
            // Every string from an article is escaped here, as the HTML is put together.
            var ENT = {'&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;'};
            function esc(v) {
                return v === null || v === undefined ? '' : String(v).replace(/[&<>"']/g, function (c) { return ENT[c]; });
            }
            function tipOf(k) { return esc(E[k][0] + ' · ' + E[k][1]); }
            function popupOf(k) {
                var e = E[k], a = D.articles[e[10]], s = e[4];
                var h = '<div class="ev-popup"><b class="ev-title">' + esc(a[0]) + '</b>'
                    + '<p>' + esc(e[1]) + ' <i>(' + (e[2] ? esc(e[2]) + ', ' : '') + esc(D.how[e[3]] || e[3]) + ')</i></p>';
                if (s) {
                    h += '<blockquote>' + (s.length === 3 ? esc(s[0]) + '<mark>' + esc(s[1]) + '</mark>' + esc(s[2])
                                                          : esc(s[0])) + '</blockquote>';
                }
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
                var url = a[1] && /^https?:\/\//i.test(a[1]) ? a[1] : null;   // checked in Python too
                return h + '<p class="ev-source">' + (url ? '<a href="' + esc(url) + '" target="_blank" rel="noopener">source: '
                    + esc(a[2]) + '</a>' : '<i>no source link</i>') + (a[3] ? ' \u00b7 published ' + esc(a[3]) : '') + '</p></div>';
            }
            function areaTip(r) { return r[5] === null ? tipOf(r[6][0]) : esc(r[5]); }
            function areaPopup(r) {
                if (r[7] === 1) { return popupOf(r[6][0]); }
                return '<div class="ev-group"><i>' + r[7] + ' events at this place' + (r[8] ? ', most recent first' : '')
                    + '</i><hr>' + r[6].map(popupOf).join('<hr>')
                    + (r[7] > r[6].length ? '<hr><i>\u2026 and ' + (r[7] - r[6].length) + ' more</i>' : '') + '</div>';
            }
            function pin(ci) {
                return icons[ci] || (icons[ci] = L.divIcon({
                    className: 'ev-pin', html: '<span style="background:' + C[ci] + '"></span>',
                    iconSize: [14, 14], iconAnchor: [7, 7], popupAnchor: [0, -6], tooltipAnchor: [6, -6]}));
            }
            var popupOptions = {maxWidth: 360, maxHeight: 340};
            // Tooltips and popups are built and bound on first hover/click: 10,000 markers cost
            // no more than 10,000 markers.
            function lazy(group, rows, tipOfRow, popupOfRow, tipOptions) {
                function tip(l) {
                    if (!l.getTooltip()) { l.bindTooltip(tipOfRow(rows[l._ev]), tipOptions); }
                }
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
                    if (!l.getPopup()) {
                        l.bindPopup(popupOfRow(rows[l._ev]), popupOptions);
                        l.openPopup(l.getLatLng ? undefined : e.latlng);
                    }
                });
            }
            // For tests and scripts: the HTML a popup / tooltip of event k gets.
            fg.eventPopupHtml = popupOf;
            fg.eventTooltipHtml = tipOf;
            window.__eventLayer = fg;
            var cluster = L.markerClusterGroup({chunkedLoading: true, showCoverageOnHover: false,
                                                maxClusterRadius: 45});
            var markers = new Array(D.points.length);
            for (var i = 0; i < D.points.length; i++) {
                var p = D.points[i];
                var m = L.marker([p[0], p[1]], {icon: pin(p[2]), riseOnHover: true});
                m._ev = i;
                markers[i] = m;
            }
            lazy(cluster, D.points, function (r) { return tipOf(r[3]); }, function (r) { return popupOf(r[3]); },
                 {direction: 'top'});
            cluster.addLayers(markers);
            var areas = L.featureGroup();
            for (var j = 0; j < D.areas.length; j++) {
                var a = D.areas[j], c = C[a[4]];
                var opts = {color: c, weight: 1.2, opacity: 0.9, fillColor: c, fillOpacity: 0.18};
                var layer;
                if (a[0] !== null && D.shapes[a[0]]) {
                    opts.className = 'ev-area ev-country';
                    layer = L.geoJSON(D.shapes[a[0]], opts);
                    layer.eachLayer(function (part) { part._ev = j; });
                } else {
                    opts.className = 'ev-area ev-circle';
                    opts.radius = a[3];
                    layer = L.circle([a[1], a[2]], opts);
                    layer._ev = j;
                }
                areas.addLayer(layer);
            }
            lazy(areas, D.areas, areaTip, areaPopup, {sticky: true});
            fg.addLayer(areas);
            fg.addLayer(cluster);
            fg.on('popupopen', function (e) {
                var src = e.popup && e.popup._source;
                if (src && src.closeTooltip) { src.closeTooltip(); }
            });
            var legend = L.control({position: 'bottomright'});
            legend.onAdd = function () {
                var div = L.DomUtil.create('div', 'ev-legend');
                div.innerHTML = D.legend;
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
def country_outline(iso_a2: str) -> Optional[dict]:
    """A country's outline as a GeoJSON geometry, simplified to its size (None if unknown)."""
    from geo.shapes import country_shapes
    geom = country_shapes().get((iso_a2 or "").upper())
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


def event_payload(events: Sequence[Mapping], window=None, rows_cache: Optional[dict] = None) -> dict:
    """What the browser needs to draw `events`: plain data, no HTML built from article text
    (the page's script escapes it while building tooltips and popups; see `_EventData`).

    `rows_cache`: a dict that lives exactly as long as the events' list (the app keeps one per
    loaded store): each event's row is then built once, keyed by its id, and reused by every
    later window or filter over the same events.

    ``events``: `event_row` per event; ``articles``: `article_row` per article;
    ``points``: [lat, lon, colour index, event index]; ``areas``: [outline key or None, lat,
    lon, radius (m), colour index, group tooltip text or None, [event indexes, latest first,
    at most POPUP_GROUP_LIMIT], number of events, any dated]; ``shapes``: outlines by key;
    ``colours``, ``how`` (date source wording), ``legend`` (HTML of dates only), ``window``."""
    events = [e for e in events if has_point(e)]
    win = resolve_window(events, window)
    colours: list[str] = []
    colour_index: dict[str, int] = {}

    def ci(e) -> int:
        c = date_colour(e, win)
        if c not in colour_index:
            colour_index[c] = len(colours)
            colours.append(c)
        return colour_index[c]

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
                art = article_row(e)
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

    points, groups = [], {}
    for e in events:
        if e.get("kind") in AREA_KINDS:
            cc = (e.get("country_code") or "").upper()
            if e.get("kind") == "country" and cc and country_outline(cc) is not None:
                key = ("country", cc)
            else:
                key = (e.get("kind"), round(float(e["lat"]), 4), round(float(e["lon"]), 4))
            groups.setdefault(key, []).append(e)
        else:
            points.append([round(float(e["lat"]), 6), round(float(e["lon"]), 6), ci(e), row(e)])

    areas, shapes = [], {}
    for key, members in sorted(groups.items(), key=lambda kv: _AREA_ORDER.get(kv[0][0], 9)):
        members.sort(key=_sort_key_latest, reverse=True)
        first = members[0]
        shape_key = None
        if key[0] == "country" and len(key) == 2:
            shape_key = key[1]
            shapes[shape_key] = country_outline(shape_key)
        dated = [d for d in (event_days(e) for e in members) if d]
        tip = None
        if len(members) > 1:
            span = f"{min(d[0] for d in dated)} – {max(d[1] for d in dated)}" if dated else "no date"
            tip = f"{first.get('name') or '?'} · {span} ({len(members)} events)"
        areas.append([shape_key, round(float(first["lat"]), 5), round(float(first["lon"]), 5),
                      AREA_RADIUS_M.get(first.get("kind"), AREA_RADIUS_M["region"]), ci(first), tip,
                      [row(e) for e in members[:POPUP_GROUP_LIMIT]], len(members), bool(dated)])

    undated = any(event_days(e) is None for e in events)
    return {"colours": colours, "how": _SOURCE_TEXT, "articles": articles, "events": rows,
            "points": points, "areas": areas, "shapes": shapes,
            "legend": legend_html(win, undated=undated, counts=(len(events),)),
            "window": [win[0].isoformat(), win[1].isoformat()] if win else None}


def event_layer(events: Iterable[Mapping] = (), window=None, rows_cache: Optional[dict] = None) -> folium.FeatureGroup:
    """The events as one FeatureGroup named "events" (for streamlit-folium's
    ``feature_group_to_add``): clustered pins for towns/landmarks/admin2, translucent outlines or
    circles for countries/regions, colours by date within `window` ((start, end) dates or ISO
    strings; default: the events' span), tooltips ``place · date``, popups (see `event_payload`),
    and the date legend (shown while the layer is on the map). `rows_cache`: see `event_payload`."""
    fg = folium.FeatureGroup(name="events")
    _EventData(_js_json(event_payload(list(events), window, rows_cache))).add_to(fg)
    return fg


def bounds(events: Sequence[Mapping]) -> Optional[list]:
    """[[south, west], [north, east]] around the events with a position, or None."""
    pts = [(float(e["lat"]), float(e["lon"])) for e in events if has_point(e)]
    if not pts:
        return None
    return [[min(p[0] for p in pts), min(p[1] for p in pts)],
            [max(p[0] for p in pts), max(p[1] for p in pts)]]


def build_map(events: Iterable[Mapping] = (), *, center=None, zoom: Optional[int] = None, window=None,
              tiles: bool = True, assets_mode: str = "urls",
              asset_urls: Optional[Mapping[str, str]] = None) -> folium.Map:
    """The base map (with `events` drawn on it by `event_layer(events, window)` when there are
    any; for Streamlit pass no events here and the layer as ``feature_group_to_add``).

    Every JS/CSS asset is local: `asset_urls` (default `geo.assets.current_urls()`, i.e. what
    `geo.assets.ensure_static_assets` set up for Streamlit) becomes this map's
    ``default_js``/``default_css``; with ``assets_mode="inline"`` they are inlined instead (and the
    basemap too). `center`/`zoom` default to the events' bounds (or the whole world). With
    `tiles` an OpenStreetMap tile layer lies over the vector basemap (offline it simply fails).
    """
    events = list(events)
    inline = assets_mode == "inline"
    if assets_mode not in ("urls", "inline"):
        raise ValueError(f"assets_mode must be 'urls' or 'inline', not {assets_mode!r}")
    urls = dict(asset_urls) if asset_urls is not None else assets.current_urls()

    box = bounds(events) if center is None else None
    m = folium.Map(location=list(center) if center is not None else list(DEFAULT_CENTER),
                   zoom_start=zoom if zoom is not None else (5 if center is not None else DEFAULT_ZOOM),
                   tiles=None, min_zoom=1, world_copy_jump=True)
    # Per instance (folium's class-level lists hold the CDN URLs; never mutate those).
    if inline:
        m.default_js, m.default_css = [], []
        m.get_root().header.add_child(_RawElement(assets.inline_head()), name="offline_assets")
    else:
        m.default_js = [(key, urls[key]) for key in assets.JS_KEYS]
        m.default_css = [(key, urls[key]) for key in assets.CSS_KEYS]

    _Style().add_to(m)
    credits = [NATURAL_EARTH_CREDIT, GEONAMES_CREDIT]
    if inline:
        _Basemap(data=assets.basemap_json().replace("<", "\\u003c"), credits=credits).add_to(m)
    else:
        _Basemap(url=urls["basemap"], credits=credits).add_to(m)
    if tiles:
        folium.TileLayer(OSM_TILES, attr=OSM_CREDIT, name="OpenStreetMap", max_zoom=19,
                         control=False).add_to(m)
    if events:
        event_layer(events, window).add_to(m)
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
    `caption` (plain text) is shown over the map."""
    kw.pop("assets_mode", None)
    m = build_map(events, assets_mode="inline", **kw)
    if caption:
        _Caption(caption).add_to(m)
    m.get_root().title = html.escape(title)
    return m.get_root().render()
