"""Bounded work per article (issue 11): long texts are read in pieces, one bad article never costs the
batch, and known articles are recognised before any geoparsing."""
from geo.ingest import MAX_ARTICLE_CHARS, ingest
from geo.recognise import chunks
from geo.store import Store
from geo.types import Article

NEWS = ("Protesters gathered in Kharkiv on Sunday.\n\nPolice in Kyiv said three people were detained.\n\n"
        "Officials in Odesa reported no damage. Later, talks were held in Warsaw and in Vilnius.")


def test_pieces_cover_the_text_exactly_and_cut_at_paragraph_or_sentence_ends():
    text = NEWS * 40
    pieces = chunks(text, 300)
    assert pieces[0][0] == 0 and pieces[-1][1] == len(text)
    assert all(a[1] == b[0] for a, b in zip(pieces, pieces[1:]))          # no gap, no overlap
    assert all(b - a <= 300 for a, b in pieces)
    assert all(text[b - 1] in " \n" for _, b in pieces[:-1])              # never inside a word


def test_one_long_word_is_cut_hard_and_still_covered():
    text = "x" * 1000
    assert chunks(text, 300) == [(0, 300), (300, 600), (600, 900), (900, 1000)]


def test_reading_in_pieces_finds_the_same_places_at_the_same_offsets(geoparser):
    text = NEWS * 5
    whole = [(s.start, s.end, s.text) for s in geoparser.recogniser.find_many([text])[0]]
    pieces = [(s.start, s.end, s.text) for s in geoparser.recogniser.find_many([text], chunk_chars=200)[0]]
    assert whole == pieces and ("Kharkiv" in {t for _, _, t in whole})
    assert all(text[a:b] == t for a, b, t in pieces)


def test_a_text_longer_than_spacys_limit_is_stored_with_the_rest_of_its_batch(tmp_path, geoparser):
    # over 2.1 million characters used to raise spaCy's E088 and lose the whole batch
    long_text = "Protesters gathered in Kharkiv on Sunday.\n\n" + " " * 2_200_000 + "\n\nLater, a rally was held in Lviv on Monday."
    articles = [Article(id="long", text=long_text, published="2025-03-14", source="long.txt"),
                Article(id="short", text=NEWS, published="2025-03-14", source="short.txt")]
    with Store.open(tmp_path / "events.db") as store:
        summary = ingest(articles, store, geoparser)
        assert summary.added == 2 and not summary.failed
        names = {e["name"] for e in store.events(include_hidden=True)}
    assert {"Kharkiv", "Lviv"} <= names            # the place after 2.2 million characters, too


def test_a_text_over_the_size_limit_gets_a_reason_and_the_batch_goes_in(tmp_path, geoparser):
    huge = Article(id="huge", text="a " * (MAX_ARTICLE_CHARS // 2 + 1), published="2025-03-14", source="dump.txt")
    good = Article(id="good", text=NEWS, published="2025-03-14", source="good.txt")
    with Store.open(tmp_path / "events.db") as store:
        summary = ingest([huge, good], store, geoparser)
    assert summary.added == 1
    assert [src for src, _ in summary.failed] == ["dump.txt"]
    assert "over the" in summary.failed[0][1] and "limit" in summary.failed[0][1]


def test_a_known_article_is_recognised_before_geoparsing(tmp_path, geoparser):
    article = Article(id="a", text=NEWS, published="2025-03-14", source="a.txt")
    seen = []
    with Store.open(tmp_path / "events.db") as store:
        ingest([article], store, geoparser)
        again = ingest([Article(id="b", text=NEWS + "\n", published="2025-03-14", source="b.txt")], store, geoparser,
                       on_item=seen.append)
    assert (again.added, again.duplicates) == (0, 1)
    # the progress callback is handed the article itself, not a geoparsed result: nothing was parsed
    assert [type(x).__name__ for x in seen] == ["Article"]
