"""Sync leases: at most one sync of a connection at a time, across processes.

Revision ID: 7931905a4cb1
Revises: aa0477e18b65
Create Date: 2026-11-28 18:32:22.887913
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "7931905a4cb1"
down_revision: str | None = "aa0477e18b65"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "sync_leases",
        sa.Column("connection_id", sa.Uuid(), nullable=False),
        sa.Column("holder", sa.String(length=255), nullable=False),
        sa.Column("run_id", sa.Uuid(), nullable=True),
        sa.Column("acquired_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["connection_id"],
            ["connections.id"],
            name=op.f("fk_sync_leases_connection_id_connections"),
        ),
        sa.PrimaryKeyConstraint("connection_id", name=op.f("pk_sync_leases")),
    )


def downgrade() -> None:
    op.drop_table("sync_leases")
