"""The online geocoder stack against a local imitation of Nominatim's /search (never the internet)."""
from __future__ import annotations

import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest

from geo.exceptions import GeocoderError, GeocoderUnavailable
from geo.geocoders import (DEFAULT_USER_AGENT, CachedGeocoder, NominatimGeocoder, RateLimited,
                           nominatim_kind, online_geocoder)

# Trimmed copies of real Nominatim answers (format=json, addressdetails=1).
RESULTS = {
    "stepanakert": {
        "place_id": 1, "osm_type": "node", "osm_id": 274227466, "lat": "39.8152", "lon": "46.7519",
        "class": "place", "type": "city", "place_rank": 16, "addresstype": "city",
        "name": "Khankendi", "display_name": "Khankendi, Azerbaijan",
        "address": {"city": "Khankendi", "country": "Azerbaijan", "country_code": "az"},
    },
    "qatraneh": {
        "place_id": 3, "osm_type": "node", "osm_id": 1, "lat": "31.2456", "lon": "36.0511",
        "class": "place", "type": "village", "place_rank": 19, "addresstype": "village",
        "name": "Qatraneh", "display_name": "Qatraneh, Karak, Jordan",
        "address": {"village": "Qatraneh", "country": "Jordan", "country_code": "jo"},
    },
    "armenia": {
        "place_id": 2, "osm_type": "relation", "osm_id": 364066, "lat": "40.7696", "lon": "44.6736",
        "class": "boundary", "type": "administrative", "place_rank": 4, "addresstype": "country",
        "name": "Armenia", "display_name": "Armenia",
        "address": {"country": "Armenia", "country_code": "am"},
    },
}


class FakeNominatim(BaseHTTPRequestHandler):
    requests: list = []   # (monotonic time, path, headers, query params), shared with the tests

    def do_GET(self):
        parts = urlsplit(self.path)
        params = {k: v[0] for k, v in parse_qs(parts.query).items()}
        self.requests.append((time.monotonic(), self.path, dict(self.headers), params))
        q = params.get("q", "").lower()
        if parts.path != "/search" or q == "boom":
            status, body = 500, {"error": "internal"}
        else:
            status, body = 200, [RESULTS[q]] if q in RESULTS else []
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):   # keep test output quiet
        pass


