"""Serving fast and right: what the web app keeps between requests is exactly what it would
compute afresh, workers on one database agree, and ``herald serve --workers`` serves.

Runs on the benchmark's seed (small), against SQLite and PostgreSQL.
"""

from __future__ import annotations

import gc
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from jinja2 import Environment
from sqlalchemy import select

from herald.app import Herald, make_herald
from herald.bench.seed import SeedOptions, seed_database
from herald.bench.serve import _cookies, _tokens
from herald.config import Settings
from herald.store import feedcache, newsroom
from herald.store.accounts import Accounts
from herald.store.schema import stories
from herald.types import FollowKind, Preference, SignalKind, Writeup
from herald.web import cards, queries, reasons, views
from herald.web.app import create_app
from herald.web.pages import pref_state
from herald.web.security import READER_COOKIE, sign
from tests.support.postgres import postgres_database, postgres_url  # noqa: F401  (fixtures)

NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
SEED = SeedOptions(now=NOW, readers=30, articles=600, stories=80, seed=11)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def settings(request: pytest.FixtureRequest, tmp_path: Path) -> Settings:
    url = "" if request.param == "sqlite" else request.getfixturevalue("postgres_url")
    later = (NOW + timedelta(hours=2)).isoformat()
    return Settings(data_dir=str(tmp_path / "data"), database_url=url, now=later)


@pytest.fixture()
def herald(settings: Settings) -> Iterator[Herald]:
    h = make_herald(settings, migrate=False)
    seed_database(h.store, SEED)
    yield h
    h.close()


@pytest.fixture()
def cookies(herald: Herald) -> list[str]:
    return [c.decode() for c in _cookies(herald.secret_key, _tokens(herald.store), 1)]


def page(client: TestClient, path: str, cookie: str = "") -> str:
    response = client.get(path, headers={"cookie": cookie} if cookie else {})
    assert response.status_code == 200, (path, response.status_code)
    return response.text


# --------------------------------------------------------------------------- kept == fresh


def test_kept_cards_are_the_cards_the_macro_renders(herald: Herald, cookies: list[str]) -> None:
    app = create_app(herald)
    env: Environment = app.state.templates.env
    fresh = env.from_string(
        '{% from "_macros.html" import feed_card with context %}'
        "{% for c, a, s in cards %}  {{ feed_card(c, a, s) }}\n{% endfor %}"
    )
    now = herald.clock.now()
    cache = cards.CardCache()
    for token in _tokens(herald.store)[:12]:
        reader = herald.store.reader_by_token(token)
        feed = queries.reader_feed(herald.store, reader, now, 3.0, 20)
        views_ = [views.card_view(c, now) for c in feed.cards]
        actions = [reasons.reason_action(c) for c in feed.cards]
        states = [pref_state(reader)("topic", v.topic) if v.topic else "" for v in views_]
        csrf, here = f"token-{reader.id}&<>", "/?page=1&x=<y>"
        for _ in range(2):  # rendered, then kept
            kept = cards.render_cards(env, cache, views_, actions, states, csrf, here)
            direct = fresh.render(
                cards=list(zip(views_, actions, states, strict=True)), csrf=csrf, here=here
            )
            assert str(kept) == direct
    assert len(cache) > 0


def test_feed_pages_are_the_same_from_a_warm_and_a_cold_worker(
    herald: Herald, settings: Settings, cookies: list[str]
) -> None:
    warm = TestClient(create_app(herald))
    paths = ["/", "/?page=2", "/api/v1/feed", "/api/v1/feed?limit=50&offset=5"]
    first = {(c, p): page(warm, p, c) for c in cookies[:8] for p in paths}
    again = {(c, p): page(warm, p, c) for c in cookies[:8] for p in paths}
    assert first == again
    other = make_herald(settings, migrate=False)  # another worker: its own, cold caches
    try:
        cold = TestClient(create_app(other))
        assert {(c, p): page(cold, p, c) for c in cookies[:8] for p in paths} == first
    finally:
        other.close()


def test_a_server_app_settles_the_collector_once_per_data_version(
    herald: Herald, cookies: list[str]
) -> None:
    """Server processes freeze the feed state's objects after each rebuild (no full
    collection scans them later); the pages are the same, and a replaced state is freed."""
    from herald.web.server import settle_gc

    plain = {c: page(TestClient(create_app(herald)), "/", c) for c in cookies[:4]}
    queries.pool_cache(herald.store)._state = None  # the next request builds the state anew
    try:
        client = TestClient(settle_gc(create_app(herald)))
        assert {c: page(client, "/", c) for c in cookies[:4]} == plain
        frozen = gc.get_freeze_count()
        assert frozen > 0
        for _ in range(3):
            with herald.store.tx() as conn:
                feedcache.bump(conn)
            page(client, "/", cookies[0])  # a new state, then collect and freeze again
        # the old states went with their last reference: the frozen set did not grow by them
        assert gc.get_freeze_count() < frozen * 1.2
    finally:
        queries.pool_cache(herald.store).settle_gc = False
        gc.unfreeze()


