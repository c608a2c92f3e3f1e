"""All SQL over sync_runs and cursors."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.db import upsert_insert
from app.models import SyncCursor
from app.models.base import table_of, utcnow

cursors = table_of(SyncCursor)


class CursorRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def save(self, connection_id: uuid.UUID, scope: str, value: str) -> None:
        statement = upsert_insert(self.session, cursors).values(
            connection_id=connection_id, scope=scope, value=value, updated_at=utcnow()
        )
        await self.session.execute(
            statement.on_conflict_do_update(
                index_elements=[cursors.c.connection_id, cursors.c.scope],
                set_={
                    "value": statement.excluded.value,
                    "updated_at": statement.excluded.updated_at,
                },
            )
        )

    async def load(self, connection_id: uuid.UUID) -> dict[str, str]:
        query = select(cursors.c.scope, cursors.c.value).where(
            cursors.c.connection_id == connection_id
        )
        return {row.scope: row.value for row in await self.session.execute(query)}
