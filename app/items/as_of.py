"""The store as it was at a past moment, rebuilt from history.

An item existed at T if its tool created it by T and it was not deleted by T;
a field's value at T is the `old` of its first change after T (or its value now,
if it has not changed since); a link was active at T if it was created at or
before T and not removed by then.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, Table, and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.items.plan import DELETED_FIELD
from app.items.sql import chunked, id_in
from app.models import ItemEvent
from app.models.base import table_of

events = table_of(ItemEvent)
DATE_FIELDS = frozenset({"start_date", "due_date"})


def existed_at(
    items: Table, moment: datetime, include_deleted: bool = False
) -> ColumnElement[bool]:
    """Created in its tool by then (or first seen by then, when its tool does not
    say), and not deleted by then unless `include_deleted`."""
    created = func.coalesce(items.c.created_at, items.c.first_seen_at) <= moment
    if include_deleted:
        return created
    return and_(created, or_(items.c.deleted_at.is_(None), items.c.deleted_at > moment))


def link_active_at(links: Table, moment: datetime) -> ColumnElement[bool]:
    return and_(
        links.c.created_at <= moment,
        or_(links.c.removed_at.is_(None), links.c.removed_at > moment),
    )


async def values_at(
    session: AsyncSession, ids: Sequence[uuid.UUID], fields: Sequence[str], moment: datetime
) -> dict[uuid.UUID, dict[str, Any]]:
    """Per item that changed after `moment`, the values its `fields` had then."""
    wanted = [field for field in fields if field != DELETED_FIELD]
    found: dict[uuid.UUID, dict[str, Any]] = {}
    for chunk in chunked(ids):
        query = (
            select(events.c.item_id, events.c.field, events.c.old)
            .where(
                id_in(session, events.c.item_id, chunk),
                events.c.field.in_(wanted),
                events.c.at > moment,
            )
            .order_by(events.c.at.desc(), events.c.id.desc())
        )
        for row in await session.execute(query):  # newest first: the last write is the earliest
            found.setdefault(row.item_id, {})[row.field] = _typed(row.field, row.old)
    return found


def _typed(field: str, value: Any) -> Any:
    """History keeps JSON; dates come back as dates."""
    if field in DATE_FIELDS and isinstance(value, str):
        return date.fromisoformat(value)
    return value
