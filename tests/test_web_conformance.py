"""Conformance: the API matches its OpenAPI schema and error shape; feeds match their specs.

- Every /api/v1 route is in the OpenAPI schema, every documented error response is the one
  error shape, and real 404, 405, 422 (and 403 from any state-changing API route) responses
  validate against the schema the document publishes. No /api/v1 route limits its rate
  today; the schema's ``default`` response documents the shape a 429 would take.
- RSS 2.0 (the RSS Advisory Board's specification): required channel and item elements, only
  elements the specification or a namespace defines, RFC 822 dates, permalink guids.
- Atom 1.0: the RELAX NG schema of RFC 4287 Appendix B (``tests/golden/atom-rfc4287.rng``)
  plus the two Schematron rules it carries as annotations, and RFC 3339 time zones.
- JSON Feed 1.1: a JSON Schema written from the specification
  (``tests/golden/jsonfeed-1.1.schema.json``), validated with ``jsonschema``.
- The public feeds and a reader's personal feeds; revoking personal addresses 404s old ones.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import fastapi.routing
import jsonschema
import lxml.etree
import lxml.html
import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from herald.app import Herald
from herald.types import FollowKind, Preference
from tests.test_web_seed import Seeded, client, herald, seeded

__all__ = ["client", "herald", "seeded"]

GOLDEN = Path(__file__).parent / "golden"
ATOM = "http://www.w3.org/2005/Atom"
A = f"{{{ATOM}}}"
FORMATS = ("rss", "atom", "json")
OPENAPI = "/api/v1/openapi.json"

# RFC 822 section 5 date-time (with the four-digit years RSS 2.0 prefers).
RFC822 = re.compile(
    r"^(?:(Mon|Tue|Wed|Thu|Fri|Sat|Sun), )?(\d{1,2}) "
    r"(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) (\d{2}|\d{4}) "
    r"([01]\d|2[0-3]):([0-5]\d)(?::([0-5]\d))? "
    r"(UT|GMT|EST|EDT|CST|CDT|MST|MDT|PST|PDT|[A-IK-Z]|[+-]\d{4})$"
)
RSS_CHANNEL = {
    "title", "link", "description", "language", "copyright", "managingEditor", "webMaster",
    "pubDate", "lastBuildDate", "category", "generator", "docs", "cloud", "ttl", "image",
    "rating", "textInput", "skipHours", "skipDays", "item",
}  # fmt: skip
RSS_ITEM = {
    "title", "link", "description", "author", "category", "comments", "enclosure", "guid",
    "pubDate", "source",
}  # fmt: skip
RFC3339_ZONE = re.compile(r"(Z|[+-]\d{2}:\d{2})$")


# --------------------------------------------------------------------------- helpers


@pytest.fixture(scope="module")
def atom_schema() -> lxml.etree.RelaxNG:
    return lxml.etree.RelaxNG(lxml.etree.parse(str(GOLDEN / "atom-rfc4287.rng")))


@pytest.fixture(scope="module")
def json_feed_validator() -> jsonschema.Draft202012Validator:
    schema = json.loads((GOLDEN / "jsonfeed-1.1.schema.json").read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def absolute(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in {"http", "https"} and bool(parts.netloc)


def rss_problems(content: bytes) -> list[str]:
    """What keeps ``content`` from being a valid RSS 2.0 document (empty when valid)."""
    root = lxml.etree.fromstring(content)
    problems = []
    if root.tag != "rss" or root.get("version") != "2.0":
        problems.append("root is not <rss version='2.0'>")
    channels = root.findall("channel")
    if len(channels) != 1:
        return [*problems, f"{len(channels)} channels"]
    channel = channels[0]
    for tag in ("title", "link", "description"):
        if not (channel.findtext(tag) or "").strip():
            problems.append(f"channel has no {tag}")
    problems += _unknown(channel, RSS_CHANNEL, "channel")
    problems += _dates(channel, ("pubDate", "lastBuildDate"))
    if not absolute(channel.findtext("link") or ""):
        problems.append("channel link is not an absolute URL")
    selves = channel.findall(f"{A}link[@rel='self']")
    if len(selves) != 1 or not absolute(selves[0].get("href", "")):
        problems.append("no atom:link rel=self with the feed's address")
    for i, item in enumerate(channel.findall("item")):
        problems += [f"item {i}: {p}" for p in _item_problems(item)]
    return problems


def _unknown(parent: Any, allowed: set[str], where: str) -> list[str]:
    # Elements in a namespace are extensions, which RSS 2.0 allows.
    return [f"{where} has <{c.tag}>" for c in parent if "}" not in c.tag and c.tag not in allowed]


def _dates(parent: Any, tags: tuple[str, ...]) -> list[str]:
    problems = []
    for tag in tags:
        for el in parent.findall(tag):
            text = (el.text or "").strip()
            match = RFC822.match(text)
            if match is None:
                problems.append(f"{tag} {text!r} is not an RFC 822 date")
                continue
            when = parsedate_to_datetime(text)
            if match.group(1) and when.strftime("%a") != match.group(1):
                problems.append(f"{tag} {text!r} names the wrong weekday")
    return problems


def _item_problems(item: Any) -> list[str]:
    problems = _unknown(item, RSS_ITEM, "item") + _dates(item, ("pubDate",))
    if not (item.findtext("title") or item.findtext("description")):
        problems.append("neither title nor description")
    for guid in item.findall("guid"):
        permalink = guid.get("isPermaLink", "true")
        if permalink not in {"true", "false"}:
            problems.append(f"isPermaLink={permalink!r}")
        if permalink == "true" and not absolute(guid.text or ""):
            problems.append("a permalink guid that is not a URL")
    for category in item.findall("category"):
        if not (category.text or "").strip():
            problems.append("empty category")
    return problems


def atom_problems(content: bytes, schema: lxml.etree.RelaxNG) -> list[str]:
    """What keeps ``content`` from being a valid Atom 1.0 feed (empty when valid)."""
    doc = lxml.etree.fromstring(content)
    problems = [] if schema.validate(doc) else [str(e) for e in schema.error_log]
    entries = doc.findall(f"{A}entry")
    # RFC 4287's two Schematron rules, which RELAX NG does not run.
    if doc.find(f"{A}author") is None and any(e.find(f"{A}author") is None for e in entries):
        problems.append("a feed without atom:author has entries without one")
    for i, e in enumerate(entries):
        alternate = e.xpath("a:link[@rel='alternate' or not(@rel)]", namespaces={"a": ATOM})
        if not alternate and e.find(f"{A}content") is None:
            problems.append(f"entry {i} has neither an alternate link nor content")
    for el in doc.iter(f"{A}updated", f"{A}published"):
        if not RFC3339_ZONE.search(el.text or ""):
            problems.append(f"{el.tag} {el.text!r} has no RFC 3339 time zone")
    for el in doc.iter(f"{A}id"):
        if not urlsplit(el.text or "").scheme:
            problems.append(f"atom:id {el.text!r} is not an IRI")
    return problems


def json_feed_problems(content: bytes, validator: jsonschema.Draft202012Validator) -> list[str]:
    return [e.message for e in validator.iter_errors(json.loads(content))]


def check_feed(
    c: TestClient,
    path: str,
    fmt: str,
    atom_schema: lxml.etree.RelaxNG,
    json_feed_validator: jsonschema.Draft202012Validator,
) -> None:
    r = c.get(path)
    assert r.status_code == 200, path
    if fmt == "rss":
        assert rss_problems(r.content) == [], path
    elif fmt == "atom":
        assert atom_problems(r.content, atom_schema) == [], path
    else:
        assert json_feed_problems(r.content, json_feed_validator) == [], path


# --------------------------------------------------------------------------- feeds


@pytest.mark.parametrize("fmt", FORMATS)
def test_public_feeds_conform(
    client: TestClient,
    seeded: Seeded,
    fmt: str,
    atom_schema: lxml.etree.RelaxNG,
    json_feed_validator: jsonschema.Draft202012Validator,
) -> None:
    check_feed(client, f"/feed.{fmt}", fmt, atom_schema, json_feed_validator)


@pytest.mark.parametrize("fmt", FORMATS)
def test_personal_feeds_conform(
    client: TestClient,
    herald: Herald,
    seeded: Seeded,
    fmt: str,
    atom_schema: lxml.etree.RelaxNG,
    json_feed_validator: jsonschema.Draft202012Validator,
) -> None:
    reader = herald.store.create_reader(herald.clock.now())
    for pref in (Preference(FollowKind.TOPIC, "science"), Preference(FollowKind.OUTLET, "X")):
        herald.store.set_preference(reader.id, pref, herald.clock.now())
    path = f"/feeds/{reader.feed_secret}.{fmt}"
    check_feed(client, path, fmt, atom_schema, json_feed_validator)


def test_empty_feeds_conform(
    client: TestClient,
    atom_schema: lxml.etree.RelaxNG,
    json_feed_validator: jsonschema.Draft202012Validator,
) -> None:
    for fmt in FORMATS:
        check_feed(client, f"/feed.{fmt}", fmt, atom_schema, json_feed_validator)


def test_validators_catch_broken_documents(
    client: TestClient,
    seeded: Seeded,
    atom_schema: lxml.etree.RelaxNG,
    json_feed_validator: jsonschema.Draft202012Validator,
) -> None:
    """The checks above have teeth: each rejects a document broken in one place."""
    rss = client.get("/feed.rss").content
    assert rss_problems(rss.replace(b"<pubDate>", b"<pubDate>2024-12-29 ", 1))
    assert rss_problems(re.sub(rb"<description>.*?</description>", b"", rss, count=1))
    assert rss_problems(rss.replace(b"<item>", b"<item><colour>red</colour>", 1))
    atom = client.get("/feed.atom").content
    assert atom_problems(re.sub(rb"<id>[^<]*</id>", b"", atom, count=1), atom_schema)
    assert atom_problems(atom.replace(b"<updated>", b"<updated>yesterday", 1), atom_schema)
    assert atom_problems(re.sub(rb"<author>.*?</author>", b"", atom, count=1), atom_schema)
    doc = json.loads(client.get("/feed.json").content)
    for breakage in (
        lambda d: d.pop("items"),
        lambda d: d["items"][0].pop("content_html"),
        lambda d: d["items"][0].update(date_published="29 Dec 2024"),
        lambda d: d.update(version="https://jsonfeed.org/version/9"),
        lambda d: d.update(colour="red"),
        lambda d: d["authors"].append({}),
    ):
        broken = copy.deepcopy(doc)
        breakage(broken)
        assert json_feed_problems(json.dumps(broken).encode(), json_feed_validator)


def _feed_paths(c: TestClient) -> list[str]:
    doc = lxml.html.fromstring(c.get("/settings").text)
    return [urlsplit(u).path for u in doc.xpath("//dl[@class='feed-urls']//input/@value")]


def test_revoking_personal_feed_addresses_404s_the_old_ones(
    client: TestClient,
    seeded: Seeded,
    atom_schema: lxml.etree.RelaxNG,
    json_feed_validator: jsonschema.Draft202012Validator,
) -> None:
    token = re.findall(r'name="csrf" value="([0-9a-f]+)"', client.get("/settings").text)[0]
    r = client.post("/settings/feeds/rotate", data={"csrf": token}, follow_redirects=False)
    assert r.status_code == 303
    old = _feed_paths(client)
    assert [p.rsplit(".", 1)[1] for p in old] == ["rss", "atom", "json"]
    assert all(client.get(p).status_code == 200 for p in old)
    r = client.post("/settings/feeds/rotate", data={"csrf": token}, follow_redirects=False)
    assert r.status_code == 303
    new = _feed_paths(client)
    assert set(new).isdisjoint(old)
    for path in old:
        gone = client.get(path)
        assert gone.status_code == 404, path
        assert "revoked" in gone.text
    for path, fmt in zip(new, FORMATS, strict=True):
        check_feed(client, path, fmt, atom_schema, json_feed_validator)


# --------------------------------------------------------------------------- API


@pytest.fixture()
def openapi(client: TestClient) -> dict[str, Any]:
    r = client.get(OPENAPI)
    assert r.status_code == 200
    document: dict[str, Any] = r.json()
    return document


@dataclass(frozen=True)
class Route:
    path: str  # as FastAPI writes it, such as /api/v1/entities/{name:path}
    methods: frozenset[str]


def api_routes(c: TestClient) -> list[Route]:
    """Every route of the app under /api/v1/, however FastAPI nests included routers."""
    routes: Any = c.app.routes  # type: ignore[attr-defined]
    contexts = getattr(fastapi.routing, "iter_route_contexts", None)  # FastAPI >= 0.163
    found = contexts(routes) if contexts else (r for r in routes if isinstance(r, APIRoute))
    return [
        Route(r.path_format, frozenset(r.methods or ()))
        for r in found
        if (r.path_format or "").startswith("/api/v1/") and r.methods
    ]


def error_validator(document: dict[str, Any]) -> jsonschema.Draft202012Validator:
    """A validator of the Error schema, resolving references inside the OpenAPI document."""
    schema = {"$ref": "#/components/schemas/Error", "components": document["components"]}
    return jsonschema.Draft202012Validator(schema)


def test_every_api_route_is_documented(client: TestClient, openapi: dict[str, Any]) -> None:
    routes = [r for r in api_routes(client) if r.path != OPENAPI]  # not the schema itself
    assert len(routes) >= 8
    for route in routes:
        item = openapi["paths"].get(re.sub(r":\w+}", "}", route.path))
        assert item is not None, f"{route.path} is not in the OpenAPI schema"
        for method in route.methods - {"HEAD"}:
            assert method.lower() in item, f"{method} {route.path} is not documented"


def test_documented_errors_use_the_one_shape(openapi: dict[str, Any]) -> None:
    assert "Error" in openapi["components"]["schemas"]
    assert "HTTPValidationError" not in openapi["components"]["schemas"]
    for path, item in openapi["paths"].items():
        if not path.startswith("/api/v1/"):
            continue
        for method, operation in item.items():
            responses = operation["responses"]
            assert "default" in responses, (method, path)
            if operation.get("parameters"):
                assert "422" in responses, (method, path)
            for status, response in responses.items():
                if not status.startswith("2"):
                    schema = response["content"]["application/json"]["schema"]
                    assert schema == {"$ref": "#/components/schemas/Error"}, (path, status)


def _invalid_requests(openapi: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """(method, URL) of a request for each operation that sends a bad or missing parameter."""
    for path, item in openapi["paths"].items():
        if not path.startswith("/api/v1/"):
            continue
        for method, operation in item.items():
            params = operation.get("parameters", [])
            url = path
            for p in params:
                if p["in"] == "path":
                    url = url.replace("{" + p["name"] + "}", "1")
            numbers = [p for p in params if p.get("schema", {}).get("type") == "integer"]
            required = [p for p in params if p["in"] == "query" and p.get("required")]
            if any(p["in"] == "path" for p in numbers):
                name = next(p["name"] for p in numbers if p["in"] == "path")
                yield method, path.replace("{" + name + "}", "not-a-number")
            elif any(p["in"] == "query" for p in numbers):
                name = next(p["name"] for p in numbers if p["in"] == "query")
                extra = "".join(f"&{p['name']}=x" for p in required)
                yield method, f"{url}?{name}=not-a-number{extra}"
            elif required:
                yield method, url


def test_real_errors_match_the_documented_shape(
    client: TestClient, seeded: Seeded, openapi: dict[str, Any]
) -> None:
    validator = error_validator(openapi)
    checked: list[tuple[int, str]] = []

    def check(response: Any, status: int | set[int], label: str) -> None:
        statuses = {status} if isinstance(status, int) else status
        assert response.status_code in statuses, (label, response.status_code, response.text)
        assert response.headers["content-type"].startswith("application/json"), label
        body = response.json()
        assert list(validator.iter_errors(body)) == [], (label, body)
        assert body["error"]["status"] == response.status_code
        checked.append((response.status_code, label))

    for method, url in _invalid_requests(openapi):
        check(client.request(method.upper(), url), 422, url)
    for url in ("/api/v1/no-such-thing", "/api/v1/stories/999999", "/api/v1/topics/gardening"):
        check(client.get(url), 404, url)
    for route in api_routes(client):
        url = re.sub(r"{[^}]+}", "1", route.path)
        if "GET" in route.methods and "POST" not in route.methods:
            check(client.post(url), 405, f"POST {url}")
        for method in route.methods - {"GET", "HEAD"}:
            # A state-changing call from another site, without a session or CSRF token.
            r = client.request(method, url, headers={"origin": "https://evil.example"})
            check(r, {400, 401, 403, 404, 422}, f"{method} {url}")
    statuses = {s for s, _ in checked}
    assert {404, 405, 422} <= statuses, checked
