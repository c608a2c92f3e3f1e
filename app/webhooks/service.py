"""Receiving a webhook: verify, store durably once, answer. Applying it is the
inbox's job (app/webhooks/inbox.py)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping

import orjson
from sqlalchemy.ext.asyncio import AsyncSession

from app.errors import BadRequest, NotFound, Unauthorized
from app.models.base import utcnow
from app.webhooks.group_insert import NewDelivery
from app.webhooks.repository import DeliveryRepository
from app.webhooks.schemas import DeliveryRead, Received
from app.webhooks.targets import WebhookTargets
from app.webhooks.writer import DeliveryWriter
from connectors.base.webhooks import WebhookRejected

# Never stored: credentials, and what only the HTTP hop needed.
DROPPED_HEADERS = frozenset(
    {"authorization", "proxy-authorization", "cookie", "host", "connection", "content-length"}
)


async def receive(
    targets: WebhookTargets,
    writer: DeliveryWriter,
    name: str,
    headers: Mapping[str, str],
    body: bytes,
) -> Received:
    target = await targets.get(name)
    try:
        target.connector.verify_webhook(target.config, headers, body)
    except WebhookRejected as rejected:
        raise Unauthorized(f"webhook rejected: {rejected}") from None
    _require_json(body)
    try:
        delivery_id = target.connector.delivery_id(headers, body)
    except WebhookRejected as rejected:
        raise BadRequest(str(rejected)) from None
    kept = {k.lower(): v for k, v in headers.items() if k.lower() not in DROPPED_HEADERS}
    new = await writer.store(
        NewDelivery(uuid.uuid4(), target.connection_id, delivery_id, kept, body, utcnow())
    )
    return Received(delivery=delivery_id, duplicate=not new)


def _require_json(body: bytes) -> None:
    try:
        orjson.loads(body)
    except orjson.JSONDecodeError:
        raise BadRequest("the body is not JSON") from None


async def list_deliveries(
    session: AsyncSession, *, connection: str | None, status: str | None, limit: int
) -> list[DeliveryRead]:
    rows = await DeliveryRepository(session).newest_first(
        connection=connection, status=status, limit=limit
    )
    return [DeliveryRead.of(delivery, owner.name) for delivery, owner in rows]


async def inbox_counts(session: AsyncSession) -> dict[str, dict[str, int]]:
    """Per connection, how many deliveries are pending, done, ignored and failed."""
    return await DeliveryRepository(session).counts_by_status()


async def replay(session: AsyncSession, delivery_id: str) -> DeliveryRead:
    """Apply a delivery again, whatever became of it (ingest keeps that idempotent)."""
    try:
        found = await DeliveryRepository(session).get(uuid.UUID(delivery_id))
    except ValueError:
        found = None
    if found is None:
        raise NotFound(f"no webhook delivery with id {delivery_id!r}")
    delivery, owner = found
    delivery.status, delivery.attempts, delivery.detail = "pending", 0, None
    delivery.next_attempt_at, delivery.processed_at = utcnow(), None
    await session.flush()
    return DeliveryRead.of(delivery, owner.name)
