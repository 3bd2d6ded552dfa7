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
* **Untrusted text.** Titles, sentences, names, alternatives and URLs come from articles: every
  piece is ``html.escape``-d (braces too, as entities) before it reaches HTML (popups,
  tooltips); only http(s) URLs become links (``rel="noopener"``); the JSON carrying them cannot
  close its ``<script>``. And no text is compiled as a Jinja template: folium/branca do that to
  every rendered element (``Element(text)``), so ``{{ … }}`` in an article given to a plain
  ``folium.Popup`` runs on the server; our elements output their text verbatim (`_RawElement`).
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
    if v is None or v == "":
        return None
    if isinstance(v, date):
        return v if type(v) is date else v.date()   # datetime -> date
    try:
        return date.fromisoformat(str(v)[:10])
    except ValueError:
        return None


def event_days(e: Mapping) -> Optional[tuple[date, date]]:
    """First and last day an event covers (``day_start``/``day_end``, else parsed from ``date``)."""
    lo, hi = _day(e.get("day_start")), _day(e.get("day_end"))
    if lo is None and e.get("date"):
        from geo.store import day_bounds
        try:
            lo, hi = (_day(d) for d in day_bounds(e.get("date"), e.get("date_end")))
        except Exception:        # an unparseable date is shown as undated, never an error
            lo = hi = None
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

def _h(text: str) -> str:
    """html.escape, and braces as entities too: folium/branca compile rendered element text as a
    Jinja template, where ``{{ … }}`` from an article would run on the server (see `_RawElement`);
    our elements never re-parse text, this keeps any other path (e.g. a folium.Popup) safe."""
    return html.escape(text, quote=True).replace("{", "&#123;").replace("}", "&#125;")


def _esc(v) -> str:
    return _h("" if v is None else str(v))


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


def _highlight(sentence: str, e: Mapping) -> str:
    """The sentence, escaped, with the place's mention wrapped in <mark> (found before escaping)."""
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
        return _h(sentence)
    i, j = span
    return _h(sentence[:i]) + "<mark>" + _h(sentence[i:j]) + "</mark>" + _h(sentence[j:])


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
    """``place · date``, escaped (Leaflet puts tooltip strings into innerHTML)."""
    return _esc(f"{e.get('name') or '?'} · {date_text(e)}")


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


@lru_cache(maxsize=4096)
def _article_parts(title: Optional[str], url: Optional[str], published: Optional[str]) -> tuple[str, str]:
    """A popup's first and last parts, which only depend on the article (title; source link)."""
    head = f'<div class="ev-popup"><b class="ev-title">{_esc(title or "(untitled article)")}</b>'
    url = safe_url(url)
    if url:
        host = urlsplit(url).hostname or url
        link = f'<a href="{_h(url)}" target="_blank" rel="noopener">source: {_esc(host)}</a>'
    else:
        link = "<i>no source link</i>"
    published = f" · published {_esc(published)}" if published else ""
    return head, f'<p class="ev-source">{link}{published}</p></div>'


def article_parts(e: Mapping) -> tuple[str, str]:
    return _article_parts(*(None if e.get(k) is None else str(e.get(k)) for k in ("title", "url", "published")))


def popup_body(e: Mapping) -> str:
    """The event-specific middle of the popup: date, sentence, place, confidence, alternatives."""
    source = e.get("date_source") or "unknown"
    prec = e.get("precision")
    how = _esc(_SOURCE_TEXT.get(source, source))
    parts = [f"<p>{_esc(date_text(e))} <i>({_esc(prec) + ', ' if prec else ''}{how})</i></p>"]

    sentence = e.get("sentence")
    if sentence:
        parts.append(f"<blockquote>{_highlight(str(sentence), e)}</blockquote>")

    where = ", ".join(_esc(v) for v in (e.get("kind"), e.get("country_code")) if v)
    parts.append(f'<p><b>{_esc(e.get("name") or "?")}</b>{f" <i>({where})</i>" if where else ""}'
                 f' · geocode confidence {_number(e.get("confidence"))}'
                 f'{" · <i>corrected by a user</i>" if e.get("corrected") else ""}</p>')

    alts = _alternatives(e)[:6]
    if alts:
        items = "".join(
            f"<li>{_esc(a.get('name') or '?')}"
            f"{' (' + _esc(a.get('country_code')) + ')' if a.get('country_code') else ''}"
            f"{' ' + _esc(a.get('kind')) if a.get('kind') else ''}"
            f" · score {_number(a.get('score'))}</li>" for a in alts)
        parts.append(f"<p>Other candidates:</p><ul>{items}</ul>")
    else:
        parts.append("<p><i>No other candidates.</i></p>")
    return "".join(parts)


