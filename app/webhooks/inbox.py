"""The inbox processor: applies stored webhook deliveries through ingest().

A delivery's life: pending → done (applied) | ignored (an event we do not use,
with the reason) | failed (after MAX_ATTEMPTS, with its last error). A failing
delivery is retried with exponential back-off. Each delivery is claimed,
applied and marked in one transaction, so a crash at any point leaves it
pending and it is applied exactly once later. On PostgreSQL claims use
FOR UPDATE SKIP LOCKED, so any number of processes share the work.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import timedelta

import orjson
from sqlalchemy.ext.asyncio import AsyncSession

from app.connections.service import config_of
from app.credentials import CredentialVault
from app.db import Database
from app.graceful import finish_first
from app.items.ingest import ingest
from app.items.plan import ConnectionRef
from app.metrics import INBOX_DEPTH
from app.models import Connection, WebhookDelivery
from app.models.base import utcnow
from app.webhooks.repository import DeliveryRepository
from connectors import get_connector

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
CLAIM_SIZE = 50
FIRST_RETRY = timedelta(seconds=5)
LAST_RETRY = timedelta(hours=1)


class InboxProcessor:
    def __init__(self, database: Database, vault: CredentialVault, *, poll_seconds: float = 1.0):
        self.database = database
        self.vault = vault
        self.poll_seconds = poll_seconds
        self.wakeup = asyncio.Event()  # set by the receiver when a delivery arrives
        self.stopping = False

    def stop(self) -> None:
        """Let `run_forever` return once the claim in hand is applied."""
        self.stopping = True
        self.wakeup.set()

    async def run_forever(self) -> None:
        while not self.stopping:
            if await self.run_once() == 0 and not self.stopping:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.wakeup.wait(), self.poll_seconds)
                self.wakeup.clear()

    async def run_once(self) -> int:
        """Apply every due delivery (until asked to stop); the number handled."""
        handled = 0
        while not self.stopping and (claimed := await finish_first(self._claim_and_apply())):
            handled += claimed
        async with self.database.engine.connect() as connection:
            INBOX_DEPTH.set(await DeliveryRepository.count_pending(connection))
        return handled

    async def _claim_and_apply(self) -> int:
        async with self.database.job_session() as session:
            due = await DeliveryRepository(session).claim_due(utcnow(), CLAIM_SIZE)
            for delivery in due:
                await self._apply_one(session, delivery)
            return len(due)

    async def _apply_one(self, session: AsyncSession, delivery: WebhookDelivery) -> None:
        delivery_id, attempts = delivery.id, delivery.attempts
        repository = DeliveryRepository(session)
        try:
            async with session.begin_nested():  # a failure undoes this delivery alone
                outcome = await self._apply(session, delivery)
        except Exception as error:  # recorded on the delivery and retried, never dropped
            log.warning("webhook delivery %s failed: %s", delivery_id, error, exc_info=True)
            await repository.mark(delivery_id, **_failure(attempts + 1, error))
            return
        await repository.mark(delivery_id, processed_at=utcnow(), attempts=attempts + 1, **outcome)

    async def _apply(self, session: AsyncSession, delivery: WebhookDelivery) -> dict[str, object]:
        connection = await session.get(Connection, delivery.connection_id)
        if connection is None or connection.removed_at is not None:
            return {"status": "ignored", "detail": "its connection was removed"}
        connector = get_connector(connection.kind)
        config = config_of(self.vault, connection)
        payload = orjson.loads(delivery.body)
        result = connector.parse_webhook(config, delivery.headers, payload, delivery.received_at)
        if result.batch is None:
            return {"status": "ignored", "event": result.event, "detail": result.ignored_because}
        target = ConnectionRef(connection.id, connection.kind)
        await ingest(session, target, result.batch, origin="webhook")
        return {"status": "done", "event": result.event, "detail": None}


def _failure(attempts: int, error: Exception) -> dict[str, object]:
    detail = f"{type(error).__name__}: {error}"
    if attempts >= MAX_ATTEMPTS:
        return {"status": "failed", "attempts": attempts, "detail": detail}
    delay = min(FIRST_RETRY * 2 ** (attempts - 1), LAST_RETRY)
    return {"attempts": attempts, "detail": detail, "next_attempt_at": utcnow() + delay}
