"""The background work of a process: scheduled syncs, the webhook inbox and alerts.
`bridge serve` runs it beside the API unless BRIDGE_SCHEDULER=off;
`bridge worker` runs only this."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from fastapi import FastAPI

from app.alerts.loop import AlertLoop
from app.config import Settings
from app.credentials import load_vault
from app.db import Database
from app.graceful import SignalStop
from app.sync.jobs import SyncScheduler
from app.webhooks.inbox import InboxProcessor


@contextlib.asynccontextmanager
async def background_work(
    app: FastAPI, settings: Settings, database: Database
) -> AsyncIterator[None]:
    if not settings.scheduler:
        yield
        return
    vault = load_vault(settings)
    inbox = InboxProcessor(database, vault)
    app.state.inbox = inbox
    scheduler = SyncScheduler(
        database, vault, lease_seconds=settings.lease_seconds, http=app.state.http,
        max_concurrent=settings.max_concurrent_syncs,
    )  # fmt: skip
    alerts = AlertLoop(database, vault, settings)
    app.state.alerts = alerts
    scheduler.start()
    task = asyncio.create_task(inbox.run_forever(), name="webhook inbox")
    alerting = asyncio.create_task(alerts.run_forever(), name="alerts")
    try:
        yield
    finally:
        inbox.stop()
        alerts.stop()
        await scheduler.stop()
        await asyncio.gather(task, alerting)


async def run_worker(settings: Settings) -> None:
    """Everything `bridge worker` does, until SIGTERM or SIGINT (app/graceful.py):
    the deliveries in hand are applied, syncs in flight close their runs, the
    alert round in hand ends."""
    database = Database(settings.database_url)
    vault = load_vault(settings)
    inbox = InboxProcessor(database, vault)
    scheduler = SyncScheduler(
        database, vault, lease_seconds=settings.lease_seconds,
        max_concurrent=settings.max_concurrent_syncs,
    )  # fmt: skip
    alerts = AlertLoop(database, vault, settings)

    def stop() -> None:
        inbox.stop()
        alerts.stop()

    SignalStop(stop, settings.shutdown_grace_seconds).install()
    scheduler.start()
    loops = [asyncio.create_task(inbox.run_forever()), asyncio.create_task(alerts.run_forever())]
    try:
        await asyncio.gather(*loops)
    finally:
        stop()  # when one loop failed, the other ends too before the database goes
        await asyncio.wait(loops)
        await scheduler.stop()
        await database.dispose()
