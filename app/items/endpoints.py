"""/api/v1/items: thin routes over app/items/service.py."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, time
from typing import Annotated

from fastapi import APIRouter, Query

from app.deps import SessionDep
from app.errors import Unprocessable
from app.items import service
from app.items.repository import ItemFilters
from app.items.schemas import ItemDetail, ItemPage
from app.schemas import assume_utc
from connectors.base.kinds import KINDS
from connectors.base.records import ItemKind, StatusCategory

router = APIRouter(prefix="/items", tags=["items"])


@router.get("")
async def list_items(
    session: SessionDep,
    connection: str | None = None,
    source: str | None = None,
    kind: ItemKind | None = None,
    team: str | None = None,
    status_category: StatusCategory | None = None,
    assignee: str | None = None,
    label: str | None = None,
    sprint: str | None = None,
    updated_since: Annotated[datetime | None, Query(description="ISO 8601; UTC if no zone")] = None,
    q: Annotated[str | None, Query(description="text in the title or description")] = None,
    roadmap_item: Annotated[uuid.UUID | None, Query(description="items linked to it")] = None,
    include_deleted: bool = False,
    as_of: Annotated[
        date | None, Query(description="the items as they were at the end of this day (UTC)")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    cursor: str | None = None,
) -> ItemPage:
    if source is not None and source not in KINDS:
        raise Unprocessable(f"unknown source {source!r}: expected one of {', '.join(KINDS)}")
    updated_since = assume_utc(updated_since)
    filters = ItemFilters(
        connection=connection,
        source=source,
        kind=kind,
        team=team,
        status_category=status_category,
        assignee=assignee,
        label=label,
        sprint=sprint,
        updated_since=updated_since,
        q=q,
        roadmap_item=roadmap_item,
        include_deleted=include_deleted,
        as_of=_end_of(as_of),
    )
    return await service.list_items(session, filters, limit=limit, cursor=cursor)


def _end_of(day: date | None) -> datetime | None:
    if day is None:
        return None
    if day > datetime.now(UTC).date():
        raise Unprocessable(f"as_of {day} is in the future: there is no history there")
    return datetime.combine(day, time.max, tzinfo=UTC)


@router.get("/{item_id}")
async def get_item(item_id: str, session: SessionDep) -> ItemDetail:
    return await service.get_item(session, item_id)
