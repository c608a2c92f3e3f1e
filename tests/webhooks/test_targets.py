"""A connection's webhook verification material is kept a few seconds, and an
edit through the API is seen at once; on both databases."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from app.connections import service as connections
from app.db import Database
from app.errors import NotFound
from app.webhooks.targets import WebhookTargets
from tests.real_fixtures import raw_bytes
from tests.sync.simulated import VAULT
from tests.webhooks.helpers import add_receiving_connection, signed_headers

BODY = raw_bytes("github", "issues.opened.json")


async def test_a_rotated_secret_applies_to_the_next_delivery(client: httpx.AsyncClient) -> None:
    await add_receiving_connection(client, secret="old-secret-1")
    signed_old = signed_headers(BODY, delivery="one", secret="old-secret-1")
    assert (await client.post("/webhooks/gh", content=BODY, headers=signed_old)).status_code == 202
    patched = await client.patch("/api/v1/connections/gh", json={"webhook_secret": "new-secret-2"})
    assert patched.status_code == 200, patched.text
    signed_old = signed_headers(BODY, delivery="two", secret="old-secret-1")
    assert (await client.post("/webhooks/gh", content=BODY, headers=signed_old)).status_code == 401
    signed_new = signed_headers(BODY, delivery="two", secret="new-secret-2")
    assert (await client.post("/webhooks/gh", content=BODY, headers=signed_new)).status_code == 202


async def test_a_removed_connection_stops_receiving_at_once(client: httpx.AsyncClient) -> None:
    await add_receiving_connection(client)
    headers = signed_headers(BODY, delivery="one")
    assert (await client.post("/webhooks/gh", content=BODY, headers=headers)).status_code == 202
    assert (await client.delete("/api/v1/connections/gh")).status_code == 204
    response = await client.post("/webhooks/gh", content=BODY, headers=signed_headers(BODY))
    assert response.status_code == 404
    assert "gh" in response.json()["detail"]


async def test_an_edit_by_another_process_is_seen_within_the_ttl(
    client: httpx.AsyncClient, database: Database
) -> None:
    await add_receiving_connection(client)
    now = [100.0]
    targets = WebhookTargets(database, VAULT, ttl=5.0, clock=lambda: now[0])
    kept = await targets.get("gh")
    async with database.job_session() as session:  # as `bridge connections remove` would
        await connections.remove(session, "gh")
    now[0] += 4.9
    assert await targets.get("gh") is kept
    now[0] += 0.2
    with pytest.raises(NotFound):
        await targets.get("gh")


async def test_unknown_names_are_not_kept(client: httpx.AsyncClient, database: Database) -> None:
    targets = WebhookTargets(database, VAULT, ttl=60.0, clock=lambda: 0.0)
    with pytest.raises(NotFound):
        await targets.get("gh")
    await add_receiving_connection(client)
    assert (await targets.get("gh")).config.name == "gh"


async def test_requests_that_find_an_entry_expired_share_one_read(
    client: httpx.AsyncClient, database: Database
) -> None:
    await add_receiving_connection(client)
    now = [100.0]
    targets = WebhookTargets(database, VAULT, ttl=5.0, clock=lambda: now[0])
    first = await targets.get("gh")
    now[0] += 5.1
    found = await asyncio.gather(*(targets.get("gh") for _ in range(8)))
    assert all(target is found[0] for target in found)  # each read makes a new target
    assert found[0] is not first
    assert await targets.get("gh") is found[0]  # and it is kept
