"""POST /webhooks/{connection} (the vendors' door, no bearer token: the vendor's
signature is the credential), and /api/v1/webhook-deliveries for operators."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, status
from fastapi.responses import JSONResponse
from starlette.background import BackgroundTask

from app.deps import SessionDep
from app.webhooks import service
from app.webhooks.door import accept, answer_status, wake_inbox
from app.webhooks.schemas import DeliveryRead, DeliveryStatus

receiver = APIRouter(tags=["webhooks"])
router = APIRouter(prefix="/webhook-deliveries", tags=["webhooks"])


@receiver.post(
    "/webhooks/{connection}",
    status_code=status.HTTP_202_ACCEPTED,
    responses={200: {"description": "A delivery already received (duplicate: true)"}},
)
async def receive_webhook(connection: str, request: Request) -> JSONResponse:
    """Answered by WebhookDoor (door.py) before routing; declared here for the
    schema, and answering the same way should a request get this far."""
    state = request.app.state
    received = await accept(state, connection, request.headers, request.receive)
    return JSONResponse(
        received.model_dump(),
        status_code=answer_status(received),
        background=BackgroundTask(wake_inbox, state),
    )


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
