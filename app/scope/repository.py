"""All SQL of scope tracking: which roadmap items a change touches, their scope
now, the states, reach, changes and baselines kept for them, the figures of the
roadmap's `scope`, and the scope-changes feed."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Select, and_, case, delete, func, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from app.changes.cursor import ChangeCursor, newest_first_window
from app.db import upsert_insert
from app.items.sql import chunked, id_in
from app.links.repository import DELIVERY_KINDS
from app.models import (
    Connection,
    Link,
    ScopeBaseline,
    ScopeChange,
    ScopeReach,
    ScopeState,
    WorkItem,
)
from app.models.base import table_of, utcnow
from app.roadmap.repository import RoadmapRepository
from app.roadmap.tallies import retally
from app.scope.detect import ItemFields, TicketState, description_hash
from app.scope.metrics import Baseline, ScopeFigures, Sums, figures

items = table_of(WorkItem)
links = table_of(Link)
connections = table_of(Connection)
states = table_of(ScopeState)
reach_table = table_of(ScopeReach)
changes_table = table_of(ScopeChange)
baselines = table_of(ScopeBaseline)


@dataclass(frozen=True)
class RoadmapItem:
    """What scope tracking reads of a roadmap item itself."""

    id: uuid.UUID
    status_category: str
    target_date: date | None
    description: str | None
    version: datetime
    settings: dict[str, Any]


@dataclass(frozen=True)
class Reached:
    """An item a roadmap item reaches; `counted` when it is in its scope (a live
    ticket of a live connection, not cancelled). Detection compares the estimate and
    status; the team and due date are kept for the roadmap's rollup, and any
    difference in them rewrites the stored row too."""

    counted: bool
    estimate: float | None
    status_category: str
    team: str | None
    due_date: date | None
    connection_id: uuid.UUID


REACHED_FIELDS = ("counted", "estimate", "status_category", "team", "due_date", "connection_id")


@dataclass(frozen=True)
class Seed:
    """A changed item as it is now. A `leaf` ticket delivers nothing itself (no
    delivery link, active or ended, starts from it): its change can move only
    itself in or out of a scope."""

    kind: str
    reached: Reached | None  # None when it is deleted
    leaf: bool


@dataclass
class Touched:
    """Per roadmap item, the changed items that reach it now over live items and
    active delivery links, and the rows stored for the changed items it reached."""

    now: dict[uuid.UUID, set[uuid.UUID]]
    stored: dict[uuid.UUID, dict[uuid.UUID, Reached]]

    def seeds_of(self, root: uuid.UUID) -> set[uuid.UUID]:
        return self.now.get(root, set()) | set(self.stored.get(root, {}))

    @property
    def roots(self) -> set[uuid.UUID]:
        return set(self.now) | set(self.stored)


class ScopeRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def touched(self, seeds: dict[uuid.UUID, Seed]) -> Touched:
        found = Touched(await self._walk_up(seeds), defaultdict(dict))
        for chunk in chunked(sorted(seeds)):
            query = _stored().where(id_in(self.session, reach_table.c.item_id, chunk))
            for root, item, *fields in await self.session.execute(query):
                found.stored[root][item] = Reached(*fields)
        return found

    async def _walk_up(self, seeds: dict[uuid.UUID, Seed]) -> dict[uuid.UUID, set[uuid.UUID]]:
        """Per live roadmap item, the live seeds that are it or deliver it over active
        delivery links through live items. Walked level by level in Python: each
        level is one indexed lookup of the links into the level's items (a recursive
        query was planned as a scan of every link at each level)."""
        kinds = {item: seed.kind for item, seed in seeds.items() if seed.reached is not None}
        reached: dict[uuid.UUID, set[uuid.UUID]] = {item: {item} for item in kinds}
        frontier = dict(reached)
        while frontier:
            found: dict[uuid.UUID, set[uuid.UUID]] = defaultdict(set)
            for target, source, kind in await self._delivering(sorted(frontier)):
                kinds[source] = kind
                found[source] |= frontier[target] - reached.get(source, set())
            frontier = {item: new for item, new in found.items() if new}
            for item, new in frontier.items():
                reached.setdefault(item, set()).update(new)
        return {item: seeds for item, seeds in reached.items() if kinds[item] == "roadmap_item"}

    async def delivered(self, items: Collection[uuid.UUID]) -> set[uuid.UUID]:
        """Those of `items` an active delivery link from a live item leads to."""
        # Unsorted: a read needs no order, and sorting a batch of uuids (compared in
        # Python) costs half a millisecond per thousand.
        return {target for target, _, _ in await self._delivering(list(items))}

    async def _delivering(self, targets: Sequence[uuid.UUID]) -> list[tuple[Any, ...]]:
        """(target, source, source's kind) of the active delivery links into `targets`
        from live items."""
        found: list[tuple[Any, ...]] = []
        for chunk in chunked(targets):
            query = (
                select(links.c.target_item_id, links.c.source_item_id, items.c.kind)
                .join(items, items.c.id == links.c.source_item_id)
                .where(
                    id_in(self.session, links.c.target_item_id, chunk),
                    links.c.removed_at.is_(None), links.c.kind.in_(DELIVERY_KINDS),
                    items.c.deleted_at.is_(None),
                )
            )  # fmt: skip
            found.extend(tuple(row) for row in await self.session.execute(query))
        return found

    async def seeds(self, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, Seed]:
        found = {}
        delivers = (
            select(links.c.id)
            .where(links.c.source_item_id == items.c.id, links.c.kind.in_(DELIVERY_KINDS))
            .exists()
        )
        for chunk in chunked(ids):
            query = select(
                items.c.id, items.c.kind, items.c.status_category, items.c.estimate,
                items.c.team, items.c.due_date, items.c.connection_id,
                items.c.deleted_at, connections.c.removed_at, delivers,
            ).join(connections, connections.c.id == items.c.connection_id).where(
                id_in(self.session, items.c.id, chunk)
            )  # fmt: skip
            rows = await self.session.execute(query)
            for item, kind, status, *fields, deleted, gone, delivering in rows:
                counted = kind == "ticket" and gone is None and status != "cancelled"
                reached = None if deleted else Reached(counted, fields[0], status, *fields[1:])
                found[item] = Seed(kind, reached, kind == "ticket" and not delivering)
        return found

    async def kind_of(self, item: uuid.UUID) -> str | None:
        """The kind of a live item; None when there is none."""
        query = select(items.c.kind).where(items.c.id == item, items.c.deleted_at.is_(None))
        kind: str | None = await self.session.scalar(query)
        return kind

    async def roadmap_items(self, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, RoadmapItem]:
        """The live roadmap items among `ids`, of live connections."""
        found: dict[uuid.UUID, RoadmapItem] = {}
        for chunk in chunked(ids):
            query = (
                select(
                    items.c.id, items.c.status_category, items.c.due_date, items.c.description,
                    items.c.source_updated_at, connections.c.settings,
                )
                .join(connections, connections.c.id == items.c.connection_id)
                .where(
                    id_in(self.session, items.c.id, chunk), items.c.kind == "roadmap_item",
                    items.c.deleted_at.is_(None), connections.c.removed_at.is_(None),
                )
            )  # fmt: skip
            for row in await self.session.execute(query):
                found[row.id] = RoadmapItem(*row)
        return found

    async def observe(
        self, roots: Sequence[uuid.UUID]
    ) -> dict[uuid.UUID, dict[uuid.UUID, Reached]]:
        """Every live item each root reaches now over active delivery links."""
        observed: dict[uuid.UUID, dict[uuid.UUID, Reached]] = {root: {} for root in roots}
        live = set(await self.session.scalars(
            select(connections.c.id).where(connections.c.removed_at.is_(None))
        ))  # fmt: skip
        for chunk in chunked(roots):
            walk = RoadmapRepository(self.session).walk(chunk)
            query = select(
                walk.c.root_id, walk.c.item_id, walk.c.kind, walk.c.connection_id,
                walk.c.status_category, walk.c.estimate, walk.c.team, walk.c.due_date,
            ).distinct()  # fmt: skip
            for (
                root,
                item,
                kind,
                connection,
                status,
                estimate,
                team,
                due,
            ) in await self.session.execute(query):
                counted = kind == "ticket" and connection in live and status != "cancelled"
                observed[root][item] = Reached(counted, estimate, status, team, due, connection)
        return observed

    async def stored_reach(
        self, roots: Sequence[uuid.UUID]
    ) -> dict[uuid.UUID, dict[uuid.UUID, Reached]]:
        stored: dict[uuid.UUID, dict[uuid.UUID, Reached]] = {root: {} for root in roots}
        for chunk in chunked(roots):
            query = _stored().where(id_in(self.session, reach_table.c.roadmap_item_id, chunk))
            for root, item, *fields in await self.session.execute(query):
                stored[root][item] = Reached(*fields)
        return stored

    async def reached_from(self, connection: uuid.UUID) -> list[uuid.UUID]:
        """The items of `connection` some roadmap item reached when last computed."""
        query = select(reach_table.c.item_id).where(reach_table.c.connection_id == connection)
        return sorted(set(await self.session.scalars(query.distinct())))

    async def write_reach(self, rows: dict[tuple[uuid.UUID, uuid.UUID], Reached | None]) -> None:
        """Store what each (root, item) reached is now; None: no longer reached. The
        roots' tallies follow in the same transaction."""
        gone = [pair for pair, reached in rows.items() if reached is None]
        for pairs in chunked(gone):
            await self.session.execute(
                delete(reach_table).where(
                    tuple_(reach_table.c.roadmap_item_id, reach_table.c.item_id).in_(pairs)
                )
            )
        kept = [
            {"roadmap_item_id": root, "item_id": item}
            | {name: getattr(r, name) for name in REACHED_FIELDS}
            for (root, item), r in rows.items() if r is not None
        ]  # fmt: skip
        if kept:
            statement = upsert_insert(self.session, reach_table)
            statement = statement.on_conflict_do_update(
                index_elements=[reach_table.c.roadmap_item_id, reach_table.c.item_id],
                set_={name: statement.excluded[name] for name in REACHED_FIELDS},
            )
            await self.session.execute(statement, kept)
        await retally(self.session, sorted({root for root, _ in rows}))

    async def states(self, roots: Sequence[uuid.UUID]) -> dict[uuid.UUID, ItemFields]:
        found = {}
        for chunk in chunked(roots):
            query = select(
                states.c.roadmap_item_id, states.c.status_category, states.c.target_date,
                states.c.description,
            ).where(id_in(self.session, states.c.roadmap_item_id, chunk))  # fmt: skip
            for root, *fields in await self.session.execute(query):
                found[root] = ItemFields(*fields)
        return found

    async def save_states(self, fields: dict[uuid.UUID, ItemFields]) -> None:
        if not fields:
            return
        statement = upsert_insert(self.session, states)
        statement = statement.on_conflict_do_update(
            index_elements=[states.c.roadmap_item_id],
            set_={c.name: statement.excluded[c.name] for c in states.c if not c.primary_key},
        )
        now = utcnow()
        await self.session.execute(
            statement,
            [
                {"roadmap_item_id": root, "status_category": f.status_category,
                 "target_date": f.target_date, "description": f.description,
                 "description_hash": description_hash(f.description), "updated_at": now}
                for root, f in fields.items()
            ],
        )  # fmt: skip

    async def record(self, rows: list[dict[str, Any]]) -> None:
        """Insert scope changes; one already recorded (same fingerprint) is skipped."""
        if not rows:
            return
        statement = upsert_insert(self.session, changes_table).on_conflict_do_nothing(
            index_elements=[changes_table.c.roadmap_item_id, changes_table.c.fingerprint]
        )
        await self.session.execute(statement, rows)

    async def baselined(self, roots: Sequence[uuid.UUID]) -> set[uuid.UUID]:
        """The roots that have a baseline."""
        found: set[uuid.UUID] = set()
        for chunk in chunked(roots):
            query = select(baselines.c.roadmap_item_id).where(
                id_in(self.session, baselines.c.roadmap_item_id, chunk)
            )
            found.update(await self.session.scalars(query.distinct()))
        return found

    async def add_baselines(self, rows: list[dict[str, Any]]) -> None:
        if rows:
            await self.session.execute(baselines.insert(), rows)

    async def all_roadmap_items(self) -> list[uuid.UUID]:
        query = select(items.c.id).where(
            items.c.kind == "roadmap_item", items.c.deleted_at.is_(None)
        )
        return list(await self.session.scalars(query))


def _stored() -> Select[Any]:
    """(root, item, *REACHED_FIELDS) of stored reach rows."""
    return select(
        reach_table.c.roadmap_item_id, reach_table.c.item_id,
        *(reach_table.c[name] for name in REACHED_FIELDS),
    )  # fmt: skip


def in_scope(reached: dict[uuid.UUID, Reached]) -> dict[uuid.UUID, TicketState]:
    """The tickets in scope among what a root reaches."""
    return {
        item: TicketState(r.estimate, r.status_category) for item, r in reached.items() if r.counted
    }


class ScopeFiguresRepository:
    """The two queries behind every roadmap item's scope figures: the newest
    baselines, and the sums of the changes after each."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def figures(self, as_of: datetime | None = None) -> dict[uuid.UUID, ScopeFigures]:
        latest = self._latest_baselines(as_of)
        found = {
            row.roadmap_item_id: Baseline(row.taken_at, row.ticket_count, row.points)
            for row in await self.session.execute(select(latest))
        }
        if not found:
            return {}
        sums: dict[uuid.UUID, dict[str, Sums]] = defaultdict(dict)
        for root, kind, *values in await self.session.execute(self._sums(latest, as_of)):
            sums[root][kind] = Sums(int(values[0]), float(values[1] or 0),
                                    float(values[2] or 0), int(values[3] or 0))  # fmt: skip
        return {root: figures(baseline, sums[root]) for root, baseline in found.items()}

    def _latest_baselines(self, as_of: datetime | None) -> Any:
        newest = func.row_number().over(
            partition_by=baselines.c.roadmap_item_id,
            order_by=(baselines.c.taken_at.desc(), baselines.c.recorded_at.desc()),
        )
        ranked = select(
            baselines.c.roadmap_item_id, baselines.c.taken_at, baselines.c.ticket_count,
            baselines.c.points, newest.label("rank"),
        )  # fmt: skip
        if as_of is not None:
            ranked = ranked.where(baselines.c.taken_at <= as_of)
        ranked_sq = ranked.subquery("ranked")
        return (
            select(
                ranked_sq.c.roadmap_item_id, ranked_sq.c.taken_at, ranked_sq.c.ticket_count,
                ranked_sq.c.points,
            )
            .where(ranked_sq.c.rank == 1)
            .subquery("latest")
        )  # fmt: skip

    def _sums(self, latest: Any, as_of: datetime | None) -> Any:
        delta = changes_table.c.points_delta
        query = (
            select(
                changes_table.c.roadmap_item_id, changes_table.c.type, func.count(),
                func.sum(delta), func.sum(case((delta > 0, delta), else_=0.0)),
                func.sum(changes_table.c.days),
            )
            .join(latest, and_(
                latest.c.roadmap_item_id == changes_table.c.roadmap_item_id,
                changes_table.c.at > latest.c.taken_at,
            ))
            .group_by(changes_table.c.roadmap_item_id, changes_table.c.type)
        )  # fmt: skip
        if as_of is not None:
            query = query.where(changes_table.c.at <= as_of)
        return query


@dataclass(frozen=True)
class ChangeFilters:
    roadmap_item: uuid.UUID | None = None
    since: datetime | None = None
    until: datetime | None = None
    type: str | None = None


async def newest_changes(
    session: AsyncSession, filters: ChangeFilters, after: ChangeCursor | None, limit: int
) -> list[tuple[ScopeChange, str | None, str | None]]:
    """(change, roadmap item's key, ticket's key), newest first by when it happened."""
    root, ticket = aliased(WorkItem), aliased(WorkItem)
    query = (
        select(ScopeChange, root.key, ticket.key)
        .outerjoin(root, root.id == ScopeChange.roadmap_item_id)
        .outerjoin(ticket, ticket.id == ScopeChange.ticket_id)
        .limit(limit)
    )
    if filters.roadmap_item is not None:
        query = query.where(ScopeChange.roadmap_item_id == filters.roadmap_item)
    if filters.type is not None:
        query = query.where(ScopeChange.type == filters.type)
    query = newest_first_window(
        query, ScopeChange.at, ScopeChange.id, since=filters.since, until=filters.until,
        after=after,
    )  # fmt: skip
    return [(change, a, b) for change, a, b in await session.execute(query)]
