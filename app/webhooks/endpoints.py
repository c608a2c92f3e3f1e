"""POST /webhooks/{connection} (the vendors' door, no bearer token: the vendor's
signature is the credential), and /api/v1/webhook-deliveries for operators."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, status
from fastapi.responses import JSONResponse
from starlette.background import BackgroundTask

from app.deps import SessionDep
from app.errors import BadRequest, PayloadTooLarge
from app.webhooks import service
from app.webhooks.schemas import DeliveryRead, DeliveryStatus

receiver = APIRouter(tags=["webhooks"])
router = APIRouter(prefix="/webhook-deliveries", tags=["webhooks"])


@receiver.post(
    "/webhooks/{connection}",
    status_code=status.HTTP_202_ACCEPTED,
    responses={200: {"description": "A delivery already received (duplicate: true)"}},
)
async def receive_webhook(connection: str, request: Request) -> JSONResponse:
    state = request.app.state
    body = await _capped_body(request, state.settings.webhook_max_bytes)
    received = await service.receive(
        state.webhook_targets, state.delivery_writer, connection, request.headers, body
    )
    code = status.HTTP_200_OK if received.duplicate else status.HTTP_202_ACCEPTED
    # The delivery is committed before this response leaves; the inbox wakes after it.
    wake = BackgroundTask(_wake_inbox, request)
    return JSONResponse(received.model_dump(), status_code=code, background=wake)


async def _capped_body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge(f"the body is over {limit} bytes")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise PayloadTooLarge(f"the body is over {limit} bytes")
        chunks.append(chunk)
    if not size:
        raise BadRequest("the body is empty")
    return b"".join(chunks)


async def _wake_inbox(request: Request) -> None:  # async: no threadpool hop per delivery
    inbox = getattr(request.app.state, "inbox", None)
    if inbox is not None:
        inbox.wakeup.set()


@router.get("")
async def list_deliveries(
    session: SessionDep,
    connection: str | None = None,
    status: DeliveryStatus | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> dict[str, list[DeliveryRead]]:
    found = await service.list_deliveries(
        session, connection=connection, status=status, limit=limit
    )
    return {"deliveries": found}


@router.post("/{delivery_id}/replay", status_code=status.HTTP_202_ACCEPTED)
async def replay_delivery(delivery_id: str, session: SessionDep) -> DeliveryRead:
    return await service.replay(session, delivery_id)
