"""Use cases of scope tracking behind the API: take a baseline, list the changes."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from app.changes.cursor import ChangeCursor, cursor_past
from app.errors import NotFound, Unprocessable
from app.models.base import utcnow
from app.scope.baselines import MANUAL, baseline_row
from app.scope.detect import Timing
from app.scope.repository import ChangeFilters, ScopeRepository, newest_changes
from app.scope.schemas import BaselineRead, ScopeChangePage, ScopeChangeRead
from app.scope.track import refresh


async def take_baseline(session: AsyncSession, raw_id: str) -> BaselineRead:
    """Baseline the roadmap item's scope now, after recording what changed since it
    was last computed. Older baselines are kept."""
    root = _parse_id(raw_id)
    repository = ScopeRepository(session)
    kind = await repository.kind_of(root)
    if kind is None:
        raise NotFound(f"no item with id {raw_id!r}")
    if kind != "roadmap_item":
        raise Unprocessable(f"item {raw_id} is a {kind}, not a roadmap item")
    roots = await repository.roadmap_items([root])
    if root not in roots:
        raise NotFound(f"no live roadmap item with id {raw_id!r}")
    now = utcnow()
    refreshed = await refresh(repository, roots, {root: Timing(now)})
    row = baseline_row(root, refreshed.scopes[root], now, MANUAL)
    await repository.add_baselines([row])
    return BaselineRead(**{**row, "id": str(row["id"]), "roadmap_item": str(root)})


async def list_changes(
    session: AsyncSession, filters: ChangeFilters, cursor: str | None, limit: int
) -> ScopeChangePage:
    after = ChangeCursor.decode(cursor) if cursor else None
    rows = await newest_changes(session, filters, after, limit + 1)
    changes = [
        ScopeChangeRead(
            id=change.id, roadmap_item=str(change.roadmap_item_id), roadmap_item_key=root_key,
            ticket=str(change.ticket_id) if change.ticket_id else None, ticket_key=ticket_key,
            type=change.type, old=change.old, new=change.new,
            points_delta=change.points_delta, days=change.days, summary=change.summary,
            at=change.at, recorded_at=change.recorded_at,
        )
        for change, root_key, ticket_key in rows[:limit]
    ]  # fmt: skip
    return ScopeChangePage(changes=changes, next_cursor=cursor_past(rows, limit))


def _parse_id(raw: str) -> uuid.UUID:
    try:
        return uuid.UUID(raw)
    except ValueError:
        raise NotFound(f"no item with id {raw!r}") from None
