"""The seed article: every place a careful reader maps, on the right spot, and none of the traps."""
import pytest

from geo.read import iter_articles
from geo.resolve import haversine_km
from tests.conftest import SEED


@pytest.fixture(scope="module")
def seed_mentions(geoparser, seed_text):
    return [m for m in geoparser.geoparse(seed_text) if m.place is not None]


def _mentions_of(mentions, surface):
    return [m for m in mentions if m.span.text == surface]


def test_every_gold_place_is_found_within_its_tolerance(seed_mentions, seed_gold):
    for gold in seed_gold["places"]:
        found = _mentions_of(seed_mentions, gold["surface"])
        assert found, f"{gold['surface']} not recognised"
        for m in found:
            d = haversine_km(m.place.lat, m.place.lon, gold["lat"], gold["lon"])
            assert d <= gold["within_km"], f"{gold['surface']} placed at {m.place.name} {m.place.country_code}, {d:.0f} km off"


def test_towns_carry_their_geonames_ids(seed_mentions, seed_gold):
    for gold in seed_gold["places"]:
        if gold.get("geonameid") and gold["surface"] not in ("Barda", "Tartar"):  # "districts": town or rayon
            ids = {m.place.geonameid for m in _mentions_of(seed_mentions, gold["surface"])}
            assert gold["geonameid"] in ids, gold["surface"]


def test_traps_are_avoided(seed_mentions):
    countries = {m.span.text: m.place.country_code for m in seed_mentions}
    assert countries["Barda"] == "AZ"          # not Barda, Perm Krai
    assert countries["Georgian"] == "GE"       # not the US state
    assert countries["Armenia"] == "AM"        # not Armenia, Quindío
    assert all(m.place.country_code != "CO" for m in seed_mentions)


def test_offsets_index_the_text_exactly(seed_mentions, seed_text):
    for m in seed_mentions:
        assert seed_text[m.span.start:m.span.end] == m.span.text


def test_demonym_alone_is_a_qualifier_not_an_event_place(seed_mentions, seed_text):
    # "Azerbaijani police", "Azerbaijani Press Agency": the country, named to qualify someone; the
    # article view shows it, no event is placed on it
    demonyms = [m for m in seed_mentions if m.span.text == "Azerbaijani"]
    assert demonyms
    for m in demonyms:
        following = seed_text[m.span.end:m.span.end + 12].split()[0]
        assert m.place.country_code == "AZ"
        assert m.span.qualifier == (following not in ("territories", "territory")), following


def test_every_mention_keeps_a_score_and_ranked_alternatives(seed_mentions):
    barda = _mentions_of(seed_mentions, "Barda")[0]
    assert 0 < barda.score <= 1
    assert any(a.place.country_code == "RU" for a in barda.alternatives)
    scores = [a.score for a in barda.alternatives]
    assert scores == sorted(scores, reverse=True)


def test_publication_date_comes_from_the_byline(seed_gold):
    (article,) = list(iter_articles([str(SEED)]))
    assert article.published == seed_gold["published"]
    assert article.published_source == "byline"
