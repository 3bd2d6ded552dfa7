"""Screenshots of the app with the offline basemap (issue 13), run by hand, not a test:

    python docs/screenshots.py                 # writes docs/screenshots/seed-opening-view.png
                                               #    and docs/screenshots/voa-pakistan-zoom7.png

1. The seed store: an empty SQLite file, which the app fills from seeds/ on its first visit;
   the default opening view (no URL parameters).
2. The VOA store: the 89 stories of ../shared/corpora/voa/voa_stories.jsonl ingested with the
   project's own CLI (`python -m geo ingest`), then the app at zoom 7 over Pakistan, with a date
   window covering the stories' reported events (read from the store). Skipped, saying so, when
   the corpus is absent.

Each store is served by `streamlit run app.py` on 127.0.0.1 (one server at a time) and opened in
headless Debian Chromium (/usr/bin/chromium) through Playwright, 1400x900, with every request
that does not go to the app aborted (the network is off for the page, as in the browser tests:
tests/browser.py). The script waits until the map has drawn its pins, place labels and province
borders, then saves the viewport as PNG (reduced to a 256-colour palette to stay small).
"""
from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from geo.export import CHROMIUM_ARGS                                       # noqa: E402
from tests.browser import (CHROMIUM, OSM_TILES, SCRIPT_STATE_JS, STREAMLIT_FOLIUM_IFRAME,  # noqa: E402
                           settle, streamlit_server, watch)

VOA = ROOT.parent / "shared" / "corpora" / "voa" / "voa_stories.jsonl"
OUT = ROOT / "docs" / "screenshots"
VIEWPORT = {"width": 1400, "height": 900}
PAKISTAN = "center=30.0,69.5&zoom=7"
LONG = 300_000          # ms: the seed store's first visit loads the geoparser and ingests seeds/

DRAWN_JS = """() => ({
    labels: document.querySelectorAll('span.basemap-label').length,
    admin1: document.querySelectorAll('path.basemap-admin1').length,
    rivers: document.querySelectorAll('path.basemap-river').length,
    pins: document.querySelectorAll('.ev-pin').length,
    clusters: document.querySelectorAll('.marker-cluster').length,
    areas: document.querySelectorAll('path.ev-area').length,
    ready: window.__basemapReady || 0,
    some: [...document.querySelectorAll('span.basemap-label')].slice(0, 8).map(e => e.textContent),
})"""
READY_JS = """() => (window.__basemapReady || 0) > 0
    && document.querySelectorAll('span.basemap-label').length > 10
    && !!document.querySelector('path.basemap-admin1')
    && document.querySelectorAll('.ev-pin, .marker-cluster, path.ev-area').length > 0"""


