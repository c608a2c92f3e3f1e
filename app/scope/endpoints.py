"""/api/v1/scope-changes and /api/v1/roadmap/{id}/baseline: thin routes over
app/scope/service.py."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, status

from app.deps import SessionDep
from app.errors import Unprocessable
from app.schemas import assume_utc
from app.scope import service
from app.scope.repository import ChangeFilters
from app.scope.schemas import BaselineRead, ChangeType, ScopeChangePage

router = APIRouter(tags=["scope"])
AnIsoTime = Annotated[datetime | None, Query(description="ISO 8601; UTC if no zone")]
ERROR: dict[str, Any] = {"content": {"application/json": {"example": {"detail": "..."}}}}


@router.get(
    "/scope-changes",
    responses={400: {"description": "invalid cursor", **ERROR},
               422: {"description": "invalid parameters", **ERROR}},
)  # fmt: skip
async def list_scope_changes(
    session: SessionDep,
    roadmap_item: Annotated[uuid.UUID | None, Query(description="a roadmap item's id")] = None,
    since: AnIsoTime = None,
    until: AnIsoTime = None,
    type: Annotated[ChangeType | None, Query(description="only this type of change")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    cursor: str | None = None,
) -> ScopeChangePage:
    """Scope changes of roadmap items, newest first (by when they happened in their tool)."""
    since, until = assume_utc(since), assume_utc(until)
    if since is not None and until is not None and until < since:
        raise Unprocessable(f"until ({until.isoformat()}) is before since ({since.isoformat()})")
    filters = ChangeFilters(roadmap_item=roadmap_item, since=since, until=until, type=type)
    return await service.list_changes(session, filters, cursor, limit)


@router.post(
    "/roadmap/{item_id}/baseline",
    status_code=status.HTTP_201_CREATED,
    responses={404: {"description": "no such item", **ERROR},
               422: {"description": "the item is not a roadmap item", **ERROR}},
)  # fmt: skip
async def take_baseline(item_id: str, session: SessionDep) -> BaselineRead:
    """Set the roadmap item's baseline to its scope now; older baselines are kept."""
    return await service.take_baseline(session, item_id)
