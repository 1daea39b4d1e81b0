"""Topic, entity and outlet pages, search, OPML of followed feeds, and their JSON API.

In process (FastAPI's TestClient) on a real SQLite Herald seeded through the Store API
(``tests/test_web_seed.py``): four stories from four outlets.
"""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import quote, urlsplit

import lxml.etree
import lxml.html
import pytest
from fastapi.testclient import TestClient

from herald.app import Herald
from herald.ingest.opml import read_opml
from herald.store.store import NewEntry
from herald.types import SourceSpec
from tests.test_web_seed import NOW, SCRIPT_TITLE, Seeded, client, herald, seeded

__all__ = ["client", "herald", "seeded"]

ECB = "European Central Bank"
HEADLINE = "ECB cuts rates for the fourth time this year"


def page(c: TestClient, path: str, status: int = 200) -> lxml.html.HtmlElement:
    r = c.get(path)
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("text/html")
    return lxml.html.fromstring(r.text)


def texts(el: lxml.html.HtmlElement, xpath: str) -> list[str]:
    return [" ".join(e.text_content().split()) for e in el.xpath(xpath)]


def csrf(c: TestClient, path: str) -> str:
    match = re.search(r'name="csrf" value="([0-9a-f]+)"', c.get(path).text)
    assert match
    return match.group(1)


def add_stories(h: Herald, n: int, topic: str, entity: str) -> list[int]:
    """``n`` more one-article stories from a new outlet, all naming ``entity``."""
    spec = SourceSpec(url="https://harbour.example/feed.xml", outlet="Harbour Post")
    source = h.store.add_source(spec, NOW - timedelta(days=5)).id
    ids = []
    for i in range(n):
        url = f"https://harbour.example/{i}"
        title = f"Harbour dispatch number {i}"
        published = NOW - timedelta(hours=30 + i)
        entry = NewEntry(url, url, url, title, "Ships came and went.", "", published)
        h.store.add_entries(source, [entry], NOW, fetch_pages=False)
        article = next(a for a in h.store.unclustered_articles() if a.url == url)
        sid = h.store.create_story(title, published, NOW)
        h.store.assign_articles([(article.id, sid, None)])
        h.store.save_story(sid, title=title, centroid=None, topic=topic, entities=[entity], now=NOW)
        ids.append(sid)
    return ids


# --------------------------------------------------------------------------- pages


def test_topic_page_lists_its_stories_with_follow_buttons(
    client: TestClient, seeded: Seeded
) -> None:
    doc = page(client, "/topics/business")
    assert texts(doc, "//h1") == ["Business"]
    assert texts(doc, "//ol[contains(@class,'story-list')]//h2") == [HEADLINE]
    buttons = doc.xpath("//form[@action='/prefs']//button/@value")
    assert buttons == ["follow|topic|business", "mute|topic|business"]
    assert doc.xpath("//form[@action='/prefs']//input[@name='next']/@value") == ["/topics/business"]
    r = client.get("/topics/Business", follow_redirects=False)
    assert (r.status_code, r.headers["location"]) == (301, "/topics/business")
    doc = page(client, "/topics/gardening", 404)
    assert "no topic" in texts(doc, "//main")[0]


def test_topic_pages_page_without_javascript(
    client: TestClient, herald: Herald, seeded: Seeded
) -> None:
    add_stories(herald, 25, "sports", "Harbour Authority")
    first = page(client, "/topics/sports")
    assert len(first.xpath("//ol[contains(@class,'story-list')]/li")) == 20
    assert first.xpath("//a[@rel='prev']") == []
    [next_url] = first.xpath("//a[@rel='next']/@href")
    second = page(client, next_url)
    assert len(second.xpath("//ol[contains(@class,'story-list')]/li")) == 5
    assert second.xpath("//ol[contains(@class,'story-list')]/@start") == ["21"]
    assert second.xpath("//a[@rel='next']") == []
    assert second.xpath("//a[@rel='prev']/@href") == ["/topics/sports?page=1"]
    assert client.get("/topics/sports?page=0").status_code == 422


