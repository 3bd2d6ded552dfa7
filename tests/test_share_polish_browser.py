"""Issue 13 item 9, sharing polish, in a real browser (Chromium, network off): "Copy link" copies
the page's permalink (and "Copy embed code" an <iframe> of it); "My snapshots" lists the
snapshots made in this browser, in a later visit too but not in another browser, and renames and
deletes them; the exported HTML has a side list of its events that takes the map to one; the
PNG's page has no zoom buttons, layer switch or cluster bubbles, and keeps its title, caption,
legend and credits.

One app process for the module on tests/app_data.py's store (typed events: no NLP involved).

Skips when /usr/bin/chromium is missing, except with CI=true (then it fails).
"""
from __future__ import annotations

import html
import json
import re
import struct
from urllib.parse import parse_qsl, urlsplit

import pytest

from geo import export
from geo.store import Store
from tests.browser import (COUNT_JS, SCRIPT_STATE_JS, TIMEOUT, app_on_test_store, assert_only_tiles_blocked, query,
                           settle, watch)

SHARE_FRAME = "iframe[title*='geo_share']"


@pytest.fixture(scope="module")
def app(browser, tmp_path_factory):
    with app_on_test_store(tmp_path_factory, "app-share-polish") as server:
        yield server


def new_browser(browser, server):
    """A browser profile of its own (its own localStorage), allowed to use the clipboard."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=server.url)
    return context


def visit(context, server, path: str):
    page = context.new_page()
    seen = watch(page, (server.url + "/", "data:", "blob:", "about:"))
    page.add_init_script(SCRIPT_STATE_JS)
    page.goto(server.url + path)
    return page, seen


def share_frame(page):
    page.locator(SHARE_FRAME).wait_for(timeout=TIMEOUT)
    frame = page.frame_locator(SHARE_FRAME)
    frame.locator("#copy-link").wait_for(timeout=TIMEOUT)
    return frame


def my_snapshots(page, n: int) -> None:
    page.get_by_text(re.compile(rf"^My snapshots \({n}\)$")).wait_for(timeout=TIMEOUT)


def open_my_snapshots(context, server, n: int):
    """A visit of March in this browser profile with the share panel open, listing `n` snapshots:
    (page, what it fetched)."""
    page, seen = visit(context, server, "/?start=2024-03-05&end=2024-03-14")
    settle(page)
    share_frame(page)
    page.get_by_text("Share this view").click()
    my_snapshots(page, n)
    return page, seen


def test_copy_link_copies_the_pages_permalink_and_embed_code(browser, app):
    context = new_browser(browser, app)
    page, seen = visit(context, app, "/?start=2024-03-05&end=2024-03-14&type=protest,battle")
    # the map reports where it looks after a pause and the link then holds it: copy once it has
    page.wait_for_function("() => new URLSearchParams(location.search).has('zoom')", timeout=TIMEOUT)
    settle(page)
    frame = share_frame(page)
    frame.locator("#copy-link").click()
    frame.locator("#copy-link.done").wait_for(timeout=TIMEOUT)             # "Copied ✓"
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied == frame.locator("#copy-link").get_attribute("data-copied")
    parts = urlsplit(copied)
    assert f"{parts.scheme}://{parts.netloc}" == app.url and parts.path == "/"
    assert dict(parse_qsl(parts.query)) == query(page)                     # the page's own view, exactly
    assert query(page)["type"] == "protest,battle"

    frame.locator("#copy-embed").click()
    frame.locator("#copy-embed.done").wait_for(timeout=TIMEOUT)
    snippet = page.evaluate("navigator.clipboard.readText()")
    assert snippet.startswith('<iframe src="') and snippet.endswith("</iframe>")
    src = html.unescape(re.search(r'src="([^"]+)"', snippet)[1])
    assert src == copied + "&embed=true"
    assert_only_tiles_blocked(seen)
    context.close()


def test_my_snapshots_are_this_browsers_and_can_be_renamed_and_deleted(browser, app):
    context = new_browser(browser, app)
    page, seen = open_my_snapshots(context, app, 0)
    title = page.get_by_label("Snapshot title")
    title.fill("March <b>quiet</b>")
    title.press("Enter")
    settle(page)
    page.get_by_role("button", name="Share snapshot").click()
    page.get_by_text("Snapshot saved").wait_for(timeout=TIMEOUT)
    my_snapshots(page, 1)
    with Store.open(app.db) as s:
        (snap,) = s.snapshots()
    assert snap["title"] == "March <b>quiet</b>"
    page.close()

    # a later visit in this browser (a new session): the snapshot is still listed, from its storage
    later, _ = open_my_snapshots(context, app, 1)
    box = later.locator(f".st-key-my_snap_{snap['id']}")
    assert "March <b>quiet</b>" in box.inner_text() and f"?snapshot={snap['id']}" in box.inner_text()

    # another browser made none
    other_context = new_browser(browser, app)
    open_my_snapshots(other_context, app, 0)
    other_context.close()

    # the snapshot's own page copies its own link
    own, _ = visit(context, app, f"/?snapshot={snap['id']}")
    settle(own)
    frame = share_frame(own)
    frame.locator("#copy-link").click()
    frame.locator("#copy-link.done").wait_for(timeout=TIMEOUT)
    assert own.evaluate("navigator.clipboard.readText()") == f"{app.url}/?snapshot={snap['id']}"
    own.close()

    # rename, then delete
    name = box.get_by_label("Title")
    name.fill("March, renamed")
    name.press("Enter")
    settle(later)
    box.get_by_role("button", name="Rename").click()
    later.get_by_text("Snapshot renamed: “March, renamed”").wait_for(timeout=TIMEOUT)
    with Store.open(app.db) as s:
        assert [x["title"] for x in s.snapshots()] == ["March, renamed"]
    settle(later)
    # (watch the page: the deleted snapshot must not come back, listed as gone, while the browser's
    # storage catches up)
    later.evaluate("""() => { window.__sawGone = false;
        new MutationObserver(() => { if (document.body.textContent.includes("No longer in this map's database"))
            window.__sawGone = true; }).observe(document.body, {childList: true, subtree: true, characterData: true}); }""")
    later.locator(f".st-key-my_snap_{snap['id']}").get_by_role("button", name="Delete").click()
    later.get_by_text("Snapshot deleted: “March, renamed”; its link no longer opens").wait_for(timeout=TIMEOUT)
    my_snapshots(later, 0)
    settle(later)
    assert later.get_by_text("Snapshot deleted: “March, renamed”").is_visible()     # it stays to be read
    assert not later.evaluate("window.__sawGone")
    with Store.open(app.db) as s:
        assert s.snapshots() == []
    assert later.evaluate("JSON.parse(localStorage.getItem('geo.snapshots.v1') || '[]').length") == 0
    gone, _ = visit(context, app, f"/?snapshot={snap['id']}")
    gone.get_by_text(re.compile("This snapshot cannot be opened: no snapshot with id")).wait_for(timeout=TIMEOUT)
    assert_only_tiles_blocked(seen)
    context.close()


@pytest.fixture(scope="module")
def march(app):
    with Store.open(app.db) as s:
        events = s.view_events(start="2024-03-01", end="2024-03-31", role="reported")
    opts = export.MapOptions(title="March <i>2024</i>", caption="March <i>2024</i> · 2024-03-01 – 2024-03-31",
                             width=1000, height=700)
    return events, opts


def open_file(browser, path, width=1000, height=700):
    page = browser.new_page(viewport={"width": width, "height": height})
    seen = watch(page, ("file:", "data:"))
    page.goto(path.as_uri())
    return page, seen


MAP_JS = "() => Object.values(window).find(v => v instanceof L.Map)"


def test_exported_html_lists_its_events_and_a_click_takes_the_map_there(browser, march, tmp_path):
    events, opts = march
    out = tmp_path / "march.html"
    out.write_text(export.to_html(events, opts), encoding="utf-8")
    payload = json.loads(re.search(r"var D = (\{.*?\});\n", out.read_text()).group(1))
    page, seen = open_file(browser, out)
    items = page.locator(".ev-list .ev-list-item")
    items.first.wait_for(timeout=TIMEOUT)
    assert items.count() == len(payload["points"]) + len(payload["areas"])
    assert "Lviv" in page.locator(".ev-list").inner_text()
    lviv = page.locator(".ev-list-item", has_text="Lviv · 2024-03-12")
    lviv.click()
    page.locator(".leaflet-popup .ev-popup").wait_for(timeout=TIMEOUT)        # its popup opened
    assert "Fire in Lviv" in page.locator(".leaflet-popup .ev-popup").inner_text()
    centre = page.evaluate(f"() => {{ const c = ({MAP_JS})().getBounds(); return c.contains([49.8397, 24.0297]); }}")
    assert centre, "the map does not show Lviv after its line in the list was clicked"
    assert page.evaluate(f"() => ({MAP_JS})().getZoom()") >= 10
    assert seen["errors"] == [] and all(u.startswith("https://tile.openstreetmap.org/") for u in seen["blocked"])
    page.close()


def test_a_list_line_clicked_while_the_map_still_moves_opens_its_popup(browser, march, tmp_path):
    """An analyst clicking down the list does not wait for the last move to finish: each click still
    ends on that line's place with its popup open."""
    events, opts = march
    out = tmp_path / "march.html"
    out.write_text(export.to_html(events, opts), encoding="utf-8")
    page, seen = open_file(browser, out)
    items = page.locator(".ev-list .ev-list-item")
    items.first.wait_for(timeout=TIMEOUT)
    others = [k for k in range(items.count()) if "Lviv" not in items.nth(k).inner_text()]
    assert others, "the March list should hold places besides Lviv"
    for k in others[:3]:                       # moves started and not waited for
        items.nth(k).click()
    page.locator(".ev-list-item", has_text="Lviv · 2024-03-12").click()
    page.wait_for_function("() => !!document.querySelector('.leaflet-popup .ev-popup')"
                           " && document.querySelector('.leaflet-popup .ev-popup').innerText.includes('Fire in Lviv')",
                           timeout=TIMEOUT)
    assert page.evaluate(f"() => ({MAP_JS})().getBounds().contains([49.8397, 24.0297])")
    assert seen["errors"] == []
    page.close()


