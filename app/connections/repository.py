"""All SQL over connections."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.errors import Conflict
from app.models import Connection


class ConnectionRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def live_by_name(self, name: str) -> Connection | None:
        query = select(Connection).where(Connection.name == name, Connection.removed_at.is_(None))
        return (await self.session.execute(query)).scalar_one_or_none()

    async def list_live(self) -> Sequence[Connection]:
        query = select(Connection).where(Connection.removed_at.is_(None)).order_by(Connection.name)
        return (await self.session.execute(query)).scalars().all()

    async def names_by_id(self) -> dict[uuid.UUID, str]:
        """Every connection's name, removed ones included (their runs stay listed)."""
        rows = await self.session.execute(select(Connection.id, Connection.name))
        return {connection_id: name for connection_id, name in rows}

    async def add(self, connection: Connection) -> None:
        self.session.add(connection)
        try:
            await self.session.flush()
        except IntegrityError:
            # Another request took the name between our check and this insert.
            raise Conflict(f"a connection named {connection.name!r} already exists") from None
