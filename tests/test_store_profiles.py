"""Readers' profile rows and the one-query reader look-up, against SQLite and PostgreSQL.

The feed learns from a reader's profile row (``herald.store.profiles``) instead of their
signals joined with their stories: these tests check, on the benchmark's seeded readers, that
what it learns is exactly what the ``signals`` table teaches, also when the row is missing,
out of step with the table, too full, or older than the moment asked.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pytest
from sqlalchemy import delete, event, select

from herald.bench.seed import SeedOptions
from herald.rank.feed import Profile, rank_pool
from herald.rank.signals import MAX_SIGNALS, SIGNAL_DAYS, Learned, learn
from herald.store import feedcache, profiles
from herald.store.accounts import Accounts, token_hash
from herald.store.schema import reader_profiles, readers, signals
from herald.store.signals import reader_signals, record_signal
from herald.store.store import Store
from herald.store.visitor import Visit, visit_by_session, visit_by_token
from herald.types import FollowKind, Preference, SignalKind
from herald.web import queries
from tests.support.seeded import seeded_store

NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
SEED = SeedOptions(now=NOW, readers=40, articles=500, stories=60, seed=5)
DAYS = 3.0


@pytest.fixture()
def store(db_url: str) -> Iterator[Store]:
    with seeded_store(db_url, SEED) as s:
        yield s


def tokens(store: Store) -> list[str]:
    with store.tx() as conn:
        found = conn.execute(select(readers.c.token).order_by(readers.c.id)).scalars()
        return [str(t) for t in found]


def visit(store: Store, token: str) -> Visit:
    found = visit_by_token(store, token)
    assert found is not None
    return found


def from_table(store: Store, state: queries.FeedState, reader_id: int, now: datetime) -> Learned:
    """What the feed learned before profile rows: the signals table, joined with stories."""
    found = reader_signals(store, reader_id, now - timedelta(days=SIGNAL_DAYS), MAX_SIGNALS)
    window = state.pool.window(queries.minute(now))
    about = {}
    for sid, story in found.stories.items():
        n = state.pool.by_story.get(sid)
        live = n is not None and bool(window.candidate[n])
        if live and n is not None:
            story = replace(story, outlets=state.pool.items[n].outlets)
        about[sid] = story
    return learn(found.signals, about, now)


def same(a: Learned, b: Learned) -> None:
    assert a.weights == b.weights
    assert a.hidden == b.hidden
    assert (a.topics, a.entities, a.outlets) == (b.topics, b.entities, b.outlets)
    assert a.names == b.names
    for x, y in ((a.positive, b.positive), (a.negative, b.negative)):
        assert (x is None) == (y is None)
        if x is not None and y is not None:
            assert np.array_equal(x, y)


# --------------------------------------------------------------------------- profile rows


def test_every_seeded_reader_learns_from_the_profile_what_the_table_teaches(store: Store) -> None:
    now = NOW + timedelta(hours=5)
    state = queries.feed_state(store, now, DAYS)
    learned_some = 0
    for token in tokens(store):
        seen = visit(store, token)
        assert seen.profile is None or seen.profile_current
        learned = queries.learned_for(store, state, seen.reader, now, seen)
        expected = from_table(store, state, seen.reader.id, now)
        same(learned, expected)
        learned_some += learned.active
        profile = Profile.of(seen.reader, learned)
        moment = queries.minute(now)
        direct = rank_pool(state.pool, Profile.of(seen.reader, expected), limit=25, at=moment)
        assert rank_pool(state.pool, profile, limit=25, at=moment) == direct
    assert learned_some > 20


def test_a_new_signal_rewrites_the_profile_in_its_transaction(store: Store) -> None:
    token = tokens(store)[0]
    before = visit(store, token)
    story = int(store.list_stories(limit=1)[0].id)
    record_signal(store, before.reader.id, story, SignalKind.READ, 95.0, NOW)
    after = visit(store, token)
    assert after.profile is not None and after.profile_current
    assert after.signal_count == before.signal_count + 1
    assert after.profile.version == (before.profile.version + 1 if before.profile else 1)
    assert after.profile.signals is not None
    assert after.profile.signals[0].story_id == story


def stored(store: Store, reader_id: int) -> profiles.StoredProfile:
    with store.tx() as conn:
        row = conn.execute(
            select(reader_profiles).where(reader_profiles.c.reader_id == reader_id)
        ).one()
    return profiles.decode_profile(
        row.version, row.signal_count, row.last_signal_id, row.horizon, row.state
    )


def test_a_signal_updates_the_row_to_exactly_what_a_rebuild_writes(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Signals of every kind, at equal times, out of order, with old hides and a clock set
    back: after each, the row written in place equals a rebuild from the table; only the
    steps that need one rebuild."""
    monkeypatch.setattr(profiles, "PROFILE_MAX", 12)
    rebuilt: list[int] = []
    real = profiles.rebuild_profile

    def counting(conn: object, reader_id: int, now: datetime) -> profiles.StoredProfile:
        rebuilt.append(reader_id)
        return real(conn, reader_id, now)  # type: ignore[arg-type]

    monkeypatch.setattr(profiles, "rebuild_profile", counting)
    reader = visit(store, tokens(store)[6]).reader
    with store.tx() as conn:  # a reader without signals, so the steps below say it all
        conn.execute(delete(signals).where(signals.c.reader_id == reader.id))
        conn.execute(delete(reader_profiles).where(reader_profiles.c.reader_id == reader.id))
    ids = [s.id for s in store.list_stories(limit=6)]
    kinds = list(SignalKind)
    day = timedelta(days=1)
    minutes = [0, 7, 7, 14, 21, 28, 28, 35, 35]  # several at the same time
    steps = [
        *[
            (ids[i % 6], kinds[i % len(kinds)], NOW + m * timedelta(minutes=1))
            for i, m in enumerate(minutes)
        ],
        (ids[1], SignalKind.HIDE, NOW - (SIGNAL_DAYS + 20) * day),  # an old time: rebuilt
        (ids[2], SignalKind.READ, NOW + (SIGNAL_DAYS + 1) * day),  # the window moves on
        (ids[3], SignalKind.OPEN, NOW + 2 * day),  # the clock went back: rebuilt
        *[(ids[i % 6], SignalKind.OPEN, NOW + (SIGNAL_DAYS + 2) * day) for i in range(10)],
    ]
    rebuilds = {0, 9, 11}  # no row yet, and the horizon moving back twice
    full = False  # the row holds no signals: too many to keep
    for n, (story, kind, at) in enumerate(steps):
        rebuilt.clear()
        record_signal(store, reader.id, story, kind, 30.0, at)
        row = stored(store, reader.id)
        with store.tx() as conn:
            fresh = real(conn, reader.id, at)
        assert (row.signal_count, row.last_signal_id, row.horizon) == (
            fresh.signal_count,
            fresh.last_signal_id,
            fresh.horizon,
        ), n
        assert row.signals == fresh.signals, n
        assert rebuilt == ([reader.id] if n in rebuilds or full else []), n
        full = row.signals is None
    assert full  # the last steps had more than PROFILE_MAX signals to keep


