"""Loaders for the development corpora in ../shared/corpora (read-only; never copied into the project).

Every geoparsing corpus is read into documents shaped alike:

    {"id": str, "text": str,
     "gold": [{"start": int, "end": int, "name": str, "lat": float | None, "lon": float | None, "ref": str}]}

where `text[start:end] == name` always holds (the loaders repair or drop gold entries for which it does
not) and `lat`/`lon` are None for a toponym that the annotators did not geocode.

Corpus quirks handled here (see ../shared/corpora/README.md):
  * GeoVirus: every <start>/<end> is one too high, so start-1/end-1 are used and checked against <name>.
  * TR-News: some offsets are shifted by a few characters or broken; such a toponym is re-aligned to the
    occurrence of its <phrase> nearest to <start>. Toponyms without a <gaztag> have no coordinates.

Run `python benchmarks/corpora.py [--corpus PATH]` to print what each loader found and repaired.
"""
from __future__ import annotations

import argparse
import json
import re
import sys
import xml.etree.ElementTree as ET
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CORPORA = PROJECT_ROOT.parent / "shared" / "corpora"

GEOVIRUS_FILE = "geovirus/GeoVirus.xml"
TRNEWS_FILE = "tr-news/TR-News.xml"
VOA_FILE = "voa/voa_stories.jsonl"

# How far (in characters, either side of the stated span) a TR-News phrase is searched for when its
# offsets do not match. The largest drift in the file is about 10 characters.
REALIGN_WINDOW = 40


class CorpusNotFound(FileNotFoundError):
    """A corpus file is missing; str() is the message to print before skipping."""

    def __init__(self, path: Path):
        self.path = path
        super().__init__(f"skipped: corpus not found at {path}")


@dataclass
class Corpus:
    """The documents of one corpus and what the loader had to do to read them."""
    name: str
    docs: list
    stats: Counter = field(default_factory=Counter)

    def __iter__(self):
        return iter(self.docs)

    def __len__(self):
        return len(self.docs)

    def describe(self) -> str:
        s = self.stats
        parts = [f"{s['exact']} offsets exact"]
        if s["realigned"] or self.name == "TR-News":
            parts.append(f"{s['realigned']} re-aligned")
        parts.append(f"{s['dropped']} dropped")
        if s["duplicate"]:
            parts.append(f"{s['duplicate']} duplicates removed")
        if s["no_coords"]:
            parts.append(f"{s['no_coords']} without coordinates")
        return f"{self.name}: {len(self.docs)} docs, {s['toponyms']} gold toponyms ({', '.join(parts)})"


def corpus_file(corpora_dir, relative: str) -> Path:
    path = Path(corpora_dir) / relative
    if not path.is_file():
        raise CorpusNotFound(path)
    return path


def _float(value):
    return None if value is None or not value.strip() else float(value)


def _gold(start: int, end: int, name: str, lat, lon, ref: str = "") -> dict:
    return {"start": start, "end": end, "name": name, "lat": lat, "lon": lon, "ref": ref}


def _dedupe(gold: list, stats: Counter) -> list:
    """Sort by offset and drop a second annotation of the same span (can appear after re-alignment)."""
    seen, kept = set(), []
    for g in sorted(gold, key=lambda g: (g["start"], g["end"])):
        if (g["start"], g["end"]) in seen:
            stats["duplicate"] += 1
            continue
        seen.add((g["start"], g["end"]))
        kept.append(g)
    return kept


# --- GeoVirus --------------------------------------------------------------------------------------

def load_geovirus(corpora_dir=DEFAULT_CORPORA) -> Corpus:
    """GeoVirus (Gritta et al. 2018): WikiNews paragraphs; offsets are one too high in the file."""
    root = ET.parse(corpus_file(corpora_dir, GEOVIRUS_FILE)).getroot()
    corpus = Corpus("GeoVirus", [])
    for i, article in enumerate(root.iter("article")):
        text = article.findtext("text") or ""
        gold = []
        for loc in article.iter("location"):
            corpus.stats["toponyms"] += 1
            name = loc.findtext("name") or ""
            start, end = int(loc.findtext("start")) - 1, int(loc.findtext("end")) - 1
            if text[start:end] != name:
                corpus.stats["dropped"] += 1
                continue
            corpus.stats["exact"] += 1
            gold.append(_gold(start, end, name, _float(loc.findtext("lat")), _float(loc.findtext("lon")),
                              loc.findtext("page") or ""))
        corpus.docs.append({"id": f"geovirus-{i:03d}", "text": text, "gold": _dedupe(gold, corpus.stats)})
    return corpus


