"""Dates in articles: for now the publication date, from metadata or from a byline/dateline.

This module will grow into the temporal-expression step of the pipeline
(read → recognise → resolve → date → events): finding and normalising every
date an article mentions. Today it offers the two pieces the reader needs:
`normalise_date` for metadata values and `publication_date_from_text`.
"""
from __future__ import annotations

import re
from datetime import date
from typing import Optional

# Never fill in missing parts from today's date, and never read relative
# expressions ("yesterday") that would silently depend on when we run.
_DATEPARSER_SETTINGS = {
    "REQUIRE_PARTS": ["day", "month", "year"],
    "PARSERS": ["custom-formats", "absolute-time"],
    "RETURN_AS_TIMEZONE_AWARE": False,
}

_ISO_PREFIX = re.compile(r"^\s*(\d{4})-(\d{2})-(\d{2})(?![\d])")

_MONTH = (r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?"
          r"|Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\.?")
_DAY = r"(?:[12]\d|3[01]|0?[1-9])(?:st|nd|rd|th)?"
_YEAR = r"(?:19|20)\d{2}"
# Full dates only: "April 17, 2024", "17 April 2024", "2024-04-17". A date without
# a year ("WASHINGTON, March 3 (Reuters)") does not match, on purpose.
_DATE_RE = re.compile(
    rf"(?<!\w)(?:{_MONTH}\s+{_DAY},?\s+{_YEAR}"
    rf"|{_DAY}\s+(?:of\s+)?{_MONTH},?\s+{_YEAR}"
    rf"|{_YEAR}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01]))(?!\d)",
    re.IGNORECASE,
)

# Where a publication date lives: a short line near the top, a line opening with a
# cue word, or a wire dateline ("WASHINGTON, April 17, 2024 (Reuters) - ...").
_CUE_RE = re.compile(r"^\s*(?:by\b|published|posted|updated|last updated|date[d]?\b)", re.IGNORECASE)
# The dateline's date must follow the place name directly (an optional weekday aside).
_DATELINE_RE = re.compile(r"^\s*[A-Z][A-Z .'\-]{2,},\s*(?:[A-Z][a-z]+day,?\s*)?")
_HEAD_LINES, _HEAD_CHARS = 15, 1500
_SHORT_LINE = 120   # bylines are short; body paragraphs are not


def normalise_date(value) -> Optional[str]:
    """Any absolute, complete date string → "YYYY-MM-DD", else None (never today's date)."""
    if value is None:
        return None
    value = str(value).strip()
    if not value:
        return None
    m = _ISO_PREFIX.match(value)
    if m:  # ISO dates and timestamps: keep the date as written, no timezone shifting
        try:
            return date(*map(int, m.groups())).isoformat()
        except ValueError:
            return None
    import dateparser  # slow to import; only pay for it when needed

    parsed = dateparser.parse(value, settings=_DATEPARSER_SETTINGS)
    return parsed.date().isoformat() if parsed else None


def _is_byline(line: str, pos_in_line: int) -> bool:
    if len(line.strip()) <= _SHORT_LINE or _CUE_RE.match(line):
        return True
    dateline = _DATELINE_RE.match(line)
    return bool(dateline) and dateline.end() == pos_in_line


def publication_date_from_text(text: str) -> Optional[tuple[str, int, int]]:
    """(iso_date, start, end) of the date in a byline or dateline at the top of `text`.

    Looks only at the first ~15 lines / 1500 characters, and only at short lines,
    cue lines ("By ...", "Published: ...") and datelines, so a date mentioned in a
    body paragraph is not taken for the publication date.
    """
    offset = 0
    for line in text[:_HEAD_CHARS].splitlines(keepends=True)[:_HEAD_LINES]:
        for m in _DATE_RE.finditer(line):
            if not _is_byline(line, m.start()):
                continue
            iso = normalise_date(m.group(0))
            if iso:
                return iso, offset + m.start(), offset + m.end()
        offset += len(line)
    return None


# =====================================================================================================
# Temporal expressions in article text
# =====================================================================================================
#
# `find_dates(text, anchor)` finds the dates an article mentions and normalises them against its
# publication date (the anchor). Every candidate is found by a cheap regular expression first; dateparser
# is asked only about short absolute candidates ("Nov. 10, 2020", "March 2021"), and its answers are
# cached. Everything dateparser cannot do (or does wrongly) is written out as rules below: decades and
# their parts ("the early 1990s"), "last September", weekdays relative to the publication date, quarters,
# seasons, "two years ago", and guards against names ("Theresa May"), durations ("six weeks") and bare
# numbers.
#
# Values are ISO 8601 truncated to the precision, or an ISO 8601 interval "A/B":
#
#   precision   value                    example
#   day         YYYY-MM-DD               "November 10, 2020", "yesterday", "on Wednesday"
#   month       YYYY-MM                  "last September", "March 2021", "earlier this month"
#   year        YYYY                     "in 2019", "last year", "two years ago"
#   decade      YYYY/YYYY                "the 1990s" -> 1990/1999
#   quarter     YYYY-MM/YYYY-MM          "the third quarter of 1989" -> 1989-07/1989-09
#   season      YYYY-MM/YYYY-MM          "last summer" -> 2023-06/2023-08 (northern meteorological seasons)
#   range       A/B (A, B: YYYY[-MM[-DD]]) "the early 1990s" -> 1990/1993, "mid-2020" -> 2020-05/2020-08,
#                                        "last week" -> the Monday/Sunday of that week
#
# Relative expressions (anything that needs the publication date) are dropped when there is no anchor:
# never today's date.

import calendar as _calendar
import functools as _functools
from dataclasses import dataclass as _dataclass
from datetime import datetime as _datetime, timedelta as _timedelta

PRECISIONS = ("day", "month", "year", "decade", "quarter", "season", "range")


@_dataclass(frozen=True)
class DateMention:
    """One temporal expression: `text == article_text[start:end]`, normalised to `value` at `precision`."""
    start: int
    end: int
    text: str
    value: str
    precision: str

    @property
    def date_start(self) -> date:
        """First day the expression covers."""
        return value_bounds(self.value)[0]

    @property
    def date_end(self) -> date:
        """Last day the expression covers."""
        return value_bounds(self.value)[1]

    def to_dict(self) -> dict:
        return {"start": self.start, "end": self.end, "text": self.text,
                "value": self.value, "precision": self.precision}


# --- values ------------------------------------------------------------------------------------------

def _last_day(y: int, m: int) -> int:
    return _calendar.monthrange(y, m)[1]


_ISO_DAY = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?:[T ].*)?$")
_ISO_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_ISO_YEAR = re.compile(r"^(\d{4})$")
_ISO_WEEK = re.compile(r"^(\d{4})-W(\d{2})$")
_ISO_QUARTER = re.compile(r"^(\d{4})-Q([1-4])$")
_ISO_DECADE = re.compile(r"^(\d{3})(?:X|0s)$", re.I)          # 199X, 1990s
_ISO_CENTURY = re.compile(r"^(\d{2})(?:XX|00s)$", re.I)       # 19XX
_ISO_YEAR_PART = re.compile(r"^(\d{4})-[A-Z]{1,2}\d?$")        # TimeML seasons/halves: 2023-SU, 2023-H1


def period_bounds(value: str) -> tuple[date, date, str]:
    """First day, last day and precision of one ISO 8601 (TimeML-style) value, or ValueError."""
    v = value.strip()
    if m := _ISO_DAY.match(v):
        d = date(int(m[1]), int(m[2]), int(m[3]))
        return d, d, "day"
    if m := _ISO_MONTH.match(v):
        y, mo = int(m[1]), int(m[2])
        return date(y, mo, 1), date(y, mo, _last_day(y, mo)), "month"
    if m := _ISO_WEEK.match(v):
        first = date.fromisocalendar(int(m[1]), int(m[2]), 1)
        return first, first + _timedelta(days=6), "week"
    if m := _ISO_QUARTER.match(v):
        y, q = int(m[1]), int(m[2])
        last_month = 3 * q
        return (date(y, last_month - 2, 1), date(y, last_month, _last_day(y, last_month)),
                "quarter")
    if m := _ISO_YEAR.match(v):
        y = int(m[1])
        return date(y, 1, 1), date(y, 12, 31), "year"
    if m := _ISO_YEAR_PART.match(v):           # a part of a year we do not model: the whole year
        y = int(m[1])
        return date(y, 1, 1), date(y, 12, 31), "year"
    if m := _ISO_DECADE.match(v):
        y = int(m[1]) * 10
        return date(max(y, 1), 1, 1), date(y + 9, 12, 31), "decade"
    if m := _ISO_CENTURY.match(v):
        y = int(m[1]) * 100
        return date(max(y, 1), 1, 1), date(y + 99, 12, 31), "century"
    raise ValueError(f"unrecognised date {value!r}")


def value_bounds(value: str) -> tuple[date, date]:
    """First and last day of a date value as this module writes it (ISO 8601 truncated to its
    precision, or a range 'A/B'), also TimeML-style ones (2023-W05, 2023-Q3, 199X); ValueError
    when unreadable."""
    if "/" in value:
        a, _, b = value.partition("/")
        return period_bounds(a)[0], period_bounds(b)[1]
    return period_bounds(value)[:2]



def _iso_day(d: date) -> str:
    return d.isoformat()


def _iso_month(y: int, m: int) -> str:
    return f"{y:04d}-{m:02d}"


def _add_months(y: int, m: int, k: int) -> tuple[int, int]:
    n = y * 12 + (m - 1) + k
    return n // 12, n % 12 + 1


def _month_range(y: int, m1: int, m2: int) -> str:
    """Months m1..m2 of year y (m2 may run into the next year, e.g. winter 12..14)."""
    y2, mm2 = _add_months(y, m1, m2 - m1)
    return f"{_iso_month(y, m1)}/{_iso_month(y2, mm2)}"


# --- vocabulary --------------------------------------------------------------------------------------

_MONTHS = {"january": 1, "february": 2, "march": 3, "april": 4, "may": 5, "june": 6, "july": 7,
           "august": 8, "september": 9, "october": 10, "november": 11, "december": 12}
