"""Readers' accounts: argon2id passwords, sessions, login rate limits, export and deletion.

An account binds an email address and a password to one row of ``readers`` (the profile that
holds follows, mutes and reading signals). Sessions are random tokens of which only the SHA-256
is stored. Failed log-ins are rows of ``login_attempts`` in the database, so every web worker
process sees the same counts. Every method is one short transaction on the ``Store``'s engine.
"""

from __future__ import annotations

import hashlib
import math
import re
import secrets
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Connection, and_, delete, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from herald.clock import to_utc
from herald.exceptions import AuthError, RateLimitedError, StorageError
from herald.store.schema import (
    accounts,
    login_attempts,
    preferences,
    readers,
    reports,
    sessions,
    signals,
    stories,
)
from herald.store.store import Store
from herald.types import Account

MIN_PASSWORD = 8
MAX_PASSWORD = 1024
MAX_EMAIL = 320
MAX_TOKEN = 128
HASHING_SLOTS = 4  # argon2 takes 64 MiB a hash: bound the hashes one process runs at once
_LOCAL = r"[^\s\x00-\x1f\x7f@<>()\[\],;:\"\\]{1,64}"  # no spaces, brackets, quotes or a second @
_LABEL = r"[^\s\x00-\x1f\x7f@<>()\[\],;:\"\\.]+"  # one part of the domain name
EMAIL_RE = re.compile(rf"{_LOCAL}@{_LABEL}(?:\.{_LABEL})+")
WRONG_LOGIN = "Wrong email address or password."
EXPORT_FORMAT = "herald-reader-export"
KEY_PREFIXES = ("email:", "ip:", "signup:")  # this module's rows of login_attempts


@dataclass(frozen=True)
class LoginLimits:
    """How many failures (or sign-ups) a key may have within ``window`` before it is refused."""

    per_email: int = 5
    per_ip: int = 30
    signups_per_ip: int = 10
    window: timedelta = timedelta(minutes=15)


def normalize_email(email: str) -> str:
    """``email`` trimmed and in lower case; AuthError when it does not look like an address."""
    clean = email.strip().lower()
    if not clean or len(clean) > MAX_EMAIL or not EMAIL_RE.fullmatch(clean):
        raise AuthError("Enter an email address such as name@example.org.", "email")
    return clean


def check_new_password(password: str) -> None:
    """AuthError unless ``password`` has between 8 and 1024 characters."""
    if len(password) < MIN_PASSWORD:
        raise AuthError(f"Use a password of at least {MIN_PASSWORD} characters.", "password")
    if len(password) > MAX_PASSWORD:
        raise AuthError(f"Use a password of at most {MAX_PASSWORD} characters.", "password")


def token_hash(token: str) -> str:
    """What the database keeps of a session token."""
    return hashlib.sha256(token.encode()).hexdigest()


def _account(row: Any) -> Account:
    return Account(row.id, row.reader_id, row.email, to_utc(row.created_at))


def _wait_text(seconds: int) -> str:
    minutes = math.ceil(seconds / 60)
    return f"Wait {minutes} minute{'s' * (minutes != 1)} and try again."


def _insert_attempt(conn: Connection, key: str, at: datetime) -> int:
    """A row of ``login_attempts``; its id."""
    found = conn.execute(insert(login_attempts).values(key=key[:400], at=at)).inserted_primary_key
    if found is None:
        raise StorageError("the database returned no id for a log-in attempt")
    return int(found[0])


def _iso(value: datetime | None) -> str | None:
    return None if value is None else to_utc(value).isoformat()


