"""Issue 13, the timeline, in the running app (Chromium, network off): typed From/To dates set the
window (kept inside the data's span, and kept when typed while the app reruns), a one-day window's slider thumbs can each be dragged, brushing the histogram sets it, and playback runs in a
fragment: the window advances (sliding, or cumulative), empty steps are skipped, the speed sets
the pace, and the page outside the fragment does not rerun until playback stops at the end.

One app process for the module on tests/app_data.py's store: reported events on 5 (Sibi, three
reports), 7, 9, 10, 12 (two), 13 and 14 March 2024; none on 6, 8 and 11 March.

Skips when /usr/bin/chromium is missing, except with CI=true (then it fails).
"""
from __future__ import annotations

import statistics

import pytest

from tests.browser import (STREAMLIT_FOLIUM_IFRAME, TIMEOUT, app_on_test_store, assert_only_tiles_blocked, map_frame,
                           pick_option, query, settle, wait_query)
from tests.test_app_browser import wait_caption

N_ALL = 11
FULL_RUNS_JS = "() => Number((document.querySelector('.geo-full-runs') || {dataset: {}}).dataset.runs || 0)"
# every address the page's URL takes, with the time it took it (the app sets it with replaceState)
RECORD_URLS_JS = """() => { window.__urls = [];
    let last = null;
    setInterval(() => { if (location.search !== last) { last = location.search;
        window.__urls.push([performance.now(), Object.fromEntries(new URLSearchParams(last))]); } }, 20); }"""


@pytest.fixture(scope="module")
def app(browser, tmp_path_factory):
    with app_on_test_store(tmp_path_factory, "app-timeline") as server:
        yield server


def ready(page, n: int):
    wait_caption(page, n, N_ALL)
    frame = map_frame(page)
    frame.wait_for_function("() => !!document.querySelector('.ev-legend')", timeout=TIMEOUT)
    page.locator("[data-testid=stVegaLiteChart] svg").first.wait_for(timeout=TIMEOUT)
    settle(page)
    return frame


def typed_boxes(page) -> list:
    """What the time bar's From and To boxes show."""
    return page.evaluate("() => [...document.querySelectorAll('[data-testid=stDateInput]')]"
                         ".filter(d => /^(From|To)/.test(d.innerText.trim())).map(d => d.querySelector('input').value)")


def type_date(page, label: str, value: str) -> None:
    """Type a date into a date box (a react-aria date field: year, month and day segments)."""
    group = page.get_by_role("group", name=label, exact=True)
    group.get_by_role("spinbutton").first.click()
    page.keyboard.type(value.replace("-", ""))
    page.get_by_text("Reported events").first.click()          # it is taken when the box loses focus


def drag(page, frm: tuple, to: tuple, steps: int) -> None:
    """A mouse press at `frm`, moved to `to` in `steps` moves, released there."""
    page.mouse.move(*frm)
    page.mouse.down()
    page.mouse.move(*to, steps=steps)
    page.mouse.up()


def test_typed_dates_set_the_window_and_out_of_range_is_kept_in_the_span(app, open_page):
    page, seen = open_page(app, "/?start=2024-03-05&end=2024-03-14")
    ready(page, 10)
    type_date(page, "From", "2024-03-09")
    wait_query(page, start="2024-03-09", end="2024-03-14")
    wait_caption(page, 6, N_ALL)                       # 9, 10, 12 (two), 13, 14 March
    settle(page)
    type_date(page, "To", "2024-03-12")
    wait_query(page, start="2024-03-09", end="2024-03-12")
    wait_caption(page, 4, N_ALL)
    settle(page)
    # a date before the data: the window starts on its first day, and the sidebar says why
    type_date(page, "From", "2019-01-01")
    wait_query(page, start="2024-03-05", end="2024-03-12")
    wait_caption(page, 8, N_ALL)
    page.get_by_text("2019-01-01 is before the first dated event (2024-03-05)", exact=False).wait_for(timeout=TIMEOUT)
    settle(page)
    assert typed_boxes(page) == ["2024-03-05", "2024-03-12"]
    # the slider follows the typed dates
    assert "2024-03-12" in page.locator("[data-testid=stSlider]").filter(has_text="Dates").inner_text()
    assert_only_tiles_blocked(seen)


