"""Temporal expressions in article text (geo.dates.find_dates): what a reader of the timeline would notice."""
from datetime import date
from pathlib import Path

import pytest

from geo.dates import DateMention, find_dates

SEED = Path(__file__).resolve().parent.parent / "seeds" / "000_52b5df1d0099c1a6.txt"
SEED_ANCHOR = date(2024, 4, 17)          # "By Cavid Aga in Baku April 17, 2024"
WEDNESDAY = date(2024, 4, 17)            # a Wednesday


def found(text, anchor=WEDNESDAY):
    return {d.text: (d.value, d.precision) for d in find_dates(text, anchor)}


def only(text, anchor=WEDNESDAY):
    dates = find_dates(text, anchor)
    assert len(dates) == 1, dates
    return dates[0]


def assert_well_formed(text, dates):
    for d in dates:
        assert text[d.start:d.end] == d.text
    starts = [d.start for d in dates]
    assert starts == sorted(starts)
    for a, b in zip(dates, dates[1:]):
        assert a.end <= b.start, (a, b)


# --- the seed article ----------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def seed_dates():
    text = SEED.read_text(encoding="utf-8")
    return text, find_dates(text, SEED_ANCHOR)


def test_seed_article_dates_values_and_precisions(seed_dates):
    text, dates = seed_dates
    by_text = {d.text.removeprefix("the "): d for d in dates}
    assert by_text["April 17, 2024"].value == "2024-04-17"
    assert by_text["April 17, 2024"].precision == "day"
    assert by_text["last September"].value == "2023-09"
    assert by_text["last September"].precision == "month"
    assert by_text["November 10, 2020"].value == "2020-11-10"
    assert by_text["November 10, 2020"].precision == "day"
    assert by_text["early 1990s"].value == "1990/1993"
    assert by_text["early 1990s"].precision == "range"
    assert len(dates) == 4, dates          # nothing else in the article is a date
    assert_well_formed(text, dates)


def test_seed_date_bounds_and_dict(seed_dates):
    _, dates = seed_dates
    early_90s = next(d for d in dates if "1990s" in d.text)
    assert (early_90s.date_start, early_90s.date_end) == (date(1990, 1, 1), date(1993, 12, 31))
    september = next(d for d in dates if d.text == "last September")
    assert (september.date_start, september.date_end) == (date(2023, 9, 1), date(2023, 9, 30))
    d = dates[0].to_dict()
    assert set(d) == {"start", "end", "text", "value", "precision"}
    assert d == {"start": dates[0].start, "end": dates[0].end, "text": "April 17, 2024",
                 "value": "2024-04-17", "precision": "day"}


def test_seed_without_anchor_keeps_only_absolute_dates(seed_dates):
    text, _ = seed_dates
    assert [d.text for d in find_dates(text, None)] == ["April 17, 2024", "November 10, 2020", "the early 1990s"]


# --- relative to the publication date -----------------------------------------------------------------

def test_weekdays_are_the_last_such_day_on_or_before_the_publication_date():
    text = "Troops left Kalbajar on Wednesday. Talks were held on Monday and a convoy moved on Saturday."
    got = found(text)
    assert got["Wednesday"] == ("2024-04-17", "day")      # the publication day itself
    assert got["Monday"] == ("2024-04-15", "day")
    assert got["Saturday"] == ("2024-04-13", "day")


def test_weekday_with_a_future_verb_looks_forward():
    assert only("The ministers will meet on Friday.").value == "2024-04-19"
    assert only("Troops withdrew last Wednesday.").value == "2024-04-10"
    assert only("Talks resume next Monday.").value == "2024-04-22"


def test_yesterday_today_tomorrow():
    got = found("The convoy left yesterday; more follow today and the last ones tomorrow.")
    assert got == {"yesterday": ("2024-04-16", "day"), "today": ("2024-04-17", "day"),
                   "tomorrow": ("2024-04-18", "day")}


def test_periods_relative_to_the_publication_date():
    got = found("Fighting flared last week and earlier this month, after a lull last month. "
                "Prices rose last year and will fall this year. It began two years ago.")
    assert got["last week"] == ("2024-04-08/2024-04-14", "range")   # Monday to Sunday
    assert got["earlier this month"] == ("2024-04", "month")
    assert got["last month"] == ("2024-03", "month")
    assert got["last year"] == ("2023", "year")
    assert got["this year"] == ("2024", "year")
    assert got["two years ago"] == ("2022", "year")


def test_month_names_alone_after_a_preposition():
    assert only("The ceasefire has held since January.").value == "2024-01"
    assert only("Elections were held in May.").value == "2023-05"       # the last May before April 2024
    assert only("Elections were held in May.", date(2024, 6, 1)).value == "2024-05"
    assert only("Aid arrived in early March.").value == "2024-03-01/2024-03-11"


