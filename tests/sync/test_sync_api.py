"""POST /api/v1/connections/{name}/sync, GET /api/v1/sync-runs and a connection's
sync status, against the simulated GitHub, on both databases."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest
from fastapi import FastAPI

from app.main import create_app
from connectors.sim.world import World
from tests.conftest import settings_for, started
from tests.sync.simulated import SIM_ROOT, SimulatedGitHub


@dataclass
class Bench:
    client: httpx.AsyncClient
    app: FastAPI
    github: SimulatedGitHub

    async def add(self, name: str = "acme-gh", token: str = "tok") -> None:
        body = {"name": name, "kind": "github", "base_url": SIM_ROOT, "scopes": ["acme/api"],
                "token": token}  # fmt: skip
        assert (await self.client.post("/api/v1/connections", json=body)).status_code == 201

    async def settle(self) -> None:
        await asyncio.gather(*self.app.state.sync_tasks)


async def bench_for(db_url: str, github: SimulatedGitHub) -> AsyncIterator[Bench]:
    app = create_app(settings_for(db_url), http=github.http)
    async for client in started(app):
        yield Bench(client, app, github)


@pytest.fixture
async def bench(db_url: str) -> AsyncIterator[Bench]:
    github = SimulatedGitHub.of(World.single_repo("acme", "api", 150, 20), latency=0.02)
    async for bench in bench_for(db_url, github):
        yield bench


async def test_sync_now_answers_202_and_the_run_finishes(bench: Bench) -> None:
    await bench.add()
    response = await bench.client.post("/api/v1/connections/acme-gh/sync")
    assert response.status_code == 202
    started_run = response.json()["run"]
    assert (started_run["status"], started_run["connection"]) == ("running", "acme-gh")
    await bench.settle()
    runs = (await bench.client.get("/api/v1/sync-runs?connection=acme-gh")).json()["runs"]
    assert [run["id"] for run in runs] == [started_run["id"]]
    assert (runs[0]["status"], runs[0]["created"], runs[0]["full"]) == ("succeeded", 150, False)
    items = (await bench.client.get("/api/v1/items?limit=500")).json()["items"]
    assert len(items) == 150


async def test_a_sync_asked_for_while_one_runs_is_coalesced(bench: Bench) -> None:
    await bench.add()
    first = (await bench.client.post("/api/v1/connections/acme-gh/sync")).json()["run"]
    second = (await bench.client.post("/api/v1/connections/acme-gh/sync?full=true")).json()["run"]
    assert second["id"] == first["id"]
    await bench.settle()
    runs = (await bench.client.get("/api/v1/sync-runs")).json()["runs"]
    assert len(runs) == 1


async def test_sync_of_an_unknown_connection_is_404(bench: Bench) -> None:
    assert (await bench.client.post("/api/v1/connections/nope/sync")).status_code == 404
    assert (await bench.client.get("/api/v1/sync-runs?connection=nope")).status_code == 404
    assert (await bench.client.get("/api/v1/sync-runs?limit=0")).status_code == 422


async def test_a_config_failure_shows_in_the_connection_status(db_url: str) -> None:
    world = World.single_repo("acme", "api", 5, 0)
    github = SimulatedGitHub.of(world, revoked=frozenset({"revoked"}))
    async for bench in bench_for(db_url, github):
        await bench.add(token="revoked")
        await bench.client.post("/api/v1/connections/acme-gh/sync")
        await bench.settle()
        status = (await bench.client.get("/api/v1/connections/acme-gh")).json()["status"]
        assert (status["running"], status["last_failure_type"], status["next_run_at"]) == (
            False, "config", None,
        )  # fmt: skip
        assert "401" in status["last_error"]
        assert "edit the connection" in status["paused_because"]
        fixed = await bench.client.patch("/api/v1/connections/acme-gh", json={"token": "new"})
        assert fixed.json()["status"]["next_run_at"] is not None


async def test_runs_show_in_metrics(bench: Bench) -> None:
    await bench.add()
    await bench.client.post("/api/v1/connections/acme-gh/sync")
    await bench.settle()
    metrics = (await bench.client.get("/metrics")).text
    assert 'bridge_sync_runs_total{outcome="succeeded",source="github"}' in metrics
    assert 'bridge_rate_limit_remaining{connection="acme-gh"}' in metrics
