"""geo.fetch against a local HTTP server on 127.0.0.1 (never the internet, no patching of geo.fetch).

127.0.0.1 is refused by default (issue 11: fetching cannot be turned inward), so the tests of
ordinary fetching set GEO_FETCH_ALLOW_PRIVATE=1, the documented opt-out, through the `base`
fixture; the tests of the refusals use `server`, without it."""
from __future__ import annotations

import ipaddress
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

import pytest

from geo.exceptions import ReadError
from geo.fetch import DEFAULT_USER_AGENT, MAX_BYTES, MAX_ENTRIES, _address_refusal, fetch_articles, is_url
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


def feed_of(base: str, links: list) -> bytes:
    items = "".join(f"<item><title>Story {n}</title><link>{link}</link><guid>{link}</guid></item>"
                    for n, link in enumerate(links))
    return (f'<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>Feed</title>'
            f"<link>{base}/</link><description>Test</description>{items}</channel></rss>").encode("utf-8")


class Handler(BaseHTTPRequestHandler):
    seen: list = []   # (path, User-Agent) of every request, in order

    def do_GET(self):  # noqa: N802 (http.server's naming)
        self.seen.append((self.path, self.headers.get("User-Agent")))
        base = f"http://127.0.0.1:{self.server.server_port}"
        path = self.path
        if path == "/article" or path.startswith("/article?n="):
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
        elif path.startswith("/go?"):          # a redirect to ?to=URL
            self.send_response(302)
            self.send_header("Location", parse_qs(urlparse(path).query)["to"][0])
            self.send_header("Content-Length", "0")
            self.end_headers()
        elif path == "/loop":
            self.send_response(301)
            self.send_header("Location", "/loop")
            self.send_header("Content-Length", "0")
            self.end_headers()
        elif path == "/drip":              # a byte a second: every read is quick, the whole is not
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", "30")
            self.end_headers()
            self.drip(b"x" * 30)
        elif path == "/drip-headers":
            self.wfile.write(b"HTTP/1.0 200 OK\r\n")
            self.drip(b"X-Padding: " + b"x" * 30 + b"\r\n\r\n")
        elif path == "/feed-elsewhere":    # entries on refused hosts, one on the feed's own host
            port = self.server.server_port
            links = [f"http://localhost:{port}/news/rss1", f"http://2130706433:{port}/news/rss2",
                     f"http://10.255.255.1:{port}/news/x", f"{base}/article"]
            self.send(feed_of(base, links), "application/rss+xml")
        elif path == "/big-feed":
            self.send(feed_of(base, [f"{base}/article?n={i}" for i in range(200)]), "application/rss+xml")
        elif path == "/slow-feed":
            self.send(feed_of(base, [f"{base}/slow?n={i}" for i in range(3)]), "application/rss+xml")
        elif path.startswith("/slow?"):
            time.sleep(2)
            self.send(page("Too late"))
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

    def drip(self, data: bytes):
        try:
            for i in range(len(data)):
                self.wfile.write(data[i:i + 1])
                self.wfile.flush()
                time.sleep(1)
        except OSError:      # the client gave up
            pass

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def server():
    """http://127.0.0.1:PORT of the test server (refused by default: see `base`)."""
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(autouse=True)
def clean_env(monkeypatch):
    """The caller's own fetch settings must not change what the tests see."""
    for var in ("GEO_FETCH_ALLOW_PRIVATE", "GEO_FETCH_ALLOW", "GEO_FETCH_BUDGET", "GEO_FETCH_FEED_BUDGET",
                "GEO_FETCH_MAX_ENTRIES"):
        monkeypatch.delenv(var, raising=False)


@pytest.fixture
def base(server, monkeypatch):
    """The test server, with loopback addresses allowed the documented way."""
    monkeypatch.setenv("GEO_FETCH_ALLOW_PRIVATE", "1")
    return server


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


def test_connection_refused(monkeypatch):
    monkeypatch.setenv("GEO_FETCH_ALLOW_PRIVATE", "1")
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


# --- issue 11: fetching that cannot be turned inward ----------------------------------------

LOOPBACK_REFUSAL = "refused: the address is a loopback address (set GEO_FETCH_ALLOW_PRIVATE=1 to allow)"


