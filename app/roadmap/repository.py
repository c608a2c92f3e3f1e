"""The SQL of the roadmap view: roadmap items, and every ticket each one reaches."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.items.repository import id_in
from app.models import Connection, Link, WorkItem
from app.models.base import table_of
from app.roadmap.rollup import Ticket

links = table_of(Link)
items = table_of(WorkItem)
connections = table_of(Connection)


class RoadmapRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def roadmap_items(
        self, *, connection: str | None, team: str | None
    ) -> list[tuple[WorkItem, Connection]]:
        query = (
            select(WorkItem, Connection)
            .join(Connection, Connection.id == WorkItem.connection_id)
            .where(
                WorkItem.kind == "roadmap_item",
                WorkItem.deleted_at.is_(None),
                Connection.removed_at.is_(None),
            )
            .order_by(WorkItem.due_date.is_(None), WorkItem.due_date, WorkItem.key)
        )
        if connection is not None:
            query = query.where(Connection.name == connection)
        if team is not None:
            query = query.where(WorkItem.team == team)
        return [(item, owner) for item, owner in await self.session.execute(query)]

    async def completed_since(
        self, start: datetime
    ) -> list[tuple[str | None, float | None, datetime]]:
        """(team, estimate, closed_at) of every live ticket done since `start`."""
        query = select(items.c.team, items.c.estimate, items.c.closed_at).where(
            items.c.closed_at >= start,
            items.c.kind == "ticket",
            items.c.status_category == "done",
            items.c.deleted_at.is_(None),
        )
        return [
            (row.team, row.estimate, row.closed_at) for row in await self.session.execute(query)
        ]

    async def tickets_reached(self, roots: Sequence[uuid.UUID]) -> dict[uuid.UUID, list[Ticket]]:
        """Per root, the live tickets reachable over active links, at any depth,
        through live items only; each ticket once (UNION ends cycles too)."""
        if not roots:
            return {}
        reach = (
            select(links.c.source_item_id.label("root_id"), links.c.target_item_id.label("item_id"))
            .where(id_in(self.session, links.c.source_item_id, roots), links.c.removed_at.is_(None))
            .cte("reach", recursive=True)
        )
        step = (
            select(reach.c.root_id, links.c.target_item_id)
            .join(reach, links.c.source_item_id == reach.c.item_id)
            .join(items, items.c.id == reach.c.item_id)
            .where(links.c.removed_at.is_(None), items.c.deleted_at.is_(None))
        )
        reach = reach.union(step)
        query = (
            select(
                reach.c.root_id, items.c.id, items.c.team, items.c.status_category,
                items.c.estimate, items.c.due_date,
            )
            .join(items, items.c.id == reach.c.item_id)
            .join(connections, connections.c.id == items.c.connection_id)
            .where(
                items.c.kind == "ticket", items.c.deleted_at.is_(None),
                connections.c.removed_at.is_(None),
            )
        )  # fmt: skip
        reached: dict[uuid.UUID, list[Ticket]] = defaultdict(list)
        for row in await self.session.execute(query):
            reached[row.root_id].append(
                Ticket(row.id, row.team, row.status_category, row.estimate, row.due_date)
            )
        return reached
