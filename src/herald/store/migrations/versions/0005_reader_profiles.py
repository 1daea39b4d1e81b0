"""Readers' profiles: what the feed reads of a reader's signals, kept in one row per reader.

``reader_profiles`` holds, per reader, the signals the feed learns from (the positive ones
since ``horizon`` and the hides and "less like this" of any age, newest first, as compact
JSON), written in the same transaction as each new signal, so that a feed request reads one
row by primary key instead of the reader's signals joined with their stories. ``version``
counts the row's rewrites; ``signal_count`` and ``last_signal_id`` are those of all the
reader's signals when the row was written: a row that no longer matches the ``signals`` table
(signals moved by merging two readers, say) is rebuilt. No row is needed: one is built on the
first feed of a reader with signals (existing readers get theirs that way).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "reader_profiles",
        sa.Column(
            "reader_id",
            sa.Integer(),
            sa.ForeignKey("readers.id", ondelete="CASCADE"),
            primary_key=True,
            autoincrement=False,
        ),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("signal_count", sa.Integer(), nullable=False),
        sa.Column("last_signal_id", sa.Integer(), nullable=False),
        sa.Column("horizon", sa.DateTime(timezone=True), nullable=False),
        sa.Column("state", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("reader_profiles")
