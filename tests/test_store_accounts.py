"""Accounts, sessions, login limits, export and deletion against a SQLite file and PostgreSQL.

Every test runs once per back end. Passwords are hashed with real argon2id; most tests use
cheap parameters to stay fast, and the rehash test moves a hash to the default parameters.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from argon2 import PasswordHasher
from sqlalchemy import func, insert, select

from herald.exceptions import AuthError, HeraldError, RateLimitedError
from herald.store.accounts import Accounts, LoginLimits, token_hash
from herald.store.schema import (
    accounts,
    login_attempts,
    preferences,
    readers,
    reports,
    sessions,
    signals,
)
from herald.store.store import Store
from herald.types import Account, FollowKind, Preference

NOW = datetime(2025, 3, 12, 12, 0, tzinfo=UTC)
PASSWORD = "correct horse battery"
CHEAP = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
IP = "203.0.113.7"


@pytest.fixture()
def accts(store: Store) -> Accounts:
    return Accounts(store, session_days=30, hasher=CHEAP)


def new_account(store: Store, accts: Accounts, email: str = "Reader@Example.org") -> Account:
    reader = store.create_reader(NOW)
    return accts.create(reader.id, email, PASSWORD, NOW)


def count(store: Store, table: object, *where: object) -> int:
    with store.tx() as conn:
        return int(conn.execute(select(func.count()).select_from(table).where(*where)).scalar_one())


def test_create_hashes_with_argon2id_and_never_keeps_the_password(
    store: Store, accts: Accounts
) -> None:
    account = new_account(store, accts)
    assert account.email == "reader@example.org"
    assert account.created_at == NOW
    with store.tx() as conn:
        stored = conn.execute(select(accounts.c.password_hash)).scalar_one()
    assert stored.startswith("$argon2id$")
    assert PASSWORD not in stored
    assert accts.by_email(" READER@example.ORG ") == account
    assert accts.for_reader(account.reader_id) == account
    assert accts.get(account.id) == account


@pytest.mark.parametrize(
    ("email", "password", "field"),
    [
        ("not-an-address", PASSWORD, "email"),
        ("a@b", PASSWORD, "email"),
        ("two words@example.org", PASSWORD, "email"),
        ("x" * 330 + "@example.org", PASSWORD, "email"),
        ("ok@example.org", "short", "password"),
        ("ok@example.org", "x" * 1025, "password"),
    ],
)
def test_create_refuses_bad_addresses_and_passwords(
    store: Store, accts: Accounts, email: str, password: str, field: str
) -> None:
    reader = store.create_reader(NOW)
    with pytest.raises(AuthError) as caught:
        accts.create(reader.id, email, password, NOW)
    assert caught.value.field == field
    assert isinstance(caught.value, HeraldError)
    assert count(store, accounts) == 0


def test_passwords_of_8_and_1024_characters_are_fine(store: Store, accts: Accounts) -> None:
    for i, password in enumerate(("p" * 8, "p" * 1024)):
        reader = store.create_reader(NOW)
        account = accts.create(reader.id, f"edge{i}@example.org", password, NOW)
        assert accts.authenticate(account.email, password, IP, NOW) == account


def test_an_email_has_one_account_and_a_reader_one_account(store: Store, accts: Accounts) -> None:
    first = new_account(store, accts)
    with pytest.raises(AuthError) as caught:
        new_account(store, accts, "READER@example.org")
    assert caught.value.field == "email"
    with pytest.raises(AuthError):
        accts.create(first.reader_id, "other@example.org", PASSWORD, NOW)
    assert count(store, accounts) == 1


def test_authenticate_accepts_the_password_and_refuses_anything_else(
    store: Store, accts: Accounts
) -> None:
    account = new_account(store, accts)
    assert accts.authenticate(" reader@EXAMPLE.org", PASSWORD, IP, NOW) == account
    messages = []
    for email, password in (
        ("reader@example.org", PASSWORD + "!"),
        ("reader@example.org", ""),
        ("nobody@example.org", PASSWORD),
        ("reader@example.org", "x" * 5000),
    ):
        with pytest.raises(AuthError) as caught:
            accts.authenticate(email, password, IP, NOW)
        assert not isinstance(caught.value, RateLimitedError)
        messages.append(str(caught.value))
    assert len(set(messages)) == 1  # an unknown address reads exactly like a wrong password


def test_login_rehashes_a_hash_with_old_parameters(store: Store, accts: Accounts) -> None:
    account = new_account(store, accts)
    with store.tx() as conn:
        before = conn.execute(select(accounts.c.password_hash)).scalar_one()
    stronger = Accounts(store, hasher=PasswordHasher())
    assert stronger.hasher.check_needs_rehash(before)
    assert stronger.authenticate(account.email, PASSWORD, IP, NOW) == account
    with store.tx() as conn:
        after = conn.execute(select(accounts.c.password_hash)).scalar_one()
    assert after != before and after.startswith("$argon2id$")
    assert not stronger.hasher.check_needs_rehash(after)
    assert stronger.authenticate(account.email, PASSWORD, IP, NOW) == account


def test_sessions_store_only_a_hash_expire_and_end(store: Store, accts: Accounts) -> None:
    account = new_account(store, accts)
    token = accts.start_session(account.id, NOW)
    assert len(token) >= 40
    with store.tx() as conn:
        row = conn.execute(select(sessions)).one()
    assert row.token_hash == token_hash(token) != token
    assert accts.session_account(token, NOW + timedelta(days=29)) == account
    assert accts.session_account(token, NOW + timedelta(days=30, seconds=1)) is None
    assert accts.session_account(token + "x", NOW) is None
    assert accts.session_account("", NOW) is None
    assert accts.session_account("y" * 5000, NOW) is None

    other = accts.start_session(account.id, NOW)
    assert other != token
    accts.end_session(other)
    assert accts.session_account(other, NOW) is None
    assert accts.session_account(token, NOW) == account  # ending one session leaves the others

    # Expired sessions are purged (also whenever a new session starts).
    assert accts.purge(NOW + timedelta(days=31)) == 1
    assert count(store, sessions) == 0


def test_session_length_follows_the_setting(store: Store) -> None:
    short = Accounts(store, session_days=1, hasher=CHEAP)
    account = new_account(store, short)
    token = short.start_session(account.id, NOW)
    assert short.session_account(token, NOW + timedelta(hours=23)) == account
    assert short.session_account(token, NOW + timedelta(hours=25)) is None


def test_failed_logins_are_limited_across_store_objects(store: Store, db_url: str) -> None:
    """Two Store objects on one database stand for two web worker processes."""
    first = Accounts(store, hasher=CHEAP)
    account = new_account(store, first)
    for i in range(5):
        with pytest.raises(AuthError):
            first.authenticate(account.email, f"wrong {i}", IP, NOW + timedelta(seconds=i))
    other_store = Store(db_url)
    try:
        second = Accounts(other_store, hasher=CHEAP)
        later = NOW + timedelta(minutes=1)
        with pytest.raises(RateLimitedError) as caught:
            second.authenticate(account.email, PASSWORD, IP, later)  # even the right password
        assert 14 * 60 <= caught.value.retry_after <= 15 * 60
        assert "minute" in str(caught.value)
        with pytest.raises(RateLimitedError):  # another client: the address is still limited
            second.authenticate(account.email, PASSWORD, "198.51.100.1", later)
        # Once the first failure is older than the window, one more try is allowed.
        allowed = NOW + timedelta(minutes=15, seconds=0.5)
        assert second.authenticate(account.email, PASSWORD, IP, allowed) == account
        # Success cleared the address's failures.
        key = f"email:{account.email}"
        assert count(other_store, login_attempts, login_attempts.c.key == key) == 0
    finally:
        other_store.close()


def test_one_client_failing_on_many_addresses_is_limited(store: Store, accts: Accounts) -> None:
    account = new_account(store, accts)
    for i in range(30):
        with pytest.raises(AuthError) as caught:
            accts.authenticate(f"guess{i}@example.org", PASSWORD, IP, NOW)
        assert not isinstance(caught.value, RateLimitedError)
    with pytest.raises(RateLimitedError):
        accts.authenticate(account.email, PASSWORD, IP, NOW)
    assert accts.authenticate(account.email, PASSWORD, "198.51.100.1", NOW) == account


def test_limits_and_signups_are_configurable(store: Store) -> None:
    limits = LoginLimits(per_email=2, per_ip=100, signups_per_ip=1, window=timedelta(minutes=1))
    accts = Accounts(store, limits=limits, hasher=CHEAP)
    account = new_account(store, accts)
    for _ in range(2):
        with pytest.raises(AuthError):
            accts.authenticate(account.email, "wrong password", IP, NOW)
    with pytest.raises(RateLimitedError) as caught:
        accts.authenticate(account.email, PASSWORD, IP, NOW)
    assert caught.value.retry_after == 60
    accts.take_signup(IP, NOW)
    with pytest.raises(RateLimitedError):
        accts.take_signup(IP, NOW)
    accts.take_signup("198.51.100.1", NOW)
    assert accts.purge(NOW + timedelta(minutes=2)) == 6


def test_purging_leaves_other_limits_in_the_attempts_table(store: Store, accts: Accounts) -> None:
    with store.tx() as conn:
        conn.execute(insert(login_attempts).values(key="report:reader:1", at=NOW))
    with pytest.raises(AuthError):
        accts.authenticate("a@example.org", "wrong password", IP, NOW)
    assert accts.purge(NOW + timedelta(hours=1)) == 2
    assert count(store, login_attempts) == 1


def seed_activity(store: Store, reader_id: int) -> int:
    """A story, two signals and a report for ``reader_id``; returns the story id."""
    story = store.create_story("Comet seen over the Alps", NOW, NOW)
    with store.tx() as conn:
        conn.execute(
            insert(signals),
            [
                {
                    "reader_id": reader_id,
                    "story_id": story,
                    "kind": "open",
                    "value": 1.0,
                    "at": NOW,
                },
                {
                    "reader_id": reader_id,
                    "story_id": story,
                    "kind": "read",
                    "value": 42.0,
                    "at": NOW,
                },
            ],
        )
        conn.execute(
            insert(reports).values(
                story_id=story,
                reader_id=reader_id,
                kind="factual",
                note="The comet was seen over the Andes.",
                status="open",
                created_at=NOW,
            )
        )
    return story


def test_export_holds_everything_about_the_reader_and_no_secret(
    store: Store, accts: Accounts
) -> None:
    account = new_account(store, accts)
    rid = account.reader_id
    store.set_preference(rid, Preference(FollowKind.TOPIC, "science"), NOW)
    store.set_preference(rid, Preference(FollowKind.OUTLET, "Daily Ledger", muted=True), NOW)
    story = seed_activity(store, rid)
    token = accts.start_session(account.id, NOW)
    with pytest.raises(AuthError):
        accts.authenticate(account.email, "wrong password", IP, NOW)
    feeds = {"RSS": "http://herald.test/feeds/s.rss"}
    data = accts.export(rid, NOW, feeds)

    text = json.dumps(data)
    assert data["format"] == "herald-reader-export" and data["exported_at"] == NOW.isoformat()
    assert data["reader"] == {"id": rid, "created_at": NOW.isoformat()}
    assert data["account"]["email"] == "reader@example.org"
    assert data["account"]["created_at"] == NOW.isoformat()
    assert data["account"]["sessions"] == [
        {"created_at": NOW.isoformat(), "expires_at": (NOW + timedelta(days=30)).isoformat()}
    ]
    assert data["account"]["recent_failed_logins"] == [NOW.isoformat()]
    assert data["preferences"] == [
        {"kind": "topic", "value": "science", "muted": False, "created_at": NOW.isoformat()},
        {"kind": "outlet", "value": "Daily Ledger", "muted": True, "created_at": NOW.isoformat()},
    ]
    assert [(s["story_id"], s["kind"], s["value"]) for s in data["signals"]] == [
        (story, "open", 1.0),
        (story, "read", 42.0),
    ]
    assert data["signals"][0]["story_title"] == "Comet seen over the Alps"
    [report] = data["reports"]
    assert report["note"] == "The comet was seen over the Andes." and report["kind"] == "factual"
    assert data["personal_feeds"] == feeds
    with store.tx() as conn:
        stored_hash = conn.execute(select(accounts.c.password_hash)).scalar_one()
        reader_token = conn.execute(select(readers.c.token)).scalar_one()
    for secret in (stored_hash, PASSWORD, token, token_hash(token), reader_token):
        assert secret not in text


def test_export_of_an_anonymous_reader(store: Store, accts: Accounts) -> None:
    reader = store.create_reader(NOW)
    store.set_preference(reader.id, Preference(FollowKind.ENTITY, "NASA"), NOW)
    data = accts.export(reader.id, NOW)
    assert data["account"] is None
    assert [p["value"] for p in data["preferences"]] == ["NASA"]
    assert data["signals"] == [] and data["reports"] == [] and data["personal_feeds"] == {}


def test_delete_removes_everything_but_keeps_reports_unlinked(
    store: Store, accts: Accounts
) -> None:
    account = new_account(store, accts)
    rid = account.reader_id
    store.set_preference(rid, Preference(FollowKind.TOPIC, "science"), NOW)
    seed_activity(store, rid)
    accts.start_session(account.id, NOW)
    with pytest.raises(AuthError):
        accts.authenticate(account.email, "wrong password", IP, NOW)
    bystander = new_account(store, accts, "other@example.org")
    store.set_preference(bystander.reader_id, Preference(FollowKind.TOPIC, "sports"), NOW)
    accts.start_session(bystander.id, NOW)

    accts.delete_reader(rid)

    assert accts.for_reader(rid) is None and accts.by_email(account.email) is None
    assert count(store, readers, readers.c.id == rid) == 0
    assert count(store, accounts, accounts.c.id == account.id) == 0
    assert count(store, sessions, sessions.c.account_id == account.id) == 0
    assert count(store, preferences, preferences.c.reader_id == rid) == 0
    assert count(store, signals, signals.c.reader_id == rid) == 0
    key = f"email:{account.email}"
    assert count(store, login_attempts, login_attempts.c.key == key) == 0
    with store.tx() as conn:
        kept = conn.execute(select(reports.c.note, reports.c.reader_id)).all()
    assert [tuple(r) for r in kept] == [("The comet was seen over the Andes.", None)]
    # The other reader is untouched.
    assert accts.for_reader(bystander.reader_id) == bystander
    assert count(store, sessions) == 1
    assert store.get_reader(bystander.reader_id).preferences == (
        Preference(FollowKind.TOPIC, "sports"),
    )
    # The address is free again.
    assert new_account(store, accts).email == account.email


def test_merge_moves_an_anonymous_profile_into_the_account(store: Store, accts: Accounts) -> None:
    account = new_account(store, accts)
    own = account.reader_id
    store.set_preference(own, Preference(FollowKind.ENTITY, "NASA", muted=True), NOW)
    store.set_preference(own, Preference(FollowKind.TOPIC, "business"), NOW)
    anonymous = store.create_reader(NOW)
    store.set_preference(anonymous.id, Preference(FollowKind.ENTITY, "nasa"), NOW)
    store.set_preference(anonymous.id, Preference(FollowKind.TOPIC, "science"), NOW)
    seed_activity(store, anonymous.id)

    accts.merge_readers(anonymous.id, own)

    prefs = set(store.get_reader(own).preferences)
    assert prefs == {
        Preference(FollowKind.ENTITY, "NASA", muted=True),  # the account's choice wins
        Preference(FollowKind.TOPIC, "business"),
        Preference(FollowKind.TOPIC, "science"),
    }
    assert count(store, signals, signals.c.reader_id == own) == 2
    assert count(store, reports, reports.c.reader_id == own) == 1
    assert count(store, readers, readers.c.id == anonymous.id) == 0
    with pytest.raises(AuthError):  # a profile with its own account is never merged away
        accts.merge_readers(own, store.create_reader(NOW).id)
