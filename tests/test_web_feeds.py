"""Feeds out: public and personal RSS 2.0, Atom 1.0 and JSON Feed 1.1."""

from __future__ import annotations

import json
import re
from email.utils import parsedate_to_datetime

import feedparser
import lxml.etree
from fastapi.testclient import TestClient

from herald.app import Herald
from herald.types import FollowKind, Preference
from tests.test_web_seed import SCRIPT_TITLE, Seeded, client, herald, seeded

__all__ = ["client", "herald", "seeded"]

HEADLINE = "ECB cuts rates for the fourth time this year"


def parse(c: TestClient, path: str) -> feedparser.FeedParserDict:
    r = c.get(path)
    assert r.status_code == 200, r.text
    parsed = feedparser.parse(r.content)
    assert not parsed.bozo, parsed.get("bozo_exception")
    return parsed


def test_public_rss(client: TestClient, seeded: Seeded) -> None:
    r = client.get("/feed.rss")
    assert r.headers["content-type"].startswith("application/rss+xml")
    root = lxml.etree.fromstring(r.content)
    channel = root.find("channel")
    assert root.get("version") == "2.0"
    for tag in ("title", "link", "description"):
        assert (channel.findtext(tag) or "").strip()
    items = channel.findall("item")
    assert len(items) == 4
    for item in items:
        assert item.findtext("guid") and item.findtext("title") and item.findtext("link")
        assert parsedate_to_datetime(item.findtext("pubDate") or "").tzinfo is not None
    parsed = parse(client, "/feed.rss")
    assert parsed.version == "rss20"
    first = parsed.entries[0]
    assert first.title == HEADLINE
    assert first.link == f"http://testserver/stories/{seeded.rates}"
    html = first.description
    assert html.index("December 29th 2024.") < html.index("European Central Bank lowered")
    assert 'href="https://news.example/ecb-wire"' in html and "[1]" in html
    assert "This article has been trending online recently" in html
    assert "Generative AI is experimental." in html
    assert "Your feed is customized." not in html


def test_public_atom(client: TestClient) -> None:
    parsed = parse(client, "/feed.atom")
    assert parsed.version == "atom10"
    assert parsed.feed.title and parsed.feed.id and parsed.feed.updated
    for entry in parsed.entries:
        assert entry.id and entry.title and entry.updated and entry.link
    assert parsed.entries[0].content[0].value.count("<sup>") >= 3


def test_public_json_feed(client: TestClient) -> None:
    r = client.get("/feed.json")
    assert r.headers["content-type"].startswith("application/feed+json")
    doc = json.loads(r.content)
    assert doc["version"] == "https://jsonfeed.org/version/1.1"
    assert doc["title"] and doc["feed_url"] == "http://testserver/feed.json"
    assert all(item["id"] and item["content_html"] for item in doc["items"])
    assert doc["items"][0]["title"] == HEADLINE


def test_personal_feeds_are_customized(client: TestClient, herald: Herald) -> None:
    reader = herald.store.create_reader(herald.clock.now())
    herald.store.set_preference(
        reader.id, Preference(FollowKind.TOPIC, "science"), herald.clock.now()
    )
    parsed = parse(client, f"/feeds/{reader.feed_secret}.rss")
    assert parsed.feed.title == "Herald: your feed"
    titles = [e.title for e in parsed.entries]
    assert titles[:2] == [HEADLINE, "Links: New comet spotted"]
    assert "Your feed is customized." in parsed.entries[1].description
    atom = parse(client, f"/feeds/{reader.feed_secret}.atom")
    assert atom.version == "atom10" and len(atom.entries) == 4
    doc = client.get(f"/feeds/{reader.feed_secret}.json").json()
    assert {"version", "title", "items"} <= set(doc)
    assert "Your feed is customized." in doc["items"][0]["content_html"]


def test_unknown_and_revoked_secrets_404(client: TestClient, herald: Herald) -> None:
    reader = herald.store.create_reader(herald.clock.now())
    old = reader.feed_secret
    assert client.get(f"/feeds/{old}.json").status_code == 200
    herald.store.rotate_feed_secret(reader.id)
    for ext in ("rss", "atom", "json"):
        assert client.get(f"/feeds/{old}.{ext}").status_code == 404
    assert client.get("/feeds/nope.rss").status_code == 404


def test_feeds_escape_source_html(client: TestClient) -> None:
    for path in ("/feed.rss", "/feed.atom"):
        raw = client.get(path).text
        assert "<script>" not in raw
        parsed = parse(client, path)
        titles = [e.title for e in parsed.entries]
        assert f"Links: {SCRIPT_TITLE}" in titles
        content = " ".join(
            e.get("description", "") + "".join(c.value for c in e.get("content", []))
            for e in parsed.entries
        )
        assert not re.search(r"<script", content)
