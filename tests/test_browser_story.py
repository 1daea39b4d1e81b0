"""The story page's trust features in real Chromium: citations, report a problem, the editors'
page and the corrections page.

A real SQLite Herald seeded through the Store API (``tests/test_web_seed.py``) is served by
uvicorn on loopback and driven with Playwright and Debian's Chromium. The editor logs in
through the real log-in form. Screenshots land in ``artifacts/screenshots/``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from playwright.sync_api import Browser, Page, expect
from rich.console import Console

from herald.app import Herald, make_herald
from herald.clock import FixedClock
from herald.pipeline.run import start_server
from herald.store import newsroom
from herald.store.accounts import Accounts
from herald.types import ReportKind, WriteupStatus
from tests.test_browser import (
    DESKTOP,
    PHONE,
    SCREENSHOTS,
    Tab,
    browser,
    free_port,
    open_tab,
    require_chromium,
    tab,
)
from tests.test_web_seed import NOW, Seeded, _article, _source, _story, seed

__all__ = ["browser", "tab"]

pytestmark = pytest.mark.slow

EDITOR = "editor@example.org"
PASSWORD = "correct horse battery"
ECB = "European Central Bank"


@dataclass(frozen=True)
class Site:
    herald: Herald
    url: str
    ids: Seeded


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    require_chromium()
    from herald.config import Settings

    settings = Settings(
        data_dir=str(tmp_path_factory.mktemp("story") / "data"),
        secret_key="browser-test-secret",
        admin_emails=EDITOR,
    )
    h = make_herald(settings, clock=FixedClock(NOW))
    try:
        ids = seed(h)
        euro = _source(h, "Euro Desk")
        _article(h, euro, "ecb-pause", "ECB signals a pause", "The ECB may pause its cuts.", 1)
        _story(h, ["ecb-pause"], "ECB signals a pause in rate cuts", "business", [ECB], 0)
        reader = h.store.create_reader(NOW)
        Accounts(h.store).create(reader.id, EDITOR, PASSWORD, datetime.now(UTC))
        port = free_port()
        web = start_server(h, "127.0.0.1", port, Console(quiet=True))
        try:
            yield Site(h, f"http://127.0.0.1:{port}", ids)
        finally:
            web.stop()
    finally:
        h.close()


def log_in(page: Page, base: str) -> None:
    page.goto(f"{base}/admin")
    page.wait_for_url(re.compile(r"/login\?next=/admin$"))
    page.get_by_label("Email address").fill(EDITOR)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(re.compile(r"/admin$"))


def no_sideways_scroll(page: Page, width: int) -> None:
    scroll = page.evaluate("document.documentElement.scrollWidth")
    assert scroll <= width, f"{page.url} scrolls sideways: {scroll} > {width}"


def test_a_citation_reveals_its_passage_on_click_and_keyboard(site: Site, tab: Tab) -> None:
    page = tab.page
    page.goto(f"{site.url}/stories/{site.ids.chips}")
    cite = page.locator(".story-body .cite").first
    link, pop = cite.locator(".cite-link"), cite.locator(".cite-pop")
    assert link.get_attribute("aria-controls") == pop.get_attribute("id")
    expect(link).to_have_attribute("aria-expanded", "false")
    expect(pop).to_be_hidden()

    url = page.url
    link.click()  # a click (or tap) reveals the passage and stays on the page
    expect(pop).to_be_visible()
    expect(pop).to_contain_text("halves power use, the company said")
    expect(link).to_have_attribute("aria-expanded", "true")
    page.mouse.move(0, 0)
    assert page.url == url
    page.keyboard.press("Escape")  # closes, although the link keeps the focus
    expect(pop).to_be_hidden()
    expect(link).to_have_attribute("aria-expanded", "false")
    assert page.evaluate("document.activeElement.className") == "cite-link"

    page.locator("h1#headline").click()  # tapping elsewhere blurs
    expect(link).to_have_attribute("aria-expanded", "false")
    # Keyboard only: Tab onto the citation shows the passage, Escape hides it, Enter opens it.
    page.evaluate("document.querySelector('.dateline').setAttribute('tabindex', '-1')")
    page.locator(".dateline").focus()
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "cite-link"
    expect(pop).to_be_visible()
    expect(link).to_have_attribute("aria-expanded", "true")
    page.keyboard.press("Escape")
    expect(pop).to_be_hidden()
    page.keyboard.press("Enter")
    expect(pop).to_be_visible()
    expect(cite).to_have_class(re.compile(r"\bopen\b"))
    assert page.url == url
    page.keyboard.press("Shift+Tab")  # focus leaves; the opened passage stays until Escape
    expect(pop).to_be_visible()
    page.keyboard.press("Escape")
    expect(pop).to_be_hidden()
    assert tab.errors == []


def test_report_a_problem_with_and_without_javascript(site: Site, browser: Browser) -> None:
    for js in (True, False):
        t = open_tab(browser, js=js)
        page = t.page
        try:
            page.goto(f"{site.url}/stories/{site.ids.rates}")
            form = page.locator("details#report form")
            expect(form).to_be_hidden()
            page.get_by_text("Report a problem").click()
            expect(form).to_be_visible()
            page.get_by_label("Outdated").check()
            note = f"The rate changed again ({'js' if js else 'no js'})."
            page.get_by_label("Details (optional)").fill(note)
            page.get_by_role("button", name="Send report").click()
            page.wait_for_url(re.compile(rf"/stories/{site.ids.rates}\?reported=1#report$"))
            expect(page.locator(".report-thanks")).to_contain_text("Thank you")
            if js:
                no_sideways_scroll(page, DESKTOP["width"])
                page.locator("details#report").scroll_into_view_if_needed()
                SCREENSHOTS.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=SCREENSHOTS / "story-reported-desktop.png")
            assert t.errors == []
        finally:
            page.context.close()
        notes = [r.note for g in newsroom.open_reports(site.herald.store) for r in g.reports]
        assert note in notes


def test_an_editor_pulls_a_reported_article_and_it_is_listed_as_corrected(
    site: Site, tab: Tab
) -> None:
    store, story = site.herald.store, site.ids.chips
    newsroom.file_report(store, story, ReportKind.FACTUAL, "The chip does not halve power.", NOW)
    page = tab.page
    log_in(page, site.url)
    review = page.locator(f"#review-{story}")
    expect(review.locator("h2")).to_have_text("Chipmaker shows a processor that halves power use")
    expect(review.locator(".report-note")).to_have_text("The chip does not halve power.")
    expect(review.locator("input[name=remove]")).to_have_count(1)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / "admin-desktop.png", full_page=True)

    review.get_by_role("button", name="Pull").click()  # the note is required: nothing happens
    assert page.url.endswith("/admin")
    review.get_by_label("Note (required)").fill("The efficiency claim was not supported.")
    review.get_by_role("button", name="Pull").click()
    page.wait_for_url(re.compile(r"/admin\?done=pulled$"))
    expect(page.locator(".flash")).to_contain_text("pulled")
    expect(page.locator(f"#review-{story}")).to_have_count(0)
    writeup = store.get_writeup(story)
    assert writeup is not None and writeup.status is WriteupStatus.PULLED

    page.goto(f"{site.url}/")
    expect(page.locator(f"#story-{story}")).to_have_count(0)
    page.goto(f"{site.url}/stories/{story}")
    expect(page.locator(".story-body.withdrawn")).to_contain_text(
        "The efficiency claim was not supported."
    )
    expect(page.locator(".correction-notice")).to_contain_text("Withdrawn on")

    page.locator("footer").get_by_role("link", name="Corrections").click()
    page.wait_for_url(re.compile(r"/corrections$"))
    item = page.locator("li.correction").filter(has_text="Efficient processor")  # working title
    expect(item.locator(".correction-action")).to_have_text("Withdrawn")
    expect(item.locator(".correction-note")).to_have_text("The efficiency claim was not supported.")
    (correction,) = [c for c in newsroom.list_corrections(store) if c.story_id == story]
    expect(item.locator("time")).to_have_attribute("datetime", correction.created_at.isoformat())
    page.screenshot(path=SCREENSHOTS / "corrections-desktop.png", full_page=True)
    assert tab.errors == []


def test_an_editor_removes_a_sentence(site: Site, tab: Tab) -> None:
    store, story = site.herald.store, site.ids.rates
    newsroom.file_report(store, story, ReportKind.MISLEADING, "", NOW)
    page = tab.page
    log_in(page, site.url)
    review = page.locator(f"#review-{story}")
    removed = "Analysts at several banks expect further cuts early next year."
    review.locator("label").filter(has_text=removed).locator("input").check()
    review.get_by_label("Note (required)").fill("Removed an unsupported forecast.")
    review.get_by_role("button", name="Correct").click()
    page.wait_for_url(re.compile(r"/admin\?done=corrected$"))
    page.goto(f"{site.url}/stories/{story}")
    expect(page.locator(".story-body .sentence")).to_have_count(2)
    expect(page.locator(".story-body")).not_to_contain_text(removed)
    expect(page.locator(".correction-notice")).to_contain_text("Corrected on")
    expect(page.locator(".correction-notice")).to_contain_text("Removed an unsupported forecast.")
    assert tab.errors == []


@pytest.mark.parametrize("name", ["desktop", "phone"])
def test_story_page_screenshots(site: Site, browser: Browser, name: str) -> None:
    viewport = PHONE if name == "phone" else DESKTOP
    t = open_tab(browser, phone=name == "phone")
    page = t.page
    try:
        page.goto(f"{site.url}/stories/{site.ids.rates}")
        related = page.locator("section.related a")
        expect(related).to_have_text(["ECB signals a pause in rate cuts"])
        page.locator("details#report summary").click()
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=SCREENSHOTS / f"story-trust-{name}.png", full_page=True)
        no_sideways_scroll(page, viewport["width"])
        page.goto(f"{site.url}/corrections")
        no_sideways_scroll(page, viewport["width"])
        if name == "phone":
            page.screenshot(path=SCREENSHOTS / "corrections-phone.png", full_page=True)
        assert t.errors == []
    finally:
        page.context.close()
