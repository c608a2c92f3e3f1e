"""The SQL of the roadmap view: roadmap items, and every ticket each one reaches."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import (
    CTE,
    ColumnElement,
    Row,
    Select,
    and_,
    func,
    literal,
    select,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import defer

from app.items.as_of import existed_at, link_active_at, values_at
from app.items.sql import id_in
from app.links.repository import DELIVERY_KINDS
from app.models import Connection, Link, ScopeReach, ScopeState, WorkItem
from app.models.base import table_of
from app.roadmap import tallies
from app.roadmap.rollup import Estimates, Tally, Ticket, estimates_of, tally
from app.roadmap.tallies import sums, team_key

TICKET_FIELDS = ("team", "status_category", "estimate", "due_date")
WALKED_FIELDS = ("kind", "connection_id", *TICKET_FIELDS)
# What the sums read of each counted ticket, walked or kept.
COUNTED_FIELDS = ("item_id", *TICKET_FIELDS)
Query = TypeVar("Query", bound="Select[*tuple[Any, ...]]")
links = table_of(Link)
items = table_of(WorkItem)
connections = table_of(Connection)
kept = table_of(ScopeReach)
states = table_of(ScopeState)


class RoadmapRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def roadmap_items(
        self, *, connection: str | None, team: str | None, as_of: datetime | None = None
    ) -> list[tuple[WorkItem, Connection]]:
        query = (
            select(WorkItem, Connection)
            .join(Connection, Connection.id == WorkItem.connection_id)
            .options(defer(WorkItem.raw, raiseload=True))
        )
        query = _roadmap(query, connection=connection, team=team, as_of=as_of)
        return [(item, owner) for item, owner in await self.session.execute(query)]

    async def roadmap_rows(
        self, *, connection: str | None, team: str | None, as_of: datetime | None = None
    ) -> list[Row[Any]]:
        """What roadmap_items() finds, as rows of the items' columns (raw aside) and
        their connection's name: thousands of them are read without ORM objects."""
        shown = [column for column in items.c if column.name != "raw"]
        query = select(*shown, connections.c.name.label("connection_name")).join(
            connections, connections.c.id == items.c.connection_id
        )
        query = _roadmap(query, connection=connection, team=team, as_of=as_of)
        return list(await self.session.execute(query))

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

    async def reached(self, roots: Sequence[uuid.UUID], as_of: datetime | None = None) -> Reached:
        """What the live tickets reachable from each root over active delivery
        links (at any depth, through live items only, each once) add up to, per
        team; and the estimates among them. Now, the tallies are read from
        roadmap_tallies and the tickets from scope_reach, which scope tracking keeps
        true on every ingest and manual link change; a root it never computed (a
        store upgraded from before scope tracking, not touched since) is walked
        instead. With `as_of`, links, items and ticket fields as they were then,
        which history gives ticket by ticket."""
        if not roots:
            return Reached({}, [])
        if as_of is not None:
            reach = self._reach(roots, as_of)
            return await self._reached_then(reach, self._tickets(reach), as_of)
        return Reached(await self.tallies_now(roots), await self.estimates_now(roots))

    async def tallies_now(
        self, roots: Sequence[uuid.UUID], *, tallied: Sequence[uuid.UUID] | None = None
    ) -> dict[uuid.UUID, dict[str | None, Tally]]:
        """The tallies reached() gives now, of the roots `tallied` when not all: kept ones
        read, the others walked and summed."""
        if not roots:
            return {}
        tracked = await self._tracked(roots)
        wanted = roots if tallied is None else tallied
        found = await tallies.read(self.session, sorted(tracked.intersection(wanted)))
        walked = [root for root in wanted if root not in tracked]
        if walked:
            tickets = self._walked_tickets(walked).subquery()
            team = team_key(tickets.c.team)
            query = select(tickets.c.root_id, team, *sums(tickets)).group_by(
                tickets.c.root_id, team
            )
            for root, team_name, *values in await self.session.execute(query):
                found[root][team_name or None] = Tally(*values)
        return found

    async def estimates_now(self, roots: Sequence[uuid.UUID]) -> list[Estimates]:
        """The estimates reached() gives now: of every counted ticket the roots reach, once each."""
        if not roots:
            return []
        tracked = await self._tracked(roots)
        parts = [self._kept_tickets(tracked)] if tracked else []
        walked = [root for root in roots if root not in tracked]
        if walked:
            parts.append(self._walked_tickets(walked))
        counted = (parts[0] if len(parts) == 1 else union_all(*parts)).subquery()
        team = team_key(counted.c.team)
        each_once = (
            select(counted.c.item_id, team.label("team"), counted.c.estimate)
            .where(counted.c.estimate.is_not(None))
            .distinct()
            .subquery()
        )
        query = select(each_once.c.team, each_once.c.estimate, func.count()).group_by(
            each_once.c.team, each_once.c.estimate
        )
        return [
            Estimates(team_name or None, estimate, count)
            for team_name, estimate, count in await self.session.execute(query)
        ]

    async def _tracked(self, roots: Sequence[uuid.UUID]) -> frozenset[uuid.UUID]:
        """The roots whose scope tracking computed (a scope_states row, and then
        every item reached in scope_reach)."""
        query = select(states.c.roadmap_item_id).where(
            id_in(self.session, states.c.roadmap_item_id, roots, "tracked")
        )
        return frozenset(await self.session.scalars(query))

    def _kept_tickets(self, roots: frozenset[uuid.UUID]) -> Select[Any]:
        """The counted tickets of `roots` as scope_reach keeps them. A connection
        removed since the scope was computed is left out here: removal is no ingest."""
        return select(
            kept.c.roadmap_item_id.label("root_id"),
            *(kept.c[name] for name in COUNTED_FIELDS),
            literal(False).label("walked"),
        ).where(
            id_in(self.session, kept.c.roadmap_item_id, sorted(roots), "kept"),
            kept.c.counted,
            kept.c.connection_id.in_(_live_connections()),
        )

    def _walked_tickets(self, roots: Sequence[uuid.UUID]) -> Select[Any]:
        reach = self._reach(roots, None)
        return select(
            reach.c.root_id,
            *(reach.c[name] for name in COUNTED_FIELDS),
            literal(True).label("walked"),
        ).where(self._tickets(reach), reach.c.status_category != "cancelled")

    @staticmethod
    def _tickets(reach: CTE) -> ColumnElement[bool]:
        return and_(reach.c.kind == "ticket", reach.c.connection_id.in_(_live_connections()))

    async def tickets_reached(
        self, roots: Sequence[uuid.UUID], as_of: datetime | None = None
    ) -> list[tuple[uuid.UUID, uuid.UUID, str | None, str]]:
        """(root, ticket, its team, its status category) for every ticket of a live
        connection each root reaches now, or at `as_of` (team and status as they
        are now), cancelled ones included: their status is the caller's to judge."""
        if not roots:
            return []
        reach = self._reach(roots, as_of)
        query = select(
            reach.c.root_id, reach.c.item_id, reach.c.team, reach.c.status_category
        ).where(self._tickets(reach))
        return [
            (root, item, team, status)
            for root, item, team, status in await self.session.execute(query.distinct())
        ]

    def walk(self, roots: Sequence[uuid.UUID]) -> CTE:
        """(root_id, item_id and the item's WALKED_FIELDS) of every live item a root
        reaches now: the walk scope tracking shares with the rollup."""
        return self._reach(roots, None)

    def _reach(self, roots: Sequence[uuid.UUID], as_of: datetime | None) -> CTE:
        """(root, item and the item's fields) for every item a root reaches. Each
        step joins the item it arrives at, so the fields travel with the walk and
        only live items are walked through."""
        active = link_active_at(links, as_of) if as_of else links.c.removed_at.is_(None)
        active = and_(active, links.c.kind.in_(DELIVERY_KINDS))
        alive = existed_at(items, as_of) if as_of else items.c.deleted_at.is_(None)
        fields = [items.c.id.label("item_id"), *(items.c[name] for name in WALKED_FIELDS)]
        first = (
            select(links.c.source_item_id.label("root_id"), *fields)
            .join(items, items.c.id == links.c.target_item_id)
            .where(id_in(self.session, links.c.source_item_id, roots), active, alive)
            .cte("reach", recursive=True)
        )
        step = (
            select(first.c.root_id, *fields)
            .select_from(first)
            .join(links, links.c.source_item_id == first.c.item_id)
            .join(items, items.c.id == links.c.target_item_id)
            .where(active, alive)
        )
        return first.union(step)

    async def _reached_then(
        self, reach: CTE, tickets: ColumnElement[bool], as_of: datetime
    ) -> Reached:
        query = select(reach.c.root_id, reach.c.item_id, *(reach.c[f] for f in TICKET_FIELDS))
        rows = list(await self.session.execute(query.where(tickets)))
        then = await values_at(self.session, [row.item_id for row in rows], TICKET_FIELDS, as_of)
        by_root: dict[uuid.UUID, list[Ticket]] = defaultdict(list)
        for root, item, *values in rows:
            fields = dict(zip(TICKET_FIELDS, values, strict=True)) | then.get(item, {})
            by_root[root].append(Ticket(item, **fields))
        every = [ticket for tickets_of_root in by_root.values() for ticket in tickets_of_root]
        return Reached({root: tally(ts) for root, ts in by_root.items()}, estimates_of(every))


def _roadmap(
    query: Query, *, connection: str | None, team: str | None, as_of: datetime | None
) -> Query:
    """The live roadmap items of live connections (alive at `as_of` when given),
    soonest target date first."""
    alive = existed_at(items, as_of) if as_of else items.c.deleted_at.is_(None)
    query = query.where(
        items.c.kind == "roadmap_item", alive, connections.c.removed_at.is_(None)
    ).order_by(items.c.due_date.is_(None), items.c.due_date, items.c.key)
    if connection is not None:
        query = query.where(connections.c.name == connection)
    if team is not None:
        query = query.where(items.c.team == team)
    return query


def _live_connections() -> Select[tuple[uuid.UUID]]:
    return select(connections.c.id).where(connections.c.removed_at.is_(None))


@dataclass(frozen=True)
class Reached:
    """Per roadmap item, its tickets' tally per team; and the estimates of every
    ticket any of them reaches, each ticket once (for the teams' medians)."""

    tallies: dict[uuid.UUID, dict[str | None, Tally]]
    estimates: list[Estimates]
