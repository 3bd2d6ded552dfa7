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

import bisect
import re
from itertools import islice
from dataclasses import asdict, dataclass, field, replace
from datetime import date, timedelta
from typing import Optional

from geo.text import fold
from geo.triggers import EVENT_TYPES, HAPPEN, LIGHT, SPEECH, classify, default_type, is_trigger, lemma_of, \
    trigger_type  # noqa: F401  (EVENT_TYPES is re-exported)

ROLES = ("reported", "background")
AREA_KINDS = {"country", "continent", "region", "admin1"}
_SENTENCE_END = re.compile(r"(?<=[.!?…])[\"”’)]?\s+(?=[\"“‘(]?[A-Z0-9])|\n\s*\n|\n(?=\S)")
_ABBREVIATIONS = re.compile(r"\b(?:Mr|Mrs|Ms|Dr|St|Gen|Sen|Rep|Gov|Lt|Col|Capt|Prof|Jr|Sr|U\.S|U\.K|No|Jan|Feb|"
                            r"Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec|[A-Z])\.$")
# Words that open a sentence but never follow an initial ("W. Bush"): after "X." they start a new one.
_SENTENCE_OPENER = re.compile(r"[\"“‘(]?(?:The|A|An|This|That|These|Those|It|Its|He|She|They|We|I|His|Her|Their|"
                              r"Our|In|On|At|But|And|Meanwhile|However|There|After|Before|When|While)\b")
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
    admin1: str = ""                         # the place's province, to tell a town inside a province

    def to_dict(self) -> dict:
        return asdict(self)


def sentences(text: str) -> list:
    """(start, end) of each sentence; a cheap splitter that knows common abbreviations."""
    out, start = [], 0
    for m in _SENTENCE_END.finditer(text):
        abbr = _ABBREVIATIONS.search(text[max(start, m.start() - 6):m.start()])
        if abbr and "\n" not in m.group() and not (
                len(abbr.group()) == 2 and _SENTENCE_OPENER.match(text, m.end())):
            continue            # "Mr. Smith", "George W. Bush"; but "a post on X. The talks…" ends one
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
                 title: str = "", dateline_span: Optional[tuple] = None, parses=None, lemmatizer=None) -> list:
    """Events from resolved mentions and found dates (list[DateMention]) of one article.

    With `parses` ({sentence start: spaCy Doc of that sentence}, see `sentences_to_parse`; anything
    with that `get`, asked once per sentence in text order) events are detected on the dependency
    parse (geo.detect); without (no spaCy model, `--no-ner`) on clause punctuation and word cues."""
    mentions = [m for m in mentions if not m.span.qualifier]
    if parses is not None:
        return _events_from_parse(text, mentions, dates, published, title, dateline_span, parses, lemmatizer)
    return _events_from_cues(text, mentions, dates, published, title, dateline_span)


def sentences_to_parse(text: str, mentions: list) -> list:
    """(start, end) of the sentences that hold a placed mention: the only ones the parser needs to read."""
    starts = sorted(m.span.start for m in mentions if m.place is not None and not m.span.qualifier)
    out, i = [], 0
    for a, b in sentences(text):
        while i < len(starts) and starts[i] < a:
            i += 1
        if i < len(starts) and starts[i] < b and b - a <= MAX_SENTENCE_CHARS:
            out.append((a, b))
    return out


# A "sentence" longer than this is a list, a table or a text without punctuation: it reports no
# happening we could read, and parsing it would cost time and memory out of proportion.
MAX_SENTENCE_CHARS = 2_000


class _ByStart:
    """The items (sorted by their start offset) that start inside [a, b), found by bisection."""

    def __init__(self, items: list, start):
        self.items = items
        self.starts = [start(x) for x in items]

    def __call__(self, a: int, b: int) -> list:
        return self.items[bisect.bisect_left(self.starts, a):bisect.bisect_left(self.starts, b)]


