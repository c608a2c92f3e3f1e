"""Item mentions (what texts and labels name), and lookups of items by key and URL.

Revision ID: 5d2f7a9c1e44
Revises: 3c8e51f0d2a7
Create Date: 2026-11-28 21:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "5d2f7a9c1e44"
down_revision: str | None = "3c8e51f0d2a7"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "item_mentions",
        sa.Column("item_id", sa.Uuid(), nullable=False),
        sa.Column("mention", sa.String(length=2048), nullable=False),
        sa.Column("origin", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("item_id", "mention", "origin", name=op.f("pk_item_mentions")),
    )
    op.create_index("ix_item_mentions_mention", "item_mentions", ["mention"])
    op.create_index("ix_work_items_key", "work_items", ["key"])
    op.create_index("ix_work_items_url", "work_items", ["url"])


def downgrade() -> None:
    op.drop_index("ix_work_items_url", table_name="work_items")
    op.drop_index("ix_work_items_key", table_name="work_items")
    op.drop_index("ix_item_mentions_mention", table_name="item_mentions")
    op.drop_table("item_mentions")
