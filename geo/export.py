"""Exports of a view's events: standalone HTML map, PNG picture, GeoJSON, CSV and KML.

    data = export.render(events, "kml", MapOptions(title="April 2024"))     # bytes
    n = export.write(events, "png", "map.png", MapOptions(width=1600, height=900))

The same functions serve the app's download buttons and ``python -m geo export``, so both write
the same events for the same view. Every format writes one record per event with a position
(`mappable`); CSV also keeps events without one (there are none in a normal store).

* HTML: `geo.mapview.standalone_html` — one file, every asset inlined, vector basemap, OSM tiles
  over it when online; markers, popups (escaped in the page), legend, a caption, and a side list of
  the events that pans the map to one (and opens its popup) when clicked.
* PNG: that HTML as a picture (`to_html(picture=True)`: no zoom buttons, layer switch or side list,
  every pin drawn as itself rather than in cluster bubbles; title and caption, legend and
  attribution kept), rendered by headless Chromium (Playwright) at the requested size, after the
  basemap and the events are drawn. Offline by default (only file: and data: requests allowed;
  ``tiles=True`` lets the OSM tiles load). No browser: `ExportError` saying how to get one.
* GeoJSON: RFC 7946 (lon, lat order; WGS 84), one Point feature per event.
* CSV (RFC 4180, CRLF rows): one row per event; every text cell that a spreadsheet would read as
  a formula (starting with ``=``, ``+``, ``-``, ``@``, tab or carriage return, and not a plain
  number) gets a leading ``'`` (OWASP's rule); line breaks inside a cell are always quoted.
* Every format carries each event's type, actors, role (reported/background), incident id and
  number of sources (articles reporting that incident); the HTML map shows one pin per incident.
* KML 2.2 (Google Earth): one Placemark per event with a TimeSpan (Earth's time slider),
  coloured by type like the map, the popup's facts as description and ExtendedData. Written with
  ElementTree so article text is always well-formed XML (simplekml builds XML by string
  concatenation and breaks on ``<`` or ``&`` in an article).
"""
from __future__ import annotations

import csv
import html
import io
import json
import os
import re
import shutil
import tempfile
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Iterable, Iterator, Mapping, Optional, Sequence

from geo.exceptions import ExportError

FORMATS = ("html", "png", "geojson", "csv", "kml")
MEDIA_TYPES = {"html": "text/html", "png": "image/png", "geojson": "application/geo+json",
               "csv": "text/csv", "kml": "application/vnd.google-earth.kml+xml"}
CSV_FIELDS = ["name", "lat", "lon", "country_code", "kind", "type", "role", "actors", "incident_id", "n_sources",
              "date", "date_end", "precision", "date_source", "date_text", "confidence", "sentence", "title", "url",
              "published", "source", "event_id", "article_id"]      # the ids: a row leads back to the store
_EVENT_FIELDS = ("type", "role", "actors", "incident_id", "n_sources", "source")   # with defaults: `_fields`
_PROPERTIES = [f for f in CSV_FIELDS if f not in ("lat", "lon", "event_id", "article_id")] + ["corrected", "id",
                                                                                             "article_id"]
KML_NS = "http://www.opengis.net/kml/2.2"
CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
MAX_PNG_SIDE = 8000


@dataclass(frozen=True)
class MapOptions:
    """How a map export looks: the view's window (colours, legend), centre and zoom (default: fit
    the events), title, caption line, and for PNG the size in pixels and whether tiles may load."""
    window: Optional[tuple] = None
    center: Optional[tuple] = None
    zoom: Optional[int] = None
    title: str = "Reported events"
    caption: Optional[str] = None
    width: int = 1200
    height: int = 800
    tiles: bool = False


def mappable(events: Iterable[Mapping]) -> list:
    """The events that have a position (what the map, GeoJSON and KML can show)."""
    from geo.mapview import has_point
    return [e for e in events if has_point(e)]


def _fields(e: Mapping) -> dict:
    """The event's type, role, actors (a list), incident id, source count and source label,
    with the defaults rows from before issue 9 (and old snapshots) need."""
    from geo import views
    return {"type": views.event_type(e), "role": views.role_of(e), "actors": views.actors_of(e),
            "incident_id": views.incident_of(e), "n_sources": views.n_sources_of(e), "source": views.source_of(e)}


# --------------------------------------------------------------------------- GeoJSON, CSV

def _feature(e: Mapping) -> dict:
    props = {k: e.get(k) for k in _PROPERTIES if k not in _EVENT_FIELDS}
    props.update(_fields(e))
    return {"type": "Feature",
            "geometry": {"type": "Point", "coordinates": [round(float(e["lon"]), 6), round(float(e["lat"]), 6)]},
            "properties": props}


