"""GET /api/v1/teams and /api/v1/teams/{team}, on both databases."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx

from app.db import Database
from app.items.plan import ConnectionRef
from connectors.base.records import Batch
from tests.factories import work_item
from tests.items.helpers import ingest_one


async def test_teams_with_their_tickets_pace_and_roadmap_items(
    client: httpx.AsyncClient, database: Database, connection: ConnectionRef
) -> None:
    now = datetime.now(UTC)
    today = now.date()
    items = (
        work_item(1, 1, team="web", status_category="in_progress", estimate=3),
        work_item(2, 1, team="web", status_category="done", estimate=5,
                  closed_at=now - timedelta(days=2)),  # last week
        work_item(3, 1, team="web", status_category="done", closed_at=now - timedelta(days=9)),
        work_item(4, 1, team="api", status_category="cancelled"),
        work_item(5, 1, team="api"),
        work_item(6, 1, team="web", status_category="done", closed_at=now - timedelta(days=60)),
        work_item("r", 2, key="ROAD-1", kind="roadmap_item", team="product",
                  description="acme/api#1 and acme/api#5"),
    )  # fmt: skip
    await ingest_one(database, connection, Batch(items=items))
    body = (await client.get("/api/v1/teams")).json()
    by_team = {t["team"]: t for t in body["teams"]}
    assert set(by_team) == {"api", "web"}  # a roadmap item is not a team's ticket
    web, api = by_team["web"], by_team["api"]
    assert web["tickets"] == {"todo": 0, "in_progress": 1, "done": 3, "cancelled": 0}
    assert (web["work_in_progress"], web["roadmap_items"]) == (1, 1)
    assert [(w["tickets"], w["points"]) for w in web["throughput"]] == [
        (0, 0),
        (0, 0),
        (0, 0),
        (0, 0),
        (1, 3),
        (1, 5),
    ]  # fmt: skip  (#3 has no estimate: web's roadmap median, 3)
    assert web["throughput"][-1]["week_start"] == str(today - timedelta(weeks=1))
    assert api["tickets"] == {"todo": 1, "in_progress": 0, "done": 0, "cancelled": 1}
    detail = (await client.get("/api/v1/teams/api")).json()
    assert [(r["key"], r["title"]) for r in detail["delivers"]] == [("ROAD-1", "Issue r")]


async def test_an_unknown_team_is_404(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/teams/nobody")
    assert response.status_code == 404
    assert "nobody" in response.json()["detail"]
