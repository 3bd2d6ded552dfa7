"""Events: one per reported happening at a place, dated by the sentence that reports it.

A date is attached to a place by sentence structure, not by "any date in the article":
- the date must stand in the place's own clause, or in a relative clause hanging on the place
  ("Nagorno-Karabakh, which was retaken by Azerbaijan last September");
- without a stated date, a town or landmark where something is reported happens on the
  publication date (and says so: `date_source` = "published");
- countries and regions are events only with a stated date of their own: "Russia" as an actor or
  "the Georgian territories" as background are context, not happenings;
- mentions that are context are skipped: possessives and actors ("Moscow's influence",
  "if Moscow complies"), attributive uses ("the Nagorno-Karabakh war"), qualifiers of another
  place ("Dadivank Monastery in the Kalbajar district"), and the byline's dateline ("By ... in Baku").
"""
from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Optional

EVENT_TYPES = ("battle", "explosion_remote_violence", "violence_against_civilians", "protest", "riot",
               "strategic_development", "political", "legal", "disaster_accident", "economic", "other")
ROLES = ("reported", "background")
AREA_KINDS = {"country", "continent", "region", "admin1"}
_SENTENCE_END = re.compile(r"(?<=[.!?…])[\"”’)]?\s+(?=[\"“‘(]?[A-Z0-9])|\n\s*\n|\n(?=\S)")
_ABBREVIATIONS = re.compile(r"\b(?:Mr|Mrs|Ms|Dr|St|Gen|Sen|Rep|Gov|Lt|Col|Capt|Prof|Jr|Sr|U\.S|U\.K|No|Jan|Feb|"
                            r"Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec|[A-Z])\.$")
_CLAUSE_BREAK = re.compile(r"[,;:()\u2014\u2013]|\s-\s")
_RELATIVE = re.compile(r"\s*(?:which|where|who|whose|that|when)\b", re.I)
# "Dadivank Monastery in the Kalbajar district", "the Dadivank post in Kalbajar", "Pandi, Bulacan"
_QUALIFIER_GAP = re.compile(r"^\s*(?:,|(?:[a-z]+\s+)?(?:in|of|near)(?:\s+the)?)\s*$")
_LOCATIVE_BEFORE = re.compile(r"\b(?:in|at|inside|into|across|throughout|near|over|on|from|to|through|"
                              r"around|outside|within)\s+(?:the\s+)?(?:[a-z]+\s+)?$", re.I)
_ACTOR_VERBS = {"said", "says", "say", "has", "have", "had", "is", "was", "will", "would", "could", "can",
                "should", "must", "may", "might", "announced", "announces", "insisted", "insists", "wants",
                "wanted", "denied", "denies", "accused", "accuses", "complies", "comply", "agreed", "agrees",
                "warned", "warns", "claimed", "claims", "rejected", "rejects", "urged", "urges", "called",
                "calls", "demanded", "demands", "signed", "signs", "sent", "sends", "supports", "supported",
                "confirmed", "confirms", "responded", "responds", "plans", "planned", "hopes", "believes",
                "appears", "seems", "continues", "refused", "refuses", "backed", "backs"}
_ATTRIBUTIVE_NOUNS = {"war", "wars", "conflict", "conflicts", "crisis", "talks", "dispute", "issue", "question",
                      "peace", "process", "deal", "agreement", "accord", "government", "regime", "authorities",
                      "leadership", "leader", "leaders", "army", "forces", "troops", "military", "officials",
                      "president", "minister", "ministry", "parliament", "people", "refugees", "population",
                      "economy", "team", "embassy", "delegation", "media", "press", "police", "based"}


@dataclass
class Event:
    name: str
    lat: float
    lon: float
    date: Optional[str]          # ISO 8601 truncated to the precision
    date_end: Optional[str]      # last day (YYYY-MM-DD) of the date's range
    precision: Optional[str]     # day | month | year | decade | range | None (unknown)
    date_source: str             # stated | published | unknown
    sentence: str
    mention_start: int
    mention_end: int
    confidence: float
    country_code: str = ""
    kind: str = ""
    place_key: str = ""
    date_start_day: Optional[str] = None     # first day (YYYY-MM-DD), for range queries
    date_text: Optional[str] = None          # the stated date as written
    date_text_start: Optional[int] = None    # its offsets in the article text
    date_text_end: Optional[int] = None
    sentence_start: int = 0
    # What happened and who (issue 9). `type` is one of EVENT_TYPES; `role` is "reported" (news: within
    # about a month of publication, or scheduled) or "background" (history, context); `trigger` is the
    # word that says what happened, {"start", "end", "text"} with offsets into the article text.
    type: str = "other"
    actors: list = field(default_factory=list)
    role: str = "reported"
    trigger: Optional[dict] = None

    def to_dict(self) -> dict:
        return asdict(self)


def sentences(text: str) -> list:
    """(start, end) of each sentence; a cheap splitter that knows common abbreviations."""
    out, start = [], 0
    for m in _SENTENCE_END.finditer(text):
        if _ABBREVIATIONS.search(text[max(start, m.start() - 6):m.start()]) and "\n" not in m.group():
            continue
        if text[start:m.start()].strip():
            out.append((start, m.start()))
        start = m.end()
    if text[start:].strip():
        out.append((start, len(text)))
    return out


def _day(d) -> Optional[date]:
    v = d() if callable(d) else d
    return v if isinstance(v, date) else None


