"""The inbox survives being killed mid-work: every delivery ends applied exactly once."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from copy import deepcopy
from typing import Any

import httpx
from sqlalchemy import func, select

from app.db import Database
from app.models import ItemEvent, WebhookDelivery, WorkItem
from tests.conftest import SECRET_KEY
from tests.real_fixtures import load
from tests.webhooks.helpers import add_receiving_connection, post

ISSUES = 300


def _delivery(number: int, title: str, updated: str) -> dict[str, Any]:
    payload = deepcopy(load("github", "issues.opened.json"))
    payload["issue"] |= {"number": number, "title": title, "updated_at": updated}
    return payload


async def _statuses(database: Database) -> dict[str, int]:
    async with database.engine.connect() as connection:
        query = select(WebhookDelivery.status, func.count()).group_by(WebhookDelivery.status)
        return {status: count for status, count in await connection.execute(query)}


def _worker(db_url: str) -> subprocess.Popen[bytes]:
    env = os.environ | {"BRIDGE_DATABASE_URL": db_url, "BRIDGE_SECRET_KEY": SECRET_KEY}
    command = [sys.executable, "-m", "app.cli", "worker"]
    return subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


async def _wait_until(database: Database, done: int, within: float = 60) -> dict[str, int]:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        statuses = await _statuses(database)
        if statuses.get("done", 0) >= done:
            return statuses
        await asyncio.sleep(0.005)
    raise AssertionError(f"the worker did not get to {done} done deliveries: {statuses}")


async def _backlog(client: httpx.AsyncClient) -> None:
    await add_receiving_connection(client)
    for number in range(1, ISSUES + 1):
        await post(client, _delivery(number, f"Opened {number}", "2026-02-01T10:00:00Z"))
        await post(client, _delivery(number, f"Edited {number}", "2026-02-01T11:00:00Z"))


def test_a_killed_inbox_resumes_and_applies_each_delivery_once(
    client_factory: Any, db_url: str
) -> None:
    asyncio.run(client_factory(_backlog))
    asyncio.run(_kill_and_resume(db_url))
    asyncio.run(_check_applied_once(db_url))


async def _kill_and_resume(db_url: str) -> None:
    database = Database(db_url)
    try:
        first = _worker(db_url)
        try:
            partway = await _wait_until(database, done=1)
        finally:
            first.send_signal(signal.SIGKILL)
            first.wait()
        assert partway.get("pending", 0) > 0, "the worker finished before it could be killed"
        second = _worker(db_url)
        try:
            final = await _wait_until(database, done=2 * ISSUES)
        finally:
            second.send_signal(signal.SIGTERM)
            second.wait()
        assert final == {"done": 2 * ISSUES}
    finally:
        await database.dispose()


async def _check_applied_once(db_url: str) -> None:
    database = Database(db_url)
    try:
        async with database.job_session() as session:
            attempts = (await session.execute(select(WebhookDelivery.attempts))).scalars().all()
            titles = (await session.execute(select(WorkItem.title))).scalars().all()
            events = await session.execute(
                select(ItemEvent.field, func.count()).group_by(ItemEvent.field)
            )
            by_field = dict(events.all())
    finally:
        await database.dispose()
    assert set(attempts) == {1}, "no delivery was applied, lost and applied again"
    assert sorted(titles) == sorted(f"Edited {n}" for n in range(1, ISSUES + 1))
    assert by_field == {"title": ISSUES, "updated_at": ISSUES}
