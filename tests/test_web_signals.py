"""The learning feed in-process: the signal beacon (validated, CSRF-checked, same-origin,
rate-capped), "show less like this" and hiding without JavaScript, onboarding, regions, the
one-click action of every card's reason, and the signals store on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import lxml.html
import numpy as np
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from herald.app import Herald
from herald.exceptions import NotFoundError
from herald.store.schema import signals
from herald.store.signals import reader_signals, record_signal
from herald.store.store import NewEntry, Store
from herald.types import Reader, SignalKind, SourceSpec, Writeup, WriteupStatus
from herald.web.app import create_app
from herald.web.reader_routes import RATE_LIMIT
from herald.web.security import READER_COOKIE, unsign
from tests.test_web_seed import NOW, Seeded, client, herald, seeded

__all__ = ["client", "herald", "seeded"]

HIDDEN = "Story hidden: it will not be shown again."
LESS = "Got it: you will see fewer stories like this one."


# --------------------------------------------------------------------------- helpers


def add_story(
    h: Herald,
    slug: str,
    title: str,
    topic: str,
    entities: list[str],
    outlets: list[tuple[str, str]],
    *,
    hours: float = 4.0,
    centroid: np.ndarray | None = None,
) -> int:
    """A story covered by ``outlets`` ((name, country) pairs), through the Store API."""
    ids = []
    for n, (outlet, country) in enumerate(outlets):
        host = re.sub(r"[^a-z]", "", outlet.lower())
        url = f"https://{host}.example/feed.xml"
        found = [s for s in h.store.list_sources() if s.url == url]
        if found and country and found[0].country != country:
            h.store.update_source(found[0].id, country=country)
        source = (
            found[0]
            if found
            else h.store.add_source(
                SourceSpec(url=url, outlet=outlet, country=country), NOW - timedelta(days=9)
            )
        )
        link = f"https://{host}.example/{slug}-{n}"
        when = NOW - timedelta(hours=hours + n * 0.1)
        entry = NewEntry(f"{slug}-{n}", link, link, title, f"{title}.", "Staff", when)
        h.store.add_entries(source.id, [entry], NOW, fetch_pages=False)
        ids.append(next(a.id for a in h.store.unclustered_articles() if a.url == link))
    sid = h.store.create_story(title, NOW - timedelta(hours=hours + 1), NOW)
    h.store.assign_articles([(i, sid, None) for i in ids])
    raw = None if centroid is None else np.asarray(centroid, dtype=np.float32).tobytes()
    h.store.save_story(sid, title=title, centroid=raw, topic=topic, entities=entities, now=NOW)
    return sid


def token(c: TestClient, path: str = "/") -> str:
    match = re.search(r'name="herald-csrf" content="([0-9a-f]+)"', c.get(path).text)
    assert match
    return match.group(1)


def feed(c: TestClient, path: str = "/") -> lxml.html.HtmlElement:
    r = c.get(path)
    assert r.status_code == 200, r.text
    return lxml.html.fromstring(r.text)


def card_ids(doc: lxml.html.HtmlElement) -> list[int]:
    return [int(i.split("-")[1]) for i in doc.xpath('//ol[@class="cards"]/li/@id')]


def card(doc: lxml.html.HtmlElement, story_id: int) -> lxml.html.HtmlElement:
    found = doc.xpath(f'//li[@id="story-{story_id}"]')
    assert found, f"no card for story {story_id}"
    return found[0]


def reason(doc: lxml.html.HtmlElement, story_id: int) -> str:
    return str(card(doc, story_id).xpath('.//p[@class="reason"]/text()')[0])


def submit(c: TestClient, form: lxml.html.HtmlElement, button: lxml.html.HtmlElement) -> str:
    """Post a card's form as a browser without JavaScript would; the redirect target."""
    data = {i.get("name"): i.get("value") for i in form.xpath(".//input[@type='hidden']")}
    if button.get("name"):
        data[button.get("name")] = button.get("value")
    r = c.post(form.get("action"), data=data, follow_redirects=False)
    assert r.status_code == 303, r.text
    return str(r.headers["location"])