def popup_html(e: Mapping) -> str:
    """The popup for one event: article title, date with precision and whether it was stated or
    inferred, the sentence with the place highlighted, place and geocode confidence, other
    candidates, source link. Every value taken from `e` is escaped; only http(s) URLs link."""
    head, foot = article_parts(e)
    return head + popup_body(e) + foot


# --------------------------------------------------------------------------- folium elements

def _js_json(obj) -> str:
    """JSON that is also safe inside an HTML <script> element."""
    s = json.dumps(obj, ensure_ascii=False, separators=(",", ":"))
    # "<" only occurs inside JSON strings; "<\/" and "\u0021" read the same there. Article text
    # arrives here html-escaped already, so this only guards our own markup.
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
    _template = Template("""
        {% macro script(this, kwargs) %}
        (function (fg) {
            var D = {{ this.payload }};
            var C = D.colours, icons = {};
            function pin(ci) {
                return icons[ci] || (icons[ci] = L.divIcon({
                    className: 'ev-pin', html: '<span style="background:' + C[ci] + '"></span>',
                    iconSize: [14, 14], iconAnchor: [7, 7], popupAnchor: [0, -6], tooltipAnchor: [6, -6]}));
            }
            var popupOptions = {maxWidth: 360, maxHeight: 340};
            // Tooltips and popups are bound on first hover/click: 10,000 markers cost no more
            // than 10,000 markers.
            function lazy(group, rows, tipAt, popupOf, tipOptions) {
                function tip(l) {
                    if (!l.getTooltip()) { l.bindTooltip(rows[l._ev][tipAt], tipOptions); }
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
                        l.bindPopup(popupOf(rows[l._ev]), popupOptions);
                        l.openPopup(l.getLatLng ? undefined : e.latlng);
                    }
                });
            }
            var cluster = L.markerClusterGroup({chunkedLoading: true, showCoverageOnHover: false,
                                                maxClusterRadius: 45});
            var markers = new Array(D.points.length);
            for (var i = 0; i < D.points.length; i++) {
                var p = D.points[i];
                var m = L.marker([p[0], p[1]], {icon: pin(p[2]), riseOnHover: true});
                m._ev = i;
                markers[i] = m;
            }
            lazy(cluster, D.points, 3, function (r) {
                var a = D.articles[r[5]];
                return a[0] + r[4] + a[1];
            }, {direction: 'top'});
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
            lazy(areas, D.areas, 5, function (r) { return r[6]; }, {sticky: true});
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


def _has_point(e: Mapping) -> bool:
    try:
        return e.get("lat") is not None and e.get("lon") is not None and \
            -90 <= float(e["lat"]) <= 90 and -360 <= float(e["lon"]) <= 360
    except (TypeError, ValueError):
        return False


def is_area(e: Mapping) -> bool:
    return e.get("kind") in AREA_KINDS


def _sort_key_latest(e: Mapping):
    d = event_days(e)
    return (d is not None, d[1] if d else date.min, str(e.get("id") or ""))


def event_payload(events: Sequence[Mapping], window=None) -> dict:
    """What the browser needs to draw `events` (points, grouped areas, shapes, legend)."""
    events = [e for e in events if _has_point(e)]
    win = resolve_window(events, window)
    colours: list[str] = []
    index: dict[str, int] = {}

    def ci(e) -> int:
        c = date_colour(e, win)
        if c not in index:
            index[c] = len(colours)
            colours.append(c)
        return index[c]

    articles: list[list[str]] = []
    article_index: dict[tuple[str, str], int] = {}

    def ai(e) -> int:
        parts = article_parts(e)
        if parts not in article_index:
            article_index[parts] = len(articles)
            articles.append(list(parts))
        return article_index[parts]

    points, groups = [], {}
    for e in events:
        if is_area(e):
            cc = (e.get("country_code") or "").upper()
            if e.get("kind") == "country" and cc and country_outline(cc) is not None:
                key = ("country", cc)
            else:
                key = (e.get("kind"), round(float(e["lat"]), 4), round(float(e["lon"]), 4))
            groups.setdefault(key, []).append(e)
        else:
            points.append([round(float(e["lat"]), 6), round(float(e["lon"]), 6), ci(e),
                           tooltip_text(e), popup_body(e), ai(e)])

    areas, shapes = [], {}
    for key, members in sorted(groups.items(), key=lambda kv: _AREA_ORDER.get(kv[0][0], 9)):
        members.sort(key=_sort_key_latest, reverse=True)
        first = members[0]
        shape_key = None
        if key[0] == "country" and len(key) == 2:
            shape_key = key[1]
            shapes[shape_key] = country_outline(shape_key)
        if len(members) == 1:
            tip = tooltip_text(first)
            pop = popup_html(first)
        else:
            dated = [d for d in (event_days(e) for e in members) if d]
            span = (f"{min(d[0] for d in dated)} – {max(d[1] for d in dated)}" if dated else "no date")
            tip = _esc(f"{first.get('name') or '?'} · {span} ({len(members)} events)")
            shown = members[:POPUP_GROUP_LIMIT]
            more = (f"<hr><i>… and {len(members) - len(shown)} more</i>"
                    if len(members) > len(shown) else "")
            pop = (f'<div class="ev-group"><i>{len(members)} events at this place'
                   f"{', most recent first' if dated else ''}</i><hr>"
                   + "<hr>".join(popup_html(e) for e in shown) + more + "</div>")
        kind = first.get("kind")
        areas.append([shape_key, round(float(first["lat"]), 5), round(float(first["lon"]), 5),
                      AREA_RADIUS_M.get(kind, AREA_RADIUS_M["region"]), ci(first), tip, pop])

    undated = any(event_days(e) is None for e in events)
    # points: [lat, lon, colour, tooltip, popup body, article]; a popup is
    # articles[a][0] + body + articles[a][1] (= popup_html). areas: [outline key or None, lat,
    # lon, radius, colour, tooltip, popup].
    return {"colours": colours, "articles": articles, "points": points, "areas": areas, "shapes": shapes,
            "legend": legend_html(win, undated=undated, counts=(len(events),)),
            "window": [win[0].isoformat(), win[1].isoformat()] if win else None}


def event_layer(events: Iterable[Mapping] = (), window=None) -> folium.FeatureGroup:
    """The events as one FeatureGroup named "events" (for streamlit-folium's
    ``feature_group_to_add``): clustered pins for towns/landmarks/admin2, translucent outlines or
    circles for countries/regions, colours by date within `window` ((start, end) dates or ISO
    strings; default: the events' span), tooltips ``place · date``, popups from `popup_html`,
    and the date legend (shown while the layer is on the map)."""
    fg = folium.FeatureGroup(name="events")
    _EventData(_js_json(event_payload(list(events), window))).add_to(fg)
    return fg


def _bounds(events: Sequence[Mapping]) -> Optional[list]:
    pts = [(float(e["lat"]), float(e["lon"])) for e in events if _has_point(e)]
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

    bounds = _bounds(events) if center is None else None
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
    if bounds is not None:
        if bounds[0] == bounds[1]:
            m.location = bounds[0]
            m.options["zoom"] = zoom if zoom is not None else 6
        else:
            # keep the legend's corner (bottom right) clear of the events
            m.fit_bounds(bounds, padding_top_left=(40, 30), padding_bottom_right=(30, 140),
                         max_zoom=zoom if zoom is not None else 7)
    return m


def standalone_html(events: Iterable[Mapping] = (), *, title: str = "Reported events", **kw) -> str:
    """One HTML file with the same map and every asset inlined (opens from disk, no network)."""
    kw.pop("assets_mode", None)
    m = build_map(events, assets_mode="inline", **kw)
    m.get_root().title = html.escape(title)
    return m.get_root().render()