def test_entity_page_follow_button_follows_the_entity(client: TestClient, seeded: Seeded) -> None:
    doc = page(client, "/entities/" + quote(ECB.lower()))
    assert texts(doc, "//h1") == [ECB]  # the stories' own spelling
    assert texts(doc, "//ol[contains(@class,'story-list')]//h2") == [HEADLINE]
    token = csrf(client, "/entities/" + quote(ECB))
    r = client.post(
        "/prefs",
        data={"csrf": token, "pref": f"follow|entity|{ECB}", "next": "/entities/" + quote(ECB)},
        follow_redirects=False,
    )
    assert r.status_code == 303
    doc = page(client, r.headers["location"])
    assert texts(doc, "//button[@aria-pressed='true']") == [f"Following {ECB}"]
    feed = lxml.html.fromstring(client.get("/").text)
    assert f"You follow {ECB}" in texts(feed, "//p[@class='reason']")


def test_entity_names_with_slashes_and_unknown_entities(
    client: TestClient, herald: Herald, seeded: Seeded
) -> None:
    [sid] = add_stories(herald, 1, "entertainment", "AC/DC")
    doc = page(client, "/entities/AC%2FDC")
    assert texts(doc, "//h1") == ["AC/DC"]
    assert doc.xpath(f"//li[@id='story-{sid}']")
    doc = page(client, "/entities/Nobody%20Known")
    assert "No story names Nobody Known yet" in texts(doc, "//p[@class='intro']")[0]
    assert doc.xpath("//button/@value")[:1] == ["follow|entity|Nobody Known"]
    assert client.get("/entities/" + "x" * 201).status_code == 422
    doc = page(client, "/entities/Who%3F%20%23Me")  # "Who? #Me": the follow form comes back
    [form] = doc.xpath("//form[@action='/prefs']")
    data = {i.get("name"): i.get("value") for i in form.xpath(".//input")}
    data["pref"] = form.xpath(".//button/@value")[0]
    r = client.post("/prefs", data=data, follow_redirects=False)
    assert r.headers["location"] == "/entities/Who%3F%20%23Me"
    assert texts(page(client, r.headers["location"]), "//button[@aria-pressed='true']") == [
        "Following Who? #Me"
    ]


def test_outlet_page_shows_feeds_chart_articles_and_stories(
    client: TestClient, seeded: Seeded
) -> None:
    doc = page(client, "/outlets/wire%20service")
    assert texts(doc, "//h1") == ["Wire Service"]
    assert doc.xpath("//ul[@class='feed-list']//a/@href")[0] == (
        "https://wireservice.example/feed.xml"
    )
    bars = doc.xpath("//svg[@class='chart']/*[local-name()='rect']")
    assert len(bars) == 30
    counts = [int(b.xpath("./*[local-name()='title']/text()")[0].split()[0]) for b in bars]
    assert counts[-2:] == [1, 1] and sum(counts) == 2  # yesterday's and today's articles
    assert "(2 in all)" in texts(doc, "//figcaption")[0]
    assert texts(doc, "//ol[@class='article-list']//p[@class='article-title']") == [
        "ECB cuts rates again",
        "Chipmaker unveils efficient processor",
    ]
    stories = doc.xpath("//ol[contains(@class,'story-list')]/li/@id")
    assert stories == [f"story-{seeded.rates}", f"story-{seeded.chips}"]
    assert doc.xpath("//button/@value")[:1] == ["follow|outlet|Wire Service"]
    page(client, "/outlets/Nowhere%20Times", 404)