def become_reader(c: TestClient) -> None:
    """Make the visitor a reader (onboarding with nothing ticked)."""
    r = c.post("/welcome", data={"csrf": token(c)}, follow_redirects=False)
    assert r.status_code == 303
    assert c.cookies.get(READER_COOKIE)


def beacon(c: TestClient, body: object, csrf: str | None, **headers: str) -> int:
    sent = {"content-type": "application/json", **headers}
    if csrf is not None:
        sent["x-csrf-token"] = csrf
    return c.post("/signals", content=json.dumps(body), headers=sent).status_code


def signals_of(h: Herald) -> list[tuple[int, str, float]]:
    with h.store.tx() as conn:
        rows = conn.execute(select(signals.c.story_id, signals.c.kind, signals.c.value))
        return [(r.story_id, r.kind, r.value) for r in rows]


# --------------------------------------------------------------------------- the beacon


def test_beacon_records_signals_of_a_reader(
    client: TestClient, herald: Herald, seeded: Seeded
) -> None:
    csrf = token(client)
    # A visitor without a profile is not tracked.
    assert beacon(client, {"story": seeded.chips, "kind": "open"}, csrf) == 204
    assert signals_of(herald) == []
    become_reader(client)
    csrf = token(client)
    assert beacon(client, {"story": seeded.chips, "kind": "open"}, csrf) == 204
    assert beacon(client, {"story": seeded.chips, "kind": "read", "value": 5000}, csrf) == 204
    assert beacon(client, {"story": seeded.chips, "kind": "citation", "value": 7}, csrf) == 204
    assert signals_of(herald) == [
        (seeded.chips, "open", 1.0),
        (seeded.chips, "read", 600.0),  # capped at ten minutes
        (seeded.chips, "citation", 1.0),
    ]


def test_beacon_is_validated(client: TestClient, herald: Herald, seeded: Seeded) -> None:
    become_reader(client)
    csrf = token(client)
    bad = [
        {"story": "1", "kind": "open"},
        {"story": True, "kind": "open"},
        {"story": 0, "kind": "open"},
        {"story": seeded.chips, "kind": "hide"},  # hides go through their own form
        {"story": seeded.chips, "kind": "like"},
        {"story": seeded.chips, "kind": "read", "value": -3},
        {"story": seeded.chips, "kind": "read", "value": 1e9},
        {"story": seeded.chips, "kind": "read", "value": "long"},
        [seeded.chips, "open"],
    ]
    for body in bad:
        assert beacon(client, body, csrf) == 400, body
    assert beacon(client, {"story": 99_999, "kind": "open"}, csrf) == 404
    r = client.post(
        "/signals",
        content=b"{not json",
        headers={"x-csrf-token": csrf, "content-type": "application/json"},
    )
    assert r.status_code == 400
    r = client.post(
        "/signals",
        data={"story": str(seeded.chips), "kind": "open"},
        headers={"x-csrf-token": csrf},
    )
    assert r.status_code == 415
    big = {"story": seeded.chips, "kind": "open", "pad": "x" * 2000}
    assert beacon(client, big, csrf) == 413
    assert signals_of(herald) == []


def test_beacon_needs_csrf_and_the_same_origin(
    client: TestClient, herald: Herald, seeded: Seeded
) -> None:
    become_reader(client)
    csrf = token(client)
    body = {"story": seeded.chips, "kind": "open"}
    assert beacon(client, body, None) == 403
    assert beacon(client, body, "0" * 64) == 403
    assert beacon(client, body, csrf, origin="https://evil.example") == 403
    assert beacon(client, body, csrf, **{"sec-fetch-site": "cross-site"}) == 403
    assert beacon(client, body, csrf, **{"sec-fetch-site": "same-site"}) == 403
    # The token in a JSON body is not enough: only sendBeacon's text/plain may carry it there.
    assert beacon(client, {**body, "csrf": csrf}, None) == 403
    assert signals_of(herald) == []
    ok = beacon(
        client,
        {**body, "kind": "read", "value": 42.5, "csrf": csrf},
        None,
        **{"content-type": "text/plain;charset=UTF-8", "sec-fetch-site": "same-origin"},
    )
    assert ok == 204
    assert beacon(client, body, csrf, origin="http://testserver") == 204
    assert signals_of(herald) == [(seeded.chips, "read", 42.5), (seeded.chips, "open", 1.0)]


