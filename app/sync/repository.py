"""All SQL over sync_runs and cursors."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.db import upsert_insert
from app.models import Connection, SyncCursor, SyncRun
from app.models.base import table_of, utcnow
from app.sync.schedule import RunFacts, SyncPlan, plan_next

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


class SyncRunRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def start(self, connection_id: uuid.UUID, *, full: bool) -> SyncRun:
        run = SyncRun(connection_id=connection_id, status="running", full=full, started_at=utcnow())
        self.session.add(run)
        await self.session.flush()
        return run

    async def find(self, run_id: uuid.UUID) -> SyncRun | None:
        return await self.session.get(SyncRun, run_id)

    async def abandon(self, run_id: uuid.UUID, why: str) -> None:
        """Close a run whose worker died: failed, with the reason."""
        run = await self.session.get(SyncRun, run_id)
        if run is not None and run.status == "running":
            run.status, run.failure_type, run.error = "failed", "system", why
            run.finished_at = utcnow()

    async def get(self, run_id: uuid.UUID) -> SyncRun:
        run = await self.session.get(SyncRun, run_id)
        assert run is not None, f"sync run {run_id} vanished"
        return run

    async def newest_first(self, connection_id: uuid.UUID | None, limit: int) -> Sequence[SyncRun]:
        query = select(SyncRun).order_by(SyncRun.started_at.desc()).limit(limit)
        if connection_id is not None:
            query = query.where(SyncRun.connection_id == connection_id)
        return (await self.session.execute(query)).scalars().all()


def facts_of(runs: Sequence[SyncRun]) -> list[RunFacts]:
    return [
        RunFacts(r.started_at, r.finished_at, r.status, r.failure_type, r.error, r.full)
        for r in runs
    ]


RECENT_RUNS = 20  # enough to count a long streak of failures


async def plan_of(session: AsyncSession, connection: Connection) -> tuple[SyncPlan, list[RunFacts]]:
    """When `connection` syncs next (app/sync/schedule.py), from its recent runs."""
    facts = facts_of(await SyncRunRepository(session).newest_first(connection.id, RECENT_RUNS))
    plan = plan_next(
        interval=timedelta(seconds=connection.interval_seconds),
        edited_at=connection.updated_at,
        runs=facts,
        now=utcnow(),
    )
    return plan, facts
