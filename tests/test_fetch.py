"""geo.fetch against a local HTTP server on 127.0.0.1 (never the internet, no monkeypatching)."""
from __future__ import annotations

import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from geo.exceptions import ReadError
from geo.fetch import DEFAULT_USER_AGENT, MAX_BYTES, fetch_articles, is_url
from geo.types import Article

PARAS = """
<p>Rescue teams reached the village of Dadivank in the mountains of Kalbajar on Tuesday,
after the road from Stepanakert was reopened by engineers working through the night.</p>
<p>Officials in Yerevan said the convoy carried food and medicine for families who had
sheltered in the monastery for almost a week while the snow kept every pass closed.</p>
<p>A second convoy is expected to leave Goris on Thursday, weather permitting, and will
travel along the Lachin corridor before turning north towards the river valley.</p>
"""


def page(title: str = "", meta_date: str = "", body: str = PARAS, h1: bool = True) -> bytes:
    head = f"<title>{title}</title>" if title else ""
    if meta_date:
        head += f'<meta property="article:published_time" content="{meta_date}">'
    heading = f"<h1>{title}</h1>" if title and h1 else ""
    return (f"<!DOCTYPE html><html><head><meta charset='utf-8'>{head}</head><body>"
            f"<nav><a href='/'>Home</a></nav><article>{heading}{body}</article>"
            f"<footer>Copyright News Co.</footer></body></html>").encode("utf-8")


def rss(base: str) -> bytes:
    items = [("Convoy reaches Dadivank", "/news/rss1", "Mon, 15 Apr 2024 08:00:00 GMT"),
             ("Snow closes passes near Goris", "/news/rss2", "Tue, 16 Apr 2024 09:30:00 GMT"),
             ("Missing story", "/news/missing", "Wed, 17 Apr 2024 10:00:00 GMT")]
    xml = "".join(f"<item><title>{t}</title><link>{base}{p}</link><pubDate>{d}</pubDate>"
                  f"<guid>{base}{p}</guid></item>" for t, p, d in items)
    return (f'<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel>'
            f"<title>Local news</title><link>{base}/</link><description>Test</description>"
            f"{xml}</channel></rss>").encode("utf-8")


def atom(base: str) -> bytes:
    return (f'<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
            f"<title>Atom news</title><id>{base}/atom</id><updated>2024-03-02T10:00:00Z</updated>"
            f"<entry><title>Engineers reopen the Lachin road</title><id>urn:x:1</id>"
            f'<link href="/news/atom1"/><updated>2024-03-02T10:00:00Z</updated></entry>'
            f"</feed>").encode("utf-8")


class Handler(BaseHTTPRequestHandler):
    seen: list = []   # (path, User-Agent) of every request, in order

    def do_GET(self):  # noqa: N802 (http.server's naming)
        self.seen.append((self.path, self.headers.get("User-Agent")))
        base = f"http://127.0.0.1:{self.server.server_port}"
        path = self.path
        if path == "/article":
            self.send(page("Convoy reaches Dadivank monastery", "2024-04-17T09:30:00+04:00"))
        elif path == "/latin1":
            body = ("<html><head><title>Z\u00fcrich and S\u00e3o Paulo</title></head><body><article>"
                    + PARAS + "<p>Delegates from Z\u00fcrich and S\u00e3o Paulo joined the talks in "
                    "Gen\u00e8ve on the same day, the ministry said in a statement.</p></article>"
                    "</body></html>")
            self.send(body.encode("latin-1"), "text/html; charset=ISO-8859-1")
        elif path == "/feed.rss":
            self.send(rss(base), "application/rss+xml")
        elif path == "/feed-as-html":
            self.send(rss(base), "text/html; charset=utf-8")   # mislabelled: sniffed by feedparser
        elif path == "/atom":
            self.send(atom(base), "text/xml; charset=utf-8")
        elif path == "/news/rss1":   # the page's own date beats the entry's pubDate
            self.send(page("Convoy reaches Dadivank", "2024-04-14"))
        elif path == "/news/rss2":   # no date in the page: the entry's pubDate is used
            self.send(page("Snow closes passes near Goris"))
        elif path == "/news/atom1":  # no title, no date in the page: both come from the entry
            self.send(page())
        elif path == "/empty-feed":
            self.send(b'<?xml version="1.0"?><rss version="2.0"><channel><title>x</title>'
                      b"</channel></rss>", "application/rss+xml")
        elif path == "/error":
            self.send(b"Internal error", "text/plain", status=500)
        elif path == "/image.png":
            self.send(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4, "image/png")
        elif path == "/slow":
            time.sleep(2)
            self.send(page("Too late"))
        elif path == "/huge":        # no Content-Length: the reader must stop by itself
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.end_headers()
            chunk = b"<p>" + b"x" * (1024 * 1024) + b"</p>"
            try:
                for _ in range(11):
                    self.wfile.write(chunk)
            except OSError:
                pass
        elif path == "/huge-declared":
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(MAX_BYTES + 1))
            self.end_headers()
        elif path == "/redirect":
            self.send_response(302)
            self.send_header("Location", "/article")
            self.send_header("Content-Length", "0")
            self.end_headers()
        else:
            self.send(b"<html><body>Not here</body></html>", "text/html", status=404)

    def send(self, body: bytes, ctype: str = "text/html; charset=utf-8", status: int = 200):
        try:
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except OSError:      # the client gave up (the timeout test)
            pass

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def base():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


