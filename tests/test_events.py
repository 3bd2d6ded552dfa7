"""Events on a timeline: the seed article yields its gold events at the right places and dates."""
import pytest

from geo.read import iter_articles
from geo.resolve import haversine_km
from tests.conftest import SEED


@pytest.fixture(scope="module")
def seed_result(geoparser):
    (article,) = list(iter_articles([str(SEED)]))
    return geoparser.extract(article)


def _gold_place(seed_gold, name):
    return next(p for p in seed_gold["places"] if p["name"] == name)


def test_seed_yields_exactly_its_gold_events(seed_result, seed_gold):
    events = seed_result.events
    assert len(events) == len(seed_gold["events"])
    for gold in seed_gold["events"]:
        place = _gold_place(seed_gold, gold["place"])
        nearest = min(events, key=lambda e: haversine_km(e.lat, e.lon, place["lat"], place["lon"]))
        assert haversine_km(nearest.lat, nearest.lon, place["lat"], place["lon"]) <= place["within_km"], \
            f"no event at {gold['place']}"
        assert (nearest.date, nearest.precision) == (gold["date"], gold["precision"]), gold["place"]


def test_undated_town_events_fall_back_to_the_publication_date_and_say_so(seed_result):
    khojaly = next(e for e in seed_result.events if e.name == "Khojaly")
    assert khojaly.date_source == "published"
    nk = next(e for e in seed_result.events if e.name == "Nagorno-Karabakh")
    assert nk.date_source == "stated" and nk.date_text == "last September"
    assert nk.date_start_day == "2023-09-01" and nk.date_end == "2023-09-30"


def test_event_evidence_is_the_sentence_with_the_place_in_it(seed_result):
    text = seed_result.article.text
    for e in seed_result.events:
        assert text[e.mention_start:e.mention_end] in e.sentence
        assert e.sentence in text
        assert 0 < e.confidence <= 1


def test_actors_dateline_and_background_countries_are_not_events(seed_result):
    names = {e.name for e in seed_result.events}
    assert not names & {"Baku", "Moscow", "Russia", "Armenia", "Azerbaijan", "Georgia", "Abkhazia",
                        "South Ossetia", "Kalbajar"}


def test_seed_dates_in_text_are_normalised_against_the_publication_date(seed_result, seed_gold):
    found = {d.text: d for d in seed_result.dates}
    for gold in seed_gold["dates_in_text"]:
        match = [d for t, d in found.items() if gold["text"] in t]
        assert match, gold["text"]
        assert match[0].value == gold["value"] and match[0].precision == gold["precision"]


def test_extract_output_carries_dates_and_events(seed_result):
    out = seed_result.to_dict()
    assert {"start", "end", "text", "value", "precision"} <= set(out["dates"][0])
    assert {"name", "lat", "lon", "date", "date_end", "precision", "date_source", "sentence",
            "mention_start", "mention_end", "confidence"} <= set(out["events"][0])


def test_seed_withdrawals_and_handover_are_strategic_developments(seed_result):
    by_name = {e.name: e for e in seed_result.events}
    for name in ("Dadivank Monastery", "Khojaly", "Tartar", "Barda"):
        assert by_name[name].type == "strategic_development", name
        assert by_name[name].role == "reported"
    assert by_name["Nagorno-Karabakh"].role == "background"      # retaken last September: history
