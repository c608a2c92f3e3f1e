"""Manual links: the ones people add; automatic resolution never removes them."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.errors import Conflict, NotFound, Unprocessable
from app.links.schemas import LinkOut, ManualLinkCreate
from app.models import Link, WorkItem
from app.models.base import utcnow
from app.scope.track import track_scope

MANUAL = "manual"


async def add_manual(session: AsyncSession, data: ManualLinkCreate) -> tuple[LinkOut, bool]:
    """The active manual link from `from` to `to` of that kind, made now unless it
    exists; True when it was made."""
    source, target = _item_id(data.source, "from"), _item_id(data.target, "to")
    if source == target:
        raise Unprocessable("an item cannot be linked to itself")
    for item, side in ((source, "from"), (target, "to")):
        if await session.get(WorkItem, item) is None:
            raise NotFound(f"no item with id {item} ({side!r})")
    existing = await session.scalar(
        select(Link).where(
            Link.source_item_id == source, Link.target_item_id == target,
            Link.kind == data.kind, Link.origin == MANUAL, Link.removed_at.is_(None),
        )
    )  # fmt: skip
    if existing is not None:
        return LinkOut.of(existing), False
    link = Link(
        id=uuid.uuid4(), source_item_id=source, target_item_id=target, kind=data.kind,
        origin=MANUAL, stated_by_item_id=None, created_at=utcnow(), removed_at=None,
    )  # fmt: skip
    session.add(link)
    await session.flush()
    await track_scope(session, {source: link.created_at, target: link.created_at})
    return LinkOut.of(link), True


async def remove_manual(session: AsyncSession, link_id: str) -> None:
    """End a manual link (kept as history, like every link)."""
    link = await session.get(Link, _link_id(link_id))
    if link is None or link.removed_at is not None:
        raise NotFound(f"no active link with id {link_id!r}")
    if link.origin != MANUAL:
        raise Conflict(
            f"link {link_id} comes from {link.origin} data, not from a person: change it"
            " in the tool it comes from"
        )
    link.removed_at = utcnow()
    await session.flush()
    ended = {link.source_item_id: link.removed_at, link.target_item_id: link.removed_at}
    await track_scope(session, ended)


def _item_id(raw: str, side: str) -> uuid.UUID:
    try:
        return uuid.UUID(raw)
    except ValueError:
        raise Unprocessable(f"{side!r} must be an item id, got {raw!r}") from None


def _link_id(raw: str) -> uuid.UUID:
    try:
        return uuid.UUID(raw)
    except ValueError:
        raise NotFound(f"no active link with id {raw!r}") from None
