"""Build data/natural_features.csv: named natural features (rivers, lakes, seas, gulfs, straits,
mountain ranges, peaks, deserts, plateaus, basins, peninsulas, islands, capes…) with one
representative point each, from Natural Earth's 1:10m physical layers (public domain).

    pip install py7zr        # build-time only: reads the .7z archives
    python data/build_natural.py [--source GIT_DIR] [--out data/natural_features.csv]

`--source` is a git directory of github.com/martynafford/natural-earth-geojson (CC0 packaging
of Natural Earth; e.g. a bare clone). Same input, byte-identical output.
"""
from __future__ import annotations

import argparse
import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import shapely
import shapely.ops
from shapely.geometry import shape

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from geo.text import fold  # noqa: E402

DEFAULT_SOURCE = "/tmp/ne.git"      # a bare clone of the packaging (see data/README.md)
LAYERS = ("geography_regions_polys", "geography_regions_points", "geography_regions_elevation_points",
          "geography_marine_polys", "lakes", "rivers_lake_centerlines")
SMALL_WORDS = {"of", "the", "de", "del", "la", "le", "les", "du", "des", "and", "y", "do", "da", "al", "el"}
NEAR_DEG = 1.0      # the same folded name this close (about 100 km) in two layers is one feature


def read_layer(source: str, layer: str) -> list:
    """A layer's features: the .json where the packaging has a sound one, else its .7z."""
    base = f"10m/physical/ne_10m_{layer}"
    for path, packed in ((base + ".json", False), (base + ".7z", True)):
        got = subprocess.run(["git", f"--git-dir={source}", "show", f"HEAD:{path}"], capture_output=True)
        if got.returncode != 0 or not got.stdout:
            continue
        data = got.stdout
        if packed:
            import tempfile
            import py7zr
            with tempfile.TemporaryDirectory() as tmp, py7zr.SevenZipFile(io.BytesIO(data)) as z:
                z.extractall(tmp)
                data = next(Path(tmp).rglob("*.json")).read_bytes()
        try:
            return json.loads(data)["features"]
        except ValueError:
            continue        # a broken .json copy: try the archive
    raise SystemExit(f"{layer}: not found in {source}")


def title(name: str) -> str:
    """Natural Earth's region polygons are in capitals ("GREAT PLAINS"): "Great Plains"."""
    if name != name.upper():
        return name
    words = name.lower().split()
    return " ".join(w if (i and w in SMALL_WORDS) else w[:1].upper() + w[1:] for i, w in enumerate(words))


def representative(geom) -> tuple:
    """A point on the feature: a point as it is; an area's centre (area-weighted over its parts,
    so the Andes are not put on their northern spur), moved onto the shape when it falls outside;
    a line (a river, merged from its segments) halfway along its longest chain."""
    if geom.geom_type == "Point":
        return geom.y, geom.x
    areas = [g for g in shapely.get_parts(geom) if g.geom_type == "Polygon"]
    if areas:
        geom = shapely.MultiPolygon(areas)
        c = geom.centroid
        if not geom.covers(c):
            c = shapely.ops.nearest_points(geom, c)[0]
        return c.y, c.x
    lines = [g for g in shapely.get_parts(geom) if g.geom_type == "LineString"]
    if not lines:                                  # (a collection of points)
        p = geom.representative_point()
        return p.y, p.x
    longest = max(shapely.get_parts(shapely.line_merge(shapely.MultiLineString(lines))), key=lambda g: g.length)
    p = longest.interpolate(0.5, normalized=True)
    return p.y, p.x


# Natural Earth's cartographic abbreviations, spelled out as a news text writes them
ABBREVIATIONS = {"mt.": "Mount", "mts.": "Mountains", "pk.": "Peak", "i.": "Island", "is.": "Islands",
                 "pen.": "Peninsula", "ra.": "Range", "plat.": "Plateau", "st.": "Saint", "mtn.": "Mountain",
                 "arch.": "Archipelago", "cord.": "Cordillera", "pt.": "Point", "r.": "River"}
BARE_RANK = 2       # "Everest", "Gobi": a peak's or desert's bare name, for the most prominent only
GENERIC_HEADS = {"mount", "mountains", "peak", "desert"}


def spelled(name: str) -> str:
    return " ".join(ABBREVIATIONS.get(w.lower(), w) for w in name.split())


