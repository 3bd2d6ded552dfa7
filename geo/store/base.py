"""The event store's interface and the logic both backends share: articles, their mentions and events,
corrections, incidents, snapshots and the queries over them.

    with Store.open() as store:         # location: argument, else $GEO_DB, else <root>/data/events.db
        outcome = store.add(result)     # an ArticleResult; AddOutcome(status, article_id, events)
        rows = store.events(start="2024-04-01", end="2024-04-30", bbox=(44.0, 39.0, 48.0, 41.0))

`Store.open` picks the backend from the location: a ``postgresql://`` (or ``postgres://``) URL opens
`geo.store.postgis.PostGISStore` (PostgreSQL + PostGIS, psycopg 3), anything else an SQLite file,
`geo.store.sqlite.SQLiteStore` (the embedded default). Both have the same methods and give the same
answers; this module holds all their logic, each backend only its specifics (connection,
transactions and locking, schema and migrations, the bounding-box index, failures as one line).

The interface (every method documents itself below):

* **Add and delete:** `add` (one article, one transaction), `add_many`, `has_text`, `delete_article`,
  `check_writable`.
* **Correct:** `correct`, `set_hidden`, `set_type`, `set_date`, `add_place_rule`, `undo_correction`,
  `corrections`, `event_corrections`.
* **Query:** `events`, `articles`, `article`, `mentions`, `count_events`, `count_articles`, `date_span`,
  `revision`; a view's counts, pins, grid cells, histogram, table pages and filter choices
  (`ViewQueries`, geo/store/view.py).
* **Incidents:** `incidents`, `incident`, `rebuild_incidents`.
* **Snapshots:** `save_snapshot`, `snapshot`, `snapshots`, `snapshot_owner_key`, `rename_snapshot`,
  `delete_snapshot`.

Design (both backends):

* **One transaction per article.** `add` runs inside one write transaction (`_write`); any exception
  rolls the whole article back, so a crash or a bad record never leaves half an article. Writers are
  serialised (SQLite: the file's write lock; PostgreSQL: an advisory lock per database), because
  the incident grouping reads, then writes.
* **Idempotent by content hash.** ``articles.content_hash`` is the sha256 of the normalised text
  (`content_hash`); adding the same text again returns status ``'duplicate'`` and writes nothing.
* **Corrections survive re-ingest.** They are keyed by ``(content_hash, mention_start,
  mention_end)``, not by row ids, and are applied again whenever that article is added.
* **Snapshots.** `save_snapshot` freezes a view: its URL parameters and a JSON copy of the events it
  showed, under a ``secrets.token_urlsafe`` id (128 bits, never starting with '-') with a sha256 of the content; later
  ingests, corrections and deletions never touch it. `snapshot(id)` raises StoreError with a plain
  reason for a malformed or unknown id. `snapshot(id)` recomputes the sha256 of the stored view and
  events; when it differs the snapshot still opens, with ``changed = True`` (`SNAPSHOT_CHANGED` is the
  one-line warning to show). Title and note are not covered by the hash.
* **Queries.** Dates are kept as given (``date``/``date_end``: ISO 8601 truncated to the precision,
  e.g. ``2023-09`` or ``1990/1993``) and as first/last day (``day_start``/``day_end``,
  ``YYYY-MM-DD`` text, compared as strings) for date-window overlap queries on indexed columns.
  Bounding boxes go through the backend's spatial index (`_bbox_filter`); the exact tests on
  ``lat``/``lon`` decide the edges.
* **Revision.** Every committed write moves ``store_meta.revision`` on (`revision`): what readers
  key their caches on.
* **Clear failures.** A store that cannot be used raises a `StoreFileError` subclass
  (geo/exceptions.py) whose message is one line naming the store as the user gave it (a URL without
  its password) and what to do; each backend maps its own errors (`_failure`).
* **Threads.** One connection per Store guarded by a lock, so a Store can be shared by Streamlit's
  callback threads.
* **Incidents.** Events of the same type at the same place (the same ``place_key``, or two
  point places within `INCIDENT_KM` km; areas only by key) whose ``[day_start, day_end]`` meet with
  `INCIDENT_SLACK_DAYS` of slack, from different articles, are linked; an incident is a connected
  component of those links (events longer than `SHORT_SPAN_DAYS` link only to events with the same
  interval, and a component spread over more than `MAX_INCIDENT_DAYS` days is cut, in date order, into
  consecutive windows of that length; a coarser event joins the window it meets most). Its id is its
  smallest event id; ``events.incident_id`` points to it (every visible event has one; singletons
  too), ``events.component_id`` to the component, and ``incidents`` holds one row per incident of
  two or more events (representative place and date, ``n_sources`` = distinct articles). Updated
  inside the transaction of every add, delete and correction, for the touched components only:
  candidates come from the ``(place_key, day_start)`` index and the spatial index
  (`_box_candidates`); an add merges the stored components its links reach; a delete or correction
  walks the links of the components it touched again. The grouping depends only on the stored
  events, never on the order they came in (`rebuild_incidents` gives the same). Hidden events
  belong to no incident.
* **Corrections.** One table, one row per live correction: ``place`` (`correct`),
  ``hidden`` ("not an event", `set_hidden`), ``type`` (`set_type`), ``date`` (`set_date`), keyed by
  the article's content hash and the mention span; and ``place_rule`` (`add_place_rule`), keyed by
  the mention text folded (case-insensitive, whitespace collapsed), applied to every mention and
  event with that text, now and at every later ingest. An event overwritten by a correction keeps
  its pipeline values in ``events.original``; `undo_correction` deletes the correction and derives
  the event again from those values and the corrections that remain.

The SQL here is common to both: ``?`` placeholders (the PostgreSQL backend translates them), upserts
as ``INSERT … ON CONFLICT … DO UPDATE``, new ids by ``RETURNING id``. What differs is a hook of the
backend: `_begin`, `_failure`, `_claim_event_ids`, `_bbox_filter`, `_driver`, `_box_candidates`,
`_sql_floor_int`, `_sql_period`, `schema_version`, and the attributes `_noindex` (SQLite's unary
``+`` that keeps a column off its index, '' elsewhere), `_like` (a case-insensitive LIKE) and
`_db_errors`/`_integrity_errors` (the driver's exception classes).
"""
from __future__ import annotations

import bisect
import contextlib
import functools
import hashlib
import hmac
import json
import math
import operator
import os
import re
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import date as _date, datetime, timedelta, timezone
from pathlib import Path
from typing import Iterable, Mapping, Optional, Sequence, Union
from urllib.parse import urlparse

from geo.dates import period_bounds, value_bounds
from geo.events import EVENT_TYPES, ROLES
from geo.exceptions import StoreError
from geo.store.view import SAMPLE_ABOVE, SAMPLE_EVERY, ViewQueries  # noqa: F401 (re-exported)
from geo.types import Snapshot

PROJECT_ROOT = Path(__file__).resolve().parent.parent.parent
DEFAULT_DB = PROJECT_ROOT / "data" / "events.db"
DATE_SOURCES = ("stated", "published", "unknown")
# Keys every event dict must carry (values may be None where noted in `_event_row`).
SNAPSHOT_ID_BYTES = 16                     # 128 random bits: unguessable
SNAPSHOT_ID_RE = re.compile(r"[A-Za-z0-9_-]{16,64}")
REQUIRED_EVENT_KEYS = ("name", "lat", "lon", "mention_start", "mention_end")

DateLike = Union[_date, str, None]

BUSY_ENV = "GEO_DB_BUSY_MS"                # ms a write waits for another writer's lock (default 30 s)
MAX_MB_ENV = "GEO_DB_MAX_MB"               # size limit of the database file in MB (unset: none)
DEFAULT_BUSY_S = 30.0
SNAPSHOT_CHANGED = "This snapshot was changed after it was made; it may not be what was shared."


def new_snapshot_id() -> str:
    """A fresh snapshot id: ``secrets.token_urlsafe`` (128 random bits, 22 URL-safe characters), drawn
    again while it starts with '-', so that ``--snapshot ID`` on a command line is never read as an option."""
    while True:
        sid = secrets.token_urlsafe(SNAPSHOT_ID_BYTES)
        if not sid.startswith("-"):
            return sid


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



SHORT_SPAN_DAYS = 31


# Incidents (schema 4): see the module docstring.
INCIDENT_KM = 5.0                # two point places this close are the same place
INCIDENT_SLACK_DAYS = 1          # date intervals that miss each other by a day still meet
MAX_INCIDENT_DAYS = 7            # a longer chain of linked events is cut into windows this long
AREA_KINDS = frozenset({"continent", "country", "region", "admin1", "admin2"})   # link only by place_key
CORRECTION_KINDS = ("place", "place_rule", "type", "date", "hidden")
PRECISIONS = ("day", "week", "month", "quarter", "year", "decade", "century", "range")
# The event columns a correction may overwrite; `events.original` keeps their pipeline values.
CORRECTABLE = ("name", "lat", "lon", "place_key", "country_code", "kind", "type", "role", "date", "date_end",
               "day_start", "day_end", "precision", "date_source", "date_text", "date_text_start", "date_text_end",
               "hidden")
MENTION_CORRECTABLE = ("name", "lat", "lon", "place_key", "country_code", "kind")


def fold_name(text: Optional[str]) -> Optional[str]:
    """The key a place rule matches on: NFC, case-folded, whitespace collapsed ('  New  york' → 'new york')."""
    if text is None:
        return None
    folded = " ".join(unicodedata.normalize("NFC", str(text)).casefold().split())
    return folded or None



def source_label(url: Optional[str], title: Optional[str]) -> str:
    """What the Source filter calls an article: its URL's domain (without 'www.') when it has one,
    else its title, else '(untitled)'."""
    if url:
        try:
            host = urlparse(url).hostname or ""
        except ValueError:
            host = ""
        if host:
            return host[4:] if host.startswith("www.") else host
    return (title or "").strip() or "(untitled)"



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