def to_geojson(events: Iterable[Mapping]) -> dict:
    """RFC 7946 FeatureCollection: [lon, lat] points, the event's facts as properties."""
    return {"type": "FeatureCollection", "features": [_feature(e) for e in mappable(events)]}


def geojson_chunks(events: Iterable[Mapping]) -> Iterator[str]:
    """`to_geojson` as text, one feature per line, produced as the events come (memory stays flat)."""
    from geo.mapview import has_point
    yield '{"type": "FeatureCollection", "features": ['
    sep = "\n"
    for e in events:
        if has_point(e):
            yield sep + json.dumps(_feature(e), ensure_ascii=False)
            sep = ",\n"
    yield "\n]}\n"


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")          # OWASP's CSV injection list
_PLAIN_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")


def csv_cell(value):
    """A value as a CSV cell a spreadsheet shows as text (OWASP's rule): a text cell that starts
    with ``=``, ``+``, ``-``, ``@``, tab or carriage return gets a leading apostrophe. Only a
    plain decimal number such as ``-12.5`` stays as it is (no spaces, tabs, ``inf`` or ``1_0``,
    which Python's float() would accept); numbers, booleans and None are not text."""
    if value is None or isinstance(value, (bool, int, float)):
        return value
    value = value if isinstance(value, str) else str(value)
    if value.startswith(_FORMULA_START) and not _PLAIN_NUMBER.fullmatch(value):
        return "'" + value
    return value


def to_csv(events: Iterable[Mapping]) -> str:
    return "".join(csv_chunks(events))


def csv_chunks(events: Iterable[Mapping], rows_per_chunk: int = 500) -> Iterator[str]:
    """The CSV text (a header, then one row per event), a few hundred rows at a time."""
    # RFC 4180's CRLF: the writer then quotes a cell holding a lone "\r" too (with "\n" as the
    # terminator it did not, and a reader split the row there: a row injected from article text).
    buf = io.StringIO(newline="")
    w = csv.DictWriter(buf, fieldnames=CSV_FIELDS, extrasaction="ignore", lineterminator="\r\n")
    w.writeheader()
    for i, e in enumerate(events, 1):
        row = {k: e.get(k) for k in CSV_FIELDS}
        row.update(_fields(e), event_id=e.get("id"))
        row["actors"] = "; ".join(str(a) for a in row["actors"] or ())
        w.writerow({k: csv_cell(v) for k, v in row.items()})
        if i % rows_per_chunk == 0:
            yield buf.getvalue()
            buf.seek(0)
            buf.truncate()
    yield buf.getvalue()


# --------------------------------------------------------------------------- KML

def _kml_colour(hex_rgb: str) -> str:
    """'#rrggbb' -> KML's 'aabbggrr'."""
    r, g, b = hex_rgb[1:3], hex_rgb[3:5], hex_rgb[5:7]
    return f"ff{b}{g}{r}"


def _kml_description(e: Mapping) -> str:
    """The popup's facts as the HTML Google Earth shows (every value escaped here, then again
    as XML by ElementTree: Earth reads back exactly this escaped HTML)."""
    from geo.mapview import date_text, safe_url
    from geo.views import type_label
    esc = lambda v: html.escape("" if v is None else str(v))  # noqa: E731
    f = _fields(e)
    head = esc(type_label(f["type"])) + (" (background)" if f["role"] == "background" else "")
    if f["n_sources"] > 1:
        head += f" · reported by {f['n_sources']} sources"
    parts = [f"<b>{esc(e.get('title') or '(untitled article)')}</b>", head,
             f"{esc(date_text(e))} ({esc(e.get('precision') or '?')}, {esc(e.get('date_source') or 'unknown')}"
             + (f": “{esc(e.get('date_text'))}”" if e.get("date_text") else "") + ")"]
    if f["actors"]:
        parts.append("Actors: " + esc(", ".join(f["actors"])))
    if e.get("sentence"):
        parts.append(f"<i>{esc(e.get('sentence'))}</i>")
    conf = e.get("confidence")
    parts.append(f"geocode confidence {esc(f'{conf:.2f}' if isinstance(conf, (int, float)) else '?')}")
    url = safe_url(e.get("url"))
    if url:
        parts.append(f'<a href="{esc(url)}">{esc(url)}</a>')
    return "<br>".join(parts)


def _kml_sub(parent, tag, text=None):
    el = ET.SubElement(parent, f"{{{KML_NS}}}{tag}")
    if text is not None:
        el.text = str(text)
    return el


def _kml_style_id(colour: str) -> str:
    return "c" + colour.lstrip("#")


