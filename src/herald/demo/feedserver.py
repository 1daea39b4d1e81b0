"""A real HTTP server that replays the demo snapshot as live news outlets.

Serves, on 127.0.0.1 (an ephemeral port unless one is given):

- ``/feeds/<slug>.xml`` (RSS 2.0), ``/feeds/<slug>.atom`` (Atom 1.0) or
  ``/feeds/<slug>.json`` (JSON Feed 1.1): one feed per outlet, in the outlet's format;
- ``/articles/<id>.html``: an article page per Multi-News document (headline-only UCI items
  link to their real, external addresses, which must never be fetched offline);
- ``/outlets/<slug>.html``: the outlet's home page, with feed auto-discovery links;
- ``/opml``: every feed as OPML 2.0; ``heraldFetchPages="true|false"`` tells whether the outlet's
  article pages may be fetched;
- ``/robots.txt`` (allows everything) and ``/`` (an index).

Every response carries an ``ETag`` and a ``Last-Modified``; conditional requests get ``304``.
``visible_until`` replays time: only articles published at or before it are served, and
``set_visible_until`` moves it while the server runs (thread-safe), so new items "arrive".
"""

from __future__ import annotations

import hashlib
import html
import json
import re
import socket
import threading
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Self
from urllib.parse import urlsplit
from xml.etree import ElementTree as ET

from herald.demo.snapshot import SnapshotArticle, by_outlet, snapshot_start

ATOM_NS = "http://www.w3.org/2005/Atom"

EXTENSIONS = {"rss": "xml", "atom": "atom", "json": "json"}
CONTENT_TYPES = {
    "rss": "application/rss+xml; charset=utf-8",
    "atom": "application/atom+xml; charset=utf-8",
    "json": "application/feed+json; charset=utf-8",
    "html": "text/html; charset=utf-8",
    "opml": "text/x-opml; charset=utf-8",
    "text": "text/plain; charset=utf-8",
}
_INVALID_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


@dataclass(frozen=True)
class Outlet:
    """One replayed outlet: its feed and, for Multi-News outlets, its article pages."""

    name: str
    slug: str
    feed_format: str
    fetch_pages: bool
    site_url: str  # "" for pseudo outlets: the server's own /outlets/<slug>.html
    articles: tuple[SnapshotArticle, ...]  # newest first

    @property
    def feed_path(self) -> str:
        return f"/feeds/{self.slug}.{EXTENSIONS[self.feed_format]}"

    @property
    def page_path(self) -> str:
        return f"/outlets/{self.slug}.html"


@dataclass(frozen=True)
class Response:
    status: int
    content_type: str
    body: bytes
    last_modified: datetime

    @property
    def etag(self) -> str:
        return '"' + hashlib.sha256(self.body).hexdigest()[:32] + '"'


def slugify(name: str) -> str:
    """``"Fox Business"`` -> ``"fox-business"`` (ASCII letters, digits and dashes)."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-") or "outlet"


def build_outlets(articles: Sequence[SnapshotArticle]) -> list[Outlet]:
    """Outlets in name order, with unique slugs and their articles newest first."""
    outlets: list[Outlet] = []
    used: set[str] = set()
    groups = by_outlet(articles)
    for name in sorted(groups):
        items = sorted(groups[name], key=lambda a: (a.published, a.id), reverse=True)
        slug = base = slugify(name)
        n = 2
        while slug in used:
            slug, n = f"{base}-{n}", n + 1
        used.add(slug)
        fetch_pages = all(a.has_page for a in items)
        site = "" if fetch_pages else _site_of(items)
        outlets.append(Outlet(name, slug, items[0].feed_format, fetch_pages, site, tuple(items)))
    return outlets


def _site_of(items: Sequence[SnapshotArticle]) -> str:
    for a in items:
        parts = urlsplit(a.url)
        if parts.scheme and parts.netloc:
            return f"{parts.scheme}://{parts.netloc}/"
    return ""


# --------------------------------------------------------------------------- rendering


def clean(text: str) -> str:
    """Text safe to put in XML (no control characters)."""
    return _INVALID_XML.sub("", text)


def http_date(t: datetime) -> str:
    return format_datetime(t.astimezone(UTC), usegmt=True)


def iso_z(t: datetime) -> str:
    return t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def guid(article: SnapshotArticle) -> str:
    """A stable id that does not depend on the server's address."""
    return f"urn:herald-demo:{article.id}"