def aliases(name: str, props: dict, feature: str) -> list:
    out = [title(props.get(k) or "") for k in ("name", "name_en", "name_alt", "namealt", "name_fr")]
    out = [a.strip() for a in out if a and a.strip()]
    out += [spelled(a) for a in [name] + out]
    words = fold(spelled(name)).split()
    # the usual English forms around a bare river or lake name ("Nile" → "Nile River", "River Nile")
    if feature in ("river", "lake_centerline") and "river" not in words and len(words) <= 3:
        out += [f"{name} River", f"River {name}"]
    if feature in ("lake", "alkaline_lake", "reservoir") and "lake" not in words and len(words) <= 3:
        out += [f"Lake {name}"]
    rank = props.get("scalerank")
    if rank is not None and rank <= BARE_RANK and len(words) == 2 and (set(words) & GENERIC_HEADS):
        bare = [w for w in spelled(name).split() if w.lower() not in GENERIC_HEADS]
        out += [" ".join(bare)]
    seen, keep = {fold(name)}, []
    for a in out:
        if a and fold(a) not in seen:
            seen.add(fold(a))
            keep.append(a)
    return keep


def features(source: str) -> list:
    rows = []
    for layer in LAYERS:
        by_name: dict = {}
        for f in read_layer(source, layer):
            p, g = f.get("properties") or {}, f.get("geometry")
            name = title((p.get("name_en") or p.get("name") or "").strip())
            if name and g:
                by_name.setdefault(name, []).append((p, shape(g)))
        for name, pieces in by_name.items():
            # a river comes in segments and a sea in parts: pieces of one name within NEAR_DEG of
            # each other are one feature; two far-apart rivers called "Red" stay two
            for group in _near_groups(pieces):
                p = min((q for q, _ in group), key=lambda q: q.get("scalerank") if q.get("scalerank") is not None else 99)
                geom = shapely.union_all([g for _, g in group]) if len(group) > 1 else group[0][1]
                feature = "_".join(str(p.get("featurecla") or "feature").lower().replace("-", " ").split())
                lat, lon = representative(geom)
                rank = p.get("scalerank")
                rows.append({"name": name, "aliases": aliases(name, p, feature), "lat": round(lat, 4),
                             "lon": round(lon, 4), "feature": feature, "scalerank": int(rank) if rank is not None else 10,
                             "layer": layer, "area": geom.geom_type != "Point"})
    return dedupe(rows)


def _near_groups(pieces: list) -> list:
    """Union-find over the pieces by distance (NEAR_DEG)."""
    parent = list(range(len(pieces)))

    def root(i):
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i
    for i in range(len(pieces)):
        for j in range(i + 1, len(pieces)):
            if root(i) != root(j) and pieces[i][1].distance(pieces[j][1]) <= NEAR_DEG:
                parent[root(j)] = root(i)
    groups: dict = {}
    for i, piece in enumerate(pieces):
        groups.setdefault(root(i), []).append(piece)
    return list(groups.values())


def dedupe(rows: list) -> list:
    """One row per feature: a lake is both in `lakes` and, as a lake centerline, in the rivers."""
    rows.sort(key=lambda r: (r["scalerank"], not r["area"], r["layer"], r["name"], r["lat"], r["lon"]))
    kept, by_name = [], {}
    for r in rows:
        near = [k for k in by_name.get(fold(r["name"]), ())
                if abs(k["lat"] - r["lat"]) <= NEAR_DEG and abs(k["lon"] - r["lon"]) <= NEAR_DEG]
        if near:
            continue
        by_name.setdefault(fold(r["name"]), []).append(r)
        kept.append(r)
    return kept


def country_codes(rows: list) -> None:
    """The country containing each point, from data/countries.geojson (blank at sea)."""
    import shapely.strtree
    feats = json.loads((ROOT / "data" / "countries.geojson").read_text(encoding="utf-8"))["features"]
    shapes = [shape(f["geometry"]) for f in feats]
    tree = shapely.strtree.STRtree(shapes)
    for r in rows:
        pt = shapely.Point(r["lon"], r["lat"])
        hits = [i for i in tree.query(pt) if shapes[i].covers(pt)]
        r["country_code"] = feats[hits[0]]["properties"]["iso_a2"] if hits else ""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--source", default=DEFAULT_SOURCE)
    ap.add_argument("--out", type=Path, default=ROOT / "data" / "natural_features.csv")
    args = ap.parse_args()
    rows = features(args.source)
    country_codes(rows)
    rows.sort(key=lambda r: (fold(r["name"]), r["feature"], r["lat"], r["lon"]))
    with open(args.out, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["name", "aliases", "lat", "lon", "country_code", "feature", "scalerank", "source"])
        for r in rows:
            w.writerow([r["name"], "|".join(r["aliases"]), f"{r['lat']:.4f}", f"{r['lon']:.4f}", r["country_code"],
                        r["feature"], r["scalerank"], f"Natural Earth 10m {r['layer']} (public domain)"])
    print(f"{len(rows)} features -> {args.out}")


if __name__ == "__main__":
    main()
