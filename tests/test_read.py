"""Reading articles: formats, encodings, limits and errors (real files in tmp_path, no network)."""
import io
import json
import os
import time
from pathlib import Path

import pytest

from geo.dates import normalise_date, publication_date_from_text
from geo.exceptions import ReadError
from geo.read import MAX_FILE_BYTES, iter_articles
from geo.types import Article

SEED = Path(__file__).resolve().parent.parent / "seeds" / "000_52b5df1d0099c1a6.txt"


def read_all(*inputs, stdin=None):
    return list(iter_articles([str(i) for i in inputs], stdin=stdin))


def read_one(path):
    results = read_all(path)
    assert len(results) == 1, results
    return results[0]


def articles(results):
    return [r for r in results if isinstance(r, Article)]


def errors(results):
    return [r for r in results if isinstance(r, ReadError)]


def assert_error(result, path, reason_part):
    assert isinstance(result, ReadError), result
    message = str(result)
    assert Path(path).name in message
    assert reason_part in message
    assert "\n" not in message


# --- the seed article --------------------------------------------------------

def test_seed_article_title_byline_date_and_exact_text():
    a = read_one(SEED)
    assert isinstance(a, Article)
    assert a.title == "Russian peacekeeping forces reportedly leaving Nagorno-Karabakh"
    assert a.published == "2024-04-17"
    assert a.published_source == "byline"
    assert a.text == SEED.read_bytes().decode("utf-8")
    assert a.id == SEED.stem
    assert a.source == str(SEED)


# --- formats -----------------------------------------------------------------

def test_txt_header_sets_metadata_and_text_is_body(tmp_path):
    body = "Troops left Kalbajar on Wednesday.\n\nMore follows.\n"
    p = tmp_path / "story.txt"
    p.write_text("Title: Troops leave\nDATE: April 17, 2024\nurl: https://x.example/a\n"
                 "Author: Jane Roe\nID: art-7\n\n" + body, encoding="utf-8")
    a = read_one(p)
    assert (a.id, a.title, a.url) == ("art-7", "Troops leave", "https://x.example/a")
    assert (a.published, a.published_source) == ("2024-04-17", "metadata")
    assert a.text == body


def test_txt_header_published_timestamp_is_normalised(tmp_path):
    p = tmp_path / "ts.txt"
    p.write_text("Published: 2024-04-17T09:00:00Z\n\nBody text here.\n", encoding="utf-8")
    a = read_one(p)
    assert (a.published, a.published_source) == ("2024-04-17", "metadata")
    assert a.title == "Body text here."


def test_txt_without_date_is_unknown_never_today(tmp_path):
    p = tmp_path / "nodate.txt"
    p.write_text("A headline\n\nSomething happened in Baku.\n", encoding="utf-8")
    a = read_one(p)
    assert (a.published, a.published_source) == (None, "unknown")


def test_markdown_front_matter(tmp_path):
    body = "# Heading\n\nPeacekeepers left Khojaly.\n"
    p = tmp_path / "post.md"
    p.write_text('---\ntitle: "Peacekeepers leave"\ndate: 2024-04-17\nurl: https://x.example/p\n'
                 "tags: [a, b]\n---\n" + body, encoding="utf-8")
    a = read_one(p)
    assert (a.title, a.published, a.published_source) == ("Peacekeepers leave", "2024-04-17", "metadata")
    assert a.url == "https://x.example/p"
    assert a.text == body


def test_markdown_without_front_matter_uses_heading(tmp_path):
    p = tmp_path / "plain.markdown"
    p.write_text("# Big news\n\nText.\n", encoding="utf-8")
    a = read_one(p)
    assert a.title == "Big news"
    assert a.text == "# Big news\n\nText.\n"