def test_a_server_app_runs_its_endpoints_on_web_threads_threads(
    herald: Herald, cookies: list[str]
) -> None:
    import anyio.to_thread

    from herald.web.server import for_serving

    def tokens() -> float:
        return anyio.to_thread.current_default_thread_limiter().total_tokens

    served = replace(herald, settings=replace(herald.settings, web_threads=3))
    with TestClient(create_app(served)) as plain:
        default = plain.portal.call(tokens)  # type: ignore[union-attr]
    try:
        with TestClient(for_serving(create_app(served))) as client:
            assert client.portal.call(tokens) == 3  # type: ignore[union-attr]
            assert page(client, "/", cookies[0])
        assert default == 40  # anyio's default, for apps not made for serving (tests)
    finally:
        queries.pool_cache(herald.store).settle_gc = False
        gc.unfreeze()


@pytest.mark.parametrize("inline", [True, False])
def test_feed_and_story_reads_run_on_the_loop_or_on_threads_as_set(
    herald: Herald, cookies: list[str], monkeypatch: pytest.MonkeyPatch, inline: bool
) -> None:
    import threading

    threads: list[str] = []
    real = queries.reader_feed

    def spy(*args: object, **kwargs: object) -> object:
        threads.append(threading.current_thread().name)
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(queries, "reader_feed", spy)
    served = replace(herald, settings=replace(herald.settings, web_inline=inline))
    with TestClient(create_app(served)) as client:
        loop_thread = client.portal.call(lambda: threading.current_thread().name)  # type: ignore[union-attr]
        assert page(client, "/", cookies[0])  # the feed page
        response = client.get("/api/v1/feed", headers={"cookie": cookies[0]})
        assert response.status_code == 200 and response.json()["items"]
    assert len(threads) == 2  # one feed read for each
    assert [name == loop_thread for name in threads] == [inline, inline]


def test_story_pages_are_the_same_kept_and_fresh(herald: Herald, cookies: list[str]) -> None:
    client = TestClient(create_app(herald))
    with herald.store.tx() as conn:
        ids = [int(i) for i in conn.execute(select(stories.c.id).order_by(stories.c.id)).scalars()]
    for sid in ids[:25]:
        kept = page(client, f"/stories/{sid}", cookies[0])
        assert page(client, f"/stories/{sid}", cookies[0]) == kept
        api = client.get(f"/api/v1/stories/{sid}").json()
        story = herald.store.get_story(sid)
        expected = newsroom.related_to(herald.store, story)
        assert [r["id"] for r in api["related"]] == [r.story.id for r in expected]
        assert [r["score"] for r in api["related"]] == [r.score for r in expected]


def test_the_related_index_gives_what_the_query_gives(herald: Herald) -> None:
    since = herald.clock.now() - timedelta(days=30)
    index = newsroom.RelatedIndex(herald.store, since)
    found = 0
    for story in herald.store.list_stories(limit=1000):
        related = index.related(herald.store, story)
        assert related == newsroom.related_to(herald.store, story)
        found += bool(related)
    assert found > 10
    narrow = newsroom.RelatedIndex(herald.store, herald.clock.now())
    assert all(narrow.related(herald.store, s) is None for s in herald.store.list_stories())


# --------------------------------------------------------------------------- the data version