def _events_from_cues(text: str, mentions: list, dates: list, published: Optional[str],
                      title: str, dateline_span) -> list:
    placed = sorted((m for m in mentions if m.place is not None), key=lambda m: m.span.start)
    skip_lines = _heading_lines(text, title, dateline_span)
    events: dict = {}
    in_range = _ByStart(placed, lambda m: m.span.start)
    dates_in = _ByStart(sorted(dates, key=lambda d: d.start), lambda d: d.start)
    for s_start, s_end in sentences(text):
        if any(a <= s_start < b for a, b in skip_lines):
            continue
        in_sentence = in_range(s_start, s_end)
        if not in_sentence or s_end - s_start > MAX_SENTENCE_CHARS:
            continue
        sentence_dates = dates_in(s_start, s_end)
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
            trig = _cue_trigger(text, s_start, s_end)
            if trig is not None:
                ev.trigger = {"start": trig[0], "end": trig[1], "text": text[trig[0]:trig[1]]}
                ev.type = classify(trig[2], text[s_start:s_end])
            ev.role = role_of(ev, published)
            key = (p.key, ev.date, ev.type)
            if key not in events or events[key].confidence < ev.confidence:
                events[key] = ev
    return sorted(events.values(), key=lambda e: e.mention_start)


_WORDS = re.compile(r"[A-Za-z][A-Za-z-]+")


def _cue_trigger(text: str, start: int, end: int):
    """The first lexicon word of a sentence (start, end, lemma), for the no-parse path."""
    for w in _WORDS.finditer(text, start, end):
        lem = lemma_of(w.group())
        if is_trigger(lem) and lem not in SPEECH:
            return w.start(), w.end(), lem
    return None


_VIOLENT = {"explosion_remote_violence", "violence_against_civilians", "battle"}
# Where a type is ambiguous between two triggers of one happening, the more specific one wins.
_TYPE_PRIORITY = ("explosion_remote_violence", "violence_against_civilians", "battle", "riot", "protest",
                  "disaster_accident", "legal", "strategic_development", "political", "economic", "other")


def _events_from_parse(text, mentions, dates, published, title, dateline_span, parses, lemmatizer) -> list:
    from geo.detect import Detector

    placed = sorted((m for m in mentions if m.place is not None), key=lambda m: m.span.start)
    spans_in = _ByStart(sorted((m.span.start, m.span.end) for m in mentions), lambda sp: sp[0])
    skip_lines = _heading_lines(text, title, dateline_span)
    lead_done = False
    found = []                                   # (event, trigger lemma)
    in_range = _ByStart(placed, lambda m: m.span.start)
    dates_in = _ByStart(sorted(dates, key=lambda d: d.start), lambda d: d.start)
    for s_start, s_end in sentences(text):
        if any(a <= s_start < b for a, b in skip_lines):
            continue
        in_sentence = in_range(s_start, s_end)
        dateline = _dateline(text, s_start, s_end) if not lead_done else None
        lead_done = lead_done or bool(text[s_start:s_end].strip())
        doc = parses.get(s_start)
        if doc is None or not in_sentence:
            continue
        det = Detector(doc, lemmatizer, base=s_start)
        sentence_dates = dates_in(s_start, s_end)
        place_spans = spans_in(s_start, s_end)            # the places of this sentence
        linked = []
        for m in in_sentence:
            if dateline and m.span.end <= dateline:
                continue                         # the dateline itself is no event place
            link = det.link(m.span.start, m.span.end, m.place.kind, place_spans)
            if link is not None:
                linked.append((m, link))
        if dateline and not any(m.span.start >= dateline for m, _ in linked):
            # "KHARKIV, Ukraine — Protesters gathered on Sunday": the lead's happening is at the dateline
            lead = _lead_trigger(det, dateline, s_end)
            if lead is not None:
                for m in in_sentence:
                    if m.span.end <= dateline:
                        linked.append((m, lead))
                        break
        linked = _most_specific(linked)
        for m, link in linked:
            ev = _parsed_event(text, m, link, det, sentence_dates, published, s_start, s_end)
            if ev is not None:
                found.append((ev, link.lemma))
    return _follow_up_operation(text, _fold(found))


