"""The storage facade against real databases: a SQLite file and a PostgreSQL server.

Every test runs twice, once per back end (``db_url`` is parametrized). PostgreSQL tests need
``HERALD_TEST_POSTGRES_URL`` (see ``tests/support/postgres.py``): they are skipped without it
on a workstation and fail without it in CI.
"""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select, text

from herald.exceptions import NotFoundError, SourceError, StorageError
from herald.store.db import MIGRATIONS, current_revision, schema_drift
from herald.store.schema import articles
from herald.store.store import ExtractionUpdate, NewEntry, Store
from herald.types import (
    Evidence,
    ExtractStatus,
    FollowKind,
    Preference,
    Sentence,
    SourceRef,
    SourceSpec,
    Writeup,
    WriteupStatus,
)

NOW = datetime(2014, 3, 12, 12, 0, tzinfo=UTC)


def head_revision() -> str:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    head = ScriptDirectory.from_config(config).get_current_head()
    assert head is not None
    return head


def add_source(store: Store, name: str, *, fetch_pages: bool = True) -> int:
    spec = SourceSpec(
        url=f"https://{name}.example/feed.xml", outlet=name.title(), fetch_pages=fetch_pages
    )
    return store.add_source(spec, NOW).id


def entry(
    n: int | str, *, url: str | None = None, minutes: int = 0, guid: str | None = None
) -> NewEntry:
    link = url if url is not None else f"https://news.example/a/{n}"
    return NewEntry(
        guid=guid or f"guid-{n}",
        url=link,
        canonical_url=link,
        title=f"Headline {n}",
        summary=f"Summary {n}.",
        author="A. Writer",
        published=NOW + timedelta(minutes=minutes),
    )


def article_ids(store: Store) -> list[int]:
    with store.tx() as conn:
        return list(conn.execute(select(articles.c.id).order_by(articles.c.id)).scalars())


# --------------------------------------------------------------------------- migrations


def test_migrations_are_idempotent_and_reach_head(db_url: str) -> None:
    s = Store(db_url)
    try:
        assert current_revision(s.engine) is None
        s.migrate()
        assert current_revision(s.engine) == head_revision()
        s.migrate()
        assert current_revision(s.engine) == head_revision()
        assert s.stage_counts()["articles"] == 0
    finally:
        s.close()


def test_migrated_schema_matches_the_declared_tables(store: Store) -> None:
    """Migrations and ``schema.py`` agree (hand-made search indexes aside)."""
    assert schema_drift(store.engine) == []


def test_a_second_store_on_the_same_database_sees_the_data(store: Store, db_url: str) -> None:
    add_source(store, "alpha")
    other = Store(db_url)
    try:
        other.migrate()
        assert [s.outlet for s in other.list_sources()] == ["Alpha"]
    finally:
        other.close()


def test_meta_upsert(store: Store) -> None:
    assert store.get_meta("k") is None
    store.set_meta("k", "1")
    store.set_meta("k", "2")
    assert store.get_meta("k") == "2"


# --------------------------------------------------------------------------- sources


def test_analyze_gives_the_planner_statistics(store: Store) -> None:
    store.add_sources([SourceSpec(url=f"https://s{i}.example/feed") for i in range(30)], NOW)
    store.analyze()
    with store.tx() as conn:
        if store.dialect == "sqlite":
            query = "SELECT count(*) FROM sqlite_stat1 WHERE tbl = 'sources'"
        else:
            query = (
                "SELECT count(*) FROM pg_stat_user_tables "
                "WHERE relname = 'sources' AND last_analyze IS NOT NULL"
            )
        assert conn.execute(text(query)).scalar_one() >= 1


