"""Local copies of the map's JavaScript/CSS and of the vector basemap: the map needs no network.

Three ways to hand the assets to a browser, all built from the installed ``xstatic-*`` packages
(Leaflet 1.9.3 = folium's Leaflet, jQuery 3.7.1, Leaflet.markercluster 1.4.1), from folium's own
copy of Leaflet.heat (the density layer, `geo.mapview.heat_layer`) and from
``data/countries.geojson`` (Natural Earth, simplified for display by `basemap_json`):

* **Streamlit static serving (what the app uses).** ``.streamlit/config.toml`` sets
  ``[server] enableStaticServing = true``; Streamlit then serves ``<app dir>/static/`` at
  ``/app/static/``. `ensure_static_assets` (called once when the app starts) copies the vendor
  files into ``static/vendor/`` (generated: keep them out of git) and returns a URL map that
  `geo.mapview.build_map` puts into the map's ``default_js``/``default_css``.

  Why this mechanism: ``st_folium`` does not render folium's page head. It collects the
  ``default_js``/``default_css`` URLs of every folium element in the map (``walk``), sends them
  to its component iframe, whose frontend loads them one by one with
  ``<script src=…>``/``<link rel=stylesheet>`` (a JS file that fails to load rejects the whole
  render: a CDN URL offline means no map at all). Of the head it keeps only the ``<style>``
  blocks (``<script src>`` and ``<link>`` tags are stripped, and the rest is added through
  ``innerHTML``, so inline scripts in the head never run); the map's JavaScript is each
  element's ``script`` macro, evaluated once when the iframe mounts, and
  ``feature_group_to_add`` is rendered to JS the same way and ``eval``-ed on every change, after
  removing the previous group. So local *URLs* in ``default_js``/``default_css`` are what
  works, and with static serving they are small: the component's arguments (re-sent on every
  rerun) carry a few short paths instead of ~0.7 MB of inlined code, and the browser caches the
  files (until the app calls it, `current_urls` gives the data: URIs below). The paths are
  relative (``../../app/static/vendor/…``) because the component iframe
  lives at ``<base>/component/streamlit_folium.st_folium/index.html``: they resolve to
  ``<base>/app/static/vendor/…`` whatever ``server.baseUrlPath`` is. The basemap (0.5 MB) is a
  static file too, fetched by the map's script, instead of riding in every rerun's arguments.
  Streamlit (1.67, Starlette server) serves ``.js``/``.css``/``.json`` with their real
  ``Content-Type`` (it also sends ``X-Content-Type-Options: nosniff``, so a wrong type would
  block them: a test loads the app and checks the map appears with the network blocked).

* **data: URIs (fallback).** When static serving is off (Streamlit was started from another
  directory, so ``.streamlit/config.toml`` was not read), `ensure_static_assets` says so in the
  log and returns `data_uri_urls` instead: the same map works, only heavier per rerun.

* **Inlined (`inline_head`).** ``<style>``/``<script>`` blocks with the files' text, for
  `geo.mapview.standalone_html`: one file that opens from disk with no network.
"""
from __future__ import annotations

import base64
import hashlib
import json
import logging
import os
import re
import tempfile
import threading
from functools import cache
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
COUNTRIES_PATH = PROJECT_ROOT / "data" / "countries.geojson"
STATIC_DIR = PROJECT_ROOT / "static"          # served at /app/static/ by Streamlit
VENDOR_SUBDIR = "vendor"
# From the component iframe (<base>/component/streamlit_folium.st_folium/index.html) to the
# app's static files (<base>/app/static/).
STATIC_URL_PREFIX = "../../app/static/" + VENDOR_SUBDIR + "/"
VIEWS_SUBDIR = "views"                        # the drawn views' popup details (`ViewDetails`)
VIEW_FILES_KEPT = 64                          # (a busy month: ~2 MB each)

BASEMAP_FILE = "countries-basemap.json"
BASEMAP_TOLERANCE = 0.04      # degrees: simplification for display (~4 km), not for lookups
BASEMAP_TILES_DIR = "basemap"  # geo.basemap's coastline/lakes/rivers/borders/labels, under vendor/

