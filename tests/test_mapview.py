"""The map as a user meets it: no CDN, escaped popups, honest shapes, a dated legend, and a real
browser (Chromium, network blocked) showing the map from one standalone file and inside
Streamlit through streamlit-folium with the static-serving assets.

Browser tests skip when /usr/bin/chromium is missing, except with CI=true (then they fail).
"""
from __future__ import annotations

import json
import re

import pytest

from geo import assets
from geo.mapview import TYPE_COLOURS, build_map, event_layer, event_payload, sentence_parts, standalone_html
from tests.browser import (COUNT_JS, ROOT, STREAMLIT_FOLIUM_IFRAME, assert_only_tiles_blocked, streamlit_server,
                           watch)

XSS_SCRIPT = "<script>window.__xss = 'script'</script>"
XSS_IMG = "<img src=x onerror=\"window.__xss = 'img'\">"
XSS = XSS_SCRIPT + XSS_IMG

URL_RE = re.compile(r"https?://[^\s\"'<>()\\]+")
# The only absolute URLs a page may contain: the OSM tile template and attribution/credit links
# (plain <a href> the user may follow), Leaflet's own "Leaflet" credit link, the SVG namespace
# and a comment in leaflet.css; the test events' article URLs; Leaflet.heat's credits.
ALLOWED_URL_PREFIXES = (
    "https://tile.openstreetmap.org/{z}/{x}/{y}.png",
    "https://www.openstreetmap.org/copyright",
    "https://www.naturalearthdata.com/",
    "https://www.geonames.org/",
    "https://creativecommons.org/licenses/by/4.0/",
    "https://leafletjs.com",
    "http://www.w3.org/2000/svg",
    "https://bugzilla.mozilla.org/show_bug.cgi?id=888319",
    "https://news.example.org/",
    # comments crediting Leaflet.heat and simpleheat in folium's leaflet_heat.min.js (never fetched)
    "https://github.com/Leaflet/Leaflet.heat", "https://leaflet.github.io/Leaflet.heat/",
    "https://github.com/mourner/simpleheat",
)
CDN_HOSTS = ("jsdelivr", "cdnjs", "cloudflare", "code.jquery.com", "bootstrapcdn", "unpkg",
             "googleapis", "d3js.org", "fontawesome", "rawcdn", "gitcdn")


def ev(i: int, **kw) -> dict:
    """An event dict as `geo.store.Store.events()` returns it."""
    day = f"2024-03-{1 + i % 28:02d}"
    e = {"id": i, "article_id": 1 + i // 5, "name": f"Town{i}", "lat": 50.0 + (i % 7) * 0.3,
         "lon": 30.0 + (i % 5) * 0.4, "country_code": "UA", "kind": "city", "date": day,
         "date_end": None, "day_start": day, "day_end": day, "precision": "day",
         "date_source": "stated", "sentence": f"Shelling was reported in Town{i} on Tuesday.",
         "confidence": 0.8, "place_key": f"geonames:{1000 + i}",
         "alternatives": [{"name": f"Town{i}", "lat": 40.0, "lon": -80.0, "country_code": "US",
                           "kind": "city", "score": 0.12}],
         "corrected": 0, "title": f"Article {1 + i // 5}", "url": f"https://news.example.org/a/{1 + i // 5}",
         "published": "2024-03-29", "mention_start": 10, "mention_end": 15}
    e.update(kw)
    return e


def xss_event(i: int = 900, **kw) -> dict:
    return ev(i, name="Wellington" + XSS, lat=-41.29, lon=174.78, country_code="NZ",
              title="Riots " + XSS, sentence="Riots in Wellington" + XSS + " went on.",
              url="javascript:window.__xss='link'",
              alternatives=[{"name": XSS, "country_code": "AU" + XSS, "kind": "city", "score": 0.2}], **kw)


def decode_payload(rendered: str) -> dict:
    """The event layer's JSON as the browser receives it (one per rendered page here)."""
    m = re.search(r"var D = (\{.*?\});\n", rendered)
    assert m, "no event payload in the page"
    return json.loads(m.group(1))


def names_of(payload: dict, incidents) -> list[str]:
    """The place names of incidents (by index), as their representative event names them."""
    return [payload["events"][payload["incidents"][i][0][0]][0] for i in incidents]


def assert_no_cdn(page: str) -> None:
    urls = set(URL_RE.findall(page))
    stray = sorted(u for u in urls if not u.startswith(ALLOWED_URL_PREFIXES))
    assert not stray, f"unexpected absolute URLs in the page: {stray[:5]}"
    assert not any(h in page for h in CDN_HOSTS), [h for h in CDN_HOSTS if h in page]
    assert not re.search(r"<script[^>]+src=[\"']?https?:", page)
    assert not re.search(r"<link[^>]+href=[\"']?https?:", page)


@pytest.fixture(autouse=True)
def _fresh_asset_urls(monkeypatch):
    monkeypatch.setattr(assets, "_current", None)   # ensure_static_assets sets a module default


# --------------------------------------------------------------------------- offline assets

