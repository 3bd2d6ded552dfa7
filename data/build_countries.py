"""Build data/countries.geojson from the world-atlas countries-50m GeoJSON.

One-off converter (see data/README.md, section "countries.geojson"). Input is the
output of `topo2geo countries=...` (topojson-client 3.1.0) run on world-atlas
2.0.2's countries-50m.json. This step:

* maps each feature id (ISO 3166-1 numeric) to alpha-2 with pycountry and gives
  the few id-less Natural Earth units a sensible code (see SPECIAL);
* cuts polygons back at the antimeridian: world-atlas is in spherical
  coordinates, so Russia (Chukotka, Wrangel I.), Fiji and Antarctica have rings
  that cross +-180 and Antarctica's ring encircles the South Pole; for planar
  use (shapely, Leaflet) those rings are unwrapped, closed via the pole where
  needed, and split at +-180;
* rounds coordinates to 3 decimals (about 100 m) and drops consecutive duplicate
  points and rings that collapse;
* repairs invalid geometries with shapely.make_valid (only where needed),
  keeping Polygon/MultiPolygon types;
* orients rings per RFC 7946 (exterior counter-clockwise);
* writes compact JSON, one feature per line, sorted by (iso_a2, name).

Usage: python data/build_countries.py IN.geojson [OUT.geojson]
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

import pycountry
import shapely
import shapely.affinity
from shapely.geometry import MultiPolygon, Polygon, box, mapping
from shapely.ops import unary_union

DECIMALS = 3

# Natural Earth units without an ISO 3166-1 numeric id in world-atlas.
SPECIAL = {
    "Kosovo": "XK",  # user-assigned code used by the EU, IMF and others
    "N. Cyprus": "CY",  # de jure part of Cyprus
    "Somaliland": "SO",  # de jure part of Somalia
    "Siachen Glacier": "",  # disputed between India and Pakistan
}
# "Indian Ocean Ter." is split into its two ISO territories by longitude.
INDIAN_OCEAN = [("CX", "Christmas I.", lambda lon: lon > 100), ("CC", "Cocos Is.", lambda lon: lon <= 100)]


def _unwrap(ring) -> list[tuple[float, float]]:
    """Make longitudes continuous (no jump > 180 degrees between neighbours)."""
    out = [tuple(ring[0])]
    for (x0, _), (x1, y1) in zip(ring, ring[1:]):
        d = (x1 - x0 + 180) % 360 - 180
        out.append((out[-1][0] + d, y1))
    return out


def _crosses(ring) -> bool:
    return any(abs(b[0] - a[0]) > 180 for a, b in zip(ring, ring[1:]))


def _polygon_planar(rings) -> Polygon | MultiPolygon:
    """One spherical GeoJSON polygon (list of rings) as planar lon/lat geometry."""
    if not any(_crosses(r) for r in rings):
        return Polygon(rings[0], rings[1:])
    polar, normal = [], []
    for r in map(_unwrap, rings):
        span = r[-1][0] - r[0][0]
        if abs(span) > 180:  # encircles a pole: close the ring through it
            pole = -90.0 if sum(y for _, y in r) < 0 else 90.0
            polar.append(Polygon(r + [(r[-1][0], pole), (r[0][0], pole)]))
        else:
            normal.append(r)
    if polar:  # the area between the polar rings, minus any ordinary holes
        geom = polar[0]
        for p in polar[1:]:
            geom = geom.symmetric_difference(p)
        for r in normal:
            geom = geom.difference(Polygon(r))
    else:
        geom = Polygon(normal[0], normal[1:])
    geom = shapely.make_valid(geom) if not geom.is_valid else geom
    pieces = []
    for shift in (-360.0, 0.0, 360.0):  # cut at +-180 and move pieces back
        piece = geom.intersection(box(-180 + shift, -90, 180 + shift, 90))
        if not piece.is_empty:
            pieces.append(shapely.affinity.translate(piece, xoff=-shift))
    return unary_union(pieces)


def planar(geometry: dict):
    """A spherical GeoJSON (Multi)Polygon from world-atlas as planar shapely geometry."""
    if geometry["type"] == "Polygon":
        return _polygon_planar(geometry["coordinates"])
    parts = [_polygon_planar(p) for p in geometry["coordinates"]]
    return MultiPolygon([q for p in parts for q in _polygons(p)])


def _ring(coords) -> list[list[float]] | None:
    out: list[list[float]] = []
    for x, y in coords:
        pt = [round(x, DECIMALS), round(y, DECIMALS)]
        if not out or out[-1] != pt:
            out.append(pt)
    if out[0] != out[-1]:
        out.append(out[0])
    return out if len(out) >= 4 else None


def _polygons(geom) -> list[Polygon]:
    """Polygonal parts of any geometry (drops lines/points from make_valid)."""
    if isinstance(geom, Polygon):
        return [] if geom.is_empty else [geom]
    if hasattr(geom, "geoms"):
        return [p for g in geom.geoms for p in _polygons(g)]
    return []


def _round(geom) -> Polygon | MultiPolygon | None:
    polys = []
    for p in _polygons(geom):
        shell = _ring(p.exterior.coords)
        if shell is None:
            continue
        holes = [h for h in (_ring(i.coords) for i in p.interiors) if h]
        polys.append(Polygon(shell, holes))
    if not polys:
        return None
    return polys[0] if len(polys) == 1 else MultiPolygon(polys)


def clean(geom) -> Polygon | MultiPolygon | None:
    """Round, de-duplicate and (only if needed) repair one geometry."""
    g = _round(geom)
    if g is not None and not g.is_valid:
        g = _round(shapely.make_valid(g))
        if g is not None and not g.is_valid:  # rounding the repair broke it again
            g = _round(shapely.set_precision(shapely.make_valid(g), 10**-DECIMALS))
    if g is None or g.is_empty:
        return None
    assert g.is_valid, shapely.is_valid_reason(g)
    return shapely.orient_polygons(g, exterior_cw=False)


def features(src: dict) -> list[dict]:
    out = []
    for f in src["features"]:
        name = f["properties"]["name"]
        geom = planar(f["geometry"])
        fid = f.get("id")
        if name == "Indian Ocean Ter.":
            for code, label, keep in INDIAN_OCEAN:
                parts = [p for p in _polygons(geom) if keep(p.centroid.x)]
                out.append((code, label, MultiPolygon(parts)))
            continue
        if fid is not None:
            code = pycountry.countries.get(numeric=fid).alpha_2
        elif name in SPECIAL:
            code = SPECIAL[name]
        else:
            raise KeyError(f"no ISO code for {name!r}")
        out.append((code, name, geom))
    result = []
    for code, name, geom in sorted(out, key=lambda t: (t[0], t[1])):
        g = clean(geom)
        if g is None:
            print(f"dropped {code} {name}: empty after rounding", file=sys.stderr)
            continue
        result.append({"type": "Feature", "properties": {"iso_a2": code, "name": name}, "geometry": mapping(g)})
    return result


def dump(feats: list[dict]) -> str:
    compact = dict(separators=(",", ":"), ensure_ascii=False)
    lines = ",\n".join(json.dumps(f, **compact) for f in feats)
    return '{"type":"FeatureCollection","features":[\n' + lines + "\n]}\n"


def main(argv: list[str]) -> None:
    src = Path(argv[1])
    dst = Path(argv[2]) if len(argv) > 2 else Path(__file__).with_name("countries.geojson")
    feats = features(json.loads(src.read_text(encoding="utf-8")))
    dst.write_text(dump(feats), encoding="utf-8")
    print(f"{dst}: {len(feats)} features, {dst.stat().st_size:,} bytes")


if __name__ == "__main__":
    main(sys.argv)