def _placemark(e: Mapping) -> ET.Element:
    from geo.mapview import event_days, type_colour
    sub = _kml_sub
    pm = ET.Element(f"{{{KML_NS}}}Placemark")
    sub(pm, "name", e.get("name") or "?")
    sub(pm, "description", _kml_description(e))
    days = event_days(e)
    if days:
        span = sub(pm, "TimeSpan")
        sub(span, "begin", days[0].isoformat())
        sub(span, "end", days[1].isoformat())
    sub(pm, "styleUrl", "#" + _kml_style_id(type_colour(e)))
    data = sub(pm, "ExtendedData")
    f = _fields(e)
    f["actors"] = "; ".join(f["actors"])
    values = {k: e.get(k) for k in ("date", "date_end", "precision", "date_source", "date_text", "confidence",
                                     "kind", "country_code", "sentence", "title", "url", "published")}
    values.update({k: f[k] for k in ("type", "role", "actors", "incident_id", "n_sources")})
    for key, value in values.items():
        if value is not None and value != "":
            d = sub(data, "Data")
            d.set("name", key)
            sub(d, "value", value)
    point = sub(pm, "Point")
    sub(point, "coordinates", f"{float(e['lon']):.6f},{float(e['lat']):.6f}")
    return pm


def to_kml(events: Iterable[Mapping], title: str = "Reported events", window=None) -> str:
    return "".join(kml_chunks(events, title=title))


def kml_chunks(events: Iterable[Mapping], title: str = "Reported events") -> Iterator[str]:
    """KML 2.2 text: the document's name and one icon style per event type (so placemarks can be
    written as the events come, memory flat), then a Placemark per event with a position."""
    from geo.mapview import TYPE_COLOURS, has_point
    ET.register_namespace("", KML_NS)
    head = ET.Element(f"{{{KML_NS}}}Document")
    _kml_sub(head, "name", title)
    for colour in dict.fromkeys(TYPE_COLOURS.values()):
        style = _kml_sub(head, "Style")
        style.set("id", _kml_style_id(colour))
        icon = _kml_sub(style, "IconStyle")
        _kml_sub(icon, "color", _kml_colour(colour))
        _kml_sub(icon, "scale", "0.9")
    ET.indent(head, space=" ", level=1)
    inner = ET.tostring(head, encoding="unicode")
    # the Document element, left open: its placemarks follow
    yield (f"<?xml version='1.0' encoding='utf-8'?>\n<kml xmlns=\"{KML_NS}\">\n "
           + inner[:inner.rindex("</")].replace(f' xmlns="{KML_NS}"', "", 1))
    for e in events:
        if has_point(e):
            pm = _placemark(e)
            ET.indent(pm, space=" ", level=2)
            yield "  " + ET.tostring(pm, encoding="unicode").replace(f' xmlns="{KML_NS}"', "", 1) + "\n"
    yield " </Document>\n</kml>\n"


# --------------------------------------------------------------------------- HTML, PNG

def to_html(events: Iterable[Mapping], opts: MapOptions = MapOptions(), picture: bool = False) -> str:
    """The standalone HTML map: with a side list of the events that pans the map to one when
    clicked; `picture` (the PNG's page): no zoom buttons, layer switch or side list, and every pin
    drawn as itself (no cluster bubbles), with the caption, legend and credits."""
    from geo.mapview import standalone_html
    return standalone_html(mappable(events), title=opts.title, caption=opts.caption, window=opts.window,
                           center=opts.center, zoom=opts.zoom, controls=not picture, cluster=not picture,
                           side_list=not picture)


def find_chromium(explicit: Optional[str] = None) -> str:
    """A Chromium executable: `explicit`, $GEO_CHROMIUM, Debian's, one on PATH, or Playwright's own."""
    for candidate in (explicit, os.environ.get("GEO_CHROMIUM"), *CHROMIUM_CANDIDATES,
                      shutil.which("chromium"), shutil.which("chromium-browser")):
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return candidate
    try:
        from playwright.sync_api import sync_playwright
        with sync_playwright() as pw:
            bundled = pw.chromium.executable_path
        if bundled and Path(bundled).is_file():
            return bundled
    except Exception:  # noqa: BLE001 - no Playwright or no browser of its own
        pass
    raise ExportError("PNG export needs a Chromium browser and none was found: install Debian's "
                      "`chromium` (apt install chromium), run `playwright install chromium`, or set GEO_CHROMIUM")


# The map is settled when the basemap is drawn and the event layer (if any) is on the map.
_SETTLED_JS = """n => document.querySelectorAll('path.basemap-country').length > 50
    && (n === 0 || (window.__eventLayer !== undefined && document.querySelector('.ev-legend') !== null
                    && window.__eventsDrawn === true))"""    # every chunk of pins is on the map


