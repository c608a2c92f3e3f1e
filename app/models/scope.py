"""Scope tracking: baselines of roadmap items, their observed scope now, and the
changes between the two (app/scope/)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import Float, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, JSONType, utcnow
from app.models.items import BigIntegerKey


class ScopeBaseline(Base):
    """A roadmap item's scope as committed at one moment. Re-baselining adds a row:
    the newest one is what metrics compare against, the older ones are history."""

    __tablename__ = "scope_baselines"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    roadmap_item_id: Mapped[uuid.UUID]
    taken_at: Mapped[datetime]
    reason: Mapped[str] = mapped_column(String(32))  # committed, target_date, manual
    # {ticket id: estimate or null}: the tickets in scope then.
    tickets: Mapped[dict[str, Any]] = mapped_column(JSONType)
    ticket_count: Mapped[int] = mapped_column(Integer)
    points: Mapped[float] = mapped_column(Float)  # the sum of the known estimates
    target_date: Mapped[date | None]
    description: Mapped[str | None] = mapped_column(Text)
    description_hash: Mapped[str | None] = mapped_column(String(64))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        Index("ix_scope_baselines_roadmap_item_id_taken_at", "roadmap_item_id", "taken_at"),
    )


class ScopeState(Base):
    """What detection last saw of a roadmap item's own fields: the next ingest that
    touches the item is compared against it. One row per roadmap item; its tickets
    are its rows in scope_reach."""

    __tablename__ = "scope_states"

    roadmap_item_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    status_category: Mapped[str] = mapped_column(String(32))
    target_date: Mapped[date | None]
    description: Mapped[str | None] = mapped_column(Text)
    description_hash: Mapped[str | None] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class ScopeReach(Base):
    """Every item (ticket, epic...) a roadmap item reached when its scope was last
    computed, with what detection compares: the way back from a changed item to the
    roadmap items it was part of (even after the link that tied them is gone), and
    one row per ticket of the scope, so a changed ticket is compared alone. It also
    carries what the roadmap's rollup sums (team, due date), so the roadmap reads
    its tallies here instead of walking the links per request."""

    __tablename__ = "scope_reach"

    roadmap_item_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    item_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    # In scope: a live ticket of a live connection, not cancelled.
    counted: Mapped[bool]
    estimate: Mapped[float | None] = mapped_column(Float)
    status_category: Mapped[str] = mapped_column(String(32))
    team: Mapped[str | None] = mapped_column(String(255))
    due_date: Mapped[date | None]
    # Never changes for an item; the rollup leaves out items of removed connections.
    connection_id: Mapped[uuid.UUID]

    __table_args__ = (Index("ix_scope_reach_item_id", "item_id"),)


class RoadmapTally(Base):
    """What a roadmap item's counted rows in scope_reach add up to, per connection
    and team: rewritten wherever scope_reach is written, in the same transaction,
    so the roadmap reads thousands of items' sums by index instead of adding up
    their reached tickets on every request. Per connection, so that the tickets of
    a removed connection drop out of the sums at once."""

    __tablename__ = "roadmap_tallies"

    roadmap_item_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    connection_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    # "" for no team (a key column cannot be null; a missing and an empty team are one).
    team: Mapped[str] = mapped_column(String(255), primary_key=True)
    tickets: Mapped[int] = mapped_column(Integer)
    done: Mapped[int] = mapped_column(Integer)
    estimated: Mapped[int] = mapped_column(Integer)
    points: Mapped[float] = mapped_column(Float)
    points_done: Mapped[float] = mapped_column(Float)
    unestimated_done: Mapped[int] = mapped_column(Integer)
    latest_due: Mapped[date | None]
    in_progress: Mapped[int] = mapped_column(Integer)
    points_in_progress: Mapped[float] = mapped_column(Float)
    unestimated_in_progress: Mapped[int] = mapped_column(Integer)


class ScopeChange(Base):
    """One change of a roadmap item's scope, at the time it happened in its tool."""

    __tablename__ = "scope_changes"

    id: Mapped[int] = mapped_column(BigIntegerKey, primary_key=True, autoincrement=True)
    roadmap_item_id: Mapped[uuid.UUID]
    ticket_id: Mapped[uuid.UUID | None]
    type: Mapped[str] = mapped_column(String(32))
    old: Mapped[Any] = mapped_column(JSONType, nullable=True)
    new: Mapped[Any] = mapped_column(JSONType, nullable=True)
    points_delta: Mapped[float | None] = mapped_column(Float)
    days: Mapped[int | None] = mapped_column(Integer)
    summary: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime]
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)
    # A digest of (type, ticket, at, old, new): the same change recorded twice is kept once.
    fingerprint: Mapped[str] = mapped_column(String(64))

    __table_args__ = (
        Index(
            "ux_scope_changes_roadmap_item_id_fingerprint",
            "roadmap_item_id",
            "fingerprint",
            unique=True,
        ),
        Index("ix_scope_changes_roadmap_item_id_at", "roadmap_item_id", "at"),
        Index("ix_scope_changes_at_id", "at", "id"),
    )