def test_every_write_to_what_the_feed_shows_bumps_the_version(herald: Herald) -> None:
    store = herald.store
    written = store.writeups_for([s.id for s in store.list_stories(limit=1000)])
    writeup = next(w for w in written.values() if views.is_article(w))
    story = store.get_story(writeup.story_id)
    source = store.list_sources()[0]
    other = store.create_story("A new story", NOW, NOW)
    article = store.story_articles(story.id)[0]
    writes: dict[str, Callable[[], object]] = {
        "save_story": lambda: store.save_story(
            story.id, title="T", centroid=None, topic="world", entities=["X"], now=NOW
        ),
        "recount_story": lambda: store.recount_story(story.id),
        "assign_articles": lambda: store.assign_articles([(article.id, other, None)]),
        "merge_stories": lambda: store.merge_stories(other, story.id, NOW),
        "save_trends": lambda: store.save_trends([(story.id, 2.0, True)]),
        "save_writeup": lambda: store.save_writeup(
            Writeup(**{**writeup.__dict__, "headline": "New"})
        ),
        "correct_story": lambda: newsroom.correct_story(
            store, story.id, "A fix.", NOW, rewrite=True
        ),
        "pull_story": lambda: newsroom.pull_story(store, story.id, "Wrong.", NOW),
        "update_source": lambda: store.update_source(source.id, country="France"),
        "remove_source": lambda: store.remove_source(source.id),
    }
    for name, write in writes.items():
        before = feedcache.current(store)
        write()
        assert feedcache.current(store) != before, name


def test_workers_on_one_database_serve_the_same_feed_after_any_write(
    herald: Herald, settings: Settings, cookies: list[str]
) -> None:
    other = make_herald(settings, migrate=False)
    try:
        a, b = TestClient(create_app(herald)), TestClient(create_app(other))
        for client in (a, b):
            page(client, "/", cookies[0])  # both warm
        story = herald.store.list_stories(limit=1)[0]
        newsroom.pull_story(other.store, story.id, "Withdrawn.", NOW)  # written by "b"
        for client in (a, b):
            assert f'id="story-{story.id}"' not in page(client, "/", cookies[0])
        assert page(a, "/", cookies[1]) == page(b, "/", cookies[1])
        reader = herald.store.reader_by_token(_tokens(herald.store)[1])
        other.store.set_preference(reader.id, Preference(FollowKind.TOPIC, "sports"), NOW)
        assert page(a, "/", cookies[1]) == page(b, "/", cookies[1])
    finally:
        other.close()


def test_a_deletion_in_one_worker_shows_in_the_other_at_once(
    herald: Herald, settings: Settings
) -> None:
    other = make_herald(settings, migrate=False)
    try:
        a, b = TestClient(create_app(herald)), TestClient(create_app(other))
        reader = herald.store.create_reader(NOW)
        herald.store.set_preference(reader.id, Preference(FollowKind.TOPIC, "sports"), NOW)
        cookie = f"{READER_COOKIE}={sign(herald.secret_key, reader.token)}"
        assert "Your feed" in page(a, "/", cookie)
        Accounts(other.store).delete_reader(reader.id)  # "b" forgets the reader
        assert "Top stories" in page(a, "/", cookie)
        assert page(a, "/", cookie).count("card-h-") == page(b, "/").count("card-h-")
    finally:
        other.close()


def test_a_signal_shows_in_the_next_feed_of_any_worker(
    herald: Herald, settings: Settings, cookies: list[str]
) -> None:
    from herald.store.signals import record_signal

    other = make_herald(settings, migrate=False)
    try:
        a, b = TestClient(create_app(herald)), TestClient(create_app(other))
        reader = herald.store.reader_by_token(_tokens(herald.store)[2])
        before = page(a, "/", cookies[2])
        shown = before.split('data-story="', 2)[1].split('"', 1)[0]
        record_signal(other.store, reader.id, int(shown), SignalKind.LESS, 1.0, NOW)
        after = page(a, "/", cookies[2])
        assert f'data-story="{shown}"' not in after
        assert after == page(b, "/", cookies[2])
    finally:
        other.close()


# --------------------------------------------------------------------------- herald serve


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.mark.parametrize("settings", ["sqlite"], indirect=True)
def test_herald_serve_with_two_workers_serves_the_same_pages(
    herald: Herald, settings: Settings, cookies: list[str], tmp_path: Path
) -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("HERALD_")}
    env |= {"HERALD_DATA_DIR": settings.data_dir, "HERALD_NOW": settings.now}
    command = [sys.executable, "-m", "herald", "serve", "--port", str(port), "--workers", "2"]
    log = (tmp_path / "serve.log").open("wb")
    process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{base}/static/herald.css", timeout=2) as r:
                    assert r.status == 200
                    break
            except OSError:
                assert process.poll() is None and time.monotonic() < deadline
                time.sleep(0.3)
        expected = page(TestClient(create_app(herald)), "/api/v1/feed", cookies[0])
        for _ in range(6):  # both workers answer, alike
            request = urllib.request.Request(f"{base}/api/v1/feed", headers={"cookie": cookies[0]})
            with urllib.request.urlopen(request, timeout=10) as r:
                assert r.read().decode() == expected
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()
    assert "worker processes" in (tmp_path / "serve.log").read_text()