def fetch(url: str, **kw) -> list:
    return list(fetch_articles(url, **kw))


def only_error(results: list, url: str) -> ReadError:
    assert len(results) == 1 and isinstance(results[0], ReadError), results
    err = results[0]
    assert err.source == url and url in str(err)
    assert "\n" not in str(err) and "\r" not in str(err)
    return err


def test_is_url():
    assert is_url("http://example.com/a") and is_url("https://example.com") and is_url("HTTPS://x.org")
    for s in ("ftp://example.com/f", "file:///etc/passwd", "example.com", "news/a.html", "http://", "",
              "http://example.com/a b", "http://example.com/a\nb"):
        assert not is_url(s), s


def test_html_article(base):
    url = f"{base}/article"
    [art] = fetch(url)
    assert isinstance(art, Article)
    assert art.title == "Convoy reaches Dadivank monastery"
    assert art.published == "2024-04-17" and art.published_source == "metadata"
    assert art.url == url and art.id == url and art.source == url
    assert "Kalbajar" in art.text and "Yerevan" in art.text and "Lachin corridor" in art.text
    assert "Copyright" not in art.text   # boilerplate left out, as in geo.read


def test_user_agent_reaches_server(base):
    fetch(f"{base}/article?ua=default")
    fetch(f"{base}/article?ua=custom", user_agent="TestAgent/1.0")
    agents = dict(Handler.seen)
    assert agents["/article?ua=default"] == DEFAULT_USER_AGENT
    assert agents["/article?ua=custom"] == "TestAgent/1.0"
    assert "Python-urllib" not in DEFAULT_USER_AGENT.split(";")[0]


def test_charset_from_content_type(base):
    [art] = fetch(f"{base}/latin1")
    assert isinstance(art, Article)
    assert "Z\u00fcrich" in art.text and "S\u00e3o Paulo" in art.text and "Gen\u00e8ve" in art.text


def test_rss_feed_fetches_every_entry(base):
    results = fetch(f"{base}/feed.rss")
    assert len(results) == 3
    arts = [r for r in results if isinstance(r, Article)]
    errors = [r for r in results if isinstance(r, ReadError)]
    assert len(arts) == 2 and len(errors) == 1
    missing = f"{base}/news/missing"
    assert errors[0].source == missing and missing in str(errors[0]) and "404" in str(errors[0])
    first, second = arts
    assert first.url == first.id == f"{base}/news/rss1"
    assert first.title == "Convoy reaches Dadivank"
    assert (first.published, first.published_source) == ("2024-04-14", "metadata")   # page beats entry
    assert second.url == f"{base}/news/rss2"
    assert (second.published, second.published_source) == ("2024-04-16", "metadata")  # entry's pubDate
    assert "Kalbajar" in first.text and "Goris" in second.text


def test_feed_detected_by_content_not_label(base):
    results = fetch(f"{base}/feed-as-html")
    assert [type(r).__name__ for r in results] == ["Article", "Article", "ReadError"]


def test_atom_feed(base):
    [art] = fetch(f"{base}/atom")
    assert isinstance(art, Article)
    assert art.url == art.id == f"{base}/news/atom1"     # relative link resolved against the feed
    assert art.title == "Engineers reopen the Lachin road"  # the page has none: the entry's
    assert art.published == "2024-03-02" and art.published_source == "metadata"
    assert "Stepanakert" in art.text


@pytest.mark.parametrize("path, reason", [
    ("/empty-feed", "no entries"),          # a feed without entries
    ("/error", "500"),                      # HTTP 500
    ("/nowhere", "404"),                    # HTTP 404
    ("/image.png", "image/png"),            # a binary content type
])
def test_bad_answers_get_one_error_naming_the_url(base, path, reason):
    err = only_error(fetch(f"{base}{path}"), f"{base}{path}")
    assert reason in err.reason


def test_timeout(base):
    start = time.monotonic()
    err = only_error(fetch(f"{base}/slow", timeout=0.5), f"{base}/slow")
    assert "timed out" in err.reason
    assert time.monotonic() - start < 1.8


@pytest.mark.parametrize("path", ["/huge", "/huge-declared"])
def test_size_limit(base, path):
    err = only_error(fetch(f"{base}{path}"), f"{base}{path}")
    assert "10 MB" in err.reason


def test_redirect_is_followed(base):
    [art] = fetch(f"{base}/redirect")
    assert isinstance(art, Article) and art.url == f"{base}/redirect"
    assert "Kalbajar" in art.text


def test_connection_refused():
    with socket.socket() as s:       # a port that nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"http://127.0.0.1:{port}/article"
    err = only_error(fetch(url, timeout=2), url)
    assert "cannot connect" in err.reason


@pytest.mark.parametrize("url", ["ftp://127.0.0.1/file", "not a url", "", "http://", "http://[::1/x",
                                 "http://127.0.0.1:notaport/x", "http://127.0.0.1/a\nb"])
def test_bad_urls_never_raise(url):
    results = fetch(url, timeout=1)
    assert len(results) == 1 and isinstance(results[0], ReadError)
    assert "\n" not in str(results[0])
