"""All SQL over work_items and item_events."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import Executable

from app.db import upsert_insert
from app.items.plan import TRACKED_FIELDS, Row
from app.models import Connection, ItemEvent, WorkItem
from app.models.base import table_of, utcnow

items = table_of(WorkItem)
events = table_of(ItemEvent)

# Ids per IN (...) list: far below SQLite's bound-parameter limit.
CHUNK = 1000
# Columns an upsert never overwrites: identity and first sighting.
_KEEP_ON_CONFLICT = {"id", "connection_id", "external_id", "first_seen_at"}


def chunked(values: Sequence[Any], size: int = CHUNK) -> Iterable[Sequence[Any]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


class ItemWriteRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def serialize_writes(self, connection_id: uuid.UUID) -> None:
        """Take the connection's write turn until commit: its row lock on
        PostgreSQL, the database write lock on SQLite. Two ingests of one
        connection never diff against the same old state."""
        await self.session.execute(
            update(Connection)
            .where(Connection.id == connection_id)
            .values(write_seq=Connection.write_seq + 1)
        )

    async def stored_states(self, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, Row]:
        columns = [
            items.c[name] for name in (*TRACKED_FIELDS, "id", "source_updated_at", "deleted_at")
        ]
        states: dict[uuid.UUID, Row] = {}
        for chunk in chunked(ids):
            query = select(*columns, items.c.raw.is_(None).label("is_stub")).where(
                items.c.id.in_(chunk)
            )
            for row in await self.session.execute(query):
                states[row.id] = dict(row._mapping)
        return states

    async def upsert(self, rows: Iterable[Row]) -> None:
        now = utcnow()
        values = [{**row, "first_seen_at": now, "last_written_at": now} for row in rows]
        if values:
            await self.session.execute(self._upsert_statement(), values)

    async def tombstone(self, deleted: dict[uuid.UUID, datetime]) -> None:
        if not deleted:
            return
        statement = (
            update(items)
            .where(items.c.id == bindparam("item_id"))
            .values(deleted_at=bindparam("at"), last_written_at=utcnow())
        )
        params = [{"item_id": item, "at": at} for item, at in deleted.items()]
        await self.session.execute(statement, params)

    async def append_events(self, rows: list[Row]) -> None:
        if rows:
            now = utcnow()
            await self.session.execute(
                events.insert(), [{**row, "recorded_at": now} for row in rows]
            )

    def _upsert_statement(self) -> Executable:
        statement = upsert_insert(self.session, items)
        excluded = statement.excluded
        return statement.on_conflict_do_update(
            index_elements=[items.c.id],
            set_={c.name: excluded[c.name] for c in items.c if c.name not in _KEEP_ON_CONFLICT},
            # Belt and braces under serialize_writes: never replace a newer version.
            where=items.c.source_updated_at <= excluded.source_updated_at,
        )