# --- TR-News ---------------------------------------------------------------------------------------

def _is_word_bounded(text: str, start: int, end: int) -> bool:
    before = text[start - 1] if start > 0 else " "
    after = text[end] if end < len(text) else " "
    return not before.isalnum() and not after.isalnum()


def realign(text: str, phrase: str, start: int, window: int = REALIGN_WINDOW):
    """The start of the occurrence of `phrase` nearest to `start` (within `window`), or None.

    Whole-word occurrences are preferred to ones inside a longer word."""
    lo = max(0, start - window)
    hits = [m.start() + lo for m in re.finditer(re.escape(phrase), text[lo:start + len(phrase) + window])]
    if not hits:
        return None
    return min(hits, key=lambda h: (not _is_word_bounded(text, h, h + len(phrase)), abs(h - start)))


def load_trnews(corpora_dir=DEFAULT_CORPORA) -> Corpus:
    """TR-News (Kamalloo & Rafiei 2018): news articles; some offsets need re-aligning to <phrase>."""
    root = ET.parse(corpus_file(corpora_dir, TRNEWS_FILE)).getroot()
    corpus = Corpus("TR-News", [])
    for article in root.iter("article"):
        text = article.findtext("text") or ""
        gold = []
        for top in article.iter("toponym"):
            corpus.stats["toponyms"] += 1
            phrase = top.findtext("phrase") or ""
            start = int(top.findtext("start"))
            if text[start:start + len(phrase)] == phrase and int(top.findtext("end")) == start + len(phrase):
                corpus.stats["exact"] += 1
            else:
                start = realign(text, phrase, start)
                if start is None or not phrase:
                    corpus.stats["dropped"] += 1
                    continue
                corpus.stats["realigned"] += 1
            tag = top.find("gaztag")
            lat = _float(tag.findtext("lat")) if tag is not None else None
            lon = _float(tag.findtext("lon")) if tag is not None else None
            if lat is None or lon is None:
                corpus.stats["no_coords"] += 1
                lat = lon = None
            ref = f"gn:{tag.get('geonameid')}" if tag is not None and tag.get("geonameid") else ""
            gold.append(_gold(start, start + len(phrase), phrase, lat, lon, ref))
        corpus.docs.append({"id": article.get("docid") or f"trnews-{len(corpus.docs):03d}",
                            "text": text, "gold": _dedupe(gold, corpus.stats)})
    return corpus


# --- VOA -------------------------------------------------------------------------------------------

def load_voa(corpora_dir=DEFAULT_CORPORA) -> list:
    """Voice of America stories (no gold): [{id, title, published, text}], for speed and demos."""
    path = corpus_file(corpora_dir, VOA_FILE)
    stories = []
    with path.open(encoding="utf-8") as f:
        for line in f:
            if line.strip():
                rec = json.loads(line)
                stories.append({"id": str(rec["id"]), "title": rec.get("title", ""),
                                "published": rec.get("published"), "text": rec.get("text", "")})
    return stories


def voa_path(corpora_dir=DEFAULT_CORPORA) -> Path:
    return corpus_file(corpora_dir, VOA_FILE)


LOADERS = {"geovirus": load_geovirus, "trnews": load_trnews}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="Load the development corpora and report offset repairs.")
    parser.add_argument("--corpus", default=str(DEFAULT_CORPORA), help="corpora folder (default: %(default)s)")
    args = parser.parse_args(argv)
    for load in LOADERS.values():
        try:
            print(load(args.corpus).describe())
        except CorpusNotFound as e:
            print(e)
    try:
        print(f"VOA: {len(load_voa(args.corpus))} stories")
    except CorpusNotFound as e:
        print(e)
    return 0


if __name__ == "__main__":
    sys.exit(main())