# "In the clearance operation that lasted more than 30 hours, the military said it killed 33 militants":
# the security forces' operation that ends an attack is a happening of its own (a battle), at the
# attack's place, when the article reports it apart from the attack (ACLED and the VOA guidelines count
# the Jaffar Express hijacking and its clearance operation as two events).
_OPERATION = re.compile(r"\b(?:clearance|rescue|military|security|counter-?terrorism|counter-?insurgency)\s+"
                        r"operations?\b", re.I)
_RELATIVE_BEFORE = re.compile(r",\s*(?:which|who)\b[^,]*$")
_ATTACK_TYPES = {"violence_against_civilians", "explosion_remote_violence"}


def _follow_up_operation(text: str, events: list) -> list:
    attacks = [e for e in events if e.type in _ATTACK_TYPES and e.role == "reported"
               and e.kind not in ("country", "continent")]
    if not attacks:
        return events
    attack = min(attacks, key=lambda e: e.sentence_start)        # the story's main happening comes first
    if any(e.type == "battle" and e.place_key == attack.place_key for e in events):
        return events
    with_events = {e.sentence_start for e in events}
    for s_start, s_end in sentences(text):
        m = _OPERATION.search(text, s_start, s_end)
        if m and _RELATIVE_BEFORE.search(text, s_start, m.start()):
            m = None                     # "Central Command, which oversees U.S. military operations": a description
        if m and s_start not in with_events and s_start > attack.sentence_start:
            return events + [replace(attack, type="battle", actors=[], sentence=text[s_start:s_end].strip(),
                                     sentence_start=s_start,
                                     trigger={"start": m.start(), "end": m.end(), "text": m.group()})]
    return events


_DATELINE = re.compile(r"\s*(?:[A-Z][A-Z.'\-]+(?:\s+[A-Z][A-Z.'\-]+){0,3})(?:,\s*[A-Z][\w.'\- ]{1,30}?)?"
                       r"\s*(?:\([^)]{1,40}\))?\s*[\u2014\u2013-]{1,2}\s*")


def _dateline(text: str, s_start: int, s_end: int) -> Optional[int]:
    """End offset of a wire dateline opening the lead ("KHARKIV, Ukraine (AP) — "), else None."""
    m = _DATELINE.match(text, s_start, s_end)
    return m.end() if m and m.end() - s_start < 80 else None


def _lead_trigger(det, start: int, end: int):
    """The main happening of the lead sentence after its dateline, as a Link, or None."""
    span = det.span(start, end)
    if span is None:
        return None
    root = span.root
    if det.trigger_like(root) and det.lem(root) not in SPEECH:
        link = det.finish(root, 0.7, "dateline")
        return link
    for t in span:
        if t.head == root and t.dep_ in ("ccomp", "xcomp", "conj") and det.trigger_like(t):
            return det.finish(t, 0.6, "dateline")
    return None


def _most_specific(linked: list) -> list:
    """One happening placed at a town and at its country or province keeps only the town (rule P11)."""
    out = []
    for m, link in linked:
        p = m.place
        finer = any(o is not m and ol.trigger.i == link.trigger.i and _within(o.place, p) for o, ol in linked)
        if not finer:
            out.append((m, link))
    return out


_RANK = {"landmark": 0, "city": 1, "admin2": 2, "region": 3, "admin1": 3, "country": 4, "continent": 5}


