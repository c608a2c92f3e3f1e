"""/healthz, /readyz and /metrics."""

from __future__ import annotations

from pathlib import Path

import httpx

from app.main import create_app
from tests.conftest import settings_for, started


async def test_healthz(client: httpx.AsyncClient) -> None:
    response = await client.get("/healthz")
    assert (response.status_code, response.json()) == (200, {"status": "ok"})


async def test_readyz_on_a_migrated_database(client: httpx.AsyncClient) -> None:
    response = await client.get("/readyz")
    assert (response.status_code, response.json()) == (200, {"status": "ready"})


async def test_readyz_is_503_on_an_unmigrated_database(tmp_path: Path) -> None:
    settings = settings_for(f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}")
    async for client in started(create_app(settings, migrate=False)):
        response = await client.get("/readyz")
        assert response.status_code == 503
        assert "bridge migrate" in response.json()["detail"]


async def test_readyz_is_503_when_the_database_is_unreachable(tmp_path: Path) -> None:
    settings = settings_for("postgresql+asyncpg://nobody@127.0.0.1:1/none")
    async for client in started(create_app(settings, migrate=False)):
        response = await client.get("/readyz")
        assert response.status_code == 503
        assert "database unavailable" in response.json()["detail"]


async def test_metrics_are_prometheus_text(client: httpx.AsyncClient) -> None:
    response = await client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    assert "# TYPE bridge_items_ingested_total counter" in response.text
    assert "process_cpu_seconds_total" in response.text


async def test_unknown_route_is_a_json_404(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/nothing-here")
    assert (response.status_code, response.json()) == (404, {"detail": "Not Found"})
