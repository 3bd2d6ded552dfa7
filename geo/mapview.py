"""The map, built by a pure function from event dicts (tests inspect its output).

Every piece of article text that reaches HTML goes through `html.escape`: titles, sentences and
names are untrusted input.
"""
from __future__ import annotations

import html

import folium

GEONAMES_CREDIT = 'Places: <a href="https://www.geonames.org/">GeoNames</a> (CC BY 4.0)'
AREA_KINDS = {"country", "continent", "region", "admin1"}


def popup_html(e: dict) -> str:
    sentence = e.get("sentence") or ""
    name = e.get("name") or ""
    # highlight the place inside the (escaped) sentence
    esc_sentence = html.escape(sentence)
    esc_name = html.escape(name)
    if esc_name and esc_name in esc_sentence:
        esc_sentence = esc_sentence.replace(esc_name, f"<mark>{esc_name}</mark>", 1)
    stated = {"stated": "stated in the text", "published": "publication date (no date stated)",
              "unknown": "date unknown"}.get(e.get("date_source") or "unknown", "")
    url = e.get("url") or ""
    link = f'<a href="{html.escape(url, quote=True)}" target="_blank" rel="noopener">source</a>' \
        if url.startswith(("http://", "https://")) else ""
    conf = e.get("confidence")
    return (f"<b>{html.escape(e.get('title') or '')}</b><br>"
            f"{html.escape(str(e.get('date') or 'unknown date'))} ({html.escape(str(e.get('precision') or ''))}, "
            f"{stated})<br>{esc_sentence}<br>"
            f"{esc_name} · confidence {conf if conf is not None else '?'} {link}")


def build_map(events: list, center=None, zoom: int = 4) -> folium.Map:
    """A folium map of `events`: points for towns and landmarks, translucent circles for areas."""
    pts = [e for e in events if e.get("lat") is not None]
    if center is None:
        center = ([sum(e["lat"] for e in pts) / len(pts), sum(e["lon"] for e in pts) / len(pts)]
                  if pts else [20.0, 0.0])
    m = folium.Map(location=center, zoom_start=zoom, attribution_control=True)
    fg = folium.FeatureGroup(name="events")
    for e in pts:
        tooltip = html.escape(f"{e.get('name')} · {e.get('date') or 'unknown date'}")
        popup = folium.Popup(popup_html(e), max_width=360)
        if e.get("kind") in AREA_KINDS:
            folium.Circle([e["lat"], e["lon"]], radius=150_000 if e.get("kind") != "country" else 400_000,
                          color="#3366cc", fill=True, fill_opacity=0.15, weight=1,
                          tooltip=tooltip, popup=popup).add_to(fg)
        else:
            folium.CircleMarker([e["lat"], e["lon"]], radius=7, color="#cc3300", fill=True, fill_opacity=0.8,
                                tooltip=tooltip, popup=popup).add_to(fg)
    fg.add_to(m)
    m.get_root().html.add_child(folium.Element(
        f'<div style="position:fixed;bottom:4px;left:4px;z-index:9999;font:11px sans-serif;'
        f'background:#fff8;padding:2px 4px">{GEONAMES_CREDIT}</div>'))
    return m
