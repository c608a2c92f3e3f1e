"""Liveness, readiness and metrics endpoints (outside /api: no token needed)."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from app.db import Database
from app.metrics import REGISTRY
from app.schema import is_current

router = APIRouter(tags=["health"])


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz")
async def readyz(request: Request) -> JSONResponse:
    database: Database = request.app.state.database
    try:
        async with database.engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
        current = await is_current(database)
    except (SQLAlchemyError, OSError) as error:
        return JSONResponse({"detail": f"database unavailable: {type(error).__name__}"}, 503)
    if not current:
        return JSONResponse({"detail": "database schema is not migrated: run bridge migrate"}, 503)
    return JSONResponse({"status": "ready"})


@router.get("/metrics")
async def metrics() -> Response:
    return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)
