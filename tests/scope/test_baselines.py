"""When baselines are taken automatically, and the scope figures as of a past day."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import select, update

from app.db import Database
from app.models import Connection, ScopeBaseline
from tests.conftest import add_connection
from tests.scope.conftest import Org, idea, issue, scope


async def set_triggers(database: Database, triggers: Any) -> None:
    async with database.job_session() as session:
        await session.execute(
            update(Connection)
            .where(Connection.name == "jira")
            .values(settings={"scope_baseline_on": triggers})
        )


async def baselines(database: Database) -> list[tuple[str, int]]:
    async with database.job_session() as session:
        query = select(ScopeBaseline.reason, ScopeBaseline.ticket_count).order_by(
            ScopeBaseline.taken_at
        )
        return [(reason, count) for reason, count in await session.execute(query)]


@pytest.fixture
async def org(database: Database) -> Org:
    """Tickets first; the idea arrives in each test, after the settings are made."""
    tools = {
        "jira": await add_connection(database, "jira", "jira"),
        "github": await add_connection(database, "gh", "github"),
    }
    org = Org(database, tools)
    await org.send("github", issue(1, 1, estimate=3), issue(2, 1, estimate=5))
    return org


async def test_committed_only_waits_for_work_to_start(database: Database, org: Org) -> None:
    await set_triggers(database, ["committed"])
    await org.send("jira", idea(2))  # a target date, still todo: no baseline
    assert await baselines(database) == []
    await org.send("github", issue(3, 3, estimate=1))
    await org.send("jira", idea(4, status_category="in_progress"))
    assert await baselines(database) == [("committed", 3)]
    await org.send("jira", idea(5, status_category="todo"))
    await org.send("jira", idea(6, status_category="in_progress"))
    assert await baselines(database) == [("committed", 3)]  # one automatic baseline


async def test_no_automatic_baseline_when_none_is_asked(
    client: httpx.AsyncClient, database: Database, org: Org
) -> None:
    await set_triggers(database, [])
    await org.send("jira", idea(2, status_category="in_progress"))
    assert await baselines(database) == []
    assert (await scope(client))["baseline_at"] is None


async def test_the_figures_as_of_a_past_day(client: httpx.AsyncClient, org: Org) -> None:
    await org.send("jira", idea(2))  # baselined on March 2: 2 tickets, 8 points
    await org.send("github", issue(1, 24 * 60, estimate=4))  # March 3: +1
    now = await scope(client)
    assert (now["creep_pct"], now["estimate_changes"]) == (12.5, 1)  # 1 / 8
    response = await client.get("/api/v1/roadmap", params={"as_of": "2026-03-02"})
    [entry] = response.json()["items"]
    then = entry["rollup"]["scope"]
    assert (then["baseline_points"], then["creep_pct"], then["estimate_changes"]) == (8, 0, 0)
    before = await client.get("/api/v1/roadmap", params={"as_of": "2026-03-01"})
    assert before.json()["items"] == []  # the idea did not exist yet
