"""Resolution: pick the right gazetteer entry for every recognised span.

Each candidate place gets a score from
- a prior: feature kind (a country name means the country before a town of the same name) and
  population (Barda, Azerbaijan with 41,600 people before Barda, Perm Krai with 8,300),
- how it matched (the place's own name beats one of its alternate names),
- the article's country focus (countries named, demonyms such as "Azerbaijani police", and the
  countries of the places resolved in a first pass),
- the admin hierarchy written next to it ("Pandi, Bulacan"; "Dadivank Monastery in the Kalbajar district"),
- spatial coherence with the other places of the article (second pass),
and the scores of all candidates become probabilities: the best is the answer, the rest are kept,
ranked, as alternatives for the map's "fix this pin".
"""
from __future__ import annotations

import math
import re
from collections import Counter

from geo.calibration import probability
from geo.exceptions import GeocoderError
from geo.gazetteer import ADMIN_WORDS, bare_name
from geo.recognise import known_places
from geo.text import acronym_like, fold
from geo.types import Candidate, Mention, Place, Span

MAX_CANDIDATES = 40
MAX_ALTERNATIVES = 5          # alternatives kept per mention, best first (what the store keeps)
# Admin areas' populations are sums over their towns, so their prior is lower: a city and its
# same-named province ("Moscow") mean the city unless the text says "province".
_KIND_PRIOR = {"country": 1.6, "continent": 1.4, "region": 1.1, "landmark": 1.3, "admin1": 0.1,
               "admin2": -0.3, "city": 0.15,
               "airport": 0.7,    # an airport only beats a small town of its name ("Heathrow", Florida)
               "natural": 0.5}    # a river or range: its rank on the map adds the rest (`prior`)
_STRIP_WORDS = ADMIN_WORDS | {"monastery", "town", "village", "island", "islands", "valley", "the", "river"}
_QUALIFIERS = {"north", "south", "east", "west", "northern", "southern", "eastern", "western", "central",
               "upper", "lower", "greater", "northeast", "northwest", "southeast", "southwest", "inner",
               "outer", "downtown", "metropolitan", "rural", "coastal"}
_FEATURE_WORDS = {"airport", "international", "hospital", "university", "museum", "gallery", "art", "park",
                  "square", "church", "cathedral", "stadium", "station", "bay", "island", "islands",
                  "valley", "delta", "canal", "mountains", "memorial", "harbour", "harbor", "port",
                  "province", "region", "district", "area", "county", "city", "town", "center", "centre"}
_DEMONYM_RUN = re.compile(r"\b[A-Z][a-z]+(?:[ -][A-Z][a-z]+){0,3}\b")   # one or more capitalised words


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371.0088 * math.asin(min(1.0, math.sqrt(a)))


