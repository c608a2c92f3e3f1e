"""The background work of a process: scheduled syncs and the webhook inbox.
`bridge serve` runs it beside the API unless BRIDGE_SCHEDULER=off;
`bridge worker` runs only this."""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import AsyncIterator

from fastapi import FastAPI

from app.config import Settings
from app.credentials import load_vault
from app.db import Database
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
    scheduler.start()
    task = asyncio.create_task(inbox.run_forever(), name="webhook inbox")
    try:
        yield
    finally:
        await scheduler.stop()
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def run_worker(settings: Settings) -> None:
    """Everything `bridge worker` does, until cancelled: by SIGTERM (what service
    managers send) or SIGINT, even when started with SIGINT ignored (a
    background job of a script). Runs in flight are closed, not abandoned."""
    stop_on_signals(asyncio.current_task())
    database = Database(settings.database_url)
    vault = load_vault(settings)
    scheduler = SyncScheduler(
        database, vault, lease_seconds=settings.lease_seconds,
        max_concurrent=settings.max_concurrent_syncs,
    )  # fmt: skip
    scheduler.start()
    try:
        await InboxProcessor(database, vault).run_forever()
    finally:
        await scheduler.stop()
        await database.dispose()


def stop_on_signals(task: asyncio.Task[object] | None) -> None:
    loop = asyncio.get_running_loop()
    if task is not None:
        for stop in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(stop, task.cancel)