@pytest.fixture(scope="module")
def server():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), FakeNominatim)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def received(server, monkeypatch):
    """The requests the server received during this test."""
    for var in ("GEO_ONLINE", "GEO_NOMINATIM_URL", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY",
                "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(var, raising=False)   # a system proxy must not capture 127.0.0.1
    FakeNominatim.requests = []
    return FakeNominatim.requests


def nominatim(server, **kw):
    return NominatimGeocoder(domain=server, scheme="http", timeout=5, **kw)


def test_known_name_returns_place(server, received):
    place = nominatim(server).geocode("Stepanakert")
    assert place.key == "osm:node:274227466"
    assert (place.name, place.lat, place.lon) == ("Khankendi", 39.8152, 46.7519)
    assert (place.country_code, place.kind, place.source) == ("AZ", "city", "nominatim")
    params = received[0][3]
    assert received[0][1].startswith("/search?")
    assert params["q"] == "Stepanakert" and params["format"] == "json"
    assert params["addressdetails"] == "1" and params["accept-language"] == "en"


def test_user_agent_and_country_codes_reach_server(server, received):
    place = nominatim(server, user_agent="test-agent/9 (me@example.org)").geocode(
        "Armenia", country_codes=["am", "az"])
    assert (place.kind, place.country_code) == ("country", "AM")
    _, _, headers, params = received[0]
    assert headers["User-Agent"] == "test-agent/9 (me@example.org)"
    assert params["countrycodes"] == "am,az"


def test_default_user_agent_is_ours_and_empty_is_refused(server, received):
    nominatim(server).geocode("Armenia")
    assert received[0][2]["User-Agent"] == DEFAULT_USER_AGENT
    assert DEFAULT_USER_AGENT.startswith("geo-news-mapper/0.1")
    with pytest.raises(ValueError):
        nominatim(server, user_agent="  ")


def test_unknown_name_returns_none(server, received):
    assert nominatim(server).geocode("Nowhereville") is None
    assert len(received) == 1


def test_server_error_raises_geocoder_error(server, received):
    with pytest.raises(GeocoderError, match="boom"):
        nominatim(server).geocode("boom")


def test_unreachable_server_raises_unavailable(received):
    with socket.socket() as s:   # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(GeocoderUnavailable):
        NominatimGeocoder(domain=f"127.0.0.1:{port}", scheme="http", timeout=2).geocode("Armenia")


@pytest.mark.parametrize("raw, kind", [
    ({"class": "boundary", "type": "administrative", "place_rank": 8, "addresstype": "state"}, "admin1"),
    ({"class": "boundary", "type": "administrative", "place_rank": 12, "addresstype": "county"}, "admin2"),
    ({"class": "boundary", "type": "administrative", "place_rank": 16, "addresstype": "city"}, "city"),
    ({"class": "place", "type": "province", "addresstype": "province"}, "admin1"),
    ({"class": "place", "type": "village", "addresstype": "village"}, "city"),
    ({"class": "place", "type": "region", "addresstype": "region"}, "region"),
    ({"class": "natural", "type": "mountain_range"}, "region"),
    ({"class": "amenity", "type": "place_of_worship", "addresstype": "amenity"}, "landmark"),
])
def test_kind_mapping(raw, kind):
    assert nominatim_kind(raw) == kind


def test_rate_limited_spaces_real_calls(server, received):
    geocoder = RateLimited(nominatim(server), min_delay=0.2)
    geocoder.geocode("Armenia")
    geocoder.geocode("Stepanakert")
    assert len(received) == 2
    assert received[1][0] - received[0][0] >= 0.2


def test_rate_limited_uses_injected_clock_and_sleep():
    now, sleeps = [100.0], []

    class Echo:
        def geocode(self, query, country_codes=None):
            return None

    def sleep(seconds):
        sleeps.append(seconds)
        now[0] += seconds

    geocoder = RateLimited(Echo(), min_delay=1.0, clock=lambda: now[0], sleep=sleep)
    geocoder.geocode("a")
    now[0] += 0.25
    geocoder.geocode("b")
    now[0] += 5
    geocoder.geocode("c")
    assert sleeps == [0.75]


def test_cache_avoids_repeat_requests_and_persists(server, received, tmp_path):
    path = tmp_path / "sub" / "cache.sqlite"
    cached = CachedGeocoder(nominatim(server), path)
    first = cached.geocode("Stepanakert")
    assert cached.geocode("  stepanakert ") == first   # normalised key
    assert len(received) == 1
    cached.geocode("Stepanakert", country_codes=["az"])   # other countries: another key
    assert len(received) == 2
    cached.close()

    reopened = CachedGeocoder(nominatim(server), path)   # as after a process restart
    assert reopened.geocode("Stepanakert") == first
    assert reopened.geocode("Stepanakert", country_codes=["AZ"]) == first
    assert len(received) == 2
    reopened.close()


def test_cache_stores_negative_results_but_not_errors(server, received, tmp_path):
    path = tmp_path / "cache.sqlite"
    cached = CachedGeocoder(nominatim(server), path)
    assert cached.geocode("Nowhereville") is None
    assert cached.geocode("Nowhereville") is None
    assert CachedGeocoder(nominatim(server), path).geocode("Nowhereville") is None
    assert len(received) == 1
    for _ in range(2):
        with pytest.raises(GeocoderError):
            cached.geocode("boom")
    assert len(received) == 3


def test_online_geocoder_is_off_by_default(received):
    assert online_geocoder() is None


def test_online_geocoder_from_env(server, received, tmp_path, monkeypatch):
    monkeypatch.setenv("GEO_ONLINE", "1")
    monkeypatch.setenv("GEO_NOMINATIM_URL", f"http://{server}")
    geocoder = online_geocoder(cache_path=tmp_path / "c.sqlite")
    assert isinstance(geocoder, CachedGeocoder) and isinstance(geocoder.geocoder, RateLimited)
    assert geocoder.geocode("Armenia").country_code == "AM"
    assert geocoder.geocode("Armenia").country_code == "AM"
    assert len(received) == 1
    assert received[0][2]["User-Agent"] == DEFAULT_USER_AGENT


def test_geoparser_falls_back_online_only_for_names_the_gazetteer_lacks(server, received, tmp_path):
    """The whole pipeline with --online: offline names never reach the server, unknown ones do."""
    from geo.gazetteer import Gazetteer
    from geo.pipeline import Geoparser
    from geo.types import Span

    online = CachedGeocoder(RateLimited(nominatim(server), min_delay=0.0), path=tmp_path / "cache.sqlite")
    gp = Geoparser(gazetteer=Gazetteer.load(), use_ner=False, online_geocoder=online)
    assert gp.gazetteer.lookup("Qatraneh") == []          # a village the offline gazetteer lacks
    text = "Convoys left Qatraneh for Barda."
    spans = [Span(13, 21, "Qatraneh"), Span(26, 31, "Barda")]
    qatraneh, barda = gp.resolve(text, spans)
    assert barda.place.country_code == "AZ" and barda.place.source != "nominatim"
    assert [r[3].get("q") for r in received] == ["Qatraneh"]
    assert qatraneh.place.source == "nominatim" and qatraneh.place.country_code == "JO"
    assert abs(qatraneh.place.lat - 31.2456) < 1e-6
