"""/api/v1/roadmap: thin routes over app/roadmap/service.py."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated

from fastapi import APIRouter, Query

from app.deps import SessionDep
from app.errors import Unprocessable
from app.roadmap import service
from app.roadmap.schemas import RoadmapRead

router = APIRouter(prefix="/roadmap", tags=["roadmap"])


@router.get("")
async def get_roadmap(
    session: SessionDep,
    connection: str | None = None,
    team: str | None = None,
    as_of: Annotated[
        date | None, Query(description="the roadmap as it was at the end of this day (UTC)")
    ] = None,
) -> RoadmapRead:
    """Roadmap items (soonest target date first) with their rollups."""
    today = datetime.now(UTC).date()
    if as_of is not None and as_of > today:
        raise Unprocessable(f"as_of {as_of} is in the future: the roadmap has no history there")
    return await service.roadmap(
        session, connection=connection, team=team, today=today, as_of=as_of
    )
