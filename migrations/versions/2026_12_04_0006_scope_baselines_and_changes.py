"""Scope tracking: baselines of roadmap items, their observed fields, what each
reaches (its tickets with their estimates), and the scope changes detected.

Revision ID: 8b3e6f1a2c90
Revises: 7b1d4e9a2c60
Create Date: 2026-12-04 14:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "8b3e6f1a2c90"
down_revision: str | None = "7b1d4e9a2c60"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON(none_as_null=True).with_variant(postgresql.JSONB(none_as_null=True), "postgresql")
BIG_KEY = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "scope_baselines",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("roadmap_item_id", sa.Uuid(), nullable=False),
        sa.Column("taken_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.String(length=32), nullable=False),
        sa.Column("tickets", JSON, nullable=False),
        sa.Column("ticket_count", sa.Integer(), nullable=False),
        sa.Column("points", sa.Float(), nullable=False),
        sa.Column("target_date", sa.Date(), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("description_hash", sa.String(length=64), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scope_baselines")),
    )
    op.create_index(
        "ix_scope_baselines_roadmap_item_id_taken_at",
        "scope_baselines",
        ["roadmap_item_id", "taken_at"],
    )
    op.create_table(
        "scope_states",
        sa.Column("roadmap_item_id", sa.Uuid(), nullable=False),
        sa.Column("status_category", sa.String(length=32), nullable=False),
        sa.Column("target_date", sa.Date(), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("description_hash", sa.String(length=64), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("roadmap_item_id", name=op.f("pk_scope_states")),
    )
    op.create_table(
        "scope_reach",
        sa.Column("roadmap_item_id", sa.Uuid(), nullable=False),
        sa.Column("item_id", sa.Uuid(), nullable=False),
        sa.Column("counted", sa.Boolean(), nullable=False),
        sa.Column("estimate", sa.Float(), nullable=True),
        sa.Column("status_category", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("roadmap_item_id", "item_id", name=op.f("pk_scope_reach")),
    )
    op.create_index("ix_scope_reach_item_id", "scope_reach", ["item_id"])
    op.create_table(
        "scope_changes",
        sa.Column("id", BIG_KEY, autoincrement=True, nullable=False),
        sa.Column("roadmap_item_id", sa.Uuid(), nullable=False),
        sa.Column("ticket_id", sa.Uuid(), nullable=True),
        sa.Column("type", sa.String(length=32), nullable=False),
        sa.Column("old", JSON, nullable=True),
        sa.Column("new", JSON, nullable=True),
        sa.Column("points_delta", sa.Float(), nullable=True),
        sa.Column("days", sa.Integer(), nullable=True),
        sa.Column("summary", sa.Text(), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scope_changes")),
    )
    op.create_index(
        "ux_scope_changes_roadmap_item_id_fingerprint",
        "scope_changes",
        ["roadmap_item_id", "fingerprint"],
        unique=True,
    )
    op.create_index(
        "ix_scope_changes_roadmap_item_id_at", "scope_changes", ["roadmap_item_id", "at"]
    )
    op.create_index("ix_scope_changes_at_id", "scope_changes", ["at", "id"])


def downgrade() -> None:
    op.drop_index("ix_scope_changes_at_id", table_name="scope_changes")
    op.drop_index("ix_scope_changes_roadmap_item_id_at", table_name="scope_changes")
    op.drop_index("ux_scope_changes_roadmap_item_id_fingerprint", table_name="scope_changes")
    op.drop_table("scope_changes")
    op.drop_index("ix_scope_reach_item_id", table_name="scope_reach")
    op.drop_table("scope_reach")
    op.drop_table("scope_states")
    op.drop_index("ix_scope_baselines_roadmap_item_id_taken_at", table_name="scope_baselines")
    op.drop_table("scope_baselines")