_MONTH_ABBR = {"jan": 1, "feb": 2, "mar": 3, "apr": 4, "jun": 6, "jul": 7, "aug": 8, "sep": 9,
               "sept": 9, "oct": 10, "nov": 11, "dec": 12}
_WEEKDAYS = {"monday": 0, "tuesday": 1, "wednesday": 2, "thursday": 3, "friday": 4, "saturday": 5,
             "sunday": 6}
_NUMBERS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
            "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14,
            "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20,
            "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90,
            "hundred": 100}
_ORDINALS = {"first": 1, "1st": 1, "second": 2, "2nd": 2, "third": 3, "3rd": 3, "fourth": 4, "4th": 4}
_UNITS = ("zero|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|"
          "fifteen|sixteen|seventeen|eighteen|nineteen")
_TENS = {"twenty": 2, "thirty": 3, "forty": 4, "fifty": 5, "sixty": 6, "seventy": 7, "eighty": 8,
         "ninety": 9}
_UNIT_VALUES = {w: i for i, w in enumerate(_UNITS.split("|"))}

_DECADE_WORDS = {"twenties": 2, "thirties": 3, "forties": 4, "fifties": 5, "sixties": 6, "seventies": 7,
                 "eighties": 8, "nineties": 9}
# Seasons as month ranges (northern, meteorological); winter runs December..February of the next year.
_SEASONS = {"spring": (3, 5), "summer": (6, 8), "fall": (9, 11), "autumn": (9, 11), "winter": (12, 14)}


def _yearish(s: str, anchor: Optional[date]) -> Optional[int]:
    """The year of a _RX_YEARISH string, or None (a relative year without anchor)."""
    s = re.sub(r"[\s-]+", " ", s.strip().lower())
    if s.isdigit():
        return int(s)
    words = s.split()
    if words[-1] == "year":
        if anchor is None:
            return None
        return anchor.year + {"this": 0, "last": -1, "next": 1}[words[0]]
    if words[:2] == ["two", "thousand"]:
        rest = [w for w in words[2:] if w != "and"]
        return 2000 + (_UNIT_VALUES[rest[0]] if rest else 0)
    century = 19 if words[0] == "nineteen" else 20
    return century * 100 + _TENS[words[1]] * 10 + (_UNIT_VALUES[words[2]] if len(words) > 2 else 0)


# Regex pieces. Month and weekday names must be capitalised: "may", "march" and "sat" are words.
_RX_MONTH_FULL = r"(?:January|February|March|April|May|June|July|August|September|October|November|December)"
_RX_MONTH_ABBR = r"(?:Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept?|Oct|Nov|Dec)\."
_RX_MONTH_ABBR_NODOT = r"(?:Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept?|Oct|Nov|Dec)"
_RX_MONTH = rf"(?:{_RX_MONTH_FULL}|{_RX_MONTH_ABBR}|{_RX_MONTH_ABBR_NODOT}(?=\s+\d))"
_RX_WEEKDAY = r"(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)"
_RX_DAY = r"(?:3[01]|[12]\d|0?[1-9])(?:st|nd|rd|th)?"
_RX_YEAR = r"(?:1[0-9]\d\d|20\d\d)"
_RX_NUM = (r"(?:\d{1,3}|a|an|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|"
           r"fourteen|fifteen|sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|"
           r"(?:twenty|thirty|forty|fifty)-(?:one|two|three|four|five|six|seven|eight|nine))")
_RX_SPOKEN_YEAR = (r"(?i:nineteen|twenty)[-\s]+(?i:twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety)"
                   r"(?:[-\s]+(?i:one|two|three|four|five|six|seven|eight|nine))?"
                   r"|(?i:two\s+thousand(?:(?:\s+and)?\s+(?:one|two|three|four|five|six|seven|eight|nine|ten|"
                   r"eleven|twelve|thirteen|fourteen|fifteen|sixteen|seventeen|eighteen|nineteen))?)")
# A year as written after a month or season: "March 2021", "January nineteen ninety-seven", "June last year".
_RX_YEARISH = rf"(?:{_RX_YEAR}|{_RX_SPOKEN_YEAR}|(?i:this|last|next)\s+year)"
_RX_ABOUT = r"(?:(?:nearly|almost|about|around|roughly|some|just|only|more\s+than|less\s+than|over|under)\s+)"

# Words after a number that make it a count, not a year: "2020 people", "1,990 troops".
_COUNT_NOUNS = (
    r"people|persons|men|women|children|kids|babies|soldiers|troops|fighters|militants|rebels|police|"
    r"policemen|officers|residents|refugees|migrants|civilians|workers|employees|staff|jobs|cases|deaths|"
    r"dead|victims|casualties|votes|voters|members|students|families|households|homes|houses|buildings|"
    r"vehicles|cars|trucks|tanks|planes|aircraft|ships|tons|tonnes|barrels|km|kilometers|kilometres|miles|"
    r"meters|metres|feet|ft|acres|hectares|square|dollars|euros|pounds|rubles|roubles|yuan|yen|points|"
    r"shares|units|times|rounds|shells|bombs|rockets|missiles|drones|sorties|attacks|strikes|incidents|"
    r"arrests|prisoners|hostages|patients|beds|doses|tests|pages|words|calories|seats|delegates|"
    r"GMT|UTC|EST|EDT|CET|hrs|hours|h|local\s+time|Zulu"
)
_COUNT_AFTER = re.compile(rf"\s+(?:{_COUNT_NOUNS})\b")
_MONEY_BEFORE = re.compile(r"(?:[$€£¥#]|\b(?:No|no|Nos|Room|Flight|flight|Route|Highway|page|Page)\.?\s*)$")

_FUTURE_CUE = re.compile(
    r"\b(?:will|won't|shall|going\s+to|is\s+to|are\s+to|scheduled|expects?\s+to|expected\s+to|set\s+to|"
    r"due\s+to|set\s+for|plans?\s+to|planned|intends?\s+to|hopes?\s+to|aims?\s+to|would|ahead\s+of|upcoming|"
    r"forthcoming)\b|'ll\b", re.IGNORECASE)
# Prepositions that point forward from the publication date: "until May", "by mid-November".
_FUTURE_PREP = re.compile(r"(?i)\b(?:until|till|by|before|through|ahead\s+of)\s+$")
_SENTENCE_END = re.compile(r"[.!?][\"'”’)]*\s|\n\s*\n")


def _future_context(text: str, start: int, end: int, would: bool = True) -> bool:
    """Does the sentence around text[start:end] speak of the future (a verb cue near the expression)?
    With would=False, "would" alone is not a cue (reported speech: "said it would leave in early
    February" may be long past)."""
    lo = max(0, start - 80)
    left = text[lo:start]
    cuts = list(_SENTENCE_END.finditer(left))
    if cuts:
        left = left[cuts[-1].end():]
    right = text[end:end + 30]
    cut = _SENTENCE_END.search(right)
    if cut:
        right = right[:cut.start()]
    cues = [c.group(0).lower() for c in _FUTURE_CUE.finditer(left)]
    if not would:
        cues = [c for c in cues if c != "would"]
    after = _FUTURE_CUE.match(right.lstrip())
    return bool(cues or (after and (would or after.group(0).lower() != "would")) or
                re.match(r"\s*(?:,\s*)?(?:will|'ll|is\s+to|are\s+to)\b", right))


def _tense(text: str, start: int, end: int) -> Optional[str]:
    """'future' when the clause speaks of the future (see _future_context), else None (unknown).

    Past-tense cues are not looked for: in news most verbs are past whatever the date ("extended the
    bid to Nov. 6", "announced an agreement to buy it in January"), so they say little."""
    if _future_context(text, start, end, would=False):
        return "future"
    if _future_context(text, start, end):
        return "near"        # only "would": the future of a past report, or not; take the nearest
    return None


# --- anchor arithmetic -------------------------------------------------------------------------------

def _weekday(anchor: date, wd: int, mode: str) -> date:
    """The weekday `wd` near `anchor`: 'past' = on or before, 'future' = on or after,
    'last' = strictly before, 'next' = strictly after."""
    back = (anchor.weekday() - wd) % 7
    fwd = (wd - anchor.weekday()) % 7
    if mode == "past":
        return anchor - _timedelta(days=back)
    if mode == "last":
        return anchor - _timedelta(days=back or 7)
    if mode == "future":
        return anchor + _timedelta(days=fwd)
    return anchor + _timedelta(days=fwd or 7)


def _month_year(anchor: date, month: int, mode: str) -> int:
    """The year of month `month` near `anchor` (modes as for `_weekday`; 'this' = the anchor's year,
    'near' = the one closest to the anchor)."""
    y, am = anchor.year, anchor.month
    if mode == "this":
        return y
    if mode == "past":
        return y if month <= am else y - 1
    if mode == "last":
        return y if month < am else y - 1
    if mode == "future":
        return y if month >= am else y + 1
    if mode == "next":
        return y if month > am else y + 1
    # near: within six months either side
    diff = month - am
    if diff > 6:
        return y - 1
    if diff < -6:
        return y + 1
    return y


def _week_range(monday: date) -> str:
    return f"{_iso_day(monday)}/{_iso_day(monday + _timedelta(days=6))}"


def _anchor_monday(anchor: date) -> date:
    return anchor - _timedelta(days=anchor.weekday())


def _quarter_of(d: date) -> int:
    return (d.month - 1) // 3 + 1


def _quarter_value(y: int, q: int) -> str:
    return _month_range(y, 3 * q - 2, 3 * q)


