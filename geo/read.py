"""Read articles from files, folders and stdin: the first step of the pipeline.

`iter_articles` yields an `Article` for every readable document and a `ReadError`
(never raised) for every bad one, so one broken file never stops a batch.
"""
from __future__ import annotations

import json
import os
import re
import stat
import sys
from pathlib import Path
from typing import Iterable, Iterator, Optional, Union

from geo.dates import normalise_date, publication_date_from_text
from geo.exceptions import ReadError
from geo.types import Article

MAX_FILE_BYTES = 10 * 1024 * 1024   # one non-JSONL file
MAX_TEXT_CHARS = 2_000_000          # one JSON / JSONL record's text
TEXT_EXTS = {".txt"}
MARKDOWN_EXTS = {".md", ".markdown"}
HTML_EXTS = {".html", ".htm"}
JSON_EXTS = {".json"}
JSONL_EXTS = {".jsonl", ".ndjson"}
SUPPORTED_EXTS = TEXT_EXTS | MARKDOWN_EXTS | HTML_EXTS | JSON_EXTS | JSONL_EXTS

# Metadata key → Article field; other keys (author, section, ...) are accepted and ignored.
_META_KEYS = {"title": "title", "date": "date", "published": "date", "url": "url",
              "link": "url", "id": "id", "author": "author"}
_HEADER_LINE = re.compile(r"^\s*(title|date|published|url|link|author|id)\s*:\s*(.*?)\s*$", re.I)
_FRONT_LINE = re.compile(r"^\s*([A-Za-z_][\w-]*)\s*:\s*(.*?)\s*$")

ReadResult = Union[Article, ReadError]


def iter_articles(inputs: Iterable[str], stdin=None) -> Iterator[ReadResult]:
    """Articles (or ReadErrors) from files, folders (recursed) and "-" (JSON Lines on stdin)."""
    for item in inputs:
        if item == "-":
            yield from _iter_jsonl(stdin if stdin is not None else sys.stdin, "-")
        else:
            yield from _iter_path(Path(item))


def _iter_path(path: Path) -> Iterator[ReadResult]:
    try:
        st = path.stat()            # follows a symlink the user named; never opens anything
    except FileNotFoundError:
        yield ReadError(str(path), "broken symbolic link" if path.is_symlink() else "no such file")
        return
    except OSError as e:
        yield ReadError(str(path), f"cannot read: {e.strerror or e}")
        return
    if stat.S_ISDIR(st.st_mode):
        yield from _iter_folder(path)
    else:
        yield from _read_file(path)


def _iter_folder(root: Path) -> Iterator[ReadResult]:
    """The supported files under `root`, sorted, hidden ones left out. A symbolic link is followed
    only when its target stays inside `root`; one pointing outside is skipped with a reason."""
    real_root = os.path.realpath(root)
    found = []
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        here = Path(dirpath)
        dirnames[:] = [d for d in dirnames if not d.startswith(".")]    # .git and co: not walked
        # Symlinked folders are not walked (their target, when inside `root`, is walked anyway).
        for name in dirnames:
            p = here / name
            if p.is_symlink() and not _hidden(p, root) and not _inside(p, real_root):
                found.append((p, ReadError(str(p), f"symbolic link to a folder outside {root}, skipped")))
        for name in filenames:
            p = here / name
            if _hidden(p, root) or p.suffix.lower() not in SUPPORTED_EXTS:
                continue
            if p.is_symlink():
                if not p.exists():
                    found.append((p, ReadError(str(p), "broken symbolic link, skipped")))
                    continue
                if not _inside(p, real_root):
                    found.append((p, ReadError(str(p), f"symbolic link to a file outside {root}, skipped")))
                    continue
            found.append((p, None))
    for p, err in sorted(found, key=lambda pe: pe[0]):
        if err is not None:
            yield err
        else:
            yield from _read_file(p)


def _inside(p: Path, real_root: str) -> bool:
    target = os.path.realpath(p)
    return target == real_root or target.startswith(real_root.rstrip(os.sep) + os.sep)


def _hidden(p: Path, root: Path) -> bool:
    return any(part.startswith(".") for part in p.relative_to(root).parts)


