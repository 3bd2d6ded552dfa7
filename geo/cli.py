"""Command line: `python -m geo extract|resolve ...` (a stable contract: other tools parse its output).

    python -m geo extract FILE_OR_FOLDER... --format json     one JSON object per article per line
    python -m geo extract - --format json                     JSON Lines on stdin {"id","text",...}
    python -m geo resolve --format json                       JSON Lines on stdin {"id","text","spans"}
    python -m geo ingest PATH_OR_URL... [--db FILE]           geoparse and store (idempotent)
                         [--workers N | --dask tcp://HOST:8786 | --dask local]
    python -m geo export --format html|png|geojson|csv|kml --out FILE [--start --end --country CC
                         --text --source --kind --min-confidence --type T,.. --actor S --background
                         --min-sources K --bbox W,S,E,N | --link URL | --snapshot ID]

Bad inputs get one line each on stderr naming the file and the reason; the rest still go through.
The exit status is non-zero only when nothing at all could be read.
"""
from __future__ import annotations

import argparse
import json
import sys

from geo.events import EVENT_TYPES
from geo.exceptions import ReadError
from geo.export import FORMATS


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m geo", description="Map the places reported in news articles.")
    sub = p.add_subparsers(dest="command", required=True)

    ex = sub.add_parser("extract", help="find, place and date every location in articles")
    ex.add_argument("inputs", nargs="+", help="files, folders, or - for JSON Lines on stdin")
    ex.add_argument("--format", choices=["json"], default="json", help="output format (JSON Lines)")
    _common(ex)

    ig = sub.add_parser("ingest", help="geoparse articles and keep them in the event store")
    ig.add_argument("inputs", nargs="+", help="files, folders, .jsonl corpora, - for stdin, http(s) URLs or feeds")
    ig.add_argument("--db", help="SQLite file or postgresql:// URL (default: $GEO_DB or data/events.db)")
    ig.add_argument("--workers", type=int, metavar="N",
                    help="geoparser processes on this machine (default: the CPU count, fewer if memory is short: "
                         "about 1 GB each; 1: in this process); "
                         "with --dask local, the number of Dask workers")
    ig.add_argument("--dask", metavar="ADDRESS",
                    help="geoparse on a Dask cluster: its scheduler (tcp://HOST:8786), or 'local' for a "
                         "cluster of --workers processes on this machine")
    _common(ig)

    exp = sub.add_parser("export", help="write the events of a view (or a snapshot) to a file",
                         description="The view is chosen as in the app: a date window and filters, or a "
                                     "permalink copied from the app (--link), or a frozen snapshot.")
    exp.add_argument("--format", choices=list(FORMATS), required=True)
    exp.add_argument("--out", required=True, help="output file")
    exp.add_argument("--start", help="YYYY-MM-DD (or YYYY-MM, YYYY): first day of the window")
    exp.add_argument("--end", help="YYYY-MM-DD (or YYYY-MM, YYYY): last day of the window")
    exp.add_argument("--text", help="only events whose place, title or sentence contains this")
    exp.add_argument("--country", help="ISO country code(s), comma-separated")
    exp.add_argument("--source", help="source(s) as the app lists them (site or title), comma-separated")
    exp.add_argument("--kind", help="place kind(s): city, landmark, admin1, admin2, region, country, continent")
    exp.add_argument("--min-confidence", type=float, help="0..1: minimum geocode confidence")
    exp.add_argument("--type", help="event type(s), comma-separated: " + ", ".join(EVENT_TYPES))
    exp.add_argument("--actor", help="only events with an actor containing this")
    exp.add_argument("--background", action="store_true", default=None,
                     help="also export background events (history, context); default: reported events only")
    exp.add_argument("--min-sources", type=int, help="only incidents reported by at least this many articles")
    exp.add_argument("--bbox", help="W,S,E,N in degrees")
    exp.add_argument("--link", help="a link copied from the app: its view (options above override it)")
    exp.add_argument("--snapshot", help="a snapshot id: export exactly the events frozen in it")
    exp.add_argument("--title", help="title of the map / document (default: Reported events)")
    exp.add_argument("--width", type=int, default=1200, help="PNG width in pixels (default 1200)")
    exp.add_argument("--height", type=int, default=800, help="PNG height in pixels (default 800)")
    exp.add_argument("--tiles", action="store_true", help="PNG: let OpenStreetMap tiles load (needs a network)")
    exp.add_argument("--db", help="SQLite file or postgresql:// URL (default: $GEO_DB or data/events.db)")

    rs = sub.add_parser("resolve", help="place the given spans (JSON Lines on stdin)")
    rs.add_argument("--format", choices=["json"], default="json")
    _common(rs)
    return p


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--online", action="store_true",
                   help="fall back to Nominatim for names the offline gazetteer lacks (off by default)")
    p.add_argument("--no-ner", action="store_true", help="skip the statistical NER vote (faster, less accurate)")
    p.add_argument("--progress", action="store_true", help="always show a progress bar on stderr")