def say(step: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {step}", flush=True)


def shoot(browser, server, path: str, out: Path) -> None:
    """Open the app at `path` offline, wait for the map, save the viewport to `out`."""
    page = browser.new_page(viewport=VIEWPORT, device_scale_factor=1)
    seen = watch(page, (server.url + "/", "data:", "blob:", "about:"))
    page.add_init_script(SCRIPT_STATE_JS)
    try:
        say(f"  opening {server.url}{path} (network off)")
        page.goto(server.url + path)
        page.wait_for_selector(STREAMLIT_FOLIUM_IFRAME, timeout=LONG)
        frame = page.locator(STREAMLIT_FOLIUM_IFRAME).element_handle(timeout=LONG).content_frame()
        say("  waiting for pins, place labels and province borders")
        frame.wait_for_function(READY_JS, timeout=LONG)
        settle(page)
        frame.wait_for_function(READY_JS, timeout=60_000)      # (a rerun may have redrawn the map)
        page.wait_for_timeout(1500)                            # labels are placed on the next frames
        got = frame.evaluate(DRAWN_JS)
        say(f"  drawn: {got['labels']} place labels (e.g. {', '.join(got['some'])}), {got['admin1']} province "
            f"border paths, {got['rivers']} rivers, {got['pins']} pins, {got['clusters']} clusters, "
            f"{got['areas']} areas; URL now {page.evaluate('location.search')}")
        stray = sorted({u for u in seen["blocked"] if not u.startswith(OSM_TILES)})
        tiles = sum(u.startswith(OSM_TILES) for u in seen["blocked"])
        say(f"  offline: {tiles} OpenStreetMap tile requests blocked, {len(stray)} other requests blocked"
            + (f" ({stray[:3]})" if stray else ""))
        if seen["errors"]:
            say(f"  page errors: {seen['errors'][:3]}")
        if stray:
            raise SystemExit(f"requests other than OpenStreetMap tiles tried to leave the machine: {stray[:3]}")
        # the map in the middle of the viewport (the histogram above it, the table below)
        page.locator(STREAMLIT_FOLIUM_IFRAME).scroll_into_view_if_needed()
        page.wait_for_timeout(500)
        raw = page.screenshot(type="png")
        save_small(raw, out)
        say(f"  saved {out.relative_to(ROOT)} ({out.stat().st_size / 1024:.0f} KB)")
    finally:
        page.close()


def save_small(png: bytes, out: Path) -> None:
    """The screenshot as a 256-colour palette PNG (a screenshot of flat map colours loses nothing visible)."""
    import io
    from PIL import Image
    img = Image.open(io.BytesIO(png)).convert("RGB")
    img.quantize(colors=256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE).save(out, optimize=True)


def voa_window(db: Path) -> tuple[str, str]:
    """The span of the VOA store's reported events (all of them in the window), and what of Pakistan it shows."""
    from geo.store import Store
    with Store.open(str(db)) as s:
        start, end = s.date_span(role="reported")
        pk = [e for e in s.events() if e.get("country_code") == "PK" and e.get("role") == "reported"]
    inside = [e for e in pk if e.get("day_start") and e["day_start"] <= end and (e.get("day_end") or e["day_start"]) >= start]
    names = sorted({e["name"] for e in inside})
    say(f"  window {start} – {end}: {len(inside)} of {len(pk)} reported Pakistan events in it ({', '.join(names)})")
    return start, end


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, default=OUT, help="folder for the PNGs (default docs/screenshots)")
    ap.add_argument("--work", type=Path, help="folder for the stores and server logs (default: a temporary one)")
    args = ap.parse_args()
    if not Path(CHROMIUM).exists():
        print(f"{CHROMIUM} not found: install Debian's chromium to take the screenshots", file=sys.stderr)
        return 2
    args.out.mkdir(parents=True, exist_ok=True)
    work = args.work or Path(tempfile.mkdtemp(prefix="geo-screenshots-"))
    work.mkdir(parents=True, exist_ok=True)
    say(f"stores and logs in {work}")

    from playwright.sync_api import sync_playwright
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            say("[1/2] seed store: an empty database, filled by the app from seeds/ on its first visit")
            seed_db = work / "seed.db"
            for p in work.glob("seed.db*"):
                p.unlink()
            with streamlit_server("app.py", ROOT, work / "streamlit-seed.log", env={"GEO_DB": str(seed_db)},
                                  timeout=120) as server:
                say(f"  streamlit run app.py on {server.url}, GEO_DB={seed_db}")
                shoot(browser, server, "/", args.out / "seed-opening-view.png")
            say("  server stopped")

            say("[2/2] VOA store: the 89 VOA stories ingested with `python -m geo ingest`")
            if not VOA.exists():
                say(f"  SKIPPED: the VOA corpus is absent ({VOA}); no voa-pakistan-zoom7.png")
                return 0
            voa_db = work / "voa.db"
            for p in work.glob("voa.db*"):
                p.unlink()
            cmd = [sys.executable, "-m", "geo", "ingest", "--db", str(voa_db), "--workers", "1", str(VOA)]
            say("  " + " ".join(cmd[1:]))
            done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
            for line in done.stdout.strip().splitlines():
                say("    " + line)
            if done.returncode != 0:
                print(done.stderr[-2000:], file=sys.stderr)
                return done.returncode
            start, end = voa_window(voa_db)
            with streamlit_server("app.py", ROOT, work / "streamlit-voa.log", env={"GEO_DB": str(voa_db)},
                                  timeout=120) as server:
                say(f"  streamlit run app.py on {server.url}, GEO_DB={voa_db}")
                shoot(browser, server, f"/?start={start}&end={end}&{PAKISTAN}", args.out / "voa-pakistan-zoom7.png")
            say("  server stopped")
        finally:
            browser.close()
    say("done")
    return 0


if __name__ == "__main__":
    sys.exit(main())