def _parsed_event(text, m, link, det, sentence_dates, published, s_start, s_end) -> Optional[Event]:
    stated, how = _date_by_parse(det, link, sentence_dates)
    if stated is not None:
        stated = _by_tense(stated, link, det, published)
    if link.future and (stated is None or how != "own"):
        return None                   # undated future: not an event (rule P9); a date of the clause it hangs
                                      # in ("would convene this weekend after X returns to Y") dates the other
    if link.needs_date and (how == "governing" or how == "none" and link.how != "locative"):
        return None                 # a weak link needs a date of its own (an undated verb outside the
                                    # lexicon may pass below, when its clause says what kind of thing happened)
    if _AGGREGATE_PERIOD.search(text, s_start, s_end) and _counted(link.trigger):
        return None                 # "1,250 terrorists have been killed in Pakistan in the last 15 months": a tally
    if stated is None and m.place.kind in AREA_KINDS and not _is_verb_token(link.trigger) \
            and trigger_type(link.lemma) in ("economic", "other", None):
        return None                                          # "investment in Ukraine": a topic, not a happening
    ev = _event(text, m, stated, published, s_start, s_end)
    trig = link.trigger
    start = det.offset(trig)
    ev.trigger = {"start": start, "end": start + len(trig.text), "text": trig.text}
    ev.actors = [a for a in link.actors if a.lower() != text[m.span.start:m.span.end].lower()]
    context, sentence = det.clause_text(trig), text[s_start:s_end]    # the trigger's clause decides its type
    # who did it and to what: the actors, and the object even where it is a place ("took over the town")
    parts = ev.actors + [c.text for c in trig.children if c.dep_ == "dobj"
                           and not m.span.start <= det.offset(c) < m.span.end]    # the named place is no participant
    own = classify(link.lemma, context, parts, sentence) if det.trigger_like(trig) else None
    generic = own is None or own == "other" or link.lemma in HAPPEN or link.lemma in LIGHT
    types = [own] if own else []
    for tok in det.related_tokens(trig):                     # "took over the train …, killing 21"
        t = classify(det.lem(tok), det.clause_text(tok), parts, sentence)
        if generic or t in _VIOLENT:
            types.append(t)
    ev.type = min(types, key=_TYPE_PRIORITY.index) if types else default_type(link.actors, sentence, link.lemma)
    if link.needs_date and how == "none" and ev.type == "other":
        return None                                          # an unknown verb, undated, saying nothing typed
    ev.confidence = round(ev.confidence * link.strength, 4)
    ev.role = role_of(ev, published, future=link.future)
    return ev


# A stretch of time running up to now ("in the last 15 months", "so far this year"): with a counted
# participant the sentence is a statistic, not a happening (guideline P10).
_AGGREGATE_PERIOD = re.compile(r"\b(?:in|over|during|for|within)\s+the\s+(?:last|past|previous)\s+(?:\d+|two|three|"
                               r"four|five|six|seven|eight|nine|ten|eleven|twelve|several|few)\s+(?:weeks|months|"
                               r"years|decades)\b|\bso\s+far\s+this\s+(?:year|month)\b|\bsince\s+the\s+"
                               r"(?:start|beginning)\s+of\b", re.I)


def _counted(trig) -> bool:
    """Does the happening count its participants ("1,250 terrorists", "504 attacks")?"""
    from geo.detect import upos
    verb = trig if upos(trig) in ("VERB", "AUX") else trig.head
    args = [c for c in verb.children if c.dep_ in ("nsubj", "nsubjpass", "dobj")] + [trig]
    return any(c.dep_ == "nummod" and c.like_num for a in args for c in a.children)


_WEEKDAY = re.compile(r"^(?:on\s+|this\s+|next\s+|last\s+)?(?:Mon|Tues|Wednes|Thurs|Fri|Satur|Sun)day(?:['’]s)?$", re.I)


_MONTH_ALONE = re.compile(r"^(?:in\s+)?(?:Jan(?:uary)?|Feb(?:ruary)?|March|April|May|June|July|Aug(?:ust)?|"
                          r"Sept?(?:ember)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\.?$")