def test_beacon_is_rate_capped(client: TestClient, herald: Herald, seeded: Seeded) -> None:
    become_reader(client)
    csrf = token(client)
    codes = [beacon(client, {"story": seeded.comet, "kind": "open"}, csrf) for _ in range(70)]
    assert codes.count(204) == RATE_LIMIT and codes[-1] == 429
    assert len(signals_of(herald)) == RATE_LIMIT
    refused = client.post(
        "/signals",
        json={"story": seeded.comet, "kind": "open"},
        headers={"x-csrf-token": csrf},
    )
    assert refused.status_code == 429 and 1 <= int(refused.headers["retry-after"]) <= 60


def test_the_rate_cap_is_shared_by_every_app_on_the_database(
    client: TestClient, herald: Herald, seeded: Seeded
) -> None:
    """Two apps on one database (as two worker processes would be) share one count."""
    become_reader(client)
    csrf = token(client)
    half = RATE_LIMIT // 2
    codes = [beacon(client, {"story": seeded.comet, "kind": "open"}, csrf) for _ in range(half)]
    with TestClient(create_app(herald), cookies=dict(client.cookies)) as other:
        body = {"story": seeded.chips, "kind": "read", "value": 5}
        codes += [beacon(other, body, csrf) for _ in range(RATE_LIMIT - half + 5)]
        hide = other.post(f"/stories/{seeded.rates}/hide", data={"csrf": csrf})
    assert codes.count(204) == RATE_LIMIT and codes[-5:] == [429] * 5
    assert hide.status_code == 429  # "less" and "hide" count too
    assert len(signals_of(herald)) == RATE_LIMIT


# --------------------------------------------------------------------------- less and hide


def test_hide_and_less_work_without_javascript(
    client: TestClient, herald: Herald, seeded: Seeded
) -> None:
    doc = feed(client)
    assert card_ids(doc) == [seeded.rates, seeded.chips, seeded.comet, seeded.festival]
    comet = card(doc, seeded.comet)
    form = comet.xpath('.//form[@data-feedback="hide"]')[0]
    location = submit(client, form, form.xpath(".//button")[0])
    assert location == "/?notice=hide#feed-status"
    doc = feed(client, location)
    assert seeded.comet not in card_ids(doc)
    assert doc.xpath('//p[@id="feed-status"]/text()') == [HIDDEN]
    assert doc.xpath('//p[@id="feed-status"]/@role') == ["status"]
    # "Show less like this" from page 1 of a personalized feed
    form = card(doc, seeded.festival).xpath('.//form[@data-feedback="less"]')[0]
    location = submit(client, form, form.xpath(".//button")[0])
    assert location == "/?notice=less#feed-status"
    doc = feed(client, location)
    assert card_ids(doc) == [seeded.rates, seeded.chips]
    assert doc.xpath('//p[@id="feed-status"]/text()') == [LESS]
    assert doc.xpath("//h1/text()") == ["Your feed"]
    kinds = sorted((sid, kind) for sid, kind, _ in signals_of(herald))
    assert kinds == sorted([(seeded.comet, "hide"), (seeded.festival, "less")])


def test_hide_and_less_answer_json_for_javascript(
    client: TestClient, herald: Herald, seeded: Seeded
) -> None:
    csrf = token(client)
    r = client.post(
        f"/stories/{seeded.chips}/less",
        data={"csrf": csrf, "next": "/"},
        headers={"accept": "application/json"},
    )
    assert r.status_code == 200
    assert r.json() == {"story": seeded.chips, "action": "less", "message": LESS}
    assert client.cookies.get(READER_COOKIE)  # a reader now, so the feed remembers
    assert seeded.chips not in card_ids(feed(client))
    r = client.post(f"/stories/{seeded.chips}/hide", data={"next": "/"})
    assert r.status_code == 403  # no CSRF token
    r = client.post("/stories/99999/hide", data={"csrf": csrf, "next": "/"})
    assert r.status_code == 404
    r = client.post(
        f"/stories/{seeded.rates}/less",
        data={"csrf": csrf, "next": "https://evil.example/"},
        follow_redirects=False,
    )
    assert r.headers["location"] == "/?notice=less#feed-status"


