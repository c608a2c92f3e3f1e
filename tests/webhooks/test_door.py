"""WebhookDoor answers POST /webhooks/{connection} before FastAPI routes it: the
same answers as the documented route, and every other request passes through."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from app.config import Settings
from app.db import Database
from app.main import create_app
from app.webhooks.door import WebhookDoor
from tests.conftest import settings_for, started, wipe
from tests.real_fixtures import raw_bytes
from tests.webhooks.helpers import add_receiving_connection, signed_headers

BODY = raw_bytes("github", "issues.opened.json")
Exchange = tuple[int, Any, list[str]]


def _without_door(app: FastAPI) -> FastAPI:
    app.user_middleware = [m for m in app.user_middleware if m.cls is not WebhookDoor]
    return app


async def _exchanges(settings: Settings, *, door: bool) -> list[Exchange]:
    """One of each kind of answer, and the delivery ids stored after them."""
    app = create_app(settings) if door else _without_door(create_app(settings))
    answers: list[Exchange] = []
    async for client in started(app):
        await add_receiving_connection(client)
        good = signed_headers(BODY, delivery="d-1")
        requests: list[tuple[str, bytes, dict[str, str]]] = [
            ("/webhooks/gh", BODY, good),  # accepted
            ("/webhooks/gh", BODY, good),  # duplicate
            ("/webhooks/gh", BODY, good | {"X-Hub-Signature-256": "sha256=" + "0" * 64}),
            ("/webhooks/gh", b"not json", signed_headers(b"not json")),
            ("/webhooks/gh", b"", signed_headers(b"")),
            ("/webhooks/gh", b"[" + b" " * 20000 + b"]", {}),  # over this app's cap
            ("/webhooks/nobody", BODY, signed_headers(BODY)),
        ]
        for path, body, headers in requests:
            response = await client.post(path, content=body, headers=headers)
            listed = (await client.get("/api/v1/webhook-deliveries")).json()["deliveries"]
            stored = sorted(delivery["delivery_id"] for delivery in listed)
            answers.append((response.status_code, response.json(), stored))
    return answers


async def test_the_door_answers_as_the_route_would(db_url: str) -> None:
    settings = settings_for(db_url, webhook_max_bytes=16384)
    through_door = await _exchanges(settings, door=True)
    assert [status for status, _, _ in through_door] == [202, 200, 401, 400, 400, 413, 404]
    assert through_door[0][1] == {"delivery": "d-1", "duplicate": False}
    assert through_door[-1][2] == ["d-1"]  # nothing but the one good delivery stored
    database = Database(db_url)  # the route starts from the same empty store
    await wipe(database)
    await database.dispose()
    assert await _exchanges(settings, door=False) == through_door


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [("GET", "/webhooks/gh", 405), ("POST", "/webhooks/gh/more", 404), ("POST", "/webhooks/", 404)],
)
async def test_other_requests_pass_through_the_door(
    client: httpx.AsyncClient, method: str, path: str, status: int
) -> None:
    response = await client.request(method, path, content=BODY)
    assert response.status_code == status


async def test_a_sender_that_hangs_up_mid_body_gets_no_answer_and_nothing_is_stored(
    client: httpx.AsyncClient,
) -> None:
    await add_receiving_connection(client)
    app: Any = client._transport.app  # type: ignore[attr-defined]
    messages = iter(
        [
            {"type": "http.request", "body": BODY[:100], "more_body": True},
            {"type": "http.disconnect"},
        ]
    )
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return next(messages)

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    headers = [(k.lower().encode(), v.encode()) for k, v in signed_headers(BODY).items()]
    scope = {"type": "http", "method": "POST", "path": "/webhooks/gh", "headers": headers,
             "query_string": b"", "app": app, "http_version": "1.1", "scheme": "http",
             "server": ("bridge.test", 80), "client": ("127.0.0.1", 1)}  # fmt: skip
    await WebhookDoor(app)(scope, receive, send)
    assert sent == []
    assert (await client.get("/api/v1/webhook-deliveries")).json() == {"deliveries": []}
