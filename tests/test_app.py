"""The app's first run: an empty database is filled from seeds/ and the caption counts the events."""
import re

from streamlit.testing.v1 import AppTest

from tests.conftest import ROOT


def test_first_start_fills_an_empty_database_from_the_seeds(tmp_path, monkeypatch):
    monkeypatch.setenv("GEO_DB", str(tmp_path / "events.db"))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180)
    at.run()
    assert not at.exception
    captions = [c.value for c in at.caption]
    shown = [re.match(r"Showing (\d+) of (\d+) events", c) for c in captions]
    counts = [m.groups() for m in shown if m]
    assert counts and counts[0][0] == counts[0][1] and int(counts[0][1]) >= 5
    assert (tmp_path / "events.db").exists()
