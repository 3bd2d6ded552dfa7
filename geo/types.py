"""Small value types passed between the pipeline steps (read → recognise → resolve → date → events)."""
from __future__ import annotations

from dataclasses import dataclass, field, asdict
from typing import Optional


@dataclass
class Article:
    """One input document, as read from a file, a JSON record or stdin."""
    id: str
    text: str
    title: str = ""
    published: Optional[str] = None      # ISO date (YYYY-MM-DD) when known
    published_source: str = "unknown"    # metadata | byline | unknown
    published_span: Optional[tuple] = None   # (start, end) of the byline date in `text`, when found there
    url: Optional[str] = None
    source: str = ""                     # file path or "-" for stdin


@dataclass(frozen=True, slots=True)   # slots: a long list of names makes hundreds of thousands of these
class Place:
    """One gazetteer entry."""
    key: str                  # stable id: "gn:586268", "sup:dadivank", "adm2:AZ:Kalbajar"
    name: str
    lat: float
    lon: float
    country_code: str
    kind: str                 # continent | country | region | admin1 | admin2 | city | landmark | airport | natural
    population: int = 0
    admin1: str = ""
    admin2: str = ""
    geonameid: Optional[int] = None
    source: str = "geonames"
    feature: str = ""         # GeoNames-style feature code where known: PPLC (capital), AIRP, LK, MT…
    fame: int = 0             # how widely it is known: its number of alternate names in the data

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(slots=True)
class Span:
    """A recognised toponym span in an article's text (offsets index `text` exactly)."""
    start: int
    end: int
    text: str
    score: float = 1.0        # recognition confidence 0..1
    evidence: tuple = ()      # why we think it is a place (ner:GPE, cue:in, gazetteer, ...)

    @property
    def qualifier(self) -> bool:
        """A place named only to qualify something else ("Russian forces", "New York-based"): shown
        with the article, never an event place."""
        return "qualifier" in self.evidence


@dataclass(slots=True)
class Candidate:
    place: Place
    score: float


@dataclass(slots=True)
class Mention:
    """A span placed on the map: the chosen place, its score and the ranked alternatives."""
    span: Span
    place: Optional[Place]
    score: float = 0.0
    alternatives: list = field(default_factory=list)   # list[Candidate], best first, excluding `place`

    def to_dict(self, n_alternatives: int = 5) -> dict:
        p = self.place
        return {
            "start": self.span.start,
            "end": self.span.end,
            "text": self.span.text,
            "name": p.name if p else None,
            "lat": p.lat if p else None,
            "lon": p.lon if p else None,
            "country_code": p.country_code if p else None,
            "kind": p.kind if p else None,
            "geonameid": p.geonameid if p else None,
            "score": round(self.score, 4),
            "qualifier": self.span.qualifier,
            "alternatives": [
                {"name": c.place.name, "lat": c.place.lat, "lon": c.place.lon,
                 "country_code": c.place.country_code, "kind": c.place.kind,
                 "geonameid": c.place.geonameid, "score": round(c.score, 4)}
                for c in self.alternatives[:n_alternatives]
            ],
        }


@dataclass
class Snapshot:
    """A frozen view: its URL query parameters and a copy of the events it showed (see Store.save_snapshot)."""
    id: str
    created_at: str                     # ISO 8601, UTC
    title: str
    note: str
    view: dict                          # query parameters (geo.views.to_query) of the view
    events: list                        # event dicts as Store.events() returned them then
    content_hash: str                   # sha256 of the canonical JSON of view + events

    @property
    def n_events(self) -> int:
        return len(self.events)
