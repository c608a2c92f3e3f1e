"""create_app(settings) -> FastAPI: routers, the one error handler, the lifespan."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.exception_handlers import http_exception_handler, request_validation_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException

from app import health, openapi
from app.alerts.endpoints import router as alerts_router
from app.changes.endpoints import router as changes_router
from app.config import Settings
from app.connections.endpoints import router as connections_router
from app.credentials import load_vault
from app.db import Database
from app.deps import require_token
from app.digest.endpoints import router as digest_router
from app.errors import BridgeError
from app.items.endpoints import router as items_router
from app.links.endpoints import router as links_router
from app.people.endpoints import router as people_router
from app.process import tune_gc
from app.roadmap.endpoints import router as roadmap_router
from app.schema import upgrade_to_head
from app.scope.endpoints import router as scope_router
from app.sync.endpoints import router as sync_router
from app.sync.service import HttpOptions
from app.teams.endpoints import router as teams_router
from app.web.errors import error_page, wants_page
from app.web.views import STATIC
from app.web.views import router as dashboard_router
from app.webhooks.door import WebhookDoor
from app.webhooks.endpoints import receiver as webhook_receiver
from app.webhooks.endpoints import router as deliveries_router
from app.webhooks.targets import WebhookTargets
from app.webhooks.writer import DeliveryWriter
from app.worker import background_work

log = logging.getLogger(__name__)


def create_app(
    settings: Settings | None = None, *, migrate: bool = True, http: HttpOptions | None = None
) -> FastAPI:
    """The whole service. `migrate=False` leaves the schema as it is (tests that
    check readiness of an unmigrated database); `http` replaces how syncs reach
    vendors (tests and benchmarks point it at a simulator)."""
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        database = Database(settings.database_url)
        app.state.database = database
        app.state.vault = load_vault(settings)
        app.state.webhook_targets = WebhookTargets(database, app.state.vault)
        app.state.delivery_writer = DeliveryWriter(database)
        if migrate:
            await upgrade_to_head(database)
        async with background_work(app, settings, database):
            yield
        await app.state.delivery_writer.close()
        await database.dispose()

    app = FastAPI(title="Issuebridge", version="0.1.0", lifespan=lifespan)
    app.state.settings = settings
    app.state.sync_tasks = set()  # syncs started by the API, running in the background
    app.state.http = http or HttpOptions()
    app.add_exception_handler(BridgeError, _bridge_error)  # type: ignore[arg-type]
    app.add_exception_handler(HTTPException, _http_error)  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, _invalid_request)  # type: ignore[arg-type]
    app.add_exception_handler(Exception, _unexpected_error)
    app.add_middleware(WebhookDoor)  # answers POST /webhooks/{connection} before routing
    app.include_router(webhook_receiver)  # the door's route, for the schema
    app.include_router(health.router)
    api = APIRouter(prefix="/api/v1", dependencies=[Depends(require_token)])
    api.include_router(connections_router)
    api.include_router(items_router)
    api.include_router(links_router)
    api.include_router(roadmap_router)
    api.include_router(changes_router)
    api.include_router(digest_router)
    api.include_router(alerts_router)
    api.include_router(scope_router)
    api.include_router(teams_router)
    api.include_router(people_router)
    api.include_router(deliveries_router)
    api.include_router(sync_router)
    app.include_router(api)
    app.include_router(dashboard_router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    openapi.install(app)
    return app


def create_worker_app() -> FastAPI:
    """The app of one `bridge serve --workers N` process: settings from the
    environment; the parent migrated the database before starting the workers."""
    tune_gc()
    return create_app(Settings(), migrate=False)


async def _bridge_error(request: Request, error: BridgeError) -> Response:
    if wants_page(request):
        return error_page(request, error.status_code, error.message)
    return JSONResponse({"detail": error.message}, error.status_code, headers=error.headers)


async def _http_error(request: Request, error: HTTPException) -> Response:
    """Routing's errors (no such page, method not allowed) as pages for a browser;
    redirects and everything else as FastAPI answers them."""
    if error.status_code >= 400 and wants_page(request):
        return error_page(request, error.status_code, str(error.detail))
    return await http_exception_handler(request, error)


async def _invalid_request(request: Request, error: RequestValidationError) -> Response:
    if wants_page(request):
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in error.errors())
        return error_page(request, 422, problems)
    return await request_validation_exception_handler(request, error)


async def _unexpected_error(request: Request, error: Exception) -> Response:
    log.exception("unexpected error on %s %s", request.method, request.url.path, exc_info=error)
    message = "internal error; the server log has the details"
    if wants_page(request):
        return error_page(request, 500, message)
    return JSONResponse({"detail": message}, 500)
