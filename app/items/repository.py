"""All SQL over work_items and item_events: the write side used by ingest(),
and the read side of the items API."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import (
    ARRAY,
    ColumnElement,
    Select,
    Uuid,
    any_,
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
from sqlalchemy.orm import aliased
from sqlalchemy.sql import Executable

from app.db import dialect_of
from app.items.cursor import Position
from app.items.plan import TRACKED_FIELDS, Row
from app.models import Connection, ItemEvent, Link, WorkItem
from app.models.base import table_of, utcnow

items = table_of(WorkItem)
events = table_of(ItemEvent)
links = table_of(Link)

# Ids per IN (...) list: far below SQLite's bound-parameter limit.
CHUNK = 1000
# Columns an upsert never overwrites: identity and first sighting.
_KEEP_ON_CONFLICT = {"id", "connection_id", "external_id", "first_seen_at"}


def id_in(
    session: AsyncSession, column: ColumnElement[uuid.UUID], ids: Sequence[uuid.UUID]
) -> ColumnElement[bool]:
    """`column IN ids`. On PostgreSQL as one array parameter: a statement with a
    fixed text, whose cached generic plan still uses the index (an IN list of
    1000 parameters got a cached plan that scanned the whole table)."""
    if dialect_of(session) == "postgresql":
        return column == any_(bindparam("ids", list(ids), type_=ARRAY(Uuid())))
    return column.in_(ids)


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
        """Append history; a vendor-recorded change already kept is skipped."""
        if rows:
            now = utcnow()
            await self.session.execute(
                _append_events_of(dialect_of(self.session)),
                [{**row, "recorded_at": now} for row in rows],
            )

    def _upsert_statement(self) -> Executable:
        return _upsert_of(dialect_of(self.session))


@cache
def _upsert_of(dialect: str) -> Executable:
    """The upsert of work_items, built once per dialect."""
    statement = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(items)
    excluded = statement.excluded
    return statement.on_conflict_do_update(
        index_elements=[items.c.id],
        set_={c.name: excluded[c.name] for c in items.c if c.name not in _KEEP_ON_CONFLICT},
        # Belt and braces under serialize_writes: never replace a newer version.
        where=items.c.source_updated_at <= excluded.source_updated_at,
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
        return select(WorkItem, Connection).join(
            Connection, Connection.id == WorkItem.connection_id
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
            query = query.where(WorkItem.id.in_(select(_reachable_from(filters.roadmap_item))))
        if not filters.include_deleted:
            query = query.where(WorkItem.deleted_at.is_(None))
        return query

    def _json_list_holds(self, column: ColumnElement[Any], value: str) -> ColumnElement[bool]:
        if self.dialect == "postgresql":
            return column.op("@>")(func.jsonb_build_array(value))
        member = func.json_each(column).table_valued("value")
        return exists(select(1).select_from(member).where(member.c.value == value))


def _reachable_from(root: uuid.UUID) -> ColumnElement[uuid.UUID]:
    """Every item reachable from `root` over active links, at any depth (UNION
    rather than UNION ALL, so a cycle of links ends)."""
    reach = (
        select(links.c.target_item_id.label("item_id"))
        .where(links.c.source_item_id == root, links.c.removed_at.is_(None))
        .cte("reach", recursive=True)
    )
    step = select(links.c.target_item_id).join(reach, links.c.source_item_id == reach.c.item_id)
    reach = reach.union(step.where(links.c.removed_at.is_(None)))
    return reach.c.item_id


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
