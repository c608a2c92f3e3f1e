"""POST /webhooks/{connection} and the inbox, with GitHub's real deliveries, on both databases."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import func, select, update

from app.db import Database
from app.items.identity import item_id
from app.main import create_app
from app.models import Connection, WebhookDelivery, WorkItem
from app.models.base import utcnow
from app.webhooks.inbox import MAX_ATTEMPTS
from tests.conftest import settings_for, started
from tests.real_fixtures import load, raw_bytes, real_files
from tests.webhooks.helpers import (
    add_receiving_connection,
    post,
    process_inbox,
    signed_headers,
)

DELIVERIES = [p.name for p in real_files("github") if not p.name.startswith("rest.")]
EVENT_OF = {"issue_comment.created.json": "issue_comment"}


async def _count(database: Database, model: type[Any]) -> int:
    async with database.job_session() as session:
        return (await session.execute(select(func.count()).select_from(model))).scalar_one()


async def _item(client: httpx.AsyncClient, database: Database, key: str) -> dict[str, Any]:
    async with database.job_session() as session:
        connection = (await session.execute(select(Connection))).scalar_one()
    response = await client.get(f"/api/v1/items/{item_id(connection.id, key)}")
    assert response.status_code == 200, response.text
    item: dict[str, Any] = response.json()
    return item


@pytest.mark.parametrize("name", DELIVERIES)
async def test_every_real_delivery_is_accepted_and_applied(
    client: httpx.AsyncClient, database: Database, db_url: str, name: str
) -> None:
    await add_receiving_connection(client)
    body = raw_bytes("github", name)
    headers = signed_headers(body, EVENT_OF.get(name, "issues"), "delivery-1")
    response = await client.post("/webhooks/gh", content=body, headers=headers)
    assert (response.status_code, response.json()) == (
        202, {"delivery": "delivery-1", "duplicate": False},
    )  # fmt: skip
    assert await process_inbox(db_url) == 1
    payload = load("github", name)
    issue = payload["issue"]
    [delivery] = (await client.get("/api/v1/webhook-deliveries")).json()["deliveries"]
    if "pull_request" in issue:
        assert (delivery["status"], delivery["detail"]) == (
            "ignored",
            "pull requests are not tracked",
        )
        assert await _count(database, WorkItem) == 0
        return
    assert delivery["status"] == "done"
    key = f"{issue['repository_url'].split('/repos/')[1]}#{issue['number']}"
    stored = await _item(client, database, key)
    if payload["action"] in {"deleted", "transferred"}:
        assert stored["deleted"] is True
        return
    assert (stored["title"], stored["description"], stored["status"]) == (
        issue["title"], issue["body"], issue["state"],
    )  # fmt: skip
    assert stored["labels"] == [label["name"] for label in issue["labels"]]
    assert stored["assignees"] == [user["login"] for user in issue["assignees"]]
    assert stored["updated_at"] == issue["updated_at"]
    assert stored["url"] == issue["html_url"]


@pytest.mark.parametrize(
    ("headers", "body", "status"),
    [
        ({"X-Hub-Signature-256": "sha256=" + "0" * 64}, None, 401),  # wrong signature
        ({"X-Hub-Signature-256": ""}, None, 401),  # no signature
        ({}, b"this is not json", 400),
        ({}, b"{" + b" " * 20000 + b"}", 413),  # over the cap of this test's app
    ],
    ids=["wrong-signature", "no-signature", "not-json", "too-large"],
)
async def test_bad_deliveries_are_refused_and_nothing_is_stored(
    db_url: str, headers: dict[str, str], body: bytes | None, status: int
) -> None:
    app = create_app(settings_for(db_url, webhook_max_bytes=16384))
    async for client in started(app):
        await add_receiving_connection(client)
        raw = body if body is not None else raw_bytes("github", "issues.opened.json")
        sent = signed_headers(raw) | headers
        if not sent["X-Hub-Signature-256"]:
            del sent["X-Hub-Signature-256"]
        response = await client.post("/webhooks/gh", content=raw, headers=sent)
        assert response.status_code == status
        assert isinstance(response.json()["detail"], str)
        listed = (await client.get("/api/v1/webhook-deliveries")).json()
        assert listed == {"deliveries": []}


async def test_unknown_connection_is_404(client: httpx.AsyncClient) -> None:
    response = await post(client, load("github", "issues.opened.json"), name="nobody")
    assert (response.status_code, response.json()) == (
        404,
        {"detail": "no connection named 'nobody'"},
    )


async def test_a_connection_without_a_secret_rejects_everything(
    client: httpx.AsyncClient,
) -> None:
    await add_receiving_connection(client, secret=None)
    response = await post(client, load("github", "issues.opened.json"))
    assert response.status_code == 401
    assert (await client.get("/api/v1/webhook-deliveries")).json() == {"deliveries": []}


async def test_the_same_delivery_twice_is_stored_and_applied_once(
    client: httpx.AsyncClient, database: Database, db_url: str
) -> None:
    await add_receiving_connection(client)
    payload = load("github", "issues.opened.json")
    first = await post(client, payload, delivery="same")
    again = await post(client, payload, delivery="same")
    assert (first.status_code, again.status_code) == (202, 200)
    assert again.json() == {"delivery": "same", "duplicate": True}
    assert await process_inbox(db_url) == 1
    assert await _count(database, WebhookDelivery) == 1


async def test_an_older_delivery_after_a_newer_one_changes_nothing(
    client: httpx.AsyncClient, database: Database, db_url: str
) -> None:
    await add_receiving_connection(client)
    newer = load("github", "issues.unlabeled.json")  # updated 15:20:26, no milestone
    older = load("github", "issues.opened.json")  # updated 15:20:18, milestone v1.0
    await post(client, newer)
    await process_inbox(db_url)
    await post(client, older)
    await process_inbox(db_url)
    stored = await _item(client, database, "Codertocat/Hello-World#1")
    assert (stored["updated_at"], stored["project"]) == ("2019-05-15T15:20:26Z", None)
    assert stored["history"] == []


async def test_an_unhandled_event_is_stored_and_ignored_with_its_reason(
    client: httpx.AsyncClient, db_url: str
) -> None:
    await add_receiving_connection(client)
    response = await post(client, {"zen": "Design for failure."}, event="ping")
    assert response.status_code == 202
    await process_inbox(db_url)
    [delivery] = (await client.get("/api/v1/webhook-deliveries?status=ignored")).json()[
        "deliveries"
    ]
    assert (delivery["event"], delivery["detail"]) == ("ping", "ping events are not used")


async def test_a_failing_delivery_backs_off_then_fails_and_can_be_replayed(
    client: httpx.AsyncClient, database: Database, db_url: str
) -> None:
    await add_receiving_connection(client)
    broken = {"action": "opened", "issue": {"number": "not a number"}, "repository": {}}
    await post(client, broken, delivery="broken")
    await process_inbox(db_url)
    [pending] = (await client.get("/api/v1/webhook-deliveries")).json()["deliveries"]
    assert (pending["status"], pending["attempts"]) == ("pending", 1)
    assert pending["next_attempt_at"] > pending["received_at"]
    assert "ValidationError" in pending["detail"]
    for _ in range(MAX_ATTEMPTS - 1):
        async with database.job_session() as session:
            await session.execute(update(WebhookDelivery).values(next_attempt_at=utcnow()))
        await process_inbox(db_url)
    [failed] = (await client.get("/api/v1/webhook-deliveries?status=failed")).json()["deliveries"]
    assert failed["attempts"] == MAX_ATTEMPTS
    replayed = await client.post(f"/api/v1/webhook-deliveries/{failed['id']}/replay")
    assert (replayed.status_code, replayed.json()["status"], replayed.json()["attempts"]) == (
        202, "pending", 0,
    )  # fmt: skip


async def test_replay_applies_again_without_new_history(
    client: httpx.AsyncClient, database: Database, db_url: str
) -> None:
    await add_receiving_connection(client)
    await post(client, load("github", "issues.opened.json"))
    await process_inbox(db_url)
    [done] = (await client.get("/api/v1/webhook-deliveries")).json()["deliveries"]
    await client.post(f"/api/v1/webhook-deliveries/{done['id']}/replay")
    assert await process_inbox(db_url) == 1
    stored = await _item(client, database, "Codertocat/Hello-World#1")
    assert stored["history"] == []


@pytest.mark.parametrize(
    "path",
    ["/api/v1/webhook-deliveries/nope/replay", f"/api/v1/webhook-deliveries/{'0' * 32}/replay"],
)
async def test_replay_of_an_unknown_delivery_is_404(client: httpx.AsyncClient, path: str) -> None:
    assert (await client.post(path)).status_code == 404


async def test_bad_delivery_filters_are_422(client: httpx.AsyncClient) -> None:
    for query in ("status=lost", "limit=0"):
        response = await client.get(f"/api/v1/webhook-deliveries?{query}")
        assert response.status_code == 422