def test_a_profile_out_of_step_with_the_table_is_rebuilt_on_read(store: Store) -> None:
    all_tokens = tokens(store)
    source, target = visit(store, all_tokens[1]), visit(store, all_tokens[2])
    accounts = Accounts(store)
    account = accounts.create(target.reader.id, "reader@example.com", "correct horse", NOW)
    accounts.merge_readers(source.reader.id, account.reader_id)  # moves the signals over
    live = accounts.start_session(account.id, NOW)
    merged = visit_by_session(store, token_hash(live), NOW)
    assert merged is not None and merged.account is not None
    assert merged.signal_count == source.signal_count + target.signal_count
    assert not merged.profile_current
    now = NOW + timedelta(hours=1)
    state = queries.feed_state(store, now, DAYS)
    learned = queries.learned_for(store, state, merged.reader, now, merged)
    same(learned, from_table(store, state, merged.reader.id, now))
    again = visit_by_session(store, token_hash(live), NOW)
    assert again is not None and again.profile_current  # written back


def test_a_reader_without_a_row_gets_one_and_a_reader_without_signals_none(store: Store) -> None:
    with store.tx() as conn:
        conn.execute(delete(reader_profiles))
    now = NOW + timedelta(hours=1)
    state = queries.feed_state(store, now, DAYS)
    for token in tokens(store)[:10]:
        seen = visit(store, token)
        assert seen.profile is None
        learned = queries.learned_for(store, state, seen.reader, now, seen)
        same(learned, from_table(store, state, seen.reader.id, now))
        assert (visit(store, token).profile is not None) == (seen.signal_count > 0)


def test_a_moment_before_the_rows_horizon_reads_the_table(store: Store) -> None:
    token = tokens(store)[3]
    seen = visit(store, token)
    assert seen.profile is not None
    earlier = seen.profile.horizon + timedelta(days=SIGNAL_DAYS) - timedelta(minutes=1)
    assert seen.profile.window(earlier) is None
    state = queries.feed_state(store, NOW, DAYS)
    same(
        queries.learned_for(store, state, seen.reader, earlier, seen),
        from_table(store, state, seen.reader.id, earlier),
    )


