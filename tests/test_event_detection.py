"""Event detection: a pin only where the sentence says something happened there, typed, with its actors,
the words that dated it and whether it is news or background (issue 9)."""
import pytest

from geo.pipeline import default_geoparser
from geo.types import Article
from geo.events import EVENT_TYPES

PUBLISHED = "2025-03-12"          # a Wednesday


@pytest.fixture(scope="module")
def parser():
    gp = default_geoparser()
    if gp.recogniser.nlp is None:
        pytest.skip("the spaCy model is not installed")
    return gp


def events_of(parser, text, published=PUBLISHED, title=""):
    return parser.extract(Article(id="t", text=text, title=title, published=published)).events


def only(parser, text, **kw):
    evs = events_of(parser, text, **kw)
    assert len(evs) == 1, [(e.name, e.date, e.type) for e in evs]
    return evs[0]


def test_lead_sentence_alone_is_an_event(parser):
    ev = only(parser, "Protesters gathered in Kharkiv on Sunday.")
    assert ev.name == "Kharkiv" and ev.date == "2025-03-09" and ev.type == "protest"
    assert "Protesters" in ev.actors
    assert ev.trigger["text"] == "gathered"


def test_lead_after_a_byline_is_an_event(parser):
    ev = only(parser, "By Jane Doe\nProtesters gathered in Kharkiv on Sunday.", title="Kharkiv rally")
    assert ev.name == "Kharkiv" and ev.type == "protest"


def test_trigger_span_indexes_the_text(parser):
    text = "Earlier this month, a suicide bomber detonated explosives at a market in Quetta, killing 12 people."
    ev = only(parser, text)
    t = ev.trigger
    assert text[t["start"]:t["end"]] == t["text"] == "detonated"
    assert ev.type == "explosion_remote_violence"


def test_earlier_this_month_is_a_month(parser):
    ev = only(parser, "Earlier this month, a suicide bomber detonated explosives at a market in Quetta.")
    assert ev.date == "2025-03" and ev.precision == "month"
    assert ev.date_text == "Earlier this month" and ev.date_source == "stated"


def test_origin_and_destination_are_not_event_places(parser):
    ev = only(parser, "The train was traveling from Quetta to Peshawar when it came under attack near Sibi on Tuesday.")
    assert ev.name == "Sibi" and ev.date == "2025-03-11"
    assert ev.type in ("violence_against_civilians", "battle")


@pytest.mark.parametrize("text", [
    "Iraqi officials said the talks would resume.",
    "A New York-based analyst said the report was wrong.",
    "Washington denies the report.",
    "Russia has not agreed to the ceasefire.",
    "The town lies about 300 kilometers north of Mogadishu.",
    "If Britain imposes restrictions, the trade will collapse.",
])
def test_mentions_that_are_not_happenings_give_no_event(parser, text):
    assert events_of(parser, text) == []


def test_a_topic_is_no_place_but_a_body_with_a_seat_places_its_session(parser):
    # "a meeting on Afghanistan" is a topic; the Security Council sits at UN Headquarters (guideline P6)
    evs = events_of(parser, "Speaking at a Security Council meeting on Afghanistan, the envoy urged restraint.")
    assert [(e.name, e.kind, e.type) for e in evs] == [("United Nations Headquarters", "landmark", "political")]
    ev = only(parser, "Catherine Russell, UNICEF's executive director, told a meeting of the U.N. Security Council "
                      "on Tuesday that children were dying.")
    assert ev.name == "United Nations Headquarters" and ev.date == "2025-03-11"
    assert ev.trigger["text"] == "meeting"


def test_a_locative_after_the_reported_clause_does_not_place_the_statement(parser):
    # the parser hangs "at the U.N. Security Council" on "telling"; it belongs to the clause it follows
    evs = events_of(parser, "Dodik rejected the warrant, telling journalists in Banja Luka on Wednesday that he "
                            "would ask Russia to veto an extension of the force, at the U.N. Security Council.")
    assert [e.name for e in evs] == ["Banja Luka"]


def test_a_single_letter_before_a_sentence_opener_ends_the_sentence(parser):
    # "on X." is the platform, not an initial: the talks are dated by their own sentence, not "Wednesday"
    evs = events_of(parser, "Zelenskyy wrote Wednesday in a post on the social media platform X. "
                            "The G7 talks in Charlevoix, Quebec, brought together ministers from seven countries.",
                    published="2025-03-14")
    assert [(e.date, e.date_source) for e in evs] == [("2025-03-14", "published")]


def test_an_undated_verb_outside_the_lexicon_takes_the_publication_day_when_it_says_what_happened(parser):
    ev = only(parser, "Meanwhile, in Washington, three members of the U.S. Senate led a group of lawmakers in "
                      "calling on the secretary of state to prevent further deterioration.")
    assert ev.name == "Washington" and ev.date == PUBLISHED and ev.date_source == "published"
    assert ev.type == "political"
    # one that says nothing typed stays out
    assert events_of(parser, "You know, there are energy companies doing business in Iraq right now.") == []


def test_a_tally_over_a_stretch_of_time_is_no_event(parser):
    assert events_of(parser, "In the last 15 months, 1,250 terrorists from various groups have been killed in "
                             "Pakistan, along with 563 security personnel, the minister said.") == []
    # the same verb on one dated happening is one
    ev = only(parser, "Twelve soldiers were killed in Pakistan on Tuesday.")
    assert ev.name == "Pakistan" and ev.date == "2025-03-11"


