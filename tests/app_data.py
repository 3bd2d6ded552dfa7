"""A small store of typed events for the app's tests, written through `Store.add` with explicit
type, role, date, actors and trigger (ArticleResult.to_dict()-shaped dicts), so the tests do not
depend on what the NLP currently extracts.

    build_store(path) -> {name: [event dicts as Store.events() returns them]}

What it holds (all reported in March 2024 unless said otherwise):
* the Sibi attack (explosion_remote_violence), reported by three articles: one incident;
* a protest in Quetta (in the third Sibi article) and one in Kharkiv (actor "Hundreds of people");
* a background battle at Izium in September 2022 (in the Kharkiv article);
* Lviv (a fire typed "other"), Odesa, Washington (a metonymy: "not an event") and "Tripoli",
  mentioned in two articles and placed in Libya, with Tripoli, Lebanon as the alternative.
"""
from __future__ import annotations

from pathlib import Path

SIBI = {"name": "Sibi", "lat": 29.5430, "lon": 67.8773, "country_code": "PK", "kind": "city",
        "place_key": "gn:1164909"}
TRIPOLI_LY = {"name": "Tripoli", "lat": 32.8925, "lon": 13.1800, "country_code": "LY", "kind": "city",
              "place_key": "gn:2210247"}
TRIPOLI_LB = {"name": "Tripoli", "lat": 34.4367, "lon": 35.8497, "country_code": "LB", "kind": "city",
              "place_key": "gn:266826", "score": 0.31}


def _event(text: str, place: dict, said: str, trigger: str, *, type: str, date: str, date_text=None,
           role: str = "reported", actors=(), precision: str = "day", date_source: str = "stated",
           alternatives=(), occurrence: int = 0) -> dict:
    """An event at the `occurrence`-th appearance of `said` in `text`, in its sentence."""
    start = -1
    for _ in range(occurrence + 1):
        start = text.index(said, start + 1)
    end = start + len(said)
    s0 = text.rfind("\n", 0, start) + 1
    s1 = text.find("\n", end)
    s1 = len(text) if s1 < 0 else s1
    t0 = text.index(trigger, s0)
    place = {k: v for k, v in place.items() if k != "score"}
    return {**place, "mention_start": start, "mention_end": end, "sentence": text[s0:s1].strip(),
            "sentence_start": s0, "date": date, "date_end": None, "precision": precision,
            "date_source": date_source, "date_text": date_text, "confidence": 0.8, "type": type,
            "role": role, "actors": list(actors), "trigger": {"start": t0, "end": t0 + len(trigger), "text": trigger},
            "alternatives": [dict(a) for a in alternatives]}


def _article(aid: str, title: str, published: str, url, text: str, events: list) -> dict:
    return {"id": aid, "title": title, "published": published, "published_source": "metadata", "url": url,
            "text": text, "mentions": [], "dates": [], "events": events}


