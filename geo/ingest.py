"""Ingest: read → geoparse → store, for files, folders, JSONL corpora and (when asked) URLs and feeds.

One transaction per article (the store's), so a crash leaves every finished article intact and
no half article; re-ingesting the same text adds nothing. Shared by the CLI and the app. The
geoparsing runs here, or in worker processes (geo/parallel.py) or on a Dask cluster
(geo/dask_ingest.py); reading, the duplicate check and every store write stay here.
"""
from __future__ import annotations

from contextlib import closing
from dataclasses import dataclass, field
from typing import Callable, Iterable, Iterator, Optional

from geo.exceptions import GeoError, ReadError, StoreFileError
from geo.types import Article


@dataclass
class IngestSummary:
    added: int = 0
    duplicates: int = 0
    events: int = 0
    failed: list = field(default_factory=list)         # [(source, reason)]
    unknown_date: list = field(default_factory=list)   # sources stored with the date marked unknown
    article_ids: list = field(default_factory=list)
    stopped: Optional[str] = None     # why ingest stopped early (disk full, lock, read-only file)

    def lines(self) -> list:
        out = [f"articles added: {self.added}", f"skipped as duplicates: {self.duplicates}",
               f"failed: {len(self.failed)}", f"events created: {self.events}"]
        out += [f"  failed: {src}: {why}" for src, why in self.failed]
        if self.stopped:
            out.append(f"stopped early: {self.stopped}")
        if self.unknown_date:
            out.append(f"publication date unknown (stored, marked unknown): {len(self.unknown_date)}")
            out += [f"  {src}" for src in self.unknown_date]
        return out


def read_inputs(inputs: Iterable[str], stdin=None) -> Iterator:
    """Articles and ReadErrors from paths, '-' and http(s) URLs (feeds expand to their entries)."""
    from geo.read import iter_articles
    for item in inputs:
        if item.startswith(("http://", "https://")):
            from geo.fetch import fetch_articles
            yield from fetch_articles(item)
        else:
            yield from iter_articles([item], stdin=stdin)


def ingest(items: Iterable, store, geoparser, on_item: Optional[Callable] = None) -> IngestSummary:
    """Store every Article of `items` (ReadErrors are counted as failures); `on_item(result_or_error)`
    is called after each item, for progress bars. Raises StoreError before reading anything when the
    store cannot be written; stops early (`summary.stopped`) when it can no longer be.

    `geoparser` is a Geoparser (geoparsing here, in this process) or a runner with `map_batches`
    (geo.parallel.ProcessPool, geo.dask_ingest.DaskRunner). Either way this loop is the store's one writer: results come
    back here and each is added in its own transaction."""
    summary = IngestSummary()
    check = getattr(store, "check_writable", None)
    if check is not None:
        check()           # a read-only, locked or full store says so before any geoparsing (StoreError)
    articles = _new_articles(_articles_only(items, summary, on_item), store, summary, on_item)
    # closing(): stopping early must also stop the workers' batches still in flight
    with closing(_extracted(geoparser, articles, summary, on_item)) as results:
        try:
            for result in results:
                go_on = _store(store, result, summary)
                if on_item:
                    on_item(result)
                if not go_on:
                    break
        except GeoparserLost as exc:         # the worker processes or the cluster went away
            summary.stopped = str(exc)
    return summary


class GeoparserLost(GeoError):
    """The processes or cluster doing the geoparsing stopped (a worker killed, the scheduler gone):
    ingest stops with the summary of what was stored."""


def _store(store, result, summary: IngestSummary) -> bool:
    """Add one result in its own transaction and count it; False when ingest must stop."""
    a: Article = result.article
    try:
        outcome = store.add(result)
    except StoreFileError as exc:
        # disk full, a lock, a read-only file: every later article would fail the same way, so
        # stop; what was stored stays whole (one transaction per article)
        summary.failed.append((a.source or a.id, str(exc)))
        summary.stopped = str(exc)
        return False
    except GeoError as exc:
        summary.failed.append((a.source or a.id, str(exc)))
        return True
    if outcome.status == "duplicate":
        summary.duplicates += 1
    else:
        summary.added += 1
        summary.events += outcome.events
        summary.article_ids.append(outcome.article_id)
        if not a.published:
            summary.unknown_date.append(a.source or a.id)
    return True


