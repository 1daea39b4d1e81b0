"""Readers' signal caps: how many reading signals each reader sent in their current window.

``signal_caps`` holds one row per reader that has sent signals: when their current window
began (wall-clock seconds since the epoch) and how many signals they sent in it. The web app
counts each signal with one atomic upsert (``herald.store.signal_caps``), so that the cap holds
across every web worker process, not per process. No row is needed: one is made on a reader's
first signal.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "signal_caps",
        sa.Column(
            "reader_id",
            sa.Integer(),
            sa.ForeignKey("readers.id", ondelete="CASCADE"),
            primary_key=True,
            autoincrement=False,
        ),
        sa.Column("window_start", sa.Float(), nullable=False),
        sa.Column("used", sa.Integer(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("signal_caps")