class Accounts:
    """Accounts, sessions and login limits on one ``Store``."""

    def __init__(
        self,
        store: Store,
        *,
        session_days: float = 30.0,
        limits: LoginLimits | None = None,
        hasher: PasswordHasher | None = None,
    ) -> None:
        self.store = store
        self.session_lifetime = timedelta(days=session_days)
        self.limits = limits or LoginLimits()
        self.hasher = hasher or PasswordHasher()  # argon2id, RFC 9106 low-memory profile
        self._dummy_hash: str | None = None
        self._slots = threading.BoundedSemaphore(HASHING_SLOTS)

    @contextmanager
    def _hashing(self) -> Iterator[None]:
        with self._slots:
            yield

    # ------------------------------------------------------------------ accounts

    def create(self, reader_id: int, email: str, password: str, now: datetime) -> Account:
        """An account for ``reader_id``; AuthError for a bad address, password or a taken email."""
        clean = normalize_email(email)
        check_new_password(password)
        if self.by_email(clean) is not None:
            raise AuthError("An account with this email address exists: log in instead.", "email")
        with self._hashing():
            hashed = self.hasher.hash(password)
        values = {
            "reader_id": reader_id,
            "email": clean,
            "password_hash": hashed,
            "created_at": now,
        }
        try:
            with self.store.tx() as conn:
                key = conn.execute(insert(accounts).values(**values)).inserted_primary_key
        except IntegrityError as e:
            if self.by_email(clean) is not None:
                raise AuthError("An account with this email address exists.", "email") from e
            raise AuthError("This profile already has an account.") from e
        assert key is not None
        return Account(int(key[0]), reader_id, clean, now)

    def get(self, account_id: int) -> Account | None:
        return self._one(accounts.c.id == account_id)

    def by_email(self, email: str) -> Account | None:
        return self._one(accounts.c.email == email.strip().lower())

    def for_reader(self, reader_id: int) -> Account | None:
        return self._one(accounts.c.reader_id == reader_id)

    def _one(self, cond: Any) -> Account | None:
        with self.store.tx() as conn:
            row = conn.execute(select(accounts).where(cond)).first()
        return None if row is None else _account(row)

    # ------------------------------------------------------------------ passwords

    def authenticate(self, email: str, password: str, ip: str, now: datetime) -> Account:
        """The account of ``email`` when ``password`` is right.

        Raises RateLimitedError while the address or the client has too many recent failures,
        else AuthError on any mismatch (an unknown address costs the same hashing time).
        The try counts as a failure before the password is checked (``_take``), so guesses
        sent at once, to any number of processes, get no more checks than the limits allow.
        """
        key = email.strip().lower()[:MAX_EMAIL]
        lim = self.limits
        limits = ((f"email:{key}", lim.per_email), (f"ip:{ip}", lim.per_ip))
        held = self._take(limits, now, "Too many failed log-ins.")
        with self.store.tx() as conn:
            row = conn.execute(select(accounts).where(accounts.c.email == key)).first()
        stored = row.password_hash if row is not None else self._dummy()
        if not self._verify(stored, password) or row is None:
            raise AuthError(WRONG_LOGIN)  # the try's rows stay: they are its failures
        self._rehash_if_needed(row.id, stored, password)
        self.clear_failures(key)
        self.release(held)
        return _account(row)

    def confirm_password(self, account: Account, password: str, ip: str, now: datetime) -> None:
        """AuthError unless ``password`` is the account's (failures count towards the limits)."""
        self.authenticate(account.email, password, ip, now)

    def _verify(self, stored: str, password: str) -> bool:
        if not password or len(password) > MAX_PASSWORD:
            return False
        try:
            with self._hashing():
                return bool(self.hasher.verify(stored, password))
        except (VerificationError, InvalidHashError):
            return False

    def _dummy(self) -> str:
        if self._dummy_hash is None:
            with self._hashing():
                self._dummy_hash = self.hasher.hash(secrets.token_urlsafe(24))
        return self._dummy_hash

    def _rehash_if_needed(self, account_id: int, stored: str, password: str) -> None:
        if not self.hasher.check_needs_rehash(stored):
            return
        with self._hashing():
            fresh = self.hasher.hash(password)
        with self.store.tx() as conn:
            conn.execute(
                update(accounts).where(accounts.c.id == account_id).values(password_hash=fresh)
            )

    # ------------------------------------------------------------------ login limits

    def take_signup(self, ip: str, now: datetime) -> list[int]:
        """Count a sign-up from ``ip`` before making it: RateLimitedError past the limit, else
        the ids of its rows (``release`` them if the sign-up fails)."""
        limits = ((f"signup:{ip}", self.limits.signups_per_ip),)
        return self._take(limits, now, "Too many new accounts from here.")

    def release(self, held: list[int]) -> None:
        """Forget tries counted by ``_take`` (a log-in that succeeded, a sign-up refused)."""
        if held:
            with self.store.tx() as conn:
                conn.execute(delete(login_attempts).where(login_attempts.c.id.in_(held)))

    def _take(self, limits: tuple[tuple[str, int], ...], now: datetime, refusal: str) -> list[int]:
        """Count one try against each ``(key, limit)``, then check the counts: RateLimitedError
        (and the try forgotten) when a key has ``limit`` other tries in the window.

        The try's rows are committed before anything is counted, so of tries made at once in
        any number of processes the last to commit sees all the others: at most ``limit`` of
        them pass, where checking first and recording after a password check let them all."""
        with self.store.tx() as conn:
            conn.execute(delete(login_attempts).where(self._stale(now)))
            held = [_insert_attempt(conn, key, now) for key, _ in limits]
        for (key, limit), own in zip(limits, held, strict=True):
            wait = self._wait(key, limit, now, besides=own)
            if wait:
                self.release(held)
                raise RateLimitedError(f"{refusal} {_wait_text(wait)}", wait)
        return held

    def clear_failures(self, email: str) -> None:
        with self.store.tx() as conn:
            conn.execute(delete(login_attempts).where(login_attempts.c.key == f"email:{email}"))

    def _wait(self, key: str, limit: int, now: datetime, besides: int = 0) -> int:
        """Seconds until ``key`` drops below ``limit`` attempts in the window, not counting
        the attempt ``besides`` (0: allowed)."""
        since = now - self.limits.window
        with self.store.tx() as conn:
            times = conn.execute(
                select(login_attempts.c.at)
                .where(
                    login_attempts.c.key == key,
                    login_attempts.c.at > since,
                    login_attempts.c.id != besides,
                )
                .order_by(login_attempts.c.at)
            ).scalars()
            ats = [to_utc(t) for t in times]
        if len(ats) < limit:
            return 0
        frees = ats[len(ats) - limit] + self.limits.window
        return max(1, math.ceil((frees - now).total_seconds()))

    def _stale(self, now: datetime) -> Any:
        """This module's attempts older than the window (other keys belong to other limits)."""
        mine = or_(*(login_attempts.c.key.startswith(p) for p in KEY_PREFIXES))
        return and_(mine, login_attempts.c.at <= now - self.limits.window)

    # ------------------------------------------------------------------ sessions

    def start_session(self, account_id: int, now: datetime) -> str:
        """A fresh session token for ``account_id`` (only its hash is stored)."""
        token = secrets.token_urlsafe(32)
        values = {
            "token_hash": token_hash(token),
            "account_id": account_id,
            "created_at": now,
            "expires_at": now + self.session_lifetime,
        }
        with self.store.tx() as conn:
            conn.execute(delete(sessions).where(sessions.c.expires_at <= now))
            conn.execute(insert(sessions).values(**values))
        return token

    def session_account(self, token: str | None, now: datetime) -> Account | None:
        """The account of a live session token, or None (unknown, ended or expired)."""
        if not token or len(token) > MAX_TOKEN:
            return None
        query = (
            select(accounts)
            .join(sessions, sessions.c.account_id == accounts.c.id)
            .where(sessions.c.token_hash == token_hash(token), sessions.c.expires_at > now)
        )
        with self.store.tx() as conn:
            row = conn.execute(query).first()
        return None if row is None else _account(row)

    def end_session(self, token: str | None) -> None:
        if token and len(token) <= MAX_TOKEN:
            with self.store.tx() as conn:
                conn.execute(delete(sessions).where(sessions.c.token_hash == token_hash(token)))

    def purge(self, now: datetime) -> int:
        """Delete expired sessions and login attempts older than the window; returns the count."""
        with self.store.tx() as conn:
            gone = conn.execute(delete(sessions).where(sessions.c.expires_at <= now)).rowcount
            gone += conn.execute(delete(login_attempts).where(self._stale(now))).rowcount
        return int(gone)

    # ------------------------------------------------------------------ profiles

    def merge_readers(self, source_id: int, target_id: int) -> None:
        """Move an anonymous reader's follows, mutes, signals and reports into ``target_id``.

        The target's own choices win where both have one for the same thing; the source
        reader is deleted afterwards. A source with an account is refused.
        """
        if source_id == target_id:
            return
        if self.for_reader(source_id) is not None:
            raise AuthError("cannot merge a profile that has its own account")
        with self.store.tx() as conn:
            _merge_preferences(conn, source_id, target_id)
            for table in (signals, reports):
                conn.execute(
                    update(table).where(table.c.reader_id == source_id).values(reader_id=target_id)
                )
            conn.execute(delete(readers).where(readers.c.id == source_id))

    def delete_reader(self, reader_id: int) -> None:
        """Delete a reader and everything about it; reports stay, no longer linked to it."""
        account = self.for_reader(reader_id)
        with self.store.tx() as conn:
            if account is not None:
                conn.execute(delete(sessions).where(sessions.c.account_id == account.id))
                key = f"email:{account.email}"
                conn.execute(delete(login_attempts).where(login_attempts.c.key == key))
                conn.execute(delete(accounts).where(accounts.c.id == account.id))
            conn.execute(delete(preferences).where(preferences.c.reader_id == reader_id))
            conn.execute(delete(signals).where(signals.c.reader_id == reader_id))
            conn.execute(
                update(reports).where(reports.c.reader_id == reader_id).values(reader_id=None)
            )
            conn.execute(delete(readers).where(readers.c.id == reader_id))

    def export(
        self, reader_id: int, now: datetime, feed_urls: Mapping[str, str] | None = None
    ) -> dict[str, Any]:
        """Everything Herald keeps about one reader, as JSON-ready data (never a secret hash)."""
        account = self.for_reader(reader_id)
        with self.store.tx() as conn:
            reader = conn.execute(select(readers).where(readers.c.id == reader_id)).first()
            if reader is None:
                raise AuthError(f"no reader with id {reader_id}")
            return empty_export(now) | {
                "reader": {"id": reader.id, "created_at": _iso(reader.created_at)},
                "account": _export_account(conn, account),
                "preferences": _export_preferences(conn, reader_id),
                "signals": _export_signals(conn, reader_id),
                "reports": _export_reports(conn, reader_id),
                "personal_feeds": dict(feed_urls or {}),
            }


