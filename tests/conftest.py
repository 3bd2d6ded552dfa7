import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "seeds" / "000_52b5df1d0099c1a6.txt"
SHARED = ROOT.parent / "shared"


@pytest.fixture(scope="session")
def geoparser():
    """One Geoparser for the whole run: loading spaCy and the gazetteer is the slow part."""
    from geo.pipeline import Geoparser
    return Geoparser()


@pytest.fixture(scope="session")
def seed_text() -> str:
    return SEED.read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def seed_gold() -> dict:
    """The seed's gold reading: from ../shared when present, else the project's own copy of its facts."""
    shared = SHARED / "seeds" / "gold.json"
    path = shared if shared.exists() else ROOT / "tests" / "fixtures" / "seed_gold.json"
    return json.loads(path.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def browser():
    """Debian's Chromium through Playwright (tests/browser.py); skips without /usr/bin/chromium,
    except with CI=true (then the tests fail)."""
    from tests.browser import launch_chromium
    yield from launch_chromium()


@pytest.fixture
def open_page(browser):
    """open_page(app, path) -> (page, seen): a new page on a running app (anything with `.url`), every
    request that leaves it recorded in `seen` and blocked (tests/browser.py: watch)."""
    from tests.browser import SCRIPT_STATE_JS, watch
    opened = []

    def _open(app, path: str = "/"):
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        seen = watch(page, (app.url + "/", "data:", "blob:", "about:"))
        page.add_init_script(SCRIPT_STATE_JS)
        opened.append(page)
        page.goto(app.url + path)
        return page, seen
    yield _open
    for page in opened:
        page.close()
