"""Reading the store back in tests, without going through the code under test."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from app.db import Database
from app.items.ingest import ingest
from app.items.plan import ConnectionRef, IngestCounts
from app.models import ItemEvent, Link, SyncCursor, WorkItem
from connectors.base.records import Batch


async def ingest_one(
    database: Database, connection: ConnectionRef, batch: Batch, origin: str = "sync"
) -> IngestCounts:
    async with database.job_session() as session:
        return (await ingest(session, connection, batch, origin=origin)).counts


async def stored_items(database: Database) -> dict[str, WorkItem]:
    async with database.job_session() as session:
        rows = (await session.execute(select(WorkItem))).scalars().all()
    return {row.external_id: row for row in rows}


async def stored_events(database: Database) -> list[ItemEvent]:
    async with database.job_session() as session:
        query = select(ItemEvent).order_by(ItemEvent.id)
        return list((await session.execute(query)).scalars().all())


async def stored_links(database: Database) -> list[Link]:
    async with database.job_session() as session:
        query = select(Link).order_by(Link.created_at, Link.id)
        return list((await session.execute(query)).scalars().all())


async def stored_cursors(database: Database) -> dict[str, str]:
    async with database.job_session() as session:
        rows = (await session.execute(select(SyncCursor))).scalars().all()
    return {row.scope: row.value for row in rows}


def fields_of(item: WorkItem, names: list[str]) -> dict[str, Any]:
    return {name: getattr(item, name) for name in names}
