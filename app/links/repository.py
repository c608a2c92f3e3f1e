"""All SQL over links."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import Row as SqlRow
from sqlalchemy import bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.items.sql import chunked, id_in
from app.models import Link
from app.models.base import table_of

links = table_of(Link)
VENDOR = "vendor"
# The kinds of link a roadmap walks, each from what is delivered to what delivers
# it: parents, references and label rules, Linear's project membership, Jira
# Product Discovery's delivery links, and manual links. A "blocks" or "relates to"
# link between two tickets says nothing about what delivers what.
DELIVERY_KINDS = ("parent", "mentions", "delivers", "contains", "implemented by", "implements")


class LinkTriple(NamedTuple):
    """A link as resolution wants it (who states it is kept beside it)."""

    source: uuid.UUID
    target: uuid.UUID
    kind: str
    origin: str


class LinkRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def active_vendor_links(self, stated_by: Sequence[uuid.UUID]) -> list[SqlRow[Any]]:
        found: list[SqlRow[Any]] = []
        for chunk in chunked(stated_by):
            query = select(
                links.c.id, links.c.stated_by_item_id, links.c.source_item_id,
                links.c.target_item_id, links.c.kind,
            ).where(
                id_in(self.session, links.c.stated_by_item_id, chunk),
                links.c.origin == VENDOR,
                links.c.removed_at.is_(None),
            )  # fmt: skip
            found.extend(await self.session.execute(query))
        return found

    async def active_links(
        self, stated_by: Sequence[uuid.UUID], origins: Sequence[str]
    ) -> list[SqlRow[Any]]:
        """The active links of these origins stated by these items."""
        found: list[SqlRow[Any]] = []
        for chunk in chunked(stated_by):
            query = select(
                links.c.id, links.c.stated_by_item_id, links.c.source_item_id,
                links.c.target_item_id, links.c.kind, links.c.origin,
            ).where(
                id_in(self.session, links.c.stated_by_item_id, chunk),
                links.c.origin.in_(origins),
                links.c.removed_at.is_(None),
            )  # fmt: skip
            found.extend(await self.session.execute(query))
        return found

    async def end(self, ended: dict[uuid.UUID, datetime]) -> None:
        if ended:
            statement = (
                update(links)
                .where(links.c.id == bindparam("link_id"))
                .values(removed_at=bindparam("at"))
            )
            await self.session.execute(
                statement, [{"link_id": link, "at": at} for link, at in ended.items()]
            )

    async def add(self, rows: list[dict[str, Any]]) -> None:
        if rows:
            await self.session.execute(
                links.insert(), [{"id": uuid.uuid4(), "removed_at": None, **row} for row in rows]
            )
