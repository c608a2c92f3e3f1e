"""The alert loop as `bridge serve` runs it: evaluation, sending and retries in
the background, and a clean stop."""

from __future__ import annotations

import asyncio
from datetime import date

import httpx

from app.alerts.loop import AlertLoop
from app.config import Settings
from app.credentials import load_vault
from app.db import Database
from app.items.plan import ConnectionRef
from connectors.base.records import Batch
from tests.alerts.conftest import idea
from tests.alerts.receiver import receiver
from tests.conftest import settings_for
from tests.items.helpers import ingest_one


async def test_the_loop_sends_retries_and_stops(
    client: httpx.AsyncClient, database: Database, tools: dict[str, ConnectionRef], db_url: str
) -> None:
    settings: Settings = settings_for(
        db_url, alerts_interval_seconds=0.05, alert_backoff_seconds=0.05
    )
    with receiver(502) as hook:
        made = await client.post("/api/v1/alert-targets", json={"url": hook.url, "secret": "s"})
        assert made.status_code == 201
        loop = AlertLoop(database, load_vault(settings), settings)
        running = asyncio.create_task(loop.run_forever())
        await asyncio.sleep(0.3)  # a few rounds: the target's first states
        await ingest(database, tools["jira"])
        assert await asyncio.to_thread(hook.wait_for, 2, 20)  # 502, then the retry 0.05 s later
        await asyncio.sleep(0.3)  # more rounds: nothing new to send
        loop.stop()
        await asyncio.wait_for(running, 10)
    assert len(hook.requests) == 2
    [alert] = (await client.get("/api/v1/alerts")).json()["alerts"]
    assert (alert["status"], alert["attempts"]) == ("sent", 2)


async def ingest(database: Database, jira: ConnectionRef) -> None:
    await ingest_one(database, jira, Batch(items=(idea(10, date(2027, 7, 2)),)))