def _geoparser(args):
    from geo.geocoders import online_geocoder
    from geo.pipeline import Geoparser
    return Geoparser(use_ner=not args.no_ner, online_geocoder=online_geocoder(enabled=args.online))


def _emit(obj: dict, out) -> None:
    out.write(json.dumps(obj, ensure_ascii=False) + "\n")


def _warn(msg: str) -> None:
    from tqdm import tqdm
    tqdm.write(msg, file=sys.stderr)


def cmd_extract(args, stdin, out) -> int:
    from tqdm import tqdm
    from geo.read import iter_articles

    gp = _geoparser(args)
    read_ok = 0

    def good_articles():
        nonlocal read_ok
        for item in iter_articles(args.inputs, stdin=stdin):
            if isinstance(item, ReadError):
                _warn(f"error: {item}")
                continue
            read_ok += 1
            yield item

    show = args.progress or sys.stderr.isatty()
    for result in tqdm(gp.extract_many(good_articles()), desc="articles", unit="doc", disable=not show,
                       file=sys.stderr):
        if not any(m.place for m in result.mentions):
            _warn(f"note: {result.article.source or result.article.id}: no places found")
        _emit(result.to_dict(), out)
    return 0 if read_ok else 1


def cmd_resolve(args, stdin, out) -> int:
    from geo.types import Span

    gp = _geoparser(args)
    read_ok = 0
    for n, line in enumerate(stdin, 1):
        if not line.strip():
            continue
        try:
            rec = json.loads(line)
            text = rec["text"]
            spans = [Span(int(s), int(e), text[int(s):int(e)]) for s, e in rec.get("spans", [])]
            if not isinstance(text, str) or any(not (0 <= s.start < s.end <= len(text)) for s in spans):
                raise ValueError("spans must index the text")
        except (ValueError, KeyError, TypeError) as exc:
            _warn(f"error: -:{n}: {type(exc).__name__}: {exc}")
            continue
        read_ok += 1
        places = []
        for m in gp.resolve(text, spans):
            p = m.place
            places.append(None if p is None else {
                "start": m.span.start, "end": m.span.end, "name": p.name, "lat": p.lat, "lon": p.lon,
                "geonameid": p.geonameid, "score": round(m.score, 4)})
        _emit({"id": rec.get("id"), "places": places}, out)
    return 0 if read_ok else 1


def cmd_ingest(args, stdin, out) -> int:
    """Open the store and check it can be written before any geoparsing; a store that cannot be used
    (corrupt, foreign, newer schema, read-only, locked) is one line `error: …` and exit status 2. When
    writing stops part-way (disk full, lock or size limit), reading stops too: the summary of what was
    stored is printed, then the reason in one line, and the exit status is 2. The geoparsing runs
    here, in --workers processes or on a --dask cluster; the store is written here either way."""
    from tqdm import tqdm
    from geo.exceptions import GeoError, StoreError
    from geo.ingest import ingest, read_inputs
    from geo.store import Store

    bad = _bad_ingest_options(args)
    if bad:
        _warn(f"error: {bad}")
        return 2
    try:
        store = Store.open(args.db)
    except StoreError as exc:
        _warn(f"error: {exc}")
        return 2
    with store:
        try:
            store.check_writable()
            runner = _ingest_runner(args)
        except GeoError as exc:           # an unusable store, an unreachable Dask scheduler
            _warn(f"error: {exc}")
            return 2
        show = args.progress or sys.stderr.isatty()
        stopped = _StopOnStoreFailure(store)
        with runner as gp, tqdm(desc="ingest", unit="doc", disable=not show, file=sys.stderr) as bar:
            def on_item(item):
                if isinstance(item, ReadError):
                    _warn(f"error: {item}")
                bar.update(1)
            summary = ingest(stopped.inputs(read_inputs(args.inputs, stdin=stdin)), stopped, gp, on_item=on_item)
    not_stored = 0
    if stopped.failure is not None:             # the same reason for every article after it: said once
        reason = str(stopped.failure)
        not_stored = sum(1 for _, why in summary.failed if why == reason)
        summary.failed = [(src, why) for src, why in summary.failed if why != reason]
    for line in summary.lines():
        print(line, file=out)
    if stopped.failure is not None:
        left = f" ({not_stored} article{'s' if not_stored != 1 else ''} read but not stored, and reading stopped)"
        _warn(f"error: {stopped.failure}{left if not_stored else ''}")
        return 2
    if summary.stopped:                         # the worker processes or the cluster went away
        _warn(f"error: {summary.stopped}")
        return 2
    return 0 if (summary.added or summary.duplicates) else 1


