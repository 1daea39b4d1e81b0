"""Follow and mute: CSRF, the signed reader cookie, feed changes, feed address rotation."""

from __future__ import annotations

import re

import lxml.html
from fastapi.testclient import TestClient

from herald.app import Herald
from herald.web.app import create_app
from herald.web.security import READER_COOKIE, sign, unsign
from tests.test_web_seed import Seeded, client, herald, seeded

__all__ = ["client", "herald", "seeded"]

CUSTOMIZED = "This article has been generated with AI. Your feed is customized."


def csrf(c: TestClient, path: str = "/settings") -> str:
    match = re.search(r'name="csrf" value="([0-9a-f]+)"', c.get(path).text)
    assert match
    return match.group(1)


def post_pref(c: TestClient, pref: str, next_url: str = "/") -> None:
    r = c.post(
        "/prefs", data={"csrf": csrf(c), "pref": pref, "next": next_url}, follow_redirects=False
    )
    assert r.status_code == 303, r.text
    assert r.headers["location"] == next_url


def feed_ids(c: TestClient) -> list[str]:
    doc = lxml.html.fromstring(c.get("/").text)
    return [str(i) for i in doc.xpath('//ol[@class="cards"]/li/@id')]


def test_follow_creates_signed_cookie_and_lifts_story(client: TestClient, seeded: Seeded) -> None:
    before = feed_ids(client)
    assert before.index(f"story-{seeded.comet}") > before.index(f"story-{seeded.chips}")
    token = csrf(client)
    r = client.post(
        "/prefs",
        data={"csrf": token, "pref": "follow|topic|science", "next": "/"},
        follow_redirects=False,
    )
    assert r.status_code == 303
    cookie = next(h for h in r.headers.get_list("set-cookie") if h.startswith(READER_COOKIE))
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Secure" not in cookie
    after = feed_ids(client)
    assert after.index(f"story-{seeded.comet}") < after.index(f"story-{seeded.chips}")
    doc = lxml.html.fromstring(client.get("/").text)
    assert doc.xpath("//h1/text()") == ["Your feed"]
    comet = doc.xpath(f'//li[@id="story-{seeded.comet}"]')[0]
    assert comet.xpath('.//p[@class="reason"]/text()') == ["You follow Science"]
    links_only_label = comet.xpath('.//p[@class="label"]/text()')
    assert links_only_label == [
        "Herald has not written an article about this story: these are the outlets' own reports."
        " Your feed is customized."
    ]
    assert comet.xpath('.//button[@aria-pressed="true"]/text()') == ["Following Science"]
    story = lxml.html.fromstring(client.get(f"/stories/{seeded.chips}").text)
    assert story.xpath("//section[@class='story-labels']//p/text()")[0] == CUSTOMIZED


def test_mute_topic_entity_and_story_hide_them(client: TestClient, seeded: Seeded) -> None:
    post_pref(client, "mute|topic|business")
    assert f"story-{seeded.rates}" not in feed_ids(client)
    post_pref(client, "mute|story|" + str(seeded.comet))
    post_pref(client, "mute|entity|Chipmaker")
    assert feed_ids(client) == [f"story-{seeded.festival}"]
    post_pref(client, "unset|topic|business")
    assert f"story-{seeded.rates}" in feed_ids(client)


def test_settings_forms_follow_outlet_and_entity(client: TestClient, seeded: Seeded) -> None:
    token = csrf(client)
    for kind, value in (("outlet", "Tech Weekly"), ("entity", "NASA")):
        r = client.post(
            "/prefs",
            data={
                "csrf": token,
                "kind": kind,
                "value": value,
                "action": "follow",
                "next": "/settings",
            },
            follow_redirects=False,
        )
        assert r.status_code == 303
    doc = lxml.html.fromstring(client.get("/settings").text)
    names = [" ".join(t.split()) for t in doc.xpath("//span[@class='pref-name']/text()")]
    assert "Tech Weekly" in names and "NASA" in names
    reasons = lxml.html.fromstring(client.get("/").text).xpath('//p[@class="reason"]/text()')
    assert "You follow Tech Weekly" in reasons and "You follow NASA" in reasons


