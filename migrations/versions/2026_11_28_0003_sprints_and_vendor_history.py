"""Sprints on work items; vendor-recorded changes kept once per vendor change id.

Revision ID: 3c8e51f0d2a7
Revises: 7931905a4cb1
Create Date: 2026-11-28 20:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "3c8e51f0d2a7"
down_revision: str | None = "7931905a4cb1"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("work_items") as batch:
        batch.add_column(sa.Column("sprint", sa.String(length=255), nullable=True))
    with op.batch_alter_table("item_events") as batch:
        batch.add_column(sa.Column("change_id", sa.String(length=255), nullable=True))
        batch.create_index(
            "ux_item_events_item_id_change_id", ["item_id", "change_id"], unique=True
        )


def downgrade() -> None:
    with op.batch_alter_table("item_events") as batch:
        batch.drop_index("ux_item_events_item_id_change_id")
        batch.drop_column("change_id")
    with op.batch_alter_table("work_items") as batch:
        batch.drop_column("sprint")
