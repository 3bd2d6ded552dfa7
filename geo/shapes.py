"""Country outlines: which country a point falls in, and a point inside a country.

Shapes come from data/countries.geojson (Natural Earth 1:50m admin-0, public
domain; see data/README.md), keyed by ISO 3166-1 alpha-2. Everything is loaded
lazily on first use and cached; all of it works offline.
"""
from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import shapely
from shapely.geometry import Point, shape
from shapely.geometry.base import BaseGeometry
from shapely.ops import unary_union

PROJECT_ROOT = Path(__file__).resolve().parent.parent
COUNTRIES_PATH = PROJECT_ROOT / "data" / "countries.geojson"


@cache
def _features() -> tuple[tuple[str, BaseGeometry], ...]:
    """(iso_a2, geometry) per feature of the file, without code-less ones."""
    with open(COUNTRIES_PATH, encoding="utf-8") as f:
        data = json.load(f)
    return tuple(
        (feat["properties"]["iso_a2"], shape(feat["geometry"]))
        for feat in data["features"]
        if feat["properties"].get("iso_a2")
    )


@cache
def country_shapes() -> dict[str, BaseGeometry]:
    """Country outline per ISO alpha-2 code (features sharing a code are merged)."""
    parts: dict[str, list[BaseGeometry]] = {}
    for code, geom in _features():
        parts.setdefault(code, []).append(geom)
    return {code: geoms[0] if len(geoms) == 1 else unary_union(geoms) for code, geoms in parts.items()}


@cache
def _tree() -> tuple[shapely.STRtree, tuple[str, ...], tuple[BaseGeometry, ...]]:
    codes = tuple(code for code, _ in _features())
    geoms = tuple(geom for _, geom in _features())
    for geom in geoms:
        shapely.prepare(geom)
    return shapely.STRtree(geoms), codes, geoms


def country_at(lat: float, lon: float) -> str | None:
    """ISO alpha-2 code of the country containing (lat, lon), or None (sea, Antarctic ice shelf…)."""
    tree, codes, geoms = _tree()
    lon = (lon + 180.0) % 360.0 - 180.0 if not -180.0 <= lon <= 180.0 else lon
    point = Point(lon, lat)
    hits = [int(i) for i in tree.query(point) if geoms[int(i)].intersects(point)]
    return codes[min(hits)] if hits else None  # on a shared border: the first in file order


@cache
def country_point(iso_a2: str) -> tuple[float, float] | None:
    """A (lat, lon) guaranteed inside the country's largest polygon part, or None if unknown."""
    geom = country_shapes().get(iso_a2.upper())
    if geom is None:
        return None
    largest = max(getattr(geom, "geoms", [geom]), key=lambda part: part.area)
    p = largest.representative_point()
    return (p.y, p.x)
