"""Issue 12: a map export waits until every pin is on the map. The marker clusterer adds pins
over several frames; the HTML page says when the last chunk is drawn (`__eventsDrawn`), and the
PNG export screenshots only then, so a picture of 20,000 events shows all 20,000.

Skips when /usr/bin/chromium is missing, except with CI=true (then it fails).
"""
from __future__ import annotations

import random

from geo import mapview
from tests.browser import COUNT_JS, TIMEOUT


def scattered(n: int) -> list:
    rnd = random.Random(7)
    return [{"id": i, "name": f"Town {i}", "lat": rnd.uniform(-50, 60), "lon": rnd.uniform(-170, 170),
             "kind": "city", "type": "protest", "role": "reported", "date": "2024-03-05",
             "day_start": "2024-03-05", "day_end": "2024-03-05", "precision": "day", "date_source": "stated",
             "sentence": f"Protesters gathered in Town {i}.", "title": f"Report {i}", "confidence": 0.8,
             "incident_id": i, "n_sources": 1, "representative": True} for i in range(n)]


def test_the_page_says_drawn_only_once_every_pin_is_on_the_map(browser, tmp_path):
    n = 20_000
    page_path = tmp_path / "map.html"
    page_path.write_text(mapview.standalone_html(scattered(n), title="Many"), encoding="utf-8")
    page = browser.new_page(viewport={"width": 1000, "height": 700})
    try:
        page.route("**/*", lambda r: r.continue_() if r.request.url.startswith(("file:", "data:")) else r.abort())
        page.goto(page_path.as_uri(), wait_until="load")
        page.wait_for_function("() => window.__eventsDrawn === true", timeout=TIMEOUT * 2)
        shown = page.evaluate(COUNT_JS)
        assert shown["pins"] + shown["clustered"] == n
    finally:
        page.close()