def port_of(base: str) -> int:
    return int(base.rsplit(":", 1)[1])


def ipv6_resolves(host: str) -> bool:
    if not socket.has_ipv6:
        return False
    try:
        socket.getaddrinfo(host, 80, socket.AF_INET6, socket.SOCK_STREAM)
    except OSError:
        return False
    with socket.socket(socket.AF_INET6) as s:   # IPv6 loopback usable on this machine?
        try:
            s.bind(("::1", 0))
        except OSError:
            return False
    return True


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "2130706433", "0x7f.0.0.1"])
def test_loopback_is_refused_by_default(server, host):
    url = f"http://{host}:{port_of(server)}/article?refused={host}"
    err = only_error(fetch(url), url)
    assert err.reason == LOOPBACK_REFUSAL
    assert not [p for p, _ in Handler.seen if p == f"/article?refused={host}"]   # never connected


@pytest.mark.parametrize("host", ["::ffff:127.0.0.1", "::1"])
def test_ipv6_loopback_is_refused_by_default(server, host):
    if not ipv6_resolves(host):
        pytest.skip("no IPv6 loopback on this machine")
    url = f"http://[{host}]:{port_of(server)}/article"
    assert only_error(fetch(url), url).reason == LOOPBACK_REFUSAL


def test_refusals_say_the_same_for_open_and_closed_ports(server):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed = s.getsockname()[1]
    reasons = {only_error(fetch(u, timeout=2), u).reason
               for u in (f"http://127.0.0.1:{closed}/", f"{server}/", f"{server}/slow")}
    assert reasons == {LOOPBACK_REFUSAL}        # no errno, no address, no refused-vs-timeout


@pytest.mark.parametrize("address, refused", [
    ("8.8.8.8", None), ("2001:4860:4860::8888", None), ("93.184.216.34", None),
    ("127.0.0.1", "loopback"), ("127.8.9.10", "loopback"), ("::1", "loopback"),
    ("::ffff:127.0.0.1", "loopback"), ("::ffff:10.0.0.1", "private"), ("2002:7f00:1::", "loopback"),
    ("64:ff9b::a00:1", "private"), ("::127.0.0.1", "loopback"),
    ("10.1.2.3", "private"), ("172.16.0.1", "private"), ("192.168.1.1", "private"), ("fd00::1", "private"),
    ("100.64.0.1", "not a public"), ("169.254.169.254", "link-local"), ("fe80::1", "link-local"),
    ("224.0.0.1", "multicast"), ("ff02::1", "multicast"), ("0.0.0.0", "unspecified"), ("::", "unspecified"),
    ("240.0.0.1", "reserved"),
])
def test_address_classes(address, refused):
    why = _address_refusal(ipaddress.ip_address(address))
    assert (why is None) if refused is None else (refused in why), why
    if refused in ("loopback", "private", "not a public"):          # the intranet opt-out
        assert _address_refusal(ipaddress.ip_address(address), allow_private=True) is None
    elif refused is not None:                                        # never: metadata, multicast...
        assert _address_refusal(ipaddress.ip_address(address), allow_private=True)


def test_allow_private_opt_out(server, monkeypatch):
    monkeypatch.setenv("GEO_FETCH_ALLOW_PRIVATE", "1")
    for host in ("localhost", "2130706433"):
        [art] = fetch(f"http://{host}:{port_of(server)}/article")
        assert isinstance(art, Article) and "Kalbajar" in art.text


def test_allowlisted_host_only(server, monkeypatch):
    monkeypatch.setenv("GEO_FETCH_ALLOW", "example.org, 127.0.0.1")
    [art] = fetch(f"{server}/redirect")                  # an allowed host, redirected to itself
    assert isinstance(art, Article)
    url = f"http://localhost:{port_of(server)}/article"   # same address, another name
    assert only_error(fetch(url), url).reason == LOOPBACK_REFUSAL


