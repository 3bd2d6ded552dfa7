"""The event store: one SQLite file holding articles, their mentions and events, and user corrections.

    with Store.open() as store:                 # path: argument, else $GEO_DB, else <root>/data/events.db
        outcome = store.add(result)             # an ArticleResult; AddOutcome(status, article_id, events)
        rows = store.events(start="2024-04-01", end="2024-04-30", bbox=(44.0, 39.0, 48.0, 41.0))

Design:

* **WAL mode, one transaction per article.** `add` runs inside ``BEGIN IMMEDIATE … COMMIT``; any
  exception rolls the whole article back, so a crash or a bad record never leaves half an article.
  ``synchronous=NORMAL``: in WAL mode a committed article survives a killed process; only an OS
  crash or power loss may lose the last few commits (never corrupting the file).
* **Idempotent by content hash.** ``articles.content_hash`` is the sha256 of the normalised text
  (`content_hash`); adding the same text again returns status ``'duplicate'`` and writes nothing.
* **Corrections survive re-ingest.** They are keyed by ``(content_hash, mention_start,
  mention_end)``, not by row ids, and are applied again whenever that article is added.
* **Snapshots.** `save_snapshot` freezes a view: its URL parameters and a JSON copy of the events it
  showed, under a ``secrets.token_urlsafe`` id (128 bits) with a sha256 of the content; later
  ingests, corrections and deletions never touch it. `snapshot(id)` raises StoreError with a plain
  reason for a malformed or unknown id.
* **Schema migrations.** ``PRAGMA user_version`` is the schema version; `MIGRATIONS` is an ordered
  list, each applied in its own transaction. Later issues append migrations; never edit old ones.
* **Queries.** Dates are kept as given (``date``/``date_end``: ISO 8601 truncated to the precision,
  e.g. ``2023-09`` or ``1990/1993``) and as first/last day (``day_start``/``day_end``,
  ``YYYY-MM-DD``) for date-window overlap queries on indexed columns. Bounding boxes go through the
  SQLite R*Tree module (``events_rtree``, kept in sync with ``events`` by triggers). When the SQLite
  build lacks R*Tree, the store falls back to a plain ``(lat, lon)`` index and says so in
  ``Store.has_rtree``; results are the same, only slower.
* **Threads.** One connection per Store (``check_same_thread=False``) guarded by a lock, so a Store
  can be shared by Streamlit's callback threads.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import secrets
import sqlite3
import threading
import unicodedata
from dataclasses import dataclass
from datetime import date as _date, datetime, timedelta, timezone
from pathlib import Path
from typing import Callable, Iterable, Mapping, Optional, Sequence, Union

from geo.dates import period_bounds, value_bounds
from geo.exceptions import StoreError  # noqa: F401  (re-exported: callers import it from here too)
from geo.types import Snapshot

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DB = PROJECT_ROOT / "data" / "events.db"
DATE_SOURCES = ("stated", "published", "unknown")
# Keys every event dict must carry (values may be None where noted in `_event_row`).
SNAPSHOT_ID_BYTES = 16                     # 128 random bits: unguessable
SNAPSHOT_ID_RE = re.compile(r"[A-Za-z0-9_-]{16,64}")
REQUIRED_EVENT_KEYS = ("name", "lat", "lon", "mention_start", "mention_end")

DateLike = Union[_date, str, None]


@dataclass
class AddOutcome:
    status: str              # 'added' | 'duplicate'
    article_id: int
    events: int              # events written by this call (0 for a duplicate)


# --------------------------------------------------------------------------- content hash

def normalise_text(text: str) -> str:
    """The text that is hashed: Unicode NFC, CRLF/CR → LF, surrounding whitespace stripped.

    The stored text (which mention offsets index) is the article's text as first added. A later
    copy that differs only by these normalisations is a duplicate; if it is re-ingested after a
    delete its offsets may be shifted, and a correction is then re-applied only where the span
    still reads the same (`corrections.mention_text`), never to a different piece of text."""
    text = unicodedata.normalize("NFC", text)
    return text.replace("\r\n", "\n").replace("\r", "\n").strip()


def content_hash(text: str) -> str:
    return hashlib.sha256(normalise_text(text).encode("utf-8")).hexdigest()


# --------------------------------------------------------------------------- dates

def day_bounds(value, value_end=None) -> tuple[Optional[str], Optional[str]]:
    """(first day, last day) as 'YYYY-MM-DD' for an event date (and optional end), or (None, None).

    `value` is ISO 8601 truncated to its precision ('2024-04-17', '2023-09', '2023', '199X') or a
    range 'A/B' ('1990/1993'); a `date` object is taken as a day. Raises ValueError when unreadable
    or when the end falls before the start."""
    def as_text(v):
        if isinstance(v, datetime):
            return v.date().isoformat()
        if isinstance(v, _date):
            return v.isoformat()
        return None if v is None or str(v).strip() == "" else str(v).strip()

    v, v_end = as_text(value), as_text(value_end)
    if v is None:
        if v_end is not None:
            raise ValueError(f"date_end {v_end!r} without a date")
        return None, None
    first, last = value_bounds(v)
    if v_end is not None:
        last = period_bounds(v_end.split("/")[-1])[1]
    if last < first:
        raise ValueError(f"date range ends before it starts: {v!r} … {v_end or v!r}")
    return first.isoformat(), last.isoformat()


def _precision_of(value) -> Optional[str]:
    if value is None:
        return None
    if isinstance(value, _date):
        return "day"
    v = str(value)
    return "range" if "/" in v else period_bounds(v)[2]


def _window_day(value: DateLike, last: bool) -> Optional[str]:
    """A query bound as 'YYYY-MM-DD': the first (or last) day of '2024', '2024-04', a date …"""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, _date):
        return value.isoformat()
    try:
        first, final, _ = period_bounds(str(value))
    except ValueError:
        raise StoreError(f"not a date: {value!r} (use YYYY-MM-DD)") from None
    return (final if last else first).isoformat()


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


SHORT_SPAN_DAYS = 31


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


# Ordered: index i holds the step from schema version i to i + 1. Append; never edit or reorder.
MIGRATIONS: list[Callable[[sqlite3.Connection, bool], None]] = [
    _migration_1,
    _migration_2,
    _migration_3,
]
SCHEMA_VERSION = len(MIGRATIONS)


def rtree_available() -> bool:
    """True when this SQLite build has the R*Tree module."""
    conn = sqlite3.connect(":memory:")
    try:
        conn.execute("CREATE VIRTUAL TABLE t USING rtree(id, a, b)")
        return True
    except sqlite3.OperationalError:
        return False
    finally:
        conn.close()


# --------------------------------------------------------------------------- helpers

def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _get(obj, name, default=None):
    if isinstance(obj, dict):
        return obj.get(name, default)
    return getattr(obj, name, default)


def _as_dict(obj) -> dict:
    if isinstance(obj, dict):
        return obj
    to_dict = getattr(obj, "to_dict", None)
    if callable(to_dict):
        return to_dict()
    raise StoreError(f"cannot store a {type(obj).__name__}: expected a dict or an object with to_dict()")


def _mention_row(m) -> dict:
    """A Mention object or a Mention.to_dict()-shaped dict as a `mentions` row (without article_id)."""
    if isinstance(m, dict):
        alts = m.get("alternatives") or []
        return {
            "start": int(m["start"]), "end": int(m["end"]), "text": m.get("text"),
            "name": m.get("name"), "lat": m.get("lat"), "lon": m.get("lon"),
            "country_code": m.get("country_code"), "kind": m.get("kind"),
            "geonameid": m.get("geonameid"), "place_key": m.get("place_key") or m.get("key"),
            "score": m.get("score"), "alternatives": alts,
        }
    p = m.place
    alts = []
    for c in m.alternatives or []:
        cp = _get(c, "place")
        if cp is None:
            alts.append(_as_dict(c))
            continue
        alts.append({"name": cp.name, "lat": cp.lat, "lon": cp.lon, "country_code": cp.country_code,
                     "kind": cp.kind, "geonameid": cp.geonameid, "place_key": cp.key,
                     "score": round(float(_get(c, "score", 0.0)), 4)})
    return {
        "start": int(m.span.start), "end": int(m.span.end), "text": m.span.text,
        "name": p.name if p else None, "lat": p.lat if p else None, "lon": p.lon if p else None,
        "country_code": p.country_code if p else None, "kind": p.kind if p else None,
        "geonameid": p.geonameid if p else None, "place_key": p.key if p else None,
        "score": round(float(m.score), 4) if m.score is not None else None, "alternatives": alts,
    }


def _opt_float(v, what: str) -> Optional[float]:
    if v is None:
        return None
    try:
        return float(v)
    except (TypeError, ValueError):
        raise ValueError(f"{what} is not a number: {v!r}") from None


def _event_row(e: dict, mention: Optional[dict]) -> dict:
    """An event dict as an `events` row (without article_id); ValueError/KeyError when malformed."""
    missing = [k for k in REQUIRED_EVENT_KEYS if k not in e]
    if missing:
        raise KeyError(f"missing {', '.join(missing)}")
    day_start, day_end = day_bounds(e.get("date"), e.get("date_end"))
    date = e.get("date")
    date = date.isoformat() if isinstance(date, _date) else date
    date_end = e.get("date_end")
    date_end = date_end.isoformat() if isinstance(date_end, _date) else date_end
    source = e.get("date_source") or ("unknown" if date is None else "stated")
    if source not in DATE_SOURCES:
        raise ValueError(f"date_source must be one of {', '.join(DATE_SOURCES)}, not {source!r}")
    lat, lon = _opt_float(e["lat"], "lat"), _opt_float(e["lon"], "lon")
    if (lat is None) != (lon is None):
        raise ValueError("lat and lon must both be given or both be None")
    if lat is not None and not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise ValueError(f"coordinates out of range: {lat}, {lon}")
    mention = mention or {}

    def pick(key):
        v = e.get(key)
        return v if v is not None else mention.get(key)

    alts = e.get("alternatives")
    return {
        "mention_start": int(e["mention_start"]), "mention_end": int(e["mention_end"]),
        "name": e["name"], "lat": lat, "lon": lon,
        "country_code": pick("country_code"), "kind": pick("kind"),
        "date": None if date is None else str(date), "date_end": None if date_end is None else str(date_end),
        "day_start": day_start, "day_end": day_end,
        "precision": e.get("precision") or _precision_of(date),
        "date_source": source, "sentence": e.get("sentence"),
        "confidence": _opt_float(e.get("confidence"), "confidence"),
        "place_key": pick("place_key"),
        "alternatives": alts if alts is not None else mention.get("alternatives") or [],
    }


def _like_escape(s: str) -> str:
    return s.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


_EVENT_COLUMNS = ("id", "article_id", "mention_start", "mention_end", "name", "lat", "lon", "country_code",
                  "kind", "date", "date_end", "day_start", "day_end", "precision", "date_source", "sentence",
                  "confidence", "place_key", "alternatives", "corrected")
_MENTION_COLUMNS = ("id", "article_id", "start", "end", "text", "name", "lat", "lon", "country_code", "kind",
                    "geonameid", "place_key", "score", "alternatives", "corrected")
_QUOTED_MENTION_COLUMNS = tuple('"%s"' % c for c in _MENTION_COLUMNS)
_ARTICLE_COLUMNS = ("id", "content_hash", "external_id", "title", "url", "published", "published_source",
                    "source", "ingested_at")


# --------------------------------------------------------------------------- the store

class Store:
    """Articles, mentions, events and corrections in one SQLite file. See the module docstring."""

    def __init__(self, path: Union[str, os.PathLike, None] = None, timeout: float = 30.0):
        if path is None:
            path = os.environ.get("GEO_DB") or DEFAULT_DB
        self.path = str(path) if str(path) == ":memory:" else str(Path(path).expanduser())
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.RLock()
        try:
            self._conn = sqlite3.connect(self.path, timeout=timeout, isolation_level=None,
                                         check_same_thread=False)
        except sqlite3.Error as exc:
            raise StoreError(f"{self.path}: cannot open the database: {exc}") from exc
        try:
            self._conn.execute(f"PRAGMA busy_timeout = {int(timeout * 1000)}")
            mode = self._conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            if mode.lower() != "wal" and self.path != ":memory:":
                raise StoreError(f"{self.path}: cannot switch the database to WAL mode (got {mode})")
            self._conn.execute("PRAGMA synchronous = NORMAL")
            self._conn.execute("PRAGMA foreign_keys = ON")
            self._migrate()
            self.has_rtree = self._conn.execute(
                "SELECT 1 FROM sqlite_master WHERE name = 'events_rtree'").fetchone() is not None
        except sqlite3.DatabaseError as exc:
            self._conn.close()
            raise StoreError(f"{self.path}: not a usable events database: {exc}") from exc
        except BaseException:
            self._conn.close()
            raise

    @classmethod
    def open(cls, path: Union[str, os.PathLike, None] = None) -> "Store":
        """Open (creating and migrating as needed) the store at `path`, else $GEO_DB, else data/events.db."""
        return cls(path)

    # -- lifecycle

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @property
    def schema_version(self) -> int:
        return self._read("PRAGMA user_version")[0][0]

    def _read(self, sql: str, params: Sequence = ()) -> list:
        with self._lock:
            if self._conn is None:
                raise StoreError("the store is closed")
            return self._conn.execute(sql, params).fetchall()

    def _migrate(self) -> None:
        conn = self._conn
        has_rtree = rtree_available()
        while True:
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                raise StoreError(f"{self.path}: schema version {version} is newer than this code "
                                 f"understands ({SCHEMA_VERSION}); upgrade geo")
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

    def _write(self):
        return _Transaction(self)

    # -- writing

    def add(self, result) -> AddOutcome:
        """Store one ArticleResult (or its to_dict() form) in one transaction; see AddOutcome.

        Raises StoreError (naming the article and the reason) when a record is malformed; nothing
        of that article is written then."""
        article = _get(result, "article")
        if article is None and isinstance(result, dict):      # ArticleResult.to_dict() shape
            article = result
        text = _get(article, "text")
        label = _get(article, "source") or _get(article, "id") or "article"
        if not isinstance(text, str):
            raise StoreError(f"{label}: article text must be a string")
        digest = content_hash(text)
        try:
            with self._write() as conn:
                row = conn.execute("SELECT id FROM articles WHERE content_hash = ?", (digest,)).fetchone()
                if row is not None:
                    return AddOutcome("duplicate", row[0], 0)
                ext_id = _get(article, "id")
                cur = conn.execute(
                    "INSERT INTO articles (content_hash, external_id, title, url, published, published_source,"
                    " source, text, ingested_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (digest, None if ext_id is None else str(ext_id), _get(article, "title"),
                     _get(article, "url"), _get(article, "published"),
                     _get(article, "published_source") or "unknown", _get(article, "source"), text, _now()))
                article_id = cur.lastrowid
                corrections = {(r[0], r[1]): r[2:6] for r in conn.execute(
                    "SELECT mention_start, mention_end, lat, lon, name, place_key, mention_text FROM corrections"
                    " WHERE content_hash = ?", (digest,)) if r[6] is None or text[r[0]:r[1]] == r[6]}

                by_span = {}
                for i, m in enumerate(_get(result, "mentions") or []):
                    try:
                        mr = _mention_row(m)
                        _check_span(mr["start"], mr["end"], text)
                    except (KeyError, ValueError, TypeError, AttributeError) as exc:
                        raise StoreError(f"{label}: mention {i}: {type(exc).__name__}: {exc}") from exc
                    by_span.setdefault((mr["start"], mr["end"]), mr)
                    corrected = _apply_correction(mr, corrections.get((mr["start"], mr["end"])))
                    conn.execute(
                        'INSERT INTO mentions (article_id, "start", "end", text, name, lat, lon, country_code,'
                        " kind, geonameid, place_key, score, alternatives, corrected)"
                        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        (article_id, mr["start"], mr["end"], mr["text"], mr["name"], mr["lat"], mr["lon"],
                         mr["country_code"], mr["kind"], mr["geonameid"], mr["place_key"], mr["score"],
                         json.dumps(mr["alternatives"], ensure_ascii=False), corrected))

                n_events = 0
                for i, e in enumerate(_get(result, "events") or []):
                    try:
                        ed = _as_dict(e)
                        er = _event_row(ed, by_span.get((_get(ed, "mention_start"), _get(ed, "mention_end"))))
                        _check_span(er["mention_start"], er["mention_end"], text)
                    except (KeyError, ValueError, TypeError) as exc:
                        reason = exc.args[0] if isinstance(exc, KeyError) and exc.args else exc
                        raise StoreError(f"{label}: event {i}: {reason}") from exc
                    corrected = _apply_correction(er, corrections.get((er["mention_start"], er["mention_end"])))
                    conn.execute(
                        "INSERT INTO events (article_id, mention_start, mention_end, name, lat, lon, country_code,"
                        " kind, date, date_end, day_start, day_end, precision, date_source, sentence, confidence,"
                        " place_key, alternatives, corrected)"
                        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        (article_id, er["mention_start"], er["mention_end"], er["name"], er["lat"], er["lon"],
                         er["country_code"], er["kind"], er["date"], er["date_end"], er["day_start"],
                         er["day_end"], er["precision"], er["date_source"], er["sentence"], er["confidence"],
                         er["place_key"], json.dumps(er["alternatives"], ensure_ascii=False), corrected))
                    n_events += 1
                return AddOutcome("added", article_id, n_events)
        except sqlite3.IntegrityError as exc:
            raise StoreError(f"{label}: rejected by the database: {exc}") from exc

    def add_many(self, results: Iterable) -> list:
        """Add each result in its own transaction; returns AddOutcome or StoreError per result."""
        out = []
        for r in results:
            try:
                out.append(self.add(r))
            except StoreError as exc:
                out.append(exc)
        return out

    def correct(self, article_id: int, mention_start: int, mention_end: int, lat: float, lon: float,
                name: Optional[str] = None, place_key: Optional[str] = None, note: str = "") -> int:
        """Place the mention at [mention_start, mention_end) of an article at (lat, lon).

        The correction is saved by (content hash, span), so it is applied again when the same
        article is re-ingested; the article's matching mentions and events are updated in the same
        transaction and marked corrected. Returns the number of events updated."""
        lat, lon = float(lat), float(lon)
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):
            raise StoreError(f"coordinates out of range: {lat}, {lon}")
        with self._write() as conn:
            row = conn.execute("SELECT content_hash, text FROM articles WHERE id = ?", (article_id,)).fetchone()
            if row is None:
                raise StoreError(f"no article with id {article_id}")
            mention_start, mention_end = int(mention_start), int(mention_end)
            if not 0 <= mention_start < mention_end <= len(row[1]):
                raise StoreError(f"article {article_id}: span {mention_start}-{mention_end} is outside its text")
            conn.execute(
                "INSERT INTO corrections (content_hash, mention_start, mention_end, lat, lon, name, place_key,"
                " note, created_at, mention_text) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (content_hash, mention_start, mention_end) DO UPDATE SET"
                " lat = excluded.lat, lon = excluded.lon, name = excluded.name, place_key = excluded.place_key,"
                " note = excluded.note, created_at = excluded.created_at, mention_text = excluded.mention_text",
                (row[0], mention_start, mention_end, lat, lon, name, place_key, note or "", _now(),
                 row[1][mention_start:mention_end]))
            conn.execute(
                'UPDATE mentions SET lat = ?, lon = ?, name = COALESCE(?, name),'
                ' place_key = COALESCE(?, place_key), corrected = 1'
                ' WHERE article_id = ? AND "start" = ? AND "end" = ?',
                (lat, lon, name, place_key, article_id, mention_start, mention_end))
            cur = conn.execute(
                "UPDATE events SET lat = ?, lon = ?, name = COALESCE(?, name),"
                " place_key = COALESCE(?, place_key), corrected = 1"
                " WHERE article_id = ? AND mention_start = ? AND mention_end = ?",
                (lat, lon, name, place_key, article_id, mention_start, mention_end))
            return cur.rowcount

    def delete_article(self, article_id: int) -> bool:
        """Delete an article with its mentions and events (corrections are kept). True if it existed."""
        with self._write() as conn:
            return conn.execute("DELETE FROM articles WHERE id = ?", (article_id,)).rowcount > 0

    # -- reading

    def events(self, start: DateLike = None, end: DateLike = None,
               bbox: Optional[Sequence[float]] = None, country: Union[str, Iterable[str], None] = None,
               text: Optional[str] = None, min_confidence: Optional[float] = None,
               limit: Optional[int] = None) -> list:
        """Stored events as dicts (with their article's title, url and published), by date then id.

        start/end: a window (date or 'YYYY-MM-DD'; '2024-04' means the whole month) matched by
        overlap: an event counts when [day_start, day_end] meets [start, end]. Events whose date is
        unknown are returned only when neither bound is given.
        bbox: (west, south, east, north) in degrees; west > east crosses the antimeridian.
        country: an ISO country code or several. text: a substring of the place name, the sentence
        or the article title (case-insensitive for ASCII). min_confidence: confidence >= this."""
        lo, hi = _window_day(start, last=False), _window_day(end, last=True)
        if lo and hi and lo > hi:
            raise StoreError(f"empty date window: {start} … {end}")
        box = None
        if bbox is not None:
            try:
                box = tuple(float(x) for x in bbox)
                if len(box) != 4:
                    raise ValueError
            except (TypeError, ValueError):
                raise StoreError(f"bbox must be four numbers (west, south, east, north), not {bbox!r}") from None
            if box[1] > box[3]:
                raise StoreError(f"bbox south {box[1]} is north of north {box[3]}")

        with self._lock:
            driver = self._driver(lo, hi, box)
            where, params = [], []
            # Overlap of [day_start, day_end] with [lo, hi]. A unary + keeps SQLite off an index,
            # so the plan follows `driver` (SQLite cannot tell how selective a date range is).
            if driver == "window":
                # short events start at most SHORT_SPAN_DAYS before the window; long ones are few
                where.append("e.id IN (SELECT id FROM events WHERE day_start BETWEEN ? AND ?"
                             " UNION ALL SELECT id FROM events WHERE long_span = 1 AND day_start <= ?)")
                params += [(_date.fromisoformat(lo) - timedelta(days=SHORT_SPAN_DAYS)).isoformat(), hi, hi]
            if lo:
                where.append(("" if driver == "end" else "+") + "e.day_end >= ?")
                params.append(lo)
            if hi:
                where.append(("" if driver == "start" else "+") + "e.day_start <= ?")
                params.append(hi)
            tables = "events e JOIN articles a ON a.id = e.article_id"
            if box is not None:
                w, s, e_, n = box
                if self.has_rtree:
                    # CROSS JOIN fixes the join order. The R*Tree holds 32-bit floats rounded
                    # outwards: it narrows the search, the exact tests on e.lat/e.lon decide the edges.
                    tables = ("events_rtree r CROSS JOIN events e ON e.id = r.id" if driver == "rtree"
                              else "events e CROSS JOIN events_rtree r ON r.id = e.id")
                    tables += " JOIN articles a ON a.id = e.article_id"
                    where.append("r.min_lat <= ? AND r.max_lat >= ?")
                    params += [n, s]
                    if w <= e_:
                        where.append("r.min_lon <= ? AND r.max_lon >= ?")
                        params += [e_, w]
                    else:                                  # the box crosses the antimeridian
                        where.append("(r.max_lon >= ? OR r.min_lon <= ?)")
                        params += [w, e_]
                where.append("e.lat BETWEEN ? AND ?")
                params += [s, n]
                if w <= e_:
                    where.append("e.lon BETWEEN ? AND ?")
                    params += [w, e_]
                else:
                    where.append("(e.lon >= ? OR e.lon <= ?)")
                    params += [w, e_]
            if country:
                codes = [country] if isinstance(country, str) else list(country)
                where.append(f"UPPER(e.country_code) IN ({', '.join('?' * len(codes))})")
                params += [c.upper() for c in codes]
            if text:
                pat = f"%{_like_escape(text)}%"
                where.append("(e.name LIKE ? ESCAPE '\\' OR e.sentence LIKE ? ESCAPE '\\'"
                             " OR a.title LIKE ? ESCAPE '\\')")
                params += [pat, pat, pat]
            if min_confidence is not None:
                where.append("e.confidence >= ?")
                params.append(float(min_confidence))
            sql = f"SELECT {', '.join('e.' + c for c in _EVENT_COLUMNS)}, a.title, a.url, a.published FROM {tables}"
            if where:
                sql += " WHERE " + " AND ".join(where)
            sql += " ORDER BY e.day_start IS NULL, e.day_start, e.id"
            if limit is not None:
                sql += " LIMIT ?"
                params.append(int(limit))
            rows = self._read(sql, params)
        return [_decoded(_EVENT_COLUMNS + ("title", "url", "published"), r) for r in rows]

    def _driver(self, lo: Optional[str], hi: Optional[str], box: Optional[tuple]) -> Optional[str]:
        """Which index drives an events query: 'rtree', 'start' (day_start <= hi), 'end'
        (day_end >= lo) or None, by the share of events each is estimated to leave (dates spread
        evenly over the stored span, places over the globe)."""
        frac = {}
        if lo or hi:
            first, last = self.date_span()
            if first is None:
                return "start" if hi else "end"
            d0, d1 = _date.fromisoformat(first).toordinal(), _date.fromisoformat(last).toordinal()
            width = max(d1 - d0, 1)
            if lo and hi:
                span = _date.fromisoformat(hi).toordinal() - _date.fromisoformat(lo).toordinal()
                frac["window"] = (span + SHORT_SPAN_DAYS) / width
            if hi:
                frac["start"] = (_date.fromisoformat(hi).toordinal() - d0) / width
            if lo:
                frac["end"] = (d1 - _date.fromisoformat(lo).toordinal()) / width
        if box is not None and self.has_rtree:
            w, s, e, n = box
            # Across the antimeridian the longitude test is an OR the R*Tree cannot search on.
            # Places cluster where people live, so a box holds more events than its share of the
            # globe's area: weigh its estimate up.
            frac["rtree"] = min(1.0, 4 * ((e - w) / 360 if w <= e else 1.0) * ((n - s) / 180))
        return min(frac, key=frac.get) if frac else None

    def count_events(self) -> int:
        return self._read("SELECT COUNT(*) FROM events")[0][0]

    def count_articles(self) -> int:
        return self._read("SELECT COUNT(*) FROM articles")[0][0]

    def articles(self, with_text: bool = False) -> list:
        """Stored articles as dicts (oldest first) with their event count `n_events`."""
        cols = _ARTICLE_COLUMNS + (("text",) if with_text else ())
        sql = (f"SELECT {', '.join('a.' + c for c in cols)},"
               " (SELECT COUNT(*) FROM events e WHERE e.article_id = a.id) FROM articles a ORDER BY a.id")
        rows = self._read(sql)
        return [dict(zip(cols + ("n_events",), r)) for r in rows]

    def mentions(self, article_id: int) -> list:
        """The stored mentions of one article, in text order."""
        rows = self._read(f"SELECT {', '.join(_QUOTED_MENTION_COLUMNS)} FROM mentions"
                          ' WHERE article_id = ? ORDER BY "start", id', (article_id,))
        return [_decoded(_MENTION_COLUMNS, r) for r in rows]

    def corrections(self) -> list:
        cols = ("content_hash", "mention_start", "mention_end", "mention_text", "lat", "lon", "name", "place_key",
                "note", "created_at")
        rows = self._read(f"SELECT {', '.join(cols)} FROM corrections ORDER BY created_at")
        return [dict(zip(cols, r)) for r in rows]

    # -- snapshots

    def save_snapshot(self, view: Mapping[str, str], events: Sequence[Mapping], title: str = "",
                      note: str = "") -> Snapshot:
        """Freeze a view: its query parameters and a copy of `events` under a new unguessable id."""
        view = {str(k): str(v) for k, v in dict(view).items()}
        canonical = {"ensure_ascii": False, "sort_keys": True, "separators": (",", ":")}
        view_json = json.dumps(view, **canonical)
        events_json = json.dumps([dict(e) for e in events], default=str, **canonical)
        snap = Snapshot(id=secrets.token_urlsafe(SNAPSHOT_ID_BYTES), created_at=_now(), title=title or "",
                        note=note or "", view=view, events=json.loads(events_json),   # as snapshot() reads it back
                        content_hash=hashlib.sha256(f"{view_json}\n{events_json}".encode("utf-8")).hexdigest())
        with self._write() as conn:
            conn.execute("INSERT INTO snapshots (id, created_at, title, note, view, events, n_events, content_hash)"
                         " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                         (snap.id, snap.created_at, snap.title, snap.note,
                          json.dumps(view, ensure_ascii=False), events_json,    # the view keeps its parameters' order
                          snap.n_events, snap.content_hash))
        return snap

    def snapshot(self, snapshot_id: str) -> Snapshot:
        """The snapshot `snapshot_id`; StoreError with a plain reason if the id is malformed or unknown."""
        if not isinstance(snapshot_id, str) or not SNAPSHOT_ID_RE.fullmatch(snapshot_id):
            shown = snapshot_id if isinstance(snapshot_id, str) and len(snapshot_id) <= 80 else "(that value)"
            raise StoreError(f"{shown!r} is not a snapshot id")
        rows = self._read("SELECT id, created_at, title, note, view, events, content_hash FROM snapshots"
                          " WHERE id = ?", (snapshot_id,))
        if not rows:
            raise StoreError(f"no snapshot with id {snapshot_id!r} in this database")
        sid, created, title, note, view, events, digest = rows[0]
        return Snapshot(id=sid, created_at=created, title=title, note=note, view=json.loads(view),
                        events=json.loads(events), content_hash=digest)

    def snapshots(self) -> list:
        """All snapshots, newest first, without their events: dicts id, created_at, title, note, n_events."""
        cols = ("id", "created_at", "title", "note", "n_events")
        return [dict(zip(cols, r)) for r in
                self._read(f"SELECT {', '.join(cols)} FROM snapshots ORDER BY created_at DESC, rowid DESC")]

    def date_span(self) -> tuple:
        """(first day, last day) over the dated events, as 'YYYY-MM-DD', or (None, None)."""
        # Two subqueries: each is one step down an index (one query over both would scan).
        return tuple(self._read("SELECT (SELECT MIN(day_start) FROM events), (SELECT MAX(day_end) FROM events)")[0])


def _decoded(names: Sequence[str], row: Sequence) -> dict:
    """A stored mention or event row as a dict, its JSON and flag columns decoded."""
    d = dict(zip(names, row))
    d["alternatives"] = json.loads(d["alternatives"] or "[]")
    d["corrected"] = bool(d["corrected"])
    return d


def _check_span(start: int, end: int, text: str) -> None:
    if not 0 <= start <= end <= len(text):
        raise ValueError(f"span {start}-{end} is outside the text ({len(text)} characters)")


def _apply_correction(row: dict, corr) -> int:
    """Overwrite a mention/event row with a stored correction (lat, lon, name, place_key); 1 if applied."""
    if corr is None:
        return 0
    lat, lon, name, place_key = corr
    row["lat"], row["lon"] = lat, lon
    if name is not None:
        row["name"] = name
    if place_key is not None:
        row["place_key"] = place_key
    return 1


class _Transaction:
    """`with store._write() as conn:` — the store's lock plus BEGIN IMMEDIATE … COMMIT / ROLLBACK."""

    def __init__(self, store: Store):
        self.store = store

    def __enter__(self) -> sqlite3.Connection:
        self.store._lock.acquire()
        conn = self.store._conn
        if conn is None:
            self.store._lock.release()
            raise StoreError("the store is closed")
        try:
            conn.execute("BEGIN IMMEDIATE")
        except BaseException:
            self.store._lock.release()
            raise
        return conn

    def __exit__(self, exc_type, exc, tb) -> bool:
        conn = self.store._conn
        try:
            if exc_type is None:
                conn.execute("COMMIT")
            else:
                conn.execute("ROLLBACK")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        finally:
            self.store._lock.release()
        return False