def test_rendered_map_uses_only_local_assets(tmp_path):
    events = [ev(i) for i in range(6)] + [ev(7, kind="country", country_code="FR", lat=46.6, lon=2.4)]
    urls = assets.ensure_static_assets(tmp_path / "static", static_serving=True)
    m = build_map(events, window=("2024-03-01", "2024-03-31"))
    page = m.get_root().render()
    assert_no_cdn(page)
    # Leaflet, jQuery (folium popups), markercluster and Leaflet.heat, from the static-serving paths
    srcs = re.findall(r'<script src="([^"]+)"', page)
    assert [s.rsplit("/", 1)[-1] for s in srcs] == ["leaflet.js", "jquery.min.js", "leaflet.markercluster.js",
                                                    "leaflet-heat.js"]
    assert srcs == [urls[k] for k in assets.JS_KEYS]
    assert all(s.startswith(assets.STATIC_URL_PREFIX) for s in srcs)
    hrefs = re.findall(r'<link rel="stylesheet" href="([^"]+)"', page)
    assert sorted(h.rsplit("/", 1)[-1] for h in hrefs) == [
        "MarkerCluster.Default.css", "MarkerCluster.css", "leaflet.css"]
    # no icon fonts, no Bootstrap, no awesome-markers: nothing that would draw blank boxes
    for dropped in ("bootstrap", "font-awesome", "fontawesome", "awesome-markers", "glyphicon", "fa-"):
        assert dropped not in page.lower()
    # folium's own defaults are untouched for other maps
    import folium
    assert "jsdelivr" in dict(folium.Map.default_js)["leaflet"]


def test_standalone_file_inlines_every_asset():
    page = standalone_html([ev(i) for i in range(3)], window=("2024-03-01", "2024-03-31"))
    assert_no_cdn(page)
    assert not re.search(r"<script\s[^>]*\bsrc=", page)      # nothing to fetch…
    assert not re.search(r"<link\s[^>]*\bhref=", page)
    assert "L.MarkerClusterGroup" in page and "jQuery" in page and ".leaflet-container" in page
    assert "url(images/" not in page                  # leaflet.css images inlined as data: URIs
    assert "sourceMappingURL" not in page
    # the vector basemap is inlined too (countries by name)
    assert '"name":"France"' in page and '"name":"Brazil"' in page


def credits(page: str) -> str:
    """The attribution texts the page gives Leaflet (tile layer option and addAttribution)."""
    found = re.findall(r'"attribution": ("(?:[^"\\]|\\.)*")', page)
    found += re.findall(r'addAttribution\(("(?:[^"\\]|\\.)*")\)', page)
    return " | ".join(json.loads(s) for s in found)


def test_osm_tiles_and_credits():
    page = build_map().get_root().render()
    assert "https://tile.openstreetmap.org/{z}/{x}/{y}.png" in page
    text = credits(page)
    assert '<a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors' in text
    assert ">Natural Earth</a>" in text
    assert ">GeoNames</a>" in text and ">CC BY 4.0</a>" in text
    no_tiles = build_map(tiles=False).get_root().render()
    assert "tile.openstreetmap.org" not in no_tiles and "OpenStreetMap" not in credits(no_tiles)
    assert "Natural Earth" in credits(no_tiles) and "GeoNames" in credits(no_tiles)


def test_static_assets_are_copied_and_mapped(tmp_path, monkeypatch):
    urls = assets.ensure_static_assets(tmp_path / "static", static_serving=True)
    vendor = tmp_path / "static" / "vendor"
    for key in assets.JS_KEYS + assets.CSS_KEYS + ("basemap",):
        assert urls[key].startswith("../../app/static/vendor/")
        path = vendor / urls[key][len(assets.STATIC_URL_PREFIX):]
        assert path.is_file() and path.stat().st_size > 500, key
    assert (vendor / "leaflet" / "images" / "layers.png").is_file()   # leaflet.css's url(images/…)
    leaflet = (vendor / "leaflet" / "leaflet.js").read_text(encoding="utf-8")
    assert "1.9.3" in leaflet
    basemap = json.loads((vendor / assets.BASEMAP_FILE).read_text(encoding="utf-8"))
    assert len(basemap["features"]) > 200
    # build_map now uses these URLs by default (before the call: data: URIs, which always work)
    assert urls["leaflet_js"] in build_map().get_root().render()
    monkeypatch.setattr(assets, "_current", None)
    assert 'src="data:text/javascript;base64,' in build_map().get_root().render()
    # static serving off: the map still works, with data: URIs
    fallback = assets.ensure_static_assets(tmp_path / "static", static_serving=False)
    assert all(u.startswith("data:") for u in fallback.values())
    page = build_map().get_root().render()
    assert 'src="data:text/javascript;base64,' in page
    assert_no_cdn(page)


# --------------------------------------------------------------------------- untrusted text

def test_article_text_travels_as_data_not_markup():
    """The payload carries article text verbatim (the page escapes it); no markup is built from it
    on the server, and nothing in it can end the <script> it travels in."""
    e = xss_event()
    page = standalone_html([e, ev(1)])
    p = decode_payload(page)
    row = next(r for r in p["events"] if r[0].startswith("Wellington"))
    assert row[0] == "Wellington" + XSS and row[4] == [["Riots in ", 0], ["Wellington" + XSS, 1], [" went on.", 0]]
    assert p["articles"][row[15]][0] == "Riots " + XSS
    assert p["articles"][row[15]][1] is None                 # javascript: is no source link
    script = page.split("var D = ", 1)[1].split(";\n", 1)[0]
    assert "</script" not in script.lower() and "<!--" not in script   # cannot end or confuse the <script>


def test_template_syntax_in_articles_is_shown_not_run():
    """folium/branca compile rendered element text as Jinja: `{{ }}` from an article must stay
    text (a plain folium.Popup would run it on the server)."""
    title = "{{ 6*7 }} {{ cycler.__init__.__globals__.os.getpid() }}"
    sentence = "Town1 {% for x in range(3) %}x{% endfor %} {# c #}"
    events = [ev(1, title=title, sentence=sentence, name="Town1"),
              ev(2, kind="country", country_code="FR", lat=46.6, lon=2.4, name="{{ 7*7 }}",
                 title="{{'feature_group_0'}}", article_id=2)]
    for page in (build_map(events).get_root().render(), standalone_html(events)):
        p = decode_payload(page)
        assert title in [a[0] for a in p["articles"]] and "{{'feature_group_0'}}" in [a[0] for a in p["articles"]]
        assert "".join(t for t, _ in p["events"][0][4]) == sentence and "{{ 7*7 }}" in [r[0] for r in p["events"]]
        assert "{{" not in page.split("var D = ", 1)[1].split(";\n", 1)[0]


