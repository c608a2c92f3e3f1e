"""The SQL of the roadmap view: roadmap items, and every ticket each one reaches."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import and_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import defer

from app.items.as_of import existed_at, link_active_at, values_at
from app.items.sql import id_in
from app.links.repository import DELIVERY_KINDS
from app.models import Connection, Link, WorkItem
from app.models.base import table_of
from app.roadmap.rollup import Ticket

TICKET_FIELDS = ("team", "status_category", "estimate", "due_date")
links = table_of(Link)
items = table_of(WorkItem)
connections = table_of(Connection)


class RoadmapRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def roadmap_items(
        self, *, connection: str | None, team: str | None, as_of: datetime | None = None
    ) -> list[tuple[WorkItem, Connection]]:
        alive = existed_at(items, as_of) if as_of else WorkItem.deleted_at.is_(None)
        query = (
            select(WorkItem, Connection)
            .join(Connection, Connection.id == WorkItem.connection_id)
            .where(WorkItem.kind == "roadmap_item", alive, Connection.removed_at.is_(None))
            .options(defer(WorkItem.raw, raiseload=True))
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

    async def tickets_reached(
        self, roots: Sequence[uuid.UUID], as_of: datetime | None = None
    ) -> dict[uuid.UUID, list[Ticket]]:
        """Per root, the live tickets reachable over active links, at any depth,
        through live items only; each ticket once (UNION ends cycles too). With
        `as_of`, the links, items and ticket fields as they were then."""
        if not roots:
            return {}
        active = link_active_at(links, as_of) if as_of else links.c.removed_at.is_(None)
        active = and_(active, links.c.kind.in_(DELIVERY_KINDS))
        alive = existed_at(items, as_of) if as_of else items.c.deleted_at.is_(None)
        reach = (
            select(links.c.source_item_id.label("root_id"), links.c.target_item_id.label("item_id"))
            .where(id_in(self.session, links.c.source_item_id, roots), active)
            .cte("reach", recursive=True)
        )
        step = (
            select(reach.c.root_id, links.c.target_item_id)
            .join(reach, links.c.source_item_id == reach.c.item_id)
            .join(items, items.c.id == reach.c.item_id)
            .where(active, alive)
        )
        reach = reach.union(step)
        query = (
            select(
                reach.c.root_id,
                items.c.id,
                items.c.team,
                items.c.status_category,
                items.c.estimate,
                items.c.due_date,
            )
            .join(items, items.c.id == reach.c.item_id)
            .join(connections, connections.c.id == items.c.connection_id)
            .where(items.c.kind == "ticket", alive, connections.c.removed_at.is_(None))
        )
        rows = list(await self.session.execute(query))
        then = (
            await values_at(self.session, [r.id for r in rows], TICKET_FIELDS, as_of)
            if as_of
            else {}
        )
        reached: dict[uuid.UUID, list[Ticket]] = defaultdict(list)
        for row in rows:
            values = dict(row._mapping) | then.get(row.id, {})
            reached[row.root_id].append(Ticket(**{f: values[f] for f in ("id", *TICKET_FIELDS)}))
        return reached
