"""Who may change the map (issue 11, item 3): GEO_READ_ONLY, GEO_EDITOR_TOKEN and the snapshot
limits, through geo/access.py directly and through the app (Streamlit's AppTest, no browser).

The app tests start from the typed store of tests/app_data.py (no geoparser needed); each points
GEO_DB at its own SQLite file.
"""
import sqlite3

import pytest
from streamlit.testing.v1 import AppTest

from geo import access, views
from tests.conftest import ROOT, shown_links

APP = str(ROOT / "app.py")
TOKEN = "correct horse battery staple"
EDIT_KEYS = ("w_add_files", "w_add_text", "w_fetch", "w_save", "w_save_type", "w_save_date", "w_hide",
             "w_snap_save")


@pytest.fixture
def db(tmp_path, monkeypatch):
    path = tmp_path / "events.db"
    monkeypatch.setenv("GEO_DB", str(path))
    monkeypatch.delenv(access.READ_ONLY_ENV, raising=False)
    monkeypatch.delenv(access.TOKEN_ENV, raising=False)
    return path


@pytest.fixture
def typed(db):
    """The typed store of tests/app_data.py in `db`: {place name: [events]}."""
    from tests.app_data import build_store
    return build_store(db)


def new_app(query=None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=180)
    if query:
        at.query_params.update(query)
    return at.run()


def keys(elements) -> set:
    return {e.key for e in elements}


def editing_widgets(at: AppTest) -> set:
    """The editing widgets on the page (buttons by key, plus the add-articles inputs)."""
    found = keys(at.button) & set(EDIT_KEYS)
    found |= {k for k in keys(at.button) if k and k.startswith(("w_undo_", "w_restore_"))}
    if at.get("file_uploader"):
        found.add("file_uploader")
    found |= {"w_paste" if k.startswith("w_paste_") else k for k in keys(at.text_area)
              if k and (k.startswith("w_paste_") or k == "w_snap_note")}
    found |= keys(at.text_input) & {"w_url", "w_snap_title"}
    return found


def counts(at: AppTest) -> tuple:
    import re
    found = [m for m in (re.fullmatch(r"Showing (\d+) of (\d+) events", c.value) for c in at.caption) if m]
    assert len(found) == 1, [c.value for c in at.caption]
    return int(found[0][1]), int(found[0][2])


def dump(path) -> list:
    """Every row of every table of the SQLite file (a second connection: what is really stored)."""
    with sqlite3.connect(path) as conn:
        return list(conn.iterdump())


# --------------------------------------------------------------------------- geo/access.py

def test_who_may_edit_follows_the_environment():
    assert access.may_edit(None, {}) and access.refusal(None, {}) is None          # the laptop default
    for on in ("1", "true", "yes", " TRUE ", "anything"):                            # fails closed
        env = {access.READ_ONLY_ENV: on, access.TOKEN_ENV: TOKEN}
        assert access.read_only(env) and not access.may_edit(TOKEN, env)
        assert access.refusal(TOKEN, env) == access.READ_ONLY_MESSAGE == "This map is read-only."
    for off in ("", "0", "false", "no", "off"):
        assert not access.read_only({access.READ_ONLY_ENV: off})
    env = {access.TOKEN_ENV: TOKEN}
    assert access.needs_token(env) and not access.needs_token({})
    assert not access.may_edit(None, env) and not access.may_edit("", env) and not access.may_edit("wrong", env)
    assert not access.may_edit(TOKEN[:-1], env) and not access.may_edit(TOKEN + "x", env)
    assert access.may_edit(TOKEN, env) and access.may_edit(f" {TOKEN}\n", env)     # pasted with blanks
    assert access.refusal("wrong", env) == access.NEEDS_TOKEN_MESSAGE
    assert access.may_edit(None, {access.TOKEN_ENV: "   "})                        # a blank token is no token
    assert access.token_matches("é-ü", "é-ü") and not access.token_matches(None, "x")


def test_token_comparison_is_constant_time(monkeypatch):
    calls = []
    real = access.hmac.compare_digest
    monkeypatch.setattr(access.hmac, "compare_digest", lambda a, b: calls.append((a, b)) or real(a, b))
    assert access.may_edit(TOKEN, {access.TOKEN_ENV: TOKEN})
    assert calls == [(TOKEN.encode(), TOKEN.encode())]


def test_rate_limiter_with_an_injected_clock():
    now = [1000.0]
    limiter = access.RateLimiter(limit=10, window_s=600, clock=lambda: now[0])
    assert (access.SNAPSHOT_LIMIT, access.SNAPSHOT_WINDOW_S, access.MAX_SNAPSHOT_EVENTS) == (10, 600.0, 20_000)
    for i in range(10):
        assert limiter.allow(), i
        now[0] += 10                                  # ten snapshots over 100 s
    assert limiter.remaining() == 0 and not limiter.allow() and not limiter.allow()   # refusals count nothing
    assert limiter.retry_after() == pytest.approx(500)       # the first one leaves the window at 1600
    now[0] = 1599.9
    assert not limiter.allow()
    now[0] = 1600.0
    assert limiter.allow() and not limiter.allow()           # one slot came free, and was taken
    now[0] = 1000 + 600 + 10 * 10 + 600                      # long after: all free again
    assert limiter.remaining() == 10


