"""/api/v1/alert-targets, /api/v1/alerts, /api/v1/alert-attempts: thin routes
over app/alerts/service.py."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Response, status

from app.alerts import service
from app.alerts.schemas import (
    AlertList,
    AlertStatus,
    AlertTargetCreate,
    AlertTargetList,
    AlertTargetRead,
    AttemptList,
)
from app.deps import SessionDep, VaultDep

router = APIRouter(tags=["alerts"])
NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"description": "no such alert target"}}


@router.post(
    "/alert-targets",
    status_code=status.HTTP_201_CREATED,
    responses={422: {"description": "the roadmap item named is not one"}},
)
async def add_target(
    data: AlertTargetCreate, session: SessionDep, vault: VaultDep
) -> AlertTargetRead:
    """Where alerts go: a URL (Slack-compatible: the body has `text`) and the
    secret that signs each body (`X-Issuebridge-Signature-256: sha256=<hex>`)."""
    return await service.add_target(session, vault, data)


@router.get("/alert-targets")
async def list_targets(session: SessionDep) -> AlertTargetList:
    return AlertTargetList(targets=await service.list_targets(session))


@router.delete(
    "/alert-targets/{target_id}", status_code=status.HTTP_204_NO_CONTENT, responses=NOT_FOUND
)
async def remove_target(target_id: str, session: SessionDep) -> Response:
    """No alert is made for it any more; those it got stay listed."""
    await service.remove_target(session, target_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/alerts", responses=NOT_FOUND)
async def list_alerts(
    session: SessionDep,
    status: AlertStatus | None = None,
    target: str | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> AlertList:
    """Alerts, newest first: pending (to be tried again at next_attempt_at),
    sent, or failed (every attempt failed)."""
    found = await service.list_alerts(session, status=status, target=target, limit=limit)
    return AlertList(alerts=found)


@router.get("/alert-attempts", responses={404: {"description": "no such alert"}})
async def list_attempts(session: SessionDep, alert: str) -> AttemptList:
    """Every attempt to deliver an alert, oldest first, with the receiver's status or the error."""
    return AttemptList(attempts=await service.list_attempts(session, alert))
