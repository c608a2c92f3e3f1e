"""/api/v1/digest: thin route over app/digest/service.py."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse, PlainTextResponse

from app.deps import SessionDep
from app.digest import service
from app.digest.markdown import render
from app.digest.schemas import DigestRead
from app.digest.since import SINCE_HELP, parse_since

router = APIRouter(prefix="/digest", tags=["digest"])
MARKDOWN = "text/markdown; charset=utf-8"


@router.get(
    "",
    response_model=DigestRead,
    responses={
        200: {"content": {"text/markdown": {"schema": {"type": "string"}}}},
        422: {"description": "`since` is not a date, a time or a span, or is in the future"},
    },
)
async def get_digest(
    session: SessionDep,
    since: Annotated[str | None, Query(description=f"{SINCE_HELP}; default 7d")] = None,
    team: Annotated[str | None, Query(description="only this team's tickets")] = None,
    format: Annotated[Literal["json", "markdown"], Query()] = "json",
) -> JSONResponse | PlainTextResponse:
    """Per roadmap item: tickets done, started, added to and removed from its
    scope, and target-date moves since `since`; the items at risk now."""
    until = datetime.now(UTC)
    start = parse_since(since, until)
    digest = await service.digest(session, since=start, until=until, team=team)
    if format == "markdown":
        return PlainTextResponse(render(digest), media_type=MARKDOWN)
    return JSONResponse(digest.model_dump(mode="json"))