def test_streamlit_folium_passes_the_layer_through_intact():
    """What st_folium sends as `feature_group` decodes to exactly our payload (its regexes rename
    folium variables inside the generated JS)."""
    from streamlit_folium import _get_feature_group_string, _get_map_string

    events = [ev(i) for i in range(5)] + [xss_event(), ev(20, title="_blank_0 {{'x'}} map_div")]
    m = build_map()
    m.get_root().render()
    _get_map_string(m)
    js = _get_feature_group_string(event_layer(events, window=("2024-03-01", "2024-03-31")), m)
    assert json.loads(re.search(r"var D = (\{.*?\});\n", js).group(1)) == json.loads(
        json.dumps(event_payload(events, window=("2024-03-01", "2024-03-31"))))
    assert "map_div.addLayer(feature_group_feature_group_0)" in js


# --------------------------------------------------------------------------- shapes, colours, legend

def test_country_is_an_area_and_a_town_is_a_point():
    events = [ev(1, name="Lviv"),
              ev(2, name="France", kind="country", country_code="FR", lat=46.6, lon=2.4),
              ev(3, name="France", kind="country", country_code="FR", lat=46.6, lon=2.4, date="2024-03-20",
                 day_start="2024-03-20", day_end="2024-03-20"),
              ev(4, name="Bavaria", kind="admin1", country_code="DE", lat=48.9, lon=11.4),
              ev(5, name="Europe", kind="continent", country_code=None, lat=50.0, lon=10.0),
              ev(6, name="Eiffel Tower", kind="landmark", country_code="FR", lat=48.858, lon=2.294)]
    p = event_payload(events)
    assert sorted(names_of(p, [pt[2] for pt in p["points"]])) == ["Eiffel Tower", "Lviv"]
    by_name = {names_of(p, a[6])[0]: a for a in p["areas"]}
    assert set(by_name) == {"France", "Bavaria", "Europe"}
    france = by_name["France"]
    assert france[0] == "FR" and p["shapes"]["FR"]["type"] in ("Polygon", "MultiPolygon")
    assert france[7] == 2 and "(2 events)" in france[5] and len(france[6]) == 2   # one area, both events
    assert by_name["Bavaria"][0] is None and by_name["Europe"][0] is None            # circles…
    assert by_name["Europe"][3] > by_name["Bavaria"][3] >= 50_000                     # …sized by kind
    # the map draws them as paths (areas) and the towns as clustered pins
    page = build_map(events).get_root().render()
    assert "L.markerClusterGroup" in page and "L.geoJSON(D.shapes" in page and "L.circle(" in page


def test_colours_follow_the_type_and_the_legend_lists_the_types_shown():
    events = [ev(0, type="battle"), ev(1, type="protest"), ev(2, type="protest"), ev(3),          # no type: other
              ev(4, type="no such type"),
              ev(5, type="disaster_accident", kind="country", country_code="FR", lat=46.6, lon=2.4),
              ev(6, type="protest", kind="country", country_code="FR", lat=46.6, lon=2.4)]
    p = event_payload(events, window=("2024-03-01", "2024-03-31"))
    kind_of = {names_of(p, [pt[2]])[0]: p["events"][p["incidents"][pt[2]][0][0]][10] for pt in p["points"]}
    assert kind_of == {"Town0": "battle", "Town1": "protest", "Town2": "protest", "Town3": "other", "Town4": "other"}
    assert p["types"]["battle"] == ["Battle", TYPE_COLOURS["battle"]]
    assert set(p["types"]) == {"battle", "protest", "other", "disaster_accident"}
    # a country with events of two types: two areas, one per type
    assert sorted(a[4] for a in p["areas"]) == ["disaster_accident", "protest"]
    legend = p["legend"]
    assert "Event type · 7 events" in legend and "Protest <span class=\"ev-legend-n\">3</span>" in legend
    assert "Battle" in legend and "Disaster / accident" in legend and "Riot" not in legend
    assert "Everything" not in legend and "2024-03-01" not in legend           # no date ramp: dates are on the timeline
    # the legend travels with the event layer, in the page
    page = build_map(events, window=("2024-03-01", "2024-03-31")).get_root().render()
    assert decode_payload(page)["legend"] == legend


def test_events_of_one_incident_are_one_pin_with_every_source():
    sibi = dict(name="Sibi", lat=29.543, lon=67.877, country_code="PK", type="explosion_remote_violence",
                incident_id=7, n_sources=3)
    events = [ev(1, article_id=11, title="First", url="https://a.example/1", sentence="A bomb went off in Sibi.",
                 **sibi),
              ev(2, article_id=12, title="Second", url="javascript:alert(1)", sentence="Sibi blast kills five.",
                 **sibi),
              ev(3, article_id=13, title="Third", url=None, sentence="The blast in Sibi targeted a rally.", **sibi,
                 representative=True),
              ev(4, article_id=13, name="Quetta", lat=30.18, lon=67.0)]
    p = event_payload(events)
    assert len(p["points"]) == 2 and len(p["incidents"]) == 2
    sibi_inc = next(inc for inc in p["incidents"] if len(inc[0]) == 3)
    rows, n, ref = sibi_inc
    assert n == 3 and ref == 3                        # three articles; the store's representative first
    assert [p["articles"][p["events"][k][15]][0] for k in rows] == ["Third", "First", "Second"]
    assert "Event type · 4 events · 2 incidents" in p["legend"]
    # grouped after filtering: one source left is a plain pin
    one = event_payload(events[:1])
    assert one["incidents"] == [[[0], 1, 1]]


