"""Items found by kind (the roadmap's items among a million), and listed by team
and status category newest first, without scanning the rest.

Revision ID: 7b1d4e9a2c60
Revises: 5d2f7a9c1e44
Create Date: 2026-12-03 21:40:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "7b1d4e9a2c60"
down_revision: str | None = "5d2f7a9c1e44"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_work_items_kind", "work_items", ["kind"])
    op.create_index(
        "ix_work_items_team_status_updated",
        "work_items",
        ["team", "status_category", "updated_at", "id"],
    )


def downgrade() -> None:
    op.drop_index("ix_work_items_team_status_updated", table_name="work_items")
    op.drop_index("ix_work_items_kind", table_name="work_items")
