"""POST /webhooks/{connection} with Linear's real deliveries, made current and signed,
on both databases: fresh ones are applied (updatedFrom as history), stale ones refused."""

from __future__ import annotations

import time
from typing import Any

import httpx
import orjson
from sqlalchemy import func, select

from app.db import Database
from app.items.identity import item_id
from app.models import Connection, WebhookDelivery, WorkItem
from connectors.base.webhooks import hmac_sha256_hex
from connectors.linear.sim_render import team_keys
from connectors.linear.sim_webhooks import LinearWebhookEmitter
from connectors.sim.server import build_sim_app
from connectors.sim.world import World
from tests.real_fixtures import load
from tests.webhooks.helpers import WEBHOOK_SECRET, process_inbox

WEB_44 = "3443a709-f2b5-46f2-a136-a0445fd432be"


async def add_linear(client: httpx.AsyncClient) -> None:
    body = {"name": "lin", "kind": "linear", "scopes": ["WEB"], "webhook_secret": WEBHOOK_SECRET}
    response = await client.post("/api/v1/connections", json=body)
    assert response.status_code == 201, response.text


async def deliver(client: httpx.AsyncClient, name: str, *, age_seconds: float = 0.0,
                  delivery: str = "d-1") -> httpx.Response:  # fmt: skip
    payload = load("linear", name)
    payload["webhookTimestamp"] = int((time.time() - age_seconds) * 1000)
    body = orjson.dumps(payload)
    headers = {"Linear-Signature": hmac_sha256_hex(WEBHOOK_SECRET, body),
               "Linear-Delivery": delivery, "Linear-Event": "Issue",
               "Content-Type": "application/json"}  # fmt: skip
    return await client.post("/webhooks/lin", content=body, headers=headers)


async def stored_item(client: httpx.AsyncClient, database: Database, external_id: str
                      ) -> dict[str, Any]:  # fmt: skip
    async with database.job_session() as session:
        connection = (await session.execute(select(Connection))).scalar_one()
    response = await client.get(f"/api/v1/items/{item_id(connection.id, external_id)}")
    assert response.status_code == 200, response.text
    item: dict[str, Any] = response.json()
    return item


async def count(database: Database, model: type[Any]) -> int:
    async with database.job_session() as session:
        return (await session.execute(select(func.count()).select_from(model))).scalar_one()


async def test_a_stale_delivery_is_refused_and_nothing_is_stored(
    client: httpx.AsyncClient, database: Database
) -> None:
    await add_linear(client)
    response = await deliver(client, "issue.create.json", age_seconds=61)
    assert response.status_code == 401
    assert "old" in response.json()["detail"]
    assert await count(database, WebhookDelivery) == 0
    assert await count(database, WorkItem) == 0


async def test_update_then_remove_are_applied_with_history(
    client: httpx.AsyncClient, database: Database, db_url: str
) -> None:
    await add_linear(client)
    response = await deliver(client, "issue.update.json", delivery="u-1")
    assert (response.status_code, response.json()) == (202, {"delivery": "u-1", "duplicate": False})
    assert await process_inbox(db_url) == 1
    item = await stored_item(client, database, WEB_44)
    assert (item["key"], item["status"], item["status_category"]) == (
        "WEB-44", "In Progress", "in_progress")  # fmt: skip
    assert item["sprint"] == "Cycle 1"
    [title] = [h for h in item["history"] if h["field"] == "title"]
    assert (title["origin"], title["old"], title["new"]) == (
        "vendor_changelog",
        "This is regarding the outage that we faced during 11/12/22 from 2000 to 2200.",
        load("linear", "issue.update.json")["data"]["title"],
    )
    assert title["at"] == "2023-04-11T10:16:53.022000Z"
    removed = await deliver(client, "issue.remove.json", delivery="r-1")
    assert removed.status_code == 202
    assert await process_inbox(db_url) == 1
    assert (await stored_item(client, database, WEB_44))["deleted"] is True


async def test_the_simulator_s_deliveries_keep_the_store_in_step(
    client: httpx.AsyncClient, database: Database, db_url: str
) -> None:
    world = World.generate(2, "small")
    body = {"name": "lin", "kind": "linear", "scopes": list(team_keys(world).values()),
            "webhook_secret": WEBHOOK_SECRET}  # fmt: skip
    assert (await client.post("/api/v1/connections", json=body)).status_code == 201
    emitter = LinearWebhookEmitter("/webhooks/lin", WEBHOOK_SECRET, client=client)
    sim = build_sim_app(world, linear_webhooks=[emitter])
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=sim),
                                 base_url="http://sim.test") as control:  # fmt: skip
        advanced = (await control.post("/_sim/advance?changes=25")).json()
    assert advanced["webhook_failures"] == []
    victim = next(i for i in world.all_issues() if not i.is_pull_request)
    [removed] = await emitter.send(world, [world.delete_issue(victim.repo, victim.number)])
    assert removed.status_code == 202
    assert await process_inbox(db_url) > 0
    workspace = sim.state.linear.workspace
    workspace.refresh()
    async with database.job_session() as session:
        rows = await session.execute(
            select(WorkItem.external_id, WorkItem.title, WorkItem.deleted_at)
        )
        stored = {external_id: (title, deleted) for external_id, title, deleted in rows}
    assert len(stored) > 10
    for external_id, (title, deleted) in stored.items():
        node = workspace.issues[external_id]
        if deleted is None:  # the newest delivery of an issue is what the API shows
            assert title == node["title"]
        else:
            assert node["archivedAt"] is not None
    trashed = [n for n in workspace.issues.values() if n["trashed"]]
    assert [stored[n["id"]][1] is not None for n in trashed] == [True] * len(trashed)