def test_redirect_to_a_refused_address_is_refused(server, monkeypatch):
    monkeypatch.setenv("GEO_FETCH_ALLOW", "127.0.0.1")
    for target in (f"http://localhost:{port_of(server)}/article?via=redirect",
                   "http://169.254.169.254/latest/meta-data/", "http://[::ffff:10.0.0.1]/"):
        url = f"{server}/go?to={target}"
        err = only_error(fetch(url), url)
        assert err.reason.startswith(f"redirected to {target}: refused: the address is"), err.reason
    assert "/article?via=redirect" not in [p for p, _ in Handler.seen]


@pytest.mark.parametrize("target", ["ftp://127.0.0.1/file", "file:///etc/passwd", "gopher://127.0.0.1:70/"])
def test_redirect_to_another_scheme_is_refused(base, target):
    url = f"{base}/go?to={target}"
    err = only_error(fetch(url), url)
    assert err.reason == f"refused: redirected to {target} (only http:// and https:// are fetched)"


def test_redirect_loop_stops(base):
    err = only_error(fetch(f"{base}/loop"), f"{base}/loop")
    assert "too many redirects" in err.reason
    assert sum(p == "/loop" for p, _ in Handler.seen) <= 6 * 2   # this test's hops (and test reruns)


def test_feed_entries_on_refused_hosts(server, monkeypatch):
    monkeypatch.setenv("GEO_FETCH_ALLOW", "127.0.0.1")   # the feed's host, not the entries' hosts
    port = port_of(server)
    results = fetch(f"{server}/feed-elsewhere")
    assert len(results) == 4
    errors = {r.source: r.reason for r in results if isinstance(r, ReadError)}
    assert errors == {f"http://localhost:{port}/news/rss1": LOOPBACK_REFUSAL,
                      f"http://2130706433:{port}/news/rss2": LOOPBACK_REFUSAL,
                      f"http://10.255.255.1:{port}/news/x":
                          "refused: the address is a private address (set GEO_FETCH_ALLOW_PRIVATE=1 to allow)"}
    [art] = [r for r in results if isinstance(r, Article)]
    assert art.url == f"{server}/article"


@pytest.mark.parametrize("path", ["/drip", "/drip-headers"])
def test_slow_drip_is_cut_by_the_time_budget(base, path):
    start = time.monotonic()
    err = only_error(fetch(f"{base}{path}", timeout=5, budget=2), f"{base}{path}")
    assert err.reason == "timed out: over the 2 s time budget for a URL"
    assert time.monotonic() - start < 3.5


def test_time_budget_from_the_environment(base, monkeypatch):
    monkeypatch.setenv("GEO_FETCH_BUDGET", "1.5")
    start = time.monotonic()
    err = only_error(fetch(f"{base}/drip"), f"{base}/drip")
    assert err.reason == "timed out: over the 1.5 s time budget for a URL"
    assert time.monotonic() - start < 3


def test_feed_time_budget(base):
    start = time.monotonic()
    results = fetch(f"{base}/slow-feed", timeout=5, feed_budget=1)
    assert time.monotonic() - start < 2.5
    assert all(isinstance(r, ReadError) for r in results)
    first, rest = results
    assert first.source == f"{base}/slow?n=0" and first.reason == "timed out: over the 1 s time budget for a feed"
    assert rest.source == f"{base}/slow-feed" and "2 of 3 entries not fetched" in rest.reason


def test_feed_entry_cap(base):
    before = len(Handler.seen)
    results = fetch(f"{base}/big-feed")
    fetched = [p for p, _ in Handler.seen[before:] if p.startswith("/article?n=")]
    assert MAX_ENTRIES == 50 and len(fetched) == 50 and fetched[-1] == "/article?n=49"
    assert len(results) == 51 and all(isinstance(r, Article) for r in results[:50])
    cap = results[50]
    assert isinstance(cap, ReadError) and cap.source == f"{base}/big-feed"
    assert cap.reason == "only the first 50 of 200 feed entries were fetched (GEO_FETCH_MAX_ENTRIES)"


def test_feed_entry_cap_from_the_environment(base, monkeypatch):
    monkeypatch.setenv("GEO_FETCH_MAX_ENTRIES", "3")
    results = fetch(f"{base}/big-feed")
    assert [type(r).__name__ for r in results] == ["Article"] * 3 + ["ReadError"]
    assert "first 3 of 200" in results[-1].reason
