"""A canonical article address is stored once, across all sources.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

WHERE = sa.text("canonical_url <> ''")


def upgrade() -> None:
    op.create_index(
        "uq_articles_canonical_url",
        "articles",
        ["canonical_url"],
        unique=True,
        sqlite_where=WHERE,
        postgresql_where=WHERE,
    )


def downgrade() -> None:
    op.drop_index("uq_articles_canonical_url", table_name="articles")
