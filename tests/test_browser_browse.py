"""Search and browsing in a real browser: the header search box, entity follows, outlet pages.

Runs on the site of ``tests/test_browser.py`` (a slice of the demo snapshot through every
stage, served by uvicorn) with headless Chromium. Screenshots of a search and an outlet page
(desktop and phone) land in ``artifacts/screenshots/``.
"""

from __future__ import annotations

import re
from collections import Counter
from urllib.parse import quote

import pytest
from playwright.sync_api import Browser, expect

from herald.store.browse import outlet_sources
from tests.test_browser import (
    DESKTOP,
    PHONE,
    SCREENSHOTS,
    Site,
    Tab,
    browser,
    nojs_tab,
    open_tab,
    site,
    tab,
)

__all__ = ["browser", "nojs_tab", "site", "tab"]

pytestmark = pytest.mark.slow

WORD = re.compile(r"[A-Za-z]{6,}")


def busiest_outlet(s: Site) -> str:
    """The outlet with the most articles in the site's stories."""
    stories = s.herald.store.list_stories(limit=100)
    outlets = s.herald.store.story_outlets([st.id for st in stories])
    counts = Counter(o for names in outlets.values() for o in names)
    return counts.most_common(1)[0][0]


def named_entity(s: Site) -> str:
    """An entity the most stories name."""
    counts = Counter(e for st in s.herald.store.list_stories(limit=100) for e in st.entities)
    assert counts, "the snapshot's stories name no entities"
    return counts.most_common(1)[0][0]


def test_search_from_the_header_box(site: Site, tab: Tab) -> None:
    page = tab.page
    page.goto(f"{site.url}/")
    headline = page.locator("ol.cards > li.card h2 a").first.inner_text()
    word = max(WORD.findall(headline), key=len)
    box = page.get_by_role("search").get_by_label("Search stories and articles")
    box.fill(word)
    box.press("Enter")
    page.wait_for_url(re.compile(r"/search\?q="))
    assert page.locator("h1.page-title").inner_text() == "Search"
    assert page.locator("#search-q").input_value() == word
    results = page.locator("ol.story-list > li")
    assert results.count() >= 1
    found = page.locator("ol.story-list h2 a").all_inner_texts()
    assert any(word.lower() in h.lower() for h in found) or headline in found, found

    page.get_by_role("link", name=re.compile(r"^Source articles")).click()
    page.wait_for_url(re.compile(r"kind=articles"))
    marks = page.locator("ol.article-list mark").all_inner_texts()
    assert marks and all(m.lower() == word.lower() for m in marks), marks
    assert tab.errors == []


def test_entity_page_follow_button(site: Site, tab: Tab) -> None:
    page = tab.page
    entity = named_entity(site)
    page.goto(f"{site.url}/entities/{quote(entity, safe='')}")
    assert page.locator("h1.page-title").inner_text() == entity
    assert page.locator("ol.story-list > li").count() >= 1
    page.get_by_role("button", name=f"Follow {entity}", exact=True).click()
    page.wait_for_url(re.compile(r"/entities/"))
    pressed = page.locator('button[aria-pressed="true"]')
    expect(pressed).to_have_text(f"Following {entity}")
    page.goto(f"{site.url}/settings")
    mine = page.locator("section[aria-labelledby=mine-h]")
    assert entity in mine.locator(".pref-name").all_inner_texts()
    page.goto(f"{site.url}/")
    assert f"You follow {entity}" in page.locator(".card .reason").all_inner_texts()
    assert tab.errors == []


def test_search_pages_without_javascript(site: Site, nojs_tab: Tab) -> None:
    page = nojs_tab.page
    page.goto(f"{site.url}/search?q=the&kind=articles")
    assert page.locator("ol.article-list > li").count() == 20
    page.locator("a[rel=next]").click()
    page.wait_for_url(re.compile(r"page=2$"))
    assert page.locator("ol.article-list").get_attribute("start") == "21"
    assert page.locator(".pager span").inner_text() == "Page 2"
    assert nojs_tab.errors == []


@pytest.mark.parametrize("name", ["desktop", "phone"])
def test_search_and_outlet_screenshots(site: Site, browser: Browser, name: str) -> None:
    viewport = PHONE if name == "phone" else DESKTOP
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    t = open_tab(browser, phone=name == "phone")
    page = t.page
    try:
        query = quote(named_entity(site))
        page.goto(f"{site.url}/search?q={query}")
        assert page.locator("ol.story-list > li").count() >= 1
        page.screenshot(path=SCREENSHOTS / f"search-{name}.png", full_page=True)
        page.goto(f"{site.url}/search?q={query}&kind=articles")
        assert page.locator("ol.article-list mark").count() >= 1
        page.screenshot(path=SCREENSHOTS / f"search-articles-{name}.png", full_page=True)
        outlet = busiest_outlet(site)
        assert outlet_sources(site.herald.store, outlet)
        page.goto(f"{site.url}/outlets/{quote(outlet, safe='')}")
        assert page.locator("h1.page-title").inner_text() == outlet
        assert page.locator("svg.chart rect.bar").count() == 30
        assert page.locator("ol.story-list > li").count() >= 1
        page.screenshot(path=SCREENSHOTS / f"outlet-{name}.png", full_page=True)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= viewport["width"], "the outlet page scrolls sideways"
        assert t.errors == []
    finally:
        page.context.close()
