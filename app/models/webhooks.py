"""webhook_deliveries: the durable inbox. A delivery is stored before it is answered."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, JSONType, utcnow


class WebhookDelivery(Base):
    __tablename__ = "webhook_deliveries"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    connection_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("connections.id"))
    delivery_id: Mapped[str] = mapped_column(String(255))
    event: Mapped[str | None] = mapped_column(String(128))
    headers: Mapped[dict[str, str]] = mapped_column(JSONType)
    body: Mapped[bytes] = mapped_column(LargeBinary)
    status: Mapped[str] = mapped_column(String(16), default="pending")  # see app/webhooks/inbox.py
    attempts: Mapped[int] = mapped_column(default=0)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    processed_at: Mapped[datetime | None]
    detail: Mapped[str | None] = mapped_column(Text)  # why it was ignored, or its last error

    __table_args__ = (
        UniqueConstraint("connection_id", "delivery_id"),
        Index("ix_webhook_deliveries_status_next_attempt_at", "status", "next_attempt_at"),
    )
