"""The event store: articles, their mentions and events, incidents, corrections and snapshots.

    from geo.store import Store
    with Store.open() as store:             # argument, else $GEO_DB, else data/events.db (SQLite)
        outcome = store.add(result)         # an ArticleResult → AddOutcome(status, article_id, events)
        rows = store.events(start="2024-04-01", end="2024-04-30", bbox=(44.0, 39.0, 48.0, 41.0))

One module per backend: `geo.store.sqlite` (the embedded default: one file, zero set-up). The
backend's own docstring gives its design (transactions, idempotence, corrections, incidents,
migrations, failures).
"""
from geo.store.sqlite import (DEFAULT_DB, MAX_INCIDENT_DAYS, MIGRATIONS, SCHEMA_VERSION,  # noqa: F401
                              SNAPSHOT_CHANGED, AddOutcome, Store, StoreError, content_hash, day_bounds,
                              fold_name, new_snapshot_id)
