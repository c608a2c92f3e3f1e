"""alert_targets (where notifications go), alert_states (what each target last
saw of each roadmap item), alerts (one notification each) and alert_attempts
(every try to deliver one)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, JSONType, utcnow
from app.models.items import BigIntegerKey


class AlertTarget(Base):
    __tablename__ = "alert_targets"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    url: Mapped[str] = mapped_column(String(2048))
    # The signing secret, sealed like connection credentials (app/credentials.py).
    secret: Mapped[bytes] = mapped_column(LargeBinary)
    team: Mapped[str | None] = mapped_column(String(255))
    roadmap_item_id: Mapped[uuid.UUID | None]
    creep_threshold_pct: Mapped[float] = mapped_column(default=10.0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Removed targets stay, so the alerts sent to them keep their history.
    removed_at: Mapped[datetime | None]


class AlertState(Base):
    """The last value one target saw of one kind of one roadmap item: an alert
    goes out when it crosses, once, not on every evaluation."""

    __tablename__ = "alert_states"

    target_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("alert_targets.id"), primary_key=True)
    roadmap_item_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32), primary_key=True)
    state: Mapped[str] = mapped_column(String(64))
    observed_at: Mapped[datetime] = mapped_column(default=utcnow)


class Alert(Base):
    __tablename__ = "alerts"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    target_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("alert_targets.id"))
    roadmap_item_id: Mapped[uuid.UUID]
    kind: Mapped[str] = mapped_column(String(32))  # creep, target_date_moved, at_risk
    payload: Mapped[dict[str, Any]] = mapped_column(JSONType)  # the body, sent as it is
    status: Mapped[str] = mapped_column(String(16), default="pending")  # sent, failed
    attempts: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]

    __table_args__ = (
        Index("ix_alerts_status_next_attempt_at", "status", "next_attempt_at"),
        Index("ix_alerts_created_at", "created_at"),
    )


class AlertAttempt(Base):
    __tablename__ = "alert_attempts"

    id: Mapped[int] = mapped_column(BigIntegerKey, primary_key=True, autoincrement=True)
    alert_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("alerts.id"))
    at: Mapped[datetime]
    status_code: Mapped[int | None]
    error: Mapped[str | None] = mapped_column(Text)
    ok: Mapped[bool]

    __table_args__ = (Index("ix_alert_attempts_alert_id", "alert_id"),)
