"""The SQL of the digest: the history of a period, for the tickets and roadmap
items it is about."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import defer

from app.items.sql import chunked, id_in
from app.models import ItemEvent, WorkItem
from app.models.base import table_of

events = table_of(ItemEvent)


@dataclass(frozen=True)
class Change:
    item_id: uuid.UUID
    at: datetime
    old: Any
    new: Any


class DigestRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def changes(
        self, ids: Collection[uuid.UUID], field: str, since: datetime, until: datetime
    ) -> list[Change]:
        """Every change of `field` of these items in (since, until], oldest first.
        Read by time (an index), not by item: a period's changes are far fewer than
        the items a roadmap reaches, so the cost follows the activity, not the store."""
        query = (
            select(events.c.item_id, events.c.at, events.c.old, events.c.new)
            .where(
                events.c.field == field,
                events.c.at > since,  # the state at `since` includes its own changes
                events.c.at <= until,
            )
            .order_by(events.c.at, events.c.id)
        )
        return [Change(*row) for row in await self.session.execute(query) if row.item_id in ids]

    async def items(self, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, WorkItem]:
        """Each of these items, deleted ones included."""
        found: dict[uuid.UUID, WorkItem] = {}
        for chunk in chunked(ids):
            query = (
                select(WorkItem)
                .where(id_in(self.session, table_of(WorkItem).c.id, chunk))
                .options(defer(WorkItem.raw, raiseload=True))
            )
            for item in (await self.session.execute(query)).scalars():
                found[item.id] = item
        return found