def test_less_pushes_the_stories_entities_down(
    client: TestClient, herald: Herald, seeded: Seeded
) -> None:
    other = add_story(
        herald,
        "ecb-2",
        "Euro area ministers react to the ECB",
        "world",
        ["European Central Bank"],
        [("Wire Service", ""), ("Daily Ledger", ""), ("Markets Today", "")],
        hours=0.5,
    )
    before = card_ids(feed(client))
    assert before == [seeded.rates, seeded.chips, other, seeded.comet, seeded.festival]
    form = card(feed(client), seeded.rates).xpath('.//form[@data-feedback="less"]')[0]
    submit(client, form, form.xpath(".//button")[0])
    after = card_ids(feed(client))
    assert after == [seeded.chips, seeded.comet, seeded.festival, other]


# --------------------------------------------------------------------------- learning


def test_reading_teaches_the_feed_and_says_so(
    client: TestClient, herald: Herald, seeded: Seeded
) -> None:
    more_chips = add_story(
        herald,
        "chip-2",
        "Chipmaker opens a second factory",
        "technology",
        ["Chipmaker"],
        [("Tech Weekly", "")],
        hours=8,
    )
    doc = feed(client)
    assert card_ids(doc)[-1] == more_chips
    assert reason(doc, more_chips) == "Covered by 1 outlet"
    become_reader(client)
    csrf = token(client)
    assert beacon(client, {"story": seeded.chips, "kind": "open"}, csrf) == 204
    assert beacon(client, {"story": seeded.chips, "kind": "read", "value": 240}, csrf) == 204
    doc = feed(client)
    assert doc.xpath("//h1/text()") == ["Your feed"]
    ids = card_ids(doc)
    assert ids.index(more_chips) < ids.index(seeded.comet)
    assert reason(doc, more_chips) == "Because you read about Chipmaker"
    button = card(doc, more_chips).xpath('.//form[@class="reason-action"]//button')[0]
    assert (button.text, button.get("value")) == ("Mute Chipmaker", "mute|entity|Chipmaker")
    assert not doc.xpath('//aside[@class="invite"]')  # no longer a newcomer


def test_the_pool_follows_changes_to_the_stories(
    client: TestClient, herald: Herald, seeded: Seeded
) -> None:
    assert len(card_ids(feed(client))) == 4
    new = add_story(herald, "new", "A new story", "world", [], [("Wire Service", "")], hours=1)
    assert new in card_ids(feed(client))
    rates = herald.store.get_writeup(seeded.rates)
    assert rates is not None
    pulled = Writeup(**{**rates.__dict__, "status": WriteupStatus.PULLED})
    herald.store.save_writeup(pulled)
    assert seeded.rates not in card_ids(feed(client))


def test_another_process_writes_show_on_the_next_request(
    client: TestClient, herald: Herald, seeded: Seeded
) -> None:
    assert seeded.comet in card_ids(feed(client))
    other = Store(herald.store.url)  # another process's connection: its writes are not seen
    try:
        comet = other.get_writeup(seeded.comet)
        assert comet is not None
        other.save_writeup(Writeup(**{**comet.__dict__, "status": WriteupStatus.PULLED}))
    finally:
        other.close()
    # the write bumped the data version in the database: the next feed is rebuilt for it
    assert seeded.comet not in card_ids(feed(client))


# --------------------------------------------------------------------------- onboarding