def test_guarded_store_refuses_every_write_in_read_only_mode_and_the_file_is_unchanged(typed, db, monkeypatch,
                                                                                        geoparser):
    from geo.ingest import ingest
    from geo.store import Store
    with Store.open(db) as s:
        s.save_snapshot({"start": "2024-03-01"}, s.events()[:2], title="before")
    before = dump(db)
    monkeypatch.setenv(access.READ_ONLY_ENV, "1")
    e = typed["Sibi"][0]
    target = {"article_id": e["article_id"], "mention_start": e["mention_start"], "mention_end": e["mention_end"]}
    with Store.open(db) as raw:
        store = access.GuardedStore(raw, lambda: access.refusal(TOKEN), access.RateLimiter())
        attempts = [
            lambda: ingest([views.article_from_text("Fire in Shusha\nApril 10, 2024\n\n"
                                                    "A fire broke out in the town of Shusha.")], store, geoparser),
            lambda: store.correct(lat=1.0, lon=2.0, **target),
            lambda: store.set_hidden(hidden=True, **target),
            lambda: store.set_type(type="protest", **target),
            lambda: store.set_date(date="2024-01-01", date_end=None, precision="day", **target),
            lambda: store.add_place_rule("Sibi", 1.0, 2.0),
            lambda: store.undo_correction(1),
            lambda: store.delete_article(e["article_id"]),
            lambda: store.rebuild_incidents(),
            lambda: store.save_snapshot({"start": "2024-03-01"}, store.events()[:1], title="after"),
            # refused before the owner key is even looked at
            lambda: store.rename_snapshot(raw.snapshots()[0]["id"], "renamed", "any key"),
            lambda: store.delete_snapshot(raw.snapshots()[0]["id"], "any key"),
        ]
        for attempt in attempts:
            with pytest.raises(access.Refused, match="^This map is read-only.$"):
                attempt()
        # reading goes on
        assert store.events() == raw.events() and store.count_events() > 0
        assert [s["title"] for s in store.snapshots()] == ["before"]
        assert store.snapshot(store.snapshots()[0]["id"]).n_events == 2
    assert dump(db) == before
    assert set(access.WRITE_METHODS) <= set(dir(Store))


def test_guarded_store_caps_the_snapshot_size_and_rate_limits(typed, db):
    from geo.store import Store
    now = [0.0]
    with Store.open(db) as raw:
        events = raw.events()
        store = access.GuardedStore(raw, lambda: None, access.RateLimiter(2, 60, clock=lambda: now[0]),
                                    max_snapshot_events=3)
        with pytest.raises(access.Refused, match=r"^A snapshot holds at most 3 events \(this view has \d+\)"):
            store.save_snapshot({}, events)
        store.save_snapshot({}, events[:3])
        store.save_snapshot({}, events[:1])
        with pytest.raises(access.Refused, match="^At most 2 snapshots per 1 minutes in a session"):
            store.save_snapshot({}, events[:1])
        now[0] = 61
        store.save_snapshot({}, events[:1])
        assert len(raw.snapshots()) == 3


# --------------------------------------------------------------------------- the app

def test_read_only_hides_every_editing_widget_and_viewing_still_works(typed, db, monkeypatch):
    from geo.store import Store
    with Store.open(db) as s:
        sid = s.save_snapshot({"start": "2024-03-01", "end": "2024-03-31"}, s.events()[:3], title="March").id
        s.set_type(type="other", article_id=typed["Kharkiv"][0]["article_id"],
                   mention_start=typed["Kharkiv"][0]["mention_start"], mention_end=typed["Kharkiv"][0]["mention_end"])
    # an editor sees the editing widgets (the laptop default) ...
    sibi = typed["Sibi"][0]
    editor = new_app({"event": str(sibi["id"])})
    assert not editor.exception
    assert {"w_add_files", "w_save_type", "w_hide", "w_snap_save", "file_uploader", "w_paste",
            "w_url"} <= editing_widgets(editor)
    assert any(k.startswith("w_undo_") for k in editing_widgets(editor))
    before = dump(db)

    monkeypatch.setenv(access.READ_ONLY_ENV, "1")
    at = new_app({"event": str(sibi["id"])})
    assert not at.exception
    assert editing_widgets(at) == set()
    assert not at.tabs and not [e for e in at.expander if e.label.startswith(("Corrections", "Hidden events"))]
    assert any("Read-only map" in c.value for c in at.sidebar.caption)
    assert not [t for t in at.text_input if t.key == "w_editor_token"]
    # viewing: the selected incident, the filters, the URL, the link and the downloads
    assert any("Reported by 3 sources" in m.value for m in at.markdown)
    n, m = counts(at)
    at.multiselect(key="w_types").set_value(["protest"]).run()
    assert not at.exception and counts(at)[0] < n and at.query_params["type"] == "protest"
    assert "type=protest" in shown_links(at.sidebar)[0]                      # the link to this view
    assert len(at.get("download_button")) >= 4
    # a snapshot made before opens
    snap = new_app({"snapshot": sid})
    assert not snap.exception and snap.info[0].value.startswith("**Snapshot of 3 events")
    assert dump(db) == before


