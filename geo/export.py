"""Exports of stored events: GeoJSON (RFC 7946, lon/lat order) and CSV."""
from __future__ import annotations

import csv
import io
import json

CSV_FIELDS = ["name", "lat", "lon", "country_code", "kind", "date", "date_end", "precision", "date_source",
              "confidence", "sentence", "title", "url", "published"]
_PROPERTIES = [f for f in CSV_FIELDS if f not in ("lat", "lon")] + ["id", "article_id"]


def to_geojson(events: list) -> dict:
    features = []
    for e in events:
        if e.get("lat") is None or e.get("lon") is None:
            continue   # an event without a place cannot be a feature
        features.append({
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [round(e["lon"], 6), round(e["lat"], 6)]},
            "properties": {k: e.get(k) for k in _PROPERTIES},
        })
    return {"type": "FeatureCollection", "features": features}


def to_csv(events: list) -> str:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=CSV_FIELDS, extrasaction="ignore", lineterminator="\n")
    w.writeheader()
    for e in events:
        w.writerow({k: e.get(k) for k in CSV_FIELDS})
    return buf.getvalue()


def write(events: list, fmt: str, path: str) -> int:
    """Write `events` as `fmt` to `path` (atomically); returns the number written."""
    import os
    if fmt == "geojson":
        collection = to_geojson(events)
        data = json.dumps(collection, ensure_ascii=False, indent=1)
        n = len(collection["features"])
    elif fmt == "csv":
        data, n = to_csv(events), len(events)
    else:
        raise ValueError(f"unknown export format {fmt!r}")
    tmp = f"{path}.tmp"
    with open(tmp, "w", encoding="utf-8", newline="") as f:
        f.write(data)
    os.replace(tmp, path)
    return n
