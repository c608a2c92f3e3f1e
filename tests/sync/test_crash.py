"""A sync killed with SIGKILL mid-run resumes from its last checkpoint."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time

import httpx
from sqlalchemy import func, select

from app.db import Database
from app.models import SyncRun, WorkItem
from app.sync.service import CHECKPOINT_ITEMS
from tests.conftest import SECRET_KEY
from tests.sync.served import served_github

ISSUES = 2000


def bridge(db_url: str, *args: str) -> subprocess.Popen[str]:
    env = os.environ | {"BRIDGE_DATABASE_URL": db_url, "BRIDGE_SECRET_KEY": SECRET_KEY}
    command = [sys.executable, "-m", "app.cli", *args]
    return subprocess.Popen(
        command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


async def _stored(db_url: str) -> tuple[int, int]:
    """(items stored, items fetched by the run so far)."""
    database = Database(db_url)
    try:
        async with database.engine.connect() as connection:
            items = (
                await connection.execute(select(func.count()).select_from(WorkItem))
            ).scalar_one()
            fetched = (await connection.execute(select(func.max(SyncRun.fetched)))).scalar() or 0
            return items, fetched
    finally:
        await database.dispose()


def test_a_killed_sync_resumes_and_redoes_at_most_one_batch(db_url: str) -> None:
    with served_github(issues=ISSUES, latency=0.02) as github:
        added = bridge(db_url, "connections", "add", "acme", "--kind", "github", "--base-url",
                       github, "--scope", "acme/repo-0", "--token", "t")  # fmt: skip
        assert added.wait(timeout=60) == 0
        added.communicate()
        first = bridge(db_url, "sync", "acme", "--json")
        deadline = time.monotonic() + 60
        while asyncio.run(_stored(db_url))[0] < ISSUES // 3 and time.monotonic() < deadline:
            time.sleep(0.05)
        first.send_signal(signal.SIGKILL)
        first.communicate()
        stored_before, _ = asyncio.run(_stored(db_url))
        assert 0 < stored_before < ISSUES, "killed mid-run"
        second = bridge(db_url, "sync", "acme", "--json")
        out, err = second.communicate(timeout=120)
        assert second.returncode == 0, err
        run = json.loads(out)
        expected = {i["number"] for i in _issues(github)}
    assert run["status"] == "succeeded"
    assert asyncio.run(_stored(db_url))[0] == len(expected) == ISSUES
    assert run["created"] == ISSUES - stored_before
    assert run["unchanged"] <= CHECKPOINT_ITEMS, "no more than one checkpoint is done again"
    assert asyncio.run(_abandoned(db_url)) == ["its worker stopped before finishing it"]


async def _abandoned(db_url: str) -> list[str | None]:
    database = Database(db_url)
    try:
        async with database.engine.connect() as connection:
            query = select(SyncRun.error).where(SyncRun.status == "failed")
            return list((await connection.execute(query)).scalars())
    finally:
        await database.dispose()


def _issues(github: str) -> list[dict[str, object]]:
    issues, url = [], f"{github}/repos/acme/repo-0/issues?state=all&per_page=100"
    while url:
        page = httpx.get(url, headers={"Authorization": "Bearer t"})
        issues += [i for i in page.json() if "pull_request" not in i]
        url = page.links.get("next", {}).get("url")
    return issues