def articles() -> list[dict]:
    out = []
    t = "A suicide bomber attacked an election rally in Sibi on 5 March 2024, killing five people."
    out.append(_article("sibi-1", "Bomb attack at Sibi rally", "2024-03-05", "https://news.example.org/sibi-1", t,
                        [_event(t, SIBI, "Sibi", "attacked", type="explosion_remote_violence", date="2024-03-05",
                                date_text="on 5 March 2024", actors=["suicide bomber"])]))
    t = "An explosion in Sibi killed five people at an election rally on Tuesday, officials said."
    out.append(_article("sibi-2", "Five killed in Sibi blast", "2024-03-06", "https://other.example.com/pk/blast", t,
                        [_event(t, SIBI, "Sibi", "explosion", type="explosion_remote_violence", date="2024-03-05",
                                date_text="on Tuesday")]))
    t = ("Police said the blast in Sibi on 5 March targeted supporters of a candidate.\n"
         "Protesters gathered in Quetta on 7 March 2024 to demand better security.")
    out.append(_article("sibi-3", "Balochistan after the Sibi bombing", "2024-03-08", None, t,
                        [_event(t, SIBI, "Sibi", "blast", type="explosion_remote_violence", date="2024-03-05",
                                date_text="on 5 March"),
                         _event(t, {"name": "Quetta", "lat": 30.1841, "lon": 67.0014, "country_code": "PK",
                                    "kind": "city", "place_key": "gn:1167528"}, "Quetta", "gathered",
                                type="protest", date="2024-03-07", date_text="on 7 March 2024",
                                actors=["Protesters"])]))
    t = ("Hundreds of people protested in Kharkiv on 10 March 2024 against the new law.\n"
         "Ukrainian forces retook Izium on 10 September 2022.")
    out.append(_article("kharkiv", "Protest in Kharkiv", "2024-03-11", "https://news.example.org/kharkiv", t,
                        [_event(t, {"name": "Kharkiv", "lat": 49.9935, "lon": 36.2304, "country_code": "UA",
                                    "kind": "city", "place_key": "gn:706483"}, "Kharkiv", "protested",
                                type="protest", date="2024-03-10", date_text="on 10 March 2024",
                                actors=["Hundreds of people"]),
                         _event(t, {"name": "Izium", "lat": 49.2128, "lon": 37.2569, "country_code": "UA",
                                    "kind": "city", "place_key": "gn:707308"}, "Izium", "retook",
                                type="battle", role="background", date="2022-09-10",
                                date_text="on 10 September 2022", actors=["Ukrainian forces"])]))
    t = ("A fire broke out in a warehouse in Lviv on 12 March 2024.\n"
         "Officials in Washington said on 12 March 2024 that they were watching closely.\n"
         "Talks were held in Odesa on 14 March 2024.")
    out.append(_article("lviv", "Fire in Lviv", "2024-03-14", "https://news.example.org/lviv", t,
                        [_event(t, {"name": "Lviv", "lat": 49.8397, "lon": 24.0297, "country_code": "UA",
                                    "kind": "city", "place_key": "gn:702550"}, "Lviv", "broke out",
                                type="other", date="2024-03-12", date_text="on 12 March 2024"),
                         _event(t, {"name": "Washington", "lat": 38.8951, "lon": -77.0364, "country_code": "US",
                                    "kind": "city", "place_key": "gn:4140963"}, "Washington", "said",
                                type="political", date="2024-03-12", date_text="on 12 March 2024",
                                actors=["Officials"]),
                         _event(t, {"name": "Odesa", "lat": 46.4775, "lon": 30.7326, "country_code": "UA",
                                    "kind": "city", "place_key": "gn:698740"}, "Odesa", "held",
                                type="political", date="2024-03-14", date_text="on 14 March 2024")]))
    for i, (day, what) in enumerate((("2024-03-09", "clashed"), ("2024-03-13", "marched"))):
        t = f"Militia fighters {what} in Tripoli on {int(day[-2:])} March 2024, residents said."
        out.append(_article(f"tripoli-{i}", f"Tripoli report {i + 1}", day, None, t,
                            [_event(t, TRIPOLI_LY, "Tripoli", what, type="battle" if i == 0 else "protest", date=day,
                                    date_text=f"on {int(day[-2:])} March 2024", actors=["Militia fighters"],
                                    alternatives=[TRIPOLI_LY | {"score": 0.62}, TRIPOLI_LB])]))
    return out


def build_store(path) -> dict:
    """Add `articles()` to the store at `path`; returns the stored events by place name."""
    from geo.store import Store
    with Store.open(Path(path)) as s:
        for a in articles():
            outcome = s.add(a)
            assert outcome.status == "added", outcome
        events = s.events(include_hidden=True)
    by_name: dict = {}
    for e in events:
        by_name.setdefault(e["name"], []).append(e)
    return by_name


UKRAINE = {"name": "Ukraine", "lat": 49.0, "lon": 32.0, "country_code": "UA", "kind": "country",
           "place_key": "country:UA"}       # the gazetteer's key of a country
N_ALL_WITH_COUNTRY, N_REPORTED_WITH_COUNTRY = 12, 11     # build_store's events and one country-wide event


def build_store_with_a_country_event(path) -> dict:
    """`build_store` plus one country-wide event (Ukraine's parliament passing a law): an area on the
    map with a town pin (Kharkiv) inside it. Returns the events by place name, as `build_store`."""
    from geo.store import Store
    by_name = build_store(path)
    text = "Ukraine's parliament passed a law on mobilisation on 8 March 2024."
    with Store.open(path) as store:
        store.add(_article("ua-law", "Ukraine passes mobilisation law", "2024-03-08", None, text,
                           [_event(text, UKRAINE, "Ukraine", "passed", type="legal", date="2024-03-08")]))
        by_name["Ukraine"] = [e for e in store.events() if e["name"] == "Ukraine"]
    return by_name
