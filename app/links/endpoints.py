"""/api/v1/links: thin routes over app/links/service.py."""

from __future__ import annotations

from fastapi import APIRouter, Response, status
from fastapi.responses import JSONResponse

from app.deps import SessionDep
from app.links import service
from app.links.schemas import LinkOut, ManualLinkCreate

router = APIRouter(prefix="/links", tags=["links"])


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=LinkOut,
    responses={200: {"description": "The same manual link exists already", "model": LinkOut}},
)
async def add_link(data: ManualLinkCreate, session: SessionDep) -> JSONResponse:
    link, made = await service.add_manual(session, data)
    code = status.HTTP_201_CREATED if made else status.HTTP_200_OK
    return JSONResponse(link.model_dump(mode="json", by_alias=True), status_code=code)


@router.delete("/{link_id}", status_code=status.HTTP_204_NO_CONTENT)
async def remove_link(link_id: str, session: SessionDep) -> Response:
    await service.remove_manual(session, link_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