def _by_tense(stated, link, det, published: Optional[str]):
    """A bare weekday or month takes past or future from its verb: "will meet Friday", "rules
    Wednesday", "holds the election in November" (a present-tense happening is scheduled) look
    forward; "met Friday" looks back."""
    text = stated.text.strip()
    weekday = stated.precision == "day" and _WEEKDAY.match(text) and not re.match(r"(?:this|next|last)\b", text, re.I)
    month = stated.precision == "month" and _MONTH_ALONE.match(text)
    if not published or not (weekday or month):
        return stated
    try:
        pub = date.fromisoformat(published[:10])
        day = date.fromisoformat(stated.value if weekday else stated.value + "-01")
    except ValueError:
        return stated
    verb = det.clause_head(link.trigger)
    present = verb.tag_ in ("VBZ", "VBP") and det.lem(verb) not in SPEECH and not any(
        c.dep_ in ("aux", "auxpass") and c.tag_ in ("VBZ", "VBP") and c.lower_ in ("has", "have", "is", "are")
        for c in verb.children)
    forward = link.future or present
    if weekday:
        if forward and day < pub:
            day += timedelta(days=7)
        elif verb.tag_ == "VBD" and not link.future and day > pub:
            day -= timedelta(days=7)
        else:
            return stated
        value = day.isoformat()
    else:
        # (the date step already reads "ahead of the election in November" as the coming one)
        if forward and (day.year, day.month) < (pub.year, pub.month):
            value = f"{day.year + 1:04d}-{day.month:02d}"
        else:
            return stated
    from dataclasses import replace
    return replace(stated, value=value)


def _is_verb_token(tok) -> bool:
    from geo.detect import upos
    return upos(tok) in ("VERB", "AUX")


_TEMPORAL_MARKS = {"after", "before", "when", "while", "as", "since", "until", "once"}


def _date_by_parse(det, link, sentence_dates: list):
    """The date of the trigger's own clause; else of the clause it hangs in ("said Monday that …")."""
    if not sentence_dates:
        return None, "none"
    trig = link.trigger
    head = det.clause_head(trig)
    by_clause = {}
    for d in sentence_dates:
        span = det.span(d.start, d.end)
        if span is None:
            continue
        root = span.root
        if any(t.i == trig.i for t in span):
            continue
        # a date modifying the trigger noun itself ("Tuesday's attack", "the attack on Tuesday")
        if any(a == trig for a in islice(root.ancestors, 4)):
            by_clause.setdefault("own", []).append(d)
            continue
        c = det.clause_head(root)
        by_clause.setdefault(c.i, []).append(d)
    own = by_clause.get("own") or by_clause.get(head.i)
    if own:
        return min(own, key=lambda d: abs(d.start - det.offset(trig))), "own"
    # "took over the train … hours after it left Quetta on Tuesday": a temporal clause dates its head
    for c in head.children:
        if c.dep_ == "advcl" and c.i in by_clause and any(
                m.dep_ in ("mark", "advmod") and m.lower_ in _TEMPORAL_MARKS for m in c.children):
            return by_clause[c.i][0], "own"
    t = head
    for _ in range(6):
        if t.head == t:
            break
        if t.dep_ in ("relcl", "acl") and t.head.i != trig.i:
            break                                           # a relative clause's date is its own
        t = t.head
        c = det.clause_head(t)
        if c.i in by_clause:
            return by_clause[c.i][0], "governing"
        t = c
    return None, "none"