MAX_ARTICLE_CHARS = 10_000_000    # longer texts are refused with a reason (a book, a dump, a runaway page)
BATCH_SIZE = 16                   # articles per geoparser batch (spaCy's pipe); see also pipeline.BATCH_CHARS


@dataclass
class Failed:
    """An article the geoparser could not read, and why (one line). Plain data, so it pickles: worker
    processes and Dask workers send it back beside the results."""
    article: Article
    reason: str


def geoparse_batch(geoparser, batch: list) -> list:
    """ArticleResults for `batch`, or a Failed for each article the geoparser fails on: the batch is
    tried whole (fast), then one by one so that one bad article does not cost the others. The same
    code runs in process, in `--workers` processes and on Dask workers (geo/parallel.py)."""
    try:
        return list(geoparser.extract_many(batch))
    except Exception:                            # one bad article must not cost the batch
        pass
    out = []
    for one in batch:
        try:
            out.append(geoparser.extract(one))
        except Exception as exc:                 # noqa: BLE001 (reported, never raised)
            out.append(Failed(one, f"could not be read: {type(exc).__name__}: {str(exc).splitlines()[0][:200]}"))
    return out


def batches(articles: Iterable[Article], refuse: Callable, batch_size: int = BATCH_SIZE) -> Iterator[list]:
    """Articles in batches of at most `batch_size` and about pipeline.BATCH_CHARS characters (so memory
    stays bounded whatever their lengths); a text over MAX_ARTICLE_CHARS goes to `refuse(article, why)`."""
    from geo.pipeline import BATCH_CHARS
    batch, chars = [], 0
    for a in articles:
        if len(a.text) > MAX_ARTICLE_CHARS:
            refuse(a, f"text is {len(a.text):,} characters, over the {MAX_ARTICLE_CHARS:,} limit")
            continue
        batch.append(a)
        chars += len(a.text)
        if len(batch) >= batch_size or chars >= BATCH_CHARS:
            yield batch
            batch, chars = [], 0
    if batch:
        yield batch


def _extracted(geoparser, articles, summary: IngestSummary, on_item) -> Iterator:
    """The geoparser's results, batch by batch; an article it fails on is reported as a failure with its
    reason and the others still go in. `geoparser` is a Geoparser (batches run here, in order) or a
    runner whose `map_batches` runs them elsewhere and yields each batch's
    outcomes as it finishes (in any order, a bounded number of batches in flight)."""
    def fail(a: Article, why: str) -> None:
        summary.failed.append((a.source or a.id, why))
        if on_item:
            on_item(a)

    # a runner may want smaller batches than in process: more of them keeps every worker busy to the end
    todo = batches(articles, fail, getattr(geoparser, "batch_size", BATCH_SIZE))
    run = getattr(geoparser, "map_batches", None)
    outcomes = run(todo) if run is not None else (geoparse_batch(geoparser, b) for b in todo)
    with closing(outcomes):
        for outcome in outcomes:
            for item in outcome:
                if isinstance(item, Failed):
                    fail(item.article, item.reason)
                else:
                    yield item


def _new_articles(articles, store, summary: IngestSummary, on_item) -> Iterator[Article]:
    """Articles the store does not hold yet; known ones are counted as duplicates before any geoparsing."""
    known = getattr(store, "has_text", None)
    for a in articles:
        if known is not None and known(a.text):
            summary.duplicates += 1
            if on_item:
                on_item(a)
            continue
        yield a


def _articles_only(items, summary: IngestSummary, on_item) -> Iterator[Article]:
    for item in items:
        if isinstance(item, ReadError):
            summary.failed.append((item.source, item.reason))
            if on_item:
                on_item(item)
            continue
        yield item
