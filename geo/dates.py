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
