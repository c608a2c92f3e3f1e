"""GET /api/v1/roadmap over an organisation spanning Jira and GitHub, on both databases."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest

from app.db import Database
from app.items.plan import ConnectionRef
from connectors.base.records import Batch, Link, WorkItem
from tests.conftest import add_connection
from tests.factories import work_item
from tests.items.helpers import ingest_one

ISSUE_URL = "https://github.com/acme/api/issues/{}"
# Jira Product Discovery's delivery link, stated by the idea.
DELIVERY = Link(
    source_external_id="IDEA-1", target_external_id="PAY-1", kind="implements", stated_by="IDEA-1"
)


def jira(key: str, minute: float = 0, **fields: Any) -> WorkItem:
    values = {"team": "payments"} | fields
    return work_item(key, minute, key=key, url=f"https://acme.atlassian.net/browse/{key}", **values)


def idea(minute: float, *issues: int) -> WorkItem:
    text = "Delivered by " + " and ".join(ISSUE_URL.format(n) for n in issues)
    return jira("IDEA-1", minute, kind="roadmap_item", team="product", description=text,
                due_date=date(2026, 6, 30))  # fmt: skip


@pytest.fixture
async def organisation(database: Database) -> dict[str, ConnectionRef]:
    tools = {
        "jira": await add_connection(database, "jira", "jira"),
        "github": await add_connection(database, "gh", "github"),
    }
    github = (
        work_item(7, 1, team="web", status="closed", status_category="done"),
        work_item(8, 1, team="web", estimate=2, due_date=date(2026, 6, 20)),
    )
    await ingest_one(database, tools["github"], Batch(items=github))
    jira_items = (
        idea(2, 7, 8),
        jira("PAY-1", 2, kind="epic", estimate=40),  # a container: its own estimate is not counted
        jira("PAY-2", 2, parent_external_id="PAY-1", estimate=5, status_category="done",
             due_date=date(2026, 6, 1)),
        jira("PAY-3", 2, parent_external_id="PAY-1", estimate=3,
             status_category="in_progress", due_date=date(2026, 7, 15)),
        jira("PAY-4", 2, parent_external_id="PAY-1", estimate=8, status_category="cancelled"),
    )  # fmt: skip
    await ingest_one(database, tools["jira"], Batch(items=jira_items, links=(DELIVERY,)))
    return tools


async def _rollup(client: httpx.AsyncClient, key: str = "IDEA-1") -> dict[str, Any]:
    response = await client.get("/api/v1/roadmap")
    assert response.status_code == 200, response.text
    [entry] = response.json()["items"]
    assert entry["item"]["key"] == key
    rollup: dict[str, Any] = entry["rollup"]
    return rollup


async def test_an_idea_delivered_by_a_jira_epic_and_two_github_issues(
    client: httpx.AsyncClient, organisation: dict[str, ConnectionRef]
) -> None:
    rollup = await _rollup(client)
    # Counted: PAY-2 (5, done), PAY-3 (3), #7 (no estimate: web's median 2, done), #8 (2).
    assert (rollup["tickets_total"], rollup["tickets_done"]) == (4, 2)
    assert (rollup["points_total"], rollup["points_done"]) == (12, 7)
    assert (rollup["progress"], rollup["progress_by"], rollup["points_assumed"]) == (
        round(7 / 12, 4), "points", 1,
    )  # fmt: skip
    assert rollup["teams"] == {
        "payments": {"tickets_total": 2, "tickets_done": 1, "points_total": 8, "points_done": 5},
        "web": {"tickets_total": 2, "tickets_done": 1, "points_total": 4, "points_done": 2},
    }
    assert (rollup["internal_due"], rollup["target_date"]) == ("2026-07-15", "2026-06-30")
    assert rollup["at_risk"] is True
    assert "internal dates after target" in rollup["risk_reasons"]
    # First seen with a target date: committed, baselined then (minute 2). PAY-2, PAY-3,
    # #7 (no estimate: 0 here, no median) and #8: 4 tickets, 5 + 3 + 0 + 2 points.
    scope = rollup["scope"]
    assert scope["baseline_at"] == "2026-03-02T09:02:00Z"
    assert (scope["baseline_tickets"], scope["baseline_points"]) == (4, 10)
    assert (scope["added_tickets"], scope["creep_pct"], scope["volatility"]) == (0, 0, 0)


async def test_the_database_s_sums_equal_the_tickets_rebuilt_one_by_one(
    client: httpx.AsyncClient, database: Database, organisation: dict[str, ConnectionRef]
) -> None:
    """Now, the database sums each team's tickets; as of a day, Python tallies
    tickets rebuilt from history. As of today, both must say the same."""
    also = work_item(9, 3, team="web", status_category="in_progress")  # no estimate, not done
    await ingest_one(database, organisation["github"], Batch(items=(also,)))
    await ingest_one(
        database, organisation["jira"], Batch(items=(idea(4, 7, 8, 9),), links=(DELIVERY,))
    )
    today = datetime.now(UTC).date().isoformat()
    now = (await client.get("/api/v1/roadmap")).json()["items"]
    then = (await client.get("/api/v1/roadmap", params={"as_of": today})).json()["items"]
    assert now[0]["rollup"]["tickets_total"] == 5
    assert [entry["rollup"] for entry in now] == [entry["rollup"] for entry in then]


async def test_a_reference_removed_in_the_source_leaves_the_rollup(
    client: httpx.AsyncClient, database: Database, organisation: dict[str, ConnectionRef]
) -> None:
    edited = Batch(items=(idea(10, 7),), links=(DELIVERY,))
    await ingest_one(database, organisation["jira"], edited)
    rollup = await _rollup(client)
    # #8 is gone; web estimated nothing else, so #7 counts at the median of 5 and 3.
    assert (rollup["tickets_total"], rollup["points_total"]) == (3, 12)
    web = rollup["teams"]["web"]
    assert (web["tickets_total"], web["tickets_done"], web["points_total"]) == (1, 1, 4)


async def test_filters(client: httpx.AsyncClient, organisation: dict[str, ConnectionRef]) -> None:
    assert (
        len((await client.get("/api/v1/roadmap", params={"team": "product"})).json()["items"]) == 1
    )
    assert (await client.get("/api/v1/roadmap", params={"team": "web"})).json()["items"] == []
    assert (await client.get("/api/v1/roadmap", params={"connection": "gh"})).json()["items"] == []


@pytest.mark.parametrize(("target_weeks", "late"), [(10, False), (2, True)])
async def test_the_forecast_from_the_team_pace(
    client: httpx.AsyncClient, database: Database, target_weeks: int, late: bool
) -> None:
    """web closed a 2-point ticket in each of the last four weeks: [0, 0, 2, 2, 2, 2].
    4 points are left, 2 with chance 2/3 a week: done within w weeks with chance
    .44, .74, .89 for w = 2, 3, 4: half by week 3, 85% by week 4."""
    github = await add_connection(database, "gh", "github")
    now = datetime.now(UTC)
    today = now.date()
    done = tuple(
        work_item(n, 1, team="web", estimate=2, status_category="done",
                  closed_at=now - timedelta(days=7 * n + 3))
        for n in range(4)
    )  # fmt: skip
    open_ = (work_item(10, 1, team="web", estimate=2), work_item(11, 1, team="web", estimate=2))
    target = today + timedelta(weeks=target_weeks)
    text = " ".join(f"acme/api#{n}" for n in (10, 11))
    goal = work_item("goal", 2, key="GOAL-1", kind="roadmap_item", description=text,
                     due_date=target)  # fmt: skip
    await ingest_one(database, github, Batch(items=(*done, *open_, goal)))
    rollup = await _rollup(client, "GOAL-1")
    assert rollup["forecast"] == {
        "p50": str(today + timedelta(weeks=3)),
        "p85": str(today + timedelta(weeks=4)),
        "unknown_because": None,
    }
    assert rollup["forecast_date"] == str(today + timedelta(weeks=4))
    assert (rollup["at_risk"], "forecast after target" in rollup["risk_reasons"]) == (late, late)


async def test_no_forecast_for_a_team_that_completed_nothing(
    client: httpx.AsyncClient, organisation: dict[str, ConnectionRef]
) -> None:
    rollup = await _rollup(client)
    assert (rollup["forecast_date"], rollup["forecast"]["p50"]) == (None, None)
    assert rollup["forecast"]["unknown_because"] == "no completed work in 6 weeks: payments, web"
    assert rollup["forecast"]["unknown_because"] in rollup["risk_reasons"]


async def test_as_of_a_day_rebuilds_links_and_fields_from_history(
    client: httpx.AsyncClient, database: Database, organisation: dict[str, ConnectionRef]
) -> None:
    """Everything above happened on 2026-03-02. Two days later the idea stops naming #8,
    PAY-3 is re-estimated from 3 to 13 and finished, and the target moves a month."""
    later = 2 * 24 * 60
    moved = idea(later, 7).model_copy(update={"due_date": date(2026, 7, 31)})
    await ingest_one(database, organisation["jira"], Batch(items=(moved,), links=(DELIVERY,)))
    pay3 = jira("PAY-3", later, parent_external_id="PAY-1", estimate=13, status_category="done",
                due_date=date(2026, 7, 15))  # fmt: skip
    await ingest_one(database, organisation["jira"], Batch(items=(pay3,)))
    now = await _rollup(client)
    # PAY-2 5, PAY-3 13, #7 at the overall median of 5 and 13 (web estimated nothing else).
    assert (now["tickets_total"], now["tickets_done"], now["points_total"]) == (3, 3, 27)
    assert now["target_date"] == "2026-07-31"
    response = await client.get("/api/v1/roadmap", params={"as_of": "2026-03-02"})
    [entry] = response.json()["items"]
    then = entry["rollup"]
    assert (then["tickets_total"], then["tickets_done"]) == (4, 2)
    assert (then["points_total"], then["points_done"]) == (12, 7)
    assert (then["target_date"], entry["item"]["due_date"]) == ("2026-06-30", "2026-06-30")
    before = await client.get("/api/v1/roadmap", params={"as_of": "2026-03-01"})
    assert before.json()["items"] == []  # nothing existed yet


async def test_as_of_in_the_future_is_refused(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/roadmap", params={"as_of": "2999-01-01"})
    assert response.status_code == 422
    assert "future" in response.json()["detail"]


async def test_an_item_nothing_delivers_has_no_forecast_and_no_risk(
    client: httpx.AsyncClient, database: Database
) -> None:
    github = await add_connection(database, "gh", "github")
    lonely = work_item("goal", 1, key="GOAL-1", kind="roadmap_item", due_date=date(2026, 1, 1))
    await ingest_one(database, github, Batch(items=(lonely,)))
    rollup = await _rollup(client, "GOAL-1")
    assert (rollup["tickets_total"], rollup["forecast_date"]) == (0, None)
    assert rollup["forecast"]["unknown_because"] == "no tickets deliver it yet"
    assert (rollup["at_risk"], rollup["risk_reasons"]) == (False, [])


async def test_a_blocks_link_between_tickets_is_not_walked(
    client: httpx.AsyncClient, database: Database
) -> None:
    github = await add_connection(database, "gh", "github")
    goal = work_item("goal", 1, key="GOAL-1", kind="roadmap_item", description="acme/api#1")
    blocks = Link(source_external_id="1", target_external_id="2", kind="blocks", stated_by="1")
    items = (goal, work_item(1, 1), work_item(2, 1))
    await ingest_one(database, github, Batch(items=items, links=(blocks,)))
    assert (await _rollup(client, "GOAL-1"))["tickets_total"] == 1
