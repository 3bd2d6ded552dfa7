"""Fetch articles from the web: only used when the user asks for a URL.

The tool works offline; this module is the one place that touches the network, and
only for a URL the user gave. The URL may be an article page or an RSS/Atom feed
(then every entry's page is fetched). Like `geo.read.iter_articles`, `fetch_articles`
yields an `Article` per readable page and a `ReadError` (never raised) per failure,
each naming the URL and the reason on one line.

Fetching cannot be turned inward (a feed or a redirect pointing at the machine itself or
its network): the host of every URL - the one given, every redirect hop, every feed
entry - is resolved here, every resolved address is checked, and the connection goes to
a checked address (the original host name still goes in the Host header and in TLS SNI
and certificate checks), so a DNS answer that changes between check and connect is never
used. Refused, before any connection: loopback, private, shared (CGNAT), link-local,
multicast, reserved and unspecified addresses, also inside IPv4-mapped, 6to4 and NAT64
IPv6 addresses. Only http and https, at every hop. Environment proxies are not used
(a proxy would resolve the name itself, out of reach of the check).

Settings (read at each call):
  GEO_FETCH_ALLOW_PRIVATE=1   allow loopback, private and shared addresses (an intranet);
                              link-local (cloud metadata), multicast, reserved and
                              unspecified addresses stay refused
  GEO_FETCH_ALLOW=h1,h2       host names (as written in URLs) fetched whatever their addresses
  GEO_FETCH_BUDGET=20         wall-clock seconds for one URL: connect, redirects, all reads
  GEO_FETCH_FEED_BUDGET=60    wall-clock seconds for a feed and all its entries
  GEO_FETCH_MAX_ENTRIES=50    feed entries fetched at most
"""
from __future__ import annotations

import http.client
import io
import ipaddress
import os
import socket
import ssl
import threading
import time
from dataclasses import dataclass
from typing import Iterator, Optional
from urllib.parse import quote, urljoin, urlparse

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

REQUEST_BUDGET = 20.0     # s, one URL (connect, redirects, every read)
FEED_BUDGET = 60.0        # s, a feed and all its entries
MAX_ENTRIES = 50          # feed entries fetched
MAX_REDIRECTS = 5
_REDIRECTS = {301, 302, 303, 307, 308}
_CHUNK = 64 * 1024
_ALLOW_HINT = " (set GEO_FETCH_ALLOW_PRIVATE=1 to allow)"
_TRUE = {"1", "true", "yes", "on"}


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
                   user_agent: str = DEFAULT_USER_AGENT, *, budget: Optional[float] = None,
                   feed_budget: Optional[float] = None,
                   max_entries: Optional[int] = None) -> Iterator[ReadResult]:
    """Articles (or ReadErrors) from an article page or from every entry of an RSS/Atom feed.

    `timeout` (seconds) applies to connecting and to each read, as in urllib. `budget`
    (seconds, default GEO_FETCH_BUDGET or 20) bounds the whole download of one URL,
    `feed_budget` (GEO_FETCH_FEED_BUDGET or 60) a feed with all its entries, and
    `max_entries` (GEO_FETCH_MAX_ENTRIES or 50) the entries fetched from a feed.
    """
    opts = _Options.from_env(timeout, user_agent, budget, feed_budget, max_entries)
    feed_end = time.monotonic() + opts.feed_budget
    try:
        body, ctype, charset = _download(url, opts)
        feed = _parse_feed(body, ctype, url) if ctype in _SNIFF_TYPES else None
        if feed is not None:
            yield from _feed_articles(feed, url, opts, feed_end)
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