def test_a_month_after_another_month_runs_on_from_it():
    got = found("Fighting raged from November to February.")
    assert got == {"November": ("2023-11", "month"), "February": ("2024-02", "month")}


def test_a_date_the_story_just_gave_anchors_the_next_step():
    got = found("Troops entered the city on March 3, 2020. The next day they left.")
    assert got["The next day"] == ("2020-03-04", "day")


def test_three_months_after_a_date_is_resolved_and_vague_ones_are_not():
    d = only("They left three months after November 10, 2020.")
    assert (d.text, d.value, d.precision) == ("three months after November 10, 2020", "2021-02-10", "day")
    assert find_dates("They left three months after the fall of the city.", WEDNESDAY) == []


def test_no_anchor_drops_relative_expressions():
    text = "The deal signed on November 10, 2020 was confirmed yesterday, on Wednesday, and last September."
    assert [(d.text, d.value) for d in find_dates(text, None)] == [("November 10, 2020", "2020-11-10")]


# --- absolute expressions -----------------------------------------------------------------------------

@pytest.mark.parametrize("text, value, precision", [
    ("It was founded in 2019.", "2019", "year"),
    ("The plant closed in March 2021.", "2021-03", "month"),
    ("Sales fell by mid-2020.", "2020-05/2020-08", "range"),
    ("It expanded in late 2019.", "2019-09/2019-12", "range"),
    ("Music of the 1990s.", "1990/1999", "decade"),
    ("Profit rose in the third quarter of 2023.", "2023-07/2023-09", "quarter"),
    ("Signed on 17 April 2024 in Baku.", "2024-04-17", "day"),
    ("Filed on 2024-04-17.", "2024-04-17", "day"),
])
def test_absolute_dates(text, value, precision):
    d = only(text)
    assert (d.value, d.precision) == (value, precision)


# --- what is not a date -------------------------------------------------------------------------------

@pytest.mark.parametrize("text", [
    "Theresa May said the talks would continue.",
    "May said the talks would continue.",
    "The march on the capital lasted six weeks.",
    "The fighting lasted six weeks and 44 people were killed.",
    "Officials counted 10 trucks and 2020 people at the border.",
    "Shares rose 12 points to 1995.5 on volume of 3000 lots.",
    "The meeting began at 10:30 and ended at 2 p.m.",
    "Four of the 12 soldiers were wounded.",
    "He paid $2019 for the ticket.",
    "Bloody Sunday is remembered every year.",
    "He scored 12 points in the third quarter of the game.",
    "Flights leave each Thursday.",
])
def test_not_dates(text):
    assert find_dates(text, WEDNESDAY) == []


def test_name_may_next_to_a_real_date():
    text = "Theresa May said on Tuesday that the vote will be held in May."
    got = found(text)
    assert "Theresa May" not in " ".join(got)
    assert got["Tuesday"] == ("2024-04-16", "day")
    assert got["May"] == ("2024-05", "month")          # "will be held": the coming May


# --- shape of the result ------------------------------------------------------------------------------

def test_offsets_index_the_text_and_results_are_sorted_without_overlap():
    text = ("WASHINGTON — On Wednesday, April 17, 2024, officials said the early 1990s war, the 2020 ceasefire "
            "of November 10, 2020 and talks last week mattered. Yesterday\u2019s vote came in mid-2020 style.\n"
            "Émigrés returned in the spring of 2021 and again two years ago.")
    dates = find_dates(text, WEDNESDAY)
    assert len(dates) >= 7
    assert_well_formed(text, dates)
    full = next(d for d in dates if "April 17" in d.text)
    assert full.text == "Wednesday, April 17, 2024" and full.value == "2024-04-17"


def test_empty_and_dateless_text():
    assert find_dates("", WEDNESDAY) == []
    assert find_dates("No dates here at all.", WEDNESDAY) == []


def test_anchor_may_be_a_datetime_or_iso_string():
    from datetime import datetime
    assert only("It happened yesterday.", datetime(2024, 4, 17, 9, 30)).value == "2024-04-16"
    assert only("It happened yesterday.", "2024-04-17").value == "2024-04-16"


def test_date_mention_is_a_value():
    d = DateMention(0, 4, "2023", "2023", "year")
    assert (d.date_start, d.date_end) == (date(2023, 1, 1), date(2023, 12, 31))


def test_coordinated_centuries_are_one_range_from_the_first_to_the_end_of_the_second():
    assert found("a colonial policy during the 19th and early 20th centuries.") == {
        "the 19th and early 20th centuries": ("1800/1933", "range")}
    assert found("between the eighteenth and nineteenth centuries") == {
        "the eighteenth and nineteenth centuries": ("1700/1899", "range")}
    # a century in words alone is found too (no digit to pre-scan for)
    assert found("in the eighteenth century") == {"the eighteenth century": ("1700/1799", "range")}