def test_measures_aimed_at_other_countries_place_nothing(parser):
    assert events_of(parser, "Canada imposed tariffs on American steel on Tuesday.") == []
    ev = only(parser, "Botswana lifted its hunting ban on Tuesday.")
    assert ev.name == "Botswana" and ev.type in ("political", "legal")


def test_an_arrival_after_which_something_would_happen_is_not_yet_an_event(parser):
    evs = events_of(parser, "Rubio told reporters on Friday that officials would convene this weekend after "
                            "Witkoff returns to Washington.", published="2025-03-14")
    assert evs == []


def test_an_undated_mention_of_a_country_restates_the_dated_happening_inside_it(parser):
    evs = events_of(parser, "Rubio met Saudi officials in Jeddah on Monday. He held talks with Ukrainian "
                            "officials in Jeddah on Tuesday. This marks Rubio's second visit to Saudi Arabia.")
    assert {e.name for e in evs} == {"Jeddah"}


def test_a_journey_completed_to_a_port_is_an_arrival_there(parser):
    ev = only(parser, "The cargo ship Golbon completed a 19-day journey to the Iranian port of Bandar Abbas "
                      "on Feb. 13.", published="2025-03-13")
    assert ev.name == "Bandar Abbas" and ev.date == "2025-02-13"


def test_handing_something_to_people_somewhere_happens_there(parser):
    ev = only(parser, "The World Food Program on Thursday distributed relief items to affected people in "
                      "Mulanje district.", published="2025-03-13")
    assert ev.name == "Mulanje" and ev.date == "2025-03-13" and ev.date_source == "stated"
    # an accusation of support, undated and untyped, places nothing
    assert events_of(parser, "Officials accused India of providing support to militants in Afghanistan.") == []


def test_history_is_background_and_news_is_reported(parser):
    evs = events_of(parser, "Floods killed 30 people in Sindh province last week. "
                            "Floods also killed hundreds of people in Sindh in 2010.")
    roles = {e.date: e.role for e in evs}
    assert roles.get("2010") == "background"
    assert any(r == "reported" for d, r in roles.items() if d != "2010")


def test_scheduled_meeting_is_reported_with_a_future_date(parser):
    ev = only(parser, "Leaders will meet Friday in Paris to discuss the ceasefire.")
    assert ev.date == "2025-03-14" and ev.role == "reported" and ev.type == "political"


def test_undated_future_is_not_an_event(parser):
    assert events_of(parser, "The minister will visit Paris soon.") == []


def test_arrest_is_a_strategic_development_with_actors(parser):
    ev = only(parser, "Police arrested 20 protesters in Lahore on Monday.")
    assert ev.type == "strategic_development" and ev.date == "2025-03-10"
    assert ev.actors[0] == "Police"


def test_one_happening_at_a_town_and_its_province_is_one_event(parser):
    evs = events_of(parser, "Militants attacked a passenger train near Sibi on Tuesday. "
                            "The attack on the train in Balochistan province killed 21 passengers.")
    assert [e.name for e in evs] == ["Sibi"]


def test_a_dateline_place_hosts_the_leads_happening(parser):
    ev = only(parser, "KHARKIV, Ukraine — Russian missiles struck the city on Sunday, killing four people.")
    assert ev.name == "Kharkiv" and ev.type == "explosion_remote_violence"


def test_every_event_has_a_known_type_and_role(parser):
    text = open("seeds/000_52b5df1d0099c1a6.txt", encoding="utf-8").read()
    evs = parser.extract(Article(id="seed", text=text, published="2024-04-17")).events
    assert evs and all(e.type in EVENT_TYPES and e.role in ("reported", "background") for e in evs)


@pytest.mark.parametrize("text, published, expected", [
    ("Georgia holds the presidential election in November, officials in Tbilisi said.", "2024-10-10", "2024-11"),
    ("Candidates campaigned in Tbilisi ahead of the presidential election in November.", "2024-10-10", "2024-11"),
    ("The court rules Wednesday on the appeal in Islamabad.", "2025-03-10", "2025-03-12"),
    ("Leaders met Friday in Paris.", "2024-10-10", "2024-10-04"),
])
def test_a_bare_weekday_or_month_follows_the_verbs_tense(parser, text, published, expected):
    ev = only(parser, text, published=published)
    assert ev.date == expected and ev.role == "reported"


def test_this_year_is_a_year_not_its_last_day(parser):
    ev = only(parser, "This year, floods killed 40 people in Sindh province.")
    assert ev.date == "2025" and ev.precision == "year" and ev.role == "reported"


def test_a_one_line_file_is_read_as_its_lead_not_only_its_title(parser, tmp_path):
    from geo.read import iter_articles
    path = tmp_path / "kharkiv.txt"
    path.write_text("Protesters gathered in Kharkiv on Sunday.\n", encoding="utf-8")
    (article,) = list(iter_articles([str(path)]))
    assert article.title == "Protesters gathered in Kharkiv on Sunday."     # the reader's guess at a title
    (ev,) = parser.extract(article).events
    assert ev.name == "Kharkiv" and ev.type == "protest"


def test_militants_taking_over_a_train_is_a_hijacking_and_its_origin_is_no_event(parser):
    ev = only(parser, "Militants took over a passenger train near Sibi on Tuesday, hours after it left Quetta.")
    assert ev.name == "Sibi" and ev.type == "violence_against_civilians" and ev.date == "2025-03-11"


def test_militants_taking_over_a_town_is_a_battle(parser):
    ev = only(parser, "Militants took over the town of Sibi on Tuesday.")
    assert ev.type == "battle"
