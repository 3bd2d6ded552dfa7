"""The embedded default backend: one SQLite file holding the store (geo/store/base.py has its
interface and all the logic both backends share; this module only what is SQLite's).

    with Store.open("data/events.db") as store:      # or SQLiteStore(path); see geo.store.base

* **WAL mode, one transaction per article.** Writes run inside ``BEGIN IMMEDIATE … COMMIT`` (the
  file's write lock serialises writers, also across processes). ``synchronous=NORMAL``: in WAL mode
  a committed article survives a killed process; only an OS crash or power loss may lose the last
  few commits (never corrupting the file).
* **Schema migrations.** ``PRAGMA user_version`` is the schema version; `MIGRATIONS` is an ordered
  list, each applied in its own transaction. Later issues append migrations; never edit old ones.
* **Bounding boxes** go through the SQLite R*Tree module (``events_rtree``, kept in sync with
  ``events`` by triggers). When the SQLite build lacks R*Tree, the store falls back to a plain
  ``(lat, lon)`` index and says so in ``Store.has_rtree``; results are the same, only slower.
  SQLite cannot tell how selective a date range or a box is, so `_driver` picks the index that
  leads a query (and `_box_candidates` the one that leads an incident candidate query) by estimate.
* **Clear failures.** A file that cannot be used raises a `StoreFileError` subclass (geo/exceptions.py)
  whose message is one line naming the file as the user gave it (``--db``/``GEO_DB``; the default
  shows as ``data/events.db``) and what to do: `StoreCorrupt` (not SQLite, or damaged pages),
  `StoreForeign` (an SQLite database with other tables), `StoreTooNew` (``user_version`` above
  `SCHEMA_VERSION`), `StoreReadOnly` (the file or its folder), `StoreLocked` (another writer held
  the lock past the busy timeout), `StoreFull` (disk full or the size limit), `StoreUnopenable`.
  `Store.open` raises the first four; writes (every ``BEGIN IMMEDIATE … COMMIT``) the others, after
  rolling back. `check_writable` asks up front, writing nothing (ingest calls it before geoparsing).
  Operator settings: ``GEO_DB_BUSY_MS`` (how long a write waits for another writer's lock; default
  30000) and ``GEO_DB_MAX_MB`` (a size limit for the database file, through SQLite's
  ``max_page_count``; beyond it writes fail as `StoreFull`, as on a full disk; unset: no limit).
* **Threads.** One connection (``check_same_thread=False``) guarded by the store's lock.
"""
from __future__ import annotations

import json
import os
import secrets  # noqa: F401  (tests patch secrets.token_urlsafe through this module)
import sqlite3
import threading
from datetime import date as _date
from pathlib import Path
from typing import Callable, Optional, Union

from geo.exceptions import (StoreCorrupt, StoreError, StoreFileError, StoreForeign, StoreFull,  # noqa: F401
                            StoreLocked, StoreReadOnly, StoreTooNew, StoreUnopenable)
from geo.store.base import (  # noqa: F401  (re-exported: the names this module always had)
    AREA_KINDS, BUSY_ENV, CORRECTABLE, CORRECTION_KINDS, DATE_SOURCES, DEFAULT_BUSY_S, DEFAULT_DB, INCIDENT_KM,
    INCIDENT_SLACK_DAYS, MAX_INCIDENT_DAYS, MAX_MB_ENV, MENTION_CORRECTABLE, PRECISIONS,
    PROJECT_ROOT, SAMPLE_EVERY, SHORT_SPAN_DAYS, SNAPSHOT_CHANGED, SNAPSHOT_ID_RE, AddOutcome, Store, _EVENT_COLUMNS,
    _NODE_SQL, _env_number, _event_dict, content_hash, day_bounds, fold_name, key_neighbour_sql,
    neighbour_common, neighbour_dates, new_snapshot_id, normalise_text, source_label)

# --------------------------------------------------------------------------- schema