def test_a_date_typed_while_the_app_reruns_is_kept(app, open_page):
    # A pan reruns the app (the map reports where it is); a date typed meanwhile was wiped by that
    # run putting the window back into the box, so the typed date was never taken (seen in CI).
    page, seen = open_page(app, "/?start=2024-03-05&end=2024-03-14")
    ready(page, 10)
    box = page.locator(STREAMLIT_FOLIUM_IFRAME).bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    drag(page, (x, y), (x + 150, y + 40), steps=5)
    page.wait_for_function("() => document.querySelector('[data-testid=stApp]')"
                           ".getAttribute('data-test-script-state') === 'running'", timeout=TIMEOUT)
    type_date(page, "From", "2024-03-09")
    wait_query(page, start="2024-03-09", end="2024-03-14")
    wait_caption(page, 6, N_ALL)
    settle(page)
    assert typed_boxes(page) == ["2024-03-09", "2024-03-14"]
    assert_only_tiles_blocked(seen)


def test_a_one_day_window_keeps_both_slider_thumbs_in_reach(app, open_page):
    page, seen = open_page(app, "/?start=2024-03-09&end=2024-03-09")
    ready(page, 1)
    slider = page.locator("[data-testid=stSlider]").filter(has_text="Dates")
    start, end = (slider.locator("div:has(> div > input[aria-label$='%s'])" % k) for k in ("start", "end"))
    a, b = start.bounding_box(), end.bounding_box()
    assert a["x"] + a["width"] <= b["x"] + 1, (a, b)          # side by side, neither hides the other
    day = slider.locator("[data-testid=stSliderTickBar]").bounding_box()["width"] / 9     # 5–14 March
    # the start thumb, dragged two days left, opens the window on 7 March; the end stays
    x, y = a["x"] + a["width"] / 2, a["y"] + a["height"] / 2
    drag(page, (x, y), (x - 2 * day, y), steps=8)
    wait_query(page, start="2024-03-07", end="2024-03-09")
    settle(page)
    # and the end thumb, dragged one day right, closes it on 10 March
    b = end.bounding_box()
    x, y = b["x"] + b["width"] / 2, b["y"] + b["height"] / 2
    drag(page, (x, y), (x + day, y), steps=4)
    wait_query(page, start="2024-03-07", end="2024-03-10")
    wait_caption(page, 3, N_ALL)                          # Quetta (7), Tripoli (9), 10 March
    assert_only_tiles_blocked(seen)


def test_brushing_the_histogram_sets_the_window_in_whole_days(app, open_page):
    page, seen = open_page(app, "/?start=2024-03-05&end=2024-03-14")
    ready(page, 10)
    pos = page.evaluate("""() => { const out = {};
        for (const t of document.querySelectorAll('[data-testid=stVegaLiteChart] svg text')) {
            const r = t.getBoundingClientRect(); out[t.textContent] = [r.x + r.width / 2, r.y + r.height / 2]; }
        return out; }""")
    # the axis is a day axis: dates, one per day, no hours
    assert [k for k in pos if k.endswith(" Mar")][:10] == [f"{d:02d} Mar" for d in range(5, 15)]
    y = pos["1"][1]                                       # inside the plot, at the height of one event
    x1 = (pos["07 Mar"][0] + pos["08 Mar"][0]) / 2       # the middle of 7 March's bar
    x2 = (pos["09 Mar"][0] + pos["10 Mar"][0]) / 2       # the middle of 9 March's bar
    drag(page, (x1, y), (x2, y), steps=10)
    wait_query(page, start="2024-03-07", end="2024-03-09")
    wait_caption(page, 2, N_ALL)                          # Quetta (7 March), Tripoli (9 March)
    settle(page)
    assert typed_boxes(page) == ["2024-03-07", "2024-03-09"]      # the time bar followed
    assert_only_tiles_blocked(seen)


def start_playing(page, speed: str, mode: str = "slide the window", skip: bool = False) -> int:
    """Play step 1 day, the speed, mode and skipping chosen; Play pressed. Returns the full-run count before."""
    pick_option(page, "Play step", "1 day")
    settle(page)
    page.get_by_text(speed, exact=True).click()
    settle(page)
    page.get_by_text(mode, exact=True).click()
    settle(page)
    box = page.get_by_role("checkbox", name="Skip empty steps")
    if box.is_checked() != skip:
        page.get_by_text("Skip empty steps", exact=True).click()
        settle(page)
    page.evaluate(RECORD_URLS_JS)
    runs = page.evaluate(FULL_RUNS_JS)
    page.get_by_role("button", name="▶ Play").click()
    return runs


def wait_stopped(page, runs_before: int) -> None:
    """Playback has stopped: the button says Play again (drawn by a full run)."""
    page.get_by_role("button", name="▶ Play").wait_for(timeout=60_000)
    try:
        page.wait_for_function(f"() => ({FULL_RUNS_JS})() > {runs_before + 1}", timeout=TIMEOUT)
    except Exception as exc:
        raise AssertionError(f"no whole-page run after playback stopped: full runs {page.evaluate(FULL_RUNS_JS)} "
                             f"(before Play: {runs_before}); addresses {recorded(page)}") from exc


