"""A hand-built organisation for scope tests: a Jira Product Discovery idea
delivered by Linear and GitHub tickets, each tied to it by the label
`roadmap:IDEA-1`; and readers of the API's scope figures and changes."""

from __future__ import annotations

from datetime import date
from typing import Any

import httpx
import pytest

from app.db import Database
from app.items.plan import ConnectionRef
from connectors.base.records import Batch, WorkItem
from tests.conftest import add_connection
from tests.factories import at, work_item
from tests.items.helpers import ingest_one

LABEL = ("roadmap:IDEA-1",)
TEXT = "Checkout with cards.\nAnd bank transfers."


def idea(minute: float, due: date | None = date(2026, 6, 30), **fields: Any) -> WorkItem:
    values = {"kind": "roadmap_item", "team": "product", "description": TEXT,
              "due_date": due} | fields  # fmt: skip
    url = "https://acme.atlassian.net/browse/IDEA-1"
    return work_item("IDEA-1", minute, key="IDEA-1", url=url, **values)


def issue(number: int, minute: float, **fields: Any) -> WorkItem:
    return work_item(number, minute, **({"labels": LABEL} | fields))


def linear(number: int, minute: float, **fields: Any) -> WorkItem:
    url = f"https://linear.app/acme/issue/ENG-{number}"
    values = {"labels": LABEL, "team": "eng"} | fields
    return work_item(f"lin-{number}", minute, key=f"ENG-{number}", url=url, **values)


class Org:
    def __init__(self, database: Database, tools: dict[str, ConnectionRef]) -> None:
        self.database, self.tools = database, tools
        self.log: list[tuple[str, Batch, str]] = []  # every batch, to replay

    async def send(self, tool: str, *records: WorkItem, origin: str = "sync") -> None:
        batch = Batch(items=records)
        self.log.append((tool, batch, origin))
        await ingest_one(self.database, self.tools[tool], batch, origin)


@pytest.fixture
async def org(database: Database) -> Org:
    tools = {
        "jira": await add_connection(database, "jira", "jira"),
        "linear": await add_connection(database, "linear", "linear"),
        "github": await add_connection(database, "gh", "github"),
    }
    org = Org(database, tools)
    await org.send("github", issue(1, 1, estimate=3), issue(2, 1, estimate=5))
    await org.send("linear", linear(1, 1, estimate=2))
    # First seen with a target date: committed, baselined at minute 2 with
    # #1 (3), #2 (5) and ENG-1 (2): 3 tickets, 10 points.
    await org.send("jira", idea(2))
    return org


async def changes(client: httpx.AsyncClient, **params: Any) -> list[dict[str, Any]]:
    response = await client.get("/api/v1/scope-changes", params=params)
    assert response.status_code == 200, response.text
    found: list[dict[str, Any]] = response.json()["changes"]
    return found


async def scope(client: httpx.AsyncClient) -> dict[str, Any]:
    response = await client.get("/api/v1/roadmap")
    assert response.status_code == 200, response.text
    [entry] = response.json()["items"]
    figures: dict[str, Any] = entry["rollup"]["scope"]
    return figures


def brief(found: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    """(minute, type, ticket key, old, new, points_delta), oldest first."""
    return [
        (minute_of(c["at"]), c["type"], c["ticket_key"], c["old"], c["new"], c["points_delta"])
        for c in reversed(found)
    ]


def minute_of(stamp: str) -> float:
    for minute in range(0, 200):
        if at(minute).isoformat().replace("+00:00", "Z") == stamp:
            return minute
    raise AssertionError(f"{stamp} is not a whole minute of the timeline")
