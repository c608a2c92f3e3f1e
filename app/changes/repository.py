"""The SQL of the changes feed: item_events with their items, newest first."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.changes.cursor import ChangeCursor, newest_first_window
from app.models import Connection, ItemEvent, WorkItem

# Bookkeeping that changes with every edit: not news of its own.
QUIET_FIELDS = ("updated_at",)


@dataclass(frozen=True)
class ChangeFilters:
    since: datetime | None = None
    until: datetime | None = None
    team: str | None = None
    connection: str | None = None
    field: str | None = None
    origin: str | None = None


async def newest_changes(
    session: AsyncSession, filters: ChangeFilters, after: ChangeCursor | None, limit: int
) -> list[tuple[ItemEvent, WorkItem, Connection]]:
    query = (
        select(ItemEvent, WorkItem, Connection)
        .join(WorkItem, WorkItem.id == ItemEvent.item_id)
        .join(Connection, Connection.id == WorkItem.connection_id)
        .where(Connection.removed_at.is_(None))
        .limit(limit)
    )
    if filters.field is None:
        query = query.where(ItemEvent.field.not_in(QUIET_FIELDS))
    for column, value in (
        (ItemEvent.field, filters.field),
        (ItemEvent.origin, filters.origin),
        (WorkItem.team, filters.team),
        (Connection.name, filters.connection),
    ):
        if value is not None:
            query = query.where(column == value)
    query = newest_first_window(
        query, ItemEvent.at, ItemEvent.id, since=filters.since, until=filters.until, after=after
    )
    return [(event, item, owner) for event, item, owner in await session.execute(query)]
