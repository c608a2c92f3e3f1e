"""Jira's real deliveries through POST /webhooks/{connection} and the inbox, on both databases."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import select

from app.db import Database
from app.items.identity import item_id
from app.models import Connection
from connectors.base.webhooks import hmac_sha256_hex
from tests.real_fixtures import raw_bytes
from tests.webhooks.helpers import WEBHOOK_SECRET, process_inbox

NAME = "acme-jira"


def jira_headers(body: bytes, delivery: str, secret: str = WEBHOOK_SECRET) -> dict[str, str]:
    return {
        "X-Atlassian-Webhook-Identifier": delivery,
        "X-Atlassian-Webhook-Flow": "Primary",
        "X-Hub-Signature": "sha256=" + hmac_sha256_hex(secret, body),
        "Content-Type": "application/json",
    }


async def deliver(client: httpx.AsyncClient, name: str, delivery: str) -> httpx.Response:
    body = raw_bytes("jira", name)
    return await client.post(
        f"/webhooks/{NAME}", content=body, headers=jira_headers(body, delivery)
    )


async def item(client: httpx.AsyncClient, database: Database, external_id: str) -> dict[str, Any]:
    async with database.job_session() as session:
        connection = (await session.execute(select(Connection))).scalar_one()
    response = await client.get(f"/api/v1/items/{item_id(connection.id, external_id)}")
    assert response.status_code == 200, response.text
    found: dict[str, Any] = response.json()
    return found


async def test_jira_deliveries_are_verified_deduplicated_and_applied_with_history(
    client: httpx.AsyncClient, database: Database, db_url: str
) -> None:
    created = await client.post(
        "/api/v1/connections",
        json={"name": NAME, "kind": "jira", "base_url": "https://acme.atlassian.net",
              "webhook_secret": WEBHOOK_SECRET},
    )  # fmt: skip
    assert created.status_code == 201, created.text
    first = await deliver(client, "issue_created.json", "d-1")
    again = await deliver(client, "issue_created.json", "d-1")
    assert (first.status_code, first.json()) == (202, {"delivery": "d-1", "duplicate": False})
    assert (again.status_code, again.json()["duplicate"]) == (200, True)
    assert (await deliver(client, "issue_updated.json", "d-2")).status_code == 202
    body = raw_bytes("jira", "issue_updated.json")
    forged = jira_headers(body, "d-3", secret="not-the-secret")
    rejected = await client.post(f"/webhooks/{NAME}", content=body, headers=forged)
    assert rejected.status_code == 401
    assert await process_inbox(db_url) == 2
    shown = await item(client, database, "10040")
    assert (shown["key"], shown["status"], shown["status_category"]) == ("TES-41", "Done", "done")
    vendor = [(h["field"], h["old"], h["new"]) for h in shown["history"]
              if h["origin"] == "vendor_changelog"]  # fmt: skip
    assert ("status", "In Progress", "Done") in vendor
    assert (await deliver(client, "issue_deleted.json", "d-4")).status_code == 202
    assert await process_inbox(db_url) == 1
    assert (await item(client, database, "10303"))["deleted"] is True
