""" "Sync now": start a sync of one connection in the background of this process.
The API's POST /connections/{name}/sync and the dashboard's button share it."""

from __future__ import annotations

import asyncio

from starlette.datastructures import State

from app.config import Settings
from app.credentials import CredentialVault
from app.db import Database
from app.errors import Conflict
from app.sync.repository import SyncRunRepository
from app.sync.schemas import SyncRunRead
from app.sync.service import AlreadyRunning, begin_sync, execute_sync


async def start_sync(state: State, name: str, *, full: bool) -> SyncRunRead:
    """The run just started, or the one already running in this process for `name`."""
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
        return running.run
    task = asyncio.create_task(execute_sync(database, target, http=state.http))
    state.sync_tasks.add(task)  # kept referenced until done, so it is not collected
    task.add_done_callback(state.sync_tasks.discard)
    async with database.job_session() as session:
        run = await SyncRunRepository(session).get(target.run_id)
        return SyncRunRead.of(run, name)
