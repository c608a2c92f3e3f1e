"""POST /api/v1/connections/{name}/sync (202) and GET /api/v1/sync-runs."""

from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import APIRouter, Query, Request, status
from fastapi.responses import JSONResponse

from app.config import Settings
from app.connections.repository import ConnectionRepository
from app.credentials import CredentialVault
from app.db import Database
from app.deps import SessionDep
from app.errors import Conflict, NotFound
from app.sync.repository import SyncRunRepository
from app.sync.schemas import SyncRunRead
from app.sync.service import AlreadyRunning, begin_sync, execute_sync

router = APIRouter(tags=["sync"])


@router.post("/connections/{name}/sync", status_code=status.HTTP_202_ACCEPTED)
async def sync_now(name: str, request: Request, full: bool = False) -> JSONResponse:
    """Start a sync in the background; a sync already running is returned instead."""
    state = request.app.state
    database: Database = state.database
    vault: CredentialVault = state.vault
    settings: Settings = state.settings
    try:
        target = await begin_sync(
            database, vault, name, full=full, lease_seconds=settings.lease_seconds
        )
    except AlreadyRunning as running:
        if running.run is None:
            raise Conflict(f"a sync of {name} is running in another process") from None
        return JSONResponse({"run": running.run.model_dump(mode="json")}, status.HTTP_202_ACCEPTED)
    task = asyncio.create_task(execute_sync(database, target, http=state.http))
    state.sync_tasks.add(task)
    task.add_done_callback(state.sync_tasks.discard)
    async with database.job_session() as session:
        run = await SyncRunRepository(session).get(target.run_id)
        body = SyncRunRead.of(run, name).model_dump(mode="json")
    return JSONResponse({"run": body}, status.HTTP_202_ACCEPTED)


@router.get("/sync-runs")
async def list_runs(
    session: SessionDep,
    connection: str | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> dict[str, list[SyncRunRead]]:
    connection_id = None
    if connection is not None:
        found = await ConnectionRepository(session).live_by_name(connection)
        if found is None:
            raise NotFound(f"no connection named {connection!r}")
        connection_id = found.id
    runs = await SyncRunRepository(session).newest_first(connection_id, limit)
    names = await ConnectionRepository(session).names_by_id()
    return {"runs": [SyncRunRead.of(run, names.get(run.connection_id, "?")) for run in runs]}
