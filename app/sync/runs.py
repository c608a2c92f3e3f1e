"""Reading sync runs: the newest first, of one connection or of all."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from app.connections.repository import ConnectionRepository
from app.errors import NotFound
from app.sync.repository import SyncRunRepository
from app.sync.schemas import SyncRunRead


async def recent_runs(
    session: AsyncSession, connection: str | None, limit: int
) -> list[SyncRunRead]:
    connection_id = None
    if connection is not None:
        found = await ConnectionRepository(session).live_by_name(connection)
        if found is None:
            raise NotFound(f"no connection named {connection!r}")
        connection_id = found.id
    runs = await SyncRunRepository(session).newest_first(connection_id, limit)
    names = await ConnectionRepository(session).names_by_id()
    return [SyncRunRead.of(run, names.get(run.connection_id, "?")) for run in runs]
