"""GET /api/v1/people: open work per person across tools, on both databases."""

from __future__ import annotations

import httpx
from sqlalchemy import update

from app.db import Database
from app.models import Connection
from connectors.base.records import Batch
from tests.conftest import add_connection
from tests.factories import work_item
from tests.items.helpers import ingest_one


async def test_one_person_across_two_tools(client: httpx.AsyncClient, database: Database) -> None:
    github = await add_connection(database, "gh", "github")
    jira = await add_connection(database, "jira", "jira")
    async with database.job_session() as session:
        await session.execute(
            update(Connection).where(Connection.id == github.id)
            .values(settings={"people": {"analima": "Ana Lima"}})
        )  # fmt: skip
    await ingest_one(database, github, Batch(items=(
        work_item(1, 1, assignees=("analima",), status_category="in_progress", estimate=3),
        work_item(2, 1, assignees=("analima", "bo"), estimate=8),
        work_item(3, 1, assignees=("analima",), status_category="done", estimate=5),
    )))  # fmt: skip
    await ingest_one(database, jira, Batch(items=(
        work_item("J1", 1, key="PAY-1", assignees=("Ana Lima",), status_category="in_progress",
                  estimate=2),
        work_item("J2", 1, key="PAY-2", assignees=("Bo@Acme.io",), status_category="in_progress"),
        work_item("J3", 1, key="PAY-3", kind="epic", assignees=("Ana Lima",)),
    )))  # fmt: skip
    body = (await client.get("/api/v1/people")).json()
    assert body["people"] == [
        {"person": "Ana Lima", "open_tickets": 3, "in_progress": 2, "points_in_progress": 5,
         "sources": ["github", "jira"], "names": ["Ana Lima", "analima"]},
        {"person": "bo", "open_tickets": 1, "in_progress": 0, "points_in_progress": 0,
         "sources": ["github"], "names": ["bo"]},
        {"person": "bo@acme.io", "open_tickets": 1, "in_progress": 1, "points_in_progress": 0,
         "sources": ["jira"], "names": ["Bo@Acme.io"]},
    ]  # fmt: skip