def test_links_on_browse_pages_lead_to_browse_pages(client: TestClient, seeded: Seeded) -> None:
    doc = page(client, "/topics/business")
    story = doc.xpath(f"//li[@id='story-{seeded.rates}']")[0]
    assert story.xpath(".//a[@class='topic']/@href") == ["/topics/business"]
    assert story.xpath(".//ul[@class='entity-tags']//a/@href") == [
        "/entities/European%20Central%20Bank"
    ]
    outlets = story.xpath(".//p[@class='meta']/a/@href")
    assert sorted(outlets) == [
        "/outlets/Daily%20Ledger",
        "/outlets/Markets%20Today",
        "/outlets/Wire%20Service",
    ]
    seen = set()
    for path in ("/topics/business", "/outlets/Wire%20Service", "/search?q=ecb&kind=articles"):
        for href in page(client, path).xpath("//main//a/@href"):
            if href.startswith("/") and href not in seen:
                seen.add(href)
                assert client.get(href).status_code == 200, href
    assert len(seen) >= 8


# --------------------------------------------------------------------------- search


def test_header_search_box_on_every_page(client: TestClient, seeded: Seeded) -> None:
    for path in ("/", f"/stories/{seeded.rates}", "/settings", "/topics/science", "/search"):
        doc = page(client, path)
        [form] = doc.xpath("//header//form[@role='search']")
        assert form.get("method") == "get" and form.get("action") == "/search"
        [box] = form.xpath(".//input[@name='q']")
        assert form.xpath(f".//label[@for='{box.get('id')}']")
        assert len(doc.xpath("//h1")) == 1


def test_search_stories_and_articles(client: TestClient, seeded: Seeded) -> None:
    doc = page(client, "/search?q=central+bank")
    assert texts(doc, "//ol[contains(@class,'story-list')]//h2") == [HEADLINE]
    tabs = texts(doc, "//nav[@class='search-kinds']//a")
    assert tabs == ["Stories (1)", "Source articles (3)"]
    assert doc.xpath("//nav[@class='search-kinds']//a[@aria-current='page']/@href") == [
        "/search?q=central+bank&kind=stories"
    ]
    doc = page(client, "/search?q=central+bank&kind=articles")
    items = doc.xpath("//ol[@class='article-list']/li")
    assert len(items) == 3
    marks = {m.lower() for m in texts(doc, "//ol[@class='article-list']//mark")}
    assert marks == {"central", "bank"}
    assert all(h.startswith("https://news.example/") for h in items[0].xpath(".//a/@href")[:1])
    assert doc.xpath("//meta[@name='robots']/@content") == ["noindex"]


def test_search_pages_without_javascript(client: TestClient, herald: Herald) -> None:
    add_stories(herald, 23, "world", "Harbour Authority")
    doc = page(client, "/search?q=harbour&kind=articles")
    assert len(doc.xpath("//ol[@class='article-list']/li")) == 20
    [next_url] = doc.xpath("//a[@rel='next']/@href")
    assert next_url == "/search?q=harbour&kind=articles&page=2"
    doc = page(client, next_url)
    assert len(doc.xpath("//ol[@class='article-list']/li")) == 3
    assert doc.xpath("//ol[@class='article-list']/@start") == ["21"]
    assert doc.xpath("//a[@rel='prev']/@href") == ["/search?q=harbour&kind=articles&page=1"]


@pytest.mark.parametrize(
    "q", ['"', "NEAR(", "*", "-", "'; drop table stories; --", "%", "新加坡", "a" * 500]
)
def test_hostile_searches_render(client: TestClient, seeded: Seeded, q: str) -> None:
    for kind in ("stories", "articles"):
        r = client.get("/search", params={"q": q, "kind": kind})
        assert r.status_code == 200
        assert "No " in lxml.html.fromstring(r.text).xpath("//p[@class='empty']")[0].text
    assert client.get("/search", params={"q": "a" * 501}).status_code == 422
    assert client.get("/search", params={"q": "x", "kind": "people"}).status_code == 422


def test_search_escapes_queries_and_titles(client: TestClient, seeded: Seeded) -> None:
    r = client.get("/search", params={"q": "<script>alert(1)</script>"})
    assert "<script>alert(1)</script>" not in r.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in r.text
    r = client.get("/search", params={"q": "festival lineup"})
    assert "<script>alert(" not in r.text
    doc = lxml.html.fromstring(r.text)
    assert texts(doc, "//ol[contains(@class,'story-list')]//h2") == [SCRIPT_TITLE]


