"""Event triggers: the words that say something happened, and the event type they signal.

A trigger is a verb or a noun ("attacked", "the attack", "airstrikes", "talks"). Words are looked up by
lemma (the spaCy model's own rule lemmatizer where a parse is available, else a cheap suffix strip),
so one entry covers every inflection. The types follow ACLED's six violent/demonstration/strategic
types plus political, legal, disaster_accident, economic and other; a few generic triggers (attack,
kill, strike, operation) take their type from the words around them (explosives → remote violence,
armed participants → battle, civilian targets → violence against civilians).
"""
from __future__ import annotations

import re
from typing import Iterable, Optional

EVENT_TYPES = ("battle", "explosion_remote_violence", "violence_against_civilians", "protest", "riot",
               "strategic_development", "political", "legal", "disaster_accident", "economic", "other")

# lemma -> type. "violence" is resolved by context (see classify).
_LEXICON: dict[str, str] = {}


def _add(kind: str, words: str) -> None:
    for w in words.split():
        _LEXICON.setdefault(w.replace("_", " "), kind)


_add("explosion_remote_violence", "airstrike air_strike bomb bombing bombard bombardment shell shelling explosion "
     "explode blast detonate detonation missile rocket drone mortar grenade ied landmine mine_blast "
     "suicide_bombing car_bomb")
_add("battle", "clash fight fighting battle offensive ambush gunfight firefight siege skirmish repel "
     "retake recapture counteroffensive counterattack assault incursion raid")
_add("violence_against_civilians", "massacre execute execution abduct abduction kidnap kidnapping hijack "
     "hijacking hostage rape torture behead lynch brutalize slaughter")
_add("violence", "attack kill strike shoot shooting gun_down murder wound injure storm target")
_add("protest", "protest demonstrate demonstration rally march sit-in picket boycott walkout")
_add("riot", "riot loot looting vandalize torch mob")
_add("strategic_development", "arrest detain detention capture withdraw withdrawal deploy deployment "
     "redeploy dispatch reinforce reinforcement handover hand_over dismantle coup seize takeover "
     "patrol surrender recruit evacuate evacuation mobilize mobilise pull_out relocate dock "
     "depart departure sail arrive arrival land leave exit enter ceasefire truce release free rescue")
_add("political", "meet meeting talk talks visit summit conference vote election elect sign agree "
     "agreement speak address host convene negotiate negotiation adopt approve ratify inaugurate "
     "inauguration swear resign appoint nominate campaign gather discussion discuss pledge join "
     "celebration celebrate ceremony parade welcome announce tell urge session debate "
     "referendum impeach dissolve ban outlaw legalize legalise abolish lift_ban reshuffle accord treaty deal unveil launch trip tour hearing_session")
_add("legal", "rule ruling sentence convict conviction charge trial adjourn indict indictment "
     "acquit prosecute prosecution warrant sue lawsuit verdict jail imprison appeal testify hearing")
_add("disaster_accident", "flood flooding cyclone windstorm hurricane typhoon tornado earthquake quake tremor "
     "landslide mudslide fire wildfire blaze crash collide collision derail derailment sink capsize "
     "drown drought eruption erupt rain rainfall accident collapse outbreak epidemic batter lash "
     "landfall heatwave avalanche tsunami spill leak")
_add("economic", "trade tariff export import invest investment selloff sell-off sale sell buy purchase "
     "revenue auction production produce price stock_market strike_deal shipment ship load unload "
     "cargo hunt hunting fishing mining")
_add("other", "take_place occur happen discover discovery find excavation excavate dig open reopen close emergency festival "
     "exhibition concert funeral")

# Verbs that report speech or thought: they place nothing unless a locative hangs on them (rule P2).
SPEECH = set("say tell state claim report add note announce insist deny accuse warn allege write post "
             "confirm believe think explain describe argue suggest reiterate acknowledge admit "
             "comment respond reply stress emphasize urge ask call blame condemn praise welcome".split())
# States, not happenings: "is based in", "has been home to", "lives in".
STATIVE = set("be have base live remain stay reside locate situate hold_back belong contain include "
              "border lie own know seem appear become represent consider".split())
# Verbs whose object is the place where it happens ("attacked Kharkiv", "visited Paris", "left China").
PLACE_OBJECT = set("attack strike hit bomb shell storm raid invade capture seize take retake recapture "
                   "liberate visit tour leave depart enter reach cross batter lash ravage devastate flood "
                   "rock hit host besiege encircle surround overrun occupy evacuate".split())
# Verbs and nouns for which a destination ("to X") is where it happens.
TO_IS_WHERE = set("visit trip tour deploy deployment send dispatch return arrival arrive mission "
                  "redeploy".split())
