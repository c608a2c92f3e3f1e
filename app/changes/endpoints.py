"""/api/v1/changes: "what happened since Monday", across every tool."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query

from app.changes import service
from app.changes.repository import ChangeFilters
from app.changes.schemas import ChangePage
from app.deps import SessionDep
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
    return await service.changes(session, filters, limit=limit, cursor=cursor)
