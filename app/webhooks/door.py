"""The vendors' door: POST /webhooks/{connection}, answered before FastAPI routes.

It is the busiest path and the one with a deadline (vendors wait seconds, GitHub
never redelivers). FastAPI's routing, dependency solving and response classes
cost about as much CPU per delivery as verifying and storing it, so this ASGI
middleware answers the path itself and hands every other request to the app.
The route in endpoints.py documents the path in the OpenAPI schema and answers
through the same `accept` when a request reaches it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson
from starlette.types import ASGIApp, Receive, Scope, Send

from app.errors import BadRequest, BridgeError, PayloadTooLarge
from app.webhooks import service
from app.webhooks.schemas import Received

PREFIX = "/webhooks/"


class ClientGone(Exception):
    """The sender hung up before its body was complete: there is nobody to answer."""


class WebhookDoor:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        name = _connection_of(scope)
        if name is None:
            await self.app(scope, receive, send)
            return
        state = scope["app"].state
        try:
            received = await accept(state, name, _headers_of(scope), receive)
        except ClientGone:
            return
        except BridgeError as error:
            await _answer(send, error.status_code, {"detail": error.message}, error.headers)
            return
        await _answer(send, answer_status(received), received.model_dump())
        wake_inbox(state)  # after the answer: the delivery is committed, the vendor told


async def accept(state: Any, name: str, headers: Mapping[str, str], receive: Receive) -> Received:
    """Read, verify and durably store one delivery for connection `name`."""
    body = await read_capped(receive, headers, state.settings.webhook_max_bytes)
    return await service.receive(state.webhook_targets, state.delivery_writer, name, headers, body)


def answer_status(received: Received) -> int:
    return 200 if received.duplicate else 202


def wake_inbox(state: Any) -> None:
    inbox = getattr(state, "inbox", None)
    if inbox is not None:
        inbox.wakeup.set()


async def read_capped(receive: Receive, headers: Mapping[str, str], limit: int) -> bytes:
    """The whole body, refused as soon as it is known to be over `limit` bytes."""
    declared = headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge(f"the body is over {limit} bytes")
    chunks, size = [], 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientGone
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise PayloadTooLarge(f"the body is over {limit} bytes")
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    if not size:
        raise BadRequest("the body is empty")
    return b"".join(chunks)


def _headers_of(scope: Scope) -> dict[str, str]:
    """The request's headers decoded once: verifying, finding the delivery id and
    keeping the headers each read them, and Starlette's Headers decodes per read.
    ASGI gives the names lowercased; a repeated name keeps its last value, as the
    connectors' own lookups do."""
    return {name.decode("latin-1"): value.decode("latin-1") for name, value in scope["headers"]}


def _connection_of(scope: Scope) -> str | None:
    """The connection name of a webhook delivery, None for any other request."""
    if scope["type"] != "http" or scope["method"] != "POST":
        return None
    path: str = scope["path"]
    if not path.startswith(PREFIX):
        return None
    name = path[len(PREFIX) :]
    return name if name and "/" not in name else None


async def _answer(
    send: Send, status: int, payload: dict[str, Any], headers: Mapping[str, str] | None = None
) -> None:
    body = orjson.dumps(payload)
    raw = [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(body))]
    raw += [(key.lower().encode(), value.encode()) for key, value in (headers or {}).items()]
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": body})
