"""Online geocoders, in the style of geopy: one small class per geocoder behind one
`geocode()` interface, and wrappers (rate limit, cache) that compose around any of them.

The online fallback is OFF by default; `online_geocoder()` builds the usual stack
CachedGeocoder(RateLimited(NominatimGeocoder())) when it is switched on.
"""
from __future__ import annotations

import json
import os
import sqlite3
import threading
import time
import unicodedata
from pathlib import Path
from typing import Callable, Optional, Protocol, Sequence
from urllib.parse import urlsplit

from geo import __version__
from geo.exceptions import GeocoderError, GeocoderUnavailable
from geo.types import Place

DEFAULT_USER_AGENT = f"geo-news-mapper/{__version__} (+contact in README)"
DEFAULT_DOMAIN = "nominatim.openstreetmap.org"
PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CACHE_PATH = PROJECT_ROOT / "data" / "cache" / "geocode_cache.sqlite"


class Geocoder(Protocol):
    def geocode(self, query: str, country_codes: Sequence[str] | None = None) -> Place | None:
        ...


# --- Nominatim ------------------------------------------------------------------------------

# Nominatim's `addresstype` label (derived from the admin level or the place type) → our kind.
_KIND_BY_LABEL = {
    "country": "country",
    "state": "admin1", "province": "admin1",
    "state_district": "admin2", "county": "admin2", "municipality": "admin2", "district": "admin2",
    **dict.fromkeys(("city", "town", "village", "hamlet", "suburb", "city_district", "borough",
                     "quarter", "neighbourhood", "isolated_dwelling"), "city"),
    **dict.fromkeys(("continent", "region", "island", "archipelago", "peninsula",
                     "mountain_range", "valley", "plateau", "desert", "strait", "bay", "sea"),
                    "region"),
}


def nominatim_kind(raw: dict) -> str:
    """country | admin1 | admin2 | city | landmark | region for one Nominatim result."""
    cls, typ = raw.get("class") or raw.get("category") or "", raw.get("type") or ""
    if cls == "boundary" and typ == "administrative":
        # Admin boundaries: the search rank is twice the OSM admin_level (4=country, 8=state).
        rank = int(raw.get("place_rank") or 0)
        if rank:
            return ("country" if rank <= 4 else "admin1" if rank <= 8
                    else "admin2" if rank <= 14 else "city")
    label = raw.get("addresstype") or (typ if cls in ("place", "natural") else "")
    return _KIND_BY_LABEL.get(label, "landmark")


