"""HTML pages: feed cards, story page order and citations, link-only stories, escaping."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import lxml.html
from fastapi.testclient import TestClient

from herald.app import Herald
from herald.web import views
from tests.test_web_seed import SCRIPT_TITLE, Seeded, client, herald, seeded

__all__ = ["client", "herald", "seeded"]

TRENDING = "This article has been trending online recently and has been generated with AI."
GENERATED = "This article has been generated with AI."
EXPERIMENTAL = "Generative AI is experimental."


def page(c: TestClient, path: str) -> lxml.html.HtmlElement:
    r = c.get(path)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/html")
    return lxml.html.fromstring(r.text)


def card(doc: lxml.html.HtmlElement, story_id: int) -> lxml.html.HtmlElement:
    found = doc.xpath(f'//li[@id="story-{story_id}"]')
    assert found, f"no card for story {story_id}"
    return found[0]


def texts(el: lxml.html.HtmlElement, xpath: str) -> list[str]:
    return [" ".join(e.text_content().split()) for e in el.xpath(xpath)]


def test_feed_lists_cards_with_labels_and_reasons(client: TestClient, seeded: Seeded) -> None:
    r = client.get("/")
    assert "default-src 'none'" in r.headers["content-security-policy"]
    assert "script-src 'self'" in r.headers["content-security-policy"]
    doc = lxml.html.fromstring(r.text)
    cards = doc.xpath('//ol[@class="cards"]/li')
    assert len(cards) == 4
    assert cards[0].get("id") == f"story-{seeded.rates}"
    rates = card(doc, seeded.rates)
    assert texts(rates, ".//h2") == ["ECB cuts rates for the fourth time this year"]
    assert texts(rates, './/p[@class="label"]') == [TRENDING, EXPERIMENTAL]
    assert texts(rates, './/p[@class="reason"]') == ["Trending across 3 outlets"]
    assert "3 outlets" in texts(rates, './/p[@class="meta"]')[0]
    assert "hours ago" in texts(rates, ".//time")[0]
    assert texts(rates, './/p[@class="summary"]')[0].startswith("The European Central Bank")
    chips = card(doc, seeded.chips)
    assert texts(chips, './/p[@class="label"]') == [GENERATED, EXPERIMENTAL]
    assert texts(chips, './/span[@class="topic"]') == ["Technology"]
    comet = card(doc, seeded.comet)
    assert texts(comet, ".//h2") == ["New comet spotted"]
    assert "Working title" in texts(comet, './/p[@class="working-title"]')[0]
    assert texts(comet, './/p[@class="reason"]') == ["Covered by 1 outlet"]


def test_every_page_has_landmarks_and_local_assets_only(client: TestClient, seeded: Seeded) -> None:
    for path in ("/", f"/stories/{seeded.rates}", "/settings"):
        doc = page(client, path)
        assert doc.xpath("//main[@id='main']") and doc.xpath("//nav") and doc.xpath("//footer")
        assert doc.xpath("//a[@class='skip-link']/@href") == ["#main"]
        assets = doc.xpath("//script/@src | //link[@rel='stylesheet']/@href | //img/@src")
        assert assets and all(a.startswith("/static/") for a in assets)
        assert len(doc.xpath("//h1")) == 1


def test_pagination_works_without_javascript(client: TestClient) -> None:
    doc = page(client, "/?page=2")
    assert doc.xpath('//ol[@class="cards"]/li') == []
    assert doc.xpath("//a[@rel='prev']/@href") == ["/?page=1"]
    r = client.get("/?page=0")
    assert r.status_code == 422
    assert r.headers["content-type"].startswith("text/html")


def test_story_page_order_citations_and_json_ld(client: TestClient, seeded: Seeded) -> None:
    doc = page(client, f"/stories/{seeded.rates}")
    article = doc.xpath("//article[@class='story']")[0]
    ordered = [
        article.xpath(".//h1")[0],
        article.xpath(".//p[@class='dateline']")[0],
        article.xpath(".//span[@class='sentence']")[0],
        article.xpath(".//section[@class='key-points']")[0],
        article.xpath(".//section[@class='outlets']")[0],
        article.xpath(".//section[@class='story-labels']")[0],
        article.xpath(".//section[@class='timeline']")[0],
    ]
    positions = [list(article.iter()).index(el) for el in ordered]
    assert positions == sorted(positions)
    assert texts(article, ".//h1") == ["ECB cuts rates for the fourth time this year"]
    assert "Written by Herald" in texts(article, ".//p[@class='byline']")[0]
    body = article.xpath(".//div[@class='story-body']")[0]
    assert body.xpath("./p")[0].get("class") == "dateline"
    assert texts(body, "./p[1]") == ["December 29th 2024."]
    sentences = body.xpath(".//span[@class='sentence']")
    assert len(sentences) == 3
    for s in sentences:
        links = s.xpath(".//a[@class='cite-link']")
        assert links and all(a.get("href").startswith("https://news.example/") for a in links)
    assert [a.text for a in sentences[0].xpath(".//a")] == ["[1]", "[2]"]
    assert texts(article, ".//section[@class='story-labels']//p") == [TRENDING, EXPERIMENTAL]
    assert len(article.xpath(".//svg//rect[@class='bar']")) == 2
    data = json.loads(doc.xpath("//script[@type='application/ld+json']")[0].text)
    assert data["@type"] == "NewsArticle"
    assert data["headline"] == "ECB cuts rates for the fourth time this year"
    assert data["dateline"] == "December 29th 2024."
    assert data["datePublished"].startswith("2024-12-29T14:00")
    assert data["author"]["name"] == data["publisher"]["name"] == "Herald"
    assert len(data["isBasedOn"]) == 3
    assert "generated with ai" in data["creditText"].lower()


def test_citation_passages_and_outlets(client: TestClient, seeded: Seeded) -> None:
    doc = page(client, f"/stories/{seeded.rates}")
    first = doc.xpath("//span[@class='cite']")[0]
    link = first.xpath("./a")[0]
    pop = doc.xpath(f"//*[@id='{link.get('aria-describedby')}']")[0]
    assert pop.get("role") == "tooltip"
    assert "Passage 1: The European Central Bank" in pop.text_content()
    assert "Wire Service" in pop.text_content()
    outlets = texts(doc, "//ol[@class='coverage']/li/span[@class='outlet']")
    assert outlets == ["Wire Service", "Daily Ledger", "Markets Today"]
    assert doc.xpath("//ol[@class='coverage']/li[1]/@id") == ["src-1"]
    assert doc.xpath("//ol[@class='coverage']//details//q")


def test_sensitive_writeup_and_plain_label(client: TestClient, seeded: Seeded) -> None:
    doc = page(client, f"/stories/{seeded.chips}")
    assert doc.xpath("//aside[contains(@class, 'sensitive')]")
    assert texts(doc, "//section[@class='story-labels']//p") == [GENERATED, EXPERIMENTAL]


def test_link_only_story(client: TestClient, seeded: Seeded) -> None:
    doc = page(client, f"/stories/{seeded.comet}")
    assert texts(doc, "//h1") == ["New comet spotted"]
    assert "Working title" in texts(doc, "//p[@class='working-title']")[0]
    assert texts(doc, "//p[@class='explain']") == [
        "Only one publisher has covered this story so far."
    ]
    assert doc.xpath("//ol[@class='coverage']//a/@href") == ["https://news.example/comet"]
    assert not doc.xpath("//script[@type='application/ld+json']")
    assert not doc.xpath("//span[@class='sentence']")
    no_writeup = page(client, f"/stories/{seeded.festival}")
    explain = texts(no_writeup, "//p[@class='explain']")[0]
    assert "at least two independent publishers" in explain
    # a story two publishers cover that is not written yet does not claim it has only one
    # (the browser screenshots showed "2 outlets" above "...only when at least two...")
    assert views.links_reason(None, outlets=2) == views.NOT_WRITTEN_YET
    assert views.links_reason(None, outlets=1) == views.LINKS_ONLY_REASON


def test_source_html_is_escaped(client: TestClient, seeded: Seeded) -> None:
    for path in ("/", f"/stories/{seeded.festival}"):
        r = client.get(path)
        assert '<script>alert("x")</script>' not in r.text
        assert "&lt;script&gt;" in r.text
        doc = lxml.html.fromstring(r.text)
        scripts = doc.xpath("//script")
        assert all(s.get("src") or s.get("type") == "application/ld+json" for s in scripts)
    doc = page(client, f"/stories/{seeded.festival}")
    assert texts(doc, "//h1") == [" ".join(SCRIPT_TITLE.split())]


def test_unknown_story_gives_html_404(client: TestClient) -> None:
    r = client.get("/stories/999")
    assert r.status_code == 404
    assert r.headers["content-type"].startswith("text/html")
    assert "no story with id 999" in r.text
    assert "content-security-policy" in r.headers


def test_settings_show_source_health(client: TestClient, herald: Herald, seeded: Seeded) -> None:
    source = herald.store.list_sources()[0]
    now = herald.clock.now()
    herald.store.record_fetch_failure(source.id, now, "HTTP 503 Service Unavailable", now)
    doc = lxml.html.fromstring(client.get("/settings").text)
    rows = doc.xpath("//table[@class='sources']/tbody/tr")
    assert len(rows) == len(herald.store.list_sources())
    first = rows[0]
    assert first.get("class") == "source-failing"
    assert "HTTP 503 Service Unavailable" in first.text_content()


def test_a_story_covered_within_one_hour_has_one_narrow_bar_not_a_block() -> None:
    hour = datetime(2014, 3, 12, 19, tzinfo=UTC)
    one = views.timeline(views.timeline_points([hour, hour + timedelta(minutes=25)]))
    (bar,) = one.bars
    assert bar.width == views.MAX_BAR_WIDTH and bar.x == (one.width - bar.width) / 2
    assert one.first == one.last == hour
    # a long story's bars fill their slots as before
    times = [hour + timedelta(hours=h) for h in range(100)]
    many = views.timeline(views.timeline_points(times))
    assert len(many.bars) == 100 and many.bars[0].width == 4.8 and many.bars[0].x == 0.6
