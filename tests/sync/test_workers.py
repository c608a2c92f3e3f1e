"""Three worker processes share twenty busy connections on PostgreSQL: no two runs
of a connection ever overlap, every connection is synced, and nothing is lost."""

from __future__ import annotations

import asyncio
import itertools
import os
import signal
import subprocess
import sys
import time
from collections import defaultdict
from datetime import datetime

import httpx
from sqlalchemy import select

from app.connections import service as connections
from app.connections.schemas import ConnectionCreate
from app.db import Database
from app.models import Connection, SyncRun, WorkItem
from tests.conftest import SECRET_KEY, wipe
from tests.sync.served import served_github
from tests.sync.simulated import VAULT

CONNECTIONS, WORKERS, ISSUES = 20, 3, 60
CHURN_SECONDS, SETTLE_SECONDS = 45, 15


async def _setup(db_url: str, github: str) -> None:
    database = Database(db_url)
    await wipe(database)
    async with database.job_session() as session:
        for n in range(CONNECTIONS):
            data = ConnectionCreate(
                name=f"repo-{n}", kind="github", base_url=github, scopes=[f"acme/repo-{n}"],
                token="t", interval=1 + n % 2,  # type: ignore[arg-type]
            )  # fmt: skip
            await connections.create(session, VAULT, data)
    await database.dispose()


def _workers(db_url: str) -> list[subprocess.Popen[bytes]]:
    env = os.environ | {
        "BRIDGE_DATABASE_URL": db_url, "BRIDGE_SECRET_KEY": SECRET_KEY, "BRIDGE_LEASE_SECONDS": "5",
    }  # fmt: skip
    command = [sys.executable, "-m", "app.cli", "worker"]
    return [subprocess.Popen(command, env=env) for _ in range(WORKERS)]


async def _runs_and_items(db_url: str) -> tuple[dict[str, list[SyncRun]], dict[str, str]]:
    database = Database(db_url)
    async with database.job_session() as session:
        rows = await session.execute(
            select(SyncRun, Connection.name).join(Connection).order_by(SyncRun.started_at)
        )
        runs: dict[str, list[SyncRun]] = defaultdict(list)
        for run, name in rows:
            runs[name].append(run)
        query = select(WorkItem.key, WorkItem.title).where(WorkItem.deleted_at.is_(None))
        items = {key: title for key, title in await session.execute(query)}
    await database.dispose()
    return runs, items


def _live_titles(github: str) -> dict[str, str]:
    titles = {}
    for n in range(CONNECTIONS):
        url: str | None = f"{github}/repos/acme/repo-{n}/issues?state=all&per_page=100"
        while url:
            page = httpx.get(url, headers={"Authorization": "Bearer t"})
            titles |= {f"acme/repo-{n}#{i['number']}": i["title"] for i in page.json()
                       if "pull_request" not in i}  # fmt: skip
            url = page.links.get("next", {}).get("url")
    return titles


def test_three_workers_never_overlap_and_lose_nothing(postgres_url: str) -> None:
    with served_github(repos=CONNECTIONS, issues=ISSUES, latency=0.002) as github:
        asyncio.run(_setup(postgres_url, github))
        workers = _workers(postgres_url)
        try:
            root = github.removesuffix("/github")
            for _ in range(CHURN_SECONDS):
                httpx.post(f"{root}/_sim/advance?changes=10")
                time.sleep(1)
            time.sleep(SETTLE_SECONDS)
        finally:
            for worker in workers:
                worker.send_signal(signal.SIGTERM)
            for worker in workers:
                worker.wait(timeout=30)
        expected = _live_titles(github)
        runs, items = asyncio.run(_runs_and_items(postgres_url))
        gone = {key for key in set(items) - set(expected) if _gone(github, key)}
    assert set(runs) == {f"repo-{n}" for n in range(CONNECTIONS)}, "every connection synced"
    for name, history in runs.items():
        assert any(run.status == "succeeded" for run in history), name
        for earlier, later in itertools.pairwise(history):
            end = earlier.finished_at or datetime.max.replace(tzinfo=later.started_at.tzinfo)
            assert end <= later.started_at, f"two runs of {name} overlap"
    # Nothing is lost; what only a full run can see gone (deleted or moved away) may linger.
    assert {key: items.get(key) for key in expected} == expected
    assert set(items) - set(expected) == gone


def _gone(github: str, key: str) -> bool:
    repo, number = key.split("#")
    url = f"{github}/repos/{repo}/issues/{number}"
    answer = httpx.get(url, headers={"Authorization": "Bearer t"}, follow_redirects=False)
    return answer.status_code in (301, 410)