def _sub(parent: ET.Element, tag: str, content: str | None = None, /, **attrib: str) -> ET.Element:
    el = ET.SubElement(parent, tag, {k: clean(v) for k, v in attrib.items()})
    if content is not None:
        el.text = clean(content)
    return el


def _xml(root: ET.Element) -> bytes:
    ET.indent(root)
    data: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return data + b"\n"


class Renderer:
    """Turns outlets and articles into feed, page and OPML documents for one base URL."""

    def __init__(self, base_url: str) -> None:
        self.base = base_url.rstrip("/")

    def link(self, article: SnapshotArticle) -> str:
        return f"{self.base}/articles/{article.id}.html" if article.has_page else article.url

    def site(self, outlet: Outlet) -> str:
        return outlet.site_url or f"{self.base}{outlet.page_path}"

    def feed(self, outlet: Outlet, items: Sequence[SnapshotArticle], updated: datetime) -> bytes:
        if outlet.feed_format == "atom":
            return self.atom(outlet, items, updated)
        if outlet.feed_format == "json":
            return self.json_feed(outlet, items)
        return self.rss(outlet, items, updated)

    def rss(self, outlet: Outlet, items: Sequence[SnapshotArticle], updated: datetime) -> bytes:
        # namespaces are written as plain attributes: ElementTree's prefix registry is global
        root = ET.Element("rss", {"version": "2.0", "xmlns:atom": ATOM_NS})
        channel = _sub(root, "channel")
        _sub(channel, "title", outlet.name)
        _sub(channel, "link", self.site(outlet))
        _sub(channel, "description", f"Latest news from {outlet.name} (Herald demo replay)")
        _sub(channel, "language", "en")
        _sub(channel, "lastBuildDate", http_date(updated))
        self_link = {"href": self.base + outlet.feed_path, "rel": "self"}
        _sub(channel, "atom:link", type="application/rss+xml", **self_link)
        for a in items:
            item = _sub(channel, "item")
            _sub(item, "title", a.title)
            _sub(item, "link", self.link(a))
            _sub(item, "guid", guid(a), isPermaLink="false")
            _sub(item, "pubDate", http_date(a.published))
            if a.lead():
                _sub(item, "description", a.lead())
        return _xml(root)

    def atom(self, outlet: Outlet, items: Sequence[SnapshotArticle], updated: datetime) -> bytes:
        root = ET.Element("feed", {"xmlns": ATOM_NS, "xml:lang": "en"})
        _sub(root, "id", f"urn:herald-demo:feed:{outlet.slug}")
        _sub(root, "title", outlet.name)
        _sub(root, "updated", iso_z(updated))
        _sub(root, "link", rel="self", href=self.base + outlet.feed_path)
        _sub(root, "link", rel="alternate", href=self.site(outlet))
        _sub(_sub(root, "author"), "name", outlet.name)
        for a in items:
            entry = _sub(root, "entry")
            _sub(entry, "id", guid(a))
            _sub(entry, "title", a.title)
            _sub(entry, "link", rel="alternate", href=self.link(a))
            _sub(entry, "published", iso_z(a.published))
            _sub(entry, "updated", iso_z(a.published))
            if a.lead():
                _sub(entry, "summary", a.lead(), type="text")
        return _xml(root)

    def json_feed(self, outlet: Outlet, items: Sequence[SnapshotArticle]) -> bytes:
        feed = {
            "version": "https://jsonfeed.org/version/1.1",
            "title": outlet.name,
            "home_page_url": self.site(outlet),
            "feed_url": self.base + outlet.feed_path,
            "language": "en",
            "authors": [{"name": outlet.name}],
            "items": [
                {
                    "id": guid(a),
                    "url": self.link(a),
                    "title": a.title,
                    "content_text": a.lead() or a.title,
                    **({"summary": a.lead()} if a.lead() else {}),
                    "date_published": iso_z(a.published),
                    "language": a.language,
                }
                for a in items
            ],
        }
        return json.dumps(feed, ensure_ascii=False, indent=1).encode("utf-8")

    def article_page(self, outlet: Outlet, a: SnapshotArticle) -> bytes:
        e = html.escape
        paragraphs = "\n".join(f"      <p>{e(p)}</p>" for p in a.paragraphs)
        shown_time = a.published.strftime("%d %B %Y, %H:%M UTC")
        doc = f"""<!DOCTYPE html>
<html lang="{e(a.language)}">
<head>
  <meta charset="utf-8">
  <title>{e(a.title)} | {e(outlet.name)}</title>
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <meta name="author" content="{e(outlet.name)}">
  <meta name="description" content="{e(a.lead())}">
  <meta property="og:type" content="article">
  <meta property="og:title" content="{e(a.title)}">
  <meta property="og:site_name" content="{e(outlet.name)}">
  <meta property="og:url" content="{e(self.link(a))}">
  <meta property="article:published_time" content="{iso_z(a.published)}">
  <link rel="canonical" href="{e(self.link(a))}">
  <link rel="alternate" type="{CONTENT_TYPES[outlet.feed_format].split(";")[0]}"
        href="{e(self.base + outlet.feed_path)}" title="{e(outlet.name)}">
</head>
<body>
  <header class="site-header">
    <a class="logo" href="{e(self.site(outlet))}">{e(outlet.name)}</a>
    <nav><ul>
      <li><a href="{e(self.site(outlet))}">Home</a></li>
      <li><a href="{e(self.site(outlet))}#world">World</a></li>
      <li><a href="{e(self.site(outlet))}#politics">Politics</a></li>
      <li><a href="{e(self.site(outlet))}#business">Business</a></li>
      <li><a href="{e(self.base + outlet.feed_path)}">Feed</a></li>
    </ul></nav>
  </header>
  <main>
    <article>
      <h1>{e(a.title)}</h1>
      <p class="byline">By <span class="author">{e(outlet.name)}</span> ·
        <time datetime="{iso_z(a.published)}">{shown_time}</time></p>
{paragraphs}
    </article>
    <aside class="related"><h2>More from {e(outlet.name)}</h2>
      <ul><li><a href="{e(self.site(outlet))}">Latest stories</a></li></ul></aside>
  </main>
  <footer>
    <p>Text from the Multi-News research corpus, replayed by the Herald demo.</p>
    <p><a href="/robots.txt">robots.txt</a> · <a href="/opml">All feeds (OPML)</a></p>
  </footer>
</body>
</html>
"""
        return doc.encode("utf-8")

    def outlet_page(self, outlet: Outlet, items: Sequence[SnapshotArticle]) -> bytes:
        e = html.escape
        feed_type = CONTENT_TYPES[outlet.feed_format].split(";")[0]
        rows = "\n".join(
            f'    <li><a href="{e(self.link(a))}">{e(a.title)}</a> '
            f'<time datetime="{iso_z(a.published)}"></time></li>'
            for a in items
        )
        doc = f"""<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>{e(outlet.name)}</title>
  <link rel="alternate" type="{feed_type}" href="{e(self.base + outlet.feed_path)}"
        title="{e(outlet.name)}">
</head>
<body>
  <h1>{e(outlet.name)}</h1>
  <ul>
{rows}
  </ul>
</body>
</html>
"""
        return doc.encode("utf-8")

    def opml(self, outlets: Sequence[Outlet], created: datetime) -> bytes:
        root = ET.Element("opml", {"version": "2.0"})
        head = _sub(root, "head")
        _sub(head, "title", "Herald demo feeds")
        _sub(head, "dateCreated", http_date(created))
        body = _sub(root, "body")
        for o in outlets:
            attrs = {
                "type": "rss",
                "text": o.name,
                "title": o.name,
                "xmlUrl": self.base + o.feed_path,
                "htmlUrl": self.site(o),
                "language": "en",
                "heraldOutlet": o.name,
                "heraldFetchPages": "true" if o.fetch_pages else "false",
            }
            _sub(body, "outline", **attrs)
        return _xml(root)

    def index(self, outlets: Sequence[Outlet]) -> bytes:
        e = html.escape
        rows = "\n".join(
            f'  <li><a href="{e(self.site(o))}">{e(o.name)}</a> '
            f'(<a href="{e(o.feed_path)}">{o.feed_format}</a>)</li>'
            for o in outlets
        )
        doc = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Herald demo feeds</title></head>