def test_read_only_does_not_fill_an_empty_database_from_the_seeds(db, monkeypatch):
    monkeypatch.setenv(access.READ_ONLY_ENV, "1")
    at = new_app()
    assert not at.exception
    from geo.store import Store
    with Store.open(db) as s:
        assert s.count_articles() == 0


def test_editor_token_unlocks_editing_for_the_session_only(typed, db, monkeypatch):
    monkeypatch.setenv(access.TOKEN_ENV, TOKEN)
    sibi = typed["Sibi"][0]
    at = new_app({"event": str(sibi["id"])})
    assert not at.exception
    assert editing_widgets(at) == set()
    from streamlit.proto.TextInput_pb2 import TextInput
    field = at.text_input(key="w_editor_token").proto
    assert field.type == TextInput.PASSWORD and not field.query_param_key     # masked, and bound to no URL parameter

    at.text_input(key="w_editor_token").set_value("not the token").run()
    assert editing_widgets(at) == set()
    assert [e.value for e in at.error] == [access.WRONG_TOKEN_MESSAGE]

    at.text_input(key="w_editor_token").set_value(TOKEN).run()
    assert not at.error
    assert {"w_add_files", "w_save_type", "w_hide", "w_snap_save", "file_uploader"} <= editing_widgets(at)
    # an edit goes through
    at.selectbox(key=f"w_type_{sibi['id']}").set_value("protest").run()
    at.button(key="w_save_type").click().run()
    assert not at.exception and any("Saved: the type is now" in s.value for s in at.success)
    # the token is never in the URL or the link to this view
    assert TOKEN not in str(dict(at.query_params)) and "token" not in at.query_params
    assert shown_links(at.sidebar) and all(TOKEN not in link for link in shown_links(at.sidebar))
    # the operator changes the token: the session's old one no longer opens anything
    monkeypatch.setenv(access.TOKEN_ENV, "a new secret")
    at.run()
    assert editing_widgets(at) == set() and [e.value for e in at.error] == [access.WRONG_TOKEN_MESSAGE]
    monkeypatch.setenv(access.TOKEN_ENV, TOKEN)
    at.run()
    assert "w_save_type" in editing_widgets(at)
    at.button(key="w_stop_editing").click().run()
    assert editing_widgets(at) == set()
    # a crafted session state grants nothing: only the token itself, compared each run
    other = new_app({"event": str(sibi["id"])})
    for key in ("editor", "_editor", "may_edit", "_may_edit", "authenticated"):
        other.session_state[key] = True
    other.run()
    assert editing_widgets(other) == set()
    # another session starts without the token
    assert editing_widgets(new_app({"event": str(sibi["id"])})) == set()
    # read-only beats the token
    monkeypatch.setenv(access.READ_ONLY_ENV, "1")
    ro = new_app()
    assert editing_widgets(ro) == set() and not [t for t in ro.text_input if t.key == "w_editor_token"]


def test_the_eleventh_snapshot_in_a_session_is_refused(typed, db):
    at = new_app()
    for i in range(access.SNAPSHOT_LIMIT):
        at.button(key="w_snap_save").click().run()
        assert not at.exception and not at.error, i
    from geo.store import Store
    with Store.open(db) as s:
        assert len(s.snapshots()) == 10
    at.button(key="w_snap_save").click().run()
    assert not at.exception
    assert len(at.error) == 1 and at.error[0].value.startswith("At most 10 snapshots per 10 minutes in a session")
    with Store.open(db) as s:
        assert len(s.snapshots()) == 10
    # a new session has its own allowance
    fresh = new_app()
    fresh.button(key="w_snap_save").click().run()
    assert not fresh.error
    with Store.open(db) as s:
        assert len(s.snapshots()) == 11


def test_a_snapshot_over_the_size_cap_is_refused(typed, db, monkeypatch):
    monkeypatch.setattr(access, "MAX_SNAPSHOT_EVENTS", 3)
    at = new_app()
    n, _ = counts(at)
    assert n > 3
    at.button(key="w_snap_save").click().run()
    assert not at.exception
    assert [e.value for e in at.error] == [views.md_escape(f"A snapshot holds at most 3 events (this view has {n}): "
                                                           "narrow the view first.")]
    from geo.store import Store
    with Store.open(db) as s:
        assert s.snapshots() == []


def test_a_stale_editing_widget_writes_nothing_once_the_map_is_read_only(typed, db, monkeypatch):
    """A page drawn while editing was allowed, clicked after the switch to read-only: nothing is written."""
    sibi = typed["Sibi"][0]
    at = new_app({"event": str(sibi["id"])})
    assert {"w_snap_save", "w_hide"} <= editing_widgets(at)
    before = dump(db)
    monkeypatch.setenv(access.READ_ONLY_ENV, "1")
    at.button(key="w_snap_save").click()
    at.button(key="w_hide").click()
    at.run()
    assert not at.exception and editing_widgets(at) == set()
    assert dump(db) == before