def empty_export(now: datetime) -> dict[str, Any]:
    """The export of a browser Herald knows nothing about."""
    return {
        "format": EXPORT_FORMAT,
        "version": 1,
        "exported_at": _iso(now),
        "reader": None,
        "account": None,
        "preferences": [],
        "signals": [],
        "reports": [],
        "personal_feeds": {},
    }


# ---------------------------------------------------------------------- helpers


def _merge_preferences(conn: Connection, source_id: int, target_id: int) -> None:
    own = conn.execute(
        select(preferences.c.kind, preferences.c.value).where(preferences.c.reader_id == target_id)
    ).all()
    taken = {(kind, value.casefold()) for kind, value in own}
    moved = [
        {
            "reader_id": target_id,
            "kind": p.kind,
            "value": p.value,
            "muted": p.muted,
            "created_at": p.created_at,
        }
        for p in conn.execute(
            select(preferences)
            .where(preferences.c.reader_id == source_id)
            .order_by(preferences.c.id)
        )
        if (p.kind, p.value.casefold()) not in taken
    ]
    conn.execute(delete(preferences).where(preferences.c.reader_id == source_id))
    if moved:
        conn.execute(insert(preferences), moved)


def _export_account(conn: Connection, account: Account | None) -> dict[str, Any] | None:
    if account is None:
        return None
    live = conn.execute(
        select(sessions.c.created_at, sessions.c.expires_at)
        .where(sessions.c.account_id == account.id)
        .order_by(sessions.c.created_at)
    ).all()
    failures = conn.execute(
        select(login_attempts.c.at)
        .where(login_attempts.c.key == f"email:{account.email}")
        .order_by(login_attempts.c.at)
    ).scalars()
    return {
        "email": account.email,
        "created_at": _iso(account.created_at),
        "sessions": [{"created_at": _iso(c), "expires_at": _iso(e)} for c, e in live],
        "recent_failed_logins": [_iso(at) for at in failures],
    }


