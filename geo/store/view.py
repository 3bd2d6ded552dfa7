"""The store answers the view (issue 12): what the map, the histogram and the table of one view need,
computed in the database, so the app never loads the whole store.

`ViewQueries` is a mixin of every backend's Store. It builds its SQL from the backend's
`_event_filter` (the same filters as `Store.events`) and two dialect hooks each backend provides:
`_sql_floor_int(expr)` (an integer floor) and `_sql_period(bucket, column)` (the first day of the
day/week/month holding a 'YYYY-MM-DD' column, as 'YYYY-MM-DD').
"""
from __future__ import annotations


class ViewQueries:
    """View queries shared by the backends (see the module docstring)."""