log = logging.getLogger(__name__)


def _xstatic_dir(package: str) -> Path:
    import importlib
    if package == "folium":       # Leaflet.heat ships inside folium (folium/templates/)
        return Path(importlib.import_module("folium").__file__).parent / "templates"
    return Path(importlib.import_module(f"xstatic.pkg.{package}").BASE_DIR)


# key -> (xstatic package, file inside its BASE_DIR, file name under static/vendor/)
VENDOR_FILES: dict[str, tuple[str, str, str]] = {
    "leaflet_js": ("leaflet", "leaflet.js", "leaflet/leaflet.js"),
    "leaflet_css": ("leaflet", "leaflet.css", "leaflet/leaflet.css"),
    "jquery_js": ("jquery", "jquery.min.js", "jquery/jquery.min.js"),
    "markercluster_js": ("leaflet_markercluster", "leaflet.markercluster.js",
                         "markercluster/leaflet.markercluster.js"),
    "markercluster_css": ("leaflet_markercluster", "MarkerCluster.css", "markercluster/MarkerCluster.css"),
    "markercluster_default_css": ("leaflet_markercluster", "MarkerCluster.Default.css",
                                  "markercluster/MarkerCluster.Default.css"),
    # Leaflet.heat 0.2 (+ simpleheat), BSD-2-Clause, (c) Vladimir Agafonkin: the copy folium's
    # HeatMap plugin would fetch from a CDN, taken from the installed folium package instead.
    "heat_js": ("folium", "leaflet_heat.min.js", "leaflet-heat/leaflet-heat.js"),
}
# Images leaflet.css refers to (url(images/…)): the layer-control toggle and default marker.
LEAFLET_IMAGES = ("layers.png", "layers-2x.png", "marker-icon.png", "marker-icon-2x.png", "marker-shadow.png")

JS_KEYS = ("leaflet_js", "jquery_js", "markercluster_js", "heat_js")       # load order matters
CSS_KEYS = ("leaflet_css", "markercluster_css", "markercluster_default_css")

_SOURCE_MAP = re.compile(r"\n?//# sourceMappingURL=\S+\s*$")
_CSS_URL = re.compile(r"url\((['\"]?)images/([\w.-]+)\1\)")

_current: dict[str, str] | None = None


def vendor_source(key: str) -> Path:
    package, name, _ = VENDOR_FILES[key]
    return _xstatic_dir(package) / name


@cache
def vendor_text(key: str) -> str:
    """A vendor file's text, without its ``sourceMappingURL`` comment (the .map is not shipped)."""
    return _SOURCE_MAP.sub("\n", vendor_source(key).read_text(encoding="utf-8"))


# --------------------------------------------------------------------------- basemap

def _round_coords(obj, nd: int):
    if isinstance(obj, (list, tuple)):
        if obj and isinstance(obj[0], (int, float)):
            return [round(float(v), nd) for v in obj]
        return [_round_coords(v, nd) for v in obj]
    return obj


def geometry_json(geom, tolerance: float, nd: int = 2) -> dict | None:
    """A GeoJSON geometry dict: `geom` simplified (topology kept) and rounded to `nd` decimals."""
    import shapely
    from shapely.geometry import mapping

    simple = geom.simplify(tolerance, preserve_topology=True)
    snapped = shapely.set_precision(simple, 10 ** -nd)
    if snapped.is_empty:                       # a speck of an island: keep it, finer
        nd += 1
        snapped = shapely.set_precision(geom, 10 ** -nd)
    if snapped.is_empty:
        return None
    m = mapping(snapped)
    return {"type": m["type"], "coordinates": _round_coords(m["coordinates"], nd)}


