"""The event store: articles, their mentions and events, incidents, corrections and snapshots.

    from geo.store import Store
    with Store.open() as store:             # argument, else $GEO_DB, else data/events.db (SQLite)
        outcome = store.add(result)         # an ArticleResult → AddOutcome(status, article_id, events)
        rows = store.events(start="2024-04-01", end="2024-04-30", bbox=(44.0, 39.0, 48.0, 41.0))

`geo.store.base` holds the interface and every piece of logic the backends share; one module per
backend holds its specifics: `geo.store.sqlite` (the embedded default: one file, zero set-up) and
`geo.store.postgis` (PostgreSQL + PostGIS, for a store several analysts share), chosen by
`Store.open` from the location: a ``postgresql://`` URL (``--db``, ``GEO_DB``) or a file.
"""
from geo.store.base import (DEFAULT_DB, MAX_INCIDENT_DAYS, SNAPSHOT_CHANGED, AddOutcome,  # noqa: F401
                            Store, StoreError, content_hash, day_bounds, fold_name, is_postgres_url,
                            new_snapshot_id)
from geo.store.sqlite import MIGRATIONS, SCHEMA_VERSION, SQLiteStore  # noqa: F401  (SQLite's schema)