def test_sources_crud(store: Store) -> None:
    spec = SourceSpec(
        url="https://alpha.example/feed.xml",
        title="Alpha feed",
        outlet="Alpha News",
        site_url="https://alpha.example/",
        country="GB",
        language="en",
        category="world",
        fetch_pages=False,
    )
    src = store.add_source(spec, NOW)
    assert (src.url, src.title, src.outlet, src.site_url) == (
        spec.url,
        "Alpha feed",
        "Alpha News",
        spec.site_url,
    )
    assert (src.country, src.language, src.category, src.fetch_pages) == (
        "GB",
        "en",
        "world",
        False,
    )
    assert not src.paused and src.failures == 0 and src.etag is None and src.last_success is None
    assert src.created_at == NOW and src.created_at.tzinfo is not None
    assert src.outlet_name == "Alpha News"

    with pytest.raises(SourceError):
        store.add_source(spec, NOW)
    assert store.get_source(src.id) == src
    assert store.find_source(str(src.id)) == src
    assert store.find_source(spec.url) == src
    with pytest.raises(NotFoundError):
        store.find_source("https://missing.example/feed")
    with pytest.raises(NotFoundError):
        store.get_source(src.id + 100)

    store.update_source(src.id, paused=True, title="Renamed", fetch_pages=True)
    changed = store.get_source(src.id)
    assert (changed.paused, changed.title, changed.fetch_pages) == (True, "Renamed", True)
    with pytest.raises(StorageError):
        store.update_source(src.id, url="https://elsewhere.example/")

    added = store.add_sources(
        [
            spec,
            SourceSpec(url="https://beta.example/rss"),
            SourceSpec(url="https://gamma.example/rss"),
        ],
        NOW,
    )
    assert added == 2
    assert store.add_sources([], NOW) == 0
    assert [s.url for s in store.list_sources()] == [
        spec.url,
        "https://beta.example/rss",
        "https://gamma.example/rss",
    ]
    assert (
        store.get_source(store.find_source("https://beta.example/rss").id).outlet_name
        == "https://beta.example/rss"
    )

    store.remove_source(src.id)
    with pytest.raises(NotFoundError):
        store.get_source(src.id)
    with pytest.raises(NotFoundError):
        store.remove_source(src.id)
    assert store.count("sources") == 2


def test_fetch_failure_and_success_bookkeeping(store: Store) -> None:
    a = add_source(store, "alpha")
    b = add_source(store, "beta")
    paused = add_source(store, "paused")
    store.update_source(paused, paused=True)
    assert [s.id for s in store.due_sources(NOW)] == [a, b]

    later = NOW + timedelta(minutes=5)
    store.record_fetch_failure(a, NOW, "HTTP 503 " + "x" * 5000, later)
    store.record_fetch_failure(a, NOW, "timeout", later)
    failed = store.get_source(a)
    assert failed.failures == 2
    assert failed.last_error == "timeout"
    assert failed.last_attempt == NOW and failed.next_attempt == later
    assert failed.last_success is None
    assert [s.id for s in store.due_sources(NOW)] == [b]
    assert [s.id for s in store.due_sources(later)] == [a, b]

    store.record_fetch_failure(b, NOW, "y" * 5000, later)
    assert len(store.get_source(b).last_error or "") == 2000

    store.record_fetch_success(
        a, later, '"etag-1"', "Wed, 12 Mar 2014 12:00:00 GMT", later + timedelta(hours=1)
    )
    ok = store.get_source(a)
    assert (ok.failures, ok.last_error) == (0, None)
    assert (ok.etag, ok.last_modified) == ('"etag-1"', "Wed, 12 Mar 2014 12:00:00 GMT")
    assert ok.last_success == later and ok.next_attempt == later + timedelta(hours=1)
    assert [s.id for s in store.due_sources(later)] == [b]


# --------------------------------------------------------------------------- entries


