"""sync_runs (one row per run, updated as it goes) and cursors (resume points)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, utcnow


class SyncRun(Base):
    __tablename__ = "sync_runs"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    connection_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("connections.id"))
    status: Mapped[str] = mapped_column(String(16))  # running, succeeded, failed
    full: Mapped[bool] = mapped_column(default=False)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]
    fetched: Mapped[int] = mapped_column(default=0)
    created: Mapped[int] = mapped_column(default=0)
    updated: Mapped[int] = mapped_column(default=0)
    unchanged: Mapped[int] = mapped_column(default=0)
    stale: Mapped[int] = mapped_column(default=0)
    deleted: Mapped[int] = mapped_column(default=0)
    requests: Mapped[int] = mapped_column(default=0)
    error: Mapped[str | None] = mapped_column(Text)
    failure_type: Mapped[str | None] = mapped_column(String(32))

    __table_args__ = (
        Index("ix_sync_runs_connection_id_started_at", "connection_id", "started_at"),
    )


class SyncCursor(Base):
    __tablename__ = "cursors"

    connection_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("connections.id"), primary_key=True)
    scope: Mapped[str] = mapped_column(String(1024), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class SyncLease(Base):
    """Who may sync a connection right now. Held while a run goes on, renewed by
    its heartbeat; a lease past expires_at belongs to a dead worker and is taken over."""

    __tablename__ = "sync_leases"

    connection_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("connections.id"), primary_key=True)
    holder: Mapped[str] = mapped_column(String(255))  # host:pid:nonce of the process
    run_id: Mapped[uuid.UUID | None]
    acquired_at: Mapped[datetime]
    expires_at: Mapped[datetime]