def _bad_ingest_options(args):
    """A one-line reason when --workers, --dask and --online do not go together; else None."""
    if args.workers is not None and args.workers < 1:
        return f"--workers must be 1 or more, not {args.workers}"
    if args.dask is not None and not args.dask.strip():
        return "--dask needs a scheduler address (tcp://HOST:8786) or 'local'"
    if args.online and (args.dask or (args.workers or 1) > 1):
        # one process keeps Nominatim's one request a second; N processes would each send their own
        return "--online geoparses in this process only (Nominatim allows one request a second): " \
               "leave out --workers/--dask, or use --workers 1"
    return None


def _ingest_runner(args):
    """What geoparses, as a context manager: this process (--workers 1, or --online), a pool of
    worker processes (the default: one per CPU), or a Dask cluster (--dask)."""
    from contextlib import nullcontext
    if args.dask:
        from geo.dask_ingest import DaskRunner
        return DaskRunner(args.dask.strip(), workers=args.workers, use_ner=not args.no_ner)
    from geo.parallel import ProcessPool, default_workers
    workers = args.workers if args.workers is not None else default_workers()
    if workers == 1 or args.online:
        return nullcontext(_geoparser(args))    # today's path: no subprocess
    return ProcessPool(workers, use_ner=not args.no_ner)


class _StopOnStoreFailure:
    """The store as `geo.ingest.ingest` sees it: once a write fails because of the file (disk full,
    lock, read-only; a StoreFileError), later adds fail at once with the same error and `inputs`
    stops reading, so only the batch already being geoparsed is left over. Each article is one
    transaction (the store's), so what was stored before stays whole and nothing is half-written."""

    def __init__(self, store):
        self._store = store
        self.failure = None

    def __getattr__(self, name):
        return getattr(self._store, name)

    def add(self, result):
        from geo.exceptions import StoreFileError
        if self.failure is not None:
            raise self.failure
        try:
            return self._store.add(result)
        except StoreFileError as exc:
            self.failure = exc
            raise

    def inputs(self, items):
        for item in items:
            if self.failure is not None:
                return
            yield item


def _view_params(args) -> dict:
    """URL-style view parameters from --link, overridden by the explicit options."""
    from urllib.parse import parse_qs, urlsplit
    from geo import views
    params = {}
    if args.link:
        params = {k: v[-1] for k, v in parse_qs(urlsplit(args.link.strip()).query).items()}
    for key, value in ((views.Q_START, args.start), (views.Q_END, args.end), (views.Q_TEXT, args.text),
                       (views.Q_COUNTRY, args.country), (views.Q_SOURCE, args.source),
                       (views.Q_KIND, args.kind), (views.Q_CONF, args.min_confidence),
                       (views.Q_TYPE, args.type), (views.Q_ACTOR, args.actor),
                       (views.Q_BACKGROUND, "1" if args.background else None),
                       (views.Q_MIN_SOURCES, args.min_sources)):
        if value is not None:
            params[key] = str(value)
    return params


# Place kinds the store holds (geo/types.py Place.kind; airports from geo/sources.py).
PLACE_KINDS = ("city", "landmark", "airport", "natural", "admin1", "admin2", "region", "country", "continent")
_EXTRA_COUNTRY_CODES = {"XK"}    # Kosovo: GeoNames' user-assigned code, not in ISO 3166 (pycountry)


