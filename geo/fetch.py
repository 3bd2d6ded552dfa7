"""Fetch articles from the web: only used when the user asks for a URL.

The tool works offline; this module is the one place that touches the network, and
only for a URL the user gave. The URL may be an article page or an RSS/Atom feed
(then every entry's page is fetched). Like `geo.read.iter_articles`, `fetch_articles`
yields an `Article` per readable page and a `ReadError` (never raised) per failure,
each naming the URL and the reason on one line.
"""
from __future__ import annotations

import http.client
import io
import urllib.error
import urllib.request
from typing import Iterator, Optional
from urllib.parse import urljoin, urlparse

from geo import __version__
from geo.dates import normalise_date
from geo.exceptions import ReadError
from geo.read import ReadResult, _article, _one_line, html_document

MAX_BYTES = 10 * 1024 * 1024
DEFAULT_USER_AGENT = f"Mozilla/5.0 (compatible; geo-news-geoparser/{__version__}; Python urllib)"
HTML_TYPES = {"text/html", "application/xhtml+xml"}
FEED_TYPES = {"application/rss+xml", "application/atom+xml", "application/rdf+xml",
              "application/xml", "text/xml"}
_SNIFF_TYPES = HTML_TYPES | FEED_TYPES | {"text/plain"}   # may hold a feed whatever the label
_ACCEPT = ("text/html,application/xhtml+xml,application/rss+xml,application/atom+xml,"
           "application/xml;q=0.9,*/*;q=0.5")


def is_url(s: str) -> bool:
    """True for an http:// or https:// URL with a host (and no spaces or control characters)."""
    try:
        s = s.strip()
        parts = urlparse(s)
    except (AttributeError, ValueError):
        return False
    return (parts.scheme.lower() in ("http", "https") and bool(parts.netloc)
            and not any(c.isspace() or ord(c) < 32 for c in s))


def fetch_articles(url: str, timeout: float = 15,
                   user_agent: str = DEFAULT_USER_AGENT) -> Iterator[ReadResult]:
    """Articles (or ReadErrors) from an article page or from every entry of an RSS/Atom feed.

    `timeout` (seconds) applies to connecting and to each read, as in urllib.
    """
    try:
        body, ctype, charset = _download(url, timeout, user_agent)
        feed = _parse_feed(body, ctype, url) if ctype in _SNIFF_TYPES else None
        if feed is not None:
            yield from _feed_articles(feed, url, timeout, user_agent)
        elif ctype in HTML_TYPES:
            yield _page_article(body, charset, url)
        elif ctype in FEED_TYPES:
            yield _error(url, f"{ctype} content is not an RSS or Atom feed")
        else:
            yield _error(url, f"not an HTML page or a feed (content type {ctype})")
    except ReadError as e:
        yield e
    except Exception as e:  # a parser bug must not end the batch
        yield _error(url, f"{type(e).__name__}: {e}")


def _download(url: str, timeout: float, user_agent: str) -> tuple[bytes, str, Optional[str]]:
    """(body, content type, charset or None); ReadError for every network or HTTP failure."""
    if not is_url(url):
        raise _error(url, "not an http:// or https:// URL")
    request = urllib.request.Request(url.strip(), headers={"User-Agent": user_agent, "Accept": _ACCEPT})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as resp:
            length = resp.headers.get("Content-Length", "")
            if length.isdigit() and int(length) > MAX_BYTES:
                raise _too_big(url)
            body = resp.read(MAX_BYTES + 1)
            if len(body) > MAX_BYTES:
                raise _too_big(url)
            return body, resp.headers.get_content_type(), resp.headers.get_content_charset()
    except urllib.error.HTTPError as e:
        e.close()
        raise _error(url, f"HTTP {e.code} {e.reason}") from None
    except urllib.error.URLError as e:
        reason = "timed out" if isinstance(e.reason, TimeoutError) else e.reason
        raise _error(url, f"cannot connect: {reason}") from None
    except TimeoutError:
        raise _error(url, f"timed out after {timeout:g} s") from None
    except (http.client.HTTPException, OSError, ValueError) as e:
        raise _error(url, f"download failed: {type(e).__name__}: {e}") from None


def _parse_feed(body: bytes, ctype: str, url: str):
    """The feedparser result when the body is an RSS/Atom feed with entries, else None."""
    import feedparser  # only needed for URLs

    # A stream, never a string: feedparser would fetch a URL or open a file path.
    feed = feedparser.parse(io.BytesIO(body), response_headers={
        "content-type": ctype, "content-location": url})
    if feed.get("version") and feed.entries:
        return feed
    if feed.get("version") and ctype in FEED_TYPES:
        raise _error(url, "the feed has no entries")
    return None


def _feed_articles(feed, feed_url: str, timeout: float, user_agent: str) -> Iterator[ReadResult]:
    for n, entry in enumerate(feed.entries, 1):
        link = entry.get("link")
        if not link:
            yield _error(f"{feed_url} (entry {n})", "feed entry has no link")
            continue
        link = urljoin(feed_url, link)
        fallback = {"title": entry.get("title"), "date": entry.get("published") or entry.get("updated")}
        try:
            body, ctype, charset = _download(link, timeout, user_agent)
            if ctype not in HTML_TYPES:
                raise _error(link, f"not an HTML page (content type {ctype})")
            yield _page_article(body, charset, link, fallback)
        except ReadError as e:
            yield e
        except Exception as e:
            yield _error(link, f"{type(e).__name__}: {e}")


def _page_article(body: bytes, charset: Optional[str], url: str,
                  fallback: Optional[dict] = None) -> ReadResult:
    """Article from an HTML page, extracted as geo.read does for .html files.

    Title: the page's, else the feed entry's. Date: the page metadata's, else the
    entry's, else the byline rule (in geo.read._article).
    """
    html = body
    if charset:  # the server's charset; without one, trafilatura detects the encoding
        try:
            html = body.decode(charset, errors="replace")
        except LookupError:
            pass
    doc = html_document(html, url=url)
    if doc is None:
        return _error(url, "no article text found in the page")
    fallback = fallback or {}
    page_date = doc.date if normalise_date(doc.date) else None
    meta = {"title": doc.title or fallback.get("title"),
            "date": page_date or fallback.get("date"), "url": url, "id": url}
    return _article(doc.text, url, url, meta)


def _too_big(url: str) -> ReadError:
    return _error(url, f"response is over the {MAX_BYTES // 2**20} MB limit")


def _error(source: str, reason) -> ReadError:
    return ReadError(_one_line(str(source)), _one_line(str(reason)) or "unknown error")

