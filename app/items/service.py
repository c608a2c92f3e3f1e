"""Use cases of the items API: list with filters and a stable cursor, one item in full."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from app.errors import NotFound
from app.items.cursor import PageCursor, Position
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
