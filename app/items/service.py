"""Use cases of the items API: list with filters and a stable cursor, one item in full."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from app.errors import NotFound
from app.items.as_of import values_at
from app.items.cursor import PageCursor, Position
from app.items.plan import TRACKED_FIELDS
from app.items.repository import ItemFilters, ItemReadRepository, ItemRow
from app.items.schemas import HistoryEntry, ItemDetail, ItemPage, ItemRead, LinkRead


async def list_items(
    session: AsyncSession, filters: ItemFilters, *, limit: int, cursor: str | None
) -> ItemPage:
    """One page, newest first. Every page places an item by its updated_at as of
    the moment the walk began, so concurrent updates neither skip nor repeat it."""
    repository = ItemReadRepository(session)
    if filters.roadmap_item is not None:
        await _require_item(repository, filters.roadmap_item)
    if filters.as_of is not None:
        return await _list_as_of(session, repository, filters, limit=limit, cursor=cursor)
    start = PageCursor.decode(cursor) if cursor else None
    snapshot = start.snapshot if start else await repository.last_event_id()
    after = start.after if start else None
    then = await repository.updated_at_as_of(snapshot)
    candidates = await repository.page(filters, after, set(then), limit + 1)
    if then:
        moved = await repository.among(filters, set(then))
        candidates = _merge(candidates, moved, then, after)
    rows = candidates[: limit + 1]
    page = [ItemRead.of(item, connection) for item, connection in rows[:limit]]
    next_cursor = None
    if len(rows) > limit:
        last = rows[limit - 1][0]
        position = Position(then.get(last.id, last.updated_at), last.id)
        next_cursor = PageCursor(position, snapshot).encode()
    return ItemPage(items=page, next_cursor=next_cursor)


def _merge(
    unmoved: list[ItemRow],
    moved: list[ItemRow],
    then: dict[uuid.UUID, datetime],
    after: Position | None,
) -> list[ItemRow]:
    """Put items that moved since the snapshot back where they stood then."""

    def position(row: ItemRow) -> Position:
        item = row[0]
        stamp = then.get(item.id, item.updated_at)
        return Position(stamp, item.id)

    placed = [row for row in moved if after is None or position(row) < after]
    return sorted(unmoved + placed, key=position, reverse=True)


async def _list_as_of(
    session: AsyncSession,
    repository: ItemReadRepository,
    filters: ItemFilters,
    *,
    limit: int,
    cursor: str | None,
) -> ItemPage:
    """A page of the items as they were at `filters.as_of`: those unchanged since
    come filtered and ordered by SQL; those changed since (as many as changed after
    that moment) are rebuilt from history, then filtered and placed here. The past
    does not move, so the cursor is a plain position."""
    assert filters.as_of is not None
    after = PageCursor.decode(cursor).after if cursor else None
    shown = [ItemRead.of(*row) for row in await repository.past_page(filters, after, limit + 1)]
    changed = await repository.changed_since(filters)
    then = await values_at(session, [item.id for item, _ in changed], TRACKED_FIELDS, filters.as_of)
    for item, owner in changed:
        gone = item.deleted_at is not None and item.deleted_at <= filters.as_of
        read = ItemRead.of(item, owner).as_then(then.get(item.id, {}) | {"deleted": gone})
        if matches(read, filters) and (after is None or _position(read) < after):
            shown.append(read)
    page = sorted(shown, key=_position, reverse=True)[: limit + 1]
    next_cursor = None
    if len(page) > limit:
        next_cursor = PageCursor(_position(page[limit - 1]), 0).encode()
    return ItemPage(items=page[:limit], next_cursor=next_cursor)


def _position(read: ItemRead) -> Position:
    return Position(read.updated_at, uuid.UUID(read.id))


def matches(read: ItemRead, filters: ItemFilters) -> bool:
    """The filters on what an item can change, judged on an item rebuilt in memory."""
    text = filters.q.casefold() if filters.q else None
    return (
        all(
            wanted is None or getattr(read, name) == wanted
            for name, wanted in (
                ("kind", filters.kind), ("team", filters.team),
                ("status_category", filters.status_category), ("sprint", filters.sprint),
            )
        )
        and (filters.assignee is None or filters.assignee in read.assignees)
        and (filters.label is None or filters.label in read.labels)
        and (filters.updated_since is None or read.updated_at >= filters.updated_since)
        and (text is None or text in f"{read.title}\n{read.description or ''}".casefold())
    )  # fmt: skip


async def get_item(session: AsyncSession, item_id: str) -> ItemDetail:
    repository = ItemReadRepository(session)
    item, connection = await _require_item(repository, _parse_id(item_id))
    links = [
        LinkRead(
            id=str(link.id),
            kind=link.kind,
            origin=link.origin,
            direction="outgoing" if link.source_item_id == item.id else "incoming",
            created_at=link.created_at,
            item=ItemRead.of(*other) if other else None,
        )
        for link, other in await repository.links_of(item.id)
    ]
    history = [
        HistoryEntry(at=e.at, field=e.field, old=e.old, new=e.new, origin=e.origin)
        for e in await repository.history_of(item.id)
    ]
    summary = ItemRead.of(item, connection)
    return ItemDetail(**summary.model_dump(), links=links, history=history)


def _parse_id(text: str) -> uuid.UUID:
    try:
        return uuid.UUID(text)
    except ValueError:
        raise NotFound(f"no item with id {text!r}") from None


async def _require_item(repository: ItemReadRepository, item_id: uuid.UUID) -> ItemRow:
    row = await repository.get(item_id)
    if row is None:
        raise NotFound(f"no item with id {str(item_id)!r}")
    return row
