"""/api/v1/people: thin route over app/people/service.py."""

from __future__ import annotations

from fastapi import APIRouter

from app.deps import SessionDep
from app.people import service
from app.people.schemas import PeopleList

router = APIRouter(prefix="/people", tags=["people"])


@router.get("")
async def list_people(session: SessionDep) -> PeopleList:
    """Everyone with open tickets, across tools, most points in progress first."""
    return await service.people(session)
