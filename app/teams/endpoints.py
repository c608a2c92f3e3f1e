"""/api/v1/teams: thin routes over app/teams/service.py."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter

from app.deps import SessionDep
from app.teams import service
from app.teams.schemas import TeamDetail, TeamList

router = APIRouter(prefix="/teams", tags=["teams"])


@router.get("")
async def list_teams(session: SessionDep) -> TeamList:
    """Every team with tickets: by status, work in progress, weekly throughput over
    the last six full weeks, and how many roadmap items its tickets deliver."""
    return await service.teams(session, datetime.now(UTC).date())


@router.get("/{team}")
async def get_team(team: str, session: SessionDep) -> TeamDetail:
    """One team, with the roadmap items it delivers to."""
    return await service.team(session, team, datetime.now(UTC).date())
