"""The SQL of the scope-changes feed: scope_changes with their items' keys, newest first."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from app.changes.cursor import ChangeCursor
from app.models import ScopeChange, WorkItem


@dataclass(frozen=True)
class ChangeFilters:
    roadmap_item: uuid.UUID | None = None
    since: datetime | None = None
    until: datetime | None = None
    type: str | None = None


async def newest_changes(
    session: AsyncSession, filters: ChangeFilters, after: ChangeCursor | None, limit: int
) -> list[tuple[ScopeChange, str | None, str | None]]:
    """(change, roadmap item's key, ticket's key), newest first by when it happened."""
    root, ticket = aliased(WorkItem), aliased(WorkItem)
    query = (
        select(ScopeChange, root.key, ticket.key)
        .outerjoin(root, root.id == ScopeChange.roadmap_item_id)
        .outerjoin(ticket, ticket.id == ScopeChange.ticket_id)
        .order_by(ScopeChange.at.desc(), ScopeChange.id.desc())
        .limit(limit)
    )
    if filters.roadmap_item is not None:
        query = query.where(ScopeChange.roadmap_item_id == filters.roadmap_item)
    if filters.type is not None:
        query = query.where(ScopeChange.type == filters.type)
    if filters.since is not None:
        query = query.where(ScopeChange.at >= filters.since)
    if filters.until is not None:
        query = query.where(ScopeChange.at < filters.until)
    if after is not None:
        query = query.where(
            or_(
                ScopeChange.at < after.at,
                and_(ScopeChange.at == after.at, ScopeChange.id < after.event_id),
            )
        )
    return [(change, a, b) for change, a, b in await session.execute(query)]