def test_add_entries_skips_known_guids_and_urls(store: Store) -> None:
    a = add_source(store, "alpha")
    b = add_source(store, "beta")
    assert store.add_entries(a, [], NOW, True) == 0
    assert store.add_entries(a, [entry(1), entry(2)], NOW, True) == 2
    # the same guid again, from the same source: nothing new
    assert store.add_entries(a, [entry(1), entry(2)], NOW, True) == 0
    # the same guid with a new URL is still the same item
    assert store.add_entries(a, [entry(1, url="https://news.example/moved")], NOW, True) == 0
    # the same canonical URL twice within one batch: the first is kept
    batch = [entry(3), entry("3b", url="https://news.example/a/3"), entry(4)]
    assert store.add_entries(a, batch, NOW, True) == 2
    # the same canonical URL from another source: skipped
    assert store.add_entries(b, [entry(3, guid="beta-3"), entry(5)], NOW, True) == 1
    # the same guid in another source is a different item
    assert store.add_entries(b, [entry(6, guid="guid-1")], NOW, True) == 1
    # no canonical URL: only the guid counts
    assert store.add_entries(b, [entry(7, url=""), entry(8, url="")], NOW, True) == 2

    assert store.count("articles") == 8
    with store.tx() as conn:
        urls = Counter(
            conn.execute(
                select(articles.c.canonical_url).where(articles.c.canonical_url != "")
            ).scalars()
        )
    assert max(urls.values()) == 1
    titles = {store.get_article(i).title for i in article_ids(store)}
    assert "Headline 3b" not in titles


def test_entries_without_page_fetching_use_feed_text(store: Store) -> None:
    a = add_source(store, "alpha", fetch_pages=False)
    b = add_source(store, "beta")
    store.add_entries(a, [entry(1)], NOW, False)
    store.add_entries(b, [entry(2)], NOW, True)
    first, second = (store.get_article(i) for i in article_ids(store))
    assert first.extract_status is ExtractStatus.FEED_TEXT
    assert first.body == "Summary 1."
    assert first.outlet == "Alpha" and first.published == NOW
    assert second.extract_status is ExtractStatus.PENDING
    assert store.pending_extractions() == [(second.id, "https://news.example/a/2", "Summary 2.")]
    assert store.pending_extractions(limit=0) == []


def test_extraction_updates(store: Store) -> None:
    a = add_source(store, "alpha")
    store.add_entries(a, [entry(1), entry(2), entry(3)], NOW, True)
    one, two, three = article_ids(store)
    new_time = NOW - timedelta(hours=2)
    store.save_extractions(
        [
            ExtractionUpdate(
                one,
                ExtractStatus.OK,
                "",
                "Full text one.",
                author="Jane Roe",
                language="en",
                image_url="https://img.example/1.jpg",
                content_hash="h1",
                published=new_time,
            ),
            ExtractionUpdate(
                two, ExtractStatus.OK, "", "Full text one.", content_hash="h1", duplicate_of=one
            ),
            ExtractionUpdate(three, ExtractStatus.TOO_SHORT, "r" * 3000, ""),
        ]
    )
    got = store.get_article(one)
    assert (got.extract_status, got.text, got.author, got.language) == (
        ExtractStatus.OK,
        "Full text one.",
        "Jane Roe",
        "en",
    )
    assert got.published == new_time
    dup = store.get_article(two)
    assert dup.duplicate_of == one and dup.author == "A. Writer"  # empty fields keep feed values
    short = store.get_article(three)
    assert short.extract_status is ExtractStatus.TOO_SHORT and short.body == "Summary 3."
    assert store.pending_extractions() == []
    assert store.recent_originals(NOW - timedelta(days=1)) == [(one, "Full text one.")]
    assert [x.id for x in store.unclustered_articles()] == [one, two, three]
    with pytest.raises(NotFoundError):
        store.get_article(three + 100)


def test_an_articles_section_comes_from_its_entry_and_its_page(store: Store) -> None:
    a = add_source(store, "alpha")
    filed = [replace(entry(1), section="sports"), replace(entry(2), section="sports"), entry(3)]
    store.add_entries(a, filed, NOW, True)
    one, two, three = article_ids(store)
    assert [store.get_article(i).section for i in (one, two, three)] == ["sports", "sports", ""]
    store.save_extractions(
        [
            ExtractionUpdate(one, ExtractStatus.OK, "", "Text.", section="business"),
            ExtractionUpdate(two, ExtractStatus.OK, "", "Text."),  # the page names none
            ExtractionUpdate(three, ExtractStatus.OK, "", "Text.", section="health"),
        ]
    )
    assert [store.get_article(i).section for i in (one, two, three)] == [
        "business",  # the page's own label wins
        "sports",  # no label on the page never undoes the feed's
        "health",
    ]


