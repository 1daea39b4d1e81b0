"""Report a problem, the editors' page and corrections, in process on a real SQLite Herald."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import lxml.html
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from herald.app import Herald, make_herald
from herald.clock import FixedClock
from herald.config import Settings
from herald.store import newsroom
from herald.store.accounts import Accounts
from herald.store.schema import login_attempts
from herald.types import ReportKind, ReportStatus, WriteupStatus
from herald.web.app import create_app
from tests.test_web_seed import NOW, Seeded, client, seeded

__all__ = ["client", "seeded"]

EDITOR = "editor@example.org"
READER = "reader@example.org"
PASSWORD = "correct horse battery"
FEEDS = ("/feed.rss", "/feed.atom", "/feed.json")


@pytest.fixture()
def herald(settings: Settings) -> Iterator[Herald]:
    h = make_herald(
        settings.with_overrides(secret_key="test-secret-key", admin_emails=f"{EDITOR}, x@y.z"),
        clock=FixedClock(NOW),
    )
    yield h
    h.close()


def page(c: TestClient, path: str, status: int = 200) -> lxml.html.HtmlElement:
    r = c.get(path)
    assert r.status_code == status, r.text
    return lxml.html.fromstring(r.text)


def texts(el: lxml.html.HtmlElement, xpath: str) -> list[str]:
    return [" ".join(e.text_content().split()) for e in el.xpath(xpath)]


def csrf_of(c: TestClient, path: str) -> str:
    token = page(c, path).xpath("//input[@name='csrf']/@value")
    assert token, f"no form on {path}"
    return str(token[0])


def report(c: TestClient, story: int, kind: str = "factual", note: str = "") -> int:
    token = csrf_of(c, f"/stories/{story}")
    r = c.post(
        f"/stories/{story}/report",
        data={"csrf": token, "kind": kind, "note": note},
        follow_redirects=False,
    )
    return r.status_code


def log_in(h: Herald, c: TestClient, email: str) -> None:
    reader = h.store.create_reader(NOW)
    Accounts(h.store).create(reader.id, email, PASSWORD, datetime.now(UTC))
    token = csrf_of(c, "/login")
    r = c.post(
        "/login",
        data={"csrf": token, "email": email, "password": PASSWORD, "next": "/admin"},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text


@pytest.fixture()
def editor(herald: Herald, client: TestClient) -> TestClient:
    log_in(herald, client, EDITOR)
    return client


def decide(c: TestClient, story: int, action: str, **fields: object) -> int:
    data: dict[str, object] = {"csrf": csrf_of(c, "/")} | fields
    r = c.post(f"/admin/stories/{story}/{action}", data=data, follow_redirects=False)
    return r.status_code


def open_report_ids(h: Herald, story: int) -> list[int]:
    return [r.id for g in newsroom.open_reports(h.store) if g.story.id == story for r in g.reports]


def feed_story_ids(c: TestClient) -> set[int]:
    doc = page(c, "/")
    ids = {int(i.split("-")[1]) for i in doc.xpath("//ol[@class='cards']/li/@id")}
    ids |= {int(i["story"]["id"]) for i in c.get("/api/v1/feed").json()["items"]}
    return ids


def feed_links(c: TestClient) -> str:
    return " ".join(c.get(path).text for path in FEEDS)


# --------------------------------------------------------------------------- reports


def test_story_page_offers_a_report_form_that_works_without_js(
    client: TestClient, seeded: Seeded
) -> None:
    doc = page(client, f"/stories/{seeded.rates}")
    details = doc.xpath("//details[@id='report']")[0]
    assert texts(details, "./summary") == ["Report a problem"]
    form = details.xpath(".//form")[0]
    assert form.get("method") == "post" and form.get("action") == f"/stories/{seeded.rates}/report"
    assert form.xpath(".//input[@name='csrf']/@value")
    assert form.xpath(".//input[@type='radio'][@name='kind']/@value") == [
        "factual",
        "misleading",
        "outdated",
        "other",
    ]
    assert all(r.getparent().tag == "label" for r in form.xpath(".//input[@type='radio']"))
    note = form.xpath(".//textarea[@name='note']")[0]
    assert note.get("maxlength") == "2000"
    assert form.xpath(f".//label[@for='{note.get('id')}']")


def test_a_report_is_recorded_with_csrf_and_thanked(
    herald: Herald, client: TestClient, seeded: Seeded
) -> None:
    token = csrf_of(client, f"/stories/{seeded.rates}")
    r = client.post(
        f"/stories/{seeded.rates}/report",
        data={"csrf": token, "kind": "outdated", "note": "The rate changed <again>."},
        follow_redirects=False,
    )
    assert r.status_code == 303
    assert r.headers["location"] == f"/stories/{seeded.rates}?reported=1#report"
    doc = page(client, r.headers["location"])
    assert doc.xpath("//details[@id='report']/@open")
    assert "Thank you" in texts(doc, "//p[@class='report-thanks']")[0]
    (group,) = newsroom.open_reports(herald.store)
    (filed,) = group.reports
    assert group.story.id == seeded.rates
    assert (filed.kind, filed.note, filed.status) == (
        ReportKind.OUTDATED,
        "The rate changed <again>.",
        ReportStatus.OPEN,
    )
    assert filed.reader_id is None  # no profile yet: none is created for a report


def test_a_report_without_csrf_or_with_bad_fields_is_refused(
    herald: Herald, client: TestClient, seeded: Seeded
) -> None:
    path = f"/stories/{seeded.rates}/report"
    assert client.post(path, data={"kind": "factual"}).status_code == 403
    assert client.post(path, data={"kind": "factual", "csrf": "forged"}).status_code == 403
    token = csrf_of(client, f"/stories/{seeded.rates}")
    assert client.post(path, data={"csrf": token, "kind": "rude"}).status_code == 400
    long = {"csrf": token, "kind": "other", "note": "x" * 2001}
    assert client.post(path, data=long).status_code == 400
    missing = client.post("/stories/9999/report", data={"csrf": token, "kind": "other"})
    assert missing.status_code == 404
    assert newsroom.open_reports(herald.store) == []


def test_reports_are_capped_per_reader_in_the_database(
    herald: Herald, client: TestClient, seeded: Seeded
) -> None:
    token = csrf_of(client, "/")
    client.post("/prefs", data={"csrf": token, "pref": "follow|topic|business"})  # a profile
    assert client.cookies.get("herald_reader")
    codes = [report(client, seeded.rates) for _ in range(6)]
    assert codes == [303] * 5 + [429]
    r = client.post(
        f"/stories/{seeded.rates}/report",
        data={"csrf": csrf_of(client, f"/stories/{seeded.rates}"), "kind": "other"},
    )
    assert r.status_code == 429 and r.headers["retry-after"] == "900"
    assert "many reports" in r.text
    with herald.store.tx() as conn:
        keys = set(conn.execute(select(login_attempts.c.key)).scalars())
    assert any(k.startswith("report:reader:") for k in keys)
    assert any(k.startswith("report:ip:") for k in keys) and "testclient" not in " ".join(keys)
    # A fresh app (another worker process) on the same database sees the same count.
    with TestClient(create_app(herald), cookies=dict(client.cookies.items())) as other:
        assert report(other, seeded.chips) == 429
    reports = [r for g in newsroom.open_reports(herald.store) for r in g.reports]
    assert len(reports) == 5 and all(r.reader_id is not None for r in reports)


def test_reports_are_capped_per_client_address(client: TestClient, seeded: Seeded) -> None:
    codes = [report(client, seeded.comet, "other") for _ in range(21)]
    assert codes == [303] * 20 + [429]


# --------------------------------------------------------------------------- the editors' page


def test_the_editors_page_needs_an_editor(
    herald: Herald, client: TestClient, seeded: Seeded
) -> None:
    r = client.get("/admin", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/login?next=/admin"
    token = csrf_of(client, "/")
    post = client.post(
        f"/admin/stories/{seeded.rates}/pull",
        data={"csrf": token, "note": "x"},
        follow_redirects=False,
    )
    assert post.status_code == 303 and post.headers["location"].startswith("/login")
    log_in(herald, client, READER)
    r = client.get("/admin")
    assert r.status_code == 403 and "editors" in r.text
    token = csrf_of(client, "/")
    post = client.post(f"/admin/stories/{seeded.rates}/pull", data={"csrf": token, "note": "x"})
    assert post.status_code == 403
    writeup = herald.store.get_writeup(seeded.rates)
    assert writeup is not None and writeup.status is WriteupStatus.PUBLISHED


def test_the_editors_page_lists_open_reports_with_the_article(
    herald: Herald, editor: TestClient, seeded: Seeded
) -> None:
    assert report(editor, seeded.rates, "factual", "<script>alert(1)</script> wrong rate") == 303
    assert report(editor, seeded.comet, "outdated") == 303
    r = editor.get("/admin")
    assert r.status_code == 200 and r.headers["cache-control"] == "no-store"
    assert "<script>alert(1)" not in r.text
    doc = lxml.html.fromstring(r.text)
    review = doc.xpath(f"//section[@id='review-{seeded.rates}']")[0]
    assert texts(review, ".//h2") == ["ECB cuts rates for the fourth time this year"]
    assert texts(review, ".//span[@class='report-kind']") == ["A factual error"]
    assert "<script>alert(1)</script> wrong rate" in texts(review, ".//blockquote")[0]
    form = review.xpath(".//form")[0]
    assert form.xpath(".//input[@name='csrf']/@value")
    assert form.xpath(".//input[@name='report']/@value") == [
        str(i) for i in open_report_ids(herald, seeded.rates)
    ]
    assert form.xpath(".//input[@name='remove']/@value") == ["0", "1", "2"]
    assert form.xpath(".//textarea[@name='note']/@required")
    assert texts(form, ".//button") == ["Pull", "Correct", "Dismiss"]
    comet = doc.xpath(f"//section[@id='review-{seeded.comet}']")[0]
    assert texts(comet, ".//button") == ["Pull", "Dismiss"]  # links only: nothing to correct


def test_pull_removes_the_article_from_the_feed_and_the_feeds(
    herald: Herald, editor: TestClient, seeded: Seeded
) -> None:
    assert seeded.rates in feed_story_ids(editor)
    assert f"/stories/{seeded.rates}" in feed_links(editor)
    assert report(editor, seeded.rates, "factual") == 303
    ids = open_report_ids(herald, seeded.rates)
    assert decide(editor, seeded.rates, "pull", note="", report=ids) == 400
    status = decide(editor, seeded.rates, "pull", note="The rate cut was misreported.", report=ids)
    assert status == 303
    assert open_report_ids(herald, seeded.rates) == []
    writeup = herald.store.get_writeup(seeded.rates)
    assert writeup is not None and writeup.status is WriteupStatus.PULLED
    assert seeded.rates not in feed_story_ids(editor)
    assert f"/stories/{seeded.rates}" not in feed_links(editor)
    assert "ECB cuts rates" not in feed_links(editor)
    doc = page(editor, f"/stories/{seeded.rates}")
    assert texts(doc, "//h1") == ["ECB rate cut"]  # the working title, not the article's
    withdrawn = texts(doc, "//div[contains(@class,'withdrawn')]/p[@class='explain']")[0]
    assert "withdrew" in withdrawn and "The rate cut was misreported." in withdrawn
    assert not doc.xpath("//span[@class='sentence']") and not doc.xpath(
        "//script[@type='application/ld+json']"
    )
    assert not doc.xpath("//ol[@class='coverage']//details")  # no cited passages left
    notice = texts(doc, "//aside[contains(@class,'correction-notice')]/p")[0]
    assert notice.startswith("Withdrawn on ") and notice.endswith("The rate cut was misreported.")
    api = editor.get(f"/api/v1/stories/{seeded.rates}").json()
    assert api["writeup"]["status"] == "pulled" and api["writeup"]["sentences"] == []
    assert api["writeup"]["headline"] == ""
    assert [c["action"] for c in api["corrections"]] == ["pulled"]
    assert decide(editor, seeded.rates, "pull", note="again", report=[]) == 409


def test_correct_removes_a_sentence_and_says_so(
    herald: Herald, editor: TestClient, seeded: Seeded
) -> None:
    assert report(editor, seeded.rates, "misleading") == 303
    ids = open_report_ids(herald, seeded.rates)
    assert decide(editor, seeded.rates, "correct", note="Nothing chosen", report=ids) == 409
    status = decide(
        editor,
        seeded.rates,
        "correct",
        note="Removed a claim about inflation.",
        report=ids,
        remove=[1],
    )
    assert status == 303
    assert "was corrected" in page(editor, "/admin?done=corrected").xpath(
        "string(//p[@class='flash'])"
    )
    doc = page(editor, f"/stories/{seeded.rates}")
    sentences = texts(doc, "//span[@class='sentence']")
    assert len(sentences) == 2
    assert not any("inflation was now close" in s for s in sentences)
    notice = doc.xpath("//aside[contains(@class,'correction-notice')]")[0]
    line = texts(notice, "./p")[0]
    assert line.startswith("Corrected on ") and line.endswith(": Removed a claim about inflation.")
    assert notice.xpath(".//a/@href") == ["/corrections"]
    # The citations left still point at their sources and passages.
    for link in doc.xpath("//a[@class='cite-link']"):
        assert doc.xpath(f"//*[@id='{link.get('aria-describedby')}']")
    assert seeded.rates in feed_story_ids(editor)
    assert open_report_ids(herald, seeded.rates) == []


def test_dismiss_keeps_the_article_and_the_corrections_page_empty(
    herald: Herald, editor: TestClient, seeded: Seeded
) -> None:
    assert report(editor, seeded.chips, "other", "I dislike chips") == 303
    ids = open_report_ids(herald, seeded.chips)
    assert decide(editor, seeded.chips, "dismiss", note="Not an error.", report=ids) == 303
    assert open_report_ids(herald, seeded.chips) == []
    doc = page(editor, "/admin")
    assert texts(doc, "//table[@class='decisions-table']//tr/td[2]") == ["Dismissed"]
    assert page(editor, "/corrections").xpath("//li[@class='correction']") == []
    assert not page(editor, f"/stories/{seeded.chips}").xpath(
        "//aside[contains(@class,'correction-notice')]"
    )


def test_editor_actions_need_csrf(herald: Herald, editor: TestClient, seeded: Seeded) -> None:
    r = editor.post(f"/admin/stories/{seeded.rates}/pull", data={"note": "x"})
    assert r.status_code == 403
    writeup = herald.store.get_writeup(seeded.rates)
    assert writeup is not None and writeup.status is WriteupStatus.PUBLISHED


# --------------------------------------------------------------------------- corrections


def test_corrections_page_and_api_list_every_correction_with_its_time(
    herald: Herald, editor: TestClient, seeded: Seeded
) -> None:
    assert page(editor, "/corrections").xpath("//p[@class='empty']")
    assert (
        decide(editor, seeded.chips, "correct", note="Fixed a figure.", remove=[0], rewrite="1")
        == 409
    )
    assert decide(editor, seeded.rates, "correct", note="Fixed a figure.", remove=[2]) == 303
    assert decide(editor, seeded.comet, "pull", note="A hoax.") == 303
    listed = newsroom.list_corrections(herald.store)
    doc = page(editor, "/corrections")
    items = doc.xpath("//li[@class='correction']")
    assert len(items) == 2
    first, second = items
    assert texts(first, ".//span[@class='correction-action']") == ["Withdrawn"]
    assert first.xpath(".//h2/a/@href") == [f"/stories/{seeded.comet}"]
    assert texts(first, ".//h2") == ["New comet spotted"]
    assert first.xpath(".//time/@datetime") == [listed[0].created_at.isoformat()]
    assert texts(first, ".//p[@class='correction-note']") == ["A hoax."]
    assert texts(second, ".//h2") == ["ECB cuts rates for the fourth time this year"]
    assert texts(second, ".//span[@class='correction-action']") == ["Corrected"]
    assert doc.xpath("//footer//a[@href='/corrections']/@aria-current") == ["page"]
    data = editor.get("/api/v1/corrections").json()
    assert data["total"] == 2
    assert [(i["story_id"], i["action"], i["note"]) for i in data["items"]] == [
        (seeded.comet, "pulled", "A hoax."),
        (seeded.rates, "corrected", "Fixed a figure."),
    ]
    assert data["items"][0]["created_at"] == listed[0].created_at.isoformat()
    assert editor.get("/api/v1/corrections?limit=0").json()["error"]["code"] == "invalid_request"
    spec = editor.get("/api/v1/openapi.json").json()
    assert "/api/v1/corrections" in spec["paths"]
    assert not any(p.startswith("/admin") for p in spec["paths"])


def test_every_page_links_to_the_corrections(client: TestClient, seeded: Seeded) -> None:
    for path in ("/", f"/stories/{seeded.rates}", "/settings", "/corrections"):
        assert page(client, path).xpath("//footer//a[@href='/corrections']")


# --------------------------------------------------------------------------- related stories


def test_related_stories_on_the_page_and_in_the_api(
    herald: Herald, client: TestClient, seeded: Seeded
) -> None:
    from tests.test_web_seed import _article, _source, _story

    src = _source(herald, "Euro Desk")
    _article(herald, src, "ecb-follow", "ECB signals a pause", "The ECB may pause.", 1)
    follow = _story(
        herald, ["ecb-follow"], "ECB signals a pause", "business", ["European Central Bank"], 0
    )
    doc = page(client, f"/stories/{seeded.rates}")
    related = doc.xpath("//section[@class='related']")[0]
    assert related.xpath(".//a/@href") == [f"/stories/{follow}"]
    assert texts(related, ".//a") == ["ECB signals a pause"]
    api = client.get(f"/api/v1/stories/{seeded.rates}").json()
    assert [r["id"] for r in api["related"]] == [follow]
    assert api["related"][0]["shared_entities"] == ["european central bank"]
    assert api["corrections"] == []
    # A pulled story is never offered as related.
    newsroom.pull_story(herald.store, follow, "Withdrawn.", NOW)
    assert not page(client, f"/stories/{seeded.rates}").xpath("//section[@class='related']")


def test_citations_carry_what_the_script_needs(client: TestClient, seeded: Seeded) -> None:
    doc = page(client, f"/stories/{seeded.rates}")
    for link in doc.xpath("//a[@class='cite-link']"):
        pop = doc.xpath(f"//*[@id='{link.get('aria-describedby')}']")[0]
        assert pop.get("class") == "cite-pop" and link.getparent() is pop.getparent()
        assert link.getparent().get("class") == "cite"
