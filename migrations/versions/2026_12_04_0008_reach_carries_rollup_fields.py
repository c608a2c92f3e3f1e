"""scope_reach carries what the roadmap's rollup sums (team, due date) and the
connection of each item, so the roadmap reads its tallies from it. Existing rows
are filled from work_items, whose values they mirror.

Revision ID: d41a7e2c9b58
Revises: 9c4f2b7d3e01
Create Date: 2026-12-04 15:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "d41a7e2c9b58"
down_revision: str | None = "9c4f2b7d3e01"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Correlated subqueries rather than UPDATE ... FROM: the same statement on both databases.
BACKFILL = """
UPDATE scope_reach SET
  team = (SELECT w.team FROM work_items w WHERE w.id = scope_reach.item_id),
  due_date = (SELECT w.due_date FROM work_items w WHERE w.id = scope_reach.item_id),
  connection_id = (SELECT w.connection_id FROM work_items w WHERE w.id = scope_reach.item_id)
"""


def upgrade() -> None:
    with op.batch_alter_table("scope_reach") as batch:
        batch.add_column(sa.Column("team", sa.String(length=255), nullable=True))
        batch.add_column(sa.Column("due_date", sa.Date(), nullable=True))
        batch.add_column(sa.Column("connection_id", sa.Uuid(), nullable=True))
    op.execute(BACKFILL)
    with op.batch_alter_table("scope_reach") as batch:
        batch.alter_column("connection_id", existing_type=sa.Uuid(), nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("scope_reach") as batch:
        batch.drop_column("connection_id")
        batch.drop_column("due_date")
        batch.drop_column("team")
