"""connections: one configured vendor account and what to pull from it."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Index, LargeBinary, String, text
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, JSONType, utcnow


class Connection(Base):
    __tablename__ = "connections"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    name: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(32))
    base_url: Mapped[str] = mapped_column(String(2048))
    scopes: Mapped[list[str]] = mapped_column(JSONType, default=list)
    team: Mapped[str | None] = mapped_column(String(255))
    interval_seconds: Mapped[int] = mapped_column(default=300)
    enabled: Mapped[bool] = mapped_column(default=True)
    # Vendor token and webhook secret, as one Fernet token (see app/secrets.py).
    secrets: Mapped[bytes | None] = mapped_column(LargeBinary)
    settings: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # Bumped by every ingest; the UPDATE also serializes ingests of one connection.
    write_seq: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    removed_at: Mapped[datetime | None]

    __table_args__ = (
        # Names are unique among live connections; a removed one frees its name.
        Index(
            "uq_connections_live_name",
            "name",
            unique=True,
            sqlite_where=text("removed_at IS NULL"),
            postgresql_where=text("removed_at IS NULL"),
        ),
    )
