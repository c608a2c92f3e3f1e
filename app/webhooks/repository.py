"""All SQL over webhook_deliveries."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from app.db import dialect_of
from app.models import Connection, WebhookDelivery
from app.models.base import table_of

deliveries = table_of(WebhookDelivery)


class DeliveryRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def claim_due(self, now: datetime, limit: int) -> Sequence[WebhookDelivery]:
        """Pending deliveries that are due, oldest first, locked for this transaction.
        On PostgreSQL other processes skip the locked ones and take the next."""
        query = (
            select(WebhookDelivery)
            .where(WebhookDelivery.status == "pending", WebhookDelivery.next_attempt_at <= now)
            .order_by(WebhookDelivery.received_at, WebhookDelivery.id)
            .limit(limit)
        )
        if dialect_of(self.session) == "postgresql":
            query = query.with_for_update(skip_locked=True)
        return (await self.session.execute(query)).scalars().all()

    async def get(self, delivery: uuid.UUID) -> tuple[WebhookDelivery, Connection] | None:
        query = (
            select(WebhookDelivery, Connection)
            .join(Connection, Connection.id == WebhookDelivery.connection_id)
            .where(WebhookDelivery.id == delivery)
        )
        row = (await self.session.execute(query)).first()
        return None if row is None else (row[0], row[1])

    async def newest_first(
        self, *, connection: str | None, status: str | None, limit: int
    ) -> list[tuple[WebhookDelivery, Connection]]:
        query = (
            select(WebhookDelivery, Connection)
            .join(Connection, Connection.id == WebhookDelivery.connection_id)
            .order_by(WebhookDelivery.received_at.desc(), WebhookDelivery.id.desc())
            .limit(limit)
        )
        if connection is not None:
            query = query.where(Connection.name == connection)
        if status is not None:
            query = query.where(WebhookDelivery.status == status)
        return [(delivery, owner) for delivery, owner in await self.session.execute(query)]

    async def mark(self, delivery: uuid.UUID, **values: object) -> None:
        await self.session.execute(
            update(deliveries).where(deliveries.c.id == delivery).values(**values)
        )

    async def counts_by_status(self) -> dict[str, dict[str, int]]:
        """Per connection name, its stored deliveries counted by status."""
        query = (
            select(Connection.name, WebhookDelivery.status, func.count())
            .join(Connection, Connection.id == WebhookDelivery.connection_id)
            .group_by(Connection.name, WebhookDelivery.status)
        )
        counts: dict[str, dict[str, int]] = {}
        for name, status, count in await self.session.execute(query):
            counts.setdefault(name, {})[status] = count
        return counts

    @staticmethod
    async def count_pending(connection: AsyncConnection) -> int:
        query = select(func.count()).where(deliveries.c.status == "pending")
        return (await connection.execute(query)).scalar_one()