def recorded(page) -> list:
    return page.evaluate("() => window.__urls")


def test_playback_slides_the_window_in_a_fragment_and_stops_at_the_end(app, open_page):
    page, seen = open_page(app, "/?start=2024-03-05&end=2024-03-05")
    ready(page, 3)
    start_playing(page, "4×")
    reached = "d => window.__urls.some(([t, q]) => q.start === d && q.end === d)"
    page.wait_for_function(reached, arg="2024-03-06", timeout=TIMEOUT)
    runs = page.evaluate(FULL_RUNS_JS)                # (Play's own full run is done by now)
    page.wait_for_function(reached, arg="2024-03-08", timeout=TIMEOUT)
    # ... while the rest of the page did not rerun (no full run); the time bar under the map follows
    assert page.evaluate(FULL_RUNS_JS) == runs
    # (the boxes come later in the same run than the address bar: give them that run to arrive)
    page.wait_for_function("() => [...document.querySelectorAll('[data-testid=stDateInput]')]"
                           ".filter(d => /^From/.test(d.innerText.trim()))"
                           ".some(d => d.querySelector('input').value >= '2024-03-08')", timeout=5000)
    assert typed_boxes(page)[0] >= "2024-03-08"
    page.wait_for_function(reached, arg="2024-03-11", timeout=TIMEOUT)
    assert page.evaluate(FULL_RUNS_JS) == runs
    runs -= 1                                         # (wait_stopped counts from before Play's run)
    # at the end it stops (no wrapping round): one full run brings the sidebar and the table up to date
    wait_stopped(page, runs)
    settle(page)
    starts = [q.get("start") for _, q in recorded(page)]
    windows = list(dict.fromkeys((q.get("start"), q.get("end")) for _, q in recorded(page)))
    assert starts[-1] == "2024-03-14", windows
    assert [s for s in dict.fromkeys(starts) if s] == [f"2024-03-{d:02d}" for d in range(5, 15)]
    assert typed_boxes(page) == ["2024-03-14", "2024-03-14"]
    page.get_by_text("Playback stopped at the end of the timeline.").wait_for(timeout=TIMEOUT)
    wait_caption(page, 1, N_ALL)                      # 14 March: Odesa
    assert_only_tiles_blocked(seen)


def test_cumulative_playback_skips_steps_that_add_no_event(app, open_page):
    page, seen = open_page(app, "/?start=2024-03-05&end=2024-03-05")
    ready(page, 3)
    runs = start_playing(page, "4×", mode="cumulative (grow the end)", skip=True)
    wait_stopped(page, runs)
    settle(page)
    urls = [q for _, q in recorded(page)]
    windows = list(dict.fromkeys((q.get("start"), q.get("end")) for q in urls))
    assert {q.get("start") for q in urls} == {"2024-03-05"}, windows          # the start stays
    ends = [e for e in dict.fromkeys(q.get("end") for q in urls) if e]
    # 6, 8 and 11 March add nothing: skipped
    assert ends == ["2024-03-05", "2024-03-07", "2024-03-09", "2024-03-10", "2024-03-12", "2024-03-13", "2024-03-14"]
    wait_caption(page, 10, N_ALL)
    assert_only_tiles_blocked(seen)


def step_gaps(page, since: float = 0.0) -> list:
    times = []
    last = None
    for t, q in recorded(page):
        if t < since:
            continue
        if q.get("start") != last:
            times.append(t)
            last = q.get("start")
    return [(b - a) / 1000 for a, b in zip(times[1:], times[2:])]     # from the first step on


def test_the_speed_sets_the_time_between_steps(app, open_page):
    page, seen = open_page(app, "/?start=2024-03-05&end=2024-03-05")
    ready(page, 3)
    runs = start_playing(page, "0.5×")                # 3 s a step
    wait_query(page, start="2024-03-08", end="2024-03-08")
    slow = step_gaps(page)
    clicked = page.evaluate("performance.now()")
    page.get_by_text("4×", exact=True).click()        # 0.375 s a step (the recording goes on: 6 steps take 2 s)
    wait_stopped(page, runs + 1)
    fast = step_gaps(page, since=clicked)
    # (a step's URL lands when its run has drawn: one slow run makes one gap long and the next short)
    assert slow and statistics.mean(slow) >= 2.3, slow
    assert len(fast) >= 3 and statistics.median(fast) < statistics.mean(slow) / 2, (fast, slow)
    assert_only_tiles_blocked(seen)
