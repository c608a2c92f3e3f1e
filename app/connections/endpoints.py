"""/api/v1/connections: thin routes over app/connections/service.py."""

from __future__ import annotations

from fastapi import APIRouter, BackgroundTasks, Request, Response, status

from app.connections import service
from app.connections.schemas import ConnectionCreate, ConnectionRead, ConnectionUpdate
from app.deps import SessionDep, VaultDep

router = APIRouter(prefix="/connections", tags=["connections"])


@router.get("")
async def list_connections(session: SessionDep, vault: VaultDep) -> dict[str, list[ConnectionRead]]:
    return {"connections": await service.list_all(session, vault)}


@router.post("", status_code=status.HTTP_201_CREATED)
async def create_connection(
    data: ConnectionCreate, session: SessionDep, vault: VaultDep
) -> ConnectionRead:
    return await service.create(session, vault, data)


@router.get("/{name}")
async def get_connection(name: str, session: SessionDep, vault: VaultDep) -> ConnectionRead:
    return await service.get(session, vault, name)


@router.patch("/{name}")
async def update_connection(
    name: str,
    data: ConnectionUpdate,
    session: SessionDep,
    vault: VaultDep,
    request: Request,
    background: BackgroundTasks,
) -> ConnectionRead:
    updated = await service.update(session, vault, name, data)
    _forget_webhook_target(request, background, name)
    return updated


@router.delete("/{name}", status_code=status.HTTP_204_NO_CONTENT)
async def remove_connection(
    name: str, session: SessionDep, request: Request, background: BackgroundTasks
) -> Response:
    await service.remove(session, name)
    _forget_webhook_target(request, background, name)
    return Response(status_code=status.HTTP_204_NO_CONTENT, background=background)


def _forget_webhook_target(request: Request, background: BackgroundTasks, name: str) -> None:
    """Webhooks see the edit at once: forget the kept target now, and again once the
    edit is committed, in case a delivery read the old one in between."""
    targets = getattr(request.app.state, "webhook_targets", None)
    if targets is not None:
        targets.forget(name)
        background.add_task(targets.forget, name)
