"""The alert loop as `bridge serve` runs it: evaluation, sending and retries in
the background, and a clean stop."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from datetime import date

import httpx
from sqlalchemy import update

from app.alerts.loop import AlertLoop
from app.alerts.schemas import AlertTargetCreate
from app.alerts.service import add_target, evaluate_targets
from app.config import Settings
from app.credentials import load_vault
from app.db import Database
from app.items.plan import ConnectionRef
from app.models import Connection
from app.models.base import utcnow
from connectors.base.records import Batch
from tests.alerts.conftest import idea
from tests.alerts.receiver import receiver
from tests.conftest import SECRET_KEY, settings_for
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


async def test_bridge_worker_sends_alerts_and_stops_cleanly_on_sigterm(
    database: Database, tools: dict[str, ConnectionRef], db_url: str
) -> None:
    settings = settings_for(db_url)
    async with database.job_session() as session:  # no vendor to reach: no syncs
        await session.execute(update(Connection).values(enabled=False))
    with receiver() as hook:
        async with database.job_session() as session:
            target = AlertTargetCreate.model_validate({"url": hook.url, "secret": "s"})
            await add_target(session, load_vault(settings), target)
        await evaluate_targets(database, utcnow())
        await ingest(database, tools["jira"])
        env = os.environ | {"BRIDGE_DATABASE_URL": db_url, "BRIDGE_SECRET_KEY": SECRET_KEY,
                            "BRIDGE_ALERTS_INTERVAL_SECONDS": "0.2"}  # fmt: skip
        worker = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "app.cli", "worker", env=env, stderr=subprocess.PIPE
        )
        try:
            assert await asyncio.to_thread(hook.wait_for, 1, 60)
        finally:
            worker.send_signal(signal.SIGTERM)
            _, err = await asyncio.wait_for(worker.communicate(), 30)
    assert worker.returncode == 0, err.decode()
    assert len(hook.requests) == 1