@dataclass(frozen=True)
class _Options:
    timeout: float
    user_agent: str
    budget: float
    feed_budget: float
    max_entries: int
    allow_private: bool
    allow_hosts: frozenset

    @classmethod
    def from_env(cls, timeout, user_agent, budget, feed_budget, max_entries) -> "_Options":
        env = os.environ
        hosts = frozenset(filter(None, (_host_key(h) for h in env.get("GEO_FETCH_ALLOW", "").split(","))))
        return cls(timeout=float(timeout), user_agent=user_agent,
                   budget=_number(budget, "GEO_FETCH_BUDGET", REQUEST_BUDGET),
                   feed_budget=_number(feed_budget, "GEO_FETCH_FEED_BUDGET", FEED_BUDGET),
                   max_entries=int(_number(max_entries, "GEO_FETCH_MAX_ENTRIES", MAX_ENTRIES)),
                   allow_private=env.get("GEO_FETCH_ALLOW_PRIVATE", "").strip().lower() in _TRUE,
                   allow_hosts=hosts)


def _number(given, var: str, default: float) -> float:
    if given is not None:
        return max(0.0, float(given))
    try:
        value = float(os.environ.get(var, ""))
    except ValueError:
        return default
    return value if value >= 0 else default


def _host_key(host: str) -> str:
    return host.strip().strip("[]").rstrip(".").lower()


# --- which addresses may be fetched ---------------------------------------------------

_NAT64 = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("64:ff9b:1::/48"))


def _address_refusal(ip, allow_private: bool = False) -> Optional[str]:
    """Why the address may not be fetched ("the address is a loopback address ..."), or None."""
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = ip.ipv4_mapped or ip.sixtofour
        if embedded is None and any(ip in net for net in _NAT64):
            embedded = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        if embedded is None and 1 < int(ip) < 2**32:   # deprecated IPv4-compatible ::a.b.c.d
            embedded = ipaddress.IPv4Address(int(ip))
        if embedded is not None:
            return _address_refusal(embedded, allow_private)
    if ip.is_unspecified:
        return "the address is unspecified"
    if ip.is_multicast:
        return "the address is a multicast address"
    if ip.is_link_local:
        return "the address is a link-local address (name the host in GEO_FETCH_ALLOW to allow)"
    if ip.is_loopback:
        return None if allow_private else "the address is a loopback address" + _ALLOW_HINT
    if ip.is_reserved:
        return "the address is a reserved address"
    if ip.is_private:
        return None if allow_private else "the address is a private address" + _ALLOW_HINT
    if not ip.is_global:
        return None if allow_private else "the address is not a public address" + _ALLOW_HINT
    return None



