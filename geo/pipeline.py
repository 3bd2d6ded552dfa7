"""The pipeline, composed in one place: read → recognise → resolve → date → events (→ store, map)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional, Sequence

from geo.types import Article, Span


@dataclass
class ArticleResult:
    article: Article
    mentions: list = field(default_factory=list)   # list[Mention]
    dates: list = field(default_factory=list)      # filled by the dates step (issue 3)
    events: list = field(default_factory=list)     # filled by the events step (issue 3)

    def to_dict(self) -> dict:
        a = self.article
        return {
            "id": a.id,
            "title": a.title,
            "published": a.published,
            "url": a.url,
            "text": a.text,
            "mentions": [m.to_dict() for m in self.mentions if m.place is not None],
            "dates": [d if isinstance(d, dict) else d.to_dict() for d in self.dates],
            "events": [e if isinstance(e, dict) else e.to_dict() for e in self.events],
        }


BATCH_CHARS = 400_000          # characters of text per NER batch (spaCy's memory grows with it)


class Geoparser:
    """Finds toponyms in text and places them. Build once, reuse: loading is the slow part."""

    def __init__(self, gazetteer=None, use_ner: bool = True, online_geocoder=None):
        from geo.gazetteer import Gazetteer
        from geo.recognise import Recogniser
        from geo.resolve import Resolver

        self.gazetteer = gazetteer or Gazetteer.load()
        self.recogniser = Recogniser(self.gazetteer, use_ner=use_ner)
        self.resolver = Resolver(self.gazetteer, online_geocoder=online_geocoder)

    def recognise(self, text: str) -> list:
        """Toponym spans in `text` (list[Span])."""
        return self.recogniser.find(text)

    def resolve(self, text: str, spans: Sequence[Span]) -> list:
        """One Mention per span, in span order (Mention.place is None when nothing fits)."""
        return self.resolver.resolve(text, list(spans))

    def geoparse(self, text: str) -> list:
        return self.resolve(text, self.recognise(text))

    def extract(self, article: Article) -> ArticleResult:
        return next(self._extract_batch([article]))

    def _finish(self, article: Article, mentions: list, parses=None) -> ArticleResult:
        """The date and events steps, once the places are known."""
        from datetime import date as _date
        from geo.dates import find_dates
        from geo.events import build_events

        anchor = _date.fromisoformat(article.published) if article.published else None
        dates = find_dates(article.text, anchor)
        events = build_events(article.text, mentions, dates, article.published, article.title,
                              article.published_span, parses=parses, lemmatizer=self.recogniser.lemmatizer)
        return ArticleResult(article=article, mentions=mentions, dates=dates, events=events)

    def extract_many(self, articles, batch_size: int = 16, batch_chars: int = BATCH_CHARS):
        """Yield one ArticleResult per article; NER runs batched (spaCy's pipe) for speed. A batch holds
        at most `batch_size` articles and about `batch_chars` characters, so memory stays bounded
        whatever the articles' lengths."""
        batch, chars = [], 0
        for a in articles:
            batch.append(a)
            chars += len(a.text)
            if len(batch) >= batch_size or chars >= batch_chars:
                yield from self._extract_batch(batch)
                batch, chars = [], 0
        if batch:
            yield from self._extract_batch(batch)

    def _extract_batch(self, articles: list):
        from geo.events import sentences_to_parse

        texts = [a.text for a in articles]
        mentions = [self.resolve(t, spans) for t, spans in zip(texts, self.recogniser.find_many(texts))]
        if self.recogniser.nlp is None:
            for a, ms in zip(articles, mentions):
                yield self._finish(a, ms)
            return
        # one parser pass over the sentences that hold a place, for the whole batch, as a stream
        wanted = [sentences_to_parse(t, ms) for t, ms in zip(texts, mentions)]
        docs = self.recogniser.parse(t[a:b] for t, spans in zip(texts, wanted) for a, b in spans)
        for a, ms, spans in zip(articles, mentions, wanted):
            parses = _SentenceParses([start for start, _ in spans], docs)
            yield self._finish(a, ms, parses)
            parses.finish()


class _SentenceParses:
    """One article's sentence parses, taken from the batch's stream in sentence order: `get(start)`
    gives the parse of the sentence starting there (None for a sentence not parsed), dropping the
    ones before it, so only the parses of a few sentences are alive at a time."""

    def __init__(self, starts: list, docs):
        self._starts, self._docs, self._i = starts, docs, 0

    def get(self, start: int):
        while self._i < len(self._starts) and self._starts[self._i] < start:
            next(self._docs)                      # a sentence the events step skipped
            self._i += 1
        if self._i < len(self._starts) and self._starts[self._i] == start:
            self._i += 1
            return next(self._docs)
        return None

    def finish(self) -> None:
        """Take the article's remaining parses off the stream, so the next article reads its own."""
        while self._i < len(self._starts):
            next(self._docs)
            self._i += 1


_default: Optional[Geoparser] = None


def default_geoparser() -> Geoparser:
    """A process-wide Geoparser (the spaCy model and gazetteer are loaded once)."""
    global _default
    if _default is None:
        _default = Geoparser()
    return _default