def _fold(found: list) -> list:
    """One event per happening: the same place, type and overlapping dates in one article fold together,
    and a happening at a province or country folds into the same happening at a place inside it.
    `found` holds (event, trigger lemma) pairs."""
    kept: list = []
    told: dict = {}                     # id(kept event) -> trigger lemmas and actors of all it folded
    lemmas = {id(ev): lem for ev, lem in found}
    same: dict = {}                     # (place, type) -> the kept events there: twins are looked up, not scanned
    for ev in sorted((ev for ev, _ in found), key=lambda e: (-e.confidence, e.mention_start)):
        group = same.setdefault((ev.place_key, ev.type), [])
        twin = next((k for k in group if _overlap(k, ev)), None)
        if twin is None:
            kept.append(ev)
            group.append(ev)
            told[id(ev)] = _telling(ev, lemmas[id(ev)])
            continue
        words = told.pop(id(twin)) | _telling(ev, lemmas[id(ev)])
        if twin.date_source != "stated" and ev.date_source == "stated":
            kept[kept.index(twin)] = ev
            group[group.index(twin)] = ev
            twin = ev
        told[id(twin)] = words
    by_type_country: dict = {}
    for k in kept:
        by_type_country.setdefault((k.type, k.country_code), []).append(k)
    out = []
    for ev in kept:
        if ev.kind not in AREA_KINDS:
            out.append(ev)
            continue
        finer = [k for k in by_type_country[(ev.type, ev.country_code)] if k is not ev and _within(k, ev)
                 and (_overlap(k, ev, slack=1) or "published" in (k.date_source, ev.date_source))]
        # the same happening: told with the same word or actors, or the only one of its kind in there
        # (an undated mention of the area beside dated happenings of its kind inside it restates them:
        # "This marks Rubio's second visit to Saudi Arabia" after the talks in Jeddah)
        inside = ev.kind in AREA_KINDS and (len(finer) == 1 or any(told[id(k)] & told[id(ev)] for k in finer)
                                            or (bool(finer) and ev.date_source == "published"))
        if not inside:
            out.append(ev)
    return sorted(out, key=lambda e: e.mention_start)


def _telling(ev: Event, lemma: str) -> set:
    """What identifies a happening across sentences: its trigger's lemma and its actors."""
    return {a.lower() for a in ev.actors} | {"~" + lemma}


def _within(point, area) -> bool:
    """Is `point` a finer place inside `area` (same country; same province when the area is one)?
    Either may be a Place or an Event: both carry name, kind, country_code and admin1."""
    if point.country_code != area.country_code or _RANK.get(point.kind, 3) >= _RANK.get(area.kind, 3):
        return False
    if area.kind == "admin1":
        return fold(point.admin1 or "") == fold(area.name) if point.admin1 else False
    return True


def _overlap(a: Event, b: Event, slack: int = 0) -> bool:
    if not a.date_start_day or not b.date_start_day:
        return a.date == b.date
    gap = timedelta(days=slack)
    a0, b0 = date.fromisoformat(a.date_start_day), date.fromisoformat(b.date_start_day)
    a1 = date.fromisoformat((a.date_end or a.date_start_day)[:10])
    b1 = date.fromisoformat((b.date_end or b.date_start_day)[:10])
    return a0 - gap <= b1 and b0 - gap <= a1


REPORTED_WINDOW_DAYS = 31


def role_of(ev: Event, published: Optional[str], future: bool = False) -> str:
    """"reported" when the happening may have started within a month of publication or is scheduled;
    "background" for history (the latest possible start is the end of the stated day, month or year)."""
    if future or not published or not ev.date_end:
        return "reported"
    try:
        pub = date.fromisoformat(published[:10])
        last = date.fromisoformat(ev.date_end[:10])
    except ValueError:
        return "reported"
    return "reported" if (pub - last).days <= REPORTED_WINDOW_DAYS else "background"


def _heading_lines(text: str, title: str, dateline_span) -> list:
    """Title lines and the byline carry no events ("By Cavid Aga in Baku April 17, 2024")."""
    out, pos = [], 0
    for line in text.splitlines(keepends=True):
        stripped = line.strip()
        end = pos + len(line)
        # a headline, not a lead that a reader took for the title ("Protesters gathered in Kharkiv on Sunday.")
        is_title = title and stripped == title.strip() and not re.search(r"[.!?][\"”’)]?$", stripped)
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
        kind=p.kind, place_key=p.key, admin1=p.admin1 or "", date_start_day=first.isoformat() if first else None,
        date_text=dt[0], date_text_start=dt[1], date_text_end=dt[2], sentence_start=s_start + lead)
