"""The store answers the view (issue 12): what the map, the histogram and the table of one view need,
computed in the database, so the app never loads the whole store.

    f = views.store_filters(view, span)            # the view's filters, as `Store.events` takes them
    n = store.count_view(**f)
    pins = store.view_events(**f) if n <= MAX_PINS else None
    cells = store.view_cells(cell_deg=2.0, **f)     # else: counts per grid cell, to draw as density
    bars = store.view_histogram("week", **f)        # [(first day of the week, incidents)]
    page = store.view_events(newest_first=True, limit=200, offset=400, **f)

`ViewQueries` is a mixin of every backend's Store. It builds its SQL from the backend's
`_event_filter` (the same filters as `Store.events`) and two dialect hooks each backend provides:
`_sql_floor_int(expr)` (an integer floor of a non-negative number) and `_sql_period(bucket, column)`
(the first day of the day/week/month holding a 'YYYY-MM-DD' column, as 'YYYY-MM-DD').
"""
from __future__ import annotations

from typing import Iterator, Optional

from geo.exceptions import StoreError

# The density cells and the histogram of a view of more than SAMPLE_ABOVE events are counted on
# a fixed sample and scaled up: the events of one incident in SAMPLE_EVERY (by incident id, so an
# incident is in or out whole and incident counts scale too), in their own index. A density picture
# needs no exact count, and a million-event view is then read in tens of milliseconds.
SAMPLE_EVERY = 16
SAMPLE_ABOVE = 100_000


def _view_row(r, event_dict) -> dict:
    """A row of `_view_select` as an event dict (by `event_dict`, geo.store.base's, passed in: base
    imports this module) with `representative`: True for the event its incident's pin stands on
    (geo.views.representative); a lone event is its own."""
    e = event_dict(r[:-1])
    e["representative"] = not e["hidden"] and (r[-1] is None or r[-1] == e["id"])
    return e


