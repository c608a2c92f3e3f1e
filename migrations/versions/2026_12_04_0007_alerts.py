"""Alerts: notification targets, what each last saw of each roadmap item, the
alerts themselves and every attempt to deliver one.

Revision ID: 9c4f2b7d3e01
Revises: 8b3e6f1a2c90
Create Date: 2026-12-04 14:25:56
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "9c4f2b7d3e01"
down_revision: str | None = "8b3e6f1a2c90"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON(none_as_null=True).with_variant(postgresql.JSONB(none_as_null=True), "postgresql")
BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _when(name: str, nullable: bool = False) -> sa.Column[sa.DateTime]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "alert_targets",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("url", sa.String(length=2048), nullable=False),
        sa.Column("secret", sa.LargeBinary(), nullable=False),
        sa.Column("team", sa.String(length=255), nullable=True),
        sa.Column("roadmap_item_id", sa.Uuid(), nullable=True),
        sa.Column("creep_threshold_pct", sa.Double(), nullable=False),
        _when("created_at"),
        _when("removed_at", nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_targets")),
    )
    op.create_table(
        "alert_states",
        sa.Column("target_id", sa.Uuid(), nullable=False),
        sa.Column("roadmap_item_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("state", sa.String(length=64), nullable=False),
        _when("observed_at"),
        sa.ForeignKeyConstraint(
            ["target_id"],
            ["alert_targets.id"],
            name=op.f("fk_alert_states_target_id_alert_targets"),
        ),
        sa.PrimaryKeyConstraint(
            "target_id", "roadmap_item_id", "kind", name=op.f("pk_alert_states")
        ),
    )
    op.create_table(
        "alerts",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("target_id", sa.Uuid(), nullable=False),
        sa.Column("roadmap_item_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("payload", JSON, nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        _when("created_at"),
        _when("next_attempt_at"),
        _when("sent_at", nullable=True),
        sa.ForeignKeyConstraint(
            ["target_id"], ["alert_targets.id"], name=op.f("fk_alerts_target_id_alert_targets")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alerts")),
    )
    op.create_index("ix_alerts_created_at", "alerts", ["created_at"])
    op.create_index("ix_alerts_status_next_attempt_at", "alerts", ["status", "next_attempt_at"])
    op.create_table(
        "alert_attempts",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("alert_id", sa.Uuid(), nullable=False),
        _when("at"),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("ok", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["alert_id"], ["alerts.id"], name=op.f("fk_alert_attempts_alert_id_alerts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_attempts")),
    )
    op.create_index("ix_alert_attempts_alert_id", "alert_attempts", ["alert_id"])


def downgrade() -> None:
    op.drop_index("ix_alert_attempts_alert_id", table_name="alert_attempts")
    op.drop_table("alert_attempts")
    op.drop_index("ix_alerts_status_next_attempt_at", table_name="alerts")
    op.drop_index("ix_alerts_created_at", table_name="alerts")
    op.drop_table("alerts")
    op.drop_table("alert_states")
    op.drop_table("alert_targets")