def test_sentence_parts_mark_the_place_and_the_trigger():
    text = "Yesterday rebels attacked the town of Sibi, officials said."
    e = {"name": "Sibi", "sentence_start": 0, "mention_start": 38, "mention_end": 42,
         "trigger": {"start": 17, "end": 25, "text": "attacked"}}
    assert sentence_parts(text, e) == [["Yesterday rebels ", 0], ["attacked", 2], [" the town of ", 0],
                                       ["Sibi", 1], [", officials said.", 0]]
    # without the sentence's offset: found from the place's offsets, or by its text
    e2 = {**e, "sentence_start": None, "mention_start": 138, "mention_end": 142,
          "trigger": {"start": 117, "end": 125, "text": "attacked"}}
    assert sentence_parts(text, e2) == sentence_parts(text, e)
    e3 = {"name": "Sibi", "trigger": {"start": 5000, "end": 5008, "text": "Attacked"}}
    assert ["attacked", 2] in sentence_parts(text, e3)
    # a trigger inside the place, one not in the sentence, none at all: only the place is marked
    for t in ({"start": 38, "end": 42, "text": "Sibi"}, {"start": 0, "end": 5, "text": "bombed"}, None, "junk"):
        assert sentence_parts(text, {**e, "trigger": t}) == [["Yesterday rebels attacked the town of ", 0],
                                                             ["Sibi", 1], [", officials said.", 0]]
    assert sentence_parts("No place here.", {"name": "Sibi"}) == [["No place here.", 0]]


def test_base_map_is_identical_across_reruns():
    """streamlit-folium keys the component on the base map's script: it must not change."""
    from streamlit_folium import _get_map_string, generate_js_hash

    def key():
        m = build_map()
        m.get_root().render()
        return generate_js_hash(_get_map_string(m))
    assert key() == key()


# --------------------------------------------------------------------------- real browser
# The `browser` fixture is in conftest.py; `watch`, `COUNT_JS` and `streamlit_server` in tests/browser.py.