_SPECIAL_FILES = ((stat.S_ISFIFO, "a FIFO (named pipe)"), (stat.S_ISCHR, "a character device"),
                  (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"))


def _not_regular(path: Path) -> Optional[str]:
    """Why `path` is no regular file (FIFO, device, socket, folder), from os.stat: opening a FIFO blocks."""
    mode = os.stat(path).st_mode
    if stat.S_ISREG(mode):
        return None
    for test, what in _SPECIAL_FILES:
        if test(mode):
            return f"is {what}, not a regular file; refused"
    return "is a folder" if stat.S_ISDIR(mode) else "not a regular file; refused"


def _read_file(path: Path) -> Iterator[ReadResult]:
    src, ext = str(path), path.suffix.lower()
    try:
        special = _not_regular(path)            # before any open(): a FIFO would block it
        if special:
            raise ReadError(src, special)
        if ext not in SUPPORTED_EXTS:
            raise ReadError(src, "unsupported file type")
        if ext in JSONL_EXTS:  # streamed, so no whole-file size limit
            with open(path, "rb") as f:
                yield from _iter_jsonl(f, src)
            return
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise ReadError(src, f"file is {size / 2**20:.1f} MB, over the {MAX_FILE_BYTES // 2**20} MB limit")
        text = decode(path.read_bytes(), src)
        if ext in JSON_EXTS:
            yield from _iter_json(text, path)
        elif ext in HTML_EXTS:
            yield _read_html(text, path)
        elif ext in MARKDOWN_EXTS:
            yield _read_markdown(text, path)
        else:
            yield _read_txt(text, path)
    except ReadError as e:
        yield e
    except OSError as e:
        yield ReadError(src, f"cannot read: {e.strerror or e}")
    except Exception as e:  # a parser bug must not end the batch either
        yield ReadError(src, _one_line(f"{type(e).__name__}: {e}"))


# --- decoding -----------------------------------------------------------------

_BOMS = ((b"\xef\xbb\xbf", "utf-8-sig"), (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16"))


def decode(data: bytes, source: str) -> str:
    """Bytes → text: BOM, strict UTF-8, BOM-less UTF-16, cp1252; ReadError for binary/empty."""
    text = _decode(data)
    if text is None or _mostly_control(text):
        raise ReadError(source, "binary file, not text")
    if not text.strip():
        raise ReadError(source, "empty file")
    return text


MAX_NUL_SHARE = 0.01    # stray NUL bytes (≤ 1 %) in a text are dropped; more, and not UTF-16: binary


def _decode(data: bytes) -> Optional[str]:
    for bom, codec in _BOMS:
        if data.startswith(bom):
            text = _try_utf16(data, codec) if codec == "utf-16" else _try(data, codec)
            return None if text is None else text.replace("\x00", "")
    if b"\x00" in data:  # text never holds NUL bytes, except as UTF-16 (or a stray one)
        codec = _utf16_guess(data)
        text = _try_utf16(data, codec) if codec else None
        if text is not None:
            return text.replace("\x00", "")
        if data.count(0) > max(8, MAX_NUL_SHARE * len(data)):
            return None
        data = data.replace(b"\x00", b"")   # a stray NUL is not what makes a file binary
    text = _try(data, "utf-8")
    if text is None:
        text = _try(data, "cp1252") or data.decode("latin-1")  # latin-1 never fails
    return text


def _try(data: bytes, codec: str) -> Optional[str]:
    try:
        return data.decode(codec)
    except UnicodeDecodeError:
        return None


def _try_utf16(data: bytes, codec: str) -> Optional[str]:
    """UTF-16, forgiving one odd trailing byte (a cut-off file, a newline appended by a tool)."""
    return _try(data[:len(data) - len(data) % 2], codec)


def _utf16_guess(data: bytes) -> Optional[str]:
    """UTF-16 without a BOM by its byte pattern: the NULs of its spaces, digits, punctuation and
    Latin letters all fall on one side of each 2-byte unit (odd positions for LE, even for BE).

    Before issue 11 the test wanted NULs at 30 % of those positions, which only English-like text
    has: Cyrillic, Greek or Arabic text (NULs at its spaces only, ~15 %) was called binary. Now 2 %
    is enough when the other side holds (almost) none, and the sample then has to decode as
    UTF-16 with whitespace in it (a UTF-8 text with a stray NUL or two does not)."""
    sample = data[:8192]
    sample = sample[:len(sample) - len(sample) % 2]
    half = len(sample) // 2
    even, odd = sample[0::2].count(0), sample[1::2].count(0)
    for nuls, other, codec in ((odd, even, "utf-16-le"), (even, odd, "utf-16-be")):
        if nuls >= max(2, 0.02 * half) and other <= 0.1 * nuls:
            text = _try(sample, codec) or _try(sample[:-2], codec)   # may end inside a surrogate pair
            if text and sum(c.isspace() or "\u3000" <= c <= "\u303f" for c in text) >= 0.01 * len(text):
                return codec
    return None


def _mostly_control(text: str, sample: int = 65536) -> bool:
    head = text[:sample]
    controls = sum(1 for c in head if (c < " " and c not in "\t\n\r\f") or "\x7f" <= c <= "\x9f")
    return controls > 0.05 * max(len(head), 1)


# --- formats ------------------------------------------------------------------

def _read_txt(text: str, path: Path) -> ReadResult:
    meta, body = _txt_header(text)
    if meta is None:  # headerless: keep the whole text, offsets index it exactly
        return _article(text, path.stem, str(path), {})
    return _article(body, path.stem, str(path), meta)


def _txt_header(text: str) -> tuple[Optional[dict], str]:
    """Leading `Key: value` lines ended by a blank line → (meta, body); else (None, text)."""
    meta, pos = {}, 0
    for line in text.splitlines(keepends=True):
        if not line.strip():
            if meta:
                return meta, text[pos + len(line):].lstrip("\r\n")
            return None, text
        m = _HEADER_LINE.match(line)
        if not m:
            return None, text
        meta[_META_KEYS[m.group(1).lower()]] = m.group(2)
        pos += len(line)
    return None, text  # header lines only, no body: treat as plain text


def _read_markdown(text: str, path: Path) -> ReadResult:
    meta, body = _front_matter(text)
    if meta is None:
        meta, body = {}, text
    if not meta.get("title"):  # "# Heading" → "Heading"
        meta["title"] = _first_line(body).lstrip("#").strip()
    return _article(body, path.stem, str(path), meta)


def _front_matter(text: str) -> tuple[Optional[dict], str]:
    """`---` … `---` block of simple `key: value` lines (no YAML dependency)."""
    lines = text.splitlines(keepends=True)
    if not lines or lines[0].strip() != "---":
        return None, text
    meta, pos = {}, len(lines[0])
    for line in lines[1:]:
        pos += len(line)
        if line.strip() in ("---", "..."):
            return meta, text[pos:].lstrip("\r\n")
        m = _FRONT_LINE.match(line)
        if m and m.group(1).lower() in _META_KEYS:
            meta[_META_KEYS[m.group(1).lower()]] = _unquote(m.group(2))
    return None, text  # never closed: not front matter


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
        return value[1:-1]
    return value


def html_document(html, url: Optional[str] = None):
    """trafilatura's reading of a page (text and metadata), or None when it holds no article text."""
    import trafilatura  # heavy; only loaded when HTML is read

    # extensive_search off: the date must come from the page's metadata, not its text
    # (a date in the text is found by our own byline rule instead).
    doc = trafilatura.bare_extraction(
        html, url=url, with_metadata=True,
        date_extraction_params={"original_date": True, "extensive_search": False})
    text = getattr(doc, "text", None) if doc is not None else None
    return doc if text and text.strip() else None


def _read_html(html: str, path: Path) -> ReadResult:
    doc = html_document(html)
    if doc is None:
        return ReadError(str(path), "no article text found in the HTML")
    meta = {"title": doc.title, "date": doc.date, "url": doc.url}
    return _article(doc.text, path.stem, str(path), meta)


def _iter_json(text: str, path: Path) -> Iterator[ReadResult]:
    src = str(path)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as e:
        yield ReadError(src, _json_reason(e, text, f"line {e.lineno}, column {e.colno}"))
        return
    if isinstance(data, dict):
        yield _from_record(data, path.stem, src, src)
    elif isinstance(data, list):
        for n, record in enumerate(data, 1):
            yield _from_record(record, f"{path.stem}#{n}", src, f"{src}[{n}]")
    else:
        yield ReadError(src, "expected a JSON object or a list of objects")


def _iter_jsonl(stream, src: str) -> Iterator[ReadResult]:
    """One JSON object per line, streamed; a bad line yields a ReadError naming `file:line`."""
    stem = Path(src).stem if src != "-" else "stdin"
    seen_any = False
    for lineno, line in enumerate(stream, 1):
        where = f"{src}:{lineno}"
        if isinstance(line, bytes):
            try:
                line = line.decode("utf-8-sig" if lineno == 1 else "utf-8")
            except UnicodeDecodeError:
                yield ReadError(where, "line is not valid UTF-8")
                continue
        if lineno == 1:
            line = line.lstrip("\ufeff")
        if not line.strip():
            continue
        seen_any = True
        line = line.rstrip("\r\n")          # its own line end is no part of the record
        try:
            record = json.loads(line)
        except json.JSONDecodeError as e:
            yield ReadError(where, _json_reason(e, line, f"column {e.colno}"))
            continue
        # Ids use the line number, so they stay put when another line is fixed.
        yield _from_record(record, f"{stem}#{lineno}", src, where)
    if not seen_any:
        yield ReadError(src, "empty file" if src != "-" else "empty input")


def _json_reason(e: json.JSONDecodeError, doc: str, where: str) -> str:
    """json's whole reason with its place ("Unterminated string starting at column 21"), and
    whether the document simply stops early (a truncated line or file)."""
    msg = f"{e.msg} {where}" if e.msg.endswith(" at") else f"{e.msg} at {where}"
    if e.pos >= len(doc.rstrip()) or e.msg.startswith("Unterminated"):
        msg += " (the text ends before the JSON does: truncated?)"
    return "invalid JSON: " + msg


def _from_record(record, default_id: str, source: str, where: str) -> ReadResult:
    """A JSON record {id, text, title?, published|date?, url|link?} → Article or ReadError."""
    try:
        return _record_article(record, default_id, source, where)
    except ReadError as e:
        return e
    except Exception as e:  # odd field values must not end a stream of records
        return ReadError(where, _one_line(f"{type(e).__name__}: {e}"))


def _record_article(record, default_id: str, source: str, where: str) -> Article:
    if not isinstance(record, dict):
        raise ReadError(where, "record is not a JSON object")
    text = record.get("text")
    if not isinstance(text, str) or not text.strip():
        raise ReadError(where, "record has no non-empty 'text' string")
    if len(text) > MAX_TEXT_CHARS:
        raise ReadError(where, f"text is {len(text):,} characters, over the {MAX_TEXT_CHARS:,} limit")
    meta = {_META_KEYS[k]: v for k, v in record.items() if k in _META_KEYS and v is not None}
    return _article(text, default_id, source, meta)


# --- shared -------------------------------------------------------------------

def _article(text: str, default_id: str, source: str, meta: dict) -> Article:
    """Article from text and its metadata (title, date, url, id; author is ignored)."""
    if not text.strip():
        raise ReadError(source, "no article text after the metadata")
    published, how, span = _published(meta.get("date"), text)
    article_id = meta.get("id")
    return Article(
        id=str(article_id) if article_id not in (None, "") else default_id,
        text=text,
        title=_one_line(str(meta.get("title") or _first_line(text))),
        published=published,
        published_source=how,
        published_span=span,
        url=str(meta["url"]) if meta.get("url") else None,
        source=source,
    )


def _published(meta_date, text: str) -> tuple[Optional[str], str, Optional[tuple]]:
    """Metadata date first, then a byline/dateline date (with its span); never today's date by default."""
    iso = normalise_date(meta_date) if meta_date else None
    if iso:
        return iso, "metadata", None
    found = publication_date_from_text(text)
    if found:
        return found[0], "byline", found[1:]
    return None, "unknown", None


def _first_line(text: str) -> str:
    return next((line.strip() for line in text.splitlines() if line.strip()), "")


def _one_line(s: str) -> str:
    return " ".join(s.split())