def _opt_int(v, what: str) -> Optional[int]:
    if v is None:
        return None
    try:
        return int(v)
    except (TypeError, ValueError):
        raise ValueError(f"{what} is not a whole number: {v!r}") from None


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

    etype = e.get("type") or "other"
    if etype not in EVENT_TYPES:
        raise ValueError(f"type must be one of {', '.join(EVENT_TYPES)}, not {etype!r}")
    role = e.get("role") or "reported"
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}, not {role!r}")
    actors = e.get("actors") or []
    if isinstance(actors, str) or not all(isinstance(a, str) for a in actors):
        raise ValueError(f"actors must be a list of strings, not {actors!r}")
    trigger = e.get("trigger")
    if trigger is not None:
        if not isinstance(trigger, Mapping) or "start" not in trigger or "end" not in trigger:
            raise ValueError(f"trigger must be {{'start', 'end', 'text'}} or None, not {trigger!r}")
        trigger = {"start": int(trigger["start"]), "end": int(trigger["end"]), "text": trigger.get("text")}
    alts = e.get("alternatives")
    return {
        "type": etype, "role": role, "actors": [str(a) for a in actors], "trigger": trigger, "hidden": 0,
        "sentence_start": _opt_int(e.get("sentence_start"), "sentence_start"),
        "date_text": e.get("date_text"), "date_text_start": _opt_int(e.get("date_text_start"), "date_text_start"),
        "date_text_end": _opt_int(e.get("date_text_end"), "date_text_end"),
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


def _add_in(where: list, params: list, column: str, values, normalise=None) -> None:
    """`column IN (?, …)` for one value or several, added to a query's WHERE parts and parameters."""
    items = [values] if isinstance(values, str) else list(values)
    if not items:                       # nothing to keep (PostgreSQL has no empty IN list)
        where.append("1 = 0")
        return
    where.append(f"{column} IN ({', '.join('?' * len(items))})")
    params += [normalise(v) for v in items] if normalise else items


def _like_escape(s: str) -> str:
    return s.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


_EVENT_COLUMNS = ("id", "article_id", "mention_start", "mention_end", "name", "lat", "lon", "country_code",
                  "kind", "date", "date_end", "day_start", "day_end", "precision", "date_source", "sentence",
                  "confidence", "place_key", "alternatives", "corrected", "type", "actors", "role",
                  "trigger_start", "trigger_end", "trigger_text", "hidden", "incident_id", "mention_text",
                  "corrected_by", "sentence_start", "date_text", "date_text_start", "date_text_end")
_MENTION_COLUMNS = ("id", "article_id", "start", "end", "text", "name", "lat", "lon", "country_code", "kind",
                    "geonameid", "place_key", "score", "alternatives", "corrected")
_QUOTED_MENTION_COLUMNS = tuple('"%s"' % c for c in _MENTION_COLUMNS)
_ARTICLE_COLUMNS = ("id", "content_hash", "external_id", "title", "url", "published", "published_source",
                    "source", "ingested_at")


# --------------------------------------------------------------------------- the store

POSTGRES_SCHEMES = ("postgresql://", "postgres://")


def is_postgres_url(location) -> bool:
    """Does `location` (--db, GEO_DB) name a PostgreSQL database rather than an SQLite file?"""
    return isinstance(location, str) and location.strip().lower().startswith(POSTGRES_SCHEMES)


class Store(ViewQueries):
    """Articles, mentions, events, corrections, incidents and snapshots (see the module docstring).

    Open one with `Store.open`; `geo.store.sqlite.SQLiteStore` and `geo.store.postgis.PostGISStore`
    are the backends. Attributes: ``name`` (the store as messages show it: the file as given, or the
    URL without its password), ``path`` (the file, or that URL), ``backend`` ('sqlite' | 'postgis')."""

    backend = ""
    has_rtree = False
    has_text_index = False         # SQLite: trigram FTS5 tables answer the text filter
    _noindex = ""                  # SQLite: '+', which keeps a column off its index
    _like = "LIKE"                 # a LIKE that ignores ASCII case
    _db_errors: tuple = ()         # the driver's exceptions
    _integrity_errors: tuple = ()  # … those for a row the schema refuses

    @classmethod
    def open(cls, location: Union[str, os.PathLike, None] = None, timeout: Optional[float] = None,
             max_mb: Optional[float] = None) -> "Store":
        """Open (creating and migrating as needed) the store at `location`, else $GEO_DB, else
        data/events.db: a ``postgresql://user:password@host/database`` URL (or ``postgres://``)
        opens PostgreSQL + PostGIS, anything else an SQLite file.

        timeout: seconds a write waits for another writer (default $GEO_DB_BUSY_MS / 1000, else 30);
        max_mb: size limit of an SQLite file (default $GEO_DB_MAX_MB, else none). Raises a
        StoreFileError subclass with a one-line message for a store that cannot be used (corrupt,
        foreign, newer schema, locked, unreachable …)."""
        if cls is Store:
            given = location if location is not None else (os.environ.get("GEO_DB") or None)
            if is_postgres_url(given):
                from geo.store.postgis import PostGISStore
                return PostGISStore(given.strip(), timeout=timeout)
            from geo.store.sqlite import SQLiteStore
            return SQLiteStore(location, timeout=timeout, max_mb=max_mb)
        return cls(location, timeout=timeout, max_mb=max_mb)

    def _finish_open(self) -> None:
        """After the migrations: a store migrated from before incidents groups its events once."""
        if self._read("SELECT 1 FROM store_meta WHERE key = 'incidents_stale'"):
            with self._write() as conn:
                if conn.execute("SELECT 1 FROM store_meta WHERE key = 'incidents_stale'").fetchone():
                    self._rebuild_incidents(conn)

    def check_writable(self) -> None:
        """Raise StoreReadOnly, StoreLocked or StoreFull if this store cannot be written now; writes nothing.

        Takes the write lock (waiting up to the busy timeout) and makes one write that is rolled back,
        so a read-only store, a held lock or a full size limit shows before any work is done."""
        with self._lock:
            conn = self._conn
            if conn is None:
                raise StoreError("the store is closed")
            try:
                self._begin(conn)
                try:
                    conn.execute("INSERT INTO store_meta (key, value) VALUES ('write_check', ?)"
                                 " ON CONFLICT (key) DO UPDATE SET value = excluded.value", (_now(),))
                finally:
                    if conn.in_transaction:
                        conn.execute("ROLLBACK")
            except self._db_errors as exc:
                failure = self._failure(exc)
                if failure is None:
                    raise
                raise failure from exc

    # -- backend hooks (each backend overrides these)

    def _begin(self, conn) -> None:
        """Start a write transaction holding the store's write lock (waiting up to the busy timeout)."""
        raise NotImplementedError

    def _failure(self, exc: BaseException) -> Optional[StoreError]:
        """The StoreFileError for a driver error that says the store cannot be used as it is; else None."""
        return None

    def _claim_event_ids(self, conn, n: int) -> int:
        """The first of `n` new consecutive event ids (inside a write transaction; never reused)."""
        raise NotImplementedError

    def _bbox_filter(self, box: tuple, driver: Optional[str]) -> tuple[str, list, list]:
        """The events/articles FROM clause and the spatial index's WHERE conditions and parameters
        for a (west, south, east, north) box; the exact lat/lon tests are added by the caller."""
        return "events e JOIN articles a ON a.id = e.article_id", [], []

    def _box_candidates(self, conn, n: "_Node", long: bool, box: tuple, dparams: list, tail: list):
        """Rows of `_NODE_SQL` for the visible events in `box` (west, south, east, north; west and
        east None: latitude only) meeting `neighbour_dates(long, …)` (parameters `dparams`), of
        `n`'s type and from another article: `tail` is dparams + [type, article id], the parameters
        of `neighbour_common` after the dates."""
        raise NotImplementedError

    def _driver(self, lo: Optional[str], hi: Optional[str], box: Optional[tuple]) -> Optional[str]:
        """Which index drives an events query: 'start', 'end', a spatial one, or None (the database's
        planner decides: PostgreSQL's knows how selective a date range is, and its date indexes carry
        what the aggregates read, so it scans them index-only)."""
        return None

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
        """The schema version of this store (each backend has its own list of migrations)."""
        raise NotImplementedError

    def _read(self, sql: str, params: Sequence = ()) -> list:
        with self._lock:
            if self._conn is None:
                raise StoreError("the store is closed")
            with self._reading():
                return self._conn.execute(sql, params).fetchall()

    @contextlib.contextmanager
    def _reading(self):
        """Reads inside: a driver error that says the database cannot be used becomes the store's
        one-line message (a file damaged past its header opens, then fails on the page a read
        reaches: the same message as at open, never the driver's traceback)."""
        try:
            yield
        except self._db_errors as exc:
            failure = self._failure(exc)
            if failure is not None:
                raise failure from exc
            raise

    def _write(self):
        return _Transaction(self)

    def has_text(self, text: str) -> bool:
        """Is an article with this text (after normalisation) stored? One index lookup: ingest asks
        before geoparsing, so re-ingesting known articles costs next to nothing."""
        return bool(self._read("SELECT 1 FROM articles WHERE content_hash = ? LIMIT 1", (content_hash(text),)))

    # -- writing

    def add(self, result) -> AddOutcome:
        """Store one ArticleResult (or its to_dict() form) in one transaction; see AddOutcome.

        Stored corrections of this text and the store's place rules are applied as it goes in, and
        the incidents its events join are updated in the same transaction. Raises StoreError (naming
        the article and the reason) when a record is malformed; nothing of that article is written then."""
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
                    " source, text, ingested_at, source_label) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
                    (digest, None if ext_id is None else str(ext_id), _get(article, "title"),
                     _get(article, "url"), _get(article, "published"),
                     _get(article, "published_source") or "unknown", _get(article, "source"), text, _now(),
                     source_label(_get(article, "url"), _get(article, "title"))))
                article_id = cur.fetchone()[0]
                span_corrections = _span_corrections(conn, digest)
                rules = _place_rules(conn)

                by_span, mention_rows = {}, []
                for i, m in enumerate(_get(result, "mentions") or []):
                    try:
                        mr = _mention_row(m)
                        _check_span(mr["start"], mr["end"], text)
                    except (KeyError, ValueError, TypeError, AttributeError) as exc:
                        raise StoreError(f"{label}: mention {i}: {type(exc).__name__}: {exc}") from exc
                    by_span.setdefault((mr["start"], mr["end"]), dict(mr))
                    span_text = mr["text"] if mr["text"] is not None else text[mr["start"]:mr["end"]]
                    base = {k: mr[k] for k in MENTION_CORRECTABLE}
                    applied = _apply_corrections(mr, span_corrections.get((mr["start"], mr["end"]), {}),
                                                 rules.get(fold_name(span_text)), span_text, place_only=True)
                    mention_rows.append(
                        (article_id, mr["start"], mr["end"], mr["text"], mr["name"], mr["lat"], mr["lon"],
                         mr["country_code"], mr["kind"], mr["geonameid"], mr["place_key"], mr["score"],
                         json.dumps(mr["alternatives"], ensure_ascii=False), int(bool(applied)),
                         fold_name(span_text), json.dumps(base, ensure_ascii=False) if applied else None))
                conn.executemany(
                    'INSERT INTO mentions (article_id, "start", "end", text, name, lat, lon, country_code,'
                    " kind, geonameid, place_key, score, alternatives, corrected, norm, original)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", mention_rows)

                # Ids are given here (this transaction holds the write lock), so each event goes in
                # already as its own incident and only linked ones are rewritten.
                events_in = list(_get(result, "events") or [])
                next_id = self._claim_event_ids(conn, len(events_in)) if events_in else 0
                event_rows = []
                for i, e in enumerate(events_in):
                    try:
                        ed = _as_dict(e)
                        er = _event_row(ed, by_span.get((_get(ed, "mention_start"), _get(ed, "mention_end"))))
                        _check_span(er["mention_start"], er["mention_end"], text)
                        trig = er["trigger"]
                        if trig is not None:
                            _check_span(trig["start"], trig["end"], text)
                            if trig["text"] is None:
                                trig["text"] = text[trig["start"]:trig["end"]]
                    except (KeyError, ValueError, TypeError) as exc:
                        reason = exc.args[0] if isinstance(exc, KeyError) and exc.args else exc
                        raise StoreError(f"{label}: event {i}: {reason}") from exc
                    span_text = text[er["mention_start"]:er["mention_end"]]
                    base = {k: er[k] for k in CORRECTABLE}
                    applied = _apply_corrections(er, span_corrections.get((er["mention_start"], er["mention_end"]), {}),
                                                 rules.get(fold_name(span_text)), span_text)
                    trig = er["trigger"] or {}
                    eid = next_id + len(event_rows)
                    event_rows.append(
                        (eid, None if er["hidden"] else eid, None if er["hidden"] else eid,
                         article_id, er["mention_start"], er["mention_end"], er["name"], er["lat"], er["lon"],
                         er["country_code"], er["kind"], er["date"], er["date_end"], er["day_start"],
                         er["day_end"], er["precision"], er["date_source"], er["sentence"], er["confidence"],
                         er["place_key"], json.dumps(er["alternatives"], ensure_ascii=False), int(bool(applied)),
                         er["type"], json.dumps(er["actors"], ensure_ascii=False), er["role"], trig.get("start"),
                         trig.get("end"), trig.get("text"), er["hidden"], span_text, fold_name(span_text),
                         json.dumps(base, ensure_ascii=False) if applied else None,
                         json.dumps(applied) if applied else None, er["sentence_start"], er["date_text"],
                         er["date_text_start"], er["date_text_end"]))
                conn.executemany(
                    "INSERT INTO events (id, incident_id, component_id, article_id, mention_start, mention_end, name, lat, lon,"
                    " country_code, kind, date, date_end, day_start, day_end, precision, date_source, sentence,"
                    " confidence, place_key, alternatives, corrected, type, actors, role, trigger_start,"
                    " trigger_end, trigger_text, hidden, mention_text, mention_norm, original, corrected_by,"
                    " sentence_start, date_text, date_text_start, date_text_end)"
                    f" VALUES ({', '.join('?' * 37)})", event_rows)
                self._link_new(conn, [r[0] for r in event_rows if r[1] is not None])
                return AddOutcome("added", article_id, len(event_rows))
        except self._integrity_errors as exc:
            raise StoreError(f"{label}: rejected by the database: {str(exc).splitlines()[0]}") from exc

    def add_many(self, results: Iterable) -> list:
        """Add each result in its own transaction; returns AddOutcome or StoreError per result."""
        out = []
        for r in results:
            try:
                out.append(self.add(r))
            except StoreError as exc:
                out.append(exc)
        return out

    def delete_article(self, article_id: int) -> bool:
        """Delete an article with its mentions and events (corrections are kept), and regroup the
        incidents it was part of. True if it existed."""
        with self._write() as conn:
            touched = conn.execute("SELECT DISTINCT incident_id, component_id FROM events WHERE article_id = ?"
                                   " AND incident_id IS NOT NULL", (article_id,)).fetchall()
            gone = conn.execute("DELETE FROM articles WHERE id = ?", (article_id,)).rowcount > 0
            if gone:
                self._relink(conn, [], {i for i, _ in touched}, {c for _, c in touched})
            return gone

    # -- corrections

    def correct(self, article_id: int, mention_start: int, mention_end: int, lat: float, lon: float,
                name: Optional[str] = None, place_key: Optional[str] = None, note: str = "",
                country_code: Optional[str] = None, kind: Optional[str] = None) -> int:
        """Place the mention at [mention_start, mention_end) of an article at (lat, lon).

        The correction is saved by (content hash, span), so it is applied again when the same
        article is re-ingested; the article's matching mentions and events are updated in the same
        transaction and marked corrected. `name`, `country_code`, `kind` left None keep the
        pipeline's; `place_key` None means "no gazetteer entry" (a point put on the map). A new
        place correction of the same span replaces the previous one. Returns the number of events
        at that span."""
        lat, lon = _coordinates(lat, lon)
        with self._write() as conn:
            digest, span_text = _span_target(conn, article_id, mention_start, mention_end)
            value = {"lat": lat, "lon": lon, "name": name, "place_key": place_key,
                     "country_code": country_code, "kind": kind}
            _record(conn, "place", value, note, digest, int(mention_start), int(mention_end), span_text)
            return self._rederive(conn, "e.article_id = ? AND e.mention_start = ? AND e.mention_end = ?",
                                  (article_id, int(mention_start), int(mention_end)),
                                  'article_id = ? AND "start" = ? AND "end" = ?')

    def set_hidden(self, article_id: int, mention_start: int, mention_end: int, hidden: bool = True,
                   note: str = "") -> Optional[int]:
        """"Not an event": hide the event(s) at this span (kept, left out of `events` and incidents).
        Returns the correction's id; with hidden=False removes the hide correction (returns None)."""
        with self._write() as conn:
            digest, span_text = _span_target(conn, article_id, mention_start, mention_end, need_event=True)
            where = ("e.article_id = ? AND e.mention_start = ? AND e.mention_end = ?",
                     (article_id, int(mention_start), int(mention_end)))
            if not hidden:
                conn.execute("DELETE FROM corrections WHERE kind = 'hidden' AND content_hash = ? AND"
                             " mention_start = ? AND mention_end = ?", (digest, int(mention_start), int(mention_end)))
                self._rederive(conn, *where)
                return None
            cid = _record(conn, "hidden", {"hidden": True}, note, digest, int(mention_start), int(mention_end),
                          span_text)
            self._rederive(conn, *where)
            return cid

    def set_type(self, article_id: int, mention_start: int, mention_end: int, type: str,
                 note: str = "") -> int:
        """"Wrong type": set the event type (one of EVENT_TYPES) at this span. Returns the correction's id."""
        if type not in EVENT_TYPES:
            raise StoreError(f"unknown event type {type!r} (use one of {', '.join(EVENT_TYPES)})")
        with self._write() as conn:
            digest, span_text = _span_target(conn, article_id, mention_start, mention_end, need_event=True)
            cid = _record(conn, "type", {"type": type}, note, digest, int(mention_start), int(mention_end),
                          span_text)
            self._rederive(conn, "e.article_id = ? AND e.mention_start = ? AND e.mention_end = ?",
                           (article_id, int(mention_start), int(mention_end)))
            return cid

    def set_date(self, article_id: int, mention_start: int, mention_end: int, date: DateLike,
                 date_end: DateLike = None, precision: Optional[str] = None, role: Optional[str] = None,
                 note: str = "") -> int:
        """"Wrong date": set date (ISO 8601 truncated to its precision: '2024-03-05', '2024-03', '2024',
        a range '2024-03-01/2024-03-05', or a date), optional date_end and precision (else read from
        the value) and, optionally, the role. day_start/day_end follow as at ingest; date_source
        becomes 'stated'. Returns the correction's id."""
        value = _date_value(date, date_end, precision, role)
        with self._write() as conn:
            digest, span_text = _span_target(conn, article_id, mention_start, mention_end, need_event=True)
            cid = _record(conn, "date", value, note, digest, int(mention_start), int(mention_end), span_text)
            self._rederive(conn, "e.article_id = ? AND e.mention_start = ? AND e.mention_end = ?",
                           (article_id, int(mention_start), int(mention_end)))
            return cid

    def add_place_rule(self, name: str, lat: float, lon: float, place_name: Optional[str] = None,
                       place_key: Optional[str] = None, country_code: Optional[str] = None,
                       kind: Optional[str] = None, note: str = "") -> int:
        """"Always place NAME as PLACE in this store": every mention whose text reads `name`
        (case-insensitive, whitespace collapsed) is put at (lat, lon), named `place_name` (default:
        `name` as given), with `place_key` (default 'rule:<folded name>') and, when given,
        `country_code` and `kind`; now and at every later ingest. A place correction of one span
        wins over a rule. A rule for the same name replaces the previous one. Returns its id."""
        key = fold_name(name) if isinstance(name, str) else None
        if key is None:
            raise StoreError("a place rule needs a name")
        lat, lon = _coordinates(lat, lon)
        value = {"lat": lat, "lon": lon, "name": (place_name or "").strip() or " ".join(name.split()),
                 "place_key": place_key or f"rule:{key}", "country_code": country_code, "kind": kind}
        with self._write() as conn:
            conn.execute("DELETE FROM corrections WHERE rule_name = ?", (key,))
            cid = _record(conn, "place_rule", value, note, rule_name=key)
            self._rederive(conn, "e.mention_norm = ?", (key,), "norm = ?")
            return cid

    def undo_correction(self, correction_id: int) -> int:
        """Remove a correction: the events (and mentions) it changed get their pipeline values back,
        with whatever other corrections still apply. Returns the number of events it applied to."""
        with self._write() as conn:
            row = conn.execute("SELECT kind, content_hash, mention_start, mention_end, rule_name FROM corrections"
                               " WHERE id = ?", (int(correction_id),)).fetchone()
            if row is None:
                raise StoreError(f"no correction with id {correction_id}")
            kind, digest, start, end, rule = row
            conn.execute("DELETE FROM corrections WHERE id = ?", (int(correction_id),))
            if kind == "place_rule":
                return self._rederive(conn, "e.mention_norm = ?", (rule,), "norm = ?")
            return self._rederive(
                conn, "e.article_id = (SELECT id FROM articles WHERE content_hash = ?)"
                      " AND e.mention_start = ? AND e.mention_end = ?", (digest, start, end),
                'article_id = (SELECT id FROM articles WHERE content_hash = ?) AND "start" = ? AND "end" = ?'
                if kind == "place" else None)

    def _rederive(self, conn, event_where: str, params: Sequence,
                  mention_where: Optional[str] = None) -> int:
        """Derive the selected events (and mentions) again: pipeline values (`original`, else the
        current ones) with every live correction applied; then regroup their incidents. Returns
        the number of events selected."""
        cols = ", ".join("e." + c for c in CORRECTABLE)
        rows = conn.execute(
            f"SELECT e.id, a.content_hash, e.mention_start, e.mention_end, e.mention_text, e.original, {cols}"
            f" FROM events e JOIN articles a ON a.id = e.article_id WHERE {event_where}", params).fetchall()
        rules = _place_rules(conn)
        by_hash: dict = {}
        changed = []
        for r in rows:
            eid, digest, start, end, span_text, original = r[:6]
            base = dict(zip(CORRECTABLE, r[6:]))
            if original:                     # the pipeline's values (a column added later keeps its own)
                base.update(json.loads(original))
            if digest not in by_hash:
                by_hash[digest] = _span_corrections(conn, digest)
            new = dict(base)
            applied = _apply_corrections(new, by_hash[digest].get((start, end), {}), rules.get(fold_name(span_text)),
                                         span_text)
            conn.execute(
                f"UPDATE events SET {', '.join(c + ' = ?' for c in CORRECTABLE)}, corrected = ?, original = ?,"
                " corrected_by = ? WHERE id = ?",
                [new[c] for c in CORRECTABLE] + [int(bool(applied)),
                                                 json.dumps(base, ensure_ascii=False) if applied else None,
                                                 json.dumps(applied) if applied else None, eid])
            changed.append(eid)
        if mention_where is not None:
            mcols = ", ".join(MENTION_CORRECTABLE)
            for mid, digest, start, end, span_text, original, *vals in conn.execute(
                    f'SELECT m.id, a.content_hash, m."start", m."end", m.text, m.original, {mcols} FROM mentions m'
                    f" JOIN articles a ON a.id = m.article_id WHERE {mention_where}", params).fetchall():
                base = dict(zip(MENTION_CORRECTABLE, vals))
                if original:
                    base.update(json.loads(original))
                if digest not in by_hash:
                    by_hash[digest] = _span_corrections(conn, digest)
                new = dict(base)
                applied = _apply_corrections(new, by_hash[digest].get((start, end), {}),
                                             rules.get(fold_name(span_text)), span_text, place_only=True)
                conn.execute(f"UPDATE mentions SET {', '.join(c + ' = ?' for c in MENTION_CORRECTABLE)},"
                             " corrected = ?, original = ? WHERE id = ?",
                             [new[c] for c in MENTION_CORRECTABLE]
                             + [int(bool(applied)), json.dumps(base, ensure_ascii=False) if applied else None, mid])
        self._relink(conn, changed)
        return len(changed)

    # -- incidents

    def rebuild_incidents(self) -> int:
        """Group every stored event into incidents from scratch (the incremental updates give the same
        result; this is for repair and for stores migrated from schema 3). Returns the incident count."""
        with self._write() as conn:
            self._rebuild_incidents(conn)
            return conn.execute("SELECT COUNT(DISTINCT incident_id) FROM events WHERE hidden = 0").fetchone()[0]

    def _rebuild_incidents(self, conn) -> None:
        conn.execute("DELETE FROM incidents")
        conn.execute("UPDATE events SET incident_id = NULL, component_id = NULL"
                     " WHERE incident_id IS NOT NULL OR component_id IS NOT NULL")
        self._relink(conn, [r[0] for r in conn.execute("SELECT id FROM events ORDER BY id")])
        conn.execute("DELETE FROM store_meta WHERE key = 'incidents_stale'")

    def _link_new(self, conn, event_ids: list) -> None:
        """Group just-added events (each stored as its own component and incident): an added event
        can only merge components, so the components its links reach are merged whole, from their
        stored members, without walking them again."""
        new = [_Node(*r) for chunk in _chunks(event_ids)
               for r in conn.execute(f"{_NODE_SQL} WHERE e.id IN ({', '.join('?' * len(chunk))})", chunk)]
        parent: dict = {}

        def find(x):
            while parent.get(x, x) != x:
                x = parent[x]
            return x

        reached = set()
        for n in new:
            for nb in self._candidates(conn, n):
                a, b = find(("e", n.id)), find(("c", nb.component_id))
                if a != b and _links(n, nb):       # a candidate of a component already joined: no check
                    parent[max(a, b)] = min(a, b)
                    reached.add(nb.component_id)
        if not reached:
            return                          # each stays its own incident (no `incidents` row)
        comps: dict = {}
        for n in new:
            comps.setdefault(find(("e", n.id)), []).append(n)
        old_incidents = set()
        root = {c: find(("c", c)) for c in reached}
        for chunk in _chunks(sorted(reached)):
            for r in conn.execute(f"{_NODE_SQL} WHERE e.component_id IN ({', '.join('?' * len(chunk))})"
                                  " AND e.hidden = 0", chunk):
                m = _Node(*r)
                comps.setdefault(root[m.component_id], []).append(m)
                old_incidents.add(m.incident_id)
        self._write_components(conn, list(comps.values()), old_incidents, added={n.id for n in new})

    def _relink(self, conn, event_ids: Iterable[int], incident_ids: Iterable[int] = (),
                component_ids: Iterable[int] = ()) -> None:
        """Regroup after changes that may split components: `event_ids` changed (place, type, date,
        hidden) or `incident_ids`/`component_ids` lost events. The components through the changed
        events and the remaining members of the touched components are found again by walking
        their links; written, and the incidents they replace deleted."""
        old_incidents = {i for i in incident_ids if i is not None}
        old_comps = {c for c in component_ids if c is not None}
        seeds: dict = {}
        unlinked = []
        for chunk in _chunks(list(event_ids)):
            for row in conn.execute(f"{_NODE_SQL} WHERE e.id IN ({', '.join('?' * len(chunk))})", chunk):
                node = _Node(*row)
                old_incidents.add(node.incident_id)
                old_comps.add(node.component_id)
                if node.hidden:
                    if node.incident_id is not None or node.component_id is not None:
                        unlinked.append(node.id)
                else:
                    seeds[node.id] = node
        old_comps.discard(None)
        for chunk in _chunks(sorted(old_comps)):
            for row in conn.execute(f"{_NODE_SQL} WHERE e.component_id IN ({', '.join('?' * len(chunk))})"
                                    " AND e.hidden = 0", chunk):
                seeds.setdefault(row[0], _Node(*row))
        if unlinked:
            conn.executemany("UPDATE events SET incident_id = NULL, component_id = NULL WHERE id = ?",
                             [(i,) for i in unlinked])
        visited: dict = {}
        components = []
        for sid in sorted(seeds):
            if sid in visited:
                continue
            visited[sid] = seeds[sid]
            component, stack = [seeds[sid]], [seeds[sid]]
            while stack:
                for nb in self._neighbours(conn, stack.pop()):
                    if nb.id not in visited:
                        visited[nb.id] = nb
                        component.append(nb)
                        stack.append(nb)
            components.append(component)
        old_incidents.update(n.incident_id for n in visited.values())
        self._write_components(conn, components, old_incidents)

    @staticmethod
    def _write_components(conn, components: list, old_incidents: set,
                          added: Optional[set] = None) -> None:
        """Store whole components: their incidents (`_split_component`), each event's incident and
        component ids; delete the incidents in `old_incidents` that are no more. added: the ids of
        the events just added, when nothing else changed: an incident that keeps exactly its stored
        members is then left as it is."""
        only_grown = added is not None
        writes, moves, new_ids = [], [], set()
        before: dict = {}
        if only_grown:
            for comp in components:
                for n in comp:
                    if n.id not in added:
                        before[n.incident_id] = before.get(n.incident_id, 0) + 1
        for comp in components:
            cid = min(n.id for n in comp)
            for g in _split_component(comp):
                iid = min(n.id for n in g)
                new_ids.add(iid)
                moved = [(iid, cid, n.id) for n in g if (n.incident_id, n.component_id) != (iid, cid)]
                moves += moved
                if len(g) == 1:
                    new_ids.discard(iid)            # a lone event is its own incident: no row
                elif moved or not only_grown or before.get(iid) != len(g):
                    writes.append(_incident_row(g))
        gone = sorted(i for i in old_incidents if i is not None and i not in new_ids)
        for chunk in _chunks(gone):
            conn.execute(f"DELETE FROM incidents WHERE id IN ({', '.join('?' * len(chunk))})", chunk)
        conn.executemany(_INSERT_INCIDENT, writes)
        conn.executemany("UPDATE events SET incident_id = ?, component_id = ? WHERE id = ?", moves)

    def _neighbours(self, conn, n: "_Node") -> list:
        """The visible events that link to `n` (see the module docstring), decided exactly by `_links`."""
        return [m for m in self._candidates(conn, n) if _links(n, m)]

    def _candidates(self, conn, n: "_Node") -> list:
        """Every visible event that may link to `n` (a superset of its neighbours), as `_Node`s:
        candidates by place key, and by the 5 km box through the backend's spatial index
        (`_box_candidates`)."""
        if n.day_start is None:
            return []
        if n.long_span:                    # only the same interval
            dparams = [n.day_start, n.day_end]
        else:                              # short events overlapping [lo, hi] start at most SHORT_SPAN_DAYS before lo
            lo = _shift(n.day_start, -INCIDENT_SLACK_DAYS)
            dparams = [_shift(lo, -SHORT_SPAN_DAYS), _shift(n.day_end, INCIDENT_SLACK_DAYS), lo]
        tail = dparams + [n.type, n.article_id]
        long = bool(n.long_span)
        found = {}
        if n.place_key:
            for row in conn.execute(self._key_neighbour_sql[long], [n.place_key] + tail):
                found[row[0]] = row
        if n.lat is not None and n.lon is not None:
            dlat = INCIDENT_KM / 111.0
            coslat = math.cos(math.radians(min(90.0, abs(n.lat) + dlat)))
            dlon = 360.0 if coslat < 1e-6 else dlat / coslat
            w, e_ = n.lon - dlon, n.lon + dlon
            if not (w >= -180 and e_ <= 180):            # at the antimeridian: latitude only
                w = e_ = None
            for row in self._box_candidates(conn, n, long, (w, n.lat - dlat, e_, n.lat + dlat), dparams, tail):
                found[row[0]] = row
        return [_Node(*r) for r in found.values()]

    # -- reading

    def events(self, start: DateLike = None, end: DateLike = None,
               bbox: Optional[Sequence[float]] = None, country: Union[str, Iterable[str], None] = None,
               text: Optional[str] = None, min_confidence: Optional[float] = None,
               limit: Optional[int] = None, types: Optional[Iterable[str]] = None, role: Optional[str] = None,
               min_sources: Optional[int] = None, include_hidden: bool = False) -> list:
        """Stored events as dicts (with their article's title, url and published), by date then id.

        Each row also carries `type`, `actors` (list), `role`, `trigger` ({start, end, text} or None),
        `hidden`, `incident_id` (None for a hidden event), `n_sources` (distinct articles reporting its
        incident), `mention_text`, `sentence_start` (the sentence's offset in the article),
        `date_text`/`date_text_start`/`date_text_end` (the words that dated it) and `corrected_by`
        (the kinds of correction applied, a list).
        Hidden events ("not an event") are left out unless include_hidden. types: event types to
        keep; role: 'reported' or 'background'; min_sources: keep events of incidents with at
        least this many sources.

        start/end: a window (date or 'YYYY-MM-DD'; '2024-04' means the whole month) matched by
        overlap: an event counts when [day_start, day_end] meets [start, end]. Events whose date is
        unknown are returned only when neither bound is given.
        bbox: (west, south, east, north) in degrees; west > east crosses the antimeridian.
        country: an ISO country code or several. text: a substring of the place name, the sentence
        or the article title (case-insensitive for ASCII). min_confidence: confidence >= this."""
        with self._lock:
            tables, where, params = self._event_filter(
                start=start, end=end, bbox=bbox, country=country, text=text, min_confidence=min_confidence,
                types=types, role=role, min_sources=min_sources, include_hidden=include_hidden)
            sql = (f"SELECT {', '.join('e.' + c for c in _EVENT_COLUMNS)}, a.title, a.url, a.published,"
                   f" COALESCE(i.n_sources, 1) FROM {tables}")
            if where:
                sql += " WHERE " + " AND ".join(where)
            sql += " ORDER BY e.day_start IS NULL, e.day_start, e.id"
            if limit is not None:
                sql += " LIMIT ?"
                params.append(int(limit))
            rows = self._read(sql, params)
        return [_event_dict(r) for r in rows]

    def _event_filter(self, start: DateLike = None, end: DateLike = None, bbox: Optional[Sequence[float]] = None,
                      country: Union[str, Iterable[str], None] = None, text: Optional[str] = None,
                      min_confidence: Optional[float] = None, types: Optional[Iterable[str]] = None,
                      role: Optional[str] = None, min_sources: Optional[int] = None, include_hidden: bool = False,
                      kinds: Optional[Iterable[str]] = None, sources: Optional[Iterable[str]] = None,
                      actor: Optional[str] = None, text_places: Optional[Iterable[str]] = None,
                      article: Optional[int] = None, rows: bool = True,
                      newest_first: bool = False, sample: bool = False) -> tuple[str, list, list]:
        """The FROM clause (events `e`, articles `a`, incidents `i`), WHERE conditions and parameters
        of an events query with these filters (as `events` documents them; kinds: place kinds;
        sources: `source_label`s; actor: a substring of any actor; text_places: place keys that
        `text` names, whose events match it too; article: one article's id, its events only). rows: the caller reads the articles' and incidents'
        columns too (else they are joined only when a filter needs them: counts and aggregates then
        read the events alone). newest_first: the caller orders by day_start descending and reads a
        page (a backend may then walk its day_start index backwards). sample: only the fixed sample
        of the events (whole incidents: incident id divisible by SAMPLE_EVERY). Call with the lock held."""
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

        by_text = bool(text) and self.has_text_index and len(text) >= 3      # (a trigram needs 3 characters)
        # an aggregate of a text view whose other filters read only the narrow columns: off the
        # backend's table of the text's matches, made once per text and store revision (or None)
        matches = (self._text_matches(text, text_places) if by_text and not rows and not (
            country or min_confidence is not None or min_sources is not None or kinds or sources or actor
            or article is not None) else None)
        driver = "text" if by_text else self._driver(lo, hi, box)
        if newest_first and driver not in ("rtree", "text"):
            driver = "newest"
        if sample:
            driver = "sample"           # one event in SAMPLE_EVERY, off its own index (view.py)
        where, params = [], []
        # Overlap of [day_start, day_end] with [lo, hi]. `_noindex` (SQLite's unary +) keeps a
        # column off its index, so the plan follows `driver` (SQLite cannot tell how selective a
        # date range is).
        if lo:
            where.append(("" if driver == "end" else self._noindex) + "e.day_end >= ?")
            params.append(lo)
        if hi:
            where.append(("" if driver in ("start", "newest") else self._noindex) + "e.day_start <= ?")
            params.append(hi)
        tables = self._events_from(driver) + " JOIN articles a ON a.id = e.article_id"
        if box is not None:
            w, s, e_, n = box
            tables, index_where, index_params = self._bbox_filter(box, driver)
            where += index_where
            params += index_params
            where.append("e.lat BETWEEN ? AND ?")
            params += [s, n]
            if w <= e_:
                where.append("e.lon BETWEEN ? AND ?")
                params += [w, e_]
            else:
                where.append("(e.lon >= ? OR e.lon <= ?)")
                params += [w, e_]
        if country:
            _add_in(where, params, "UPPER(e.country_code)", country, str.upper)
        if text:
            pat = f"%{_like_escape(text)}%"
            like = self._like
            # text_places: the place keys the text names under any spelling (the gazetteer's
            # alternate names: "Kiev" finds Kyiv's events)
            if matches:
                pass                            # every row of the matches' table holds the text
            elif by_text:
                # the same substring test, off the trigram indexes: the matches as one set of event
                # ids, which the text driver's narrow id index answers
                ids_sql, ids_params = self._text_ids(text, text_places)
                where.append(f"e.id IN ({ids_sql})")
                params += ids_params
            else:
                keys = sorted(set(text_places or ()))[:500]
                places = f" OR e.place_key IN ({', '.join('?' * len(keys))})" if keys else ""
                where.append(f"(e.name {like} ? ESCAPE '\\' OR e.sentence {like} ? ESCAPE '\\'"
                             f" OR a.title {like} ? ESCAPE '\\'" + places + ")")
                params += [pat, pat, pat] + keys
        if min_confidence is not None:
            where.append("e.confidence >= ?")
            params.append(float(min_confidence))
        if not include_hidden:
            where.append("e.hidden = 0")
        if sample:
            where.append(f"COALESCE(e.incident_id, e.id) % {SAMPLE_EVERY} = 0")
        if types is not None:
            _add_in(where, params, "e.type", types)
        if role is not None:
            where.append("e.role = ?")
            params.append(role)
        if min_sources is not None:
            where.append("COALESCE(i.n_sources, 1) >= ?")
            params.append(int(min_sources))
        if kinds:
            _add_in(where, params, "LOWER(e.kind)", kinds, str.lower)
        if sources:
            _add_in(where, params, "a.source_label", sources)
        if article is not None:
            where.append("e.article_id = ?")
            params.append(int(article))
        if actor:
            where.append(f"e.actors {self._like} ? ESCAPE '\\'")
            params.append(f"%{_like_escape(actor)}%")
        if not rows and not (text and not by_text or sources):
            tables = tables.replace(" JOIN articles a ON a.id = e.article_id", "", 1)
        if rows or min_sources is not None:
            tables += " LEFT JOIN incidents i ON i.id = e.incident_id"
        if matches:
            tables = f"{matches} e"
        return tables, where, params

    def _text_ids(self, text: str, text_places: Optional[Iterable[str]]) -> tuple[str, list]:
        """A subquery for the ids of the events that hold `text` (their name or sentence, their
        article's title, or a place key of `text_places`), off the trigram indexes, and its
        parameters (with `has_text_index`)."""
        keys = sorted(set(text_places or ()))[:500]
        events_sql, articles_sql, terms = self._text_lookup(text)
        parts = [events_sql, f"SELECT id FROM events WHERE article_id IN ({articles_sql})"]
        if keys:
            parts.append(f"SELECT id FROM events WHERE place_key IN ({', '.join('?' * len(keys))})")
        return " UNION ".join(parts), terms + keys

    def _text_matches(self, text: str, text_places: Optional[Iterable[str]]) -> Optional[str]:
        """The name of a table of the events that hold `text` (as `_text_ids`) with the columns the
        aggregate view queries read (VIEW_COLUMNS and the dates), or None: a backend that keeps
        one reads a text view's matches once for its count, cells, histogram and table page,
        not once each."""
        return None

    # -- dialect hooks of the view queries (geo/store/view.py)

    def _events_from(self, driver: Optional[str]) -> str:
        """The events table as `e` for a query led by `driver` (a backend may name the index)."""
        return "events e"

    def _text_lookup(self, text: str) -> tuple[str, str, list]:
        """Subqueries for the ids of the events whose name or sentence holds `text` and of the
        articles whose title does (ignoring case), answered by the backend's trigram indexes, and
        their parameters (with `has_text_index`)."""
        pat = f"%{_like_escape(text)}%"
        return (f"SELECT id FROM events WHERE name {self._like} ? ESCAPE '\\' OR sentence {self._like} ? ESCAPE '\\'",
                f"SELECT id FROM articles WHERE title {self._like} ? ESCAPE '\\'", [pat, pat, pat])

    @staticmethod
    def _sql_floor_int(expr: str) -> str:
        """SQL for the integer floor of a non-negative number."""
        raise NotImplementedError

    @staticmethod
    def _sql_period(bucket: str, column: str) -> str:
        """SQL for the first day ('YYYY-MM-DD') of the day, week (from Monday) or month holding a
        'YYYY-MM-DD' column."""
        raise NotImplementedError

    def last_published(self) -> Optional[str]:
        """The latest publication day of the stored articles ('YYYY-MM-DD'), or None: where "the
        latest news" ends (an event can be scheduled for later)."""
        row = self._read("SELECT MAX(published) FROM articles WHERE published IS NOT NULL")
        return str(row[0][0])[:10] if row and row[0][0] else None

    def revision(self) -> int:
        """A number that grows with every committed write (add, delete, correction, snapshot): what a
        reader keys its caches on. Another process's writes count too (it is read from the database)."""
        return int(self._read("SELECT value FROM store_meta WHERE key = 'revision'")[0][0])

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

    def article(self, article_id: int) -> Optional[dict]:
        """One stored article with its text (the `articles` columns, `text`, `n_events`), or None."""
        cols = _ARTICLE_COLUMNS + ("text",)
        try:
            aid = int(article_id)
        except (TypeError, ValueError):
            return None
        rows = self._read(f"SELECT {', '.join('a.' + c for c in cols)},"
                          " (SELECT COUNT(*) FROM events e WHERE e.article_id = a.id) FROM articles a WHERE a.id = ?",
                          (aid,))
        return dict(zip(cols + ("n_events",), rows[0])) if rows else None

    def mentions(self, article_id: int) -> list:
        """The stored mentions of one article, in text order."""
        rows = self._read(f"SELECT {', '.join(_QUOTED_MENTION_COLUMNS)} FROM mentions"
                          ' WHERE article_id = ? ORDER BY "start", id', (article_id,))
        return [_decoded(_MENTION_COLUMNS, r) for r in rows]

    def corrections(self) -> list:
        """The live corrections, oldest first, as dicts: `id`, `kind` (place | place_rule | type | date |
        hidden), `target` (a line saying what it applies to), `value` (what it sets, a dict),
        `created_at` (UTC ISO 8601), `note`; for span corrections `content_hash`, `mention_start`,
        `mention_end`, `mention_text` and `article_id` (the stored article with that text, or None);
        for place rules `rule_name`; for place kinds also `lat`, `lon`, `name`, `place_key` flat."""
        rows = self._read(
            "SELECT c.id, c.kind, c.content_hash, c.mention_start, c.mention_end, c.mention_text, c.rule_name,"
            " c.value, c.note, c.created_at, a.id, a.title FROM corrections c"
            " LEFT JOIN articles a ON a.content_hash = c.content_hash ORDER BY c.created_at, c.id")
        return [_correction_dict(r) for r in rows]

    def event_corrections(self, event_id: int) -> list:
        """The live corrections that apply to one event (as `corrections` lists them), oldest first."""
        row = self._read("SELECT a.content_hash, e.mention_start, e.mention_end, e.mention_norm FROM events e"
                         " JOIN articles a ON a.id = e.article_id WHERE e.id = ?", (event_id,))
        if not row:
            raise StoreError(f"no event with id {event_id}")
        digest, start, end, norm = row[0]
        rows = self._read(
            "SELECT c.id, c.kind, c.content_hash, c.mention_start, c.mention_end, c.mention_text, c.rule_name,"
            " c.value, c.note, c.created_at, a.id, a.title FROM corrections c"
            " LEFT JOIN articles a ON a.content_hash = c.content_hash"
            " WHERE (c.content_hash = ? AND c.mention_start = ? AND c.mention_end = ?) OR c.rule_name = ?"
            " ORDER BY c.created_at, c.id", (digest, start, end, norm))
        return [_correction_dict(r) for r in rows]

    def incidents(self, start: DateLike = None, end: DateLike = None, bbox: Optional[Sequence[float]] = None,
                  types: Optional[Iterable[str]] = None, role: Optional[str] = None,
                  min_sources: Optional[int] = None, country: Union[str, Iterable[str], None] = None,
                  limit: Optional[int] = None) -> list:
        """One dict per incident, by first day then id: `id`, `type`, `role`, `n_events`, `n_sources`,
        `day_start`/`day_end` (over its events), the representative event's place and date (`event_id`,
        `name`, `lat`, `lon`, `place_key`, `country_code`, `kind`, `date`, `date_end`, `precision`),
        `event_ids` and `article_ids` (sorted). Filters as in `events` (bbox on the representative point)."""
        lo, hi = _window_day(start, last=False), _window_day(end, last=True)
        where, params = [], []
        if lo:
            where.append("i.day_end >= ?")
            params.append(lo)
        if hi:
            where.append("i.day_start <= ?")
            params.append(hi)
        if bbox is not None:
            try:
                w, s, e_, n = (float(x) for x in bbox)
            except (TypeError, ValueError):
                raise StoreError(f"bbox must be four numbers (west, south, east, north), not {bbox!r}") from None
            where.append("i.lat BETWEEN ? AND ?")
            params += [s, n]
            where.append("i.lon BETWEEN ? AND ?" if w <= e_ else "(i.lon >= ? OR i.lon <= ?)")
            params += [w, e_]
        if types is not None:
            _add_in(where, params, "i.type", types)
        if role is not None:
            where.append("i.role = ?")
            params.append(role)
        if min_sources is not None:
            where.append("i.n_sources >= ?")
            params.append(int(min_sources))
        if country:
            _add_in(where, params, "UPPER(i.country_code)", country, str.upper)
        # `incidents` holds the incidents of two or more events; a lone event is its own incident.
        sql = f"SELECT {', '.join(_INCIDENT_COLUMNS)} FROM incidents"
        if min_sources is None or int(min_sources) <= 1:
            sql += f" UNION ALL {_LONE_INCIDENTS}"
        sql = f"SELECT * FROM ({sql}) i"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY i.day_start IS NULL, i.day_start, i.id"
        if limit is not None:
            sql += " LIMIT ?"
            params.append(int(limit))
        with self._lock:
            out = [dict(zip(_INCIDENT_COLUMNS, r)) for r in self._read(sql, params)]
            members: dict = {}
            ids = [o["id"] for o in out]
            for chunk in _chunks(ids):
                for iid, eid, aid in self._read(f"SELECT incident_id, id, article_id FROM events WHERE incident_id"
                                                f" IN ({', '.join('?' * len(chunk))}) ORDER BY id", chunk):
                    m = members.setdefault(iid, ([], set()))
                    m[0].append(eid)
                    m[1].add(aid)
        for o in out:
            eids, aids = members.get(o["id"], ([], set()))
            o["event_ids"], o["article_ids"] = eids, sorted(aids)
        return out

    def incident(self, incident_id: int) -> dict:
        """One incident (as `incidents` gives it) with `events`: its source events as `events` rows
        (article title, url, published, sentence …), by publication date then article."""
        rows = self._read(f"SELECT {', '.join(_INCIDENT_COLUMNS)} FROM incidents WHERE id = ?"
                          f" UNION ALL {_LONE_INCIDENTS} AND e.id = ?", (int(incident_id), int(incident_id)))
        if not rows:
            raise StoreError(f"no incident with id {incident_id}")
        out = dict(zip(_INCIDENT_COLUMNS, rows[0]))
        evs = self._read(
            f"SELECT {', '.join('e.' + c for c in _EVENT_COLUMNS)}, a.title, a.url, a.published,"
            " COALESCE(i.n_sources, 1) FROM events e JOIN articles a ON a.id = e.article_id"
            " LEFT JOIN incidents i ON i.id = e.incident_id WHERE e.incident_id = ?"
            " ORDER BY a.published IS NULL, a.published, e.article_id, e.mention_start", (int(incident_id),))
        out["events"] = [_event_dict(r) for r in evs]
        out["event_ids"] = sorted(e["id"] for e in out["events"])
        out["article_ids"] = sorted({e["article_id"] for e in out["events"]})
        return out

    # -- snapshots

    def save_snapshot(self, view: Mapping[str, str], events: Sequence[Mapping], title: str = "",
                      note: str = "") -> Snapshot:
        """Freeze a view: its query parameters and a copy of `events` under a new unguessable id."""
        view = {str(k): str(v) for k, v in dict(view).items()}
        canonical = {"ensure_ascii": False, "sort_keys": True, "separators": (",", ":")}
        view_json = json.dumps(view, **canonical)
        events_json = json.dumps([dict(e) for e in events], default=str, **canonical)
        snap = Snapshot(id=new_snapshot_id(), created_at=_now(), title=title or "",
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
        try:
            view_obj, events_obj = json.loads(view), json.loads(events)
        except (TypeError, ValueError):
            raise StoreError(f"snapshot {sid!r} is damaged (its stored content is not readable)") from None
        snap = Snapshot(id=sid, created_at=created, title=title, note=note, view=view_obj,
                        events=events_obj, content_hash=digest)
        # Verified on every open: a row edited afterwards still opens, flagged (`SNAPSHOT_CHANGED`).
        snap.changed = digest not in _snapshot_hashes(view_obj, events_obj, events)
        return snap

    def snapshots(self) -> list:
        """All snapshots, newest first, without their events: dicts id, created_at, title, note, n_events."""
        cols = ("id", "created_at", "title", "note", "n_events")
        return [dict(zip(cols, r)) for r in
                self._read(f"SELECT {', '.join(cols)} FROM snapshots ORDER BY created_at DESC, rowid DESC")]

    def snapshot_owner_key(self, snapshot_id: str) -> str:
        """The key that lets whoever made snapshot `snapshot_id` rename or delete it: an HMAC-SHA256
        of the id under a secret this store keeps (``store_meta``, drawn once, never shown). The
        snapshot's link does not carry it, so a link's recipients cannot change the snapshot."""
        self.snapshot(snapshot_id)                 # a malformed or unknown id: StoreError
        rows = self._read("SELECT value FROM store_meta WHERE key = 'snapshot_secret'")
        if not rows:
            with self._write() as conn:
                conn.execute("INSERT INTO store_meta (key, value) VALUES ('snapshot_secret', ?)"
                             " ON CONFLICT (key) DO NOTHING", (secrets.token_hex(32),))
            rows = self._read("SELECT value FROM store_meta WHERE key = 'snapshot_secret'")
        return hmac.new(rows[0][0].encode("ascii"), snapshot_id.encode("ascii"), hashlib.sha256).hexdigest()

    def _check_owner(self, snapshot_id: str, key: str) -> None:
        if not isinstance(key, str) or not hmac.compare_digest(self.snapshot_owner_key(snapshot_id), key):
            raise StoreError(f"snapshot {snapshot_id!r} can only be changed by whoever made it (wrong key)")

    def rename_snapshot(self, snapshot_id: str, title: str, key: str) -> None:
        """Give snapshot `snapshot_id` a new title (not covered by its content hash); `key` is its
        `snapshot_owner_key`, else StoreError."""
        self._check_owner(snapshot_id, key)
        with self._write() as conn:
            conn.execute("UPDATE snapshots SET title = ? WHERE id = ?", (str(title or "")[:200], snapshot_id))

    def delete_snapshot(self, snapshot_id: str, key: str) -> bool:
        """Delete snapshot `snapshot_id` (its link then says there is no such snapshot); `key` is its
        `snapshot_owner_key`, else StoreError. True when a row went."""
        self._check_owner(snapshot_id, key)
        with self._write() as conn:
            return conn.execute("DELETE FROM snapshots WHERE id = ?", (snapshot_id,)).rowcount > 0

    def date_span(self, include_hidden: bool = False, role: Optional[str] = None) -> tuple:
        """(first day, last day) over the dated events, as 'YYYY-MM-DD', or (None, None); hidden
        events left out unless include_hidden; role: only 'reported' (or 'background') events."""
        cond = [] if include_hidden else ["hidden = 0"]
        params: list = []
        if role is not None:
            cond.append("role = ?")
            params.append(role)
        extra = "".join(f" AND {c}" for c in cond)
        # Two subqueries, each walking one date index from its end (one query over both would scan).
        return tuple(self._read(
            f"SELECT (SELECT day_start FROM events WHERE day_start IS NOT NULL{extra} ORDER BY day_start LIMIT 1),"
            f" (SELECT day_end FROM events WHERE day_end IS NOT NULL{extra} ORDER BY day_end DESC LIMIT 1)",
            params + params)[0])


def _snapshot_hashes(view, events, events_text: str) -> set:
    """The content hashes a snapshot row may rightly carry: save_snapshot's sha256 of canonical
    view JSON + newline + canonical events JSON, from the parsed values and from the stored text."""
    canonical = {"ensure_ascii": False, "sort_keys": True, "separators": (",", ":")}
    try:
        view_json = json.dumps({str(k): str(v) for k, v in dict(view).items()}, **canonical)
        events_json = json.dumps(events, **canonical)
    except (TypeError, ValueError):
        return set()
    return {hashlib.sha256(f"{view_json}\n{e}".encode("utf-8")).hexdigest() for e in (events_json, events_text)}


def _env_number(name: str, default, minimum: float):
    """A number from the environment variable `name` (default when unset or blank); StoreError otherwise."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not value >= minimum or math.isinf(value):
        raise StoreError(f"{name} must be a number of at least {minimum:g}, not {raw!r}")
    return value


def _decoded(names: Sequence[str], row: Sequence) -> dict:
    """A stored mention row as a dict, its JSON and flag columns decoded."""
    d = dict(zip(names, row))
    d["alternatives"] = json.loads(d["alternatives"] or "[]")
    d["corrected"] = bool(d["corrected"])
    return d


_EVENT_ROW_NAMES = _EVENT_COLUMNS + ("title", "url", "published", "n_sources")


def _json_list(text: Optional[str]) -> list:
    """A stored JSON list; the common empty one without the parser (a view of thousands of rows
    decodes several per row)."""
    return json.loads(text) if text and text != "[]" else []


def _event_dict(row: Sequence) -> dict:
    """A row of `Store.events` (the event columns, title, url, published, n_sources) as a dict."""
    d = dict(zip(_EVENT_ROW_NAMES, row))
    d["alternatives"] = _json_list(d["alternatives"])
    d["corrected"] = bool(d["corrected"])
    d["actors"] = _json_list(d["actors"])
    t_start, t_end, t_text = d.pop("trigger_start"), d.pop("trigger_end"), d.pop("trigger_text")
    d["trigger"] = None if t_start is None else {"start": t_start, "end": t_end, "text": t_text}
    d["hidden"] = bool(d["hidden"])
    d["corrected_by"] = _json_list(d["corrected_by"])
    if d["hidden"]:
        d["n_sources"] = 1
    return d


_INCIDENT_COLUMNS = ("id", "type", "role", "n_events", "n_sources", "day_start", "day_end", "event_id", "name",
                     "lat", "lon", "place_key", "country_code", "kind", "date", "date_end", "precision")
# The events that are incidents on their own, as `incidents` rows.
_LONE_INCIDENTS = ("SELECT e.id, e.type, e.role, 1, 1, e.day_start, e.day_end, e.id, e.name, e.lat, e.lon, e.place_key,"
                   " e.country_code, e.kind, e.date, e.date_end, e.precision FROM events e"
                   " WHERE e.incident_id = e.id AND e.hidden = 0"
                   " AND NOT EXISTS (SELECT 1 FROM incidents x WHERE x.id = e.id)")


def _correction_dict(row: Sequence) -> dict:
    cid, kind, digest, start, end, span_text, rule, value, note, created, article_id, title = row
    value = json.loads(value)
    d = {"id": cid, "kind": kind, "value": value, "created_at": created, "note": note}
    if kind == "place_rule":
        d["rule_name"] = rule
        d["target"] = f"every mention reading {rule!r}"
    else:
        d.update(content_hash=digest, mention_start=start, mention_end=end, mention_text=span_text,
                 article_id=article_id)
        where = f"article {article_id}" + (f" ({title})" if title else "") if article_id else \
            f"article text {digest[:12]}… (not stored now)"
        d["target"] = f"{span_text!r} at {start}-{end} of {where}"
    if kind in ("place", "place_rule"):
        d.update(lat=value["lat"], lon=value["lon"], name=value.get("name"), place_key=value.get("place_key"))
    return d


def _check_span(start: int, end: int, text: str) -> None:
    if not 0 <= start <= end <= len(text):
        raise ValueError(f"span {start}-{end} is outside the text ({len(text)} characters)")


# --------------------------------------------------------------------------- corrections (helpers)

def _coordinates(lat, lon) -> tuple:
    try:
        lat, lon = float(lat), float(lon)
    except (TypeError, ValueError):
        raise StoreError(f"coordinates must be numbers, not {lat!r}, {lon!r}") from None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise StoreError(f"coordinates out of range: {lat}, {lon}")
    return lat, lon


def _span_target(conn, article_id: int, mention_start: int, mention_end: int,
                 need_event: bool = False) -> tuple:
    """(content hash, span text) of a span of a stored article; StoreError when there is none."""
    row = conn.execute("SELECT content_hash, text FROM articles WHERE id = ?", (article_id,)).fetchone()
    if row is None:
        raise StoreError(f"no article with id {article_id}")
    try:
        start, end = int(mention_start), int(mention_end)
    except (TypeError, ValueError):
        raise StoreError(f"article {article_id}: span {mention_start!r}-{mention_end!r} is not two numbers") from None
    if not 0 <= start < end <= len(row[1]):
        raise StoreError(f"article {article_id}: span {start}-{end} is outside its text")
    if need_event and conn.execute("SELECT 1 FROM events WHERE article_id = ? AND mention_start = ? AND"
                                   " mention_end = ?", (article_id, start, end)).fetchone() is None:
        raise StoreError(f"article {article_id} has no event at {start}-{end}")
    return row[0], row[1][start:end]


def _record(conn, kind: str, value: dict, note: str, content_hash_: Optional[str] = None,
            start: Optional[int] = None, end: Optional[int] = None, span_text: Optional[str] = None,
            rule_name: Optional[str] = None) -> int:
    """Save a correction (replacing one of the same kind on the same span); returns its id."""
    if content_hash_ is not None:
        conn.execute("DELETE FROM corrections WHERE content_hash = ? AND mention_start = ? AND mention_end = ?"
                     " AND kind = ?", (content_hash_, start, end, kind))
    cur = conn.execute(
        "INSERT INTO corrections (kind, content_hash, mention_start, mention_end, mention_text, rule_name, value,"
        " note, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
        (kind, content_hash_, start, end, span_text, rule_name, json.dumps(value, ensure_ascii=False),
         note or "", _now()))
    return cur.fetchone()[0]


def _date_value(date, date_end, precision, role) -> dict:
    def text(v):
        if isinstance(v, datetime):
            return v.date().isoformat()
        if isinstance(v, _date):
            return v.isoformat()
        return None if v is None or str(v).strip() == "" else str(v).strip()

    d, d_end = text(date), text(date_end)
    if d is None:
        raise StoreError("a date correction needs a date (YYYY-MM-DD, YYYY-MM, YYYY or A/B)")
    try:
        day_bounds(d, d_end)
        precision = precision or _precision_of(d)
    except ValueError as exc:
        raise StoreError(f"not a date: {exc}") from None
    if precision not in PRECISIONS:
        raise StoreError(f"unknown date precision {precision!r} (use one of {', '.join(PRECISIONS)})")
    if role is not None and role not in ROLES:
        raise StoreError(f"unknown role {role!r} (use one of {', '.join(ROLES)})")
    return {"date": d, "date_end": d_end, "precision": precision, "role": role}


def _span_corrections(conn, digest: str) -> dict:
    """{(start, end): {kind: (value, mention_text)}} for one article text."""
    out: dict = {}
    for start, end, kind, value, span_text in conn.execute(
            "SELECT mention_start, mention_end, kind, value, mention_text FROM corrections WHERE content_hash = ?"
            " ORDER BY id", (digest,)):
        out.setdefault((start, end), {})[kind] = (json.loads(value), span_text)
    return out


def _place_rules(conn) -> dict:
    return {name: json.loads(value) for name, value in
            conn.execute("SELECT rule_name, value FROM corrections WHERE kind = 'place_rule'")}


def _set_place(row: dict, v: Mapping) -> None:
    row["lat"], row["lon"] = v["lat"], v["lon"]
    row["place_key"] = v.get("place_key")
    for k in ("name", "country_code", "kind"):
        if v.get(k) is not None:
            row[k] = v[k]


def _apply_corrections(row: dict, span: Mapping, rule: Optional[Mapping], span_text: Optional[str],
                       place_only: bool = False) -> list:
    """Overwrite an event (or mention) row with the corrections that apply; returns their kinds.

    A span correction applies only where the span still reads as when it was made. Order: the place
    (a span's own correction, else a place rule), then type, date, hidden."""
    live = {k: v for k, (v, t) in span.items() if t is None or span_text is None or t == span_text}
    applied = []
    if "place" in live:
        _set_place(row, live["place"])
        applied.append("place")
    elif rule is not None:
        _set_place(row, rule)
        applied.append("place_rule")
    if place_only:
        return applied
    if "type" in live:
        row["type"] = live["type"]["type"]
        applied.append("type")
    if "date" in live:
        v = live["date"]
        row["date"], row["date_end"], row["precision"] = v["date"], v.get("date_end"), v["precision"]
        row["day_start"], row["day_end"] = day_bounds(v["date"], v.get("date_end"))
        row["date_source"] = "stated"
        row["date_text"] = row["date_text_start"] = row["date_text_end"] = None    # no longer the article's words
        if v.get("role"):
            row["role"] = v["role"]
        applied.append("date")
    if "hidden" in live:
        row["hidden"] = 1
        applied.append("hidden")
    return applied


def _chunks(items: list, size: int = 500):
    for i in range(0, len(items), size):
        yield items[i:i + size]


# --------------------------------------------------------------------------- incidents (helpers)

_NODE_COLUMNS = ("id", "article_id", "type", "role", "lat", "lon", "place_key", "kind", "name", "country_code",
                 "date", "date_end", "precision", "day_start", "day_end", "date_source", "confidence",
                 "incident_id", "component_id", "hidden", "mention_start", "mention_end", "long_span")
_NODE_SQL = (f"SELECT {', '.join('e.' + c for c in _NODE_COLUMNS)}, a.content_hash"
             " FROM events e JOIN articles a ON a.id = e.article_id")


def neighbour_common(noindex: str) -> str:
    """The type, visibility and other-article conditions of a candidate query; the type keeps off
    its index (SQLite's '+'), or SQLite walks every event of that type instead of the place's few."""
    return f" AND {noindex}e.type = ? AND e.hidden = 0 AND e.article_id != ?"


def neighbour_dates(long: bool, lead: str, noindex: str) -> str:
    """The date conditions of a candidate query (parameters: `_candidates`' dparams): the same
    interval for a long event, else a short one starting in the window. `lead` prefixes day_start,
    `noindex` day_end (SQLite's '+' keeps a column off its index)."""
    return (f"{lead}e.day_start = ? AND {noindex}e.day_end = ?" if long else
            f"e.long_span = 0 AND {lead}e.day_start BETWEEN ? AND ? AND {noindex}e.day_end >= ?")


def key_neighbour_sql(noindex: str) -> dict:
    """The candidate queries by place key of `Store._candidates`, by long event."""
    return {long: f"{_NODE_SQL} WHERE e.place_key = ? AND {neighbour_dates(long, '', noindex)}{neighbour_common(noindex)}"
            for long in (False, True)}


_INCIDENT_WRITE_COLUMNS = ("id", "type", "role", "n_events", "n_sources", "day_start", "day_end", "event_id", "name",
                           "lat", "lon", "place_key", "country_code", "kind", "date", "date_end", "precision")
_INSERT_INCIDENT = (f"INSERT INTO incidents ({', '.join(_INCIDENT_WRITE_COLUMNS)})"
                    f" VALUES ({', '.join('?' * len(_INCIDENT_WRITE_COLUMNS))}) ON CONFLICT (id) DO UPDATE SET "
                    + ", ".join(f"{c} = excluded.{c}" for c in _INCIDENT_WRITE_COLUMNS[1:]))


class _Node(tuple):
    """One event as the incident grouping sees it (a row of `_NODE_SQL`)."""
    __slots__ = ()

    def __new__(cls, *row):
        return tuple.__new__(cls, row)


for _i, _name in enumerate(_NODE_COLUMNS + ("content_hash",)):
    setattr(_Node, _name, property(operator.itemgetter(_i)))


@functools.lru_cache(maxsize=65536)
def _shift(day: str, days: int) -> str:
    return (_date.fromisoformat(day) + timedelta(days=days)).isoformat()


def _km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    a = (math.sin((p2 - p1) / 2) ** 2
         + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2)
    return 2 * 6371.0088 * math.asin(min(1.0, math.sqrt(a)))


def _links(a: _Node, b: _Node) -> bool:
    """Whether two events are the same happening: see the module docstring (symmetric)."""
    if a.article_id == b.article_id or a.type != b.type or a.hidden or b.hidden:
        return False
    if a.day_start is None or b.day_start is None:
        return False
    if a.long_span or b.long_span:
        if (a.day_start, a.day_end) != (b.day_start, b.day_end):
            return False
    elif a.day_start > _shift(b.day_end, INCIDENT_SLACK_DAYS) or b.day_start > _shift(a.day_end, INCIDENT_SLACK_DAYS):
        return False
    if a.place_key and a.place_key == b.place_key:
        return True
    if a.lat is None or b.lat is None or a.lon is None or b.lon is None:
        return False
    a_area, b_area = a.kind in AREA_KINDS, b.kind in AREA_KINDS
    if a_area or b_area:       # an area's point is not where things happen: only the same area, unkeyed
        if not (a_area and b_area) or (a.place_key and b.place_key) or a.kind != b.kind \
                or (a.name or "").casefold() != (b.name or "").casefold():
            return False
    return _km(a.lat, a.lon, b.lat, b.lon) <= INCIDENT_KM


def _order_key(n: _Node) -> tuple:
    """A total order of events that does not depend on ingest order (ids only break exact ties)."""
    return (n.day_start or "", n.day_end or "", n.content_hash, n.mention_start, n.mention_end, n.id)


def _width(n: _Node) -> int:
    return (_date.fromisoformat(n.day_end) - _date.fromisoformat(n.day_start)).days


def _split_component(nodes: list) -> list:
    """A connected component as incidents. Its events dated to less than MAX_INCIDENT_DAYS days go, in
    date order, into consecutive windows of that length (one window unless a chain of reports runs
    on longer); a coarser event ("earlier this month") joins the window holding most of the events
    it meets (the earliest on a tie), and those that meet none make one more incident together."""
    if len(nodes) == 1:
        return [nodes]
    fine, coarse = [], []
    for n in nodes:
        (fine if _width(n) < MAX_INCIDENT_DAYS else coarse).append(n)
    fine.sort(key=_order_key)
    coarse.sort(key=_order_key)
    groups, window_end = [], None
    for n in fine:
        if window_end is None or n.day_start > window_end:
            groups.append([])
            window_end = _shift(n.day_start, MAX_INCIDENT_DAYS - 1)
        groups[-1].append(n)
    if len(groups) <= 1:
        return [nodes]
    loose = []
    starts = [[f.day_start for f in g] for g in groups]        # each in date order (`_order_key`)
    firsts, lasts = [st[0] for st in starts], [st[-1] for st in starts]
    active: list = []                                           # (last day, window) of coarse ones placed
    for c in coarse:
        lo, hi = _shift(c.day_start, -INCIDENT_SLACK_DAYS), _shift(c.day_end, INCIDENT_SLACK_DAYS)
        # A fine event meets [lo, hi] when it starts by hi and ends from lo on; it lasts under
        # MAX_INCIDENT_DAYS days, so only those starting in the few days before lo need their end read.
        # The windows are in date order and apart: only those with a start in [edge, hi] can meet it.
        edge = _shift(lo, 1 - MAX_INCIDENT_DAYS)
        meets: dict = {}
        for k in range(bisect.bisect_left(lasts, edge), bisect.bisect_right(firsts, hi)):
            st = starts[k]
            a, b, z = bisect.bisect_left(st, edge), bisect.bisect_left(st, lo), bisect.bisect_right(st, hi)
            meets[k] = max(0, z - b) + sum(1 for f in groups[k][a:min(b, z)] if f.day_end >= lo)
        # The coarse events placed before count too: they start no later than c (date order), so they
        # meet it while they end from lo on, and lo only grows: those ending before it are done with.
        active = [(end, k) for end, k in active if end >= lo]
        for _, k in active:
            meets[k] = meets.get(k, 0) + 1
        best, most = None, 0
        for k in sorted(meets):
            if meets[k] > most:                # the earliest window on a tie
                best, most = k, meets[k]
        if best is None:
            loose.append(c)
        else:
            groups[best].append(c)
            active.append((c.day_end, best))
    return groups + ([loose] if loose else [])


def _incident_row(nodes: list) -> tuple:
    """An `incidents` row for a group of events: the representative is the event at the group's most
    frequent place with its most frequent dates, preferring a stated date, then the narrowest date,
    then the highest confidence."""
    keys: dict = {}
    days: dict = {}
    for n in nodes:
        if n.place_key:
            keys[n.place_key] = keys.get(n.place_key, 0) + 1
        days[(n.day_start, n.day_end)] = days.get((n.day_start, n.day_end), 0) + 1

    def rank(n: _Node) -> tuple:
        width = ((_date.fromisoformat(n.day_end) - _date.fromisoformat(n.day_start)).days
                 if n.day_start else 10 ** 6)
        return (-keys.get(n.place_key, 0), -days[(n.day_start, n.day_end)], n.date_source != "stated", width,
                -(n.confidence or 0.0), _order_key(n)[2:])

    rep = min(nodes, key=rank)
    dated = [n for n in nodes if n.day_start]
    return (min(n.id for n in nodes), rep.type,
            "reported" if any(n.role == "reported" for n in nodes) else "background",
            len(nodes), len({n.article_id for n in nodes}),
            min((n.day_start for n in dated), default=None), max((n.day_end for n in dated), default=None),
            rep.id, rep.name, rep.lat, rep.lon, rep.place_key, rep.country_code, rep.kind, rep.date,
            rep.date_end, rep.precision)


class _Transaction:
    """`with store._write() as conn:` — the store's lock plus a write transaction (`Store._begin`)
    … COMMIT, the revision moved on; or ROLLBACK, with a driver error that says the store cannot be
    used raised as its one-line StoreFileError (`Store._failure`)."""

    def __init__(self, store: Store):
        self.store = store

    def __enter__(self):
        store = self.store
        store._lock.acquire()
        conn = store._conn
        if conn is None:
            store._lock.release()
            raise StoreError("the store is closed")
        try:
            store._begin(conn)
        except BaseException as exc:
            try:
                _rollback_quietly(store, conn)
            finally:
                store._lock.release()
            failure = store._failure(exc)        # locked, read-only …: one line naming the store
            if failure is None:
                raise
            raise failure from exc
        return conn

    def __exit__(self, exc_type, exc, tb) -> bool:
        store = self.store
        conn = store._conn
        try:
            if exc_type is None:
                try:
                    # every committed write moves the revision on: readers cache by it (`revision`)
                    conn.execute("UPDATE store_meta SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT)"
                                 " WHERE key = 'revision'")
                    conn.execute("COMMIT")
                except BaseException as commit_exc:
                    _rollback_quietly(store, conn)
                    failure = store._failure(commit_exc)
                    if failure is None:
                        raise
                    raise failure from commit_exc
            else:
                # The database may have rolled back already (e.g. SQLite after SQLITE_FULL); a failing
                # ROLLBACK must not hide the error that caused it.
                _rollback_quietly(store, conn)
                failure = store._failure(exc)
                if failure is not None:
                    raise failure from exc
        finally:
            store._lock.release()
        return False


def _rollback_quietly(store: Store, conn) -> None:
    if conn.in_transaction:
        try:
            conn.execute("ROLLBACK")
        except store._db_errors:
            pass