# --------------------------------------------------------------------------- OPML


def test_opml_lists_the_feeds_of_followed_outlets(client: TestClient, herald: Herald) -> None:
    r = client.get("/settings/sources.opml")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/x-opml")
    assert read_opml(r.content) == []
    token = csrf(client, "/settings")
    for value in ("Wire Service", "tech weekly"):
        r = client.post(
            "/prefs",
            data={"csrf": token, "kind": "outlet", "value": value, "action": "follow"},
            follow_redirects=False,
        )
        assert r.status_code == 303
    r = client.get("/settings/sources.opml")
    assert "attachment" in r.headers["content-disposition"]
    assert r.headers["cache-control"] == "private, no-store"
    root = lxml.etree.fromstring(r.content)
    assert root.tag == "opml" and root.get("version") == "2.0"
    assert root.findtext("head/title")
    outlines = root.findall("body//outline[@type='rss']")
    assert all(o.get("text") and o.get("xmlUrl") for o in outlines)
    specs = read_opml(r.content)
    assert [(s.outlet, s.url) for s in specs] == [
        ("Tech Weekly", "https://techweekly.example/feed.xml"),
        ("Wire Service", "https://wireservice.example/feed.xml"),
    ]
    settings = lxml.html.fromstring(client.get("/settings").text)
    assert settings.xpath("//a[@href='/settings/sources.opml']")


# --------------------------------------------------------------------------- API


def test_api_search(client: TestClient, seeded: Seeded) -> None:
    r = client.get("/api/v1/search", params={"q": "central bank"})
    body = r.json()
    assert (body["kind"], body["total"], len(body["items"])) == ("stories", 1, 1)
    [hit] = body["items"]
    assert hit["type"] == "story" and hit["headline"] == HEADLINE and hit["written"]
    assert hit["story"]["url"] == f"/stories/{seeded.rates}"
    body = client.get(
        "/api/v1/search", params={"q": "cut", "kind": "articles", "limit": 1, "offset": 1}
    ).json()
    assert (body["total"], body["limit"], body["offset"]) == (3, 1, 1)  # no stemming: not "cuts"
    [hit] = body["items"]
    assert hit["type"] == "article" and urlsplit(hit["url"]).scheme == "https"
    assert [hit["snippet"][s:e].lower() for s, e in hit["highlights"]] == ["cut"]
    assert hit["story_url"] == f"/stories/{seeded.rates}"


def test_api_topics_entities_outlets(client: TestClient, seeded: Seeded) -> None:
    body = client.get("/api/v1/topics/Science").json()
    assert (body["topic"], body["name"], body["total"]) == ("science", "Science", 1)
    assert body["items"][0]["story"]["id"] == seeded.comet
    assert not body["items"][0]["written"]
    body = client.get("/api/v1/entities/" + quote("european central bank")).json()
    assert body["name"] == ECB and [i["headline"] for i in body["items"]] == [HEADLINE]
    body = client.get("/api/v1/outlets/Tech%20Weekly").json()
    assert body["name"] == "Tech Weekly" and body["total"] == 1
    assert body["feeds"][0]["state"] == "ok"
    assert len(body["articles_per_day"]) == 30 and body["articles_per_day"][-1]["articles"] == 0
    assert sum(d["articles"] for d in body["articles_per_day"]) == 1
    assert body["recent_articles"][0]["title"] == "New processor halves power use"


def test_api_errors(client: TestClient) -> None:
    for path, status in (
        ("/api/v1/topics/gardening", 404),
        ("/api/v1/outlets/Nowhere", 404),
        ("/api/v1/search", 422),
        ("/api/v1/search?q=x&kind=people", 422),
        ("/api/v1/search?q=x&limit=0", 422),
        ("/api/v1/entities/" + "x" * 201, 422),
    ):
        r = client.get(path)
        assert r.status_code == status, path
        error = r.json()["error"]
        assert error["status"] == status and error["code"] and error["message"]