# Journeys whose destination is where the news happens only when the journey itself is dated
# ("is scheduled to travel to Canada on Wednesday", not "traveling … to Peshawar, when it came under attack").
TRAVEL = set("travel fly head go sail".split())
# Acts of state: a country as subject is where it happens (rule P5).
# Happenings that a country or region before the noun places rather than performs ("Japan's election",
# "Mauritius's National Day celebrations", "the Sindh floods").
PLACE_SCOPED = set("election vote referendum celebration ceremony parade festival flood flooding earthquake "
                   "quake cyclone windstorm drought wildfire protest demonstration riot unrest census "
                   "outbreak epidemic summit".split())
# Light verbs: the happening is their object ("carried out airstrikes", "held talks", "staged a protest").
LIGHT = set("carry_out conduct hold launch stage make take lead mount give organize organise lay".split())
# Verbs that only say "it happened": their subject says what ("the departure … took place").
HAPPEN = {"take place", "occur", "happen", "unfold", "continue", "begin", "start", "end"}
STATE_ACTS = set("adopt sign ratify ban lift impose join withdraw leave hold elect vote approve pass "
                 "legalize legalise outlaw abolish".split())

_EXPLOSIVE = re.compile(r"\b(?:air\s?strikes?|air raids?|bomb\w*|blasts?|explosi\w+|explod\w+|detonat\w+|"
                        r"missiles?|rockets?|drones?|shell(?:s|ing|ed)|mortars?|grenades?|IEDs?|"
                        r"suicide|roadside|artillery)\b", re.I)
_GUNS = re.compile(r"\b(?:guns?|gunmen|gunfire|gunfight|shoot\w*|shot|rifles?|firing|opened fire)\b", re.I)
_NON_STATE = re.compile(r"\b(?:militants?|gunmen|insurgents?|rebels?|separatists?|attackers?|terrorists?|"
                        r"jihadists?|extremists?|fighters?|hijackers?|kidnappers?)\b", re.I)
_TERRITORY = re.compile(r"\b(?:towns?|city|cities|villages?|bases?|territory|district|area|region|province|"
                        r"checkpoints?|posts?|outposts?|airport|border crossing)\b", re.I)
_CIVILIAN = re.compile(r"\b(?:civilians?|passengers?|hostages?|villagers?|residents?|worshippers?|"
                       r"students?|children|women|journalists?|pilgrims?|shoppers?|travell?ers|"
                       r"commuters|farmers|miners|patients|refugees|train|bus|market|mosque|church|school|"
                       r"hospital|wedding|protesters?|aid workers?)\b", re.I)
_ARMED = re.compile(r"\b(?:forces|troops|soldiers?|army|military|militants?|insurgents?|rebels?|fighters?|"
                    r"police(?:men)?|security|gunmen|attackers|jihadists?|militias?|paramilitar\w+|"
                    r"guards?|convoy|checkpoint|post|base|battalion|brigade|commanders?|al-Shabab|contingents?|peacekeep\w*|"
                    r"Islamic State|IS|Taliban|BLA)\b")
_DISASTER_CUE = re.compile(r"\b(?:cyclone|storm|hurricane|typhoon|flood\w*|earthquake|quake|rains?|winds?|"
                           r"landslides?|fire|blaze|wildfire|tornado)\b", re.I)
_PROTEST_CUE = re.compile(r"\b(?:protesters?|demonstrators?|marchers|rally|activists|crowds?)\b", re.I)


def lemma_of(word: str) -> str:
    """A cheap lemma for when no parse is available: lower case, common inflections stripped."""
    w = word.lower()
    if w in _LEXICON:
        return w
    for suffix, repl in (("ies", "y"), ("ied", "y"), ("ing", ""), ("ed", ""), ("es", ""), ("s", ""),
                         ("ing", "e"), ("ed", "e"), ("d", "")):
        if w.endswith(suffix) and len(w) - len(suffix) >= 3:
            cand = w[: len(w) - len(suffix)] + repl
            if cand in _LEXICON:
                return cand
            if len(cand) > 3 and cand[-1] == cand[-2] and cand[:-1] in _LEXICON:   # "shelled" → "shell"
                return cand[:-1]
    return w


def trigger_type(lemma: str) -> Optional[str]:
    """The lexicon's type for a lemma ("violence" = decided by context), or None if it is no trigger."""
    return _LEXICON.get(lemma.lower())


def is_trigger(lemma: str) -> bool:
    return lemma.lower() in _LEXICON


