"""Articles' kind: news, opinion or review, as the publisher says (``herald.extract.kind``).

The writers take sentences from news only; opinion pieces and reviews stay in a story's
coverage, labelled. Articles stored before this revision are news until their page is
extracted again.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # plain ALTER TABLE on both databases: a batch copy of the table on SQLite would drop the
    # search index's triggers (0004)
    op.add_column(
        "articles", sa.Column("kind", sa.String(length=16), nullable=False, server_default="news")
    )


def downgrade() -> None:
    op.execute("ALTER TABLE articles DROP COLUMN kind")  # SQLite 3.35+, PostgreSQL
