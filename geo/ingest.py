"""Ingest: read → geoparse → store, for files, folders, JSONL corpora and (when asked) URLs and feeds.

One transaction per article (the store's), so a crash leaves every finished article intact and
no half article; re-ingesting the same text adds nothing. Shared by the CLI and the app.
"""
from __future__ import annotations

import itertools
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
    store cannot be written; stops early (`summary.stopped`) when it can no longer be."""
    summary = IngestSummary()
    check = getattr(store, "check_writable", None)
    if check is not None:
        check()           # a read-only, locked or full store says so before any geoparsing (StoreError)
    articles = _new_articles(_articles_only(items, summary, on_item), store, summary, on_item)
    for result in _extracted(geoparser, articles, summary, on_item):
        a: Article = result.article
        try:
            outcome = store.add(result)
        except StoreFileError as exc:
            # disk full, a lock, a read-only file: every later article would fail the same way, so
            # stop; what was stored stays whole (one transaction per article)
            summary.failed.append((a.source or a.id, str(exc)))
            summary.stopped = str(exc)
            if on_item:
                on_item(result)
            break
        except GeoError as exc:
            summary.failed.append((a.source or a.id, str(exc)))
        else:
            if outcome.status == "duplicate":
                summary.duplicates += 1
            else:
                summary.added += 1
                summary.events += outcome.events
                summary.article_ids.append(outcome.article_id)
                if not a.published:
                    summary.unknown_date.append(a.source or a.id)
        if on_item:
            on_item(result)
    return summary


MAX_ARTICLE_CHARS = 10_000_000    # longer texts are refused with a reason (a book, a dump, a runaway page)


def _extracted(geoparser, articles, summary: IngestSummary, on_item, batch_size: int = 16) -> Iterator:
    """The geoparser's results, batch by batch; an article the geoparser fails on is reported as a
    failure with its reason and the others of its batch still go in."""
    from geo.pipeline import BATCH_CHARS

    def fail(a: Article, why: str) -> None:
        summary.failed.append((a.source or a.id, why))
        if on_item:
            on_item(a)

    batch, chars = [], 0
    for a in itertools.chain(articles, [None]):          # None: the end, flush the last batch
        if a is not None and len(a.text) > MAX_ARTICLE_CHARS:
            fail(a, f"text is {len(a.text):,} characters, over the {MAX_ARTICLE_CHARS:,} limit")
            continue
        if a is not None:
            batch.append(a)
            chars += len(a.text)
        if batch and (a is None or len(batch) >= batch_size or chars >= BATCH_CHARS):
            try:
                results = list(geoparser.extract_many(batch))
            except Exception:                    # one bad article must not cost the batch
                results = []
                for one in batch:
                    try:
                        results.append(geoparser.extract(one))
                    except Exception as exc:     # noqa: BLE001 (reported, never raised)
                        fail(one, f"could not be read: {type(exc).__name__}: {str(exc).splitlines()[0][:200]}")
            yield from results
            batch, chars = [], 0


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
