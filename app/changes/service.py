"""The changes feed: one page of field-level changes, newest first, and the cursor on."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from app.changes.cursor import ChangeCursor, cursor_past
from app.changes.repository import ChangeFilters, newest_changes
from app.changes.schemas import ChangePage, ChangeRead
from app.items.schemas import ItemRead


async def changes(
    session: AsyncSession, filters: ChangeFilters, *, limit: int, cursor: str | None
) -> ChangePage:
    after = ChangeCursor.decode(cursor) if cursor else None
    rows = await newest_changes(session, filters, after, limit + 1)
    page = [
        ChangeRead(at=event.at, item=ItemRead.of(item, owner), field=event.field,
                   old=event.old, new=event.new, origin=event.origin)
        for event, item, owner in rows[:limit]
    ]  # fmt: skip
    return ChangePage(changes=page, next_cursor=cursor_past(rows, limit))