def test_a_reader_with_more_signals_than_a_row_keeps_reads_the_table(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(profiles, "PROFILE_MAX", 3)
    token = tokens(store)[4]
    reader = visit(store, token).reader
    for story in store.list_stories(limit=5):
        record_signal(store, reader.id, story.id, SignalKind.OPEN, 1.0, NOW)
    seen = visit(store, token)
    assert seen.profile is not None and seen.profile_current
    assert seen.profile.signals is None and seen.profile.window(NOW) is None
    now = NOW + timedelta(hours=2)
    state = queries.feed_state(store, now, DAYS)
    same(
        queries.learned_for(store, state, seen.reader, now, seen),
        from_table(store, state, seen.reader.id, now),
    )


def test_old_positive_signals_leave_the_window_but_hides_stay(store: Store) -> None:
    reader = visit(store, tokens(store)[5]).reader
    old, hidden = (s.id for s in store.list_stories(limit=2))
    long_ago = NOW - timedelta(days=SIGNAL_DAYS + 30)
    record_signal(store, reader.id, old, SignalKind.READ, 300.0, long_ago)
    record_signal(store, reader.id, hidden, SignalKind.HIDE, 1.0, long_ago)
    record_signal(store, reader.id, hidden, SignalKind.OPEN, 1.0, NOW)  # a recent write
    seen = visit(store, tokens(store)[5])
    assert seen.profile is not None and seen.profile.signals is not None
    kept = {(s.story_id, s.kind) for s in seen.profile.signals}
    assert (hidden, SignalKind.HIDE) in kept and (old, SignalKind.READ) not in kept
    state = queries.feed_state(store, NOW, DAYS)
    learned = queries.learned_for(store, state, seen.reader, NOW, seen)
    assert hidden in learned.hidden
    same(learned, from_table(store, state, seen.reader.id, NOW))


def test_bulk_rebuild_writes_what_one_by_one_writes(store: Store) -> None:
    with store.tx() as conn:
        bulk = {r.reader_id: r for r in conn.execute(select(reader_profiles))}
        ids = [int(i) for i in conn.execute(select(readers.c.id).order_by(readers.c.id)).scalars()]
        for reader_id in ids:
            profiles.rebuild_profile(conn, reader_id, NOW)
        single = {r.reader_id: r for r in conn.execute(select(reader_profiles))}
    assert set(bulk) == set(single) - {i for i in ids if single[i].signal_count == 0}
    for reader_id, row in bulk.items():
        other = single[reader_id]
        assert (row.signal_count, row.last_signal_id, row.state) == (
            other.signal_count,
            other.last_signal_id,
            other.state,
        )
        assert other.version == row.version + 1


# --------------------------------------------------------------------------- the look-up


def test_one_query_finds_the_reader_with_follows_profile_and_version(store: Store) -> None:
    token = tokens(store)[6]
    checkouts: list[Any] = []
    executed: list[str] = []

    def checked_out(dbapi_conn: Any, *_: Any) -> None:  # the look-up runs on the driver
        checkouts.append(dbapi_conn)
        if store.dialect == "sqlite":
            dbapi_conn.set_trace_callback(executed.append)

    event.listen(store.engine, "checkout", checked_out)
    seen = visit(store, token)
    event.remove(store.engine, "checkout", checked_out)
    if store.dialect == "sqlite":
        checkouts[0].set_trace_callback(None)
    assert len(checkouts) == 1
    if store.dialect == "sqlite":
        assert len(executed) == 1 and executed[0].startswith("SELECT"), executed
    assert seen.feed_version == feedcache.current(store) != ""
    with store.tx() as conn:
        count = conn.execute(
            select(signals.c.id).where(signals.c.reader_id == seen.reader.id)
        ).all()
    assert seen.signal_count == len(count)
    assert seen.reader == store.get_reader(seen.reader.id)
    assert seen.account is None


def test_the_look_up_sees_new_follows_and_never_an_account_holders_token(store: Store) -> None:
    token = tokens(store)[7]
    reader = visit(store, token).reader
    store.set_preference(reader.id, Preference(FollowKind.OUTLET, "Wire"), NOW)
    assert visit(store, token).reader.preferences == store.get_reader(reader.id).preferences
    accounts = Accounts(store)
    account = accounts.create(reader.id, "someone@example.com", "correct horse", NOW)
    assert visit_by_token(store, token) is None  # reached through a session only
    session = accounts.start_session(account.id, NOW)
    found = visit_by_session(store, token_hash(session), NOW + timedelta(days=1))
    assert found is not None and found.account == account and found.reader.id == reader.id
    assert visit_by_session(store, token_hash(session), NOW + timedelta(days=400)) is None
    accounts.end_session(session)
    assert visit_by_session(store, token_hash(session), NOW) is None
