"""Ingest: read → geoparse → store, for files, folders, JSONL corpora and (when asked) URLs and feeds.

One transaction per article (the store's), so a crash leaves every finished article intact and
no half article; re-ingesting the same text adds nothing. Shared by the CLI and the app.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Iterable, Iterator, Optional

from geo.exceptions import GeoError, ReadError
from geo.types import Article


@dataclass
class IngestSummary:
    added: int = 0
    duplicates: int = 0
    events: int = 0
    failed: list = field(default_factory=list)         # [(source, reason)]
    unknown_date: list = field(default_factory=list)   # sources stored with the date marked unknown
    article_ids: list = field(default_factory=list)

    def lines(self) -> list:
        out = [f"articles added: {self.added}", f"skipped as duplicates: {self.duplicates}",
               f"failed: {len(self.failed)}", f"events created: {self.events}"]
        out += [f"  failed: {src}: {why}" for src, why in self.failed]
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
    is called after each item, for progress bars."""
    summary = IngestSummary()
    articles = _articles_only(items, summary, on_item)
    for result in geoparser.extract_many(articles):
        a: Article = result.article
        try:
            outcome = store.add(result)
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


def _articles_only(items, summary: IngestSummary, on_item) -> Iterator[Article]:
    for item in items:
        if isinstance(item, ReadError):
            summary.failed.append((item.source, item.reason))
            if on_item:
                on_item(item)
            continue
        yield item