def test_png_page_has_no_controls_and_keeps_title_legend_and_credits(browser, march, tmp_path):
    events, opts = march
    out = tmp_path / "picture.html"
    out.write_text(export.to_html(events, opts, picture=True), encoding="utf-8")
    payload = json.loads(re.search(r"var D = (\{.*?\});\n", out.read_text()).group(1))
    page, seen = open_file(browser, out)
    page.wait_for_function(f"() => ({COUNT_JS})().pins === {len(payload['points'])}", timeout=TIMEOUT)
    page.wait_for_function(f"() => ({COUNT_JS})().basemap > 50", timeout=TIMEOUT)
    got = page.evaluate("""() => ({
        zoom: document.querySelectorAll('.leaflet-control-zoom').length,
        layers: document.querySelectorAll('.leaflet-control-layers').length,
        clusters: document.querySelectorAll('.marker-cluster').length,
        list: document.querySelectorAll('.ev-list').length,
        legend: document.querySelector('.ev-legend') && document.querySelector('.ev-legend').innerText,
        caption: document.querySelector('.ev-caption') && document.querySelector('.ev-caption').innerText,
        credits: document.querySelector('.leaflet-control-attribution').innerText})""")
    assert (got["zoom"], got["layers"], got["clusters"], got["list"]) == (0, 0, 0, 0)
    assert f"{len(events)} events" in got["legend"]
    assert got["caption"].startswith("March <i>2024</i> · 2024-03-01")
    assert "Natural Earth" in got["credits"] and "GeoNames" in got["credits"]
    assert seen["errors"] == []
    page.close()
    # and the PNG itself, at the size asked for (its own Playwright, outside this test's event loop)
    from concurrent.futures import ThreadPoolExecutor
    with ThreadPoolExecutor(1) as pool:
        png = pool.submit(export.to_png, events, opts).result(timeout=120)
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and struct.unpack(">II", png[16:24]) == (1000, 700)
