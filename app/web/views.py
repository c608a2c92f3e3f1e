"""The dashboard's pages: each calls the service functions its API endpoint calls,
and renders the answer on the server (Jinja2, autoescaped; charts as inline SVG)."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import parse_qs, quote

from fastapi import APIRouter, Depends, HTTPException, Query, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader, select_autoescape
from pydantic import BeforeValidator
from sqlalchemy.ext.asyncio import AsyncSession

from app.changes import service as changes_service
from app.changes.repository import ChangeFilters
from app.connections import service as connections_service
from app.deps import SessionDep, SettingsDep, VaultDep
from app.errors import BadRequest, NotFound
from app.items import service as items_service
from app.items.repository import ItemFilters
from app.items.schemas import ItemRead
from app.people.service import people
from app.roadmap import service as roadmap_service
from app.roadmap.burnup import burn_up
from app.roadmap.schemas import RoadmapEntry
from app.schemas import assume_utc
from app.scope import service as scope_service
from app.scope.repository import ChangeFilters as ScopeFilters
from app.sync.runs import recent_runs
from app.sync.starter import start_sync
from app.teams.service import teams
from app.web import auth
from app.web.charts import burn_up as burn_up_chart
from app.web.rows import (
    STATUSES,
    Filters,
    by_team_and_tool,
    progress_shares,
    rows,
    scope_badge,
    shown_value,
    timeline_scale,
    web_url,
)
from app.webhooks.service import inbox_counts

HERE = Path(__file__).parent
STATIC = HERE / "static"
TIMELINE_WIDTH = 560
MAX_TICKETS = 2000  # an item page lists at most this many tickets
MAX_SCOPE_CHANGES = 500  # and the newest this many scope changes
RECENT_RUNS = 25
CHANGES_PER_PAGE = 200
MAX_FORM_BYTES = 16 * 1024  # a login form is a token and a path
# Scripts and styles only from this server (style attributes size the bars); no
# framing, so no other site can overlay the dashboard's buttons.
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; "
    "style-src 'self' 'unsafe-inline'; img-src 'self' data:; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}

_environment = Environment(
    loader=FileSystemLoader(HERE / "templates"),
    autoescape=select_autoescape(default=True, default_for_string=True),
)
_environment.filters["web_url"] = web_url
_environment.filters["value"] = shown_value
templates = Jinja2Templates(env=_environment)


def require_login(request: Request, settings: SettingsDep) -> None:
    """With API tokens configured, a page without a session goes to /login first."""
    if not auth.signed_in(request, settings):
        back = quote(request.url.path + (f"?{request.url.query}" if request.url.query else ""), "")
        raise HTTPException(status.HTTP_303_SEE_OTHER, headers={"Location": f"/login?next={back}"})


router = APIRouter(include_in_schema=False)
pages = APIRouter(include_in_schema=False, dependencies=[Depends(require_login)])


def render(request: Request, name: str, code: int = 200, **context: Any) -> HTMLResponse:
    settings = request.app.state.settings
    context |= {"page": name.removesuffix(".html"), "with_login": bool(settings.api_tokens)}
    return templates.TemplateResponse(
        request, name, context, status_code=code, headers=SECURITY_HEADERS
    )


def _today() -> date:
    return datetime.now(UTC).date()


@pages.get("/", response_class=HTMLResponse)
async def roadmap_page(
    request: Request,
    session: SessionDep,
    team: str | None = None,
    source: str | None = None,
    status: str | None = None,
) -> HTMLResponse:
    today = _today()
    every = (await roadmap_service.roadmap(session, connection=None, team=None, today=today)).items
    filters = Filters(team or None, source or None, status or None)
    shown = [entry for entry in every if filters.keeps(entry)]
    scale = timeline_scale(shown, today, TIMELINE_WIDTH)
    choices = {
        "team": sorted({t for e in every for t in (e.item.team, *e.rollup.teams) if t}),
        "source": sorted({e.item.source for e in every}),
        "status": STATUSES,
    }
    return render(
        request, "roadmap.html", rows=rows(shown, scale, today), scale=scale, today=today,
        total=len(every), filters=filters, choices=choices,
    )  # fmt: skip


@pages.get("/roadmap/{item_id}", response_class=HTMLResponse)
async def roadmap_item_page(item_id: str, request: Request, session: SessionDep) -> HTMLResponse:
    today = _today()
    entry = await _entry(session, item_id, today)
    root = uuid.UUID(entry.item.id)
    tickets = await _tickets(session, root)
    created = entry.item.created_at.date() if entry.item.created_at else today
    points = await burn_up(session, root, first=entry.item.start_date or created, today=today)
    split, unit = progress_shares(entry.rollup)
    scope = await scope_service.list_changes(
        session, ScopeFilters(roadmap_item=root), None, MAX_SCOPE_CHANGES
    )
    return render(
        request, "item.html", entry=entry, split=split, unit=unit,
        scope_note=scope_badge(entry.rollup), groups=by_team_and_tool(tickets),
        ticket_count=len(tickets), burn=burn_up_chart(points), points=points, today=today,
        scope_changes=scope.changes,
    )  # fmt: skip


async def _entry(session: AsyncSession, item_id: str, today: date) -> RoadmapEntry:
    """The item's roadmap entry, from the very computation GET /api/v1/roadmap makes."""
    try:
        wanted = uuid.UUID(item_id)
    except ValueError:
        raise NotFound(f"no roadmap item with id {item_id!r}") from None
    roadmap = await roadmap_service.roadmap(
        session, connection=None, team=None, today=today, only=wanted
    )
    if not roadmap.items:
        raise NotFound(f"no roadmap item with id {item_id!r}")
    return roadmap.items[0]


