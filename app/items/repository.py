"""All SQL over work_items and item_events: the write side used by ingest(),
and the read side of the items API."""

from __future__ import annotations

import uuid
from collections.abc import Container, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    bindparam,
    case,
    exists,
    func,
    or_,
    select,
    tuple_,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased, defer
from sqlalchemy.sql import Executable

from app.db import dialect_of
from app.items.as_of import existed_at, link_active_at
from app.items.cursor import Position
from app.items.plan import TRACKED_FIELDS, Row
from app.items.sql import chunked, id_in
from app.items.upsert import upsert_rows
from app.links.repository import DELIVERY_KINDS
from app.models import Connection, ItemEvent, Link, WorkItem
from app.models.base import table_of, utcnow

items = table_of(WorkItem)
events = table_of(ItemEvent)
links = table_of(Link)


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
                id_in(self.session, items.c.id, chunk)
            )
            for row in await self.session.execute(query):
                states[row.id] = dict(row._mapping)
        return states

    async def live_versions(
        self, connection_id: uuid.UUID, scope: str
    ) -> list[tuple[str, datetime]]:
        """(external id, version) of every live item of one scope of a connection."""
        query = select(items.c.external_id, items.c.source_updated_at).where(
            items.c.connection_id == connection_id,
            items.c.scope == scope,
            items.c.deleted_at.is_(None),
        )
        return [
            (row.external_id, row.source_updated_at) for row in await self.session.execute(query)
        ]

    async def upsert(self, rows: Iterable[Row], absent: Container[uuid.UUID]) -> None:
        """Write whole rows; `absent`: ids with no row yet, none of them can get one
        before commit (the write turn of serialize_writes is held)."""
        await upsert_rows(self.session, rows, utcnow(), absent)

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
        """Append history; a vendor-recorded change already kept is skipped."""
        if rows:
            now = utcnow()
            await self.session.execute(
                _append_events_of(dialect_of(self.session)),
                [{**row, "recorded_at": now} for row in rows],
            )


@cache
def _append_events_of(dialect: str) -> Executable:
    statement = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(events)
    return statement.on_conflict_do_nothing(index_elements=[events.c.item_id, events.c.change_id])


@dataclass(frozen=True)
class ItemFilters:
    connection: str | None = None
    source: str | None = None
    kind: str | None = None
    team: str | None = None
    status_category: str | None = None
    assignee: str | None = None
    label: str | None = None
    sprint: str | None = None
    updated_since: datetime | None = None
    q: str | None = None
    roadmap_item: uuid.UUID | None = None
    include_deleted: bool = False
    as_of: datetime | None = None  # the store as it was then (app/items/as_of.py)

    def lasting(self) -> ItemFilters:
        """Only the filters on what an item never changes (its connection and tool),
        the links and the time: what SQL can judge for an item that changed since."""
        return ItemFilters(
            connection=self.connection, source=self.source, roadmap_item=self.roadmap_item,
            include_deleted=self.include_deleted, as_of=self.as_of,
        )  # fmt: skip


ItemRow = tuple[WorkItem, Connection]


class ItemReadRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.dialect = dialect_of(session)

    async def last_event_id(self) -> int:
        return (await self.session.execute(select(func.max(events.c.id)))).scalar() or 0

    async def updated_at_as_of(self, snapshot: int) -> dict[uuid.UUID, datetime]:
        """For items whose updated_at changed after history position `snapshot`:
        the value it had then (the old value of its first later change)."""
        query = (
            select(events.c.item_id, events.c.old)
            .where(events.c.id > snapshot, events.c.field == "updated_at")
            .order_by(events.c.id)
        )
        then: dict[uuid.UUID, datetime] = {}
        for item, old in await self.session.execute(query):
            then.setdefault(item, datetime.fromisoformat(old))
        return then

    async def page(
        self, filters: ItemFilters, before: Position | None, skip: set[uuid.UUID], limit: int
    ) -> list[ItemRow]:
        """Up to `limit` items after `before` in listing order, leaving out `skip`."""
        query = self._filtered(filters).order_by(WorkItem.updated_at.desc(), WorkItem.id.desc())
        if before is not None:
            query = query.where(
                tuple_(WorkItem.updated_at, WorkItem.id) < tuple_(before.updated_at, before.item_id)
            )
        if skip:
            query = query.where(WorkItem.id.not_in(skip))
        return [(item, conn) for item, conn in await self.session.execute(query.limit(limit))]

    async def past_page(
        self, filters: ItemFilters, before: Position | None, limit: int
    ) -> list[ItemRow]:
        """Like `page`, as of `filters.as_of`, among items unchanged since: for them,
        what is stored now is what was true then."""
        assert filters.as_of is not None
        query = self._filtered(filters).where(~_changed_since(filters.as_of))
        query = query.order_by(WorkItem.updated_at.desc(), WorkItem.id.desc())
        if before is not None:
            query = query.where(
                tuple_(WorkItem.updated_at, WorkItem.id) < tuple_(before.updated_at, before.item_id)
            )
        return [(item, conn) for item, conn in await self.session.execute(query.limit(limit))]

    async def changed_since(self, filters: ItemFilters) -> list[ItemRow]:
        """Items that existed at `filters.as_of` and changed since, by lasting filters."""
        assert filters.as_of is not None
        query = self._filtered(filters.lasting()).where(_changed_since(filters.as_of))
        return [(item, conn) for item, conn in await self.session.execute(query)]

    async def among(self, filters: ItemFilters, ids: set[uuid.UUID]) -> list[ItemRow]:
        query = self._filtered(filters).where(WorkItem.id.in_(ids))
        return [(item, conn) for item, conn in await self.session.execute(query)]

    async def get(self, item: uuid.UUID) -> ItemRow | None:
        query = self._joined().where(WorkItem.id == item, Connection.removed_at.is_(None))
        row = (await self.session.execute(query)).first()
        return None if row is None else (row[0], row[1])

    async def links_of(self, item: uuid.UUID) -> list[tuple[Link, ItemRow | None]]:
        other = aliased(WorkItem)
        other_connection = aliased(Connection)
        query = (
            select(Link, other, other_connection)
            .outerjoin(
                other,
                other.id
                == case(
                    (Link.source_item_id == item, Link.target_item_id), else_=Link.source_item_id
                ),
            )
            .outerjoin(other_connection, other_connection.id == other.connection_id)
            .where(or_(Link.source_item_id == item, Link.target_item_id == item))
            .where(Link.removed_at.is_(None))
            .options(defer(other.raw, raiseload=True))
            .order_by(Link.created_at, Link.id)
        )
        rows = await self.session.execute(query)
        return [(link, (o, c) if o is not None else None) for link, o, c in rows]

    async def history_of(self, item: uuid.UUID) -> Sequence[ItemEvent]:
        query = (
            select(ItemEvent).where(ItemEvent.item_id == item).order_by(ItemEvent.at, ItemEvent.id)
        )
        return (await self.session.execute(query)).scalars().all()

    def _joined(self) -> Select[WorkItem, Connection]:
        # The API never shows `raw`: reading it would cost a detoast and a parse per row.
        return (
            select(WorkItem, Connection)
            .join(Connection, Connection.id == WorkItem.connection_id)
            .options(defer(WorkItem.raw, raiseload=True))
        )

    def _filtered(self, filters: ItemFilters) -> Select[WorkItem, Connection]:
        query = self._joined().where(Connection.removed_at.is_(None))
        for column, value in (
            (Connection.name, filters.connection),
            (WorkItem.source, filters.source),
            (WorkItem.kind, filters.kind),
            (WorkItem.team, filters.team),
            (WorkItem.status_category, filters.status_category),
            (WorkItem.sprint, filters.sprint),
        ):
            if value is not None:
                query = query.where(column == value)
        if filters.assignee is not None:
            query = query.where(self._json_list_holds(items.c.assignees, filters.assignee))
        if filters.label is not None:
            query = query.where(self._json_list_holds(items.c.labels, filters.label))
        if filters.updated_since is not None:
            query = query.where(WorkItem.updated_at >= filters.updated_since)
        if filters.q:
            pattern = f"%{_escape_like(filters.q)}%"
            query = query.where(
                or_(
                    WorkItem.title.ilike(pattern, escape="\\"),
                    WorkItem.description.ilike(pattern, escape="\\"),
                )
            )
        if filters.roadmap_item is not None:
            reach = _reachable_from(filters.roadmap_item, filters.as_of)
            query = query.where(WorkItem.id.in_(select(reach)))
        if filters.as_of is not None:
            query = query.where(existed_at(items, filters.as_of, filters.include_deleted))
        elif not filters.include_deleted:
            query = query.where(WorkItem.deleted_at.is_(None))
        return query

    def _json_list_holds(self, column: ColumnElement[Any], value: str) -> ColumnElement[bool]:
        if self.dialect == "postgresql":
            return column.op("@>")(func.jsonb_build_array(value))
        member = func.json_each(column).table_valued("value")
        return exists(select(1).select_from(member).where(member.c.value == value))


def _reachable_from(root: uuid.UUID, as_of: datetime | None) -> ColumnElement[uuid.UUID]:
    """Every item reachable from `root` over active links (active then, with
    `as_of`), at any depth (UNION rather than UNION ALL, so a cycle of links ends)."""
    active = link_active_at(links, as_of) if as_of else links.c.removed_at.is_(None)
    active = and_(active, links.c.kind.in_(DELIVERY_KINDS))
    reach = (
        select(links.c.target_item_id.label("item_id"))
        .where(links.c.source_item_id == root, active)
        .cte("reach", recursive=True)
    )
    step = select(links.c.target_item_id).join(reach, links.c.source_item_id == reach.c.item_id)
    reach = reach.union(step.where(active))
    return reach.c.item_id


def _changed_since(moment: datetime) -> ColumnElement[bool]:
    return exists(select(1).where(events.c.item_id == WorkItem.id, events.c.at > moment))


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
