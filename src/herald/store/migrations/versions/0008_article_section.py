"""Articles' section: the topic their publisher files them under (``herald.cluster.sections``).

From a page's ``article:section`` or ``articleSection``, else the feed entry's categories;
"" when they name no one topic. The cluster step counts it, with the sections of the
article's and its feed's addresses, towards its story's topic. Articles stored before this
revision have none until their page is extracted again.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # plain ALTER TABLE on both databases: a batch copy of the table on SQLite would drop the
    # search index's triggers (0004)
    op.add_column(
        "articles", sa.Column("section", sa.String(length=16), nullable=False, server_default="")
    )


def downgrade() -> None:
    op.execute("ALTER TABLE articles DROP COLUMN section")  # SQLite 3.35+, PostgreSQL
