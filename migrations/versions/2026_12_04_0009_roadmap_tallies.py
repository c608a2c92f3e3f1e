"""roadmap_tallies: each roadmap item's sums per connection and team, kept from
scope_reach so the roadmap reads them instead of adding up every reached ticket
per request. Filled from the counted rows of scope_reach that exist.

Revision ID: 5e0c3a9f71b4
Revises: d41a7e2c9b58
Create Date: 2026-12-04 18:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "5e0c3a9f71b4"
down_revision: str | None = "d41a7e2c9b58"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The sums app/roadmap/tallies.py makes, in SQL both databases run.
BACKFILL = """
INSERT INTO roadmap_tallies (
  roadmap_item_id, connection_id, team, tickets, done, estimated, points, points_done,
  unestimated_done, latest_due, in_progress, points_in_progress, unestimated_in_progress
)
SELECT
  roadmap_item_id, connection_id, COALESCE(team, ''), COUNT(*),
  SUM(CASE WHEN status_category = 'done' THEN 1 ELSE 0 END),
  COUNT(estimate),
  COALESCE(SUM(estimate), 0.0),
  COALESCE(SUM(CASE WHEN status_category = 'done' THEN estimate END), 0.0),
  SUM(CASE WHEN status_category = 'done' AND estimate IS NULL THEN 1 ELSE 0 END),
  MAX(due_date),
  SUM(CASE WHEN status_category = 'in_progress' THEN 1 ELSE 0 END),
  COALESCE(SUM(CASE WHEN status_category = 'in_progress' THEN estimate END), 0.0),
  SUM(CASE WHEN status_category = 'in_progress' AND estimate IS NULL THEN 1 ELSE 0 END)
FROM scope_reach
WHERE counted
GROUP BY roadmap_item_id, connection_id, COALESCE(team, '')
"""


def upgrade() -> None:
    op.create_table(
        "roadmap_tallies",
        sa.Column("roadmap_item_id", sa.Uuid(), nullable=False),
        sa.Column("connection_id", sa.Uuid(), nullable=False),
        sa.Column("team", sa.String(length=255), nullable=False),
        sa.Column("tickets", sa.Integer(), nullable=False),
        sa.Column("done", sa.Integer(), nullable=False),
        sa.Column("estimated", sa.Integer(), nullable=False),
        sa.Column("points", sa.Float(), nullable=False),
        sa.Column("points_done", sa.Float(), nullable=False),
        sa.Column("unestimated_done", sa.Integer(), nullable=False),
        sa.Column("latest_due", sa.Date(), nullable=True),
        sa.Column("in_progress", sa.Integer(), nullable=False),
        sa.Column("points_in_progress", sa.Float(), nullable=False),
        sa.Column("unestimated_in_progress", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(
            "roadmap_item_id", "connection_id", "team", name=op.f("pk_roadmap_tallies")
        ),
    )
    op.execute(BACKFILL)


def downgrade() -> None:
    op.drop_table("roadmap_tallies")
