"""/api/v1/changes: "what happened since Monday", across every tool."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query

from app.changes.cursor import ChangeCursor
from app.changes.repository import ChangeFilters, newest_changes
from app.changes.schemas import ChangePage, ChangeRead
from app.deps import SessionDep
from app.items.schemas import ItemRead
from app.schemas import assume_utc

router = APIRouter(prefix="/changes", tags=["changes"])
AnIsoTime = Annotated[datetime | None, Query(description="ISO 8601; UTC if no zone")]


@router.get("")
async def list_changes(
    session: SessionDep,
    since: AnIsoTime = None,
    until: AnIsoTime = None,
    team: str | None = None,
    connection: str | None = None,
    field: Annotated[
        str | None, Query(description="only this field; updated_at is shown only when asked")
    ] = None,
    origin: Annotated[str | None, Query(description="sync, webhook or vendor_changelog")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    cursor: str | None = None,
) -> ChangePage:
    """Field-level changes of every item, newest first (by when they happened)."""
    filters = ChangeFilters(
        since=assume_utc(since), until=assume_utc(until), team=team, connection=connection,
        field=field, origin=origin,
    )  # fmt: skip
    after = ChangeCursor.decode(cursor) if cursor else None
    rows = await newest_changes(session, filters, after, limit + 1)
    changes = [
        ChangeRead(at=event.at, item=ItemRead.of(item, owner), field=event.field,
                   old=event.old, new=event.new, origin=event.origin)
        for event, item, owner in rows[:limit]
    ]  # fmt: skip
    next_cursor = None
    if len(rows) > limit:
        last = rows[limit - 1][0]
        next_cursor = ChangeCursor(last.at, last.id).encode()
    return ChangePage(changes=changes, next_cursor=next_cursor)
