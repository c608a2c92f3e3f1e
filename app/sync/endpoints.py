"""POST /api/v1/connections/{name}/sync (202) and GET /api/v1/sync-runs."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, status
from fastapi.responses import JSONResponse

from app.deps import SessionDep
from app.sync.runs import recent_runs
from app.sync.schemas import SyncRunRead
from app.sync.starter import start_sync

router = APIRouter(tags=["sync"])


@router.post("/connections/{name}/sync", status_code=status.HTTP_202_ACCEPTED)
async def sync_now(name: str, request: Request, full: bool = False) -> JSONResponse:
    """Start a sync in the background; a sync already running is returned instead."""
    run = await start_sync(request.app.state, name, full=full)
    return JSONResponse({"run": run.model_dump(mode="json")}, status.HTTP_202_ACCEPTED)


@router.get("/sync-runs")
async def list_runs(
    session: SessionDep,
    connection: str | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> dict[str, list[SyncRunRead]]:
    return {"runs": await recent_runs(session, connection, limit)}
