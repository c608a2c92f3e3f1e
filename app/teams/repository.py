"""The SQL of the teams view."""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import Connection, WorkItem
from app.roadmap.rollup import NO_TEAM


async def tickets_by_status(session: AsyncSession) -> dict[str, dict[str, int]]:
    """Per team, its live tickets counted by status category."""
    query = (
        select(WorkItem.team, WorkItem.status_category, func.count())
        .join(Connection, Connection.id == WorkItem.connection_id)
        .where(
            WorkItem.kind == "ticket",
            WorkItem.deleted_at.is_(None),
            Connection.removed_at.is_(None),
        )
        .group_by(WorkItem.team, WorkItem.status_category)
    )
    counts: dict[str, dict[str, int]] = defaultdict(dict)
    for team, category, count in await session.execute(query):
        counts[team or NO_TEAM][category] = count
    return counts
