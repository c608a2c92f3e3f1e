"""/api/v1/roadmap: thin routes over app/roadmap/service.py."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter

from app.deps import SessionDep
from app.roadmap import service
from app.roadmap.schemas import RoadmapRead

router = APIRouter(prefix="/roadmap", tags=["roadmap"])


@router.get("")
async def get_roadmap(
    session: SessionDep, connection: str | None = None, team: str | None = None
) -> RoadmapRead:
    """Roadmap items (soonest target date first) with their rollups."""
    today = datetime.now(UTC).date()
    return await service.roadmap(session, connection=connection, team=team, today=today)