class Resolver:
    def __init__(self, gazetteer, online_geocoder=None):
        self.gazetteer = gazetteer
        self.online = online_geocoder

    def resolve(self, text: str, spans: list) -> list:
        cands = [self.candidates(text, s) for s in spans]
        layout = _Layout(spans)
        self._parents_for_unknown_children(text, spans, cands, layout)
        demonym_focus = self._demonym_countries(text)
        # Pass 1: priors, match quality, hierarchy and demonyms only.
        # the names written right after each mention ("X, Y"): read once, used by both passes
        after = [self._neighbour_keys(text, i, spans, cands, layout) for i in range(len(spans))]
        first = [self._rank(text, i, spans, cands, layout, demonym_focus, None, after[i]) for i in range(len(spans))]
        chosen = [r[0].place if r else None for r in first]
        # Each mention votes for its country, weighted by how sure pass 1 was ("Canada" counts
        # fully, an ambiguous "London" only by its probability).
        keys = [fold(s.text) for s in spans]
        votes: dict = {}                                   # name -> {country: weight}
        for r, k in zip(first, keys):
            if r and r[0].place.country_code:
                by_country = votes.setdefault(k, Counter())
                by_country[r[0].place.country_code] += r[0].score
        focus_all = Counter(demonym_focus)
        for by_country in votes.values():
            focus_all.update(by_country)
        # One sense per article: a name placed by its written parent ("COLUMBIA, Ky.") means the
        # same place where the article later writes it alone ("of Columbia").
        anchors: dict = {}
        for i, r in enumerate(first):
            if r and keys[i] not in anchors and after[i] and _in_hierarchy(r[0].place, after[i], self.gazetteer):
                anchors[keys[i]] = r[0].place.key
        # Pass 2: with the article's country focus and spatial coherence, where a name never
        # votes for itself (19 mentions of "London" must not make the article British). Coherence
        # looks at the places of the neighbouring mentions only, so the work stays linear.
        mentions = []
        for i, s in enumerate(spans):
            focus = focus_all - votes[keys[i]] if keys[i] in votes else focus_all
            others = layout.nearby_places(i, chosen, keys)
            ranked = self._rank(text, i, spans, cands, layout, +focus, others, after[i], anchors.get(keys[i]))
            if not ranked:
                mentions.append(Mention(span=s, place=None, score=0.0))
                continue
            best = ranked[0]
            m = Mention(span=s, place=best.place, alternatives=ranked[1:])
            m.score = round(probability(m, raw=best.score * (s.score or 1.0)), 4)
            del m.alternatives[MAX_ALTERNATIVES:]       # the fix-this-pin list; memory per mention stays small
            mentions.append(m)
        return mentions

    # -- candidates ---------------------------------------------------------------------
    def candidates(self, text: str, span: Span) -> list:
        gz = self.gazetteer
        if "demonym+territory" in (span.evidence or ()):
            code = gz.demonyms.get(fold(span.text)) or gz.demonyms.get(fold(span.text)[:-1])
            country = gz.country(code) if code else None
            if country:
                return [country]
        surface = span.text
        key = fold(surface)
        # A demonym given as a place ("Canadian", "Turkish") means the country.
        code = gz.demonyms.get(key) or (gz.demonyms.get(key[:-1]) if key.endswith("s") else None)
        if code and gz.country(code) is not None:
            return [gz.country(code)]
        if acronym_like(text, span.start, span.end):
            return known_places(gz, text, span.start, span.end)
        places = gz.lookup(surface)
        if surface.islower():
            # a lower-case word is a place only under its own name ("the" is no code for Teresina)
            places = [p for p in places if fold(p.name) == key]
        if not places:
            # "Kalbajar district", "the Dadivank Monastery", "Baku-based", possessives
            words = [w for w in key.split() if w not in _STRIP_WORDS]
            if words and len(words) < len(key.split()):
                places = gz.lookup_folded(" ".join(words))
            if not places and key.endswith(" s"):
                places = gz.lookup_folded(key[:-2])
        if not places:
            places = self._near_fallback(key)
        if not places and self.online is not None:
            try:
                p = self.online.geocode(surface)
            except GeocoderError:
                p = None
            if p is not None:
                places = [p]
        if len(places) > MAX_CANDIDATES:
            places = sorted(places, key=lambda p: -(p.population or 0) - (1e12 if p.kind == "country" else 0))
            places = places[:MAX_CANDIDATES]
        return places

    @staticmethod
    def _parents_for_unknown_children(text: str, spans: list, cands: list, layout: "_Layout") -> None:
        """"Charlevoix, Quebec": when the written parent is most likely in a country where the child has
        no entry, the child we know is a namesake elsewhere (Charlevoix, Michigan); the pin goes on the
        parent instead, an area that holds the place."""
        for a, b in zip(layout.order, layout.order[1:]):
            x, y = spans[a], spans[b]
            if not cands[a] or not cands[b] or not re.fullmatch(r",\s*", text[x.end:y.start]):
                continue
            areas = [c for c in cands[b] if c.kind in ("country", "admin1")]
            if not areas or max(cands[b], key=prior).kind not in ("country", "admin1") or any(
                    c.kind in ("country", "admin1", "continent", "region")
                    for c in cands[a]):
                continue          # a list of places, not a little-known town and its parent
            if any(_inside(c, p) for c in cands[a] for p in areas):
                continue          # the child is known in one of the parents: the ranking decides
            cands[a] = areas

    def _near_fallback(self, key: str) -> list:
        """Names the gazetteer lacks but whose core it knows: 'North Dallas', 'Southern Europe',
        'Da Nang International Airport', 'Vancouver Art Gallery'. The pin goes on the core place."""
        words = key.split()
        while words and words[0] in _QUALIFIERS:
            words = words[1:]
        tail = list(words)
        while len(tail) > 1 and tail[-1] in _FEATURE_WORDS:
            tail = tail[:-1]
        for cand in (" ".join(words), " ".join(tail)):
            if cand and cand != key:
                found = [p for p in self.gazetteer.lookup_folded(cand)
                         if p.kind != "city" or p.population >= 10_000]
                if found:
                    return found
        return []

    def _demonym_countries(self, text: str) -> Counter:
        """'Azerbaijani police', 'Armenian refugees': evidence of the article's country focus."""
        out: Counter = Counter()
        dem = self.gazetteer.demonyms
        for m in _DEMONYM_RUN.finditer(text):
            words = m.group().replace("-", " ").lower().split()
            i = 0
            while i < len(words):        # longest first: "Saudi Arabian", "South African", "Sri Lankan"
                for n in range(min(3, len(words) - i), 0, -1):
                    key = " ".join(words[i:i + n])
                    code = dem.get(key) or (dem.get(key[:-1]) if key.endswith("s") else None)
                    if code:
                        out[code] += 0.5
                        i += n
                        break
                else:
                    i += 1
        return out

    # -- scoring --------------------------------------------------------------------------
    def _rank(self, text, i, spans, cands, layout, focus, others, neighbours, anchor=None) -> list:
        span, places = spans[i], cands[i]
        if not places:
            return []
        total_focus = sum(focus.values()) if focus else 0.0
        surface_key = fold(span.text)
        children = self._child_candidates(text, i, spans, cands, layout)
        area_cue = _area_cue(text, span) or (0.4 if self._is_parent_slot(text, i, spans, layout) else 0.0)
        siblings = self._list_siblings(text, i, spans, cands, layout)
        unanimous = _unanimous(siblings)
        # namesake towns only (no state or country of the name): the article's province decides
        towns_only = all(q.kind in ("city", "admin2", "airport") for q in places)
        scored = []
        for p in places:
            # "New York" is "New York City"; an airport's short name ("Heathrow") is its own
            # and a curated supplement row is known by each of its names ("Pacific" for the ocean)
            own_name = (fold(p.name) in (surface_key, surface_key + " city") or p.kind == "airport"
                        or p.source == "supplement")
            s = prior(p, own_name)
            if own_name:
                s += 0.3
            if area_cue and p.kind in ("admin1", "admin2", "country", "region"):
                s += area_cue
            if total_focus and p.country_code:
                s += FOCUS_WEIGHT * focus.get(p.country_code, 0.0) / total_focus
            if neighbours and _in_hierarchy(p, neighbours, self.gazetteer):
                s += 0.9
            elif anchor == p.key:
                s += 0.9
            if children and _contains_any(p, children):     # "Atlanta and Savannah in Georgia"
                s += 0.9
            if siblings and _like_siblings(p, siblings):     # "Texas and Georgia", "Russia, Georgia"
                s += 0.6
            elif unanimous:                                  # a town in a list of provinces is out of place
                s -= 0.6
            if others:
                # (a town reached only by another spelling of the name, "Pittsburg" for "Pittsburgh",
                # takes half the pull of its province's co-mentioned towns)
                s += _coherence(p, others) + (_same_area(p, others) * (1.0 if own_name else 0.5)
                                              if towns_only else 0.0)
            scored.append((s, p))
        scored.sort(key=lambda t: -t[0])
        top = scored[0][0]
        weights = [math.exp(3.0 * (s - top)) for s, _ in scored]
        z = sum(weights)
        return [Candidate(place=p, score=w / z) for (s, p), w in zip(scored, weights)]

    @staticmethod
    def _is_parent_slot(text: str, i: int, spans: list, layout: "_Layout") -> bool:
        """The Y of "X, Y" (Buffalo, New York): a state, a province or a country."""
        j = layout.neighbour(i, -1)
        return j is not None and spans[j].end < spans[i].start and bool(
            re.fullmatch(r",\s*", text[spans[j].end:spans[i].start]))

    @staticmethod
    def _list_siblings(text: str, i: int, spans: list, cands: list, layout: "_Layout") -> list:
        """The likeliest place of each name listed with this one ("Arizona, California, Georgia and
        Texas"): the members of a list are things of one kind."""
        out = []
        for step in (-1, 1):
            here = i
            while len(out) < 6:
                j = layout.neighbour(here, step)
                if j is None:
                    break
                a, b = (spans[j], spans[here]) if step < 0 else (spans[here], spans[j])
                if not _LIST_GAP.fullmatch(text[a.end:b.start]):
                    break
                here = j
                if fold(spans[j].text) != fold(spans[i].text):
                    # what that name most likely is (None: a name we cannot place still counts in the list)
                    out.append(max(cands[j], key=prior) if cands[j] else None)
        return out

    @staticmethod
    def _child_candidates(text: str, i: int, spans: list, cands: list, layout: "_Layout") -> list:
        """Candidates of the names written just before the span as its parts: 'X in Y', 'X, Y'."""
        out = []
        span = spans[i]
        prev_end = span.start
        j = layout.neighbour(i, -1)
        while j is not None:
            o = spans[j]
            if o.end <= span.start:
                if prev_end - o.end > 40:
                    break
                gap = text[o.end:prev_end].lower()
                if not re.fullmatch(r"\s*(,|in|in the|of|and|,\s*and|,\s*in)\s*", gap):
                    break
                out.extend(cands[j])
                prev_end = o.start
            j = layout.neighbour(j, -1)
        return out

    @staticmethod
    def _neighbour_keys(text: str, i: int, spans: list, cands: list, layout: "_Layout") -> set:
        """Folded names written right after the span: 'X, Y', 'X in (the) Y (district)', 'X of Y', with
        the names of the areas Y may stand for, so that an abbreviation ("Columbia, Ky.", "Newark,
        N.J.") names its state as fully as the state's name does."""
        keys = set()
        span = spans[i]
        j = layout.neighbour(i, 1)
        while j is not None and spans[j].start - span.end <= 40:
            o = spans[j]
            if o.start >= span.end:
                gap = text[span.end:o.start].lower()
                if _PARENT_GAP.fullmatch(gap):
                    keys.add(fold(o.text))
                    keys.update(fold(c.name) for c in cands[j] if c.kind in ("admin1", "admin2", "country"))
            j = layout.neighbour(j, 1)
        return keys