def _export_preferences(conn: Connection, reader_id: int) -> list[dict[str, Any]]:
    rows = conn.execute(
        select(preferences).where(preferences.c.reader_id == reader_id).order_by(preferences.c.id)
    )
    return [
        {
            "kind": p.kind,
            "value": p.value,
            "muted": bool(p.muted),
            "created_at": _iso(p.created_at),
        }
        for p in rows
    ]


def _export_signals(conn: Connection, reader_id: int) -> list[dict[str, Any]]:
    rows = conn.execute(
        select(signals, stories.c.title)
        .join(stories, stories.c.id == signals.c.story_id)
        .where(signals.c.reader_id == reader_id)
        .order_by(signals.c.at, signals.c.id)
    )
    return [
        {
            "story_id": s.story_id,
            "story_title": s.title,
            "kind": s.kind,
            "value": s.value,
            "at": _iso(s.at),
        }
        for s in rows
    ]


def _export_reports(conn: Connection, reader_id: int) -> list[dict[str, Any]]:
    rows = conn.execute(
        select(reports, stories.c.title)
        .join(stories, stories.c.id == reports.c.story_id)
        .where(reports.c.reader_id == reader_id)
        .order_by(reports.c.created_at, reports.c.id)
    )
    return [
        {
            "id": r.id,
            "story_id": r.story_id,
            "story_title": r.title,
            "kind": r.kind,
            "note": r.note,
            "status": r.status,
            "created_at": _iso(r.created_at),
            "resolved_at": _iso(r.resolved_at),
        }
        for r in rows
    ]