def build_events(text: str, mentions: list, dates: list, published: Optional[str],
                 title: str = "", dateline_span: Optional[tuple] = None) -> list:
    """Events from resolved mentions and found dates (list[DateMention]) of one article."""
    placed = [m for m in mentions if m.place is not None]
    skip_lines = _heading_lines(text, title, dateline_span)
    events: dict = {}
    for s_start, s_end in sentences(text):
        if any(a <= s_start < b for a, b in skip_lines):
            continue
        in_sentence = [m for m in placed if s_start <= m.span.start < s_end]
        if not in_sentence:
            continue
        sentence_dates = [d for d in dates if s_start <= d.start < s_end]
        clauses = _clauses(text, s_start, s_end)
        for m in in_sentence:
            if _is_context(text, m, in_sentence):
                continue
            stated = _attached_date(text, m, sentence_dates, clauses)
            p = m.place
            if p.kind in AREA_KINDS and (stated is None or not _LOCATIVE_BEFORE.search(
                    text[max(0, m.span.start - 30):m.span.start])):
                continue          # a country or region is an event only when something dated happens in it
            ev = _event(text, m, stated, published, s_start, s_end)
            key = (p.key, ev.date)
            if key not in events or events[key].confidence < ev.confidence:
                events[key] = ev
    return sorted(events.values(), key=lambda e: e.mention_start)


def _heading_lines(text: str, title: str, dateline_span) -> list:
    """Title lines and the byline carry no events ("By Cavid Aga in Baku April 17, 2024")."""
    out, pos = [], 0
    for line in text.splitlines(keepends=True):
        stripped = line.strip()
        end = pos + len(line)
        is_title = title and stripped == title.strip()
        is_byline = stripped.lower().startswith("by ") and len(stripped) < 160
        has_dateline = dateline_span is not None and pos <= dateline_span[0] < end
        if is_title or is_byline or has_dateline:
            out.append((pos, end))
        pos = end
    return out


def _clauses(text: str, s_start: int, s_end: int) -> list:
    """(start, end, is_relative) for the clause pieces of a sentence."""
    out, start = [], s_start
    for m in _CLAUSE_BREAK.finditer(text, s_start, s_end):
        out.append((start, m.start()))
        start = m.end()
    out.append((start, s_end))
    return [(a, b, bool(_RELATIVE.match(text[a:b]))) for a, b in out if b > a]


def _attached_date(text: str, m, sentence_dates: list, clauses: list):
    """The date in the mention's clause, or in a relative clause right after the mention."""
    idx = next((i for i, (a, b, _) in enumerate(clauses) if a <= m.span.start < b), None)
    if idx is None:
        return None
    a, b, _ = clauses[idx]
    own = [d for d in sentence_dates if a <= d.start < b]
    if own:
        return min(own, key=lambda d: abs(d.start - m.span.start))
    # "Nagorno-Karabakh, which was retaken by Azerbaijan last September"
    if idx + 1 < len(clauses) and clauses[idx + 1][2] and not text[m.span.end:b].strip():
        ra, rb, _ = clauses[idx + 1]
        rel = [d for d in sentence_dates if ra <= d.start < rb]
        if rel:
            return rel[0]
    return None


def _is_context(text: str, m, others: list) -> bool:
    after = text[m.span.end:m.span.end + 40]
    if re.match(r"['’]s?\b", after):
        return True                                   # "Moscow's influence", "Baku's blockage"
    nxt = re.match(r"\s+([A-Za-z-]+)", after)
    next_word = nxt.group(1).lower() if nxt else ""
    if next_word in _ATTRIBUTIVE_NOUNS:
        return True                                   # "the Nagorno-Karabakh war"
    if next_word in _ACTOR_VERBS and not re.search(r"\b(?:in|at|from|to|near|through)\s+(?:the\s+)?$",
                                                    text[max(0, m.span.start - 15):m.span.start]):
        return True                                   # "if Moscow complies"
    for o in others:                                  # "X in the Y district": Y qualifies X
        if o is not m and o.span.end <= m.span.start and m.span.start - o.span.end <= 12 \
                and _QUALIFIER_GAP.match(text[o.span.end:m.span.start]):
            return True
    return False


def _event(text: str, m, stated, published: Optional[str], s_start: int, s_end: int) -> Event:
    p = m.place
    sentence = text[s_start:s_end].strip()
    lead = len(text[s_start:s_end]) - len(text[s_start:s_end].lstrip())
    if stated is not None:
        first, last = _day(getattr(stated, "date_start", None)), _day(getattr(stated, "date_end", None))
        date_value, precision, source, date_conf = stated.value, stated.precision, "stated", 0.9
        dt = (stated.text, stated.start, stated.end)
    elif published:
        first = last = date.fromisoformat(published)
        date_value, precision, source, date_conf = published, "day", "published", 0.6
        dt = (None, None, None)
    else:
        first = last = None
        date_value, precision, source, date_conf = None, None, "unknown", 0.3
        dt = (None, None, None)
    return Event(
        name=p.name, lat=p.lat, lon=p.lon, date=date_value,
        date_end=last.isoformat() if last else None, precision=precision, date_source=source,
        sentence=sentence, mention_start=m.span.start, mention_end=m.span.end,
        confidence=round(max(0.0, min(1.0, m.score)) * date_conf, 4), country_code=p.country_code,
        kind=p.kind, place_key=p.key, date_start_day=first.isoformat() if first else None,
        date_text=dt[0], date_text_start=dt[1], date_text_end=dt[2], sentence_start=s_start + lead)