class _Layout:
    """The spans of an article in text order: who stands next to whom, in constant time."""

    WINDOW = 40          # mentions either side whose places count for coherence

    def __init__(self, spans: list):
        self.order = sorted(range(len(spans)), key=lambda i: (spans[i].start, spans[i].end))
        self.pos = {i: k for k, i in enumerate(self.order)}

    def neighbour(self, i: int, step: int):
        k = self.pos[i] + step
        return self.order[k] if 0 <= k < len(self.order) else None

    def nearby_places(self, i: int, chosen: list, keys: list) -> list:
        """The distinct places chosen for the mentions around mention i, other names than its own."""
        k = self.pos[i]
        seen, out = set(), []
        for j in self.order[max(0, k - self.WINDOW):k + self.WINDOW + 1]:
            p = chosen[j]
            if p is not None and keys[j] != keys[i] and p.key not in seen:
                seen.add(p.key)
                out.append(p)
        return out


def prior(p: Place, own_name: bool = True) -> float:
    """How likely a name means this place before reading the article: its kind, its size, how widely
    it is known (a world capital or a city with a hundred names in other languages before a small
    namesake) and whether it is a capital. Fame counts for the place's own name, hardly for one of
    its old or foreign names (Hong Kong was once "Victoria")."""
    population = p.population or 0
    s = _KIND_PRIOR.get(p.kind, 0.0)
    if p.kind == "admin1":
        # Our areas carry no alternate names: a province of some size (Ontario, Quebec, Wyoming) is
        # taken to be as widely known as a well-known city. Some areas come without a population.
        if population >= ADMIN1_KNOWN_POPULATION:
            s += FAME_WEIGHT * math.log2(1 + ADMIN1_FAME) / 7
        population = population or ADMIN1_MIN_POPULATION
    s += math.log10(population + 10) / 6
    if p.kind == "natural":      # no population: known by its rank on the map (see gazetteer._add_natural)
        s += FAME_WEIGHT * math.log2(1 + p.fame) / 7 * (1.0 if own_name else 0.2)
    if p.kind == "city":
        known = FAME_WEIGHT * math.log2(1 + p.fame) / 7 + (CAPITAL_BONUS if p.feature == "PPLC" else 0.0)
        s += known if own_name else 0.2 * known
    return s