<body><h1>Herald demo feeds</h1><p><a href="/opml">OPML</a></p>
<ul>
{rows}
</ul></body></html>
"""
        return doc.encode("utf-8")


# --------------------------------------------------------------------------- server


class FeedServer:
    """The demo snapshot as live outlets on a loopback HTTP server (see the module docstring)."""

    def __init__(
        self,
        snapshot: Sequence[SnapshotArticle],
        visible_until: datetime | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.outlets = build_outlets(snapshot)
        self._by_slug = {o.slug: o for o in self.outlets}
        self._articles = {a.id: (o, a) for o in self.outlets for a in o.articles}
        self._epoch = snapshot_start(snapshot) if snapshot else datetime(2000, 1, 1, tzinfo=UTC)
        self._host, self._port = host, port
        self._lock = threading.Lock()
        self._visible_until = visible_until
        self._requests: list[tuple[str, int]] = []
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._renderer: Renderer | None = None

    # -- lifecycle

    def start(self) -> str:
        """Start serving in a background thread; returns the base URL (no trailing slash)."""
        if self._server is not None:
            return self.base_url
        handler = _make_handler(self)
        self._server = ThreadingHTTPServer((self._host, self._port), handler)
        self._server.daemon_threads = True
        host, port = self._server.server_address[:2]
        self._renderer = Renderer(f"http://{host!s}:{port}")
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True
        )
        self._thread.start()
        return self.base_url

    def stop(self) -> None:
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = self._thread = None

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        if self._renderer is None:
            raise RuntimeError("the feed server is not started")
        return self._renderer.base

    # -- replay

    @property
    def visible_until(self) -> datetime | None:
        with self._lock:
            return self._visible_until

    def set_visible_until(self, t: datetime | None) -> None:
        """Serve only articles published at or before ``t`` (``None``: all of them)."""
        with self._lock:
            self._visible_until = t

    def visible(self, items: Sequence[SnapshotArticle]) -> list[SnapshotArticle]:
        until = self.visible_until
        return [a for a in items if until is None or a.published <= until]

    # -- addresses

    def feed_urls(self) -> list[tuple[str, str, bool]]:
        """(outlet name, feed URL, whether its article pages may be fetched) for every outlet."""
        return [(o.name, self.base_url + o.feed_path, o.fetch_pages) for o in self.outlets]

    def feed_url(self, outlet: str) -> str:
        for o in self.outlets:
            if o.name == outlet:
                return self.base_url + o.feed_path
        raise KeyError(outlet)

    def article_url(self, article_id: str) -> str:
        return f"{self.base_url}/articles/{article_id}.html"

    def requests(self) -> list[tuple[str, int]]:
        """(path, status) of every request served so far, oldest first."""
        with self._lock:
            return list(self._requests)

    def _record(self, path: str, status: int) -> None:
        with self._lock:
            self._requests.append((path, status))

    # -- routing

    def respond(self, path: str) -> Response:
        """The response to a GET of ``path`` (before conditional-request handling)."""
        r = self._renderer
        assert r is not None
        path = urlsplit(path).path
        if path == "/robots.txt":
            return Response(200, CONTENT_TYPES["text"], b"User-agent: *\nAllow: /\n", self._epoch)
        if path in ("/opml", "/opml.xml"):
            return Response(
                200, CONTENT_TYPES["opml"], r.opml(self.outlets, self._epoch), self._epoch
            )
        if path in ("/", "/index.html"):
            return Response(200, CONTENT_TYPES["html"], r.index(self.outlets), self._epoch)
        if m := re.fullmatch(r"/feeds/([a-z0-9-]+)\.(xml|atom|json)", path):
            return self._feed(m.group(1), m.group(2))
        if m := re.fullmatch(r"/outlets/([a-z0-9-]+)\.html", path):
            outlet = self._by_slug.get(m.group(1))
            if outlet is not None:
                items = self.visible(outlet.articles)
                modified = items[0].published if items else self._epoch
                return Response(200, CONTENT_TYPES["html"], r.outlet_page(outlet, items), modified)
        if m := re.fullmatch(r"/articles/([A-Za-z0-9_.-]+)\.html", path):
            found = self._articles.get(m.group(1))
            if found is not None and found[1].has_page and self.visible([found[1]]):
                outlet, article = found
                return Response(
                    200, CONTENT_TYPES["html"], r.article_page(outlet, article), article.published
                )
        return Response(404, CONTENT_TYPES["text"], b"not found\n", self._epoch)

    def _feed(self, slug: str, extension: str) -> Response:
        outlet = self._by_slug.get(slug)
        if outlet is None or EXTENSIONS[outlet.feed_format] != extension:
            return Response(404, CONTENT_TYPES["text"], b"no such feed\n", self._epoch)
        items = self.visible(outlet.articles)
        updated = items[0].published if items else self._epoch
        assert self._renderer is not None
        body = self._renderer.feed(outlet, items, updated)
        return Response(200, CONTENT_TYPES[outlet.feed_format], body, updated)


def not_modified(resp: Response, if_none_match: str | None, if_modified_since: str | None) -> bool:
    """Whether a conditional GET may be answered ``304 Not Modified`` (RFC 9110 13.2.2)."""
    if resp.status != 200:
        return False
    if if_none_match is not None:
        tags = {t.strip().removeprefix("W/") for t in if_none_match.split(",")}
        return "*" in tags or resp.etag in tags
    if if_modified_since:
        try:
            since = parsedate_to_datetime(if_modified_since)
        except (TypeError, ValueError):
            return False
        if since.tzinfo is None:
            since = since.replace(tzinfo=UTC)
        return resp.last_modified.replace(microsecond=0) <= since
    return False


def _make_handler(server: FeedServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "HeraldDemoFeeds/1.0"

        def setup(self) -> None:
            super().setup()
            # headers and body are separate writes: without this, Nagle's algorithm and
            # delayed ACKs add ~40 ms to every keep-alive request
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

        def do_GET(self) -> None:
            self._serve(send_body=True)

        def do_HEAD(self) -> None:
            self._serve(send_body=False)

        def _serve(self, *, send_body: bool) -> None:
            resp = server.respond(self.path)
            inm, ims = self.headers.get("If-None-Match"), self.headers.get("If-Modified-Since")
            status = 304 if not_modified(resp, inm, ims) else resp.status
            server._record(self.path, status)
            self.send_response(status)
            self.send_header("ETag", resp.etag)
            self.send_header("Last-Modified", http_date(resp.last_modified))
            self.send_header("Cache-Control", "no-cache")
            if status == 304:
                self.end_headers()
                return
            self.send_header("Content-Type", resp.content_type)
            self.send_header("Content-Length", str(len(resp.body)))
            self.end_headers()
            if send_body:
                self.wfile.write(resp.body)

        def log_message(self, format: str, *args: object) -> None:
            return

    return Handler
