"""The background work of a process: the webhook inbox (and, later, scheduled
syncs). `bridge serve` runs it beside the API unless BRIDGE_SCHEDULER=off;
`bridge worker` runs only this."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from fastapi import FastAPI

from app.config import Settings
from app.credentials import load_vault
from app.db import Database
from app.webhooks.inbox import InboxProcessor


@contextlib.asynccontextmanager
async def background_work(
    app: FastAPI, settings: Settings, database: Database
) -> AsyncIterator[None]:
    if not settings.scheduler:
        yield
        return
    inbox = InboxProcessor(database, load_vault(settings))
    app.state.inbox = inbox
    task = asyncio.create_task(inbox.run_forever(), name="webhook inbox")
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def run_worker(settings: Settings) -> None:
    """Everything `bridge worker` does, until cancelled."""
    database = Database(settings.database_url)
    try:
        await InboxProcessor(database, load_vault(settings)).run_forever()
    finally:
        await database.dispose()