FAME_WEIGHT = 0.35
CAPITAL_BONUS = 0.4
FOCUS_WEIGHT = 1.4
ADMIN1_MIN_POPULATION = 200_000
ADMIN1_FAME = 20
# The summed population from which a province counts as widely known: the sums run far under the
# real figures for rural areas (Wyoming 414k, Vermont 271k), which then lost to towns named after them.
ADMIN1_KNOWN_POPULATION = 200_000
# What stands between a name and its parent: "X, Y", "X in (the) Y", "X in northeast Y", "X of Y", "X (Y)".
_PARENT_GAP = re.compile(r"\s*(,|(?:,\s*)?in(?: the)?(?: (?:north|south|east|west|northeast|northwest|southeast|"
                         r"southwest|northern|southern|eastern|western|central|northeastern|northwestern|"
                         r"southeastern|southwestern|rural|upstate|downstate))?|of|of the|near|\(|-)\s*")
# What may stand between two members of a list of places.
_LIST_GAP = re.compile(r"\s*(,|and|or|,\s*and|,\s*or|&|/)\s*")
# Words that make a name a state, a province or a country rather than a town: "the state of X",
# "X province", "the X government", "X's governor".
_AREA_BEFORE = re.compile(r"\b(state|province|provinces|region|county|republic|oblast|governorate|prefecture)"
                          r"\s+of\s+(the\s+)?$", re.I)
