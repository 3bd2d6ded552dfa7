"""The offline basemap's data build (geo/basemap.py): sizes, ranks, simplification, encoding,
what an HTML export inlines. Built once into data/cache (about a minute the first time)."""
from __future__ import annotations

import json

import pytest

from geo import basemap


def decode(a: list, nd: int) -> list[tuple[float, float]]:
    """The page's decoding (LAYER_JS `decode`): delta-coded integers -> (lon, lat)."""
    out, x, y = [], 0, 0
    for i in range(0, len(a), 2):
        x += a[i]
        y += a[i + 1]
        out.append((x / 10 ** nd, y / 10 ** nd))
    return out


@pytest.fixture(scope="module")
def built():
    return basemap.ensure_built()


def tile_of(band: int, lon: float, lat: float) -> str:
    t = basemap.BANDS[band].tile
    return f"{int((lon + 180) // t)}_{int((lat + 90) // t)}"


def load(built, band: int, key: str) -> dict:
    return json.loads((built / str(band) / f"{key}.json").read_text(encoding="utf-8"))


def test_sizes_fit_a_fast_first_paint(built):
    s = basemap.sizes()
    assert s["bands"][0]["files"] == 1
    assert s["bands"][0]["bytes"] < 300_000                     # fetched at every first paint
    total = sum(b["bytes"] for b in s["bands"])
    assert 3_000_000 < total < 25_000_000
    biggest = max(p.stat().st_size for p in built.glob("[12]/*.json"))
    assert biggest < 400_000                                    # one tile, the densest
    assert s["places"] > 100_000


def test_ranks_by_prominence_and_zoom():
    assert basemap.rank_of(11_600_000, 83) == 1                 # Karachi
    assert basemap.rank_of(41_600, 34) == 5                     # Barda
    assert basemap.rank_of(2_100, 31) == 7                      # Khankendi: small, but widely known
    assert basemap.rank_of(13_200, 49, capital=True) == 3       # Tórshavn: a capital, shown from zoom 4
    assert basemap.rank_of(500_000, 10, capital=True) == 1
    assert basemap.rank_of(300, 2) is None
    ranks = [basemap.max_rank(z) for z in range(1, 13)]
    assert ranks == sorted(ranks) and ranks[2] == 2 and ranks[7] == 7     # zoom 3 and zoom 8
    assert [basemap.band_of(z) for z in (2, 4, 5, 6, 7, 12)] == [0, 0, 1, 1, 2, 2]


def test_band_files_carry_their_ranks(built):
    from geo.gazetteer import Gazetteer
    glob0 = load(built, 0, "0")
    assert {p[3] for p in glob0["places"]} <= {0, 1, 2, 3}
    names0 = {p[2] for p in glob0["places"]}
    assert {"Karachi", "Baku", "Yerevan", "Pakistan", "Azerbaijan"} <= names0
    assert "admin1" not in glob0                                # province borders from zoom 5
    barda = next(p for p in Gazetteer.load().lookup("Barda") if p.country_code == "AZ")
    tile = load(built, 2, tile_of(2, barda.lon, barda.lat))
    got = {p[2]: p[3] for p in tile["places"]}
    assert got.get(barda.name) == basemap.rank_of(barda.population, barda.fame)
    assert all(4 <= r <= 8 for r in got.values())
    assert {"coast", "admin1", "lake", "river"} & set(tile) >= {"admin1", "river"}
    ordered = [p[3] for p in tile["places"]]
    assert ordered == sorted(ordered)                           # most prominent first


def test_coarser_bands_keep_fewer_points(built):
    # the same Caspian shore around Baku: 20° tile at zoom 5-6, 5° tile from zoom 7
    lon, lat = 49.9, 40.4
    fine = load(built, 2, tile_of(2, lon, lat))
    coarse = load(built, 1, tile_of(1, lon, lat))

    def points_in(d, key, box):
        w, s, e, n = box
        return sum(1 for line in d.get(key, []) for x, y in decode(line, d["nd"]) if w <= x <= e and s <= y <= n)
    t = basemap.BANDS[2].tile
    w, s = -180 + (lon + 180) // t * t, -90 + (lat + 90) // t * t
    box = (w, s, w + t, s + t)                                  # inside both tiles
    pf, pc = points_in(fine, "coast", box), points_in(coarse, "coast", box)
    assert pf > 0 and pc > 0 and pc < pf
    pa_f, pa_c = points_in(fine, "admin1", box), points_in(coarse, "admin1", box)
    assert 0 < pa_c < pa_f


def test_lake_sevan_is_a_lake(built):
    import shapely
    from shapely.geometry import Polygon
    lon, lat = 45.3, 40.35                                      # the middle of Lake Sevan
    d = load(built, 2, tile_of(2, lon, lat))
    polys = [Polygon(decode(rings[0], d["nd"]), [decode(r, d["nd"]) for r in rings[1:]]) for rings in d["lake"]]
    assert any(p.contains(shapely.Point(lon, lat)) for p in polys)


def test_encoding_round_trips_within_the_rounding():
    import numpy as np
    coords = np.array([[46.12345, 40.98765], [46.12349, 40.98761], [46.2, 41.0], [-179.9996, -89.0]])
    (enc,) = basemap._encode_coords(coords, np.zeros(len(coords), int), nd=3, min_points=2)
    got = decode(enc, 3)
    assert len(got) == 3                                        # the repeat (after rounding) dropped
    assert all(abs(a - b) <= 0.0005 + 1e-9 for (x, y), (a, b) in zip(got, [coords[0], coords[2], coords[3]])
               for a, b in ((x, a), (y, b)))


def test_inline_data_is_the_view_within_budget(built):
    box = basemap.view_box((40.15, 46.6), 8)
    got = basemap.inline_data(box, 8)
    assert "0/0" in got and any(k.startswith("2/") for k in got)
    assert sum(len(v) for k, v in got.items() if k != "0/0") <= basemap.INLINE_BUDGET
    world = basemap.inline_data(basemap.view_box((20, 0), 2), 2)
    assert list(world) == ["0/0"]                               # a world view needs the global file only
    cfg = basemap.page_config(None, got)
    assert "</" not in cfg
    assert json.loads(cfg)["inline"]["0/0"]["nd"] == basemap.BANDS[0].nd
