"""Name folding shared by the gazetteer index and the recogniser, so that spellings meet:
`Tərtər`, `Terter` and `Tartar`; `Xocalı` and `Khojaly` (through their GeoNames alternate names);
`U.S.` and `US`; `St. Louis` and `Saint Louis`; `Nagorno-Karabakh` and `Nagorno Karabakh`."""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from anyascii import anyascii

_APOSTROPHES = re.compile(r"['’‘`ʻʼ]")
_NON_ALNUM = re.compile(r"[^a-z0-9]+")
# Abbreviations folded to their long form on both sides of the index.
_ABBREVIATIONS = {"st": "saint", "ste": "sainte", "ft": "fort", "mt": "mount", "mtn": "mountain"}


def is_latin(name: str) -> bool:
    """True when every letter of `name` is Latin (with or without diacritics)."""
    for ch in name:
        if ch.isalpha() and "LATIN" not in unicodedata.name(ch, ""):
            return False
    return True


@lru_cache(maxsize=200_000)
def fold(name: str) -> str:
    """Lower-case ASCII key for a place name: diacritics and punctuation gone, abbreviations expanded."""
    s = anyascii(name).lower() if not name.isascii() else name.lower()
    s = s.replace(".", "")
    s = _APOSTROPHES.sub("", s)
    words = _NON_ALNUM.sub(" ", s).split()
    return " ".join(_ABBREVIATIONS.get(w, w) for w in words)


_ACRONYM = re.compile(r"(?:[A-Z]\.){2,}[A-Z]?\.?|[A-Z]{2,5}")


def is_dotted(surface: str) -> bool:
    return surface.count(".") >= 2


def acronym_like(text: str, start: int, end: int) -> bool:
    """Is text[start:end] written as an abbreviation ("U.A.E.", "NYC", "NISA")? Such a name matches only
    names the data writes that way. An all-caps word opening a line is a dateline ("PARIS —"), not one."""
    surface = text[start:end]
    if not _ACRONYM.fullmatch(surface):
        return False
    if len(surface) >= 4 and not is_dotted(surface):
        line_start = text.rfind("\n", 0, start) + 1
        if not text[line_start:start].strip() or text[line_start:start].strip().isupper():
            return False
    return True