@cache
def basemap_json() -> str:
    """Country outlines for display (GeoJSON text, ~0.5 MB): properties ``name``/``iso_a2``."""
    from shapely.geometry import shape

    with open(COUNTRIES_PATH, encoding="utf-8") as f:
        data = json.load(f)
    feats = []
    for feat in data["features"]:
        geom = geometry_json(shape(feat["geometry"]), BASEMAP_TOLERANCE)
        if geom is not None:
            feats.append({"type": "Feature", "properties": dict(feat["properties"]), "geometry": geom})
    return json.dumps({"type": "FeatureCollection", "features": feats}, separators=(",", ":"),
                      ensure_ascii=False)


# --------------------------------------------------------------------------- three ways to serve

def static_urls(prefix: str = STATIC_URL_PREFIX) -> dict[str, str]:
    """URL per asset key for files copied by `ensure_static_assets` (no I/O)."""
    urls = {key: prefix + dest for key, (_, _, dest) in VENDOR_FILES.items()}
    urls["basemap"] = prefix + BASEMAP_FILE
    urls["basemap_tiles"] = prefix + BASEMAP_TILES_DIR + "/"    # geo.basemap's detail files
    return urls


def _leaflet_css_with_data_images() -> str:
    img_dir = _xstatic_dir("leaflet") / "images"

    def repl(m: re.Match) -> str:
        data = base64.b64encode((img_dir / m.group(2)).read_bytes()).decode("ascii")
        return f"url(data:image/png;base64,{data})"
    return _CSS_URL.sub(repl, vendor_text("leaflet_css"))


def _css_text(key: str) -> str:
    return _leaflet_css_with_data_images() if key == "leaflet_css" else vendor_text(key)


@cache
def data_uri_urls() -> dict[str, str]:
    """The same URL map as `static_urls` as ``data:`` URIs (works with no server support)."""
    def uri(mime: str, text: str) -> str:
        return f"data:{mime};base64," + base64.b64encode(text.encode("utf-8")).decode("ascii")
    urls = {key: uri("text/javascript", vendor_text(key)) for key in JS_KEYS}
    urls.update({key: uri("text/css", _css_text(key)) for key in CSS_KEYS})
    urls["basemap"] = uri("application/json", basemap_json())
    return urls


def _script_safe(text: str) -> str:
    """Text that cannot close the ``<script>``/``<style>`` element it is inlined in."""
    return re.sub(r"</(script|style)", r"<\\/\1", text, flags=re.IGNORECASE)


@cache
def inline_head() -> str:
    """``<style>`` and ``<script>`` blocks holding Leaflet, jQuery and markercluster (~0.3 MB)."""
    parts = [f"<style>\n{_script_safe(_css_text(key))}\n</style>" for key in CSS_KEYS]
    parts += [f"<script>\n{_script_safe(vendor_text(key))}\n</script>" for key in JS_KEYS]
    return "\n".join(parts)


def _static_serving_enabled() -> bool | None:
    """Streamlit's ``server.enableStaticServing`` when running inside Streamlit, else None."""
    try:
        from streamlit import config
        from streamlit.runtime import exists
    except ImportError:                         # pragma: no cover - streamlit is pinned
        return None
    if not exists():
        return None
    return bool(config.get_option("server.enableStaticServing"))


def _write_if_changed(path: Path, data: bytes) -> None:
    if path.exists() and hashlib.sha256(path.read_bytes()).digest() == hashlib.sha256(data).digest():
        return
    _write_atomically(path, data)


