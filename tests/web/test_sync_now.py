""" "Sync now" on the Connections page starts the same run as the API, against the
simulated GitHub, on both databases."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from markupsafe import escape

from connectors.sim.world import World
from tests.sync.simulated import SIM_ROOT, SimulatedGitHub
from tests.sync.test_sync_api import Bench, bench_for

ORIGIN = {"Origin": "http://bridge.test"}


@pytest.fixture
async def bench(db_url: str) -> AsyncIterator[Bench]:
    github = SimulatedGitHub.of(World.single_repo("acme", "api", 30, 5), latency=0.0)
    async for bench in bench_for(db_url, github):
        yield bench


async def test_sync_now_starts_a_run_that_shows_in_connections(bench: Bench) -> None:
    await bench.add()
    response = await bench.client.post("/connections/acme-gh/sync", headers=ORIGIN)
    assert response.status_code == 303
    location = response.headers["location"]
    assert location.startswith("/connections?started=")
    run_id = location.removeprefix("/connections?started=")
    await bench.settle()
    runs = (await bench.client.get("/api/v1/sync-runs?connection=acme-gh")).json()["runs"]
    assert [(run["id"], run["status"], run["created"]) for run in runs] == [
        (run_id, "succeeded", 30)
    ]
    page = (await bench.client.get(location)).text
    assert f'<tr class="run succeeded" data-id="{run_id}">' in page
    assert f"Sync started (run {run_id})" in page


async def test_sync_now_of_an_unknown_connection_is_404(bench: Bench) -> None:
    response = await bench.client.post("/connections/nobody/sync", headers=ORIGIN)
    assert response.status_code == 404


async def test_a_failed_sync_shows_why_in_connections(bench: Bench) -> None:
    body = {"name": "broken", "kind": "github", "base_url": SIM_ROOT,
            "scopes": ["acme/missing"], "token": "tok"}  # fmt: skip
    assert (await bench.client.post("/api/v1/connections", json=body)).status_code == 201
    response = await bench.client.post("/connections/broken/sync", headers=ORIGIN)
    assert response.status_code == 303
    await bench.settle()
    [run] = (await bench.client.get("/api/v1/sync-runs?connection=broken")).json()["runs"]
    assert run["status"] == "failed"
    page = (await bench.client.get("/connections")).text
    assert f'<tr class="run failed" data-id="{run["id"]}">' in page
    why = str(escape(f"{run['failure_type']}: {run['error']}"))  # as the templates escape it
    assert page.count(why) == 2  # in the connection's row and in the run list