# --------------------------------------------------------------------------- stories


def _two_outlets_three_articles(store: Store) -> tuple[int, int, int]:
    a = add_source(store, "alpha")
    b = add_source(store, "beta")
    store.add_entries(a, [entry(1, minutes=0), entry(2, minutes=30)], NOW, False)
    store.add_entries(b, [entry(3, minutes=60)], NOW, False)
    one, two, three = article_ids(store)
    return one, two, three


def test_story_create_assign_and_recount(store: Store) -> None:
    one, two, three = _two_outlets_three_articles(store)
    sid = store.create_story("First", NOW, NOW)
    empty = store.get_story(sid)
    assert (empty.article_count, empty.outlet_count, empty.title) == (0, 0, "First")
    assert store.list_stories() == []  # empty stories are not listed

    store.assign_articles([(one, sid, b"\x01\x02"), (two, sid, None), (three, sid, b"\x03")])
    store.save_story(
        sid,
        title="Better title",
        centroid=b"centroid",
        topic="world",
        entities=["Ada", "Bob"],
        now=NOW,
    )
    story = store.get_story(sid)
    assert (story.title, story.topic, story.entities) == ("Better title", "world", ("Ada", "Bob"))
    assert (story.article_count, story.outlet_count) == (3, 2)
    assert story.first_seen == NOW and story.last_seen == NOW + timedelta(minutes=60)
    assert [x.id for x in store.story_articles(sid)] == [one, two, three]
    assert store.article_embeddings([one, two, three]) == {one: b"\x01\x02", three: b"\x03"}
    assert store.article_embeddings([]) == {}
    assert store.unclustered_articles() == []

    (state,) = store.active_story_states(NOW - timedelta(hours=1))
    assert state.story.id == sid and state.centroid == b"centroid"
    assert [(m[0], m[1]) for m in state.members] == [
        (one, "Alpha"),
        (two, "Alpha"),
        (three, "Beta"),
    ]
    assert store.active_story_states(NOW + timedelta(hours=2)) == []
    assert store.story_outlets([sid]) == {sid: ["Beta", "Alpha"]}
    assert [(p.start, p.count) for p in store.story_timeline(sid, timedelta(minutes=30))] == [
        (NOW, 1),
        (NOW + timedelta(minutes=30), 1),
        (NOW + timedelta(minutes=60), 1),
    ]
    with pytest.raises(NotFoundError):
        store.get_story(sid + 100)


def test_newest_story_texts_lists_originals_in_stories_newest_first(store: Store) -> None:
    one, two, three = _two_outlets_three_articles(store)
    a = add_source(store, "gamma")
    store.add_entries(a, [entry(4, minutes=90), entry(5, minutes=95)], NOW, False)
    four, _outside = article_ids(store)[3:]
    first, second = store.create_story("First", NOW, NOW), store.create_story("Second", NOW, NOW)
    store.assign_articles([(one, first, None), (two, first, None), (three, second, None)])
    store.assign_articles([(four, second, None)])  # five stays outside any story
    copy = ExtractionUpdate(four, ExtractStatus.OK, "", "Summary 3.", duplicate_of=three)
    store.save_extractions([copy])  # a wire copy: its original already speaks for it

    assert store.newest_story_texts(10) == {
        second: ["Summary 3."],
        first: ["Summary 2.", "Summary 1."],
    }
    assert store.newest_story_texts(2) == {second: ["Summary 3."], first: ["Summary 2."]}