def test_post_without_or_with_bad_csrf_is_refused(client: TestClient, herald: Herald) -> None:
    client.get("/")
    r = client.post("/prefs", data={"pref": "follow|topic|science"}, follow_redirects=False)
    assert r.status_code == 403
    r = client.post("/prefs", data={"csrf": "0" * 64, "pref": "follow|topic|science"})
    assert r.status_code == 403
    r = client.post(
        "/prefs",
        data={"csrf": csrf(client), "pref": "follow|topic|science"},
        headers={"origin": "https://evil.example"},
    )
    assert r.status_code == 403
    r = client.post("/settings/feeds/rotate", data={})
    assert r.status_code == 403
    assert "CSRF" in r.text
    assert herald.store.count("stories") == 4  # nothing else happened
    assert client.cookies.get(READER_COOKIE) is None


def test_bad_preferences_and_unsafe_redirects(client: TestClient) -> None:
    token = csrf(client)
    r = client.post("/prefs", data={"csrf": token, "pref": "follow|topic|gardening"})
    assert r.status_code == 400
    r = client.post("/prefs", data={"csrf": token, "pref": "follow|story|abc"})
    assert r.status_code == 400
    r = client.post(
        "/prefs",
        data={"csrf": token, "pref": "follow|topic|science", "next": "//evil.example/"},
        follow_redirects=False,
    )
    assert r.headers["location"] == "/"


def test_tampered_cookie_is_anonymous(client: TestClient, herald: Herald) -> None:
    post_pref(client, "follow|topic|science")
    signed = client.cookies.get(READER_COOKIE)
    assert signed and unsign("test-secret-key", signed)
    client.cookies.clear()
    tail = "11" if signed.endswith("00") else "00"  # a real change: 1 MAC in 256 ends in "00"
    client.cookies.set(READER_COOKIE, signed[:-2] + tail)
    doc = lxml.html.fromstring(client.get("/").text)
    assert doc.xpath("//h1/text()") == ["Top stories"]
    other = herald.store.create_reader(herald.clock.now())
    client.cookies.clear()
    client.cookies.set(READER_COOKIE, sign("wrong-key", other.token))
    assert lxml.html.fromstring(client.get("/").text).xpath("//h1/text()") == ["Top stories"]


def test_secure_cookie_over_https(herald: Herald, seeded: Seeded) -> None:
    with TestClient(create_app(herald), base_url="https://testserver") as c:
        r = c.post(
            "/prefs",
            data={"csrf": csrf(c), "pref": "follow|topic|science"},
            follow_redirects=False,
        )
        cookie = next(h for h in r.headers.get_list("set-cookie") if h.startswith(READER_COOKIE))
        assert "Secure" in cookie


def test_feed_addresses_show_and_rotate(client: TestClient, herald: Herald) -> None:
    doc = lxml.html.fromstring(client.get("/settings").text)
    assert not doc.xpath("//dl[@class='feed-urls']")
    r = client.post("/settings/feeds/rotate", data={"csrf": csrf(client)}, follow_redirects=False)
    assert r.status_code == 303
    urls = lxml.html.fromstring(client.get("/settings").text).xpath(
        "//dl[@class='feed-urls']//input/@value"
    )
    assert len(urls) == 3 and urls[0].endswith(".rss") and urls[1].endswith(".atom")
    old = urls[0].removeprefix("http://testserver")
    assert client.get(old).status_code == 200
    client.post("/settings/feeds/rotate", data={"csrf": csrf(client)})
    assert client.get(old).status_code == 404
    new = lxml.html.fromstring(client.get("/settings").text).xpath(
        "//dl[@class='feed-urls']//input/@value"
    )
    assert new[0] != urls[0]
    assert client.get(new[0].removeprefix("http://testserver")).status_code == 200
