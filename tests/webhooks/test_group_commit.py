"""Concurrent deliveries share commits, and each is answered only once stored;
on both databases."""

from __future__ import annotations

import asyncio
import uuid

import httpx
from sqlalchemy import select

from app.db import Database
from app.items.plan import ConnectionRef
from app.models import WebhookDelivery
from app.models.base import utcnow
from app.webhooks.group_insert import NewDelivery
from app.webhooks.repository import DeliveryRepository
from app.webhooks.writer import DeliveryWriter
from tests.real_fixtures import raw_bytes
from tests.webhooks.helpers import add_receiving_connection, signed_headers

BODY = raw_bytes("github", "issues.opened.json")


def _delivery(connection_id: uuid.UUID, delivery_id: str) -> NewDelivery:
    return NewDelivery(uuid.uuid4(), connection_id, delivery_id, {}, b"{}", utcnow())


async def _stored_ids(database: Database) -> list[str]:
    async with database.job_session() as session:
        return list((await session.execute(select(WebhookDelivery.delivery_id))).scalars())


async def test_a_burst_is_stored_once_each_in_fewer_commits(
    client: httpx.AsyncClient, database: Database
) -> None:
    await add_receiving_connection(client)
    ids = [f"burst-{n}" for n in range(40)]
    sent = [*ids, *ids[:10]]  # ten redelivered within the same burst
    responses = await asyncio.gather(
        *(client.post("/webhooks/gh", content=BODY, headers=signed_headers(BODY, delivery=d))
          for d in sent)
    )  # fmt: skip
    by_code: dict[int, list[str]] = {}
    for delivery, response in zip(sent, responses, strict=True):
        by_code.setdefault(response.status_code, []).append(delivery)
        assert response.json()["duplicate"] is (response.status_code == 200)
    assert sorted(by_code[202]) == sorted(ids)
    assert len(by_code[200]) == 10
    assert sorted(await _stored_ids(database)) == sorted(ids)
    writer: DeliveryWriter = client._transport.app.state.delivery_writer  # type: ignore[attr-defined]
    assert writer.commits < len(ids)


async def test_a_failed_commit_answers_every_receipt_of_its_group(database: Database) -> None:
    writer = DeliveryWriter(database)
    # No such connection: the foreign key refuses the whole group.
    orphans = [_delivery(uuid.uuid4(), f"d{n}") for n in range(3)]
    results = await asyncio.gather(*map(writer.store, orphans), return_exceptions=True)
    assert all(isinstance(result, Exception) for result in results)
    assert await _stored_ids(database) == []
    await writer.close()


async def test_drain_waits_for_receipts_in_flight(
    database: Database, connection: ConnectionRef
) -> None:
    writer = DeliveryWriter(database)
    stores = [
        asyncio.create_task(writer.store(_delivery(connection.id, d))) for d in ("a", "b", "c")
    ]
    await asyncio.sleep(0)  # every receipt has joined a group; none is written yet
    await writer.drain()
    assert sorted(await _stored_ids(database)) == ["a", "b", "c"]
    assert await asyncio.gather(*stores) == [True, True, True]
    await writer.close()


async def test_a_stored_delivery_reads_back_through_the_orm_as_given(
    database: Database, connection: ConnectionRef
) -> None:
    writer = DeliveryWriter(database)
    given = NewDelivery(
        uuid.uuid4(), connection.id, "read-back", {"x-github-event": "issues"}, BODY, utcnow()
    )
    assert await writer.store(given) is True
    await writer.close()
    async with database.job_session() as session:
        stored = await session.get(WebhookDelivery, given.id)
        due = await DeliveryRepository(session).claim_due(utcnow(), limit=10)
    assert stored is not None
    assert (stored.connection_id, stored.delivery_id) == (given.connection_id, "read-back")
    assert (stored.headers, stored.body) == (given.headers, BODY)
    assert stored.received_at == stored.next_attempt_at == given.received_at
    assert (stored.status, stored.attempts) == ("pending", 0)
    assert stored.event is stored.detail is stored.processed_at is None
    assert [delivery.id for delivery in due] == [given.id]  # due at once, as times compare
