"""The inbox survives being killed or stopped mid-work: every delivery ends
applied exactly once, and a stopped worker exits cleanly."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from copy import deepcopy
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import func, select

from app.db import Database
from app.models import ItemEvent, WebhookDelivery, WorkItem
from tests.conftest import SECRET_KEY
from tests.real_fixtures import load
from tests.webhooks.helpers import add_receiving_connection, post

ISSUES = 300
GRACE_SECONDS = 20


def _delivery(number: int, title: str, updated: str) -> dict[str, Any]:
    payload = deepcopy(load("github", "issues.opened.json"))
    payload["issue"] |= {"number": number, "title": title, "updated_at": updated}
    return payload


async def _statuses(database: Database) -> dict[str, int]:
    async with database.engine.connect() as connection:
        query = select(WebhookDelivery.status, func.count()).group_by(WebhookDelivery.status)
        return {status: count for status, count in await connection.execute(query)}


class Worker:
    """`bridge worker` in a process of its own, its output kept for failures."""

    def __init__(self, db_url: str, log: Path) -> None:
        env = os.environ | {
            "BRIDGE_DATABASE_URL": db_url,
            "BRIDGE_SECRET_KEY": SECRET_KEY,
            "BRIDGE_SHUTDOWN_GRACE_SECONDS": str(GRACE_SECONDS),
        }
        self.log = log
        with log.open("ab") as output:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "app.cli", "worker"], env=env, stdout=output, stderr=output
            )

    def stop(self, how: signal.Signals) -> int:
        """Send `how`; the exit status. A worker that does not exit is killed
        and the test fails (the watchdog should have ended it already)."""
        self.process.send_signal(how)
        try:
            return self.process.wait(timeout=2 * GRACE_SECONDS)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            raise AssertionError(f"no exit after {how.name}:\n{self.output()}") from None

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-4000:]


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
    client_factory: Any, db_url: str, tmp_path: Path
) -> None:
    asyncio.run(client_factory(_backlog))
    asyncio.run(_kill_and_resume(db_url, tmp_path / "worker.log"))
    asyncio.run(_check_applied_once(db_url))


async def _kill_and_resume(db_url: str, log: Path) -> None:
    database = Database(db_url)
    try:
        first = Worker(db_url, log)
        try:
            partway = await _wait_until(database, done=1)
        finally:
            first.stop(signal.SIGKILL)
        assert partway.get("pending", 0) > 0, "the worker finished before it could be killed"
        second = Worker(db_url, log)
        try:
            final = await _wait_until(database, done=2 * ISSUES)
        finally:
            assert second.stop(signal.SIGTERM) == 0, second.output()
        assert final == {"done": 2 * ISSUES}
    finally:
        await database.dispose()


def test_a_worker_stopped_again_and_again_exits_cleanly_each_time(
    client_factory: Any, db_url: str, tmp_path: Path
) -> None:
    """SIGTERM lands wherever the worker happens to be (mid-statement, too):
    it finishes the deliveries in hand and exits 0, never hangs."""
    asyncio.run(client_factory(_backlog))
    asyncio.run(_stop_and_resume(db_url, tmp_path / "worker.log"))
    asyncio.run(_check_applied_once(db_url))


async def _stop_and_resume(db_url: str, log: Path) -> None:
    database = Database(db_url)
    try:
        done, stops = 0, 0
        while done < 2 * ISSUES:
            worker = Worker(db_url, log)
            try:
                statuses = await _wait_until(database, done=done + 1)
            finally:
                assert worker.stop(signal.SIGTERM) == 0, worker.output()
            stops += 1
            done = (await _statuses(database)).get("done", 0)
            assert set(statuses) <= {"done", "pending"}
        assert stops >= 2, "the worker was never stopped with work in hand"
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