def _migration_1(conn: sqlite3.Connection, has_rtree: bool) -> None:
    conn.execute("""
        CREATE TABLE articles (
            id               INTEGER PRIMARY KEY AUTOINCREMENT,   -- ids never reused
            content_hash     TEXT NOT NULL UNIQUE,
            external_id      TEXT,
            title            TEXT,
            url              TEXT,
            published        TEXT,
            published_source TEXT,
            source           TEXT,
            text             TEXT NOT NULL,
            ingested_at      TEXT NOT NULL
        )""")
    conn.execute("""
        CREATE TABLE mentions (
            id           INTEGER PRIMARY KEY,
            article_id   INTEGER NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
            "start"      INTEGER NOT NULL,
            "end"        INTEGER NOT NULL,
            text         TEXT,
            name         TEXT,
            lat          REAL,
            lon          REAL,
            country_code TEXT,
            kind         TEXT,
            geonameid    INTEGER,
            place_key    TEXT,
            score        REAL,
            alternatives TEXT NOT NULL DEFAULT '[]',
            corrected    INTEGER NOT NULL DEFAULT 0
        )""")
    conn.execute('CREATE INDEX mentions_article ON mentions(article_id, "start", "end")')
    conn.execute("""
        CREATE TABLE events (
            id            INTEGER PRIMARY KEY AUTOINCREMENT,
            article_id    INTEGER NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
            mention_start INTEGER NOT NULL,
            mention_end   INTEGER NOT NULL,
            name          TEXT,
            lat           REAL CHECK (lat IS NULL OR lat BETWEEN -90 AND 90),
            lon           REAL CHECK (lon IS NULL OR lon BETWEEN -180 AND 180),
            country_code  TEXT,
            kind          TEXT,
            date          TEXT,
            date_end      TEXT,
            day_start     TEXT,
            day_end       TEXT,
            precision     TEXT,
            date_source   TEXT NOT NULL DEFAULT 'unknown'
                          CHECK (date_source IN ('stated', 'published', 'unknown')),
            sentence      TEXT,
            confidence    REAL,
            place_key     TEXT,
            alternatives  TEXT NOT NULL DEFAULT '[]',
            corrected     INTEGER NOT NULL DEFAULT 0,
            CHECK ((day_start IS NULL) = (day_end IS NULL) AND (day_start IS NULL OR day_start <= day_end))
        )""")
    # Each date index carries the other bound too, so the overlap test is decided inside the index.
    conn.execute("CREATE INDEX events_day_start ON events(day_start, day_end)")
    conn.execute("CREATE INDEX events_day_end ON events(day_end, day_start)")
    conn.execute("CREATE INDEX events_article ON events(article_id)")
    conn.execute("""
        CREATE TABLE corrections (
            content_hash  TEXT NOT NULL,
            mention_start INTEGER NOT NULL,
            mention_end   INTEGER NOT NULL,
            lat           REAL NOT NULL,
            lon           REAL NOT NULL,
            name          TEXT,
            place_key     TEXT,
            note          TEXT NOT NULL DEFAULT '',
            created_at    TEXT NOT NULL,
            mention_text  TEXT,            -- the span's text: re-applied only where it still reads so
            PRIMARY KEY (content_hash, mention_start, mention_end)
        )""")
    if has_rtree:
        conn.execute("CREATE VIRTUAL TABLE events_rtree USING rtree(id, min_lon, max_lon, min_lat, max_lat)")
        # The store keeps the R*Tree in step with `events` through these triggers (they also fire
        # for rows removed by ON DELETE CASCADE).
        conn.execute("""
            CREATE TRIGGER events_rtree_insert AFTER INSERT ON events
            WHEN new.lat IS NOT NULL AND new.lon IS NOT NULL BEGIN
                INSERT INTO events_rtree VALUES (new.id, new.lon, new.lon, new.lat, new.lat);
            END""")
        conn.execute("""
            CREATE TRIGGER events_rtree_delete AFTER DELETE ON events BEGIN
                DELETE FROM events_rtree WHERE id = old.id;
            END""")
        conn.execute("""
            CREATE TRIGGER events_rtree_update AFTER UPDATE OF lat, lon ON events BEGIN
                DELETE FROM events_rtree WHERE id = old.id;
                INSERT INTO events_rtree SELECT new.id, new.lon, new.lon, new.lat, new.lat
                    WHERE new.lat IS NOT NULL AND new.lon IS NOT NULL;
            END""")
    else:
        conn.execute("CREATE INDEX events_lat_lon ON events(lat, lon)")


def _migration_2(conn: sqlite3.Connection, has_rtree: bool) -> None:
    """Date windows fast at scale: most events last a day or a month, so they are found by a
    narrow day_start range; the few long ones ("the early 1990s") by their own partial index."""
    conn.execute(f"ALTER TABLE events ADD COLUMN long_span INTEGER GENERATED ALWAYS AS "
                 f"(julianday(day_end) - julianday(day_start) > {SHORT_SPAN_DAYS}) VIRTUAL")
    conn.execute("CREATE INDEX events_long ON events(day_start) WHERE long_span = 1")


def _migration_3(conn: sqlite3.Connection, has_rtree: bool) -> None:
    """Frozen snapshots of a view: the view's URL parameters and a copy of the events it showed,
    so a shared snapshot never changes with later ingests, corrections or deletions."""
    conn.execute("""
        CREATE TABLE snapshots (
            id           TEXT PRIMARY KEY,           -- unguessable (secrets.token_urlsafe)
            created_at   TEXT NOT NULL,
            title        TEXT NOT NULL DEFAULT '',
            note         TEXT NOT NULL DEFAULT '',
            view         TEXT NOT NULL,              -- JSON: the view's URL query parameters
            events       TEXT NOT NULL,              -- JSON: the events as Store.events() gave them
            n_events     INTEGER NOT NULL,
            content_hash TEXT NOT NULL               -- sha256 of view + events (canonical JSON)
        )""")


