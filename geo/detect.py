"""Event detection on the dependency parse: does a sentence report a happening *at* a place?

For each place mention we walk up the parse from the place to the word it depends on and ask what
links them:
- a locative preposition (in, at, near, outside, across…) on a trigger verb or noun: "attacked a train
  near Sibi", "the attack in Quetta", "talks in Jeddah";
- the object of a verb that acts on a place: "struck Kharkiv", "visited Paris", "left China";
- a destination only for visits and deployments ("a visit to Mauritius"), an origin only for departures;
- the place as subject only for acts of state ("Botswana lifted its ban"), or as passive subject of a
  happening ("Malawi was hit by Cyclone Jude");
- a locative on an actor ("forces in Puntland launched an offensive") places only that actor's own
  action, and never a statement ("a spokesman in Quetta told VOA").
Everything else is context: a place qualifying an actor or another place ("Russian forces",
"Pakistan's Balochistan province", "Jeddah, Saudi Arabia"), X-based, topics ("a meeting on
Afghanistan"), comparisons, distances ("300 km north of Mogadishu"), metonymy ("Washington denies").
Hypothetical, negated and undated-future happenings are not events.

The result is a `Link` per event place: the trigger token, how strong the link is, the clause head
used for dating, and the actor phrases.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Optional

from geo import triggers as T
# "made no attempt to prevent…", "showed no sign of…": the happening below is not said to happen
_INTENT_NOUNS = {"attempt", "attempts", "effort", "efforts", "move", "plan", "plans", "intention", "sign", "bid"}

LOCATIVE = {"in", "at", "near", "inside", "outside", "across", "throughout", "around", "within", "along",
            "off", "through", "beside", "outside", "aboard", "amid", "atop", "behind", "beneath",
            "under", "nearby", "upon"}
ORIGIN = {"from"}
DESTINATION = {"to", "toward", "towards", "into", "for"}
TARGET = {"on", "against", "upon"}
NOT_PLACING = {"than", "like", "unlike", "except", "between", "about", "regarding", "of", "with", "by", "as",
               "beyond", "after", "before", "since", "until", "per", "despite"}
# Nouns that are themselves places: a locative on them passes to whatever happens there
# ("a hotel in Beledweyne", "the government hospital in Sibi", "a tunnel near Sibi").
PLACE_NOUNS = set("hotel hospital station airport port harbor harbour base camp village town city capital "
                  "province district region area areas border coast desert tunnel mosque church school "
                  "market building compound prison jail checkpoint post office embassy consulate palace "
                  "square street road highway bridge island islands parliament university stadium site "
                  "farm field mine mines neighbourhood neighborhood suburb outskirts zone territory waters "
                  "sea river valley mountains forest countryside line railway train bus vessel ship "
                  "venue hall headquarters court".split())
# Nouns for people and bodies: a locative on them is where they are, not where something happened.
ACTOR_NOUNS = set("forces force troops soldiers army military police officials official authorities "
                  "government spokesman spokesperson spokeswoman controller superintendent judge court "
                  "people residents resident group groups militants leaders leader officers officer "
                  "analyst analysts diplomats delegation ministry minister president governor commander "
                  "ambassador envoy sources source correspondent reporter journalists journalist "
                  "activists members member agency unit units peacekeepers fighters rebels workers "
                  "staff students citizens community communities population refugees administration "
                  "council lawmakers deputy director chief head".split())
# Nouns for a journey: a verb acting on one ("completed a journey to X") travels.
JOURNEYS = {"journey", "voyage", "trip", "flight", "crossing", "passage"}
# Measures one state aims at others: where they "happen" is ambiguous, so they place nothing.
AIMED_MEASURES = {"tariff", "sanction", "duty", "levy", "embargo", "restriction", "countermeasure"}
# Actor nouns that name a body rather than people on the spot ("sent a letter to the government in X").
ACTOR_BODIES = {"government", "administration", "ministry", "council", "agency", "authorities", "court",
                "delegation", "embassy", "parliament"}
HYPOTHETICAL = {"if", "unless", "whether", "lest"}
# Verbs whose complement has not happened: "intend to use the law to make vessels leave".
IRREALIS = set("hope want intend seek try aim threaten propose urge demand call ask wish consider aspire "
               "vow pledge promise offer expect refuse fail".split())
HABITUAL = {"frequently", "often", "usually", "regularly", "routinely", "typically", "generally", "sometimes",
            "repeatedly", "always", "never", "rarely", "occasionally"}
MODAL_UNREAL = {"would", "could", "might", "should", "may", "must"}


@dataclass
class Link:
    """How one place mention is tied to a happening."""
    trigger: object                     # spaCy Token: the word that says what happened
    strength: float                     # 1.0 locative on a trigger … 0.5 weakest accepted link
    how: str                            # locative | object | destination | origin | state | actor | passive
    lemma: str = ""
    future: bool = False
    actors: list = field(default_factory=list)
    needs_date: bool = False            # a weak link: an event only when its own clause is dated


_UPOS = {"MD": "AUX", "NN": "NOUN", "NNS": "NOUN", "NNP": "PROPN", "NNPS": "PROPN", "PRP": "PRON",
         "PRP$": "PRON", "WP": "PRON", "WP$": "PRON", "EX": "PRON", "CD": "NUM", "JJ": "ADJ", "JJR": "ADJ",
         "JJS": "ADJ", "IN": "ADP", "TO": "PART", "DT": "DET", "PDT": "DET", "WDT": "DET", "RB": "ADV",
         "RBR": "ADV", "RBS": "ADV", "WRB": "ADV", "RP": "ADP", "CC": "CCONJ", "UH": "INTJ", "POS": "PART",
         "HYPH": "PUNCT", "FW": "X", "SYM": "SYM", "AFX": "ADJ", "NFP": "PUNCT", "LS": "X", "ADD": "X"}
_AUX_WORDS = {"be", "is", "am", "are", "was", "were", "been", "being", "'s", "’s", "'re", "’re", "'m", "’m",
              "has", "have", "had", "having", "'ve", "’ve", "'d", "’d", "do", "does", "did"}


def upos(tok) -> str:
    """The coarse part of speech from the tagger's fine tag. (The pipeline's attribute ruler does this
    too, but costs a fifth of the whole NER pass; the parser and tagger are what we need.)"""
    if tok.pos_:
        return tok.pos_
    tag = tok.tag_
    if tag.startswith("VB"):
        if tok.dep_ in ("aux", "auxpass") or tok.lower_ in _AUX_WORDS and any(
                c.dep_ in ("attr", "acomp", "expl") for c in tok.children):
            return "AUX"
        return "VERB"
    return _UPOS.get(tag, "PUNCT" if tag in (",", ".", ":", "``", "''", "-LRB-", "-RRB-", "$", "#") else "X")


def lemma(tok, lemmatizer=None) -> str:
    """The token's lemma: the model's rule lemmatizer when the pipeline has one, else a suffix strip."""
    if tok.lemma_:
        return tok.lemma_.lower()
    if lemmatizer is not None and tok.tag_:
        try:
            if not tok.pos_:
                tok.pos_ = upos(tok)        # the rule lemmatizer reads the coarse tag
            return lemmatizer.rule_lemmatize(tok)[0].lower()
        except Exception:          # a token the rules cannot handle: fall back to the strip
            pass
    return T.lemma_of(tok.text)


def _phrasal(tok, lem: str) -> str:
    """"take over", "hand over", "pull out": verb + particle as one lemma when the lexicon knows it."""
    for c in tok.children:
        if c.dep_ == "prt":
            joined = f"{lem} {c.text.lower()}"
            if T.is_trigger(joined):
                return joined
            if lem == "take" and c.text.lower() == "over":
                return "seize"
            if lem == "carry" and c.text.lower() == "out":
                return "carry_out"
    if lem == "take" and any(c.dep_ == "dobj" and c.text.lower() == "place" for c in tok.children):
        return "take place"
    return lem


def _noun_in(tok, words: set) -> bool:
    low = tok.text.lower()
    return low in words or (low.endswith("s") and low[:-1] in words) or (low.endswith("es") and low[:-2] in words)


def _is_verb(tok) -> bool:
    return upos(tok) in ("VERB", "AUX") or tok.dep_ in ("ROOT", "ccomp", "xcomp", "advcl", "relcl", "conj", "pcomp") \
        and tok.tag_.startswith("VB")


class Detector:
    """Links place mentions to happenings in a parsed sentence (offsets are the article's)."""

    def __init__(self, doc, lemmatizer=None, base: int = 0):
        self.doc = doc                  # the parse of one sentence (or of a whole text)
        self.base = base                # where doc's text starts in the article
        self.text = doc.text            # spaCy rebuilds Doc.text on every access
        self.lemmatizer = lemmatizer
        self._lemma_cache: dict = {}

    def span(self, start: int, end: int):
        """The tokens covering article offsets [start, end), or None."""
        return self.doc.char_span(start - self.base, end - self.base, alignment_mode="expand")

    def offset(self, tok) -> int:
        """A token's offset in the article."""
        return tok.idx + self.base

    def lem(self, tok) -> str:
        v = self._lemma_cache.get(tok.i)
        if v is None:
            v = _phrasal(tok, lemma(tok, self.lemmatizer))
            if v == "storm" and upos(tok) == "NOUN":
                v = "windstorm"                  # the weather, not "stormed a hotel"
            self._lemma_cache[tok.i] = v
        return v

    def trigger_like(self, tok) -> bool:
        if tok.lower_ == "charge" and tok.i > 0 and tok.nbor(-1).lower_ == "in":
            return False                                  # "officials in charge of trade"
        return T.is_trigger(self.lem(tok))

    # -- the walk -----------------------------------------------------------------------------
    def link(self, start: int, end: int, kind: str, place_spans: list) -> Optional[Link]:
        """The happening the place at text[start:end] is where of, or None when it is context."""
        span = self.span(start, end)
        if span is None or not len(span):
            return None
        tok = span.root
        text, end = self.text, end - self.base
        if re.match(r"\s*-\s*(?:based|born|bound|led|backed|run|held|controlled|made|owned|linked|area|"
                    r"proposed|brokered|sponsored|funded|style|allied|aligned|friendly|focused)\b",
                    text[end:end + 16]):
            return None                                     # "New York-based"
        for c in tok.children:
            # "Nagorno-Karabakh, which was retaken by Azerbaijan last September": the relative clause
            # says what happened at the place
            if c.dep_ == "relcl" and _is_verb(c) and self.trigger_like(c) and self.lem(c) not in T.SPEECH:
                link = self.finish(c, 0.9, "relative")
                if link is not None:
                    return link
        hops = 0
        while hops < 6:
            hops += 1
            dep, head = tok.dep_, tok.head
            if head == tok:                                  # the place is the sentence root: a heading
                return None
            if dep in ("conj",):                             # "Seville and Ceuta": Ceuta shares Seville's role
                tok = head
                continue
            if dep == "appos":
                if self._is_place_token(head, place_spans):
                    return None                             # "Jeddah, Saudi Arabia": a qualifier
                tok = head                                  # "the regional capital, Banja Luka"
                continue
            if dep in ("compound", "amod", "nmod", "poss", "npadvmod"):
                if self.trigger_like(head) and upos(head) in ("NOUN", "PROPN"):
                    # "the Sibi attack", "Mauritius's National Day celebrations"; but "Ankara's purchase",
                    # "the Russia attack on Ukraine": a country or capital before a deed is its doer
                    if kind in ("country", "continent", "region") and self.lem(head) not in T.PLACE_SCOPED:
                        return None
                    if T.trigger_type(self.lem(head)) == "economic" and kind != "landmark":
                        return None                         # "Ankara's purchase"; but "a Wall Street selloff"
                    return self.finish(head, 0.8, "locative")
                if _noun_in(head, PLACE_NOUNS) and dep != "poss":
                    if any(c.dep_ == "prep" and c.lower_ == "of" and any(
                            g.dep_ == "pobj" and self._is_place_token(g, place_spans) for g in c.children)
                           for c in head.children):
                        return None                         # "the Red Sea port city of Jeddah": a qualifier
                    tok = head                              # "Quetta railway station", "Kalat district"
                    continue
                if dep == "poss" and head.text.lower() in PLACE_NOUNS and head.dep_ == "pobj" \
                        and head.head.text.lower() in LOCATIVE and not self._has_place_child(head, place_spans, tok):
                    tok = head                              # "in Pakistan's southwest": the place itself
                    continue
                return None                                 # "Russian forces", "Pakistan's Balochistan"
            if dep == "pobj":
                prep = head
                p = prep.text.lower()
                governor = prep.head
                if p == "including" and upos(governor) in ("NOUN", "PROPN"):
                    tok = governor                          # "other locations, including the base in Khojaly"
                    continue
                if p == "of" and kind == "landmark" and upos(governor) == "NOUN" and self.trigger_like(governor) \
                        and self.lem(governor) not in T.SPEECH:
                    return self.finish(governor, 0.8, "locative")     # "a meeting of the U.N. Security Council"
                if p == "of" and _noun_in(governor, PLACE_NOUNS):
                    tok = governor                          # "the central town of Beledweyne"
                    continue
                if prep.dep_ == "agent" or p in NOT_PLACING:
                    return None
                if p in LOCATIVE or (p in TARGET and self._violent(governor)) or (p == "over" and _is_verb(governor)):
                    return self._from_governor(governor, prep, "locative", place_spans)
                if p in TARGET:
                    return None                             # "a meeting on Afghanistan": topic
                if p in DESTINATION:
                    g = self.lem(governor)
                    trip = next((c for c in governor.children if c.dep_ == "dobj" and self.lem(c) in JOURNEYS), None)
                    if trip is not None and _is_verb(governor) or g in JOURNEYS:
                        g = "travel"                # "completed a 19-day journey … to the port of Bandar Abbas"
                    if g in T.TO_IS_WHERE or (p == "into" and self._violent(governor)):
                        return self._from_governor(governor, prep, "destination", place_spans, weak=0.8)
                    if g in T.TRAVEL and governor.dep_ not in ("advcl", "acl", "relcl") and not any(
                            c.dep_ == "advcl" and (self.trigger_like(c) or self.related(c)) for c in governor.children):
                        # a dated journey is news; one that only frames another happening is not
                        # ("was traveling … to Peshawar when it came under attack")
                        link = self._from_governor(governor, prep, "destination", place_spans, weak=0.7)
                        if link is not None:
                            link.needs_date = True
                        return link
                    return None                             # "traveling north … to Peshawar"
                if p in ORIGIN:
                    if governor.dep_ == "dobj" and _is_verb(governor.head):
                        governor = governor.head             # "dispatched coffins from Quetta railway station"
                    g = self.lem(governor)
                    if g in ("depart", "departure", "leave", "withdraw", "withdrawal", "flee", "evacuate",
                             "pull out", "evacuation", "sail", "exit", "dispatch", "send"):
                        return self._from_governor(governor, prep, "origin", place_spans, weak=0.8)
                    return None                             # "from Quetta … to Peshawar"
                return None
            if dep in ("dobj", "obj") and head.dep_ == "acl" and self.lem(head) in ("surround", "border", "ring"):
                tok = head.head                              # "the area surrounding the Dadivank Monastery"
                continue
            if dep in ("dobj", "obj"):
                g = self.lem(head)
                if g in ("leave", "depart", "enter", "reach") and head.dep_ == "advcl" and any(
                        c.dep_ in ("mark", "advmod") and c.lower_ in ("after", "before", "since", "as", "when")
                        for c in head.children) and (self.trigger_like(head.head) or self.related(head.head)):
                    return None                     # "took over the train … hours after it left Quetta" (rule P7)
                if _is_verb(head) and (g in T.PLACE_OBJECT or g.split()[0] in T.PLACE_OBJECT):
                    return self.finish(head, 0.9, "object")
                if head.text.lower() in ("siege",):
                    return self.finish(head, 0.9, "object")
                return None                                 # "urged Russia", "blamed India"
            if dep in ("nsubjpass",):
                if _is_verb(head) and self.trigger_like(head) and T.trigger_type(self.lem(head)) in (
                        "disaster_accident", "violence", "explosion_remote_violence", "battle"):
                    return self.finish(head, 0.8, "passive")
                return None
            if dep == "nsubj" and self.lem(head) == "be" and kind in ("country", "admin1"):
                # "Canada and Belgium are among countries that have recently banned …"
                for c in head.children:
                    for n in [c] + [g for g in c.children if g.dep_ == "pobj"]:
                        for r in n.children:
                            if r.dep_ == "relcl" and self.lem(r) in T.STATE_ACTS:
                                return self.finish(r, 0.6, "state")
                return None
            if dep in ("nsubj",):
                g = self.lem(head)
                if kind in ("country", "admin1", "admin2") and g in T.STATE_ACTS and _is_verb(head):
                    if any(c.dep_ == "dobj" and self.lem(c) in AIMED_MEASURES for c in head.children):
                        return None                 # "Canada imposed tariffs": aimed at others, no locus (P5)
                    return self.finish(head, 0.6, "state")
                return None                                 # "Washington denies", "Russia has not agreed"
            if dep in ("attr", "acomp", "oprd", "dative", "advmod", "dep", "ROOT", "parataxis", "meta",
                       "intj", "punct", "case", "prep", "relcl", "acl", "ccomp", "xcomp", "advcl"):
                return None
            return None
        return None

    def _is_place_token(self, tok, place_spans: list) -> bool:
        return any(a <= self.offset(tok) < b for a, b in place_spans)

    def _has_place_child(self, noun, place_spans: list, exclude) -> bool:
        return any(c != exclude and self._is_place_token(c, place_spans) for c in noun.children
                   if c.dep_ in ("compound",))

    def _violent(self, tok) -> bool:
        t = T.trigger_type(self.lem(tok))
        return t in ("violence", "battle", "explosion_remote_violence", "violence_against_civilians", "riot")

    def _from_governor(self, governor, prep, how: str, place_spans: list, weak: float = 1.0) -> Optional[Link]:
        """Where a prepositional phrase hangs decides what it places."""
        t = governor
        for _ in range(4):
            low = t.text.lower()
            if _is_verb(t) and upos(t) != "AUX" or upos(t) == "AUX" and t.dep_ == "ROOT":
                return self._verb_link(t, how, weak, prep if t == governor else None)
            if upos(t) in ("NOUN", "PROPN", "PRON", "NUM", "ADJ"):
                if self.trigger_like(t) and upos(t) in ("NOUN",) and low not in ACTOR_NOUNS \
                        and not _noun_in(t, PLACE_NOUNS):
                    return self.finish(t, 0.95 * weak, how)              # "the attack in Quetta"
                if low in ACTOR_NOUNS or t.ent_type_ in ("PERSON", "ORG", "NORP"):
                    return self._actor_link(t, weak)
                if _noun_in(t, PLACE_NOUNS) or self._is_place_token(t, place_spans) or upos(t) in ("NUM", "PRON", "ADJ",
                                                                                             "PROPN"):
                    # "a hotel in Beledweyne": what happened at the hotel
                    if t.dep_ == "pobj":
                        p = t.head.text.lower()
                        if p in NOT_PLACING or (p in TARGET and not self._violent(t.head.head)):
                            return None
                        if p in DESTINATION and self.lem(t.head.head) not in T.TO_IS_WHERE \
                                and t.head.head.text.lower() != "siege" and self.lem(t.head.head) != "lay":
                            return None
                        t = t.head.head
                        continue
                    if t.dep_ in ("dobj", "nsubjpass", "nsubj", "attr", "conj", "appos"):
                        t = t.head
                        continue
                    return None
                # another common noun: what is done to it ("stormed a hotel in X") happens there, but
                # "a step toward peace in Europe" or "the situation in Sudan" place nothing
                if t.dep_ in ("dobj", "attr") and t.head != t:
                    t = t.head
                    continue
                if t.dep_ == "pobj" and t.head.lower_ not in NOT_PLACING | TARGET | DESTINATION:
                    t = t.head.head                     # "came under a bomb attack while passing …"
                    continue
                return None
            return None
        return None

    def _actor_link(self, noun, weak: float) -> Optional[Link]:
        """"forces in Puntland launched…": the actor's own on-the-spot action, never a statement."""
        if noun.dep_ in ("nsubj", "nsubjpass") or (noun.dep_ == "pobj" and noun.head.dep_ == "agent"):
            verb = noun.head if noun.dep_ != "pobj" else noun.head.head
            if noun.dep_ == "pobj":            # "an offensive launched by forces in Puntland"
                target = verb.head if verb.dep_ == "acl" and self.trigger_like(verb.head) else verb
                return self.finish(target, 0.6 * weak, "actor")
            lem = self.lem(verb)
            if lem in T.SPEECH or lem in T.STATIVE:
                return None
            if self.trigger_like(verb):
                return self.finish(verb, 0.6 * weak, "actor")
        if noun.dep_ == "pobj" and noun.head.text.lower() == "of" and self.trigger_like(noun.head.head) \
                and upos(noun.head.head) == "NOUN":
            return self.finish(noun.head.head, 0.8 * weak, "locative")   # "the arrest of five people in Irbil"
        if noun.dep_ == "pobj" and noun.head.lower_ in ("to", "for") and _is_verb(noun.head.head) \
                and self.lem(noun.head.head) not in T.SPEECH | T.STATIVE and noun.lower_ not in ACTOR_BODIES:
            # "distributed relief items to affected people in Mulanje district": the handing over is there
            link = self.finish(noun.head.head, 0.7 * weak, "locative")
            if link is not None and not self.trigger_like(noun.head.head):
                link.needs_date = True        # "accusing it of providing support to militants in X": undated, untyped
            return link
        if noun.dep_ == "dobj":
            verb = noun.head
            lem = self.lem(verb)
            if lem == "tell" or lem in ("address", "brief"):
                return self.finish(verb, 0.8 * weak, "locative")      # "telling journalists in Banja Luka"
            if self.trigger_like(verb) and lem not in T.SPEECH:
                return self.finish(verb, 0.8 * weak, "locative")      # "killed a commander near Sibi"
            if verb.dep_ in ("acl", "relcl") and upos(verb.head) in ("NOUN", "PROPN") and lem not in T.SPEECH:
                # "ambushed a bus transporting a paramilitary force in Kalat": where the bus was hit
                return self._from_governor(verb.head, None, "locative", [], weak * 0.9)
        return None

    def _verb_link(self, verb, how: str, weak: float, prep=None) -> Optional[Link]:
        lem = self.lem(verb)
        if upos(verb) == "AUX" and lem not in ("have", "do"):
            lem = "be"
        if verb.dep_ == "pcomp" and verb.head.text.lower() in ("by", "while", "without", "for"):
            return None                                      # "By tracking participants in …": a means
        if lem in T.STATIVE and not any(c.dep_ in ("attr", "nsubj", "expl") and self.trigger_like(c)
                                        for c in verb.children):
            if lem == "be":
                # "There's another (meeting) in Paris Wednesday", "the attack was in Sibi"
                for c in verb.children:
                    if c.dep_ in ("attr", "nsubj", "dobj") and (self.trigger_like(c) or c.text.lower() == "another"):
                        return self.finish(c, 0.7 * weak, how)
            return None
        if lem in T.SPEECH:
            # a statement is placed only by a locative after its verb ("telling journalists in Banja Luka");
            # "a spokesman in Quetta told VOA" says where the speaker is (rule P2)
            if prep is None or prep.i < verb.i or lem in ("announce", "welcome", "urge"):
                return None
            if any(c.dep_ == "ccomp" and c.i < prep.i for c in verb.children):
                return None              # after the reported clause, a locative belongs inside it (a misparse)
            return self.finish(verb, 0.6 * weak, how)
        if self.trigger_like(verb):
            return self.finish(verb, 1.0 * weak, how)
        # a verb we do not know: a happening (typed from its context) only when its clause is dated
        if upos(verb) == "VERB":
            link = self.finish(verb, 0.55 * weak, how)
            if link is not None and not self.related(verb):
                link.needs_date = True
            return link
        return None

    # -- the happening itself ---------------------------------------------------------------------
    def finish(self, trig, strength: float, how: str) -> Optional[Link]:
        clause = trig if _is_verb(trig) else self.clause_head(trig)
        if self._unreal(clause) or (clause != trig and self._unreal(trig)):
            return None
        future = self._future(clause)
        return Link(trigger=trig, strength=strength, how=how, lemma=self.lem(trig), future=future,
                    actors=self.actors(trig))

    def related_tokens(self, trig) -> list:
        """Lemmas of the lexicon words tied to the trigger: its clause's other verbs and the nouns it
        governs ("came under a bomb and gun attack … while passing through", "launched an offensive")."""
        out, seen = [], {trig.i}
        frontier = [trig]
        if trig.dep_ in ("advcl", "xcomp", "conj", "acl") and trig.head != trig:
            frontier.append(trig.head)
        # "the departure … took place", "the storm made landfall", "Cyclone Jude slammed into…":
        # when the verb says little, its subject says what happened
        happen = self.lem(trig) in T.HAPPEN or self.lem(trig) in T.LIGHT or not self.trigger_like(trig)
        for t in frontier:
            for c in [t] + [c for c in t.children if not (c.dep_ == "conj" and _is_verb(c))]:
                for g in [c] + [x for x in c.children if x.dep_ in ("pobj", "dobj", "compound", "conj")]:
                    if g.i in seen or g.dep_ in ("nsubj", "nsubjpass") and g != t and not happen:
                        continue
                    seen.add(g.i)
                    if upos(g) not in ("PROPN", "ADP", "DET", "PRON", "PUNCT", "NUM") and self.trigger_like(g) \
                            and self.lem(g) not in T.SPEECH and not _noun_in(g, PLACE_NOUNS):
                        out.append(g)
        return out

    def related(self, trig) -> list:
        return [self.lem(t) for t in self.related_tokens(trig)]

    def clause_text(self, tok) -> str:
        """The text of the clause a token stands in: the context that decides its type."""
        head = self.clause_head(tok)
        for _ in range(3):                  # "Cyclone Jude slammed into …, causing …, leaving widespread damage"
            if head.head != head and (head.dep_ in ("xcomp", "advcl") or head.dep_ == "conj" and _is_verb(head)
                                          or head.dep_ == "acl" and upos(tok) == "NOUN"):
                head = head.head
            else:
                break
        return self.text[head.left_edge.idx:head.right_edge.idx + len(head.right_edge.text)]

    def clause_head(self, tok):
        """The verb whose clause holds `tok` (the token itself for a verb)."""
        t = tok
        for _ in range(8):
            if _is_verb(t) or t.head == t:
                return t
            t = t.head
        return t

    def _unreal(self, verb) -> bool:
        """Hypothetical, negated or habitual: "if the U.K. imposes…", "did not attack", "could visit",
        "frequently conducts bombings"."""
        for c in verb.children:
            low = c.text.lower()
            if c.dep_ == "advmod" and low in HABITUAL:
                return True
            if c.dep_ == "mark" and low in HYPOTHETICAL:
                return True
            if c.dep_ == "neg":
                return True
            if c.dep_ == "aux" and low in MODAL_UNREAL and low not in ("must",):
                return True
        if verb.dep_ in ("advcl", "ccomp") and any(c.dep_ == "mark" and c.text.lower() in HYPOTHETICAL
                                                   for c in verb.children):
            return True
        if any(c.dep_ == "mark" and c.lower_ == "when" for c in verb.children) and verb.tag_ in ("VBZ", "VBP"):
            return True                                   # "When Turkey leaves the religious policy, …"
        # "made no attempt to prevent the assault", "intend to … make vessels leave": unreal higher up
        t = verb
        for _ in range(4):
            if t.head == t:
                break
            child, t = t, t.head
            if any(c.dep_ == "neg" or (c.dep_ == "det" and c.text.lower() == "no")
                   or (c.dep_ == "cc" and c.lower_ in ("nor", "neither"))
                   or (c.dep_ == "dobj" and c.lower_ in _INTENT_NOUNS
                       and any(d.dep_ == "det" and d.lower_ == "no" for d in c.children))
                   for c in t.children):
                return True                       # "made no attempt to prevent …, nor …"
            if child.dep_ in ("xcomp", "ccomp", "advcl") and self.lem(t) in IRREALIS and child.tag_ in ("VB",):
                return True
        # a noun trigger inside a hypothetical clause
        if verb.dep_ in ("xcomp",) and verb.head != verb and self.lem(verb.head) in ("hope", "want", "plan",
                                                                                           "seek", "try", "aim"):
            return True
        return False

    def _future(self, verb) -> bool:
        for c in verb.children:
            if c.dep_ == "aux" and c.text.lower() in ("will", "'ll", "shall"):
                return True
            if c.dep_ == "aux" and c.text.lower() == "to" and verb.head.text.lower() in ("going", "due", "set",
                                                                                         "scheduled", "expected"):
                return True
        if verb.tag_ in ("VBP", "VBZ") and verb.dep_ == "advcl" and any(
                c.dep_ == "mark" and c.lower_ in ("after", "before", "until", "once", "when") for c in verb.children) \
                and any(c.dep_ == "aux" and c.lower_ in MODAL_UNREAL | {"will", "shall"} for c in verb.head.children):
            return True                  # "would convene … after Witkoff returns to Washington": not yet
        return verb.tag_ in ("VBP", "VBZ") and verb.head.text.lower() in ("due", "set", "scheduled")

    def actors(self, trig) -> list:
        """Short noun phrases doing or undergoing the happening: subject (or agent) first, then object."""
        out = []
        verb = trig if _is_verb(trig) else None
        if verb is None:
            for c in trig.children:
                if c.dep_ in ("poss", "compound") and (c.ent_type_ in ("ORG", "NORP", "PERSON") or
                                                       c.dep_ == "poss" and upos(c) == "PROPN"):
                    out.append(self.phrase(c))         # "Rubio’s second visit", "the BLA attack"
                if c.dep_ == "prep" and c.lower_ == "with":          # "talks with Ukrainian officials"
                    out += [self.phrase(g) for g in c.children if g.dep_ == "pobj"
                            and (g.ent_type_ in ("PERSON", "ORG", "NORP") or _noun_in(g, ACTOR_NOUNS))]
                if c.dep_ in ("prep",) and c.text.lower() == "by":
                    out += [self.phrase(g) for g in c.children if g.dep_ == "pobj"]
                if c.dep_ == "acl":
                    for g in c.children:
                        if g.dep_ == "agent":
                            out += [self.phrase(x) for x in g.children if x.dep_ == "pobj"]
            if trig.dep_ in ("dobj", "nsubjpass") and _is_verb(trig.head):
                verb = trig.head
        if verb is not None and self.lem(verb) in T.HAPPEN:
            # "the departure of part of the peacekeeping forces … took place": who departed
            subj = [c for c in verb.children if c.dep_ in ("nsubj", "nsubjpass")] or \
                [c for c in verb.head.children if c.dep_ in ("nsubj", "nsubjpass")]
            for t in subj:
                for d in t.subtree:
                    if d.dep_ == "pobj" and d.head.text.lower() == "of" and _noun_in(d, ACTOR_NOUNS):
                        out.append(self.phrase(d))
            verb = None
        if verb is not None:
            subj = [c for c in verb.children if c.dep_ in ("nsubj",)]
            if not subj and verb.dep_ in ("advcl", "xcomp", "conj", "relcl") and _is_verb(verb.head):
                subj = [c for c in verb.head.children if c.dep_ == "nsubj"] if verb.dep_ != "relcl" else [verb.head]
            agent = [g for c in verb.children if c.dep_ == "agent" for g in c.children if g.dep_ == "pobj"]
            obj = [c for c in verb.children if c.dep_ in ("dobj", "nsubjpass")]
            # "met with Rubio", "talks with Ukrainian officials": the other party
            partner = [g for c in verb.children if c.dep_ == "prep" and c.lower_ == "with"
                       for g in c.children if g.dep_ == "pobj" and (g.ent_type_ in ("PERSON", "ORG", "NORP")
                                                                  or _noun_in(g, ACTOR_NOUNS))]
            for t in subj + agent + obj + partner:
                if upos(t) == "PRON" and t.dep_ != "relcl" or _noun_in(t, PLACE_NOUNS) or t.text.lower() == "place" \
                        or t.i == trig.i:
                    continue
                out.append(self.phrase(t))
        seen, uniq = set(), []
        for a in out:
            k = a.lower()
            if a and k not in seen and len(a) > 1:
                seen.add(k)
                uniq.append(a)
        return uniq[:4]

    def phrase(self, head) -> str:
        """The head noun with its close left modifiers: "Russian peacekeepers", "Azerbaijani police"."""
        keep = [t for t in head.lefts if t.dep_ in ("compound", "amod", "poss", "nmod")
                and t.i >= head.i - 4 and upos(t) != "NUM"]
        toks = []
        for k in keep:
            toks += [t for t in k.subtree if t.i < head.i and t.dep_ != "case" and upos(t) not in ("DET", "PUNCT")]
        toks.append(head)
        # "Baloch Liberation Army (BLA)": keep the flat name of a proper noun
        toks = sorted(set(toks), key=lambda t: t.i)
        if toks and toks[0].i < head.i - 5:
            toks = [t for t in toks if t.i >= head.i - 5]
        s = " ".join(t.text for t in toks)
        s = re.sub(r"\s+([’'])\s*s\b", r"\1s", s).replace(" ’s", "’s").replace(" 's", "'s")
        return s.strip()