def test_merge_keeps_every_member(store: Store) -> None:
    one, two, three = _two_outlets_three_articles(store)
    keep = store.create_story("Keep", NOW, NOW)
    gone = store.create_story("Gone", NOW, NOW)
    third = store.create_story("Third", NOW, NOW)
    store.assign_articles([(one, keep, None), (two, gone, None), (three, third, None)])
    for sid in (keep, gone, third):
        store.recount_story(sid)
    store.save_writeup(_writeup(gone))

    store.merge_stories(gone, keep, NOW)
    store.merge_stories(keep, third, NOW)

    assert {a.id for a in store.story_articles(third)} == {one, two, three}
    assert store.count("articles") == 3
    merged = store.get_story(third)
    assert (merged.article_count, merged.outlet_count) == (3, 2)
    assert store.get_story(gone).article_count == 0
    assert store.resolve_story_id(gone) == third
    assert store.resolve_story_id(third) == third
    assert [s.id for s in store.list_stories()] == [third]
    assert store.get_writeup(gone) is None
    assert [s.story.id for s in store.active_story_states(NOW - timedelta(days=1))] == [third]


def test_split_moves_members_and_nothing_is_lost(store: Store) -> None:
    one, two, three = _two_outlets_three_articles(store)
    source = store.create_story("Both", NOW, NOW)
    store.assign_articles([(one, source, None), (two, source, None), (three, source, None)])
    store.recount_story(source)
    assert {a.id for a in store.articles_by_ids([three, one, 10_000])} == {one, three}
    assert store.articles_by_ids([]) == []

    target = store.create_story("", NOW, NOW)
    store.move_articles([three], target)
    for sid in (source, target):
        store.recount_story(sid)

    assert [a.id for a in store.story_articles(source)] == [one, two]
    assert [a.id for a in store.story_articles(target)] == [three]
    assert (store.get_story(source).article_count, store.get_story(target).article_count) == (2, 1)
    assert store.stale_story_ids() == []
    assert store.count("articles") == 3


def test_removing_a_source_recounts_its_stories(store: Store) -> None:
    one, two, three = _two_outlets_three_articles(store)
    sid = store.create_story("S", NOW, NOW)
    store.assign_articles([(one, sid, None), (two, sid, None), (three, sid, None)])
    store.recount_story(sid)
    beta = store.find_source("https://beta.example/feed.xml").id
    store.remove_source(beta)
    story = store.get_story(sid)
    assert (story.article_count, story.outlet_count) == (2, 1)
    assert story.last_seen == NOW + timedelta(minutes=30)


def test_trends(store: Store) -> None:
    one, two, three = _two_outlets_three_articles(store)
    hot = store.create_story("Hot", NOW, NOW)
    cold = store.create_story("Cold", NOW, NOW)
    store.assign_articles([(one, hot, None), (three, hot, None), (two, cold, None)])
    store.recount_story(hot)
    store.recount_story(cold)

    store.save_trends([(hot, 3.5, True), (cold, 0.5, False)])
    assert [s.id for s in store.list_stories()] == [hot, cold]
    assert store.get_story(hot).trending and store.get_story(hot).trend_score == 3.5
    coverage = sorted(
        (c.story_id, c.outlet, c.published) for c in store.story_coverage(NOW - timedelta(hours=1))
    )
    assert coverage == sorted(
        [
            (hot, "Alpha", NOW),
            (hot, "Beta", NOW + timedelta(minutes=60)),
            (cold, "Alpha", NOW + timedelta(minutes=30)),
        ]
    )
    assert store.stage_counts()["trending"] == 1

    # a story left out of the next round stops trending
    store.save_trends([(cold, 2.0, True)])
    assert (store.get_story(hot).trend_score, store.get_story(hot).trending) == (0.0, False)
    assert [s.id for s in store.list_stories()] == [cold, hot]
    store.save_trends([])
    assert store.stage_counts()["trending"] == 0
    assert [s.id for s in store.list_stories(order="recent")] == [hot, cold]
    assert store.list_stories(since=NOW + timedelta(minutes=45)) == [store.get_story(hot)]


# --------------------------------------------------------------------------- writeups