class ViewQueries:
    """View queries shared by the backends (see the module docstring)."""

    # Newest first, undated events last, in the order of a backend's day_start index walked backwards
    # (SQLite sorts NULL first, so descending puts it last; PostgreSQL says so).
    _newest_order = " ORDER BY e.day_start DESC, e.id DESC"

    def _filtered(self, filters: dict, extra: tuple = (), rows: bool = False,
                  newest_first: bool = False, sample: bool = False) -> tuple[str, list]:
        """FROM … WHERE … of the events a view's filters keep (plus `extra` conditions); rows: with
        the articles and incidents joined for their columns (else only where a filter needs them);
        newest_first: for a page of the table, newest first."""
        tables, where, params = self._event_filter(rows=rows, newest_first=newest_first, sample=sample, **filters)
        where = list(where) + list(extra)
        return f" FROM {tables}" + (" WHERE " + " AND ".join(where) if where else ""), params

    def count_view(self, **filters) -> int:
        """How many events the view's filters keep (keyword arguments as `Store.events` takes them,
        plus kinds, sources and actor: see `_event_filter`)."""
        with self._lock:
            sql, params = self._filtered(filters)
            return int(self._read("SELECT COUNT(*)" + sql, params)[0][0])

    def view_events(self, limit: Optional[int] = None, offset: int = 0, newest_first: bool = False,
                    slim: bool = False, **filters) -> list:
        """The events the view's filters keep, as `Store.events` rows plus `representative` (True for
        the event its incident's pin stands on): by date then id (oldest first), or newest first
        for the table; `limit`/`offset` page through them. slim: leave out each event's alternative
        places (``alternatives`` is []), the bulk of a row, for drawing."""
        with self._lock:
            page = None if limit is None else (int(limit), max(0, int(offset)))
            sql, params = self._view_select(filters, newest_first, slim, page)
            rows = self._read(sql, params)
        from geo.store.base import _event_dict
        return [_view_row(r, _event_dict) for r in rows]

    def iter_view_events(self, newest_first: bool = False, slim: bool = False, batch: int = 2000,
                         **filters) -> Iterator[dict]:
        """`view_events` as a stream: rows are fetched `batch` at a time while the caller consumes
        them (an export of a million events holds a few thousand in memory). Holds the store's lock
        until the stream is exhausted or closed."""
        from geo.store.base import _event_dict
        with self._lock, self._reading():
            sql, params = self._view_select(filters, newest_first, slim)
            for rows in self._stream(sql, params, batch):
                for r in rows:
                    yield _view_row(r, _event_dict)

    def _stream(self, sql: str, params: list, batch: int) -> Iterator[list]:
        """The rows of a read query, `batch` at a time (SQLite steps its cursor; a backend whose
        cursors fetch everything at once overrides this with a server-side cursor)."""
        cur = self._conn.execute(sql, params)
        try:
            while True:
                rows = cur.fetchmany(batch)
                if not rows:
                    return
                yield rows
        finally:
            cur.close()

    def _view_select(self, filters: dict, newest_first: bool, slim: bool,
                     page: Optional[tuple] = None) -> tuple[str, list]:
        """The SELECT of `view_events`; page: (limit, offset), one page of it."""
        from geo.store.base import _EVENT_COLUMNS
        cols = ", ".join("'[]'" if slim and c == "alternatives" else "e." + c for c in _EVENT_COLUMNS)
        order = self._newest_order if newest_first else " ORDER BY e.day_start IS NULL, e.day_start, e.id"
        select = f"SELECT {cols}, a.title, a.url, a.published, COALESCE(i.n_sources, 1), i.event_id"
        # The ids first, off the narrow indexes (or a text's matches table, `_text_matches`), then only
        # their rows: sorting the wide rows read every match's row (48,000 for a text filter at 1M
        # events, to show 200). Without a page that pays only when the ids come off a matches table.
        narrow = self._filtered(filters, newest_first=newest_first) if page is not None or filters.get("text") else None
        if narrow is None or (page is None and narrow[0].startswith(" FROM events")):
            sql, params = self._filtered(filters, rows=True, newest_first=newest_first)
            return select + sql + order, params
        sql, params = narrow
        limit = order + " LIMIT ? OFFSET ?" if page is not None else ""
        return (f"{select} FROM events e JOIN articles a ON a.id = e.article_id LEFT JOIN incidents i"
                f" ON i.id = e.incident_id WHERE e.id IN (SELECT e.id{sql}{limit}){order}",
                params + list(page or ()))

    def estimate_view(self, sample_above: Optional[int] = SAMPLE_ABOVE, **filters) -> tuple[int, bool]:
        """(how many events the view's filters keep, exact?): for a view of more than `sample_above`
        events, as its fixed sample tells (scaled up, not exact: "about 800,000 events"), else
        `count_view`. What a very large view shows as its number without counting every event."""
        with self._lock:
            n = self._sample_count(filters) if sample_above is not None else None
            if n is not None and n > sample_above:
                return n, False
            return self.count_view(**filters), True

    def _sample_count(self, filters: dict) -> int:
        """The view's events in the fixed sample, scaled up to all."""
        sql, params = self._filtered(filters, sample=True)
        return int(self._read("SELECT COUNT(*)" + sql, params)[0][0]) * SAMPLE_EVERY

    def _sampled(self, filters: dict, sample_above: Optional[int]) -> bool:
        """Is the view so large (more than `sample_above` events, as its fixed sample tells) that its
        aggregates are counted on the sample? None: never."""
        return sample_above is not None and self._sample_count(filters) > sample_above

    def view_cells(self, cell_deg: float, sample_above: Optional[int] = SAMPLE_ABOVE, **filters) -> list:
        """The view's placed events counted per cell of a `cell_deg`-degree grid, as dicts: `lat`,
        `lon` (the mean position of its events, where a pin of the cell belongs), `n` (events),
        `first`/`last` (their first and last day, None when undated), `approx` (True when counted on
        the store's fixed sample and scaled up: a view of more than `sample_above` events), by count,
        largest first."""
        if not cell_deg > 0:
            raise StoreError(f"cell size must be positive, not {cell_deg!r}")
        gy = self._sql_floor_int("(e.lat + 90.0) / ?")
        gx = self._sql_floor_int("(e.lon + 180.0) / ?")
        with self._lock:
            sampled = self._sampled(filters, sample_above)
            sql, params = self._filtered(filters, ("e.lat IS NOT NULL", "e.lon IS NOT NULL"), sample=sampled)
            rows = self._read(f"SELECT {gy} AS gy, {gx} AS gx, COUNT(*), AVG(e.lat), AVG(e.lon), MIN(e.day_start),"
                              f" MAX(e.day_end){sql} GROUP BY gy, gx ORDER BY COUNT(*) DESC",
                              [float(cell_deg), float(cell_deg)] + params)
        scale = SAMPLE_EVERY if sampled else 1
        return [{"lat": lat, "lon": lon, "n": int(n) * scale, "first": first, "last": last, "approx": sampled}
                for _, _, n, lat, lon, first, last in rows]

    def view_histogram(self, bucket: str = "day", sample_above: Optional[int] = SAMPLE_ABOVE, **filters) -> list:
        """Incidents (one per happening, however many articles report it) per day, week or month
        of their events' first days, as [(first day of the period 'YYYY-MM-DD', count)] in order.
        An incident whose events start in two periods counts in both. A view of more than
        `sample_above` events is counted on the store's fixed sample and scaled up (about right)."""
        if bucket not in ("day", "week", "month"):
            raise StoreError(f"bucket must be day, week or month, not {bucket!r}")
        period = self._sql_period(bucket, "e.day_start")
        with self._lock:
            sampled = self._sampled(filters, sample_above)
            sql, params = self._filtered(filters, ("e.day_start IS NOT NULL",), sample=sampled)
            # distinct (period, incident) pairs, then counted: one pass, no per-group distinct sets
            rows = self._read(f"SELECT p, COUNT(*) FROM (SELECT DISTINCT {period} AS p,"
                              f" COALESCE(e.incident_id, e.id) AS inc{sql}) x GROUP BY p ORDER BY p", params)
        scale = SAMPLE_EVERY if sampled else 1
        return [(p, int(n) * scale) for p, n in rows]

    def view_bounds(self, **filters) -> Optional[tuple]:
        """((south, west), (north, east)) around the view's placed events, or None without any."""
        with self._lock:
            sql, params = self._filtered(filters, ("e.lat IS NOT NULL", "e.lon IS NOT NULL"))
            s, w, n, e = self._read("SELECT MIN(e.lat), MIN(e.lon), MAX(e.lat), MAX(e.lon)" + sql, params)[0]
        return None if s is None else ((s, w), (n, e))

    def filter_options(self) -> dict:
        """The choices the filter widgets offer, as `geo.views.options` gives them from events:
        sorted `countries` (upper case), `sources` (source labels), `kinds`, and `types` in
        EVENT_TYPES order. Each list is read off an index by skip-scan (one probe per distinct
        value), so it costs the same for 1,000 or 10,000,000 events."""
        from geo.events import EVENT_TYPES
        countries = {c.upper() for c in self._distinct("events", "country_code")}
        kinds = set(self._distinct("events", "kind"))
        types = set(self._distinct("events", "type"))
        sources = set(self._distinct("articles", "source_label"))
        return {"countries": sorted(countries), "sources": sorted(sources, key=str.casefold),
                "kinds": sorted(kinds), "types": [t for t in EVENT_TYPES if t in types]}

    def _distinct(self, table: str, column: str) -> list:
        """The distinct non-null values of an indexed column, walking the index from value to value."""
        sql = (f"WITH RECURSIVE v(x) AS (SELECT MIN({column}) FROM {table}"
               f" UNION ALL SELECT (SELECT MIN({column}) FROM {table} WHERE {column} > v.x) FROM v"
               f" WHERE v.x IS NOT NULL) SELECT x FROM v WHERE x IS NOT NULL")
        return [r[0] for r in self._read(sql)]

    def event(self, event_id: int) -> Optional[dict]:
        """One stored event (hidden ones too) as `Store.events` gives it, or None."""
        from geo.store.base import _EVENT_COLUMNS, _event_dict
        rows = self._read(f"SELECT {', '.join('e.' + c for c in _EVENT_COLUMNS)}, a.title, a.url, a.published,"
                          " COALESCE(i.n_sources, 1) FROM events e JOIN articles a ON a.id = e.article_id"
                          " LEFT JOIN incidents i ON i.id = e.incident_id WHERE e.id = ?", (int(event_id),))
        return _event_dict(rows[0]) if rows else None
