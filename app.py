"""Streamlit UI: widgets and layout only; the work is done in geo/."""
from __future__ import annotations

import html
from datetime import date
from pathlib import Path

import streamlit as st
from streamlit_folium import st_folium

from geo.mapview import build_map
from geo.store import Store

SEEDS = Path(__file__).parent / "seeds"

st.set_page_config(page_title="Reported events", layout="wide")


@st.cache_resource
def geoparser():
    from geo.pipeline import Geoparser
    return Geoparser()


def store() -> Store:
    return Store.open()   # GEO_DB or data/events.db; a fresh connection sees the CLI's ingests


def fill_from_seeds(s: Store) -> None:
    from geo.ingest import ingest, read_inputs
    with st.status("Empty database: adding the sample articles from seeds/…", expanded=False) as status:
        summary = ingest(read_inputs([str(SEEDS)]), s, geoparser())
        status.update(label=f"Added {summary.added} sample article(s), {summary.events} events", state="complete")


s = store()
if s.count_articles() == 0:
    fill_from_seeds(s)

st.title("Reported events")
first, last = s.date_span()
all_events = s.events()
if first and last:
    lo, hi = date.fromisoformat(first), date.fromisoformat(last)
    if lo == hi:
        window = (lo, hi)
    else:
        window = st.slider("Dates", min_value=lo, max_value=hi, value=(lo, hi))
    shown = s.events(start=window[0].isoformat(), end=window[1].isoformat())
else:
    shown = all_events
st.caption(f"Showing {len(shown)} of {len(all_events)} events")
st_folium(build_map(shown), height=520, use_container_width=True, returned_objects=[])
st.dataframe([{"place": e["name"], "date": e["date"], "precision": e["precision"],
               "date source": e["date_source"], "title": e["title"], "confidence": e["confidence"]}
              for e in shown], use_container_width=True)
st.caption(html.escape("Place names: GeoNames (CC BY 4.0). Country outlines: Natural Earth."))
s.close()