def _bad_export_values(args):
    """A one-line reason when --country, --kind or --type (or the --link's) names an unknown value."""
    from urllib.parse import parse_qs, urlsplit
    import pycountry
    link = {k: v[-1] for k, v in parse_qs(urlsplit(args.link.strip()).query).items()} if args.link else {}
    for opt, key, value in (("--country", "country", args.country), ("--kind", "kind", args.kind),
                            ("--type", "type", args.type)):
        value = value if value is not None else link.get(key)
        items = [v.strip() for v in (value or "").split(",") if v.strip()]
        if opt == "--country":
            unknown = [c for c in items if not (len(c) == 2 and c.isascii() and c.isalpha() and (
                c.upper() in _EXTRA_COUNTRY_CODES or pycountry.countries.get(alpha_2=c.upper())))]
            known = "a 2-letter ISO country code such as UA"
        elif opt == "--kind":
            unknown = [k for k in items if k.lower() not in PLACE_KINDS]
            known = "a place kind (use " + ", ".join(PLACE_KINDS) + ")"
        else:
            unknown = [t for t in items if t.lower() not in EVENT_TYPES]
            known = "an event type (use " + ", ".join(EVENT_TYPES) + ")"
        if unknown:
            return f"{opt} {', '.join(unknown)} is not {known}"
    return None


def _missing_db(db):
    """Why `db` (or the default store) cannot be exported from, without creating anything; else None."""
    import os
    from pathlib import Path
    from geo.store import DEFAULT_DB, is_postgres_url
    if is_postgres_url(db or os.environ.get("GEO_DB")):
        return None                     # a server's database: Store.open says in one line if it cannot be used
    path = Path(db or os.environ.get("GEO_DB") or DEFAULT_DB).expanduser()
    if not path.exists():
        return f"no database at {path} (nothing was created; ingest articles first or check --db)"
    if not path.is_file():
        return f"{path} is not a database file"
    if path.stat().st_size == 0:
        return f"{path} is an empty file, not an events database"
    return None


def cmd_export(args, stdin, out) -> int:
    from geo import export, views
    from geo.exceptions import GeoError
    from geo.store import Store

    for opt, value in (("--start", args.start), ("--end", args.end)):
        if value is not None and views.parse_day(value, last=opt == "--end") is None:
            _warn(f"error: {opt} must be a date YYYY-MM-DD (or YYYY-MM, YYYY), not {value!r}")
            return 2
    if args.min_confidence is not None and not 0 <= args.min_confidence <= 1:
        _warn(f"error: --min-confidence must be between 0 and 1, not {args.min_confidence}")
        return 2
    if args.min_sources is not None and args.min_sources < 1:
        _warn(f"error: --min-sources must be 1 or more, not {args.min_sources}")
        return 2
    bad = _bad_export_values(args)
    if bad:
        _warn(f"error: {bad}")
        return 2
    bbox = None
    if args.bbox:
        try:
            bbox = tuple(float(v) for v in args.bbox.split(","))
            assert len(bbox) == 4
        except (ValueError, AssertionError):
            _warn(f"error: --bbox must be W,S,E,N, not {args.bbox!r}")
            return 2
    params = _view_params(args)
    snapshot_id = args.snapshot or params.get("snapshot")
    missing = _missing_db(args.db)
    if missing:
        _warn(f"error: {missing}")
        return 2
    try:
        with Store.open(args.db) as store:
            if snapshot_id:
                snap = store.snapshot(snapshot_id)
                if getattr(snap, "changed", False):
                    from geo.store import SNAPSHOT_CHANGED
                    _warn(f"warning: snapshot {snap.id}: {SNAPSHOT_CHANGED}")
                view = views.from_query(snap.view)
                events = views.within_bbox(snap.events, bbox)
                title = args.title or snap.title or "Snapshot"
                n_view = export.count(events, args.format)
            else:
                # the view's query, streamed from the store: a million-event GeoJSON, CSV or KML
                # holds a few thousand events in memory at a time
                view = views.from_query(params, None)
                span = store.date_span(role=None if view.background else "reported")
                view = views.from_query(params, span)
                f = dict(views.store_filters(view, span), bbox=bbox)
                events = store.iter_view_events(**f)
                n_view = store.count_view(**f)
                title = args.title or "Reported events"
            opts = views.map_options(view, n_view, title=title, width=args.width, height=args.height,
                                     tiles=args.tiles)
            n = export.write(events, args.format, args.out, opts)
    except (GeoError, OSError) as exc:
        _warn(f"error: {exc}")
        return 1
    print(f"{n} events written to {args.out} ({views.describe(view, n)})", file=out)
    return 0


def main(argv=None, stdin=None, out=None) -> int:
    args = _parser().parse_args(argv)
    stdin = stdin if stdin is not None else sys.stdin
    out = out if out is not None else sys.stdout
    if args.command == "extract":
        return cmd_extract(args, stdin, out)
    if args.command == "ingest":
        return cmd_ingest(args, stdin, out)
    if args.command == "export":
        return cmd_export(args, stdin, out)
    if args.command == "resolve":
        return cmd_resolve(args, stdin, out)
    return 2
