"""The learning feed in real Chromium: onboarding, follow and mute from a card's reason, "show
less like this", reading signals from a story page, infinite scroll with JavaScript, and the
whole feed with JavaScript disabled.

The site is the in-process seed (``tests/test_web_seed.py``) plus 44 stories across topics and
outlets from four countries, served by uvicorn on loopback. Screenshots of the onboarding page
and of a personalized feed (desktop and phone) land in ``artifacts/screenshots/``.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright
from rich.console import Console

from herald.app import Herald, make_herald
from herald.clock import FixedClock
from herald.config import Settings
from herald.pipeline.run import start_server
from herald.rank.topics import TOPICS
from tests.test_browser import (
    CHROMIUM,
    CHROMIUM_ARGS,
    DESKTOP,
    PHONE,
    SCREENSHOTS,
    Site,
    Tab,
    card_ids,
    free_port,
    open_tab,
    require_chromium,
)
from tests.test_web_seed import NOW, seed
from tests.test_web_signals import add_story, signals_of

pytestmark = pytest.mark.slow

OUTLETS = [
    ("Wire Service", "United Kingdom"),
    ("Daily Ledger", "United Kingdom"),
    ("Le Quotidien", "France"),
    ("Morning Post", "United States"),
    ("Harbour Times", "Australia"),
    ("Tech Weekly", ""),
]


# the site's stories cycle through these topics (a fixed list: the page tests expect each
# story's topic to stay as written, whatever the taxonomy grows to)
SEEDED_TOPICS = TOPICS[:8]  # world ... entertainment, without crime (added later)


def _seed_site(h: Herald) -> None:
    seeded = seed(h)
    trends = [(seeded.rates, 4.0, True), (seeded.chips, 0.5, False)]
    for n in range(44):
        topic = SEEDED_TOPICS[n % len(SEEDED_TOPICS)]
        trending = n % 6 == 0  # "trending online" needs two publishers at least
        covered = [OUTLETS[(n + k) % len(OUTLETS)] for k in range(1 + n % 3 + trending)]
        sid = add_story(
            h,
            f"s{n}",
            f"{topic.title()} story number {n}",
            topic,
            [f"Person {n % 5}"],
            covered,
            hours=1 + n * 0.9,
        )
        if trending:
            trends.append((sid, 2.0 + n / 10, True))
    h.store.save_trends(trends)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    require_chromium()
    settings = Settings(data_dir=str(tmp_path_factory.mktemp("feed") / "data"))
    h = make_herald(settings.with_overrides(secret_key="browser-feed"), clock=FixedClock(NOW))
    try:
        _seed_site(h)
        port = free_port()
        web = start_server(h, "127.0.0.1", port, Console(quiet=True))
        try:
            yield Site(h, f"http://127.0.0.1:{port}")
        finally:
            web.stop()
    finally:
        h.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    require_chromium()
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture()
def tab(browser: Browser) -> Iterator[Tab]:
    t = open_tab(browser)
    yield t
    t.page.context.close()


@pytest.fixture()
def nojs_tab(browser: Browser) -> Iterator[Tab]:
    t = open_tab(browser, js=False)
    yield t
    t.page.context.close()


def reasons(page: Page) -> dict[str, str]:
    pairs = page.locator("ol.cards > li.card").evaluate_all(
        "l => l.map(e => [e.id, e.querySelector('.reason').textContent.trim()])"
    )
    return {str(k): str(v) for k, v in pairs}


def topics(page: Page) -> list[str]:
    return [t.strip() for t in page.locator(".card .kicker .topic").all_text_contents()]


def onboard(page: Page, base: str, topic: str, region: str) -> None:
    page.goto(f"{base}/welcome")
    page.get_by_label(topic, exact=True).check()
    page.get_by_label(region, exact=True).check()
    page.get_by_role("button", name="Save and show my feed").click()
    page.wait_for_url(f"{base}/")


def test_onboarding_gives_a_feed_of_the_readers_choices(site: Site, browser: Browser) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for name, size in (("desktop", DESKTOP), ("phone", PHONE)):
        t = open_tab(browser, phone=name == "phone")
        page = t.page
        try:
            page.goto(f"{site.url}/")
            assert page.locator("h1.page-title").inner_text() == "Top stories"
            page.locator(".invite a").click()
            page.wait_for_url(f"{site.url}/welcome")
            expect(page.locator("#outlet-filter")).to_be_visible()  # JS shows the filter
            regions = page.locator('input[name="region"]').evaluate_all(
                "l => l.map(e => e.parentElement.textContent.trim())"
            )
            assert regions == ["Australia", "France", "United Kingdom", "United States"]
            page.screenshot(path=SCREENSHOTS / f"welcome-{name}.png")
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= size["width"], "the onboarding page scrolls sideways"

            page.get_by_label("Science", exact=True).check()
            page.get_by_label("France", exact=True).check()
            page.locator("#outlet-filter").fill("harb")
            expect(page.get_by_label("Daily Ledger", exact=True)).to_be_hidden()
            page.get_by_label("Harbour Times", exact=True).check()
            page.get_by_role("button", name="Save and show my feed").click()
            page.wait_for_url(f"{site.url}/")
            assert page.locator("h1.page-title").inner_text() == "Your feed"
            assert page.locator(".invite").count() == 0
            first = list(reasons(page).values())
            assert first[0] == "You follow Science", first
            assert {"You follow France", "You follow Harbour Times"} <= set(first), first
            page.screenshot(path=SCREENSHOTS / f"feed-personal-{name}.png")
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= size["width"], "the feed scrolls sideways"
            page.goto(f"{site.url}/welcome")
            assert page.get_by_label("Science", exact=True).is_checked()
            assert t.errors == []
        finally:
            page.context.close()


def test_follow_and_mute_from_the_cards_reason(site: Site, tab: Tab) -> None:
    page = tab.page
    onboard(page, site.url, "Sports", "Australia")
    trending = page.locator("li.card").filter(has_text="Trending across").first
    card_id = str(trending.get_attribute("id"))
    topic = str(trending.locator(".kicker .topic").text_content()).strip()
    action = trending.locator(".why .reason-action button")
    assert action.inner_text() == f"Mute {topic}"
    action.click()
    page.wait_for_url(re.compile(rf"/#{card_id}$"))
    assert page.locator(f"#{card_id}").count() == 0
    assert topic not in topics(page)

    explore = page.locator("li.card").filter(has_text="Outside your usual topics").first
    explore_topic = str(explore.locator(".kicker .topic").text_content()).strip()
    explore_id = str(explore.get_attribute("id"))
    explore.locator(".why .reason-action button").click()
    page.wait_for_url(re.compile(rf"/#{explore_id}$"))
    followed = page.locator(f"#{explore_id}")
    assert followed.locator(".reason").inner_text() == f"You follow {explore_topic}"
    followed.locator(".why .reason-action button").click()  # "Unfollow ..."
    page.wait_for_url(re.compile(rf"/#{explore_id}$"))
    assert f"You follow {explore_topic}" not in reasons(page).values()
    assert tab.errors == []


def test_show_less_like_this_removes_the_card_without_a_reload(site: Site, tab: Tab) -> None:
    page = tab.page
    page.goto(f"{site.url}/")
    card = page.locator("ol.cards > li.card").nth(2)
    card_id = str(card.get_attribute("id"))
    before = card_ids(page)
    page.evaluate("window.notReloaded = true")
    card.get_by_role("button", name="Show less like this").click()
    expect(page.locator(f"#{card_id}")).to_have_count(0)
    status = page.locator("#feed-status")
    expect(status).to_have_text("Got it: you will see fewer stories like this one.")
    assert page.evaluate("window.notReloaded") is True
    assert page.url == f"{site.url}/"
    focused = page.evaluate("document.activeElement.closest('li.card').id")
    assert focused == before[3]  # focus moved to the next card
    page.reload()
    assert card_id not in card_ids(page)
    card = page.locator("ol.cards > li.card").first
    hidden_id = str(card.get_attribute("id"))
    card.get_by_role("button", name="Hide this story").click()
    expect(page.locator(f"#{hidden_id}")).to_have_count(0)
    expect(status).to_have_text("Story hidden: it will not be shown again.")
    assert tab.errors == []


def test_reading_a_story_sends_signals(site: Site, tab: Tab) -> None:
    page = tab.page
    onboard(page, site.url, "Health", "France")
    page.route(re.compile(r"https://[a-z]+\.example/.*"), lambda r: r.fulfill(body="outlet"))
    card = page.locator("li.card").filter(has_text="You follow Health").first
    story_id = int(str(card.get_attribute("id")).removeprefix("story-"))
    before = len(signals_of(site.herald))
    card.locator("h2 a").click()
    page.wait_for_url(re.compile(rf"/stories/{story_id}$"))
    page.wait_for_timeout(2500)
    with page.expect_navigation():
        page.locator("section.outlets .coverage a").first.click()  # a source: a citation
    page.go_back()
    page.goto(f"{site.url}/")  # leaving the story page sends the reading time
    deadline = time.monotonic() + 10
    kinds: list[str] = []
    while time.monotonic() < deadline:
        kinds = [k for sid, k, _ in signals_of(site.herald)[before:] if sid == story_id]
        if {"open", "citation", "read"} <= set(kinds):
            break
        time.sleep(0.2)
    assert {"open", "citation", "read"} <= set(kinds), kinds
    seconds = [v for sid, k, v in signals_of(site.herald)[before:] if k == "read"]
    assert all(2 <= s < 60 for s in seconds), seconds
    assert tab.errors == []


def test_infinite_scroll_appends_the_next_page(site: Site, tab: Tab) -> None:
    page = tab.page
    page.goto(f"{site.url}/")
    first = card_ids(page)
    assert len(first) == 20
    page.locator("nav.pager").scroll_into_view_if_needed()
    expect(page.locator("ol.cards > li.card")).to_have_count(40)
    ids = card_ids(page)
    assert ids[:20] == first and len(set(ids)) == 40
    page.goto(f"{site.url}/?page=2")
    assert card_ids(page)[:20] == ids[20:40]  # the same cards the plain page 2 shows
    page.goto(f"{site.url}/")
    cards = page.locator("ol.cards > li.card")
    deadline = time.monotonic() + 20
    while cards.count() < 48 and time.monotonic() < deadline:
        page.locator("nav.pager").scroll_into_view_if_needed()
        page.wait_for_timeout(200)
    expect(cards).to_have_count(48)  # every story, once
    assert page.locator("a[rel=next]").count() == 0
    assert tab.errors == []


def test_without_javascript_the_learning_feed_works(site: Site, nojs_tab: Tab) -> None:
    page = nojs_tab.page
    page.goto(f"{site.url}/")
    first = card_ids(page)
    victim = page.locator("ol.cards > li.card").nth(1)
    victim_id = str(victim.get_attribute("id"))
    victim.get_by_role("button", name="Show less like this").click()
    page.wait_for_url(re.compile(r"/\?notice=less#feed-status$"))
    assert victim_id not in card_ids(page)
    assert page.locator("#feed-status").inner_text() == (
        "Got it: you will see fewer stories like this one."
    )
    hide = page.locator("ol.cards > li.card").first
    hide_id = str(hide.get_attribute("id"))
    hide.get_by_role("button", name="Hide this story").click()
    page.wait_for_url(re.compile(r"/\?notice=hide#feed-status$"))
    assert hide_id not in card_ids(page)
    assert page.locator("h1.page-title").inner_text() == "Your feed"

    trending = page.locator("li.card").filter(has_text="Trending across").first
    topic = str(trending.locator(".kicker .topic").text_content()).strip()
    trending.locator(".why .reason-action button").click()  # "Mute <topic>"
    assert topic not in topics(page)

    page.goto(f"{site.url}/welcome")
    expect(page.locator(".outlet-filter")).to_be_hidden()  # the filter needs JS
    page.get_by_label("World", exact=True).check()
    page.get_by_role("button", name="Save and show my feed").click()
    page.wait_for_url(f"{site.url}/")
    assert "You follow World" in reasons(page).values()

    page.locator("a[rel=next]").click()
    page.wait_for_url(re.compile(r"/\?page=2$"))
    assert page.locator("ol.cards").get_attribute("start") == "21"
    assert not set(card_ids(page)) & set(first[:5])
    assert nojs_tab.errors == []
