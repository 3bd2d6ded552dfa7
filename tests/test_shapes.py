"""Behaviour of geo.shapes and the committed data/countries.geojson."""
import json

import shapely
from shapely.geometry import Point, shape

from geo.shapes import COUNTRIES_PATH, country_at, country_point, country_shapes


def test_baku_is_in_azerbaijan():
    assert country_at(40.38, 49.89) == "AZ"


def test_barda_perm_krai_is_in_russia():
    assert country_at(56.93, 55.59) == "RU"


def test_open_atlantic_is_in_no_country():
    assert country_at(30, -40) is None


def test_across_the_antimeridian():
    assert country_at(66.0, -172.0) == "RU"  # Chukotka, east of 180
    assert country_at(-16.85, -179.97) == "FJ"  # Taveuni
    assert country_at(-75.0, 0.0) == "AQ"


def test_georgia_is_the_country_not_the_us_state():
    ge = country_shapes()["GE"]
    assert ge.contains(Point(44.80, 41.69))  # Tbilisi (lon, lat)
    assert not ge.contains(Point(-84.39, 33.75))  # Atlanta


def test_file_has_at_least_200_valid_countries():
    features = json.loads(COUNTRIES_PATH.read_text(encoding="utf-8"))["features"]
    assert len(features) >= 200
    for feat in features:
        geom = shape(feat["geometry"])
        assert geom.geom_type in ("Polygon", "MultiPolygon"), feat["properties"]
        assert shapely.is_valid(geom), feat["properties"]
        assert set(feat["properties"]) == {"iso_a2", "name"}
    assert len(country_shapes()) >= 200


def test_country_point_lies_inside_the_country():
    lat, lon = country_point("AZ")
    assert country_at(lat, lon) == "AZ"
    lat, lon = country_point("fr")
    assert 41 < lat < 52 and -5 < lon < 10  # metropolitan France, not French Guiana
    assert country_point("ZZ") is None