def _migration_4(conn: sqlite3.Connection, has_rtree: bool) -> None:
    """What happened and who (issue 9): event type, actors, role, trigger; hidden events; incidents
    (many events → one incident); corrections of every kind in one table, with ids, undoable."""
    for col in ("type TEXT NOT NULL DEFAULT 'other'", "actors TEXT NOT NULL DEFAULT '[]'",
                "role TEXT NOT NULL DEFAULT 'reported'", "trigger_start INTEGER", "trigger_end INTEGER",
                "trigger_text TEXT", "hidden INTEGER NOT NULL DEFAULT 0", "incident_id INTEGER",
                "mention_text TEXT",         # the span's text, as the article reads
                "mention_norm TEXT",         # fold_name(mention_text): what place rules match
                "original TEXT",             # JSON: the pipeline's CORRECTABLE values, once a correction applies
                "corrected_by TEXT"):        # JSON list of the correction kinds applied
        conn.execute(f"ALTER TABLE events ADD COLUMN {col}")
    for col in ("norm TEXT", "original TEXT"):
        conn.execute(f"ALTER TABLE mentions ADD COLUMN {col}")
    for aid, text in conn.execute("SELECT id, text FROM articles").fetchall():
        rows = conn.execute("SELECT id, mention_start, mention_end FROM events WHERE article_id = ?",
                            (aid,)).fetchall()
        conn.executemany("UPDATE events SET mention_text = ?, mention_norm = ? WHERE id = ?",
                         [(text[a:b], fold_name(text[a:b]), i) for i, a, b in rows])
    conn.executemany("UPDATE mentions SET norm = ? WHERE id = ?",
                     [(fold_name(t), i) for i, t in conn.execute("SELECT id, text FROM mentions").fetchall()])
    conn.execute("CREATE INDEX events_place_key ON events(place_key, day_start)")
    conn.execute("CREATE INDEX events_incident ON events(incident_id)")
    conn.execute("""
        CREATE TABLE incidents (
            id           INTEGER PRIMARY KEY,     -- the smallest id among its events
            type         TEXT NOT NULL,
            role         TEXT NOT NULL,           -- 'reported' when any of its events is
            n_events     INTEGER NOT NULL,
            n_sources    INTEGER NOT NULL,        -- distinct articles
            day_start    TEXT,                    -- first and last day over its events
            day_end      TEXT,
            event_id     INTEGER NOT NULL,        -- the representative event (place and date below)
            name         TEXT,
            lat          REAL,
            lon          REAL,
            place_key    TEXT,
            country_code TEXT,
            kind         TEXT,
            date         TEXT,
            date_end     TEXT,
            precision    TEXT
        )""")
    conn.execute("CREATE INDEX incidents_day ON incidents(day_start, day_end)")
    conn.execute("""
        CREATE TABLE corrections_4 (
            id            INTEGER PRIMARY KEY AUTOINCREMENT,
            kind          TEXT NOT NULL CHECK (kind IN ('place', 'place_rule', 'type', 'date', 'hidden')),
            content_hash  TEXT,              -- span corrections: the article's content hash and span
            mention_start INTEGER,
            mention_end   INTEGER,
            mention_text  TEXT,              -- the span's text: re-applied only where it still reads so
            rule_name     TEXT,              -- place rules: fold_name of the name
            value         TEXT NOT NULL,     -- JSON: what the correction sets
            note          TEXT NOT NULL DEFAULT '',
            created_at    TEXT NOT NULL,     -- UTC, ISO 8601
            CHECK ((kind = 'place_rule') = (rule_name IS NOT NULL)),
            CHECK ((kind = 'place_rule') = (content_hash IS NULL))
        )""")
    old = conn.execute("SELECT content_hash, mention_start, mention_end, mention_text, lat, lon, name, place_key,"
                       " note, created_at FROM corrections ORDER BY created_at, rowid").fetchall()
    conn.executemany(
        "INSERT INTO corrections_4 (kind, content_hash, mention_start, mention_end, mention_text, value, note,"
        " created_at) VALUES ('place', ?, ?, ?, ?, ?, ?, ?)",
        [(h, a, b, t, json.dumps({"lat": lat, "lon": lon, "name": name, "place_key": key}), note, at)
         for h, a, b, t, lat, lon, name, key, note, at in old])
    conn.execute("DROP TABLE corrections")
    conn.execute("ALTER TABLE corrections_4 RENAME TO corrections")
    conn.execute("CREATE UNIQUE INDEX corrections_span ON corrections(content_hash, mention_start, mention_end, kind)"
                 " WHERE content_hash IS NOT NULL")
    conn.execute("CREATE UNIQUE INDEX corrections_rule ON corrections(rule_name) WHERE rule_name IS NOT NULL")
    # Incidents are computed by the current code once the schema is in place (Store.__init__), so this
    # migration never depends on code that later migrations may change.
    conn.execute("CREATE TABLE store_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
    conn.execute("INSERT INTO store_meta VALUES ('incidents_stale', '1')")


def _migration_5(conn: sqlite3.Connection, has_rtree: bool) -> None:
    """Incidents kept fast on long chains: each event remembers its connected component
    (``component_id``, the smallest event id in it), so an added event merges whole components
    without walking them again."""
    conn.execute("ALTER TABLE events ADD COLUMN component_id INTEGER")
    conn.execute("CREATE INDEX events_component ON events(component_id)")
    conn.execute("INSERT OR REPLACE INTO store_meta VALUES ('incidents_stale', '1')")


def _migration_6(conn: sqlite3.Connection, has_rtree: bool) -> None:
    """The evidence the popup shows: where the sentence starts in the article (so the trigger and the
    place can be highlighted in it) and the words that dated the event, with their offsets."""
    for col in ("sentence_start INTEGER", "date_text TEXT", "date_text_start INTEGER", "date_text_end INTEGER"):
        conn.execute(f"ALTER TABLE events ADD COLUMN {col}")


def _migration_7(conn: sqlite3.Connection, has_rtree: bool) -> None:
    """The store answers the view (issue 12): each article's source label kept and indexed, so the
    Source filter and its choices never parse every event's URL; indexes for the other filter
    choices; a revision number bumped by every write, so readers can cache by it."""
    conn.execute("ALTER TABLE articles ADD COLUMN source_label TEXT")
    conn.executemany("UPDATE articles SET source_label = ? WHERE id = ?",
                     [(source_label(url, title), aid)
                      for aid, url, title in conn.execute("SELECT id, url, title FROM articles").fetchall()])
    conn.execute("CREATE INDEX articles_source_label ON articles(source_label)")
    conn.execute("CREATE INDEX events_country ON events(country_code)")
    conn.execute("CREATE INDEX events_kind ON events(kind)")
    conn.execute("CREATE INDEX events_type ON events(type)")
    conn.execute("INSERT OR REPLACE INTO store_meta VALUES ('revision', '0')")


def _migration_8(conn: sqlite3.Connection, has_rtree: bool) -> None:
    """The latest news day (the timeline's presets end there) read off an index."""
    conn.execute("CREATE INDEX articles_published ON articles(published)")


# What the aggregate view queries read besides the dates (geo/store/view.py): in both date indexes.
VIEW_COLUMNS = "hidden, role, type, lat, lon, incident_id"


def _migration_9(conn: sqlite3.Connection, has_rtree: bool) -> None:
    """The store answers the view from narrow indexes (issue 12): each date index carries every
    column a count, a grid of cells or a histogram reads, so those never touch the wide event rows;
    and the table's newest-first page walks day_start backwards and stops after one page."""
    conn.execute("DROP INDEX IF EXISTS events_day_start")
    conn.execute("DROP INDEX IF EXISTS events_day_end")
    conn.execute(f"CREATE INDEX events_view_start ON events(day_start, day_end, {VIEW_COLUMNS})")
    conn.execute(f"CREATE INDEX events_view_end ON events(day_end, day_start, {VIEW_COLUMNS})")
    conn.execute("CREATE INDEX events_newest ON events(day_start)")


def _migration_10(conn: sqlite3.Connection, has_rtree: bool) -> None:
    """A fixed sample of the events (those of one incident in SAMPLE_EVERY, by incident id) in its own
    narrow index: the density cells and the histogram of a very large view are read off it
    (geo/store/view.py)."""
    conn.execute(f"CREATE INDEX events_view_sample ON events(day_end, day_start, {VIEW_COLUMNS})"
                 f" WHERE COALESCE(incident_id, id) % {SAMPLE_EVERY} = 0")


def _migration_11(conn: sqlite3.Connection, has_rtree: bool) -> None:
    """The text filter off an index (issue 12): trigram full-text indexes (FTS5) over the events'
    place names and sentences and the articles' titles, which answer the filter's substring test
    (LIKE '%sibi%') without reading every row; triggers keep them in step. A build without FTS5's
    trigram tokenizer keeps the LIKE scan (the same results, slower)."""
    if not trigram_available():
        return
    for table, cols, name in (("events", "name, sentence", "events_text"), ("articles", "title", "articles_text")):
        conn.execute(f"CREATE VIRTUAL TABLE {name} USING fts5({cols}, content='{table}', content_rowid='id',"
                     " tokenize='trigram')")
        conn.execute(f"INSERT INTO {name}({name}) VALUES ('rebuild')")
        new = ", ".join(f"new.{c.strip()}" for c in cols.split(","))
        old = ", ".join(f"old.{c.strip()}" for c in cols.split(","))
        conn.execute(f"CREATE TRIGGER {name}_insert AFTER INSERT ON {table} BEGIN"
                     f" INSERT INTO {name}(rowid, {cols}) VALUES (new.id, {new}); END")
        conn.execute(f"CREATE TRIGGER {name}_delete AFTER DELETE ON {table} BEGIN"
                     f" INSERT INTO {name}({name}, rowid, {cols}) VALUES ('delete', old.id, {old}); END")
        conn.execute(f"CREATE TRIGGER {name}_update AFTER UPDATE OF {cols} ON {table} BEGIN"
                     f" INSERT INTO {name}({name}, rowid, {cols}) VALUES ('delete', old.id, {old});"
                     f" INSERT INTO {name}(rowid, {cols}) VALUES (new.id, {new}); END")


def _migration_12(conn: sqlite3.Connection, has_rtree: bool) -> None:
    """A narrow index keyed by event id (issue 12): a text-filtered view names its events by id (the
    trigram indexes' matches), and this index carries every column a count, a grid of cells or a
    histogram reads, so those never read the wide rows the matches are scattered over."""
    conn.execute(f"CREATE INDEX events_view_id ON events(id, day_start, day_end, {VIEW_COLUMNS})")


def _migration_13(conn: sqlite3.Connection, has_rtree: bool) -> None:
    """A narrow index led by latitude (issue 12): a box dense with events (a zoom into the news's
    hotspot) is read off its band of latitudes, with the columns the aggregates read, instead of
    a whole date window or the R*Tree's rows."""
    rest = VIEW_COLUMNS.replace("lat, lon, ", "")
    conn.execute(f"CREATE INDEX events_view_geo ON events(lat, lon, day_start, day_end, {rest})")


def trigram_available() -> bool:
    """True when this SQLite build has FTS5 with the trigram tokenizer (3.34 and later)."""
    return _can_create("CREATE VIRTUAL TABLE t USING fts5(a, tokenize='trigram')")


# Ordered: index i holds the step from schema version i to i + 1. Append; never edit or reorder.
MIGRATIONS: list[Callable[[sqlite3.Connection, bool], None]] = [
    _migration_1,
    _migration_2,
    _migration_3,
    _migration_4,
    _migration_5,
    _migration_6,
    _migration_7,
    _migration_8,
    _migration_9,
    _migration_10,
    _migration_11,
    _migration_12,
    _migration_13,
]
SCHEMA_VERSION = len(MIGRATIONS)


def rtree_available() -> bool:
    """True when this SQLite build has the R*Tree module."""
    return _can_create("CREATE VIRTUAL TABLE t USING rtree(id, a, b)")


def _can_create(sql: str) -> bool:
    """Does this SQLite build run `sql` (a virtual table of an optional module) in a scratch database?"""
    conn = sqlite3.connect(":memory:")
    try:
        conn.execute(sql)
        return True
    except sqlite3.OperationalError:
        return False
    finally:
        conn.close()




# --------------------------------------------------------------------------- the store

class SQLiteStore(Store):
    """The store in one SQLite file (see the module docstrings here and in geo.store.base)."""

    backend = "sqlite"
    _noindex = "+"
    _like = "LIKE"                  # SQLite's LIKE ignores ASCII case
    _db_errors = (sqlite3.Error,)
    _integrity_errors = (sqlite3.IntegrityError,)

    def __init__(self, path: Union[str, os.PathLike, None] = None, timeout: Optional[float] = None,
                 max_mb: Optional[float] = None):
        given = path if path is not None else (os.environ.get("GEO_DB") or None)
        if given is None:
            path = DEFAULT_DB
            self.name = "data/events.db"           # messages never show the server's folders
        else:
            path = given
            self.name = str(given)                 # as the user gave it (--db, GEO_DB)
        self.path = str(path) if str(path) == ":memory:" else str(Path(path).expanduser())
        self._timeout = _env_number(BUSY_ENV, DEFAULT_BUSY_S * 1000, minimum=0) / 1000 if timeout is None else timeout
        self._max_mb = _env_number(MAX_MB_ENV, None, minimum=0.001) if max_mb is None else max_mb
        self._conn = None
        if self.path != ":memory:":
            try:
                Path(self.path).parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StoreUnopenable(self.name, f"{self.name}: its folder cannot be created ({exc.strerror}): "
                                                 "create it, or choose another file (--db / GEO_DB)") from exc
            if Path(self.path).is_dir():
                raise StoreUnopenable(self.name, f"{self.name} is a folder, not a database file: "
                                                 "choose a file (--db / GEO_DB)")
        self._lock = threading.RLock()
        try:
            self._conn = sqlite3.connect(self.path, timeout=self._timeout, isolation_level=None,
                                         check_same_thread=False)
        except sqlite3.Error as exc:
            raise (self._failure(exc)
                   or StoreUnopenable(self.name, f"{self.name}: cannot open the database: {exc}")) from exc
        try:
            self._conn.execute(f"PRAGMA busy_timeout = {int(self._timeout * 1000)}")
            self._check_kind()
            mode = self._conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            if mode.lower() != "wal" and self.path != ":memory:":
                if not os.access(self.path, os.W_OK):
                    raise StoreReadOnly(self.name, f"{self.name} is read-only: make it writable, or choose "
                                                   "another file (--db / GEO_DB)")
                raise StoreError(f"{self.name}: cannot switch the database to WAL mode (got {mode})")
            if self._max_mb is not None:
                page = self._conn.execute("PRAGMA page_size").fetchone()[0]
                pages = max(1, int(self._max_mb * 1024 * 1024) // page)
                self._conn.execute(f"PRAGMA max_page_count = {pages}")
            self._conn.execute("PRAGMA synchronous = NORMAL")
            self._conn.execute("PRAGMA foreign_keys = ON")
            self._migrate()
            self.has_rtree = self._conn.execute(
                "SELECT 1 FROM sqlite_master WHERE name = 'events_rtree'").fetchone() is not None
            self.has_text_index = self._conn.execute(
                "SELECT 1 FROM sqlite_master WHERE name = 'events_text'").fetchone() is not None
            self._finish_open()             # a store migrated from schema 3: group its events once
        except sqlite3.DatabaseError as exc:
            self._conn.close()
            raise (self._failure(exc)
                   or StoreError(f"{self.name}: not a usable events database: {exc}")) from exc
        except BaseException:
            self._conn.close()
            raise


    def _check_kind(self) -> None:
        """StoreForeign / StoreTooNew before anything is written to a file that is not ours."""
        conn = self._conn
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type IN ('table', 'view')")}
        ours = "articles" in names
        if version > SCHEMA_VERSION and ours:
            raise StoreTooNew(self.name, f"{self.name} was written by a newer version of geo (schema {version}; "
                                         f"this one understands up to {SCHEMA_VERSION}): upgrade geo, or "
                                         "choose another file (--db / GEO_DB)")
        if not ours and (names or version):
            raise StoreForeign(self.name, f"{self.name} is an SQLite database of another program, not an events "
                                          "database: choose another file (--db / GEO_DB); nothing was changed")

    def _failure(self, exc: BaseException) -> Optional[StoreError]:
        """The StoreFileError for an sqlite3 error that says the file cannot be used as it is; else None."""
        if not isinstance(exc, sqlite3.Error):
            return None
        name, code, text = self.name, getattr(exc, "sqlite_errorname", "") or "", str(exc).lower()
        elsewhere = "choose another file (--db / GEO_DB)"
        if code.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")) or "database is locked" in text:
            return StoreLocked(name, f"{name} is locked by another program writing to it (waited "
                                     f"{self._timeout:g} s, {BUSY_ENV}): try again once it has finished")
        if code == "SQLITE_FULL" or "database or disk is full" in text:
            limit = f" or its {MAX_MB_ENV} limit of {self._max_mb:g} MB is reached" if self._max_mb else ""
            more = f" (or raise {MAX_MB_ENV})" if self._max_mb else ""
            return StoreFull(name, f"{name}: the disk is full{limit}: free some space{more} and run it again; "
                                   "everything stored before is kept")
        if code.startswith("SQLITE_READONLY") or "readonly database" in text:
            return StoreReadOnly(name, f"{name} is read-only: make the file and its folder writable, or {elsewhere}")
        if code == "SQLITE_NOTADB" or code.startswith("SQLITE_CORRUPT") or "file is not a database" in text \
                or "malformed" in text:
            return StoreCorrupt(name, f"{name} is damaged or not an SQLite database: restore it from a backup, "
                                      f"or {elsewhere}")
        if code.startswith("SQLITE_CANTOPEN") or "unable to open database file" in text:
            folder = Path(self.path).parent
            if folder.is_dir() and not os.access(folder, os.W_OK):
                return StoreReadOnly(name, f"{name}: its folder is read-only (SQLite keeps its -wal and -shm "
                                           f"files next to the database): make the folder writable, or {elsewhere}")
            return StoreUnopenable(name, f"{name} cannot be opened or created: check that its folder exists and "
                                         f"can be written, or {elsewhere}")
        if code.startswith("SQLITE_IOERR") or "disk i/o error" in text:
            return StoreFileError(name, f"{name}: the disk could not be read or written ({exc}): check the disk "
                                        "and its free space")
        return None

    @property
    def schema_version(self) -> int:
        return self._read("PRAGMA user_version")[0][0]

    def _migrate(self) -> None:
        conn = self._conn
        has_rtree = rtree_available()
        while True:
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                raise StoreTooNew(self.name, f"{self.name} was written by a newer version of geo (schema "
                                             f"{version}; this one understands up to {SCHEMA_VERSION}): "
                                             "upgrade geo, or choose another file (--db / GEO_DB)")
            if version == SCHEMA_VERSION:
                return
            conn.execute("BEGIN IMMEDIATE")
            try:
                # Re-read under the write lock: another process may have migrated meanwhile.
                version = conn.execute("PRAGMA user_version").fetchone()[0]
                if version < SCHEMA_VERSION:
                    MIGRATIONS[version](conn, has_rtree)
                    conn.execute(f"PRAGMA user_version = {version + 1}")
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise

    def _begin(self, conn: sqlite3.Connection) -> None:
        conn.execute("BEGIN IMMEDIATE")

    def _claim_event_ids(self, conn: sqlite3.Connection, n: int) -> int:
        # AUTOINCREMENT's next ids: sqlite_sequence follows the explicit ids inserted
        return 1 + max(conn.execute("SELECT COALESCE(MAX(id), 0) FROM events").fetchone()[0],
                       (conn.execute("SELECT seq FROM sqlite_sequence WHERE name = 'events'").fetchone() or (0,))[0])

    def _bbox_filter(self, box: tuple, driver: Optional[str]) -> tuple[str, list, list]:
        tables = self._events_from(driver) + " JOIN articles a ON a.id = e.article_id"
        if not self.has_rtree or driver != "rtree":
            # the exact tests on e.lat/e.lon: read off the date index that leads (it carries them),
            # or the (lat, lon) index without an R*Tree
            return tables, [], []
        w, s, e_, n = box
        # CROSS JOIN fixes the join order. The R*Tree holds 32-bit floats rounded
        # outwards: it narrows the search, the exact tests on e.lat/e.lon decide the edges.
        tables = "events_rtree r CROSS JOIN events e ON e.id = r.id JOIN articles a ON a.id = e.article_id"
        where, params = ["r.min_lat <= ? AND r.max_lat >= ?"], [n, s]
        if w <= e_:
            where.append("r.min_lon <= ? AND r.max_lon >= ?")
            params += [e_, w]
        else:                                      # the box crosses the antimeridian
            where.append("(r.max_lon >= ? OR r.min_lon <= ?)")
            params += [w, e_]
        return tables, where, params

    # the index that leads a query, by its driver: the date indexes carry every column an aggregate
    # reads (VIEW_COLUMNS), so counts, cells and histograms never touch the wide rows
    _INDEX_OF = {"start": "events_view_start", "end": "events_view_end", "newest": "events_newest",
                 "sample": "events_view_sample", "text": "events_view_id", "geo": "events_view_geo"}

    def _text_lookup(self, text: str) -> tuple[str, str, list]:
        phrase = '"' + text.replace('"', '""') + '"'      # FTS5: a phrase, quotes doubled; a trigram
        return ("SELECT rowid FROM events_text WHERE events_text MATCH ?",       # phrase is a substring
                "SELECT rowid FROM articles_text WHERE articles_text MATCH ?", [phrase, phrase])

    def _text_matches(self, text: str, text_places) -> Optional[str]:
        # a temporary table on this connection, made again when the text or the store changes
        key = (text, tuple(sorted(set(text_places or ()))), self.revision())
        if getattr(self, "_text_key", None) != key:
            ids_sql, params = self._text_ids(text, text_places)
            try:
                self._conn.execute("DROP TABLE IF EXISTS temp.text_matches")
                cols = ", ".join("e." + c.strip() for c in VIEW_COLUMNS.split(","))
                self._conn.execute("CREATE TEMP TABLE text_matches AS SELECT e.id AS id, e.day_start AS day_start,"
                                   f" e.day_end AS day_end, {cols} FROM events e INDEXED BY events_view_id"
                                   f" WHERE e.id IN ({ids_sql})", params)
            except sqlite3.Error:
                self._text_key = None
                return None
            self._text_key = key
        return "temp.text_matches"

    def _events_from(self, driver: Optional[str]) -> str:
        index = self._INDEX_OF.get(driver or "")
        return f"events e INDEXED BY {index}" if index else "events e"

    BOX_PROBE = 2000

    def _box_share(self, box: tuple) -> float:
        """The share of the events inside a box, as the R*Tree tells it: counted up to BOX_PROBE
        entries (a few milliseconds); beyond that the box is dense (news clusters where people live),
        and a date index that carries lat/lon reads it faster than the R*Tree's rows."""
        w, s, e, n = box
        if w > e:
            return 1.0                  # across the antimeridian the R*Tree cannot search on the OR
        total = self._read("SELECT MAX(id) FROM events")[0][0] or 0
        if not total:
            return 0.0
        inside = self._read("SELECT COUNT(*) FROM (SELECT 1 FROM events_rtree WHERE min_lat <= ? AND max_lat >= ?"
                            " AND min_lon <= ? AND max_lon >= ? LIMIT ?)", (n, s, e, w, self.BOX_PROBE))[0][0]
        return 1.0 if inside >= self.BOX_PROBE else inside / total

    def _band_leads(self, box: tuple, lo: Optional[str], hi: Optional[str]) -> bool:
        """Does the box's band of latitudes hold fewer events than the date window (and under half of
        all)? The window as the fixed sample counts it (the spread of dates is too uneven to guess
        from the span: history reaches back centuries), the band off its index only that far. Kept
        per box and window: a view asks for its count, cells and histogram with the same ones."""
        memo = self.__dict__.setdefault("_band_memo", {})
        key = (box[1], box[3], lo, hi)
        if key not in memo:
            if len(memo) > 64:
                memo.clear()
            total = self._read("SELECT MAX(id) FROM events")[0][0] or 0
            window = total
            if lo or hi:
                cond = " AND ".join((["day_end >= ?"] if lo else []) + (["day_start <= ?"] if hi else []))
                window = SAMPLE_EVERY * self._read(
                    f"SELECT COUNT(*) FROM events INDEXED BY events_view_sample WHERE {cond}"
                    f" AND COALESCE(incident_id, id) % {SAMPLE_EVERY} = 0", [x for x in (lo, hi) if x])[0][0]
            beat = max(1, min(window, total // 2))
            band = self._read("SELECT COUNT(*) FROM (SELECT 1 FROM events INDEXED BY events_view_geo"
                              " WHERE lat BETWEEN ? AND ? LIMIT ?)", (box[1], box[3], beat))[0][0]
            memo[key] = band < beat
        return memo[key]

    def _driver(self, lo: Optional[str], hi: Optional[str], box: Optional[tuple]) -> Optional[str]:
        """Which index drives an events query: 'rtree', 'geo' (the box's band of latitudes),
        'start' (day_start <= hi), 'end' (day_end >= lo) or None, by the share of events each is
        estimated to leave (dates spread evenly over the stored span, places over the globe; a dense
        box's band is counted, `_band_leads`)."""
        frac = {}
        if lo or hi:
            first, last = self.date_span()
            if first is None:
                return "start" if hi else "end"
            d0, d1 = _date.fromisoformat(first).toordinal(), _date.fromisoformat(last).toordinal()
            width = max(d1 - d0, 1)
            if hi:
                frac["start"] = (_date.fromisoformat(hi).toordinal() - d0) / width
            if lo:
                frac["end"] = (d1 - _date.fromisoformat(lo).toordinal()) / width
        if box is not None and self.has_rtree:
            frac["rtree"] = self._box_share(box)
        if frac.get("rtree", 0.0) >= 1.0:
            del frac["rtree"]           # a dense box: read off its band of latitudes or a date index
        if box is not None and "rtree" not in frac and self._band_leads(box, lo, hi):
            return "geo"
        # without a window or a box, a covering scan of one date index (the planner might pick a
        # filter's own index, then read every row it names)
        return min(frac, key=frac.get) if frac else "start"

    # -- dialect hooks of the view queries (geo/store/view.py)

    def _box_candidates(self, conn: sqlite3.Connection, n, long: bool, box: tuple, dparams: list, tail: list):
        """The R*Tree or the lat/lon index leads; where the box holds more events than the date
        window (many events at one city), the date index leads with the box as a filter."""
        w, s, e_, north = box
        with_lon = w is not None
        index = "rtree" if self.has_rtree else "plain"
        if self.has_rtree:
            box = [north, s] + ([e_, w] if with_lon else [])
        else:
            box = [s, north] + ([w, e_] if with_lon else [])
        in_box = conn.execute(_PROBE_SQL[(index, long, with_lon)], box + [PROBE_LIMIT]).fetchone()[0]
        if in_box >= PROBE_LIMIT // 8:     # a crowded box: does the date window hold fewer?
            in_window = conn.execute(_PROBE_SQL[("date", long, with_lon)], dparams + [in_box]).fetchone()[0]
            if in_window < in_box:
                index = "date"
                box = [s, north] + ([w, e_] if with_lon else [])
        sql = _NEIGHBOUR_SQL[(index, long, with_lon)]
        params = dparams + box + tail[len(dparams):] if index == "date" else box + tail
        return conn.execute(sql, params)

    # -- dialect hooks of the view queries (geo/store/view.py)

    @staticmethod
    def _sql_floor_int(expr: str) -> str:
        return f"CAST(({expr}) AS INTEGER)"        # truncates: callers floor only non-negative values

    @staticmethod
    def _sql_period(bucket: str, column: str) -> str:
        if bucket == "month":
            return f"substr({column}, 1, 7) || '-01'"
        if bucket == "week":                        # weeks start on Monday, as in geo/views.py
            return f"date({column}, '-6 days', 'weekday 1')"
        return column


# --------------------------------------------------------------------------- incident candidate queries

def _neighbour_sql() -> dict:
    """The box queries of `SQLiteStore._box_candidates`, by (index, long event, longitude bounds)."""
    out = {}
    for long in (False, True):
        for with_lon in (False, True):
            # A unary + keeps SQLite on the intended index (the R*Tree, the lat/lon or the date index).
            box = "r.min_lat <= ? AND r.max_lat >= ?" + (" AND r.min_lon <= ? AND r.max_lon >= ?" if with_lon else "")
            out[("rtree", long, with_lon)] = (
                _NODE_SQL.replace("FROM events e", "FROM events_rtree r CROSS JOIN events e ON e.id = r.id")
                + f" WHERE {box} AND {neighbour_dates(long, '+', '+')}{neighbour_common('+')}")
            box = "e.lat BETWEEN ? AND ?" + (" AND e.lon BETWEEN ? AND ?" if with_lon else "")
            out[("plain", long, with_lon)] = f"{_NODE_SQL} WHERE {box} AND {neighbour_dates(long, '+', '+')}{neighbour_common('+')}"
            # Where the box is crowded (many events at one city), the date index leads instead.
            out[("date", long, with_lon)] = (f"{_NODE_SQL} WHERE {neighbour_dates(long, '', '+')} AND "
                                             + box.replace("e.l", "+e.l") + neighbour_common('+'))
    return out


def _probe_sql() -> dict:
    """Counts (up to a limit) of the rows each candidate index would visit: `Store._neighbours` lets the
    smaller lead. Keyed like `_neighbour_sql`."""
    out = {}
    for long in (False, True):
        dates = ("e.day_start = ? AND +e.day_end = ?" if long else
                 "e.day_start BETWEEN ? AND ? AND e.day_end >= ? AND e.long_span = 0")
        for with_lon in (False, True):
            out[("date", long, with_lon)] = f"SELECT COUNT(*) FROM (SELECT 1 FROM events e WHERE {dates} LIMIT ?)"
            box = "min_lat <= ? AND max_lat >= ?" + (" AND min_lon <= ? AND max_lon >= ?" if with_lon else "")
            out[("rtree", long, with_lon)] = f"SELECT COUNT(*) FROM (SELECT 1 FROM events_rtree WHERE {box} LIMIT ?)"
            box = "e.lat BETWEEN ? AND ?" + (" AND e.lon BETWEEN ? AND ?" if with_lon else "")
            out[("plain", long, with_lon)] = f"SELECT COUNT(*) FROM (SELECT 1 FROM events e WHERE {box} LIMIT ?)"
    return out


PROBE_LIMIT = 2000          # rows counted per index before choosing which one leads a candidate query
_NEIGHBOUR_SQL = _neighbour_sql()
_PROBE_SQL = _probe_sql()
SQLiteStore._key_neighbour_sql = key_neighbour_sql("+")
