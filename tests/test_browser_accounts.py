"""Accounts in real Chromium: follow anonymously, sign up, log out and in, export, delete.

The web app is served by uvicorn on loopback from a real SQLite file seeded like the
in-process web tests (no pipeline run needed). Browser fixtures and helpers come from
tests/test_browser.py. Screenshots of the sign-up page (desktop and phone) land in
``artifacts/screenshots/``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect
from rich.console import Console

from herald.app import make_herald
from herald.clock import FixedClock
from herald.config import Settings
from herald.pipeline.run import start_server
from tests.test_browser import (
    DESKTOP,
    PHONE,
    SCREENSHOTS,
    Site,
    Tab,
    browser,
    free_port,
    open_tab,
    require_chromium,
    tab,
)
from tests.test_web_seed import NOW, seed

__all__ = ["browser", "tab"]

pytestmark = pytest.mark.slow

EMAIL = "reader@example.org"
PASSWORD = "a long and winding passphrase"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    require_chromium()
    data = tmp_path_factory.mktemp("browser-accounts") / "data"
    h = make_herald(Settings(data_dir=str(data)), clock=FixedClock(NOW))
    try:
        seed(h)
        port = free_port()
        web = start_server(h, "127.0.0.1", port, Console(quiet=True))
        try:
            yield Site(h, f"http://127.0.0.1:{port}")
        finally:
            web.stop()
    finally:
        h.close()


# A refused form answers 400 with the form and its errors; Chromium logs that status.
REFUSED_FORM = re.compile(r"status of 400 \(Bad Request\) \(http://[^/]+/(login|signup)\)$")


def unexpected(errors: list[str]) -> list[str]:
    return [e for e in errors if not REFUSED_FORM.search(e)]


def nav_link(page: Page) -> str:
    return page.locator("nav[aria-label=Main] li:last-child a").inner_text()


def followed_topics(page: Page, base: str) -> list[str]:
    page.goto(f"{base}/settings")
    following = page.locator("section[aria-labelledby=topics-h] button[aria-pressed=true]")
    return [t.strip() for t in following.all_inner_texts()]


def fill_and_submit(page: Page, form: str, email: str | None, password: str) -> None:
    scope = page.locator(f"form[action='{form}']")
    if email is not None:
        scope.get_by_label("Email address").fill(email)
    scope.get_by_label(re.compile("password", re.I)).fill(password)
    scope.get_by_role("button").click()


def test_follow_sign_up_log_out_log_in_export_and_delete(site: Site, tab: Tab) -> None:
    page, base = tab.page, site.url
    page.goto(f"{base}/settings")
    page.locator("section[aria-labelledby=topics-h] button", has_text="Follow Science").click()
    page.wait_for_url(re.compile(r"/settings#topics-h$"))
    assert followed_topics(page, base) == ["Following Science"]
    assert nav_link(page) == "Sign in"

    page.locator("nav[aria-label=Main]").get_by_role("link", name="Sign in").click()
    page.wait_for_url(re.compile(r"/login$"))
    page.get_by_role("link", name="Create an account").click()
    page.wait_for_url(re.compile(r"/signup$"))
    expect(page.locator("main")).to_contain_text("The choices you made on this browser are kept.")
    fill_and_submit(page, "/signup", EMAIL, PASSWORD)
    page.wait_for_url(re.compile(r"/account$"))
    expect(page.locator(".account-facts dd").first).to_have_text(EMAIL)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / "account-desktop.png", full_page=True)
    assert nav_link(page) == "Account"
    assert followed_topics(page, base) == ["Following Science"]

    page.goto(f"{base}/account")
    page.get_by_role("button", name="Log out").click()
    page.wait_for_url(f"{base}/")
    assert nav_link(page) == "Sign in"
    assert followed_topics(page, base) == []
    cookies = {c["name"] for c in page.context.cookies()}
    assert "herald_session" not in cookies

    page.goto(f"{base}/login")
    fill_and_submit(page, "/login", EMAIL, "not the passphrase")
    expect(page.get_by_role("alert")).to_have_text("Wrong email address or password.")
    expect(page.get_by_label("Email address")).to_have_value(EMAIL)
    fill_and_submit(page, "/login", EMAIL, PASSWORD)
    page.wait_for_url(f"{base}/")
    assert nav_link(page) == "Account"
    assert followed_topics(page, base) == ["Following Science"]
    session = next(c for c in page.context.cookies() if c["name"] == "herald_session")
    assert session["httpOnly"] and session["sameSite"] == "Lax"

    page.goto(f"{base}/account")
    with page.expect_download() as info:
        page.get_by_role("link", name="Download my data (JSON)").click()
    download = info.value
    assert re.fullmatch(r"herald-export-\d{4}-\d\d-\d\d\.json", download.suggested_filename)
    data = json.loads(Path(download.path()).read_text())
    assert data["account"]["email"] == EMAIL
    assert [(p["kind"], p["value"]) for p in data["preferences"]] == [("topic", "science")]

    fill_and_submit(page, "/account/delete", None, PASSWORD)
    page.wait_for_url(re.compile(r"/account\?done=deleted$"))
    expect(page.get_by_role("status")).to_contain_text("are deleted")
    assert nav_link(page) == "Sign in"
    page.goto(f"{base}/login")
    fill_and_submit(page, "/login", EMAIL, PASSWORD)
    expect(page.get_by_role("alert")).to_have_text("Wrong email address or password.")
    assert unexpected(tab.errors) == []


@pytest.mark.parametrize("name", ["desktop", "phone"])
def test_sign_up_page_screenshot(site: Site, browser: Browser, name: str) -> None:
    viewport = PHONE if name == "phone" else DESKTOP
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    t = open_tab(browser, phone=name == "phone")
    page = t.page
    try:
        page.goto(f"{site.url}/signup")
        page.screenshot(path=SCREENSHOTS / f"signup-{name}.png", full_page=True)
        # A refused form shows its errors next to the fields.
        page.get_by_label("Email address").fill("not an address")
        page.get_by_label("Password").fill("short")
        page.locator("form[action='/signup']").evaluate("f => f.noValidate = true")
        page.get_by_role("button", name="Create account").click()
        error = page.locator("#signup-password-error")
        expect(error).to_have_text("Use a password of at least 8 characters.")
        page.get_by_label("Password").focus()
        page.screenshot(path=SCREENSHOTS / f"signup-errors-{name}.png", full_page=True)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= viewport["width"], "the sign-up page scrolls sideways"
        assert unexpected(t.errors) == []
    finally:
        page.context.close()
