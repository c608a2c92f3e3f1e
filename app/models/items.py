"""work_items (the normalized store) and item_events (their field-level history)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import BigInteger, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, JSONType, utcnow

# SQLite only auto-increments a column declared exactly INTEGER PRIMARY KEY.
BigIntegerKey = BigInteger().with_variant(Integer(), "sqlite")


class WorkItem(Base):
    __tablename__ = "work_items"

    # Derived from (connection, external id): see app/items/identity.py.
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    connection_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("connections.id"))
    source: Mapped[str] = mapped_column(String(32))
    external_id: Mapped[str] = mapped_column(String(255))
    key: Mapped[str] = mapped_column(String(255))
    scope: Mapped[str | None] = mapped_column(String(1024))
    url: Mapped[str | None] = mapped_column(String(2048))
    kind: Mapped[str] = mapped_column(String(32))
    title: Mapped[str] = mapped_column(Text)
    description: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(255))
    status_category: Mapped[str] = mapped_column(String(32))
    team: Mapped[str | None] = mapped_column(String(255))
    project: Mapped[str | None] = mapped_column(String(255))
    assignees: Mapped[list[str]] = mapped_column(JSONType)
    labels: Mapped[list[str]] = mapped_column(JSONType)
    estimate: Mapped[float | None] = mapped_column(Float)
    priority: Mapped[str | None] = mapped_column(String(255))
    start_date: Mapped[date | None]
    due_date: Mapped[date | None]
    parent_id: Mapped[uuid.UUID | None]
    sprint: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime | None]
    updated_at: Mapped[datetime]
    closed_at: Mapped[datetime | None]
    source_updated_at: Mapped[datetime]
    raw: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    deleted_at: Mapped[datetime | None]
    first_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_written_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        UniqueConstraint("connection_id", "external_id"),
        Index("ix_work_items_connection_id_scope", "connection_id", "scope"),
        Index("ix_work_items_updated_at_id", "updated_at", "id"),
        Index("ix_work_items_parent_id", "parent_id"),
        Index("ix_work_items_key", "key"),
        Index("ix_work_items_url", "url"),
        Index("ix_work_items_closed_at", "closed_at"),
        Index("ix_work_items_kind", "kind"),  # the few roadmap items among the tickets
        # The dashboard's and the API's usual listing: one team's open work, newest first.
        Index("ix_work_items_team_status_updated", "team", "status_category", "updated_at", "id"),
    )


class ItemEvent(Base):
    """One observed change of one field of one item. Append-only."""

    __tablename__ = "item_events"

    id: Mapped[int] = mapped_column(BigIntegerKey, primary_key=True, autoincrement=True)
    item_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("work_items.id"))
    field: Mapped[str] = mapped_column(String(64))
    old: Mapped[Any] = mapped_column(JSONType, nullable=True)
    new: Mapped[Any] = mapped_column(JSONType, nullable=True)
    # When the vendor says the change happened (its version time), not when we saw it.
    at: Mapped[datetime]
    origin: Mapped[str] = mapped_column(String(32))
    # The vendor's id of a change it recorded itself (origin vendor_changelog): such a
    # change is kept once however often it is read. NULL for changes we observed.
    change_id: Mapped[str | None] = mapped_column(String(255))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        Index("ix_item_events_item_id_id", "item_id", "id"),
        Index("ux_item_events_item_id_change_id", "item_id", "change_id", unique=True),
        Index("ix_item_events_at", "at"),
    )