def _writeup(
    story_id: int, headline: str = "Headline", status: WriteupStatus = WriteupStatus.PUBLISHED
) -> Writeup:
    evidence = (
        Evidence(
            citation=1, article_id=11, passage="The council voted 7-2 on Tuesday.", score=0.8125
        ),
        Evidence(citation=2, article_id=12, passage="Seven members backed the plan.", score=0.5),
    )
    return Writeup(
        id=0,
        story_id=story_id,
        status=status,
        headline=headline,
        summary="The council approved the plan.",
        dateline="LONDON, 12 March 2014",
        sentences=(
            Sentence("The council approved the plan on Tuesday.", (1, 2), evidence, paragraph=0),
            Sentence("Critics called it rushed — “too fast”.", (2,), evidence[1:], paragraph=1),
        ),
        key_points=("Vote passed 7-2", "Work starts in May"),
        sources=(
            SourceRef(1, 11, "Alpha", "https://alpha.example/1", "Council votes", NOW),
            SourceRef(
                2, 12, "Beta", "https://beta.example/2", "Plan approved", NOW + timedelta(minutes=5)
            ),
        ),
        writer="composer",
        reason="",
        input_hash="abc123",
        created_at=NOW,
        sensitive=True,
    )


def test_writeup_upsert_round_trip(store: Store) -> None:
    sid = store.create_story("S", NOW, NOW)
    other = store.create_story("T", NOW, NOW)
    assert store.get_writeup(sid) is None
    w = _writeup(sid)
    store.save_writeup(w)
    got = store.get_writeup(sid)
    assert got is not None and got.id > 0
    assert replace(got, id=0) == w
    assert got.sentences[0].evidence[0].score == 0.8125

    pulled = replace(
        w, headline="New", status=WriteupStatus.PULLED, reason="sources retracted", sentences=()
    )
    store.save_writeup(pulled)
    again = store.get_writeup(sid)
    assert again is not None and again.id == got.id
    assert replace(again, id=0) == pulled
    assert store.count("writeups") == 1

    store.save_writeup(_writeup(other, status=WriteupStatus.LINKS_ONLY))
    assert set(store.writeups_for([sid, other, other + 100])) == {sid, other}
    assert store.writeups_for([]) == {}
    assert store.writeup_hashes() == {sid: "abc123", other: "abc123"}
    counts = store.stage_counts()
    assert counts["writeups_pulled"] == 1 and counts["writeups_links_only"] == 1


# --------------------------------------------------------------------------- readers


def test_readers_preferences_and_secret_rotation(store: Store) -> None:
    r = store.create_reader(NOW)
    assert r.preferences == () and not r.personalized and r.created_at == NOW
    assert store.reader_by_token(r.token) == r
    assert store.reader_by_feed_secret(r.feed_secret) == r
    other = store.create_reader(NOW)
    assert len({r.token, r.feed_secret, other.token, other.feed_secret}) == 4

    store.set_preference(r.id, Preference(FollowKind.TOPIC, "science"), NOW)
    store.set_preference(r.id, Preference(FollowKind.OUTLET, "Alpha", muted=True), NOW)
    store.set_preference(r.id, Preference(FollowKind.TOPIC, "science", muted=True), NOW)  # upsert
    prefs = store.get_reader(r.id).preferences
    assert prefs == (
        Preference(FollowKind.TOPIC, "science", True),
        Preference(FollowKind.OUTLET, "Alpha", True),
    )
    store.remove_preference(r.id, FollowKind.TOPIC, "science")
    assert store.get_reader(r.id).preferences == (Preference(FollowKind.OUTLET, "Alpha", True),)
    assert store.get_reader(other.id).preferences == ()

    new_secret = store.rotate_feed_secret(r.id)
    assert new_secret != r.feed_secret
    with pytest.raises(NotFoundError):
        store.reader_by_feed_secret(r.feed_secret)
    assert store.reader_by_feed_secret(new_secret).id == r.id
    with pytest.raises(NotFoundError):
        store.reader_by_token("nope")
    with pytest.raises(NotFoundError):
        store.get_reader(other.id + 100)


# --------------------------------------------------------------------------- stats