def classify(lemma: str, context: str, participants: Iterable[str] = (), sentence: Optional[str] = None) -> str:
    """The event type of a trigger, given its clause (`context`), its actor phrases and its sentence.

    How a deed was done (explosives) and to whom (civilians, armed men) is read in the trigger's own
    clause; who is moving (troops, a warship, a cargo ship) anywhere in the sentence."""
    base = trigger_type(lemma) or "other"
    people = " ".join(participants)
    wide = f"{sentence or context} {people}"
    # explosives decide the type only when they are the means: "a bomb and gun attack" is an assault
    remote = _EXPLOSIVE.search(context) and not _GUNS.search(context)
    if base in ("violence", "battle", "strategic_development") and lemma in ("strike", "attack", "hit", "kill",
                                                                           "target", "raid", "assault"):
        if remote:
            return "explosion_remote_violence"
    if base == "violence":
        if _DISASTER_CUE.search(people) and lemma in ("strike", "hit", "kill"):
            return "disaster_accident"
        if remote and lemma in ("kill", "wound", "injure", "target"):
            return "explosion_remote_violence"
        civil = _CIVILIAN.search(context)
        armed = len(set(m.group().lower() for m in _ARMED.finditer(context)))
        if civil and armed <= 1:
            return "violence_against_civilians"
        if armed >= 1:
            return "battle"
        return "violence_against_civilians" if civil else "battle"
    if lemma == "seize" and _NON_STATE.search(people):
        # militants taking over a town or base fight for territory; taking over a train, a bus or a hotel
        # is a hijacking (ACLED: violence against civilians)
        return "battle" if _TERRITORY.search(people) else "violence_against_civilians"
    if lemma in ("leave", "cause", "hit", "affect", "damage", "destroy", "sweep", "slam") and _DISASTER_CUE.search(context):
        return "disaster_accident"                      # "Cyclone Jude … leaving widespread damage"
    if base == "political" and lemma in ("visit", "call", "tour") and re.search(
            r"\b(?:warships?|navy|naval|frigates?|destroyers?|carriers?|submarines?|troops|battalions?)\b", wide, re.I):
        return "strategic_development"                 # a warship's port call, a troop visit
    if base == "political" and lemma in ("gather", "march") and _PROTEST_CUE.search(people or context):
        return "protest"
    if base == "strategic_development" and lemma in ("arrive", "arrival", "depart", "departure", "leave",
                                                     "sail", "dock", "enter", "exit", "dispatch", "land"):
        if lemma == "land" and not _ARMED.search(_TRANSPORT.sub(" ", wide)):
            return "other" if re.search(r"\b(?:cargo|freight|aid|relief)\b", wide, re.I) else "political"
        if re.search(r"\b(?:cargo|freighter|tanker|container|merchant)\b", wide, re.I):
            return "economic"                                 # a cargo ship's voyage is trade
        if lemma == "dispatch" and participants and not _ARMED.search(people):
            return "other"                                    # coffins, aid, relief: what is sent decides
        if lemma in ("arrive", "arrival", "depart", "departure", "leave", "land") and participants \
                and not _ARMED.search(people) and not _VESSEL.search(people) and _PERSON_NAME.search(people):
            return "political"                                # an official's journey is part of a visit
        if not _ARMED.search(wide) and not re.search(r"\b(?:warships?|peacekeepers?|navy|naval|fleet|"
                                                     r"carrier|frigate|destroyer)\b", wide, re.I):
            return "other"
    if base == "strategic_development" and lemma in ("rescue", "release", "free", "evacuate", "evacuation"):
        if _ARMED.search(context):
            return "battle" if re.search(r"\b(?:operation|clearance|fight\w*)\b", context, re.I) else base
    if base == "economic" and lemma in ("ship", "load", "cargo", "shipment") and _ARMED.search(wide):
        return "strategic_development"
    return base if base != "violence" else "battle"


# "aboard a military plane": how someone travelled, not who
_TRANSPORT = re.compile(r"\bmilitary\s+(?:planes?|aircraft|jets?|flights?|transports?)\b", re.I)
_VESSEL = re.compile(r"\b(?:ships?|vessels?|warships?|boats?|tankers?|freighters?|planes?|aircraft|jets?|"
                     r"flights?|trains?|convoys?)\b", re.I)
_PERSON_NAME = re.compile(r"^[A-Z][a-z]+(?:\s+[A-Z][a-z]+)*$|\b(?:Mr|Mrs|Ms|Dr)\.?\s")


_POLITICAL_ACTORS = re.compile(r"\b(?:president|minister|senat\w*|congress\w*|lawmakers?|parliament\w*|"
                               r"diplomats?|ambassadors?|envoys?|government|leaders?|officials?|secretary|"
                               r"prime|chancellor|delegation|members)\b", re.I)


_DISASTER_WORDS = re.compile(r"\b(?:cyclones?|storms?|hurricanes?|typhoons?|floods?|flooding|earthquakes?|"
                             r"quakes?|landslides?|wildfires?|tornado\w*|tsunamis?|droughts?|heavy rains?)\b", re.I)


def default_type(actors: list, context: str, lemma: str = "") -> str:
    """A happening told with a verb we have no type for: a disaster when the sentence is about one,
    political when politicians do it or when it is something said somewhere (a speech, a press
    question: ACLED and the VOA guidelines file speeches under political)."""
    if _DISASTER_WORDS.search(context):
        return "disaster_accident"
    if lemma in SPEECH:
        return "political"
    return "political" if _POLITICAL_ACTORS.search(" ".join(actors)) else "other"