def test_newcomers_are_invited_and_onboarding_sets_follows(
    client: TestClient, herald: Herald, seeded: Seeded
) -> None:
    for name, country in (("Wire Service", "United Kingdom"), ("Daily Ledger", "gb")):
        source = next(s for s in herald.store.list_sources() if s.outlet == name)
        herald.store.update_source(source.id, country=country)
    herald.store.update_source(
        next(s for s in herald.store.list_sources() if s.outlet == "Tech Weekly").id,
        country="France",
    )
    doc = feed(client)
    assert doc.xpath('//aside[@class="invite"]//a/@href') == ["/welcome"]
    page = feed(client, "/welcome")
    topics = page.xpath('//input[@name="topic"]/@value')
    assert topics == [
        "world",
        "politics",
        "business",
        "technology",
        "science",
        "health",
        "sports",
        "entertainment",
        "crime",
    ]
    regions = page.xpath('//input[@name="region"]')
    assert [(r.get("value"), r.getparent().text_content().strip()) for r in regions] == [
        ("France", "France"),
        ("United Kingdom", "United Kingdom"),  # "gb" and "United Kingdom" are one region
    ]
    outlets = page.xpath('//input[@name="outlet"]/@value')
    assert outlets == ["Daily Ledger", "Markets Today", "Tech Weekly", "Wire Service"]
    assert page.xpath("//legend/text()") == ["Topics", "Regions", "Outlets"]
    data = {
        "csrf": token(client, "/welcome"),
        "topic": ["entertainment", "gardening"],  # an unknown topic is ignored
        "region": ["France"],
        "outlet": ["Daily Ledger"],
        "listed": outlets,
    }
    r = client.post("/welcome", data=data, follow_redirects=False)
    assert (r.status_code, r.headers["location"]) == (303, "/")
    doc = feed(client)
    assert doc.xpath("//h1/text()") == ["Your feed"]
    assert not doc.xpath('//aside[@class="invite"]')
    assert card_ids(doc) == [seeded.rates, seeded.chips, seeded.festival, seeded.comet]
    assert reason(doc, seeded.festival) == "You follow Entertainment"
    assert reason(doc, seeded.chips) == "You follow France"
    assert reason(doc, seeded.comet) == "You follow Daily Ledger"
    # prefilled, and unticking unfollows
    page = feed(client, "/welcome")
    assert page.xpath("//input[@checked]/@value") == ["entertainment", "France", "Daily Ledger"]
    data = {"csrf": token(client, "/welcome"), "topic": ["science"], "listed": outlets}
    client.post("/welcome", data=data)
    reader_prefs = {(p.kind.value, p.value) for p in _reader(client, herald).preferences}
    assert reader_prefs == {("topic", "science")}


def test_onboarding_keeps_mutes_and_refuses_forged_posts(
    client: TestClient, herald: Herald, seeded: Seeded
) -> None:
    r = client.post("/welcome", data={"topic": ["science"]})
    assert r.status_code == 403
    csrf = token(client)
    client.post("/prefs", data={"csrf": csrf, "pref": "mute|topic|sports", "next": "/"})
    page = feed(client, "/welcome")
    sports = page.xpath('//input[@value="sports"]')[0]
    assert sports.get("checked") is None
    assert "(muted now)" in sports.getparent().text_content()
    client.post("/welcome", data={"csrf": csrf, "topic": ["world"]})
    prefs = {(p.kind.value, p.value, p.muted) for p in _reader(client, herald).preferences}
    assert prefs == {("topic", "sports", True), ("topic", "world", False)}
    r = client.post("/welcome", data={"csrf": csrf, "listed": ["x"] * 400})
    assert r.status_code == 400


def _reader(c: TestClient, h: Herald) -> Reader:
    signed = c.cookies.get(READER_COOKIE)
    found = unsign("test-secret-key", signed)
    assert found
    return h.store.reader_by_token(found)


# --------------------------------------------------------------------------- reasons


def test_every_reason_has_its_one_click_action(
    client: TestClient, herald: Herald, seeded: Seeded
) -> None:
    doc = feed(client)
    for sid in card_ids(doc):
        forms = card(doc, sid).xpath('.//div[@class="why"]/form')
        assert len(forms) == 1, sid
        assert forms[0].xpath(".//input[@name='csrf']/@value")
    rates = card(doc, seeded.rates)
    assert reason(doc, seeded.rates) == "Trending across 3 outlets"
    form = rates.xpath('.//div[@class="why"]/form')[0]
    button = form.xpath(".//button")[0]
    assert button.text == "Mute Business"
    # the card's own topic buttons do not repeat the reason's action
    assert rates.xpath('.//button[@value="mute|topic|business"]') == [button]
    submit(client, form, button)
    assert seeded.rates not in card_ids(feed(client))

    client.post("/prefs", data={"csrf": token(client), "pref": "follow|entity|NASA", "next": "/"})
    doc = feed(client)
    assert reason(doc, seeded.comet) == "You follow NASA"
    form = card(doc, seeded.comet).xpath('.//div[@class="why"]/form')[0]
    button = form.xpath(".//button")[0]
    assert (button.text, button.get("value")) == ("Unfollow NASA", "unset|entity|NASA")
    assert submit(client, form, button) == f"/#story-{seeded.comet}"
    assert reason(feed(client), seeded.comet) == "Covered by 1 outlet"