async def _tickets(session: AsyncSession, root: uuid.UUID) -> list[ItemRead]:
    filters = ItemFilters(roadmap_item=root, kind="ticket")
    found: list[ItemRead] = []
    cursor = None
    while len(found) < MAX_TICKETS:
        page = await items_service.list_items(session, filters, limit=500, cursor=cursor)
        found += page.items
        if (cursor := page.next_cursor) is None:
            break
    return found[:MAX_TICKETS]


@pages.post("/roadmap/{item_id}/baseline")
async def take_baseline(item_id: str, request: Request, session: SessionDep) -> RedirectResponse:
    """The item page's "baseline now": the same as POST /api/v1/roadmap/{id}/baseline."""
    auth.require_same_origin(request)
    await scope_service.take_baseline(session, item_id)
    return RedirectResponse(f"/roadmap/{item_id}", status.HTTP_303_SEE_OTHER)


@pages.get("/teams", response_class=HTMLResponse)
async def teams_page(request: Request, session: SessionDep) -> HTMLResponse:
    return render(request, "teams.html", teams=(await teams(session, _today())).teams)


@pages.get("/people", response_class=HTMLResponse)
async def people_page(request: Request, session: SessionDep) -> HTMLResponse:
    return render(request, "people.html", people=(await people(session)).people)


def monday_of(today: date) -> datetime:
    """The start (00:00 UTC) of this week's Monday: "since Monday"."""
    return datetime.combine(today - timedelta(days=today.weekday()), time(), tzinfo=UTC)


def _blank_is_none(value: object) -> object:
    """A form's emptied date field means "no date": since Monday."""
    return None if value == "" else value


@pages.get("/changes", response_class=HTMLResponse)
async def changes_page(
    request: Request,
    session: SessionDep,
    since: Annotated[datetime | None, BeforeValidator(_blank_is_none), Query()] = None,
    team: str | None = None,
    connection: str | None = None,
    cursor: str | None = None,
) -> HTMLResponse:
    start = assume_utc(since) or monday_of(_today())
    filters = ChangeFilters(since=start, team=team or None, connection=connection or None)
    page = await changes_service.changes(
        session, filters, limit=CHANGES_PER_PAGE, cursor=cursor or None
    )
    return render(request, "changes.html", changes=page.changes, since=start,
                   next_cursor=page.next_cursor, team=team, connection=connection)  # fmt: skip


@pages.get("/connections", response_class=HTMLResponse)
async def connections_page(
    request: Request, session: SessionDep, vault: VaultDep, started: str | None = None
) -> HTMLResponse:
    return render(
        request, "connections.html",
        connections=await connections_service.list_all(session, vault),
        runs=await recent_runs(session, None, RECENT_RUNS),
        inbox=await inbox_counts(session), started=started,
    )  # fmt: skip


@pages.post("/connections/{name}/sync")
async def sync_now(name: str, request: Request) -> RedirectResponse:
    """The "sync now" button: the same start as POST /api/v1/connections/{name}/sync."""
    auth.require_same_origin(request)
    run = await start_sync(request.app.state, name, full=False)
    return RedirectResponse(f"/connections?started={run.id}", status.HTTP_303_SEE_OTHER)


@router.get("/login", response_class=HTMLResponse)
async def login_page(request: Request, next: str = "/") -> HTMLResponse:
    return render(request, "login.html", next=auth.local_path(next), error=None)


@router.post("/login", response_class=HTMLResponse)
async def login(request: Request, settings: SettingsDep) -> Response:
    auth.require_same_origin(request)
    form = await _form(request)
    target = auth.local_path(form.get("next"))
    if not settings.api_tokens:
        return RedirectResponse(target, status.HTTP_303_SEE_OTHER)
    token = form.get("token", "")
    if not auth.known_token(settings, token):
        return render(request, "login.html", 401, next=target, error="That token is not valid.")
    response = RedirectResponse(target, status.HTTP_303_SEE_OTHER)
    response.set_cookie(
        auth.COOKIE, auth.session_mark(token), httponly=True, samesite="strict",
        secure=request.url.scheme == "https", path="/",
    )  # fmt: skip
    return response


@router.post("/logout")
async def logout(request: Request) -> RedirectResponse:
    auth.require_same_origin(request)
    response = RedirectResponse("/login", status.HTTP_303_SEE_OTHER)
    response.delete_cookie(auth.COOKIE, path="/")
    return response


async def _form(request: Request) -> dict[str, str]:
    """An url-encoded form's fields (the login form has no files)."""
    if not request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
        raise BadRequest("expected an application/x-www-form-urlencoded form")
    body = (await request.body())[:MAX_FORM_BYTES].decode("utf-8", errors="replace")
    return {key: values[0] for key, values in parse_qs(body).items()}


router.include_router(pages)
