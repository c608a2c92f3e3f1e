"""Posting signed GitHub deliveries to the app, and running the inbox."""

from __future__ import annotations

import uuid

import httpx
import orjson

from app.db import Database
from app.webhooks.inbox import InboxProcessor
from connectors.base.webhooks import hmac_sha256_hex
from tests.conftest import SECRET_KEY
from tests.sync.simulated import VAULT

WEBHOOK_SECRET = "whsec-test"
assert SECRET_KEY  # the vault the app uses opens what VAULT seals


async def add_receiving_connection(
    client: httpx.AsyncClient, name: str = "gh", secret: str | None = WEBHOOK_SECRET
) -> None:
    body: dict[str, object] = {"name": name, "kind": "github"}
    if secret is not None:
        body["webhook_secret"] = secret
    response = await client.post("/api/v1/connections", json=body)
    assert response.status_code == 201, response.text


def signed_headers(body: bytes, event: str = "issues", delivery: str | None = None,
                   secret: str = WEBHOOK_SECRET) -> dict[str, str]:  # fmt: skip
    return {
        "X-GitHub-Event": event,
        "X-GitHub-Delivery": delivery or str(uuid.uuid4()),
        "X-Hub-Signature-256": "sha256=" + hmac_sha256_hex(secret, body),
        "Content-Type": "application/json",
    }


async def post(
    client: httpx.AsyncClient, payload: object, *, event: str = "issues",
    delivery: str | None = None, name: str = "gh",
) -> httpx.Response:  # fmt: skip
    body = orjson.dumps(payload)
    headers = signed_headers(body, event, delivery)
    return await client.post(f"/webhooks/{name}", content=body, headers=headers)


async def process_inbox(db_url: str) -> int:
    database = Database(db_url)
    try:
        return await InboxProcessor(database, VAULT).run_once()
    finally:
        await database.dispose()