def _sub_range(first: date, last: date, part: str) -> tuple[date, date]:
    """The early/mid/late (or beginning/middle/end) part of the days first..last."""
    n = (last - first).days + 1
    third, two_thirds = -(-n // 3), (2 * n) // 3          # ceil(n/3), floor(2n/3)
    if part in ("early", "beginning", "start"):
        return first, first + _timedelta(days=third - 1)
    if part in ("mid", "middle"):
        return first + _timedelta(days=third), first + _timedelta(days=two_thirds - 1)
    # late, end
    return first + _timedelta(days=two_thirds), last


def _range_value(first: date, last: date) -> str:
    """first..last as compactly as ISO 8601 allows: whole months as YYYY-MM, whole years as YYYY."""
    def a(d: date) -> str:
        if d.month == 1 and d.day == 1 and last >= date(d.year, 12, 31):
            return str(d.year)
        if d.day == 1 and last >= date(d.year, d.month, _last_day(d.year, d.month)):
            return _iso_month(d.year, d.month)
        return _iso_day(d)

    def b(d: date) -> str:
        if d.month == 12 and d.day == 31 and first <= date(d.year, 1, 1):
            return str(d.year)
        if d.day == _last_day(d.year, d.month) and first <= date(d.year, d.month, 1):
            return _iso_month(d.year, d.month)
        return _iso_day(d)

    return f"{a(first)}/{b(last)}"


def _part_of(value: str, part: str) -> str:
    """The early/mid/late part of a month, year or other period value, as a range."""
    first, last = value_bounds(value)
    if last - first > _timedelta(days=300) and first.month == 1 and first.day == 1 and \
            last.month == 12 and last.day == 31 and first.year == last.year:
        months = {"early": (1, 4), "beginning": (1, 3), "start": (1, 3), "mid": (5, 8), "middle": (5, 8),
                  "late": (9, 12), "end": (10, 12)}[part]
        return _month_range(first.year, *months)
    a, b = _sub_range(first, last, part)
    return _range_value(a, b)


# --- dateparser, for absolute dates ------------------------------------------------------------------

@_functools.lru_cache(maxsize=4096)
def _dateparser_parse(candidate: str, require: tuple) -> Optional[date]:
    """dateparser on one short absolute candidate ("Nov. 10, 2020", "March 2021"); cached."""
    import dateparser  # slow to import; only pay for it when needed

    settings = {"REQUIRE_PARTS": list(require), "PARSERS": ["custom-formats", "absolute-time"],
                "RETURN_AS_TIMEZONE_AWARE": False, "PREFER_DAY_OF_MONTH": "first",
                "DATE_ORDER": "MDY", "RELATIVE_BASE": _datetime(2000, 1, 1)}
    try:
        parsed = dateparser.parse(candidate, languages=["en"], settings=settings)
    except Exception:  # dateparser raises on some odd inputs; treat as no parse
        return None
    return parsed.date() if parsed else None


def _month_number(word: str) -> Optional[int]:
    w = word.rstrip(".").lower()
    return _MONTHS.get(w) or _MONTH_ABBR.get(w)


def _day_number(word: str) -> int:
    return int(re.match(r"\d+", word).group(0))


def _absolute_day(candidate: str, y: int, m: int, d: int) -> Optional[str]:
    """A full date: dateparser's reading when it agrees with the parts the regex saw, else the parts."""
    parsed = _dateparser_parse(candidate, ("day", "month", "year"))
    if parsed and parsed.year == y and parsed.month == m:
        return _iso_day(parsed)
    try:
        return _iso_day(date(y, m, d))
    except ValueError:
        return None


# --- the rules ---------------------------------------------------------------------------------------
#
# Each rule is a compiled regex and a handler(match, text, anchor) -> (value, precision) | None, or a
# tuple (value, precision, start, end) to narrow the span. Handlers return None to reject (a guard) or
# when the expression needs an anchor that is missing.

_RULES: list = []


def _rule(pattern: str, flags: int = 0):
    rx = re.compile(pattern, flags)

    def register(handler):
        _RULES.append((rx, handler))
        return handler
    return register


def _ci(words: str) -> str:
    """Case-insensitive group for lower-case cue words (so "Last year" and "last year" both match)."""
    return f"(?i:{words})"


_RX_MOD = _ci(r"early|mid|late|the\s+end\s+of|the\s+beginning\s+of|the\s+start\s+of|the\s+middle\s+of|"
              r"end\s+of|beginning\s+of|start\s+of|middle\s+of")


def _mod_word(mod: Optional[str]) -> Optional[str]:
    if not mod:
        return None
    mod = mod.lower().replace("the", "").replace("of", "").strip(" -\n")
    return mod.split()[-1] if mod else None


# 1. Full dates: "April 17, 2024", "Wednesday, April 17, 2024", "Nov. 10, 2020", "17 April 2024",
#    "the 17th of April, 2024", "2024-04-17", "4/17/2024".
@_rule(rf"(?<![\w.])(?:{_RX_WEEKDAY},?\s+)?(?P<m>{_RX_MONTH})\s+(?P<d>{_RX_DAY}),?\s+(?P<y>{_RX_YEAR})(?![\w-])")
def _full_mdy(m, text, anchor):
    return _absolute_day(m.group(0), int(m["y"]), _month_number(m["m"]), _day_number(m["d"])), "day"


@_rule(rf"(?<![\w.$€£])(?:{_RX_WEEKDAY},?\s+)?(?:the\s+)?(?P<d>{_RX_DAY})\s+(?:of\s+)?(?P<m>{_RX_MONTH}),?\s+"
       rf"(?P<y>{_RX_YEAR})(?![\w-])")
def _full_dmy(m, text, anchor):
    return _absolute_day(m.group(0), int(m["y"]), _month_number(m["m"]), _day_number(m["d"])), "day"


@_rule(r"(?<![\w./-])(?P<y>(?:19|20)\d\d)-(?P<m>0[1-9]|1[0-2])-(?P<d>0[1-9]|[12]\d|3[01])(?![\w/-]|\.\d)")
def _iso(m, text, anchor):
    try:
        return _iso_day(date(int(m["y"]), int(m["m"]), int(m["d"]))), "day"
    except ValueError:
        return None


@_rule(r"(?<![\w./-])(?P<a>[01]?\d)/(?P<b>[0-3]?\d)/(?P<y>(?:19|20)\d\d)(?![\w/-]|\.\d)")
def _numeric(m, text, anchor):
    a, b, y = int(m["a"]), int(m["b"]), int(m["y"])
    month, day = (a, b) if a <= 12 else (b, a)   # US order unless impossible
    if month > 12:
        return None
    return _absolute_day(m.group(0), y, month, day), "day"


# 2. Day and month without a year: "Sept. 30", "March 3", "10 November". The year comes from the anchor:
#    the next such date when the clause speaks of the future ("will expire Dec. 15"), else the closest.
@_rule(rf"(?<![\w.])(?:{_RX_WEEKDAY},?\s+)?(?P<m>{_RX_MONTH})\s+(?P<d>{_RX_DAY})(?![\w:/.,-]\d|\d|[\w])"
       rf"(?!,?\s*(?:{_RX_YEAR}|\d))")
def _month_day(m, text, anchor):
    if _COUNT_AFTER.match(text, m.end()) or re.match(r"\s*(?:years?|months?|weeks?|days?)\b", text[m.end():]):
        return None
    return _day_near(anchor, _month_number(m["m"]), _day_number(m["d"]),
                     _tense(text, m.start(), m.end()) or _DAY_DEFAULT)


@_rule(rf"(?<![\w.$€£])(?:{_RX_WEEKDAY},?\s+)?(?:the\s+)?(?P<d>{_RX_DAY})\s+(?:of\s+)?(?P<m>{_RX_MONTH_FULL}|"
       rf"{_RX_MONTH_ABBR})(?!\w)(?!,?\s*(?:{_RX_YEAR}|\d))")
def _day_month(m, text, anchor):
    if not re.search(r"(?:st|nd|rd|th|of)\b|^\d", m["d"] + text[m.start("d") + len(m["d"]):m.start("m")]):
        return None
    return _day_near(anchor, _month_number(m["m"]), _day_number(m["d"]),
                     _tense(text, m.start(), m.end()) or _DAY_DEFAULT)


def _day_near(anchor: Optional[date], month: int, day: int, mode: str = "near"):
    if anchor is None or not month:
        return None
    y = _month_year(anchor, month, mode)
    try:
        return _iso_day(date(y, month, day)), "day"
    except ValueError:
        return None


# 3. Month and year: "March 2021", "Sept. 1989", "March of 2021", "early March 2021".
@_rule(rf"(?<![\w.])(?:(?P<mod>{_RX_MOD})[-\s]+)?(?P<m>{_RX_MONTH_FULL}|{_RX_MONTH_ABBR}|{_RX_MONTH_ABBR_NODOT})"
       rf",?\s+(?:of\s+)?(?P<y>{_RX_YEARISH})(?![\w-])")
def _month_year_rule(m, text, anchor):
    month, y = _month_number(m["m"]), _yearish(m["y"], anchor)
    if y is None:
        return None
    if m["y"].isdigit():
        parsed = _dateparser_parse(f"{m['m']} {y}", ("month", "year"))
        if parsed and (parsed.year, parsed.month) == (y, month):
            month = parsed.month
    value = _iso_month(y, month)
    part = _mod_word(m["mod"])
    return (_part_of(value, part), "range") if part else (value, "month")


# 4. A month name alone, after a preposition or a modifier: "in May", "last September", "early
#    September", "mid-November", "since January". Resolved against the anchor.
_MONTH_ALONE_PREP = _ci(r"in|since|until|till|by|from|during|before|after|through|throughout|for|last|next|"
                        r"this|of|between|to|and|or|early|late|mid|the\s+end\s+of|the\s+beginning\s+of|"
                        r"the\s+middle\s+of|the\s+start\s+of|end\s+of|beginning\s+of|middle\s+of|start\s+of|"
                        r"this\s+past|this\s+coming|in\s+early|in\s+late|in\s+mid")
# Without a future cue, a month alone is the last one on or before the anchor's month ("in May" in April
# 2024 is May 2023), and a day and month the occurrence closest to the anchor ("Sept. 30" in a November
# story is the September just past, "Dec. 15" the December ahead).
_MONTH_DEFAULT = "past"
_DAY_DEFAULT = "near"
_NAME_MONTHS = ("May", "June", "April", "August")
_NAME_FOLLOWS = re.compile(r"\s*(?:[A-Z][a-z]|said\b|says\b|told\b|has\b|had\b|is\b|was\b|will\b|would\b|"
                           r"and\s+(?:her|his)\b)")


@_rule(rf"(?:(?<![\w-])(?P<prep>{_MONTH_ALONE_PREP})[-\s]+|(?P<comma>,)\s*)(?P<m>{_RX_MONTH_FULL}|{_RX_MONTH_ABBR})(?![\w-])"
       rf"(?!\s*(?:{_RX_DAY}\b|{_RX_YEAR}\b|'(?!s\b)|’(?!s\b)))")
def _month_alone(m, text, anchor):
    prep = re.sub(r"\s+", " ", m["prep"].lower()) if m["prep"] else ","
    month = _month_number(m["m"])
    after = text[m.end():m.end() + 40]
    before = text[max(0, m.start() - 40):m.start()]
    # "May" and "June" are names too: "a speech by May", "Theresa May said", "to June Smith".
    if m["m"] in _NAME_MONTHS and (_NAME_FOLLOWS.match(after) or re.match(r"['’]s\s+(?:government|cabinet|party|"
                                                                          r"husband|speech|deal|plan)\b", after)):
        return None
    if prep == "for" and m["m"] in _NAME_MONTHS:
        return None      # "voted for May"
    if prep in ("of", "to", "and", "or", "between", ","):
        # only in date context: "the end of March", "the month of May"; "to", "and", "or" and a comma only
        # in a list or range of months ("from March to May", "April and May").
        if prep == "of" and not re.search(r"(?i)\b(?:month|end|beginning|middle|start|ides)\s*$", before):
            return None
        if prep in ("to", "and", "or", ",") and not re.search(
                rf"(?:{_RX_MONTH_FULL}|{_RX_MONTH_ABBR})(?:\s+\d{{1,2}}(?:st|nd|rd|th)?)?(?:,?\s+\d{{4}})?\s*,?\s*"
                rf"(?:and|or|to)?\s*$", text[max(0, m.start() - 40):m.start("m")]):
            return None
    if anchor is None:
        return None
    start = m.start()
    part = None
    tense = "future" if _FUTURE_PREP.search(before) else _tense(text, m.start(), m.end())
    mode = tense or _MONTH_DEFAULT
    if prep in ("last", "this past"):
        mode = "last"
    elif prep in ("next", "this coming"):
        mode = "next"
    elif prep == "this":
        mode = "this"
    elif prep in ("early", "late", "mid", "in early", "in late", "in mid") or prep.endswith(" of"):
        part = _mod_word(prep.replace("in ", ""))
        if prep.startswith("in "):
            start = m.start("prep") + 3
    else:
        start = m.start("m")   # the preposition is not part of the expression
        if prep == "since":
            mode = "past"
    y = _month_year(anchor, month, mode)
    value = _iso_month(y, month)
    if part:
        return _part_of(value, part), "range", start, m.end()
    return value, "month", start, m.end()


@_rule(rf"(?<![\w-])(?:(?P<det>(?i:a|an|the|its|their|his|her))\s+)?(?P<m>{_RX_MONTH_FULL})"
       rf"(?:(?P<poss>['’]s)\s+|\s+)(?P<noun>[a-z][a-z-]+)\b")
def _month_attributive(m, text, anchor):
    """A month before a noun: "a June agreement", "the March elections", "December's figures"."""
    if m["m"] == "May" or anchor is None:
        return None      # "May's", "the May government": the name is likelier
    if not (m["det"] or m["poss"]):
        return None
    if m["noun"] in ("of", "on", "to", "and", "or", "in", "at", "for", "by", "with", "from", "is", "was",
                     "has", "had", "said", "says", "will", "would", "who", "which", "that"):
        return None      # "the March on Washington", "a June who ..."
    mode = _tense(text, m.start(), m.end()) or _MONTH_DEFAULT
    value = _iso_month(_month_year(anchor, _month_number(m["m"]), mode), _month_number(m["m"]))
    return value, "month", m.start("m"), m.end("m")


# 5. Years: "in 2019", "1988", "fiscal 1989", "'89" after a preposition, and year ranges "2019-2020",
#    "1998-99". Bare numbers other than plausible years are never dates.
@_rule(rf"(?<![\w$€£¥#.,:/'’-])(?:(?P<fiscal>(?i:fiscal|fiscal\s+year|FY))\s+)?(?P<y>{_RX_YEAR})"
       rf"(?:[-–](?P<y2>{_RX_YEAR}|\d\d)(?![\w%.,:/-]\d?))?(?![\w%]|[.,:/-]\d)(?!'?s\b)")
def _year(m, text, anchor):
    y = int(m["y"])
    before = text[max(0, m.start() - 20):m.start()]
    if _MONEY_BEFORE.search(before) or _COUNT_AFTER.match(text, m.end()):
        return None
    if re.match(r"\s*(?:%|percent|per\s+cent|-year|-strong|-member|-page)", text[m.end():]):
        return None
    if y < 1900 and not re.search(r"(?i)\b(?:in|since|from|by|until|till|of|before|after|during|"
                                  r"circa|c\.|around|year)\s+$", before):
        return None
    if y > 2099:
        return None
    if m["y2"]:
        y2 = int(m["y2"])
        if y2 < 100:
            y2 = y - y % 100 + y2
        if not y < y2 <= y + 30:
            return None
        return f"{y}/{y2}", "range"
    return str(y), "year"


@_rule(rf"(?<![\w$])(?P<prep>(?i:in|since|from|by|until|of|class\s+of))\s+['’](?P<yy>\d\d)(?!\w|'s|’s)")
def _short_year(m, text, anchor):
    yy = int(m["yy"])
    if anchor is None:
        return None
    y = anchor.year - anchor.year % 100 + yy
    if y > anchor.year + 10:
        y -= 100
    return str(y), "year", m.start("yy") - 1, m.end()


# Spoken years, as broadcast transcripts write them: "nineteen ninety-six", "the year two thousand".
_RX_SPOKEN_TENS = "|".join(_TENS)


@_rule(rf"(?<![\w-])(?P<the>(?i:the\s+year\s+))?(?P<c>(?i:nineteen|twenty))[-\s]+"
       rf"(?P<t>{_ci(_RX_SPOKEN_TENS)})(?:[-\s]+(?P<u>(?i:one|two|three|four|five|six|seven|eight|nine)))?"
       rf"(?![\w-])")
def _spoken_year(m, text, anchor):
    if _COUNT_AFTER.match(text, m.end()) or re.match(r"\s*(?:%|percent|years?|months?|days?)\b", text[m.end():]):
        return None
    if re.search(r"(?i)\b(?:at|about|of|than|some)\s+$", text[max(0, m.start() - 10):m.start()]) and not m["the"]:
        return None
    century = 19 if m["c"].lower() == "nineteen" else 20
    y = century * 100 + _TENS[m["t"].lower()] * 10 + (_UNIT_VALUES[m["u"].lower()] if m["u"] else 0)
    return str(y), "year"


@_rule(rf"(?<![\w-])(?:(?i:the\s+year\s+))(?P<body>(?i:two\s+thousand)(?:(?:\s+and)?\s+"
       rf"(?P<u>{_ci(_UNITS)}))?)(?![\w-])")
def _spoken_2000s(m, text, anchor):
    return str(2000 + (_UNIT_VALUES[m["u"].lower()] if m["u"] else 0)), "year"


# 6. Decades: "the 1990s", "the early 1990s", "mid-1990s", "the '80s", "the nineties".
@_rule(rf"(?<![\w'’-])(?:(?i:the)\s+)?(?:(?P<mod>(?i:early|mid|late))[-\s]+)?"
       rf"(?:(?P<full>1[0-9]\d0|20\d0)|['’](?P<short>\d0))['’]?s(?![\w'’])")
def _decade(m, text, anchor):
    if m["full"] and m["full"].endswith("00") and int(m["full"]) < 2000:
        return _century_value(int(m["full"]), m["mod"])     # "the 1800s": the century
    if m["full"]:
        y = int(m["full"])
    else:
        if anchor is None:
            return None      # "the '80s": which century needs the publication date
        yy = int(m["short"])
        ref = anchor.year
        y = ref - ref % 100 + yy
        if y > ref:
            y -= 100
    return _decade_value(y, m["mod"])


@_rule(rf"(?<![\w-])(?P<the>(?i:the))\s+(?:(?P<mod>(?i:early|mid|late))[-\s]+)?"
       rf"(?P<w>(?i:{'|'.join(_DECADE_WORDS)}))(?![\w-])")
def _decade_word(m, text, anchor):
    before = text[max(0, m.start() - 40):m.start()]
    if re.search(r"(?i)\b(?:temperatures?|degrees|his|her|their|its|in\s+the\s+high|in\s+the\s+low|aged?)\b",
                 before + " " + text[m.end():m.end() + 20].split(".")[0]):
        return None
    if anchor is None:
        return None      # "the nineties": which century needs the publication date
    ref = anchor.year
    y = ref - ref % 100 + 10 * _DECADE_WORDS[m["w"].lower()]
    if y > ref:
        y -= 100
    return _decade_value(y, m["mod"])


_ORDINAL_CENTURY = {"eleventh": 11, "twelfth": 12, "thirteenth": 13, "fourteenth": 14, "fifteenth": 15,
                    "sixteenth": 16, "seventeenth": 17, "eighteenth": 18, "nineteenth": 19, "twentieth": 20,
                    "twenty-first": 21, "twenty first": 21}
_RX_ORDINAL_CENTURY = "|".join(w.replace(" ", r"[-\s]") for w in _ORDINAL_CENTURY)


@_rule(rf"(?<![\w-])(?:(?i:the)\s+)?(?:(?P<mod>(?i:early|mid|late))[-\s]+)?"
       rf"(?:(?P<n>[1-9]|1\d|2[01])(?:st|nd|rd|th)|(?P<w>(?i:{_RX_ORDINAL_CENTURY})))"
       rf"[-\s]+(?i:century)(?![\w-])")
def _century(m, text, anchor):
    n = int(m["n"]) if m["n"] else _ORDINAL_CENTURY[re.sub(r"[-\s]+", "-", m["w"].lower())]
    return _century_value((n - 1) * 100, m["mod"])


_RX_CENTURY_ORD = (rf"(?:(?P<{{g}}n>[1-9]|1\d|2[01])(?:st|nd|rd|th)|(?P<{{g}}w>(?i:{_RX_ORDINAL_CENTURY})))")


@_rule(rf"(?<![\w-])(?:(?i:the)\s+)?(?:(?P<amod>(?i:early|mid|late))[-\s]+)?{_RX_CENTURY_ORD.format(g='a')}"
       rf"\s+(?i:and|to|through)\s+(?:(?i:the)\s+)?(?:(?P<bmod>(?i:early|mid|late))[-\s]+)?"
       rf"{_RX_CENTURY_ORD.format(g='b')}[-\s]+(?i:centuries)(?![\w-])")
def _centuries(m, text, anchor):
    """"the 19th and early 20th centuries": from the first century's start to the second's end."""
    def nth(g):
        return int(m[g + "n"]) if m[g + "n"] else _ORDINAL_CENTURY[re.sub(r"[-\s]+", "-", m[g + "w"].lower())]
    a, b = nth("a"), nth("b")
    if b < a:
        return None
    first = _century_value((a - 1) * 100, m["amod"])[0].split("/")[0]
    last = _century_value((b - 1) * 100, m["bmod"])[0].split("/")[1]
    return f"{first}/{last}", "range"


def _century_value(y: int, mod: Optional[str]):
    """The hundred years from y ("the 1800s", "the 19th century": 1800/1899), or its early/mid/late third."""
    if not mod:
        return f"{y}/{y + 99}", "range"
    a, b = {"early": (0, 33), "mid": (34, 66), "late": (67, 99)}[mod.lower()]
    return f"{y + a}/{y + b}", "range"


def _decade_value(y: int, mod: Optional[str]):
    if not mod:
        return f"{y}/{y + 9}", "decade"
    a, b = {"early": (0, 3), "mid": (4, 6), "late": (7, 9)}[mod.lower()]
    return f"{y + a}/{y + b}", "range"


# 7. Parts of years: "early 2020", "mid-2020", "late 2019", "the end of 1990", "the first half of 1990",
#    "the second half", "the first quarter of 1990", "third-quarter", "Q3 2020", "the latest quarter".
@_rule(rf"(?<![\w-])(?P<mod>{_RX_MOD})[-\s]+(?P<y>{_RX_YEAR})(?![\w%-]|'s|’s|[.,]\d)")
def _part_of_year(m, text, anchor):
    part = _mod_word(m["mod"])
    start = m.start()
    return _part_of(m["y"], part), "range", start, m.end()


_SPORTS = re.compile(r"(?i)\b(?:scored|scoring|goals?|halftime|half-time|touchdowns?|innings?|quarterback|"
                     r"rebounds|assists|penalty|kick-?off|whistle|minutes? left|(?:the|a)\s+(?:game|match))\b")
_RX_QNUM = _ci(r"first|second|third|fourth|1st|2nd|3rd|4th|final|last")
_RX_QHEAD = _ci(r"(?:(?P<det>the|its|a|an|their|his|her|our)\s+)?"
                r"(?:(?P<rel>this|last|next|(?:\d{4}))\s*(?:year)?['’]s\s+|(?P<yr>(?:19|20)\d\d)\s+)?"
                r"(?:(?:fiscal|calendar)[-\s]+)?")


@_rule(rf"(?<![\w-]){_RX_QHEAD}(?P<n>{_RX_QNUM})[-\s]+(?P<unit>(?i:quarter|half))(?!s\b|ly\b)"
       rf"(?:\s+(?:(?i:of)\s+)?(?:(?i:fiscal)\s+)?(?P<y>{_RX_YEAR})(?![\w-]))?")
def _quarter(m, text, anchor):
    n = m["n"].lower()
    unit = m["unit"].lower()
    parts = 4 if unit == "quarter" else 2
    k = parts if n in ("final", "last") else _ORDINALS.get(n)
    if not k or k > parts:
        return None
    # TimeML's span: "the third quarter" (a noun, with its article) but "a third-quarter loss" and "its
    # third quarter" without the determiner.
    start = m.start()
    if m["det"] and (m["det"].lower() != "the" or text[m.end("n"):m.start("unit")].strip() == "-"):
        start = m.start("det") + len(m["det"])
        start += len(text[start:]) - len(text[start:].lstrip())
    if m["y"] or m["yr"]:
        y = int(m["y"] or m["yr"])
    elif m["rel"] and m["rel"].isdigit():
        y = int(m["rel"])
    else:
        if re.match(r"\s+of\s+(?:the|a|an|this|that|his|her|its|their)\b", text[m.end():m.end() + 12]):
            return None      # "the first half of the century", "the third quarter of the game"
        ss, se = _sentence_bounds(text, m.start())
        if _SPORTS.search(text, ss, se):
            return None      # "scored 10 points in the third quarter": a game's quarter
        if anchor is None:
            return None
        rel = (m["rel"] or "").lower()
        cur = _quarter_of(anchor) if parts == 4 else (anchor.month - 1) // 6 + 1
        if rel == "this":
            y = anchor.year
        elif rel == "last":
            y = anchor.year - 1
        elif rel == "next":
            y = anchor.year + 1
        elif k <= cur or _future_context(text, m.start(), m.end()):
            y = anchor.year
        else:
            y = anchor.year - 1
    if parts == 4:
        return _quarter_value(y, k), "quarter", start, m.end()
    return _month_range(y, 6 * k - 5, 6 * k), "range", start, m.end()


@_rule(rf"(?<![\w-])(?:Q(?P<q1>[1-4])\s*(?:(?i:of)\s+)?(?P<y1>{_RX_YEAR})|(?P<y2>{_RX_YEAR})\s*-?\s*Q(?P<q2>[1-4]))(?![\w-])")
def _quarter_q(m, text, anchor):
    y, q = (int(m["y1"]), int(m["q1"])) if m["q1"] else (int(m["y2"]), int(m["q2"]))
    return _quarter_value(y, q), "quarter"


@_rule(rf"(?<![\w-])(?:(?i:the|its|their)\s+)?(?P<rel>(?i:current|latest|last|this|next|previous|past|most\s+recent|recent))"
       rf"\s+(?:(?i:fiscal)\s+)?(?i:quarter)(?![\w-])")
def _quarter_rel(m, text, anchor):
    if anchor is None:
        return None
    rel = re.sub(r"\s+", " ", m["rel"].lower())
    y, q = anchor.year, _quarter_of(anchor)
    if rel in ("latest", "last", "previous", "past", "most recent", "recent"):
        if rel in ("past", "recent") and not m.group(0).lower().startswith("the"):
            return None
        y, mo = _add_months(y, 3 * q - 2, -3)
        q = (mo - 1) // 3 + 1
    elif rel == "next":
        y, mo = _add_months(y, 3 * q - 2, 3)
        q = (mo - 1) // 3 + 1
    return _quarter_value(y, q), "quarter"


# 8. Seasons: "this summer", "last fall", "the summer of 2019", "winter 2020", "in the spring".
_RX_SEASON = r"(?:spring|summer|fall|autumn|winter)"


@_rule(rf"(?<![\w-])(?:(?P<head>(?i:this\s+past|this\s+coming|this|last|next|the\s+early|the\s+late|the|early|late|mid))[-\s]+)?"
       rf"(?P<s>{_RX_SEASON}|Spring|Summer|Fall|Autumn|Winter)(?:\s+(?:of\s+)?(?P<y>{_RX_YEARISH}))?(?![\w-])")
def _season(m, text, anchor):
    head = re.sub(r"\s+", " ", (m["head"] or "").lower())
    season = m["s"].lower()
    first_m, last_m = _SEASONS[season]
    y = _yearish(m["y"], anchor) if m["y"] else None
    if m["y"] and y is None:
        return None
    if y is not None and not head and m["s"].islower() and not re.search(
            r"(?i)\b(?:in|during|by|since|until|till|through|from|of|over|before|after|and|or|to)\s+$",
            text[max(0, m.start() - 12):m.start()]):
        return None      # "prices will fall this year": a verb
    if y is not None:
        value = _month_range(y, first_m, last_m)
        part = _mod_word(head.replace("the ", "")) if head in ("early", "late", "mid", "the early", "the late") else None
        return (_part_of(value, part), "range") if part else (value, "season")
    if m["s"][0].isupper() and m.start("s") == m.start():
        return None          # "Arab Spring", "Summer" as a name: capitalised seasons need a year
    if not head:
        # bare "summer" only after a preposition: "in summer", "during summer"
        if not re.search(r"(?i)\b(?:in|during|over|through|until|by|since)\s+$", text[max(0, m.start() - 12):m.start()]):
            return None
        head = "the"
    if season == "fall" and head in ("the", "the early", "the late", "early", "late", "mid"):
        return None          # "the fall of Kabul", "a late fall in prices"
    if season == "spring" and head in ("the", "early", "late", "mid") and re.match(r"\s+(?:of|in)\b", text[m.end():]):
        return None
    if re.match(r"\s*(?:of|in)\s+(?:the\s+)?(?:[a-z]+\s+)?(?:water|a\b|an\b)", text[m.end():]):
        return None
    if anchor is None:
        return None
    y = _season_year(anchor, first_m, last_m, head, _future_context(text, m.start(), m.end()))
    value = _month_range(y, first_m, last_m)
    if head in ("early", "late", "mid", "the early", "the late"):
        return _part_of(value, _mod_word(head.replace("the ", ""))), "range"
    return value, "season"


def _season_year(anchor: date, first_m: int, last_m: int, head: str, future: bool) -> int:
    """The year a season (months first_m..last_m of it, last_m may pass 12) starts in, near the anchor."""
    y = anchor.year
    # the season occurrence containing or last ending before the anchor
    def start(yr):
        return date(yr, first_m, 1)

    def end(yr):
        ey, em = _add_months(yr, first_m, last_m - first_m)
        return date(ey, em, _last_day(ey, em))

    current = next((yr for yr in (y - 1, y) if start(yr) <= anchor <= end(yr)), None)
    last_done = max(yr for yr in (y - 2, y - 1, y) if end(yr) < anchor)
    upcoming = min(yr for yr in (y - 1, y, y + 1) if start(yr) > anchor)
    if head in ("last", "this past"):
        return last_done
    if head in ("next", "this coming"):
        return upcoming
    if current is not None:
        return current
    if head == "this":
        # "this summer" in March: the one ahead; "this summer" in November: the one just past
        return upcoming if start(upcoming).year == y and not (end(last_done).year == y and not future) \
            else last_done if not future else upcoming
    return upcoming if future else last_done


# 9. Days relative to the anchor: "today", "yesterday", "tomorrow", "tonight", "last night", "this
#    morning", weekdays ("on Wednesday", "last Friday", "early Tuesday").
_RX_DAYMOD = _ci(r"early|late|earlier|later")


_RX_RELDAY = _ci(r"the\s+day\s+before\s+yesterday|the\s+day\s+after\s+tomorrow|today|yesterday|tomorrow|"
                 r"tonight|last\s+night|this\s+morning|this\s+afternoon|this\s+evening")


@_rule(rf"(?<![\w-])(?:(?P<mod>{_RX_DAYMOD})\s+)?(?P<w>{_RX_RELDAY})"
       rf"(?![\w-])(?!['’]s\s+(?:news|world|society|youth|children|standards|market|economy|generation))")
def _relative_day(m, text, anchor):
    if anchor is None:
        return None
    w = re.sub(r"\s+", " ", m["w"].lower())
    if w == "today" and re.search(r"(?i)\b(?:of|in)\s+$", text[max(0, m.start() - 4):m.start()]) and \
            not m["mod"]:
        return None      # "the Britain of today": the present, not a day
    if w in ("today", "tomorrow") and re.search(r"(?i)\bof\s+$", text[max(0, m.start() - 4):m.start()]):
        return None      # "the people of tomorrow"
    if m["w"][0] == "T" and not m["mod"] and not _sentence_initial(text, m.start()):
        return None      # "USA Today", "VOA Today", the "Today" show
    delta = {"the day before yesterday": -2, "the day after tomorrow": 2, "yesterday": -1, "tomorrow": 1,
             "last night": -1}.get(w, 0)
    return _iso_day(anchor + _timedelta(days=delta)), "day"


@_rule(rf"(?<![\w-])(?:(?P<mod>(?i:last|next|this\s+past|this\s+coming|this|the\s+previous|the\s+following|early|late|earlier|later))\s+)?"
       rf"(?P<w>{_RX_WEEKDAY})(?!s\b|['’]s\s+(?:[A-Z]|child))(?![\w-])"
       rf"(?:\s+(?P<tod>(?i:morning|afternoon|evening|night)s?)(?![\w-]))?")
def _weekday_rule(m, text, anchor):
    before = text[max(0, m.start() - 12):m.start()]
    if re.search(r"(?i)\b(?:each|every|on\s+alternate|most|some)\s+$", before) or \
            (m["tod"] and m["tod"].endswith("s")):
        return None      # "each Thursday": a repeated day, not a date
    if re.search(r"(?:Good|Black|Bloody|Super|Ash|Holy|Maundy|Cyber|Palm|Easter|Girl|Man|Spy|Mardi)\s+$", before):
        return None      # named days and names ("Good Friday", "Bloody Sunday", "Man Friday")
    if re.match(r"\s+(?:[A-Z][a-z]+)", text[m.end():]) and not m["tod"] and \
            not re.match(rf"\s+(?:{_RX_MONTH_FULL}|{_RX_MONTH_ABBR}|In|On|At|After|Before|The)\b", text[m.end():]) \
            and m.start() > 0 and not re.search(r"[.!?\"“]\s*$|^\s*$", text[max(0, m.start() - 3):m.start()]) \
            and re.match(r"\s+(?:Times|Post|Telegraph|Mail|Express|Mirror|Herald|Independent|Club|Night|Show|Service|Review)", text[m.end():]):
        return None      # newspaper and programme names: "Sunday Times", "Monday Night Football"
    if anchor is None:
        return None
    mod = re.sub(r"\s+", " ", (m["mod"] or "").lower())
    wd = _WEEKDAYS[m["w"].lower()]
    if mod in ("last", "this past", "the previous"):
        mode = "last"
    elif mod in ("next", "this coming", "the following"):
        mode = "next"
    elif _future_context(text, m.start(), m.end()):
        mode = "future"
    else:
        mode = "this" if mod == "this" else "past"
        if mode == "this":
            mode = "future"
    if mod in ("the previous", "the following"):
        return None      # relative to another day in the story, not to the publication date
    return _iso_day(_weekday(anchor, wd, mode)), "day"


# 10. Periods relative to the anchor: "last week", "this month", "earlier this month", "early next year",
#     "the weekend", "the end of this week", "earlier in the year".
_RX_PERIOD = _ci(r"week|weekend|month|year")


@_rule(rf"(?<![\w-])(?:(?P<mod>(?i:early|late|mid|earlier|later|the\s+end\s+of|the\s+beginning\s+of|the\s+start\s+of|the\s+middle\s+of|end\s+of|beginning\s+of|start\s+of))[-\s]+)?"
       rf"(?P<rel>(?i:last|this\s+past|this\s+coming|this|next|the\s+past|the\s+coming|the\s+current|"
       rf"over\s+the|the))\s+(?:(?P<fiscal>(?i:fiscal|calendar))\s+)?(?P<p>{_RX_PERIOD})(?![\w-])")
def _relative_period(m, text, anchor):
    if m["p"][0].isupper() and m["rel"][0].isupper():
        return None      # "This Week" (a programme), "Next Year" in a title
    rel = re.sub(r"\s+", " ", m["rel"].lower())
    period = m["p"].lower()
    mod = _mod_word(m["mod"]) if m["mod"] else None
    start = m.start()
    if rel in ("the past", "the coming"):
        if period != "weekend":
            return None      # "the past year": a duration
        rel = "last" if rel == "the past" else "next"
    if m["fiscal"] and (period != "year" or rel not in ("this", "last", "next", "the current")):
        return None
    if rel == "the current":
        rel = "this"
    if rel == "the" and mod and mod not in ("earlier", "later"):
        rel = "this"         # "by the end of the year", "the middle of the month": the current one
    if rel in ("the", "over the"):
        if period != "weekend":
            return None      # "the week", "the year": which one is not said
        if rel == "over the":
            start = m.start("rel") + 5
        rel = ""
    if anchor is None:
        return None
    if re.match(r"['’]s\b", text[m.end():]) and period == "year" and \
            re.match(rf"['’]s\s+(?:{_RX_QNUM}|fiscal)", text[m.end():]):
        return None      # "this year's third quarter": the quarter rule
    future = _future_context(text, m.start(), m.end())
    if period == "weekend":
        sat_past = anchor - _timedelta(days=(anchor.weekday() - 5) % 7)
        if rel in ("last", "this past"):
            sat = sat_past if anchor.weekday() not in (5, 6) else sat_past - _timedelta(days=7)
        elif rel in ("next", "this coming"):
            sat = sat_past + _timedelta(days=7)
        elif anchor.weekday() in (5, 6):
            sat = sat_past
        else:
            sat = sat_past + _timedelta(days=7) if future or rel == "this" else sat_past
        first, last = sat, sat + _timedelta(days=1)
        value, precision = f"{_iso_day(first)}/{_iso_day(last)}", "range"
    else:
        shift = {"last": -1, "this past": -1, "next": 1, "this coming": 1}.get(rel, 0)
        if period == "week":
            monday = _anchor_monday(anchor) + _timedelta(days=7 * shift)
            value, precision = _week_range(monday), "range"
        elif period == "month":
            y, mo = _add_months(anchor.year, anchor.month, shift)
            value, precision = _iso_month(y, mo), "month"
        else:
            value, precision = str(anchor.year + shift), "year"
    if mod and mod not in ("earlier", "later"):
        return _part_of(value, mod), "range", start, m.end()
    return value, precision, start, m.end()


@_rule(rf"(?<![\w-])(?P<prep>(?i:by|before|until|till|at|around|near|through|after|from|since|toward|towards))\s+"
       rf"(?P<w>(?i:(?:the\s+)?year[-\s]end|year['’]s\s+end|the\s+end\s+of\s+the\s+year))(?![\w-])")
def _year_end(m, text, anchor):
    """"by year-end": the end of the publication year; "since year-end": the end of the year before."""
    if anchor is None:
        return None
    y = anchor.year - 1 if m["prep"].lower() in ("after", "from", "since") else anchor.year
    if "the end of" in m["w"].lower():
        return _month_range(y, 10, 12), "range", m.start("w"), m.end()
    return f"{y}-12-31", "day", m.start("w"), m.end()


@_rule(rf"(?<![\w-])(?P<mod>(?i:earlier|later))\s+(?i:in)\s+the\s+(?P<p>(?i:week|month|year))(?![\w-])")
def _earlier_in_the(m, text, anchor):
    if anchor is None:
        return None
    p = m["p"].lower()
    if p == "week":
        return _week_range(_anchor_monday(anchor)), "range"
    if p == "month":
        return _iso_month(anchor.year, anchor.month), "month"
    return str(anchor.year), "year"


# 11. "two years ago", "nearly four years ago", "10 days ago", "a month ago", "six weeks ago".
@_rule(rf"(?<![\w-])(?P<about>{_ci(_RX_ABOUT)})?(?P<n>{_ci(_RX_NUM)})\s+(?P<u>(?i:days?|weeks?|months?|years?|decades?))"
       rf"(?:\s+(?i:or\s+so))?\s+(?P<dir>(?i:ago))(?![\w-])")
def _ago(m, text, anchor):
    if anchor is None:
        return None
    n = _count(m["n"])
    if n is None:
        return None
    return _shift(anchor, "day", -n, m["u"].lower().rstrip("s"))


def _count(word: str) -> Optional[int]:
    w = word.lower()
    if w.isdigit():
        return int(w)
    if "-" in w:
        t, _, u = w.partition("-")
        return _NUMBERS.get(t, 0) + _NUMBERS.get(u, 0) or None
    return _NUMBERS.get(w)


def _shift(base: date, base_precision: str, n: int, unit: str):
    """base moved by n units, at the coarser of the base's and the unit's precision."""
    if unit == "day":
        if base_precision != "day":
            return None
        return _iso_day(base + _timedelta(days=n)), "day"
    if unit == "week":      # "two weeks ago": about that day (as TimeML annotates it)
        if base_precision != "day":
            return None
        return _iso_day(base + _timedelta(days=7 * n)), "day"
    if unit == "month":
        if base_precision not in ("day", "month"):
            return None
        y, mo = _add_months(base.year, base.month, n)
        if base_precision == "day" and n > 0:   # "three months after November 10, 2020" -> 2021-02-10
            try:
                return _iso_day(date(y, mo, base.day)), "day"
            except ValueError:
                return _iso_day(date(y, mo, _last_day(y, mo))), "day"
        return _iso_month(y, mo), "month"
    if unit == "year":
        if base_precision in ("day", "month") and n > 0:
            return (_iso_day(date(base.year + n, base.month, min(base.day, _last_day(base.year + n, base.month))))
                    if base_precision == "day" else _iso_month(base.year + n, base.month)), base_precision
        return str(base.year + n), "year"
    if unit == "decade":
        y = base.year + 10 * n
        y -= y % 10
        return f"{y}/{y + 9}", "decade"
    return None


# "three months after November 10, 2020": a count of units before/after a date found in the text.
_OFFSET_BEFORE = re.compile(
    rf"(?<![\w-])(?P<n>{_ci(_RX_NUM)})\s+(?P<u>(?i:days?|weeks?|months?|years?))\s+"
    rf"(?P<dir>(?i:after|before|later\s+than|earlier\s+than|prior\s+to|following|from))\s+$")


# --- finding -----------------------------------------------------------------------------------------

# The pre-scan, per rule: a rule runs only on a text holding one of its words (substring tests on the
# lower-cased text cost next to nothing; most articles have no season, quarter or "ago" at all).
_MONTH_KEYS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_DIGITS = tuple("0123456789")
_NEEDS = {
    "_full_mdy": _MONTH_KEYS, "_full_dmy": _MONTH_KEYS, "_month_day": _MONTH_KEYS, "_day_month": _MONTH_KEYS,
    "_month_year_rule": _MONTH_KEYS, "_month_alone": _MONTH_KEYS,
    "_month_attributive": _MONTH_KEYS,
    "_iso": _DIGITS, "_numeric": _DIGITS, "_year": _DIGITS, "_short_year": _DIGITS, "_quarter_q": _DIGITS,
    "_part_of_year": _DIGITS,
    "_spoken_year": ("nineteen", "twenty"), "_spoken_2000s": ("thousand",),
    "_decade": ("0s", "0's", "0’s"), "_decade_word": ("ties",), "_century": ("century",), "_centuries": ("centuries",),
    "_quarter": ("quarter", "half"), "_quarter_rel": ("quarter",),
    "_season": ("spring", "summer", "fall", "autumn", "winter"),
    "_relative_day": ("today", "tonight", "yesterday", "tomorrow", "night", "morning", "afternoon", "evening"),
    "_weekday_rule": ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"),
    "_relative_period": ("week", "month", "year"), "_earlier_in_the": ("earlier", "later"),
    "_year_end": ("end",), "_ago": ("ago",),
}
_DISCOURSE_KEYS = ("quarter", "period", "year", "day", "week", "month")

# The pre-scan: a text with none of these has no date (one cheap search before running the rules).
_PRESCAN = re.compile(
    rf"\d+|{_RX_MONTH_FULL}|{_RX_MONTH_ABBR_NODOT}\b|{_RX_WEEKDAY}|(?i:today|tonight|yesterday|tomorrow|"
    r"week|month|year|quarter|half|spring|summer|fall|autumn|winter|ago|night|morning|afternoon|evening|"
    r"nineteen|twenty|thousand|ties\b|centur)")
_WINDOW = 70    # characters either side of a pre-scan hit that a rule looks at
_DIGIT_RUN = re.compile(r"\d+")


class _Prescan:
    """Where each rule's words occur in one text (substring search on the lower-cased text, which is
    fast), merged into windows of +-_WINDOW characters cut at whitespace; a rule runs only there."""

    def __init__(self, text: str):
        self.text, self.lower = text, text.lower()
        self._hits: dict = {}

    def hits(self, key: str) -> list:
        if key not in self._hits:
            if key in _DIGITS:
                spans = [(m.start(), m.end()) for m in _DIGIT_RUN.finditer(self.text)] if key == "0" else []
            else:
                spans, i, low = [], self.lower.find(key), self.lower
                while i >= 0:
                    spans.append((i, i + len(key)))
                    i = low.find(key, i + 1)
            self._hits[key] = spans
        return self._hits[key]

    def windows(self, keys: tuple) -> list:
        if keys is _DIGITS:
            keys = ("0",)
        spans = sorted(sp for k in keys for sp in self.hits(k))
        out, n, text = [], len(self.text), self.text
        for a, b in spans:
            a, b = max(0, a - _WINDOW), min(n, b + _WINDOW)
            if out and a <= out[-1][1]:
                out[-1][1] = max(out[-1][1], b)
            else:
                out.append([a, b])
        for w in out:      # widen each to the surrounding whitespace so no word is cut in two
            while w[0] > 0 and not text[w[0] - 1].isspace():
                w[0] -= 1
            while w[1] < n and not text[w[1]].isspace():
                w[1] += 1
        return out


def as_date(value, *, strict: bool = True) -> Optional[date]:
    """A date from a date, a datetime or text starting 'YYYY-MM-DD'; None for None. Anything else
    raises ValueError, or gives None when not `strict` (values from URLs and stored rows)."""
    if value is None:
        return None
    if isinstance(value, _datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        if strict:
            raise
        return None


def find_dates(text: str, anchor: Optional[date] = None) -> list[DateMention]:
    """Temporal expressions in `text`, normalised against `anchor` (the publication date).

    Returns DateMentions sorted by start, never overlapping, with `text[m.start:m.end] == m.text`.
    Without an anchor, expressions that need one ("yesterday", "last September", "Sept. 30") are
    dropped; absolute dates ("November 10, 2020", "the 1990s") are kept.
    """
    if not text or not _PRESCAN.search(text):
        return []
    anchor = as_date(anchor)
    lower = text.lower()
    cands = []   # (start, end, value, precision, rule index)
    scan = _Prescan(text)
    for idx, (rx, handler) in enumerate(_RULES):
        needs = _NEEDS.get(handler.__name__)
        windows = scan.windows(needs) if needs else [(0, len(text))]
        for a, b in windows:
            for m in rx.finditer(text, a, b):
                res = handler(m, text, anchor)
                if not res or res[0] is None:
                    continue
                value, precision = res[0], res[1]
                start, end = (res[2], res[3]) if len(res) == 4 else (m.start(), m.end())
                cands.append((start, end, value, precision, idx))
    # Longest first; ties go to the earlier rule (the rules are listed most specific first).
    cands.sort(key=lambda c: (-(c[1] - c[0]), c[4], c[0]))
    chosen = []
    for c in cands:
        if all(c[1] <= o[0] or o[1] <= c[0] for o in chosen):
            chosen.append(c)
    chosen.sort(key=lambda c: c[0])
    chosen = _month_lists(text, chosen)
    if any(k in lower for k in _DISCOURSE_KEYS):
        chosen = _discourse(text, chosen, anchor)
    chosen = _offsets(text, chosen)
    return [DateMention(s, e, text[s:e], v, p) for s, e, v, p, _ in chosen]


_LIST_JOIN = re.compile(r"(?i)\s*(?:,|,?\s*(?:and|or|to|through|until|till|into)|-|–)\s*(?:(?:early|late|mid)[-\s]+)?$")


def _month_lists(text: str, chosen: list) -> list:
    """"from March to May", "in January and February": a month named alone right after another month
    runs on from it (same year, or the next when it comes earlier in the calendar)."""
    alone = {i for i, (_, h) in enumerate(_RULES) if h.__name__ in ("_month_alone", "_month_attributive")}
    out = list(chosen)
    for i in range(1, len(out)):
        a, b = out[i - 1], out[i]
        if b[4] not in alone or a[3] not in ("month", "range") or b[3] not in ("month", "range"):
            continue
        if not _LIST_JOIN.fullmatch(text[a[1]:b[0]]) and not _LIST_JOIN.fullmatch(
                text[a[1]:b[0]] + " "):
            continue
        a_end = value_bounds(a[2])[1]
        b_first, b_last = value_bounds(b[2])
        y = a_end.year if b_first.month >= a_end.month else a_end.year + 1
        if y == b_first.year:
            continue
        shift = y - b_first.year
        def moved(d):
            return d.replace(year=d.year + shift)
        value = _iso_month(y, b_first.month) if b[3] == "month" else _range_value(moved(b_first), moved(b_last))
        out[i] = (b[0], b[1], value, b[3], b[4])
    return out


def _sentence_initial(text: str, pos: int) -> bool:
    """Does text[pos] open a sentence, a line or a quotation?"""
    return bool(re.search(r"(?:^|[.!?:;]\s*|[\"“‘'(\[]\s*|\n\s*)$", text[max(0, pos - 4):pos]))


def _sentence_bounds(text: str, pos: int) -> tuple[int, int]:
    lo = max(0, pos - 400)
    cuts = list(re.finditer(r"[.!?][\"'”’)]*\s+(?=[A-Z\"“'‘(])|\n\s*\n", text[lo:pos]))
    start = lo + cuts[-1].end() if cuts else lo
    m = re.search(r"[.!?][\"'”’)]*\s+(?=[A-Z\"“'‘(])|\n\s*\n", text[pos:pos + 400])
    end = pos + m.start() + 1 if m else min(len(text), pos + 400)
    return start, end


# Expressions that point back to a date the story has just given, resolved against the mentions found
# before them (discourse), not against the publication date:
#   quarter anaphora      "the quarter", "that quarter", "the quarter ended July 31"
#   year-ago comparisons  "the year-earlier quarter", "the year-ago period", "a year ago" said of a quarter
#   a year's period       "the 1988 period", "last year's quarter"
#   narrative steps       "the following year", "that year", "the next day", "the previous month"
_DISCOURSE = re.compile(
    r"(?<![\w-])(?:"
    r"(?P<qend>the\s+(?:fiscal\s+)?quarter)(?=\s+(?:that\s+)?ended\s+)"
    r"|(?P<qana>(?:the|that|this)\s+(?:same\s+|latest\s+|fiscal\s+)?quarter|the\s+latest\s+period)"
    r"(?!\s+(?:a\s+year|ended|ending)\b)"
    r"|(?P<yago>(?:the\s+)?(?:comparable\s+|corresponding\s+)?year[-\s](?:ago|earlier)"
    r"\s+(?:(?:first|second|third|fourth)[-\s])?(?:quarter|period)"
    r"|the\s+(?:same\s+)?(?:quarter|period)\s+(?:a\s+year\s+(?:ago|earlier)|(?:of\s+)?last\s+year)"
    r"|the\s+(?:corresponding|comparable|same)\s+(?:quarter|period)\s+(?:of\s+|in\s+)?last\s+year"
    r"|last\s+year['’]s\s+(?:quarter|period))"
    r"|(?P<ayear>a\s+year\s+(?:ago|earlier))"
    r"|(?P<lastyear>last\s+year)(?!['’]s\s+(?:first|second|third|fourth|fiscal))"
    r"|(?:the\s+)?(?P<yadj>year[-\s](?:ago|earlier))(?!\s*(?:\$|\d|nine|six|first|half|months))"
    r"|(?P<yperiod>the\s+(?P<py>(?:19|20)\d\d)\s+(?:quarter|period))"
    r"|(?P<step>(?:the\s+(?:following|next|previous|preceding|same)|that)\s+(?P<su>day|week|month|year)"
    r"|the\s+(?P<sb>day|week|month|year)\s+(?:before|after)(?!\s+(?:the|a|an|his|her|their|its|last|"
    r"yesterday|tomorrow)\b)|a\s+(?P<sl>day|week|month|year)\s+later)"
    r")(?![\w-])", re.IGNORECASE)
_DURATION_BEFORE = re.compile(r"(?i)\b(?:over|within|during|throughout|for|in)\s+$")
_YEAR_AGO_RULE = -2      # marks the year-ago comparisons among the mentions
_QUARTER_BACK = 1500
_COMPARISON_BACK = 400   # "a year ago" compares with a quarter named at most this far before     # how far back "the quarter" looks for the quarter it means
_STEP_BACK = 400         # how far back "the following year" looks for the date it follows


def _quarter_start(value: str) -> date:
    return value_bounds(value)[0]


def _discourse(text: str, chosen: list, anchor: Optional[date]) -> list:
    out = sorted(chosen, key=lambda c: c[0])

    def before(pos, back, precisions=None):
        cands = [c for c in out if c[1] <= pos and pos - c[1] <= back and
                 (precisions is None or c[3] in precisions)]
        return cands[-1] if cands else None

    def quarter_before(pos):
        """The quarter the story is about: the last one named before pos (not a year-ago comparison)."""
        cands = [c for c in out if c[1] <= pos and pos - c[1] <= _QUARTER_BACK and c[3] == "quarter"
                 and c[4] != _YEAR_AGO_RULE]
        return cands[-1] if cands else None

    def year_before(q):
        first = _quarter_start(q[2])
        return _quarter_value(first.year - 1, _quarter_of(first))

    for m in _DISCOURSE.finditer(text):
        s, e = m.start(), m.end()
        # leave alone what a rule already read, unless it lies inside this phrase ("1988" in "the 1988 period")
        inside = [o for o in out if s <= o[0] and o[1] <= e]
        if any(not (e <= o[0] or o[1] <= s) for o in out if o not in inside):
            continue
        res = None
        rule = -1
        if any(o[3] == "quarter" for o in inside):
            if m["yago"]:      # "the year-ago third quarter": that quarter a year earlier
                q = [o for o in inside if o[3] == "quarter"][0]
                out = [o for o in out if o not in inside]
                out.append((s, e, year_before(q), "quarter", _YEAR_AGO_RULE))
                out.sort(key=lambda c: c[0])
            continue
        if m["qend"]:
            ended = re.match(r"\s+(?:that\s+)?ended\s+", text[e:e + 20])
            after = [o for o in out if o[0] == e + ended.end() and o[3] == "day"]
            q = quarter_before(s)
            if q and s - q[1] <= _COMPARISON_BACK:
                res = (s, e, q[2], "quarter")        # "its fiscal first quarter ... the quarter ended Sept. 29"
            elif after:
                # the calendar quarter holding most of the three months that end on that day
                end_day = value_bounds(after[0][2])[0]
                mid = end_day - _timedelta(days=45)
                res = (s, e, _quarter_value(mid.year, _quarter_of(mid)), "quarter")
        elif m["qana"]:
            q = quarter_before(s)
            if q:
                res = (s, e, q[2], "quarter")
        elif m["yago"]:
            q = quarter_before(s)
            if q:
                res, rule = (s, e, year_before(q), "quarter"), _YEAR_AGO_RULE
        elif m["yadj"]:
            # "year-earlier results": the quarter under discussion a year before, else the year before
            s = m.start("yadj")
            q = quarter_before(s)
            if q:
                res, rule = (s, e, year_before(q), "quarter"), _YEAR_AGO_RULE
            elif anchor is not None:
                res, rule = (s, e, str(anchor.year - 1), "year"), _YEAR_AGO_RULE
        elif m["ayear"]:
            ss, se = _sentence_bounds(text, s)
            q = [o for o in out if o[3] == "quarter" and ss <= o[0] < se and o[0] != s and o[4] != _YEAR_AGO_RULE]
            q_back = quarter_before(s)
            if q_back and s - q_back[1] > _COMPARISON_BACK:
                q_back = None
            if q or q_back:
                q_near = [o for o in q if o[1] <= s]
                q = q_near[-1] if q_near else q_back or q[0]
                res, rule = (s, e, year_before(q), "quarter"), _YEAR_AGO_RULE
            elif m["ayear"].lower().endswith("ago") and anchor is not None:
                res = (s, e, str(anchor.year - 1), "year")
            else:
                # "a year earlier": than the date just given in the sentence, else than the publication
                prev = [o for o in out if ss <= o[0] and o[1] <= s and o[3] in ("day", "month", "year")]
                if prev:
                    res = (s, e, str(value_bounds(prev[-1][2])[0].year - 1), "year")
                elif anchor is not None:
                    res = (s, e, str(anchor.year - 1), "year")
        elif m["lastyear"]:
            # "net rose to $5m in the third quarter from $3m last year": that quarter, last year
            ss, se = _sentence_bounds(text, s)
            q = [o for o in out if o[3] == "quarter" and ss <= o[0] and o[1] <= s and o[4] != _YEAR_AGO_RULE]
            if q:
                res, rule = (s, e, year_before(q[-1]), "quarter"), _YEAR_AGO_RULE
        elif m["yperiod"]:
            y = int(m["py"])
            q = quarter_before(s)
            res = (s, e, _quarter_value(y, _quarter_of(_quarter_start(q[2]))) if q else str(y),
                   "quarter" if q else "year")
            rule = _YEAR_AGO_RULE
        elif m["step"]:
            if re.match(r"\s+than\b", text[e:e + 6]):
                continue      # "a month later than expected": a comparison
            if _DURATION_BEFORE.search(text[max(0, s - 12):s]) and not m["step"].lower().startswith("that"):
                continue      # "over the next year": a duration
            unit = (m["su"] or m["sb"] or m["sl"]).lower()
            phrase = m["step"].lower()
            prev = before(s, _STEP_BACK)
            if prev is None or "\n\n" in text[prev[1]:s] or prev[3] not in ("day", "month", "year", "quarter"):
                continue
            if prev[3] == "quarter" and unit != "year":
                continue
            base = value_bounds(prev[2])[0]
            base_precision = "month" if prev[3] == "quarter" else prev[3]
            n = 0
            if re.search(r"following|next|after|later", phrase):
                n = 1
            elif re.search(r"previous|preceding|before", phrase):
                n = -1
            rank = {"day": 0, "week": 1, "month": 2, "year": 3}
            if rank.get(base_precision, 3) > rank[unit]:
                continue      # "the next day" after "in March": which day is not said
            if unit == "week":
                res = (s, e, _week_range(_anchor_monday(base + _timedelta(days=7 * n))), "range")
            elif unit == "day":
                res = (s, e, _iso_day(base + _timedelta(days=n)), "day")
            elif unit == "month":
                y, mo = _add_months(base.year, base.month, n)
                res = (s, e, _iso_month(y, mo), "month")
            else:
                res = (s, e, str(base.year + n), "year")
        if res:
            out = [o for o in out if o not in inside]
            out.append((*res, rule))
            out.sort(key=lambda c: c[0])
    return out


def _offsets(text: str, chosen: list) -> list:
    """Fold "three months after <date>" into one mention when the date right after it is resolved."""
    out = []
    for c in chosen:
        s, e, v, p, idx = c
        m = _OFFSET_BEFORE.search(text, max(0, s - 60), s)
        if m and m.end() == s and p in ("day", "month", "year") and not (out and out[-1][1] > m.start()):
            n = _count(m["n"])
            unit = m["u"].lower().rstrip("s")
            sign = -1 if m["dir"].lower().split()[0] in ("before", "earlier", "prior") else 1
            if n:
                shifted = _shift(value_bounds(v)[0], p, sign * n, unit)
                if shifted:
                    out.append((m.start(), e, shifted[0], shifted[1], idx))
                    continue
        out.append(c)
    return out