def test_explore_card_offers_to_follow_its_topic(
    client: TestClient, herald: Herald, seeded: Seeded
) -> None:
    for n in range(9):
        add_story(herald, f"tech-{n}", f"Tech story {n}", "technology", [], [("Tech Weekly", "")])
    for n in range(6):
        add_story(herald, f"world-{n}", f"World story {n}", "world", [], [("Wire Service", "")])
    client.post(
        "/prefs", data={"csrf": token(client), "pref": "follow|topic|technology", "next": "/"}
    )
    doc = feed(client)
    explore = [s for s in card_ids(doc) if reason(doc, s) == "Outside your usual topics"]
    assert len(explore) == 1
    form = card(doc, explore[0]).xpath('.//div[@class="why"]/form')[0]
    button = form.xpath(".//button")[0]
    topic = card(doc, explore[0]).xpath('.//span[@class="topic"]/text()')[0]
    assert button.text == f"Follow {topic}"
    assert button.get("value") == f"follow|topic|{topic.lower()}"


def test_story_pages_carry_the_csrf_token_for_signals(client: TestClient, seeded: Seeded) -> None:
    doc = feed(client, f"/stories/{seeded.rates}")
    assert re.fullmatch(r"[0-9a-f]{64}", doc.xpath('//meta[@name="herald-csrf"]/@content')[0])


# --------------------------------------------------------------------------- the store


def test_store_records_and_loads_signals(store: Store) -> None:
    source = store.add_source(SourceSpec(url="https://a.example/f", outlet="A"), NOW)
    other = store.add_source(SourceSpec(url="https://b.example/f", outlet="B"), NOW)
    stories = []
    for n, src in enumerate([source.id, other.id, source.id]):
        link = f"https://a.example/{n}"
        entry = NewEntry(str(n), link, link, "T", "S", "", NOW)
        store.add_entries(src, [entry], NOW, fetch_pages=False)
        article = next(a for a in store.unclustered_articles() if a.url == link)
        sid = store.create_story(f"S{n}", NOW, NOW)
        store.assign_articles([(article.id, sid, None)])
        vector = np.arange(4, dtype=np.float32) + n
        store.save_story(
            sid, title="S", centroid=vector.tobytes(), topic="science", entities=["X"], now=NOW
        )
        stories.append(sid)
    reader = store.create_reader(NOW)
    at = NOW - timedelta(days=1)
    record_signal(store, reader.id, stories[0], SignalKind.OPEN, 1, at)
    record_signal(store, reader.id, stories[0], SignalKind.READ, 9999, at + timedelta(minutes=1))
    record_signal(store, reader.id, stories[1], SignalKind.HIDE, 1, NOW - timedelta(days=400))
    record_signal(store, reader.id, stories[2], SignalKind.OPEN, 1, NOW - timedelta(days=400))
    with pytest.raises(NotFoundError):
        record_signal(store, reader.id, 12345, SignalKind.OPEN, 1, NOW)

    found = reader_signals(store, reader.id, NOW - timedelta(days=60), 100)
    # newest first; the old open is past the window, the old hide is kept for good
    assert [(s.story_id, s.kind, s.value) for s in found.signals] == [
        (stories[0], SignalKind.READ, 600.0),
        (stories[0], SignalKind.OPEN, 1.0),
        (stories[1], SignalKind.HIDE, 1.0),
    ]
    first = found.stories[stories[0]]
    assert (first.topic, first.entities) == ("science", ("X",))
    assert first.centroid is not None
    assert np.frombuffer(first.centroid, dtype=np.float32).tolist() == [0.0, 1.0, 2.0, 3.0]
    assert reader_signals(store, reader.id, NOW - timedelta(days=60), 1).signals[0].value == 600

    # a signal on a story merged away counts for the story it went into
    store.merge_stories(stories[0], stories[2], NOW)
    merged = reader_signals(store, reader.id, NOW - timedelta(days=60), 100)
    assert {s.story_id for s in merged.signals} == {stories[2], stories[1]}
