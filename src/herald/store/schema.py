"""Database tables (SQLAlchemy Core). Migrations in ``migrations/versions`` create them.

Works on SQLite and PostgreSQL alike: portable types only, times as timezone-aware
``DateTime`` (SQLite keeps them naive UTC; the store converts on read).
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)

metadata = MetaData()

sources = Table(
    "sources",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("url", String(2048), nullable=False, unique=True),
    Column("title", Text, nullable=False, default=""),
    Column("outlet", Text, nullable=False, default=""),
    Column("site_url", Text, nullable=False, default=""),
    Column("country", String(64), nullable=False, default=""),
    Column("language", String(16), nullable=False, default=""),
    Column("category", String(128), nullable=False, default=""),
    Column("fetch_pages", Boolean, nullable=False, default=True),
    Column("paused", Boolean, nullable=False, default=False),
    Column("etag", Text),
    Column("last_modified", Text),
    Column("last_success", DateTime(timezone=True)),
    Column("last_error", Text),
    Column("last_attempt", DateTime(timezone=True)),
    Column("next_attempt", DateTime(timezone=True)),
    Column("failures", Integer, nullable=False, default=0),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

stories = Table(
    "stories",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("title", Text, nullable=False, default=""),
    Column("first_seen", DateTime(timezone=True), nullable=False),
    Column("last_seen", DateTime(timezone=True), nullable=False),
    Column("article_count", Integer, nullable=False, default=0),
    Column("outlet_count", Integer, nullable=False, default=0),
    Column("topic", String(32), nullable=False, default=""),
    Column("entities", Text, nullable=False, default="[]"),
    Column("centroid", LargeBinary),
    Column("trend_score", Float, nullable=False, default=0.0),
    Column("trending", Boolean, nullable=False, default=False),
    Column("merged_into", Integer, ForeignKey("stories.id")),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Index("ix_stories_last_seen", "last_seen"),
)

articles = Table(
    "articles",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("source_id", Integer, ForeignKey("sources.id", ondelete="CASCADE"), nullable=False),
    Column("guid", String(2048), nullable=False),
    Column("url", Text, nullable=False, default=""),
    Column("canonical_url", String(2048), nullable=False, default=""),
    Column("title", Text, nullable=False, default=""),
    Column("summary", Text, nullable=False, default=""),
    Column("author", Text, nullable=False, default=""),
    Column("image_url", Text, nullable=False, default=""),
    Column("published", DateTime(timezone=True), nullable=False),
    Column("ingested_at", DateTime(timezone=True), nullable=False),
    Column("text", Text, nullable=False, default=""),
    Column("language", String(16), nullable=False, default=""),
    Column("extract_status", String(16), nullable=False, default="pending"),
    Column("extract_reason", Text, nullable=False, default=""),
    Column("content_hash", String(64), nullable=False, default=""),
    Column("duplicate_of", Integer, ForeignKey("articles.id")),
    Column("embedding", LargeBinary),
    Column("story_id", Integer, ForeignKey("stories.id")),
    # what the publisher says the piece is (herald.types.ArticleKind): news, opinion, review
    Column("kind", String(16), nullable=False, default="news", server_default="news"),
    # the topic its publisher files it under (herald.cluster.sections.label_topic), or ""
    Column("section", String(16), nullable=False, default="", server_default=""),
    UniqueConstraint("source_id", "guid", name="uq_articles_source_guid"),
    Index("ix_articles_canonical_url", "canonical_url"),
    Index(
        "uq_articles_canonical_url",
        "canonical_url",
        unique=True,
        sqlite_where=text("canonical_url <> ''"),
        postgresql_where=text("canonical_url <> ''"),
    ),
    Index("ix_articles_story", "story_id"),
    Index("ix_articles_status", "extract_status"),
    Index("ix_articles_published", "published"),
)

writeups = Table(
    "writeups",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("story_id", Integer, ForeignKey("stories.id"), nullable=False, unique=True),
    Column("status", String(16), nullable=False),
    Column("headline", Text, nullable=False, default=""),
    Column("summary", Text, nullable=False, default=""),
    Column("dateline", Text, nullable=False, default=""),
    Column("sentences", Text, nullable=False, default="[]"),
    Column("key_points", Text, nullable=False, default="[]"),
    Column("sources", Text, nullable=False, default="[]"),
    Column("writer", String(64), nullable=False, default=""),
    Column("reason", Text, nullable=False, default=""),
    Column("input_hash", String(64), nullable=False, default=""),
    Column("sensitive", Boolean, nullable=False, default=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

readers = Table(
    "readers",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("token", String(64), nullable=False, unique=True),
    Column("feed_secret", String(64), nullable=False, unique=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

preferences = Table(
    "preferences",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("reader_id", Integer, ForeignKey("readers.id", ondelete="CASCADE"), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("value", String(512), nullable=False),
    Column("muted", Boolean, nullable=False, default=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("reader_id", "kind", "value", name="uq_preferences"),
)

meta = Table(
    "meta",
    metadata,
    Column("key", String(128), primary_key=True),
    Column("value", Text, nullable=False),
)

# --- Readers' accounts, reading signals, reports and corrections (migration 0003) ---

accounts = Table(
    "accounts",
    metadata,
    Column("id", Integer, primary_key=True),
    Column(
        "reader_id",
        Integer,
        ForeignKey("readers.id", ondelete="CASCADE"),
        nullable=False,
        unique=True,
    ),
    Column("email", String(320), nullable=False, unique=True),
    Column("password_hash", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

sessions = Table(
    "sessions",
    metadata,
    Column("id", Integer, primary_key=True),
    # SHA-256 of the session token: a leaked database does not leak live sessions.
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("account_id", Integer, ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Index("ix_sessions_account", "account_id"),
)

login_attempts = Table(
    "login_attempts",
    metadata,
    Column("id", Integer, primary_key=True),
    # What is limited: "email:<address>" or "ip:<address>".
    Column("key", String(400), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Index("ix_login_attempts_key_at", "key", "at"),
)

signals = Table(
    "signals",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("reader_id", Integer, ForeignKey("readers.id", ondelete="CASCADE"), nullable=False),
    Column("story_id", Integer, ForeignKey("stories.id", ondelete="CASCADE"), nullable=False),
    # open, read (value = seconds), citation, hide, less
    Column("kind", String(16), nullable=False),
    Column("value", Float, nullable=False, default=1.0),
    Column("at", DateTime(timezone=True), nullable=False),
    Index("ix_signals_reader_at", "reader_id", "at"),
)

reports = Table(
    "reports",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("story_id", Integer, ForeignKey("stories.id", ondelete="CASCADE"), nullable=False),
    Column("reader_id", Integer, ForeignKey("readers.id", ondelete="SET NULL"), nullable=True),
    # factual, misleading, outdated, other
    Column("kind", String(16), nullable=False),
    Column("note", Text, nullable=False, default=""),
    # open, resolved, dismissed
    Column("status", String(16), nullable=False, default="open"),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("resolved_at", DateTime(timezone=True), nullable=True),
    Index("ix_reports_status", "status"),
)

corrections = Table(
    "corrections",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("story_id", Integer, ForeignKey("stories.id", ondelete="CASCADE"), nullable=False),
    Column("report_id", Integer, ForeignKey("reports.id", ondelete="SET NULL"), nullable=True),
    # pulled (article withdrawn) or corrected (sentences removed or article rewritten)
    Column("action", String(16), nullable=False),
    Column("note", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Index("ix_corrections_created", "created_at"),
)

# --- What the feed reads of each reader's signals, one row per reader (migration 0005) ---

reader_profiles = Table(
    "reader_profiles",
    metadata,
    Column(
        "reader_id",
        Integer,
        ForeignKey("readers.id", ondelete="CASCADE"),
        primary_key=True,
        autoincrement=False,
    ),
    Column("version", Integer, nullable=False),
    # All the reader's signals when the row was written: a row that differs is rebuilt.
    Column("signal_count", Integer, nullable=False),
    Column("last_signal_id", Integer, nullable=False),
    # Positive signals older than this are left out (hides and "less" never are).
    Column("horizon", DateTime(timezone=True), nullable=False),
    # JSON: {"signals": [[story id, kind, value, microseconds since the epoch], ...]}
    Column("state", Text, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

# --- How many signals each reader sent in their current window, for every worker (0006) ---

signal_caps = Table(
    "signal_caps",
    metadata,
    Column(
        "reader_id",
        Integer,
        ForeignKey("readers.id", ondelete="CASCADE"),
        primary_key=True,
        autoincrement=False,
    ),
    # Wall-clock seconds since the epoch when the reader's current window began.
    Column("window_start", Float, nullable=False),
    Column("used", Integer, nullable=False),
)