HTML_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Peacekeepers leave Karabakh | Example News</title>
<meta property="og:title" content="Peacekeepers leave Karabakh">
<meta property="article:published_time" content="2024-04-17T09:00:00Z">
<link rel="canonical" href="https://news.example.com/2024/peacekeepers-leave">
</head>
<body>
<nav><a href="/">Home</a> <a href="/world">World</a></nav>
<article>
<h1>Peacekeepers leave Karabakh</h1>
<p>The withdrawal of Russian peacekeeping forces from Nagorno-Karabakh has begun, according to
sources in Baku cited by local media on Wednesday.</p>
<p>The first contingent and its military equipment left the area around the Dadivank Monastery
in the Kalbajar district, the reports said.</p>
<p>Azerbaijani police have taken over the post at Dadivank, and similar handovers are under way
at other locations, including the base near Khojaly.</p>
</article>
<footer>Copyright 2024 Example News</footer>
</body>
</html>
"""


def test_html_through_trafilatura(tmp_path):
    p = tmp_path / "page.html"
    p.write_text(HTML_PAGE, encoding="utf-8")
    a = read_one(p)
    assert isinstance(a, Article), a
    assert a.title == "Peacekeepers leave Karabakh"
    assert (a.published, a.published_source) == ("2024-04-17", "metadata")
    assert a.url == "https://news.example.com/2024/peacekeepers-leave"
    assert "Dadivank Monastery" in a.text
    assert "Home" not in a.text and "Copyright" not in a.text


def test_json_list_of_records(tmp_path):
    p = tmp_path / "batch.json"
    p.write_text(json.dumps([
        {"id": "r1", "text": "First story.", "title": "One", "published": "17 April 2024",
         "section": "world", "keywords": ["x"]},
        {"text": "Second story.", "date": "2024-04-18", "url": "https://x.example/2"},
        {"title": "no text"},
    ]), encoding="utf-8")
    results = read_all(p)
    a1, a2 = articles(results)
    assert (a1.id, a1.title, a1.published, a1.published_source) == ("r1", "One", "2024-04-17", "metadata")
    assert (a2.id, a2.title, a2.published, a2.url) == ("batch#2", "Second story.", "2024-04-18",
                                                       "https://x.example/2")
    [err] = errors(results)
    assert_error(err, p, "text")


def test_json_single_object_uses_file_stem(tmp_path):
    p = tmp_path / "single.json"
    p.write_text('{"text": "Only one."}', encoding="utf-8")
    assert read_one(p).id == "single"


def test_jsonl_malformed_line_names_file_and_line(tmp_path):
    p = tmp_path / "feed.jsonl"
    p.write_text('{"id": "a", "text": "Alpha."}\n{"id": "b", "text": \n\n{"text": "Gamma."}\n',
                 encoding="utf-8")
    results = read_all(p)
    assert [a.id for a in articles(results)] == ["a", "feed#4"]
    [err] = errors(results)
    assert_error(err, p, "feed.jsonl:2")


def test_jsonl_record_text_over_limit(tmp_path, monkeypatch):
    monkeypatch.setattr("geo.read.MAX_TEXT_CHARS", 10)
    p = tmp_path / "big.ndjson"
    p.write_text('{"text": "short"}\n{"text": "far too long a text"}\n', encoding="utf-8")
    results = read_all(p)
    assert len(articles(results)) == 1
    assert_error(errors(results)[0], p, "big.ndjson:2")


def test_stdin_jsonl():
    stdin = io.StringIO('{"id": "s1", "text": "From stdin.", "published": "April 17, 2024"}\nnot json\n')
    results = read_all("-", stdin=stdin)
    [a] = articles(results)
    assert (a.id, a.source, a.published) == ("s1", "-", "2024-04-17")
    [err] = errors(results)
    assert str(err).startswith("-:2:")


# --- encodings ---------------------------------------------------------------

def test_cp1252_smart_quotes_and_accents(tmp_path):
    text = "Caf\u00e9 talks\n\n\u201cWe agreed,\u201d said the d\u00e9l\u00e9gu\u00e9 \u2013 finally.\n"
    p = tmp_path / "win.txt"
    p.write_bytes(text.encode("cp1252"))
    a = read_one(p)
    assert a.text == text
    assert a.title == "Caf\u00e9 talks"


def test_utf16_with_bom(tmp_path):
    text = "Baku talks\n\nThe ministers met in Baku. \u00c7\u0259k\u0259n.\n"
    p = tmp_path / "u16.txt"
    p.write_bytes(text.encode("utf-16"))  # native order with BOM
    assert read_one(p).text == text
    p.write_bytes(b"\xfe\xff" + text.encode("utf-16-be"))
    assert read_one(p).text == text


def test_utf16_without_bom_detected_by_nul_pattern(tmp_path):
    text = "Plain headline\n\nSome ASCII heavy body text for the heuristic.\n"
    p = tmp_path / "u16le.txt"
    p.write_bytes(text.encode("utf-16-le"))
    assert read_one(p).text == text


def test_utf8_bom_is_stripped(tmp_path):
    p = tmp_path / "bom.txt"
    p.write_bytes(b"\xef\xbb\xbfHeadline\n\nBody.\n")
    a = read_one(p)
    assert a.text == "Headline\n\nBody.\n" and a.title == "Headline"


# --- bad inputs --------------------------------------------------------------

def test_empty_and_whitespace_files(tmp_path):
    empty, blank = tmp_path / "empty.txt", tmp_path / "blank.md"
    empty.write_bytes(b"")
    blank.write_text(" \n\t\n", encoding="utf-8")
    assert_error(read_one(empty), empty, "empty file")
    assert_error(read_one(blank), blank, "empty file")


def test_empty_jsonl_and_empty_stdin(tmp_path):
    p = tmp_path / "none.jsonl"
    p.write_text("\n\n", encoding="utf-8")
    assert_error(read_one(p), p, "empty file")
    assert [str(r) for r in read_all("-", stdin=io.StringIO(""))] == ["-: empty input"]


def test_binary_file(tmp_path):
    p = tmp_path / "image.txt"
    p.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + os.urandom(4096))
    assert_error(read_one(p), p, "binary file, not text")


def test_binary_without_nul_bytes(tmp_path):
    p = tmp_path / "noise.txt"
    p.write_bytes(bytes(b for b in os.urandom(8192) if b))
    assert_error(read_one(p), p, "binary file, not text")


def test_oversized_file_is_rejected_without_reading(tmp_path):
    p = tmp_path / "huge.txt"
    with open(p, "wb") as f:
        f.truncate(20 * 1024 * 1024)  # sparse: instant to create
    assert p.stat().st_size > MAX_FILE_BYTES
    start = time.perf_counter()
    result = read_one(p)
    assert time.perf_counter() - start < 1.0
    assert_error(result, p, "file is 20.0 MB, over the 10 MB limit")


def test_missing_path_and_unsupported_type(tmp_path):
    missing, pdf = tmp_path / "missing.txt", tmp_path / "report.pdf"
    pdf.write_bytes(b"%PDF-1.4")
    assert_error(read_one(missing), missing, "no such file")
    assert_error(read_one(pdf), pdf, "unsupported file type")


def test_invalid_json_file(tmp_path):
    p = tmp_path / "broken.json"
    p.write_text('{"text": ', encoding="utf-8")
    assert_error(read_one(p), p, "invalid JSON")


def test_html_without_article_text(tmp_path):
    p = tmp_path / "shell.htm"
    p.write_text("<html><head><title>x</title></head><body></body></html>", encoding="utf-8")
    assert_error(read_one(p), p, "no article text")


def test_folder_mixes_good_and_bad_files(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "a.txt").write_text("Alpha\n\nText.\n", encoding="utf-8")
    (tmp_path / "sub" / "b.md").write_text("---\ntitle: Beta\n---\nText.\n", encoding="utf-8")
    (tmp_path / "sub" / "c.jsonl").write_text('{"text": "Gamma."}\n{bad\n', encoding="utf-8")
    (tmp_path / "empty.txt").write_bytes(b"")
    (tmp_path / "bin.html").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + os.urandom(512))
    (tmp_path / "notes.pdf").write_bytes(b"%PDF")           # unsupported: skipped in folders
    (tmp_path / ".hidden.txt").write_text("Hidden\n", encoding="utf-8")
    results = read_all(tmp_path)
    assert sorted(a.title for a in articles(results)) == ["Alpha", "Beta", "Gamma."]
    errs = errors(results)
    assert sorted(Path(e.source.split(":")[0]).name for e in errs) == ["bin.html", "c.jsonl", "empty.txt"]
    assert_error(next(e for e in errs if "c.jsonl" in e.source), "c.jsonl", "c.jsonl:2")


def test_several_inputs_keep_order_and_never_raise(tmp_path):
    good = tmp_path / "good.txt"
    good.write_text("Good\n\nText.\n", encoding="utf-8")
    results = read_all(tmp_path / "nope.txt", good)
    assert isinstance(results[0], ReadError) and isinstance(results[1], Article)


# --- publication date from text ----------------------------------------------

@pytest.mark.parametrize("text, expected", [
    ("Headline\n\nBy Cavid Aga in Baku April 17, 2024\n\nBody.", "2024-04-17"),
    ("Headline\nPublished: 17 April 2024\n\nBody.", "2024-04-17"),
    ("Headline\n2024-04-17\n\nBody.", "2024-04-17"),
    ("LONDON, April 17, 2024 (Reuters) - " + "Ministers met for talks. " * 10, "2024-04-17"),
    ("WASHINGTON, March 3 (Reuters) - " + "Officials said on April 2, 2024 that talks went on. " * 3, None),
    ("Headline\n\n" + "The deal signed on November 10, 2020 ended the war and set terms. " * 3, None),
    ("Headline\n" + "\n" * 20 + "April 17, 2024", None),
    ("Headline\nBy Staff, Feb 30, 2024\n", None),
])
def test_publication_date_from_text(text, expected):
    found = publication_date_from_text(text)
    if expected is None:
        assert found is None
    else:
        iso, start, end = found
        assert iso == expected
        assert normalise_date(text[start:end]) == expected


@pytest.mark.parametrize("value, expected", [
    ("2024-04-17T09:00:00Z", "2024-04-17"),
    ("2024-04-17T23:30:00-05:00", "2024-04-17"),
    ("April 17, 2024", "2024-04-17"),
    ("Wed, 17 Apr 2024 09:00:00 GMT", "2024-04-17"),
    ("April 2024", None),
    ("yesterday", None),
    ("", None),
])
def test_normalise_date_never_fills_in_today(value, expected):
    assert normalise_date(value) == expected


# --- issue 11: smaller input cases -------------------------------------------

@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be"])
def test_utf16_without_bom_in_a_non_latin_script_is_text_not_binary(tmp_path, codec):
    # NULs only at the spaces and punctuation (~15 % of the units): once called "binary"
    text = "Обстріл Харкова\n\nУночі 5 травня російські війська обстріляли Харків, повідомили чиновники.\n"
    p = tmp_path / "uk.txt"
    p.write_bytes(text.encode(codec))
    a = read_one(p)
    assert isinstance(a, Article) and a.text == text and a.title == "Обстріл Харкова"
    p.write_bytes(text.encode(codec) + b"\n")          # one odd trailing byte (a tool's newline)
    assert read_one(p).text == text


def test_utf16_without_bom_seed_article(tmp_path):
    text = SEED.read_text(encoding="utf-8")
    p = tmp_path / "seed16.txt"
    p.write_bytes(text.encode("utf-16-le"))
    assert read_one(p).text == text


def test_a_stray_nul_byte_in_utf8_text_is_dropped_not_binary(tmp_path):
    p = tmp_path / "nul.txt"
    p.write_bytes("Kyiv talks\n\nThe ministers\x00 met in Kyiv on 3 May 2024. Çəkən.\n".encode("utf-8"))
    a = read_one(p)
    assert isinstance(a, Article), a
    assert a.text == "Kyiv talks\n\nThe ministers met in Kyiv on 3 May 2024. Çəkən.\n" and a.title == "Kyiv talks"


def test_many_nul_bytes_are_still_binary(tmp_path):
    p = tmp_path / "blob.txt"
    p.write_bytes(b"header\x00\x00\x00\x01\x02" * 400)
    assert_error(read_one(p), p, "binary file, not text")


def _read_in_thread(*inputs, wait=10):
    """read_all in a thread, so a blocking open() fails the test instead of hanging it."""
    import threading
    box = {}
    t = threading.Thread(target=lambda: box.setdefault("r", read_all(*inputs)), daemon=True)
    t.start()
    t.join(wait)
    assert not t.is_alive(), "reading blocked (a FIFO was opened)"
    return box["r"]


def test_fifo_given_or_in_a_folder_is_refused_without_opening_it(tmp_path):
    fifo = tmp_path / "pipe.txt"
    os.mkfifo(fifo)
    (tmp_path / "good.txt").write_text("Good\n\nText.\n", encoding="utf-8")
    [err] = _read_in_thread(fifo)
    assert_error(err, fifo, "is a FIFO (named pipe), not a regular file")
    results = _read_in_thread(tmp_path)
    assert [a.title for a in articles(results)] == ["Good"]
    [err] = errors(results)
    assert_error(err, fifo, "FIFO")


def test_device_file_is_refused():
    [err] = _read_in_thread("/dev/null")
    assert_error(err, "/dev/null", "is a character device, not a regular file")


def test_symlinks_are_followed_only_inside_the_given_folder(tmp_path):
    outside, root = tmp_path / "outside", tmp_path / "corpus"
    outside.mkdir()
    (root / "sub").mkdir(parents=True)
    (outside / "secret.txt").write_text("Secret\n\nNot for the corpus.\n", encoding="utf-8")
    (outside / "more").mkdir()
    (outside / "more" / "x.txt").write_text("X\n\nOutside too.\n", encoding="utf-8")
    (root / "sub" / "real.txt").write_text("Real\n\nInside.\n", encoding="utf-8")
    os.symlink(root / "sub" / "real.txt", root / "alias.txt")          # inside: followed
    os.symlink(outside / "secret.txt", root / "leak.txt")              # outside: skipped
    os.symlink("../../outside/secret.txt", root / "sub" / "rel.txt")   # relative, outside: skipped
    os.symlink(outside / "more", root / "more")                        # folder outside: skipped
    os.symlink(root / "gone.txt", root / "broken.txt")
    results = read_all(root)
    assert sorted(a.title for a in articles(results)) == ["Real", "Real"]
    errs = {Path(e.source).name: e for e in errors(results)}
    assert set(errs) == {"leak.txt", "rel.txt", "more", "broken.txt"}
    for name in ("leak.txt", "rel.txt"):
        assert_error(errs[name], name, "symbolic link to a file outside")
    assert_error(errs["more"], "more", "symbolic link to a folder outside")
    assert_error(errs["broken.txt"], "broken.txt", "broken symbolic link")
    # named on the command line, a symlink is the user's choice and is read
    assert read_one(root / "leak.txt").title == "Secret"


def test_truncated_jsonl_line_gets_the_whole_reason_and_its_line_number(tmp_path):
    p = tmp_path / "cut.jsonl"
    p.write_text('{"id": "a", "text": "Alpha."}\n{"id": "b", "text": "Shelling hit Khar\n{"id" "c"}\n',
                 encoding="utf-8")
    results = read_all(p)
    assert [a.id for a in articles(results)] == ["a"]
    cut, bad = errors(results)
    assert str(cut) == (f"{p}:2: invalid JSON: Unterminated string starting at column 21 "
                        "(the text ends before the JSON does: truncated?)")
    assert str(bad) == f"{p}:3: invalid JSON: Expecting ':' delimiter at column 7"