_AREA_AFTER = re.compile(r"^(?:'s)?\s+(state|states|province|provinces|county|counties|region|oblast|rayon|"
                         r"governorate|prefecture|district|districts|municipality|government|governments|"
                         r"governor|gov(?=\.)|premier|legislature|lawmakers|parliament|health\s+minister|"
                         r"minister|ministry|authorities|officials|residents)\b", re.I)
_AND_NEXT = re.compile(r"^\s+(?:and|or|&)\s+[A-Z][\w.'’-]+(?:\s+[A-Z][\w.'’-]+)?(?=\s)")
_STRONG_AREA_WORDS = {"state", "states", "province", "provinces", "region", "oblast", "governorate",
                      "prefecture"}
# A district or county named after its seat ("the Tartar and Barda districts") is drawn at that town,
# so these words only lean towards the area.
_WEAK_AREA_WORDS = {"county", "counties", "rayon", "district", "districts", "municipality"}


def _area_cue(text: str, span: Span) -> float:
    """How strongly the words around a name say it is an area: 'X province' or 'the state of X' settle
    it; 'the X government', 'X's premier' lean that way."""
    m = _AREA_BEFORE.search(text[max(0, span.start - 30):span.start])
    if m:
        return 1.0 if m.group(1).lower() in _STRONG_AREA_WORDS else 0.3
    m = _AREA_AFTER.match(text[span.end:span.end + 30]) or _AREA_AFTER.match(
        _AND_NEXT.sub("", text[span.end:span.end + 60], count=1))     # "Monroe and Lincoln counties"
    if not m:
        return 0.0
    word = m.group(1).lower()
    return 1.0 if word in _STRONG_AREA_WORDS else 0.3 if word in _WEAK_AREA_WORDS else 0.4