def _write_atomically(path: Path, data: bytes) -> None:
    """Write `path` whole or not at all (a browser never reads half a file), through a temporary
    file of this writer's own (sessions and the app's read-ahead thread may write at once) whose
    ``.tmp`` name no reader or pruner of ``*.json`` ever sees."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix="." + path.name + ".", suffix=".tmp")
    try:
        os.fchmod(fd, 0o644)              # served files: readable as a plain write would leave them
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def ensure_static_assets(static_dir: str | Path | None = None, *,
                         static_serving: bool | None = None) -> dict[str, str]:
    """Copy the vendor files and the basemap into ``<static_dir>/vendor/``; return the URL map.

    Call once when the app starts (cheap when the files are already there; files are rewritten
    only when their content differs, e.g. after upgrading an xstatic package). `static_serving`
    says whether Streamlit serves ``static/`` (default: read from Streamlit's config when running
    inside Streamlit, else assumed on). When it is off, the files are still written but the
    returned map holds ``data:`` URIs so that the map still works.

    The returned map also becomes the default for `geo.mapview.build_map` (`current_urls`).
    """
    global _current
    vendor = Path(static_dir or STATIC_DIR) / VENDOR_SUBDIR
    try:
        for key, (_, _, dest) in VENDOR_FILES.items():
            _write_if_changed(vendor / dest, vendor_text(key).encode("utf-8"))
        img_src = _xstatic_dir("leaflet") / "images"
        for name in LEAFLET_IMAGES:
            if (img_src / name).exists():
                _write_if_changed(vendor / "leaflet" / "images" / name, (img_src / name).read_bytes())
        _write_if_changed(vendor / BASEMAP_FILE, basemap_json().encode("utf-8"))
        written = True
    except OSError as exc:                      # e.g. a read-only checkout
        log.warning("cannot write the map assets to %s (%s): using data: URIs", vendor, exc)
        written = False
    tiles_ok = False
    if written:
        try:                                    # the basemap's detail files (built once, cached)
            from geo import basemap
            basemap.copy_to(vendor / BASEMAP_TILES_DIR)
            tiles_ok = True
        except Exception as exc:                # noqa: BLE001 - the map still works without them
            log.warning("offline basemap detail not served (%s): country outlines only", exc)

    if static_serving is None:
        static_serving = _static_serving_enabled()
    if not written:
        _current = dict(data_uri_urls())
    elif static_serving is False:
        log.warning("Streamlit static file serving is off (run `streamlit run app.py` from the "
                    "project root so .streamlit/config.toml is read): map assets go inline as "
                    "data: URIs instead.")
        _current = dict(data_uri_urls())
    else:
        _current = static_urls()
        if not tiles_ok:
            _current.pop("basemap_tiles", None)
    global _view_details
    _view_details = ViewDetails(static_dir) if written and static_serving is not False else None
    return dict(_current)


_view_details: "ViewDetails | None" = None


def view_details() -> "ViewDetails | None":
    """Where the app puts its views' popup details (None: static serving is off, so they go inline)."""
    return _view_details


class ViewDetails:
    """The popups' contents of a drawn view — each event's sentence, other candidates and actors, and
    the articles' titles and links, about three quarters of a busy view's data — as a static file
    the map fetches once it is drawn, instead of riding in the rerun that draws the pins (a month
    of 5,000 events: 2.5 MB → 0.7 MB per step). Files are named by a hash of the caller's key (the
    store, its revision and the events shown), written once, and the newest `VIEW_FILES_KEPT` kept.
    What they hold is what the app shows anyone who opens it (see README, "Serving a team safely")."""

    def __init__(self, static_dir: str | Path | None = None, url_prefix: str = "../../app/static/"):
        self.dir = Path(static_dir or STATIC_DIR) / VIEWS_SUBDIR
        self.prefix = url_prefix + VIEWS_SUBDIR + "/"
        self._lock = threading.Lock()

    def url(self, key: str, details) -> str:
        """The URL of the details for `key`, writing `details` (a JSON-able object) the first time."""
        name = hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()[:32] + ".json"
        path = self.dir / name
        if path.exists():
            try:
                os.utime(path)                     # recently used: not pruned
            except OSError:
                pass
            return self.prefix + name
        _write_atomically(path, json.dumps(details, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))
        self._prune()
        return self.prefix + name

    def _prune(self) -> None:
        with self._lock:
            try:
                files = sorted(self.dir.glob("*.json"), key=lambda p: p.stat().st_mtime, reverse=True)
            except OSError:
                return
            for old in files[VIEW_FILES_KEPT:]:
                try:
                    old.unlink()
                except OSError:
                    pass


def current_urls() -> dict[str, str]:
    """The URL map from the last `ensure_static_assets` call; before any call, `data_uri_urls`
    (works anywhere, no files needed, but ~1 MB more per Streamlit rerun)."""
    return dict(_current) if _current is not None else dict(data_uri_urls())
