"""links: which item delivers which, with their history (created_at, removed_at)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Index, String
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, utcnow


class Link(Base):
    __tablename__ = "links"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    # No foreign keys: a vendor may name an item we have not ingested yet.
    source_item_id: Mapped[uuid.UUID]
    target_item_id: Mapped[uuid.UUID]
    kind: Mapped[str] = mapped_column(String(64))
    origin: Mapped[str] = mapped_column(String(32))  # vendor, parent, reference, manual, rule
    stated_by_item_id: Mapped[uuid.UUID | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    removed_at: Mapped[datetime | None]

    __table_args__ = (
        Index("ix_links_source_item_id", "source_item_id"),
        Index("ix_links_target_item_id", "target_item_id"),
        Index("ix_links_stated_by_item_id", "stated_by_item_id"),
    )


class ItemMention(Base):
    """What an item's text or labels name (a key such as PAY-12, `owner/repo#N`, an
    item's URL), kept so that an item ingested later finds who named it without
    searching every description."""

    __tablename__ = "item_mentions"

    item_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    mention: Mapped[str] = mapped_column(String(2048), primary_key=True)
    origin: Mapped[str] = mapped_column(String(32), primary_key=True)  # reference, rule

    __table_args__ = (Index("ix_item_mentions_mention", "mention"),)