def _checked_addresses(url: str, host: str, port: int, opts: _Options) -> list:
    """getaddrinfo results for host, every one of them checked; ReadError when one is refused."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError, OSError):
        raise _error(url, "cannot connect: the host name does not resolve") from None
    if not infos:
        raise _error(url, "cannot connect: the host name does not resolve")
    if _host_key(host) in opts.allow_hosts:
        return infos
    for info in infos:
        try:
            ip = ipaddress.ip_address(str(info[4][0]).split("%")[0])
        except ValueError:
            raise _error(url, "refused: the host resolves to an unusable address") from None
        why = _address_refusal(ip, opts.allow_private)
        if why:
            raise _error(url, f"refused: {why}")
    return infos


# --- the download: pinned connections, redirects, budgets ------------------------------------

class _Budget:
    """A wall-clock limit for one URL: when it runs out, the socket in use is shut down, which
    ends any connect, TLS handshake or read that a slow drip would otherwise keep alive."""

    def __init__(self, seconds: float, end: Optional[float] = None, feed_seconds: float = 0):
        now = time.monotonic()
        self.seconds, self.what = seconds, "a URL"
        self.end = now + seconds
        if end is not None and end < self.end:   # the feed's budget ends first
            self.end, self.seconds, self.what = end, feed_seconds, "a feed"
        self.expired = False
        self._sock = None
        self._lock = threading.Lock()
        self._timer = threading.Timer(max(0.0, self.remaining()), self._expire)
        self._timer.daemon = True
        self._timer.start()

    def remaining(self) -> float:
        return self.end - time.monotonic()

    def watch(self, sock) -> None:
        with self._lock:
            self._sock = sock
            if self.expired:
                _shutdown(sock)

    def _expire(self) -> None:
        with self._lock:
            self.expired = True
            if self._sock is not None:
                _shutdown(self._sock)

    def cancel(self) -> None:
        self._timer.cancel()
        with self._lock:
            self._sock = None


def _shutdown(sock) -> None:
    try:   # socket.socket's own shutdown, also for an SSLSocket (no TLS state is touched)
        socket.socket.shutdown(sock, socket.SHUT_RDWR)
    except OSError:
        pass


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """Connects to the addresses that were checked, never to a fresh DNS answer for the host."""

    def __init__(self, host, port, infos, budget: _Budget, timeout: float):
        super().__init__(host, port, timeout=timeout)
        self._infos = infos
        self._budget = budget

    def _pinned_socket(self):
        for family, kind, proto, _, sockaddr in self._infos:
            left = self._budget.remaining()
            if left <= 0:
                break
            sock = socket.socket(family, kind, proto)
            try:
                self._budget.watch(sock)
                sock.settimeout(min(self.timeout, left))
                sock.connect(sockaddr)
                sock.settimeout(self.timeout)
                return sock
            except OSError:
                sock.close()
        raise _ConnectFailed()

    def connect(self):
        self.sock = self._pinned_socket()


class _PinnedHTTPSConnection(_PinnedHTTPConnection):
    default_port = 443

    def __init__(self, host, port, infos, budget, timeout):
        super().__init__(host, port, infos, budget, timeout)
        self._context = ssl.create_default_context()

    def connect(self):
        raw = self._pinned_socket()
        try:   # SNI and the certificate check use the host name, the socket the checked address
            sock = self._context.wrap_socket(raw, server_hostname=self.host,
                                             do_handshake_on_connect=False)
        except Exception:
            raw.close()
            raise
        self._budget.watch(sock)
        self.sock = sock
        sock.do_handshake()


class _ConnectFailed(Exception):
    pass


def _download(url: str, opts: _Options, end: Optional[float] = None) -> tuple[bytes, str, Optional[str]]:
    """(body, content type, charset or None); ReadError for every refusal, network or HTTP failure.

    Redirects are followed here (at most MAX_REDIRECTS), each hop checked like the first URL;
    errors name `url`, the URL asked for."""
    if not is_url(url):
        raise _error(url, "not an http:// or https:// URL")
    budget = _Budget(opts.budget, end, opts.feed_budget)
    try:
        current = url.strip()
        for _hop in range(MAX_REDIRECTS + 1):
            location, result = _one_request(url, current, opts, budget)
            if location is None:
                return result
            target = urljoin(current, location.strip())
            if not is_url(target):
                raise _error(url, f"refused: redirected to {target} (only http:// and https:// are fetched)")
            current = target
        raise _error(url, f"too many redirects (over {MAX_REDIRECTS})")
    finally:
        budget.cancel()


def _one_request(url: str, current: str, opts: _Options, budget: _Budget):
    """(Location, None) for a redirect, else (None, (body, content type, charset)), for one hop."""
    prefix = "" if current == url.strip() else f"redirected to {current}: "
    try:
        parts = urlparse(current)
        host, port = parts.hostname, parts.port
    except ValueError as e:
        raise _error(url, f"{prefix}not a valid URL: {e}") from None
    if not host:
        raise _error(url, f"{prefix}not a valid URL: no host")
    https = parts.scheme.lower() == "https"
    port = port or (443 if https else 80)
    try:
        infos = _checked_addresses(url, host, port, opts)
    except ReadError as e:
        raise _error(url, prefix + e.reason) from None
    target = quote(parts.path or "/", safe="/%:@!$&'()*+,;=~-._")
    if parts.query:
        target += "?" + quote(parts.query, safe="/%:@!$&'()*+,;=~-._?[]")
    cls = _PinnedHTTPSConnection if https else _PinnedHTTPConnection
    conn = cls(host, port, infos, budget, opts.timeout)
    try:
        conn.request("GET", target, headers={"User-Agent": opts.user_agent, "Accept": _ACCEPT,
                                             "Connection": "close"})
        resp = conn.getresponse()
        if resp.status in _REDIRECTS and resp.getheader("Location"):
            return resp.getheader("Location"), None
        if not 200 <= resp.status < 300:
            raise _error(url, f"{prefix}HTTP {resp.status} {resp.reason}")
        length = resp.getheader("Content-Length", "")
        if length.isdigit() and int(length) > MAX_BYTES:
            raise _too_big(url)
        chunks, size = [], 0
        while size <= MAX_BYTES:
            chunk = resp.read(min(_CHUNK, MAX_BYTES + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        if budget.expired:     # a shut-down socket reads as the end of the body
            raise _over_budget(url, budget)
        if size > MAX_BYTES:
            raise _too_big(url)
        return None, (b"".join(chunks), resp.msg.get_content_type(), resp.msg.get_content_charset())
    except ReadError:
        raise
    except _ConnectFailed:   # the same words for a closed port, a filtered one and a slow one
        if budget.expired:
            raise _over_budget(url, budget) from None
        raise _error(url, f"{prefix}cannot connect to the server") from None
    except (TimeoutError, socket.timeout):
        if budget.expired:
            raise _over_budget(url, budget) from None
        raise _error(url, f"{prefix}timed out after {opts.timeout:g} s") from None
    except ssl.SSLCertVerificationError as e:
        raise _error(url, f"{prefix}TLS certificate not accepted: {e.verify_message or 'verify failed'}") from None
    except Exception as e:   # http.client, ssl and socket errors: no errno strings or addresses
        if budget.expired:
            raise _over_budget(url, budget) from None
        if isinstance(e, http.client.HTTPException):
            raise _error(url, f"{prefix}download failed: {type(e).__name__}") from None
        if isinstance(e, ssl.SSLError):
            raise _error(url, f"{prefix}TLS error: {e.reason or type(e).__name__}") from None
        if isinstance(e, OSError):
            raise _error(url, f"{prefix}download failed: {type(e).__name__}") from None
        raise
    finally:
        conn.close()


def _over_budget(url: str, budget: _Budget) -> ReadError:
    return _error(url, f"timed out: over the {budget.seconds:g} s time budget for {budget.what}")


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


def _feed_articles(feed, feed_url: str, opts: _Options, feed_end: float) -> Iterator[ReadResult]:
    entries = feed.entries[:opts.max_entries]
    for n, entry in enumerate(entries, 1):
        if time.monotonic() >= feed_end:
            yield _error(feed_url, f"timed out: over the {opts.feed_budget:g} s time budget for a feed, "
                                   f"{len(entries) - n + 1} of {len(entries)} entries not fetched")
            break
        link = entry.get("link")
        if not link:
            yield _error(f"{feed_url} (entry {n})", "feed entry has no link")
            continue
        link = urljoin(feed_url, link)
        fallback = {"title": entry.get("title"), "date": entry.get("published") or entry.get("updated")}
        try:
            body, ctype, charset = _download(link, opts, feed_end)
            if ctype not in HTML_TYPES:
                raise _error(link, f"not an HTML page (content type {ctype})")
            yield _page_article(body, charset, link, fallback)
        except ReadError as e:
            yield e
        except Exception as e:
            yield _error(link, f"{type(e).__name__}: {e}")
    if len(feed.entries) > len(entries):
        yield _error(feed_url, f"only the first {len(entries)} of {len(feed.entries)} feed entries "
                               f"were fetched (GEO_FETCH_MAX_ENTRIES)")


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