def _place_from_nominatim(raw: dict) -> Place:
    try:
        address = raw.get("address") or {}
        name = raw.get("name") or str(raw.get("display_name", "")).split(",")[0].strip()
        return Place(
            key=f"osm:{raw['osm_type']}:{raw['osm_id']}",
            name=name,
            lat=float(raw["lat"]),
            lon=float(raw["lon"]),
            country_code=str(address.get("country_code", "")).upper(),
            kind=nominatim_kind(raw),
            population=0,
            source="nominatim",
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise GeocoderError(f"Nominatim returned an unexpected result ({exc!r}): {raw!r}") from exc


class NominatimGeocoder:
    """OpenStreetMap Nominatim through geopy. `domain` may point at a self-hosted instance."""

    def __init__(self, user_agent: str = DEFAULT_USER_AGENT, domain: str = DEFAULT_DOMAIN,
                 scheme: str = "https", timeout: float = 10.0):
        from geopy.geocoders import Nominatim  # imported lazily: the offline path never needs it

        if not user_agent or not user_agent.strip():
            # Nominatim's usage policy requires an agent that identifies the application.
            raise ValueError("NominatimGeocoder needs a non-empty user_agent identifying this app")
        self.url = f"{scheme}://{domain.strip('/')}"
        self._nominatim = Nominatim(user_agent=user_agent, domain=domain, scheme=scheme,
                                    timeout=timeout)

    def geocode(self, query: str, country_codes: Sequence[str] | None = None) -> Place | None:
        from geopy import exc as geopy_exc

        try:
            location = self._nominatim.geocode(
                query, exactly_one=True, addressdetails=True, language="en",
                country_codes=list(country_codes) if country_codes else None)
        except (geopy_exc.GeocoderTimedOut, geopy_exc.GeocoderUnavailable) as exc:
            raise GeocoderUnavailable(f"Nominatim at {self.url} unreachable for {query!r}: {exc}") from exc
        except geopy_exc.GeopyError as exc:
            raise GeocoderError(f"Nominatim at {self.url} failed for {query!r}: {exc}") from exc
        return None if location is None else _place_from_nominatim(location.raw)


# --- Wrappers -------------------------------------------------------------------------------

class RateLimited:
    """Wraps any geocoder so that calls are at least `min_delay` seconds apart.

    The delay is measured from the end of the previous call to the start of the next, and
    calls are serialised by a lock, so concurrent threads never hit the service together.
    """

    def __init__(self, geocoder: Geocoder, min_delay: float = 1.0,
                 clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep):
        self.geocoder, self.min_delay = geocoder, min_delay
        self._clock, self._sleep = clock, sleep
        self._lock = threading.Lock()
        self._last: Optional[float] = None

    def geocode(self, query: str, country_codes: Sequence[str] | None = None) -> Place | None:
        with self._lock:
            if self._last is not None:
                wait = self._last + self.min_delay - self._clock()
                if wait > 0:
                    self._sleep(wait)
            try:
                return self.geocoder.geocode(query, country_codes)
            finally:
                self._last = self._clock()   # failed calls count too: they reached the server


class CachedGeocoder:
    """Wraps any geocoder with a persistent SQLite cache; misses (None) are cached too.

    Errors are not cached, so a failing service is retried on the next call.
    """

    def __init__(self, geocoder: Geocoder, path: str | os.PathLike | None = None):
        self.geocoder = geocoder
        self.path = Path(path) if path is not None else DEFAULT_CACHE_PATH
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(self.path, check_same_thread=False)
        with self._db:
            self._db.execute("CREATE TABLE IF NOT EXISTS geocode (query TEXT NOT NULL, "
                             "countries TEXT NOT NULL, place TEXT, created REAL NOT NULL, "
                             "PRIMARY KEY (query, countries))")

    @staticmethod
    def key(query: str, country_codes: Sequence[str] | None = None) -> tuple[str, str]:
        q = " ".join(unicodedata.normalize("NFKC", query).casefold().split())
        return q, ",".join(sorted({c.strip().lower() for c in country_codes or () if c.strip()}))

    def geocode(self, query: str, country_codes: Sequence[str] | None = None) -> Place | None:
        key = self.key(query, country_codes)
        with self._lock:
            row = self._db.execute("SELECT place FROM geocode WHERE query=? AND countries=?",
                                   key).fetchone()
        if row is not None:
            return None if row[0] is None else Place(**json.loads(row[0]))
        place = self.geocoder.geocode(query, country_codes)
        blob = None if place is None else json.dumps(place.to_dict())
        with self._lock, self._db:
            self._db.execute("INSERT OR REPLACE INTO geocode VALUES (?, ?, ?, ?)",
                             (*key, blob, time.time()))
        return place

    def close(self) -> None:
        self._db.close()


# --- Factory --------------------------------------------------------------------------------

def online_geocoder(enabled: bool = False, domain: str | None = None, scheme: str = "https",
                    user_agent: str | None = None,
                    cache_path: str | os.PathLike | None = None) -> Geocoder | None:
    """The online fallback, or None when it is off (the default).

    Switched on by `enabled=True` or the env var GEO_ONLINE=1; GEO_NOMINATIM_URL
    (e.g. "http://127.0.0.1:8080") points it at another Nominatim when `domain` is not given.
    """
    if not (enabled or os.environ.get("GEO_ONLINE", "").strip().lower() in ("1", "true", "yes")):
        return None
    domain = domain or os.environ.get("GEO_NOMINATIM_URL") or DEFAULT_DOMAIN
    if "://" in domain:   # a full URL: its scheme wins over the argument
        parts = urlsplit(domain)
        scheme, domain = parts.scheme, parts.netloc + parts.path
    nominatim = NominatimGeocoder(user_agent=DEFAULT_USER_AGENT if user_agent is None else user_agent,
                                  domain=domain, scheme=scheme)
    # Cache outside the rate limiter so cached hits return at once.
    return CachedGeocoder(RateLimited(nominatim), cache_path)