def to_png(events: Iterable[Mapping], opts: MapOptions = MapOptions(), chromium: Optional[str] = None) -> bytes:
    """The HTML export as a PNG of `opts.width` × `opts.height` pixels, rendered by Chromium."""
    if not (100 <= opts.width <= MAX_PNG_SIDE and 100 <= opts.height <= MAX_PNG_SIDE):
        raise ExportError(f"PNG size must be between 100 and {MAX_PNG_SIDE} pixels a side, "
                          f"not {opts.width}×{opts.height}")
    exe = find_chromium(chromium)
    events = mappable(events)
    try:
        from playwright.sync_api import Error as PlaywrightError, sync_playwright
    except ImportError as exc:
        raise ExportError("PNG export needs the `playwright` package (pip install -r requirements.txt)") from exc
    with tempfile.TemporaryDirectory(prefix="geo-png-") as tmp:
        page_path = Path(tmp) / "map.html"
        page_path.write_text(to_html(events, opts, picture=True), encoding="utf-8")
        try:
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=exe, args=CHROMIUM_ARGS)
                try:
                    page = browser.new_page(viewport={"width": opts.width, "height": opts.height},
                                            device_scale_factor=1)
                    if not opts.tiles:
                        page.route("**/*", lambda r: r.continue_() if r.request.url.startswith(("file:", "data:"))
                                   else r.abort())
                    page.goto(page_path.as_uri(), wait_until="load")
                    page.wait_for_function(_SETTLED_JS, arg=len(events), timeout=30_000)
                    if opts.tiles:
                        page.wait_for_load_state("networkidle", timeout=30_000)
                    # let marker-cluster finish its first (animated) layout
                    page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
                    page.wait_for_timeout(300)
                    return page.screenshot(type="png")
                finally:
                    browser.close()
        except PlaywrightError as exc:
            raise ExportError(f"Chromium could not render the map: {str(exc).splitlines()[0]}") from exc


# --------------------------------------------------------------------------- one entry point

def render(events: Sequence[Mapping], fmt: str, opts: MapOptions = MapOptions()) -> bytes:
    """`events` in format `fmt` (one of FORMATS) as bytes."""
    if fmt in ("geojson", "csv", "kml"):
        return "".join(chunks(events, fmt, opts)).encode("utf-8")
    if fmt == "html":
        return to_html(events, opts).encode("utf-8")
    if fmt == "png":
        return to_png(events, opts)
    raise ExportError(f"unknown export format {fmt!r} (choose from {', '.join(FORMATS)})")


def count(events: Sequence[Mapping], fmt: str) -> int:
    """How many events an export in `fmt` holds."""
    return len(events) if fmt == "csv" else len(mappable(events))


STREAMED = {"geojson": geojson_chunks, "csv": csv_chunks}     # and kml (its title): `chunks`


def chunks(events: Iterable[Mapping], fmt: str, opts: MapOptions = MapOptions()) -> Iterator[str]:
    """The text of a GeoJSON, CSV or KML export, produced as `events` (any iterable, e.g. a
    store's stream) come; HTML and PNG draw one map of every event, so they are not streamed."""
    if fmt == "kml":
        return kml_chunks(events, title=opts.title)
    if fmt in STREAMED:
        return STREAMED[fmt](events)
    raise ExportError(f"{fmt} exports are not streamed (choose from geojson, csv, kml)")


class _Counted:
    """An iterable of events that counts, as they pass, those the format writes."""

    def __init__(self, events: Iterable[Mapping], fmt: str):
        from geo.mapview import has_point
        self._events, self._keep = events, (lambda e: True) if fmt == "csv" else has_point
        self.n = 0

    def __iter__(self):
        for e in self._events:
            if self._keep(e):
                self.n += 1
            yield e


def write(events: Iterable[Mapping], fmt: str, path, opts: MapOptions = MapOptions()) -> int:
    """Write `events` as `fmt` to `path` atomically (a temporary file renamed into place, so a
    failed export never leaves half a file); returns the number of events written. GeoJSON, CSV
    and KML are written as the events come (`events` may be a store's stream: memory stays flat)."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent if str(path.parent) else ".")
    try:
        with os.fdopen(fd, "wb") as f:
            if fmt in ("geojson", "csv", "kml"):
                counted = _Counted(events, fmt)
                for text in chunks(counted, fmt, opts):
                    f.write(text.encode("utf-8"))
                n = counted.n
            else:
                events = list(events)
                f.write(render(events, fmt, opts))
                n = count(events, fmt)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)          # mkstemp's 0600 is for the temporary file only
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return n


def file_name(fmt: str, opts: MapOptions = MapOptions(), stem: str = "events") -> str:
    """A download name such as ``events_2024-04-01_2024-04-30.kml``."""
    if opts.window and all(isinstance(d, date) for d in opts.window):
        stem = f"{stem}_{opts.window[0].isoformat()}_{opts.window[1].isoformat()}"
    return f"{stem}.{fmt}"
