"""Real-browser tests: a slice of the demo snapshot through every stage, read in Chromium.

The web app is served by uvicorn (``start_server``) on loopback from a real SQLite file and
driven with Playwright's sync API and Debian's Chromium (``HERALD_CHROMIUM`` overrides the
path). Without Chromium the tests skip on a workstation and FAIL in CI (``CI=true``).
Screenshots of the feed, a story and the settings page (desktop and phone) land in
``artifacts/screenshots/`` at the repository root.
"""

from __future__ import annotations

import os
import re
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Locator,
    Page,
    expect,
    sync_playwright,
)
from rich.console import Console

from herald.app import Herald, make_herald
from herald.config import Settings
from herald.demo.feedserver import FeedServer
from herald.demo.snapshot import snapshot_end
from herald.pipeline.run import run_round, start_server
from herald.sources import import_opml
from tests.test_pipeline_e2e import DATELINE, snapshot_slice

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parent.parent
SCREENSHOTS = REPO / "artifacts" / "screenshots"
IN_CI = os.environ.get("CI", "").lower() == "true"
CHROMIUM = os.environ.get("HERALD_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
TIMEOUT_MS = 15_000

EXPERIMENTAL = "Generative AI is experimental."
CUSTOMIZED = "Your feed is customized."
WRITTEN_CARD = "li.card:not(:has(.working-title))"


@dataclass(frozen=True)
class Site:
    herald: Herald
    url: str


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def require_chromium() -> None:
    """Skip without Chromium on a workstation; fail in CI."""
    if not os.access(CHROMIUM, os.X_OK):
        reason = f"Chromium not found at {CHROMIUM} (set HERALD_CHROMIUM)"
        if IN_CI:
            pytest.fail(f"Chromium is required in CI: {reason}")
        pytest.skip(reason)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """The snapshot slice run once through every stage, served over loopback HTTP."""
    require_chromium()  # before the pipeline's seconds of work
    articles = snapshot_slice()
    settings = Settings(
        data_dir=str(tmp_path_factory.mktemp("browser") / "data"),
        allow_networks="127.0.0.1/32",
        now=snapshot_end(articles).isoformat(),
        per_host_concurrency=8,
        fetch_retries=0,
    )
    h = make_herald(settings)
    try:
        with FeedServer(articles) as feeds:
            import_opml(h, f"{feeds.base_url}/opml")
            report = run_round(h)
        assert report.errors == {}
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


@dataclass
class Tab:
    """A page of a fresh browser context, with the console errors it reported."""

    page: Page
    errors: list[str]


def open_tab(browser: Browser, *, js: bool = True, phone: bool = False) -> Tab:
    size = PHONE if phone else DESKTOP
    context: BrowserContext = browser.new_context(
        java_script_enabled=js,
        viewport={"width": size["width"], "height": size["height"]},
        is_mobile=phone,
        has_touch=phone,
        device_scale_factor=1,
        color_scheme="light",
    )
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    errors: list[str] = []

    def on_console(m: ConsoleMessage) -> None:
        # Herald ships no favicon; Chromium's automatic /favicon.ico request 404s.
        if m.type == "error" and not m.location.get("url", "").endswith("/favicon.ico"):
            errors.append(f"{m.text} ({m.location.get('url')})")

    page.on("console", on_console)
    page.on("pageerror", lambda e: errors.append(str(e)))
    return Tab(page, errors)


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


def card_ids(page: Page) -> list[str]:
    return [
        str(i) for i in page.locator("ol.cards > li.card").evaluate_all("l => l.map(e => e.id)")
    ]


def written_story_path(page: Page, base: str) -> str:
    """The story link of the first card with a written article (no working-title marker)."""
    page.goto(f"{base}/")
    href = page.locator(f"{WRITTEN_CARD} h2 a").first.get_attribute("href")
    assert href and href.startswith("/stories/"), href
    return href


CITATIONS_JS = """() => [...document.querySelectorAll('.story-body .cite')].map(c => {
    const n = c.querySelector('.cite-link').textContent.trim().slice(1, -1);  // "[2]"
    const passage = c.querySelector('.cite-pop q').textContent.trim();
    const notes = [...document.querySelectorAll('#src-' + n + ' .passages q')];
    return [Number(n), passage, notes.some(q => q.textContent.trim() === passage)];
})"""


@dataclass(frozen=True)
class Citation:
    index: int  # among the page's .cite elements
    number: int
    passage: str
    footnoted: bool  # the passage is listed under source [number] in the outlets list


def citations(page: Page) -> list[Citation]:
    rows = page.evaluate(CITATIONS_JS)
    return [Citation(i, int(n), str(p), bool(f)) for i, (n, p, f) in enumerate(rows)]


def footnoted_cite(page: Page) -> tuple[Locator, Citation]:
    """The first citation whose popover passage is also listed under its source."""
    found = next((c for c in citations(page) if c.footnoted), None)
    assert found is not None, citations(page)
    return page.locator(".story-body .cite").nth(found.index), found


def test_feed_shows_labelled_cards_and_written_articles(site: Site, tab: Tab) -> None:
    page = tab.page
    response = page.goto(f"{site.url}/")
    assert response is not None and response.status == 200
    assert page.locator("h1.page-title").inner_text() == "Top stories"
    cards = page.locator("ol.cards > li.card")
    assert cards.count() == 20  # a full first page: 30 stories in the slice
    written = page.locator(WRITTEN_CARD)
    assert written.count() >= 1
    for i in range(written.count()):
        labels = written.nth(i).locator(".labels .label").all_inner_texts()
        assert labels[-1] == EXPERIMENTAL, labels
        assert "generated with AI" in labels[0], labels
        assert written.nth(i).locator(".summary").inner_text().strip()
    links_only = page.locator("li.card:has(.working-title) .labels")
    assert links_only.count() >= 1
    assert EXPERIMENTAL not in links_only.first.inner_text()
    assert tab.errors == []


def test_story_reads_in_order_and_citations_reveal_their_passage(site: Site, tab: Tab) -> None:
    page = tab.page
    page.goto(f"{site.url}/")
    card = page.locator(WRITTEN_CARD).first
    card_headline = card.locator("h2 a").inner_text()
    card.locator("h2 a").click()
    page.wait_for_url(re.compile(r"/stories/\d+$"))

    assert page.locator("h1#headline").inner_text() == card_headline
    body = page.locator("article.story .story-body")
    first_line = body.locator(":scope > :first-child")
    assert first_line.evaluate("e => e.className") == "dateline"
    assert DATELINE.match(first_line.inner_text().strip()), first_line.inner_text()

    # Document order and on-screen order: headline, dateline, sentences, outlets, labels.
    blocks = [
        "h1#headline",
        ".story-body .dateline",
        ".story-body .sentence",
        "section.outlets",
        "section.story-labels",
    ]
    tops = [page.locator(sel).first.bounding_box() for sel in blocks]
    assert all(b is not None for b in tops)
    ys = [b["y"] for b in tops if b is not None]
    assert ys == sorted(ys), dict(zip(blocks, ys, strict=True))
    order = page.evaluate(
        """sels => { const all = [...document.querySelectorAll(sels.join(','))];
                     return all.map(e => sels.findIndex(s => e.matches(s))); }""",
        blocks,
    )
    assert order == sorted(order), order

    sentences = body.locator(".sentence")
    assert sentences.count() >= 2
    for i in range(sentences.count()):
        assert sentences.nth(i).locator(".cite").count() >= 1, sentences.nth(i).inner_text()
    outlets = page.locator("section.outlets .coverage .outlet").all_inner_texts()
    assert len(set(outlets)) >= 2, outlets
    labels = page.locator("section.story-labels .label").all_inner_texts()
    assert labels[-1] == EXPERIMENTAL and "generated with AI" in labels[0], labels

    cite, found = footnoted_cite(page)
    link, pop = cite.locator(".cite-link"), cite.locator(".cite-pop")
    passage = found.passage
    expect(pop).to_be_hidden()
    link.hover()
    expect(pop).to_be_visible()
    assert passage in pop.inner_text()
    assert link.get_attribute("aria-describedby") == pop.get_attribute("id")
    page.locator("h1#headline").hover()
    expect(pop).to_be_hidden()

    link.focus()
    expect(pop).to_be_visible()
    page.evaluate("document.activeElement.blur()")
    expect(pop).to_be_hidden()

    url = page.url
    link.click()  # the first click shows the passage and stays on the page
    page.locator("h1#headline").hover()
    page.evaluate("document.activeElement.blur()")
    assert page.url == url
    expect(cite).to_have_class(re.compile(r"\bopen\b"))
    expect(pop).to_be_visible()
    box = pop.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= DESKTOP["width"]
    page.keyboard.press("Escape")
    expect(pop).to_be_hidden()
    assert tab.errors == []


def test_every_citation_shows_a_passage_listed_under_its_source(site: Site, tab: Tab) -> None:
    page = tab.page
    page.goto(f"{site.url}/")
    paths = page.locator(f"{WRITTEN_CARD} h2 a").evaluate_all(
        "l => l.map(a => a.getAttribute('href'))"
    )
    assert paths
    unsupported = []
    for path in paths:
        page.goto(f"{site.url}{path}")
        found = citations(page)
        assert found, path
        unsupported += [(path, c.number, c.passage) for c in found if not c.footnoted]
    assert unsupported == [], f"{len(unsupported)} citations: {unsupported[:3]}"


def test_follow_then_mute_a_topic_from_a_card(site: Site, tab: Tab) -> None:
    page = tab.page
    page.goto(f"{site.url}/")
    follow = page.locator('ol.cards button[name="pref"][value^="follow|topic|"]')
    values = [str(v) for v in follow.evaluate_all("l => l.map(b => b.value)")]
    # the topic with the most cards on the first page
    value = max(values, key=lambda v: (values.count(v), -values.index(v)))
    topic = value.split("|")[2]
    selector = f'button[value="{value}"]'
    card = page.locator("ol.cards > li.card").filter(has=page.locator(selector)).first
    button = card.locator(selector)
    card_id = str(card.get_attribute("id"))
    topic_name = card.locator(".kicker .topic").text_content()  # not the CSS upper case
    assert values.count(value) >= 2, values

    button.click()
    page.wait_for_url(re.compile(rf"/#{card_id}$"))
    assert page.locator("h1.page-title").inner_text() == "Your feed"
    followed = page.locator(f"#{card_id}")
    assert followed.locator(".reason").inner_text() == f"You follow {topic_name}"
    assert CUSTOMIZED in followed.locator(".labels").inner_text()
    pressed = followed.locator('button[aria-pressed="true"]')
    assert pressed.inner_text() == f"Following {topic_name}"
    assert page.locator(".card .labels").filter(has_not_text=CUSTOMIZED).count() == 0

    followed.locator(f'button[value="mute|topic|{topic}"]').click()
    page.wait_for_url(re.compile(rf"/#{card_id}$"))
    assert page.locator(f"#{card_id}").count() == 0
    seen: list[str] = []
    for n in (1, 2):
        page.goto(f"{site.url}/?page={n}")
        assert page.locator("ol.cards > li.card").count() >= 1
        seen += page.locator(".card .kicker .topic").all_text_contents()
    assert topic_name not in seen, seen

    page.goto(f"{site.url}/settings")
    mine = page.locator("section[aria-labelledby=mine-h]")
    assert mine.locator("h3").all_inner_texts() == ["Muted"]
    assert mine.locator(".pref-name").all_inner_texts() == [topic_name]
    assert tab.errors == []


def test_without_javascript_feed_pages_and_footnotes_work(site: Site, nojs_tab: Tab) -> None:
    page = nojs_tab.page
    page.goto(f"{site.url}/")
    first = card_ids(page)
    assert len(first) == 20
    assert page.locator("a[rel=prev]").count() == 0
    page.locator("a[rel=next]").click()
    page.wait_for_url(re.compile(r"/\?page=2$"))
    assert page.locator(".pager span").inner_text() == "Page 2"
    assert page.locator("ol.cards").get_attribute("start") == "21"
    second = card_ids(page)
    assert len(second) == 10 and not set(first) & set(second)
    assert page.locator("a[rel=next]").count() == 0
    page.locator("a[rel=prev]").click()
    page.wait_for_url(re.compile(r"/\?page=1$"))
    assert card_ids(page) == first

    page.goto(site.url + written_story_path(page, site.url))
    cite, found = footnoted_cite(page)
    # CSS alone reveals the passage on hover, and it is listed under its source.
    cite.locator(".cite-link").hover()
    expect(cite.locator(".cite-pop")).to_be_visible()
    source = page.locator(f"#src-{found.number}")
    assert source.locator(".src-num").inner_text() == f"[{found.number}]"
    footnote = source.locator(".passages q").filter(has_text=found.passage).first
    expect(footnote).to_be_hidden()
    source.locator("details > summary").click()
    expect(footnote).to_be_visible()
    assert nojs_tab.errors == []


def test_skip_link_is_the_first_focusable_element(site: Site, tab: Tab) -> None:
    page = tab.page
    page.goto(f"{site.url}/")
    skip = page.locator("a.skip-link")
    box = skip.bounding_box()
    assert box is not None and box["y"] + box["height"] <= 0  # off-screen until focused
    page.keyboard.press("Tab")
    focused = page.evaluate("[document.activeElement.className, document.activeElement.hash]")
    assert focused == ["skip-link", "#main"]
    box = skip.bounding_box()
    assert box is not None and box["y"] >= 0
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    page.keyboard.press("Tab")
    inside = page.evaluate("document.querySelector('main').contains(document.activeElement)")
    assert inside


@pytest.mark.parametrize("name", ["desktop", "phone"])
def test_screenshots(site: Site, browser: Browser, name: str) -> None:
    viewport = PHONE if name == "phone" else DESKTOP
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    t = open_tab(browser, phone=name == "phone")
    page = t.page
    try:
        page.goto(f"{site.url}/")
        page.screenshot(path=SCREENSHOTS / f"feed-{name}.png")
        page.goto(site.url + written_story_path(page, site.url))
        page.screenshot(path=SCREENSHOTS / f"story-{name}.png", full_page=True)
        cite = page.locator(".story-body .cite").nth(1)
        cite.scroll_into_view_if_needed()
        cite.locator(".cite-link").click()
        pop = cite.locator(".cite-pop")
        expect(pop).to_be_visible()
        box = pop.bounding_box()
        assert box is not None
        assert box["x"] >= 0 and box["x"] + box["width"] <= viewport["width"], box
        page.screenshot(path=SCREENSHOTS / f"story-citation-{name}.png")
        page.goto(f"{site.url}/settings")
        page.screenshot(path=SCREENSHOTS / f"settings-{name}.png", full_page=True)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= viewport["width"], "the settings page scrolls sideways"
        assert t.errors == []
    finally:
        page.context.close()