def test_standalone_map_works_offline_in_chromium(browser, tmp_path):
    window = ("2024-03-01", "2024-03-31")
    towns = [ev(i, lat=49.0 + (i % 9) * 0.25, lon=29.0 + (i // 9) * 0.3) for i in range(44)]
    areas = [ev(60, name="France", kind="country", country_code="FR", lat=46.6, lon=2.4),
             ev(61, name="France", kind="country", country_code="FR", lat=46.6, lon=2.4),
             ev(62, name="Brazil", kind="country", country_code="BR", lat=-10.0, lon=-52.0),
             ev(63, name="Bavaria", kind="admin1", country_code="DE", lat=48.9, lon=11.4),
             ev(64, name="Sahel", kind="region", country_code=None, lat=15.0, lon=5.0, date=None,
                day_start=None, day_end=None)]
    events = towns + [xss_event()] + areas
    assert len(events) == 50
    path = tmp_path / "map.html"
    path.write_text(standalone_html(events, window=window), encoding="utf-8")

    page = browser.new_page(viewport={"width": 1200, "height": 800})
    seen = watch(page, ("file:", "data:"))
    page.goto(path.as_uri())
    page.wait_for_function(f"() => ({COUNT_JS})().pins + ({COUNT_JS})().clustered === 45", timeout=10_000)
    page.wait_for_function(f"() => ({COUNT_JS})().basemap > 200", timeout=10_000)
    counts = page.evaluate(COUNT_JS)
    assert counts["pins"] + counts["clustered"] == 45          # every town, as a pin or in a cluster
    assert counts["countries"] == 2 and counts["circles"] == 2  # France (2 events, 1 area), Brazil
    assert not any("is not defined" in e for e in seen["errors"]), seen["errors"]
    assert seen["errors"] == []
    # only the OSM tiles tried the network (and failed): the map drew anyway
    assert seen["blocked"] and all(u.startswith("https://tile.openstreetmap.org/") for u in seen["blocked"])

    legend = page.inner_text(".ev-legend")
    assert legend.startswith("Event type · 50 events") and "Other 50" in legend
    credits = page.inner_text(".leaflet-control-attribution")
    assert "OpenStreetMap" in credits and "Natural Earth" in credits and "GeoNames" in credits

    # the Wellington pin: tooltip and popup show the injected markup as text, and nothing runs
    pins = page.locator(".ev-pin")
    target = None
    for k in range(pins.count()):
        pins.nth(k).hover()
        tip = page.locator(".leaflet-tooltip").last
        tip.wait_for(timeout=3000)
        if tip.inner_text().startswith("Wellington"):
            target = pins.nth(k)
            break
    assert target is not None, "no pin shows the Wellington tooltip"
    assert XSS_SCRIPT in page.locator(".leaflet-tooltip").last.inner_text()
    target.click()
    popup = page.locator(".leaflet-popup-content")
    popup.wait_for(timeout=5000)
    text = popup.inner_text()
    assert "Riots " + XSS in text                              # the title, literally
    assert "Riots in Wellington" + XSS_SCRIPT in text          # the sentence, literally
    assert "2024-03-05 (day, stated in the article)" in text and text.startswith("Other")
    assert "confidence 0.80" in text and "Other candidates" in text
    assert popup.locator("script, img, a").count() == 0        # no element from the text; no link
    assert popup.locator("mark").count() == 1
    page.wait_for_timeout(200)
    assert page.evaluate("window.__xss") is None
    assert seen["errors"] == []
    page.close()


def built_popups(browser, tmp_path, events) -> dict[str, tuple[str, str]]:
    """{article title of the incident's first source: (popup HTML, tooltip HTML)} as the page's
    script builds them in Chromium."""
    page_html = standalone_html(events)
    p = decode_payload(page_html)
    path = tmp_path / "popups.html"
    path.write_text(page_html, encoding="utf-8")
    page = browser.new_page()
    seen = watch(page, ("file:", "data:"))
    page.goto(path.as_uri())
    page.wait_for_function("() => window.__eventLayer !== undefined", timeout=10_000)
    built = page.evaluate("n => [...Array(n).keys()].map(k => [window.__eventLayer.eventPopupHtml(k),"
                          " window.__eventLayer.eventTooltipHtml(k)])", len(p["incidents"]))
    assert page.evaluate("window.__xss") is None and seen["errors"] == []
    page.close()
    return {p["articles"][p["events"][inc[0][0]][15]][0]: tuple(b) for inc, b in zip(p["incidents"], built)}


def test_popup_and_tooltip_escape_article_text(browser, tmp_path):
    popup, tip = built_popups(browser, tmp_path, [xss_event()])["Riots " + XSS]
    assert "<script" not in popup and "<img" not in popup
    assert "&lt;script&gt;window.__xss" in popup and "&lt;img src=x onerror=" in popup
    assert "javascript:" not in popup and "<a " not in popup       # not an http(s) URL: no link
    text, ref = tip.split('<span class="ev-ref">')
    assert "<" not in text and text.startswith("Wellington&lt;script&gt;")
    assert text.endswith(" · 2024-03-05 · Other") and ref == "[#900]</span>"


def test_popup_shows_what_the_user_needs(browser, tmp_path):
    events = [ev(3, title="Strikes & <b>fires</b>", sentence="Sirens sounded across Kharkiv at dawn.",
                 name="Kharkiv", date="2024-03-04", precision="day", date_source="published",
                 confidence=0.734, published="2024-03-04", mention_start=None),
              ev(8, article_id=8, title="stated", date_source="stated"),
              # the place found in the sentence before escaping, not inside an entity
              ev(9, article_id=9, title="amp", name="amp", sentence="Fuel & amp depots near Amp.",
                 mention_start=None)]
    built = built_popups(browser, tmp_path, events)
    popup = built["Strikes & <b>fires</b>"][0]
    assert "Strikes &amp; &lt;b&gt;fires&lt;/b&gt;" in popup
    assert "Sirens sounded across <mark>Kharkiv</mark> at dawn." in popup
    assert "2024-03-04" in popup and "day" in popup and "date inferred from publication" in popup
    assert "confidence 0.73" in popup
    assert "Town3 (US) city · score 0.12" in popup                 # the alternatives
    assert '<a href="https://news.example.org/a/1" target="_blank" rel="noopener">' in popup
    assert "stated in the article" in built["stated"][0]
    assert "Fuel &amp; <mark>amp</mark> depots" in built["amp"][0]


def test_incident_popup_shows_type_actors_trigger_date_words_and_every_source(browser, tmp_path):
    sibi = dict(name="Sibi", lat=29.543, lon=67.877, country_code="PK", type="explosion_remote_violence",
                incident_id=7, n_sources=3, mention_start=None)
    trigger = {"start": 0, "end": 0, "text": "attacked"}
    events = [ev(1, article_id=11, title="First <b>report</b>", url="https://a.example/1", date_text="on Tuesday",
                 actors=["suicide bomber", "<i>police</i>"], trigger=trigger,
                 sentence="A suicide bomber attacked a rally in Sibi.", representative=True, **sibi),
              ev(2, article_id=12, title="Second", url="javascript:alert(1)", sentence="Sibi blast kills five.",
                 date_source="published", trigger={"start": 0, "end": 0, "text": "blast"}, **sibi),
              ev(3, article_id=13, title="Third", url=None, sentence="The blast in Sibi targeted a rally.", **sibi)]
    popup, tip = built_popups(browser, tmp_path, events)["First <b>report</b>"]
    assert tip.startswith("Sibi · 2024-03-02 · Explosion / remote violence · reported by 3 sources")
    assert popup.count('class="ev-src"') == 3
    assert '<b class="ev-type">Explosion / remote violence</b>' in popup and "reported by 3 sources" in popup
    assert "Actors: suicide bomber, &lt;i&gt;police&lt;/i&gt;" in popup
    assert 'A suicide bomber <strong class="ev-trigger">attacked</strong> a rally in <mark>Sibi</mark>.' in popup
    assert '<mark>Sibi</mark> <strong class="ev-trigger">blast</strong> kills five.' in popup
    assert "dated by “on Tuesday”" in popup and "date inferred from publication" in popup
    assert "First &lt;b&gt;report&lt;/b&gt;" in popup and "Second" in popup and "Third" in popup
    assert popup.count("<a ") == 1 and 'href="https://a.example/1"' in popup       # http(s) links only


BAD_URLS = ["javascript:alert(1)", " JaVaScRiPt:alert(1)", "data:text/html,<script>alert(1)</script>",
            "//evil.example/x", "ftp://example.org/x", "https:evil", "http://exa mple.org/", "java\tscript:x",
            "vbscript:msgbox(1)", "", None]


def test_only_http_urls_become_links(browser, tmp_path):
    events = [ev(i, article_id=100 + i, title=f"bad url {i}", url=u) for i, u in enumerate(BAD_URLS)]
    events.append(ev(50, article_id=150, title="breakout",
                     url='https://news.example.org/a?q="><script>alert(1)</script>'))
    built = built_popups(browser, tmp_path, events)
    for i, u in enumerate(BAD_URLS):
        assert "<a " not in built[f"bad url {i}"][0], u
    popup = built["breakout"][0]                # the link attribute cannot be broken out of
    assert "<script" not in popup
    assert 'href="https://news.example.org/a?q=&quot;&gt;&lt;script&gt;' in popup
    assert popup.count("<a ") == 1 and 'rel="noopener"' in popup


APP = '''
import json, os
import streamlit as st
from streamlit_folium import st_folium
from geo.assets import ensure_static_assets
from geo.mapview import build_map, event_layer

urls = ensure_static_assets(os.path.join(os.path.dirname(os.path.abspath(__file__)), "static"))
events = json.load(open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "events.json")))
subset = st.radio("subset", ["all", "first ten"], horizontal=True)
shown = events if subset == "all" else events[:10]
st.caption("asset mode: " + ("static" if urls["leaflet_js"].startswith("../../app/static/") else "other"))
out = st_folium(build_map(), feature_group_to_add=event_layer(shown, window=("2024-03-01", "2024-03-31")),
                center=(49.5, 30.0), zoom=5, height=450, use_container_width=True,
                returned_objects=["last_object_clicked_tooltip"], key="map")
st.write("clicked:", (out or {}).get("last_object_clicked_tooltip"))
'''


def streamlit_app_on(tmp_path, app: str, events: list):
    """`app` served by Streamlit with static serving on, next to an events.json of `events`."""
    (tmp_path / "app.py").write_text(app, encoding="utf-8")
    (tmp_path / "events.json").write_text(json.dumps(events), encoding="utf-8")
    return streamlit_server("app.py", tmp_path, tmp_path / "streamlit.log", env={"PYTHONPATH": str(ROOT)},
                            args=("--server.enableStaticServing", "true"), timeout=30)


def offline_page(browser, base: str):
    """A page that may load only from the app (and data:/blob:), and what it tried to load."""
    page = browser.new_page(viewport={"width": 1100, "height": 900})
    return page, watch(page, (base + "/", "data:", "blob:", "about:"))


def test_map_inside_streamlit_loads_local_assets_offline(browser, tmp_path):
    """st_folium + static serving: Leaflet & co. come from /app/static/vendor, the basemap too,
    no request leaves the machine, and a new event layer replaces the old one in place."""
    events = [ev(i, lat=48.5 + (i % 6) * 0.4, lon=28.0 + (i // 6) * 0.5) for i in range(24)]
    with streamlit_app_on(tmp_path, APP, events) as server:
        base = server.url
        page, seen = offline_page(browser, base)
        page.goto(base + "/")
        page.get_by_text("asset mode: static").wait_for(timeout=20_000)
        page.locator(STREAMLIT_FOLIUM_IFRAME).wait_for(timeout=20_000)
        frame = next(f for f in page.frames if "streamlit_folium.st_folium" in f.url)
        frame.wait_for_function(f"() => ({COUNT_JS})().pins + ({COUNT_JS})().clustered === 24",
                                timeout=20_000)
        frame.wait_for_function(f"() => ({COUNT_JS})().basemap > 200", timeout=10_000)
        scripts = frame.evaluate("[...document.scripts].map(s => s.src).filter(Boolean)")
        vendor = [s for s in scripts if "/app/static/vendor/" in s]
        assert [s.rsplit("/", 1)[-1] for s in vendor] == ["leaflet.js", "jquery.min.js",
                                                         "leaflet.markercluster.js", "leaflet-heat.js"]
        assert all(s.startswith(base + "/") for s in scripts)
        assert "24 events" in frame.inner_text(".ev-legend")
        frame.evaluate("window.__mounted = 'once'")

        page.get_by_text("first ten").click()
        frame.wait_for_function("() => document.querySelector('.ev-legend') &&"
                                " document.querySelector('.ev-legend').innerText.includes('10 events')",
                                timeout=15_000)
        frame.wait_for_function(f"() => ({COUNT_JS})().pins + ({COUNT_JS})().clustered === 10",
                                timeout=10_000)
        assert frame.evaluate("window.__mounted") == "once"     # same map: no remount, no flicker
        assert frame.evaluate("document.querySelectorAll('.ev-legend').length") == 1

        assert not any("is not defined" in e for e in seen["errors"]), seen["errors"]
        assert_only_tiles_blocked(seen)
        page.close()


def test_rows_cache_reuses_each_event_row_and_gives_the_same_payload():
    events = [ev(i) for i in range(12)] + [ev(20, kind="country", country_code="FR", lat=46.6, lon=2.4)]
    cache: dict = {}
    window = ("2024-03-01", "2024-03-31")
    first = event_payload(events, window, rows_cache=cache)
    assert first == event_payload(events, window) and len(cache) == 13
    # a later, narrower view reuses the rows (same objects), and the payload is still exact
    rows_before = {k: v[0] for k, v in cache.items()}
    later = event_payload(events[5:], ("2024-03-05", "2024-03-20"), rows_cache=cache)
    assert later == event_payload(events[5:], ("2024-03-05", "2024-03-20"))
    assert all(cache[k][0] is rows_before[k] for k in rows_before)


# --------------------------------------------------------------------------- visual weight and density (issue 13 item 6)

def test_areas_are_drawn_lightly_in_a_pane_under_the_pins():
    from geo import mapview
    payload = event_payload([ev(1), ev(2, name="Ukraine", kind="country", lat=49.0, lon=32.0),
                             ev(3, name="Europe", kind="continent", lat=50.0, lon=10.0)])
    style = payload["area_style"]
    assert style["fillOpacity"] <= 0.1 and style["weight"] <= 1.2          # an outline and a faint fill
    assert style["pane"] == mapview.AREAS_PANE and style["circleDash"]      # a circle is dashed: approximate
    # the pane is created with the base map, under Leaflet's overlay (400) and marker (600) panes
    assert mapview.AREAS_PANE_Z < 400
    html = build_map().get_root().render()
    assert f"createPane(\"{mapview.AREAS_PANE}\").style.zIndex = {mapview.AREAS_PANE_Z}" in html
    # the page's script draws every area with that style (not a fixed, heavier one)
    layer = build_map()
    event_layer(payload_events := [ev(2, name="Ukraine", kind="country", lat=49.0, lon=32.0)]).add_to(layer)
    out = layer.get_root().render()
    assert "fillOpacity: S.fillOpacity, pane: S.pane" in out and "fillOpacity: 0.18" not in out
    assert payload_events


def test_cluster_bubbles_are_neutral_greys_darker_by_size():
    from geo import mapview
    css = mapview.cluster_css()
    html = build_map().get_root().render()
    assert css in html
    shades = []
    for size in ("small", "medium", "large"):
        m = re.search(rf"\.leaflet-container \.marker-cluster-{size} div {{ background-color: "
                      rf"rgba\((\d+),(\d+),(\d+),", css)
        assert m, size
        r, g, b = map(int, m.groups())
        assert r == g == b                                 # grey: no hue to mistake for a type or a date
        shades.append(r)
    assert shades == sorted(shades, reverse=True)          # more events, darker
    for colour in TYPE_COLOURS.values():
        assert colour not in css


def test_heat_layer_is_fed_from_the_stores_cells_and_asks_for_no_cdn():
    from geo import mapview
    cells = [{"lat": 49.99, "lon": 36.23, "n": 40, "first": "2024-03-01", "last": "2024-03-09", "approx": False},
             {"lat": 30.18, "lon": 67.0, "n": 3, "first": None, "last": None, "approx": False},
             {"lat": None, "lon": 1.0, "n": 2}]
    assert mapview.heat_data(cells) == [[49.99, 36.23, 40], [30.18, 67.0, 3]]     # weights = counts
    m = build_map()
    mapview.heat_layer(cells).add_to(m)
    html = m.get_root().render()
    assert "L.heatLayer(" in html and "[[49.99, 36.23, 40], [30.18, 67.0, 3]]" in html
    assert not any(host in html for host in CDN_HOSTS)
    # the plugin is loaded with the base map, from the local copy (folium's own leaflet_heat.min.js)
    assert ("heat_js", assets.current_urls()["heat_js"]) in build_map().default_js
    assert assets.vendor_source("heat_js").name == "leaflet_heat.min.js" and "heatLayer" in assets.vendor_text("heat_js")
    assert "Event density · 45 events" in html and "40 in a cell" in html
    # both legends carry the switch to the other view (drawn only inside the app, next to its toggle)
    assert "'Show the pins'" in html and mapview.HEAT_SWITCH_JS in html
    assert "'Show as heatmap'" in build_map([ev(1)]).get_root().render()
    # an estimate is said to be one
    approx = mapview.heat_legend_html([dict(cells[0], approx=True)])
    assert "about 40 events" in approx
    # no cells: a legend, no heat layer (nothing to draw)
    empty = build_map()
    mapview.heat_layer([]).add_to(empty)
    assert "L.heatLayer(" not in empty.get_root().render()


def test_standalone_file_inlines_the_heat_plugin():
    assert "heatLayer" in assets.inline_head()


def test_a_range_date_is_written_once_without_repeating_its_own_end():
    from geo.mapview import date_text
    assert date_text({"date": "2025-03", "date_end": "2025-03-31"}) == "2025-03"
    assert date_text({"date": "1800/1933", "date_end": "1933-12-31"}) == "1800/1933"
    assert date_text({"date": "2025-03-01", "date_end": "2025-03-05"}) == "2025-03-01 – 2025-03-05"
    assert date_text({"date": "2025-03", "date_end": "2025-04-10"}) == "2025-03 – 2025-04-10"


def test_a_smaller_area_inside_a_country_is_drawn_over_it_so_it_can_be_clicked():
    # Puntland's circle lies inside Somalia's outline: drawn after it (on top), whatever their dates
    somalia = ev(1, name="Somalia", kind="country", country_code="SO", lat=6.0, lon=47.0, date="2025-03-02",
                 day_start="2025-03-02", day_end="2025-03-02")
    puntland = ev(2, name="Puntland", kind="region", country_code="SO", lat=8.4, lon=48.5, date="2025-03-01",
                  day_start="2025-03-01", day_end="2025-03-01")
    for events in ([somalia, puntland], [puntland, somalia]):
        areas = event_payload(events)["areas"]
        assert [a[0] for a in areas] == ["SO", None], areas     # the outline first, then the circle


# --------------------------------------------------------------------------- popups' contents apart

def test_the_app_sends_the_pins_and_writes_the_popups_contents_once_per_view(tmp_path):
    """With a `ViewDetails` the rerun carries what draws pins, areas, tooltips and the legend; the
    sentences, other candidates, actors and articles go to one file per view, written once."""
    events = [ev(i, actors=["Police"]) for i in range(6)] + [xss_event()]
    details = assets.ViewDetails(tmp_path)
    page = build_map(events).get_root().render()         # inline: what exports and snapshots get
    inline = decode_payload(page)
    m = build_map()
    m.get_root().render()
    from streamlit_folium import _get_feature_group_string
    js = _get_feature_group_string(event_layer(events, details=details, details_key="store:1"), m)
    split = json.loads(re.search(r"var D = (\{.*?\});\n", js).group(1))
    assert "Shelling was reported" not in js and "Riots " not in js and "news.example.org" not in js
    assert split["articles"] == [] and all(r[4] is None and r[9] == [] and r[11] == [] for r in split["events"])
    assert [r[0] for r in split["events"]] == [r[0] for r in inline["events"]]     # tooltips still work
    assert split["points"] == inline["points"] and split["incidents"] == inline["incidents"]
    url = split["details"]
    assert url.startswith("../../app/static/views/") and url.endswith(".json")
    file = tmp_path / "views" / url.rsplit("/", 1)[1]
    got = json.loads(file.read_text(encoding="utf-8"))
    assert got["s"] == [r[4] for r in inline["events"]] and got["a"] == [r[9] for r in inline["events"]]
    assert got["c"] == [r[11] for r in inline["events"]] and got["articles"] == inline["articles"]
    # the same view again: the same file, not written anew; another revision or view: another file
    stamp = file.stat().st_mtime_ns
    again = _get_feature_group_string(event_layer(events, details=details, details_key="store:1"), m)
    assert json.loads(re.search(r"var D = (\{.*?\});\n", again).group(1))["details"] == url
    assert file.stat().st_mtime_ns >= stamp and len(list((tmp_path / "views").glob("*.json"))) == 1
    other = _get_feature_group_string(event_layer(events, details=details, details_key="store:2"), m)
    assert json.loads(re.search(r"var D = (\{.*?\});\n", other).group(1))["details"] != url
    assert not list((tmp_path / "views").glob("*.tmp"))         # no half-written file left


def test_only_the_newest_view_files_are_kept(tmp_path, monkeypatch):
    monkeypatch.setattr(assets, "VIEW_FILES_KEPT", 3)
    details = assets.ViewDetails(tmp_path)
    urls = []
    for k in range(5):
        urls.append(details.url(f"view {k}", {"s": [], "a": [], "c": [], "articles": []}))
        import os
        os.utime(tmp_path / "views" / urls[-1].rsplit("/", 1)[1], ns=(k * 10**9, k * 10**9 + 10**12))
    kept = sorted(p.name for p in (tmp_path / "views").glob("*.json"))
    assert len(kept) == 3 and urls[0].rsplit("/", 1)[1] not in kept


APP_DETAILS = '''
import json, os
import streamlit as st
from streamlit_folium import st_folium
from geo import assets
from geo.mapview import build_map, event_layer

here = os.path.dirname(os.path.abspath(__file__))
assets.ensure_static_assets(os.path.join(here, "static"))
events = json.load(open(os.path.join(here, "events.json")))
st_folium(build_map(), feature_group_to_add=event_layer(events, details=assets.view_details(), details_key="t:1"),
          center=(49.5, 30.0), zoom=5, height=450, use_container_width=True, returned_objects=[], key="map")
'''


# marks the pin nearest the middle of the map with data-test-centre
CENTRE_PIN_JS = """() => { const m = document.getElementById('map_div').getBoundingClientRect();
    const cx = m.left + m.width / 2, cy = m.top + m.height / 2;
    let best = null, dist = Infinity;
    for (const p of document.querySelectorAll('.ev-pin')) {
        const r = p.getBoundingClientRect(), d = Math.hypot(r.left + r.width / 2 - cx, r.top + r.height / 2 - cy);
        if (d < dist) { dist = d; best = p; } }
    best.setAttribute('data-test-centre', '1'); }"""


def test_popups_fetch_their_contents_after_the_pins_are_drawn(browser, tmp_path):
    """In Streamlit the popups' sentences and sources come from the app's static files, offline;
    a popup opened before they arrive says so and is filled in when they do."""
    events = [ev(i, lat=48.5 + (i % 6) * 0.4, lon=28.0 + (i // 6) * 0.5) for i in range(12)] + [xss_event()]
    with streamlit_app_on(tmp_path, APP_DETAILS, events) as server:
        base = server.url
        page, seen = offline_page(browser, base)
        held = []                                # the details request, held back until released
        page.route("**/app/static/views/*.json", lambda r: held.append(r))
        page.goto(base + "/")
        page.locator(STREAMLIT_FOLIUM_IFRAME).wait_for(timeout=20_000)
        frame = next(f for f in page.frames if "streamlit_folium.st_folium" in f.url)
        frame.wait_for_function("() => document.querySelector('.ev-legend') &&"
                                " document.querySelector('.ev-legend').innerText.includes('13 events')", timeout=20_000)
        assert frame.evaluate("window.__eventDetails") == "loading"
        early = frame.evaluate("window.__eventLayer.eventPopupHtml(0)")
        assert "Loading the sources" in early and "Shelling was reported" not in early
        # a popup opened now says the sources are on their way …
        frame.evaluate("window.map_div.setView([48.5, 28.0], 11, {animate: false})")
        frame.locator(".ev-pin").first.wait_for(timeout=10_000)
        # the pin at the centre (the others are off the map at this zoom, and the first in the page
        # may be one of them: markercluster adds them in no fixed order)
        frame.evaluate(CENTRE_PIN_JS)
        pin = frame.locator(".ev-pin[data-test-centre]")
        pin.click()
        popup = frame.locator(".leaflet-popup-content")
        popup.wait_for(timeout=10_000)
        assert "Loading the sources" in popup.inner_text()
        while not held:
            page.wait_for_timeout(50)
        held[0].continue_()
        # … and is filled in when they arrive
        frame.wait_for_function("() => document.querySelector('.leaflet-popup-content blockquote')", timeout=10_000)
        assert "Shelling was reported in Town" in popup.inner_text() and "Loading" not in popup.inner_text()
        frame.wait_for_function("() => window.__eventDetails === 'loaded'", timeout=10_000)
        html = [frame.evaluate("i => window.__eventLayer.eventPopupHtml(i)", i) for i in range(13)]
        assert any("Shelling was reported in <mark>Town" in h for h in html)
        assert any("&lt;script&gt;window.__xss" in h for h in html)      # still escaped as it is put in
        assert not any("Loading the sources" in h for h in html)
        assert frame.evaluate("window.__xss === undefined")
        assert_only_tiles_blocked(seen)
        page.close()