def _like_siblings(p: Place, siblings: list) -> bool:
    """Is p an area of the kind (and, below countries, of the country) that at least half of the
    listed names most likely are? ("Texas and Georgia": Georgia the state.)"""
    if p.kind not in ("country", "admin1", "continent"):
        return False
    hits = sum(1 for c in siblings if c is not None and c.kind == p.kind
               and (p.kind != "admin1" or c.country_code == p.country_code))
    return hits * 2 >= len(siblings)


def _unanimous(siblings: list) -> bool:
    """Are two or more listed names all areas of one kind (and, below countries, of one country)?"""
    if len(siblings) < 2 or any(c is None for c in siblings):
        return False
    kinds = {(c.kind, c.country_code if c.kind == "admin1" else "") for c in siblings}
    return len(kinds) == 1 and next(iter(kinds))[0] in ("country", "admin1", "continent")


def _in_hierarchy(p: Place, neighbour_keys: set, gz) -> bool:
    for parent in (p.admin1, p.admin2):
        if parent:
            if fold(parent) in neighbour_keys or bare_name(parent) in neighbour_keys:
                return True
    if p.country_code and p.kind != "country":
        c = gz.country(p.country_code)
        if c is not None and any(c in gz.lookup_folded(k) for k in neighbour_keys):
            return True
    return False


def _inside(child: Place, area: Place) -> bool:
    """Is the child in the area by the admin hierarchy (a country, or a first-level area by name)?"""
    if child.country_code != area.country_code:
        return False
    return area.kind == "country" or fold(child.admin1) in (fold(area.name), bare_name(area.name))


def _contains_any(p: Place, children: list) -> bool:
    """Is one of the child candidates inside p by the admin hierarchy?"""
    if p.kind == "country":
        return any(c.country_code == p.country_code and c.kind != "country" for c in children)
    if p.kind in ("admin1", "admin2"):
        k = fold(p.name)
        return any(c.country_code == p.country_code and k in (fold(c.admin1), fold(c.admin2)) for c in children)
    return False


def _same_area(p: Place, others: list) -> float:
    """Co-mentioned places of the same first-level area pull a namesake there ("Paris" among Texas
    towns, "Columbia" in a story about South Carolina)."""
    if p.kind not in ("city", "admin2", "airport", "landmark") or not p.admin1:
        return 0.0
    area = fold(p.admin1)
    n = sum(1 for o in others if o.key != p.key and o.country_code == p.country_code and (
        (o.kind == "admin1" and fold(o.name) == area) or (o.kind != "admin1" and o.admin1 and fold(o.admin1) == area)))
    return 0.0 if not n else 0.4 if n == 1 else 0.6


def _coherence(p: Place, others: list) -> float:
    """Closeness to the article's other places; countries count through shared country codes. A
    province holds the towns the article names in it (Toronto for Ontario), however far its point
    is from them. Another name for this very place is no support: two names in one article are
    two places (Mecca is not a namesake of Medina)."""
    if p.kind in ("country", "continent"):
        return 0.0
    best = 0.0
    area = fold(p.name) if p.kind == "admin1" else None
    for o in others:
        if o.kind in ("country", "continent") or o.key == p.key:
            continue
        if o.kind == "admin1" and p.kind != "admin1" and o.country_code == p.country_code:
            continue          # a province's point says nothing of where in it a town lies
        if area and o.kind != "admin1" and o.country_code == p.country_code and o.admin1 and fold(o.admin1) == area:
            best = 0.6
            continue
        d = haversine_km(p.lat, p.lon, o.lat, o.lon)
        if d < 50:
            best = max(best, 0.6)
        elif d < 200:
            best = max(best, 0.4)
        elif d < 600:
            best = max(best, 0.2)
    return best