def test_stage_counts(store: Store) -> None:
    assert store.stage_counts() == {
        "sources": 0,
        "articles": 0,
        "pending_extraction": 0,
        "unclustered": 0,
        "stories": 0,
        "trending": 0,
    }
    a = add_source(store, "alpha")
    store.add_entries(a, [entry(1), entry(2)], NOW, True)
    store.add_entries(a, [entry(3)], NOW, False)
    first = article_ids(store)[0]
    sid = store.create_story("S", NOW, NOW)
    store.assign_articles([(first, sid, None)])
    store.recount_story(sid)
    store.save_trends([(sid, 5.0, True)])
    store.save_writeup(_writeup(sid))
    assert store.stage_counts() == {
        "sources": 1,
        "articles": 3,
        "pending_extraction": 2,
        "unclustered": 2,
        "stories": 1,
        "trending": 1,
        "writeups_published": 1,
    }
    assert store.items_per_day(NOW, days=1) == {a: 3.0}


# --------------------------------------------------------------------------- concurrency


def _run_in_threads(*jobs: tuple[int, list[list[NewEntry]]], store: Store) -> list[int]:
    """Run each (source id, batches) job in its own thread, all starting at once."""
    barrier = threading.Barrier(len(jobs))
    added = [0] * len(jobs)
    errors: list[BaseException] = []

    def work(i: int, source_id: int, batches: list[list[NewEntry]]) -> None:
        try:
            barrier.wait()
            for batch in batches:
                added[i] += store.add_entries(source_id, batch, NOW, True)
        except BaseException as e:  # reported below, in the test's thread
            errors.append(e)

    threads = [threading.Thread(target=work, args=(i, sid, b)) for i, (sid, b) in enumerate(jobs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors
    return added


def _batches(numbers: range, size: int = 5) -> list[list[NewEntry]]:
    items = [entry(n) for n in numbers]
    return [items[i : i + size] for i in range(0, len(items), size)]


def test_concurrent_writers_lose_nothing_and_duplicate_nothing(store: Store) -> None:
    a = add_source(store, "alpha")
    b = add_source(store, "beta")
    # overlapping guids into the same source, and disjoint items into another source
    _run_in_threads((a, _batches(range(0, 150))), (a, _batches(range(100, 250))), store=store)
    _run_in_threads((a, _batches(range(250, 300))), (b, _batches(range(1000, 1050))), store=store)
    with store.tx() as conn:
        rows = conn.execute(select(articles.c.source_id, articles.c.guid)).all()
        total = conn.execute(select(func.count()).select_from(articles)).scalar_one()
    assert total == 350
    assert Counter(rows).most_common(1)[0][1] == 1
    assert {g for s, g in rows if s == a} == {f"guid-{n}" for n in range(300)}


STORE_BUG_COUNT = (
    "store bug: add_entries returns count(articles) after - before, which includes rows that other "
    "writers commit meanwhile"
)
STORE_BUG_URL = (
    "store bug: add_entries checks known canonical URLs before inserting, with no constraint or "
    "lock, so two writers can both insert the same URL"
)


def test_concurrent_add_entries_counts_only_its_own_rows(store: Store) -> None:
    """add_entries returns how many rows *it* added, even while another writer is adding rows."""
    a = add_source(store, "alpha")
    b = add_source(store, "beta")
    added = _run_in_threads(
        (a, _batches(range(0, 200), 2)), (b, _batches(range(1000, 1200), 2)), store=store
    )
    assert store.count("articles") == 400
    assert added == [200, 200]


def test_concurrent_sources_never_store_a_canonical_url_twice(store: Store) -> None:
    """Two sources carrying the same articles at the same moment: each URL is stored once."""
    a = add_source(store, "alpha")
    b = add_source(store, "beta")
    _run_in_threads((a, _batches(range(0, 200), 2)), (b, _batches(range(0, 200), 2)), store=store)
    with store.tx() as conn:
        urls = Counter(conn.execute(select(articles.c.canonical_url)).scalars())
    assert len(urls) == 200
    assert max(urls.values()) == 1, f"{sum(n > 1 for n in urls.values())} URLs stored twice"
