"""GET /api/v1/items?as_of=DATE: the items as they were, on both databases."""

from __future__ import annotations

import httpx

from app.db import Database
from app.items.identity import item_id
from app.items.plan import ConnectionRef
from connectors.base.records import Batch
from tests.factories import at, deletion, link, work_item
from tests.items.helpers import ingest_one

DAY = 24 * 60  # minutes: T0 is 2026-03-02 09:00


async def _seed(database: Database, connection: ConnectionRef) -> None:
    """On 2026-03-02: #1 open, #2 open, #3 open, epic #4 -> #1. Later: #1 closed and
    renamed (03-04), #2 deleted (03-04), #3 deleted the same day, #5 created (03-04),
    the epic stops containing #1 (03-04)."""
    day_one = (work_item(1, 1), work_item(2, 2), work_item(3, 3), work_item(4, 4, kind="epic"))
    await ingest_one(database, connection, Batch(items=day_one, links=(link(4, 1),)))
    await ingest_one(database, connection, Batch(deletions=(deletion(3, 5),)))
    later = (
        work_item(1, 2 * DAY, title="Renamed", status="closed", status_category="done"),
        work_item(5, 2 * DAY, created_at=at(2 * DAY)),
        work_item(4, 2 * DAY, kind="epic"),
    )
    await ingest_one(database, connection, Batch(items=later, links=()))
    await ingest_one(database, connection, Batch(deletions=(deletion(2, 2 * DAY),)))


async def _listed(client: httpx.AsyncClient, **params: str) -> list[tuple[str, str, str, bool]]:
    response = await client.get("/api/v1/items", params={"as_of": "2026-03-02", **params})
    assert response.status_code == 200, response.text
    return [(i["key"], i["title"], i["status_category"], i["deleted"])
            for i in response.json()["items"]]  # fmt: skip


async def test_the_items_of_a_past_day(
    client: httpx.AsyncClient, database: Database, connection: ConnectionRef
) -> None:
    await _seed(database, connection)
    assert await _listed(client) == [
        ("acme/api#4", "Issue 4", "todo", False),
        ("acme/api#2", "Issue 2", "todo", False),
        ("acme/api#1", "Issue 1", "todo", False),
    ]
    now = await client.get("/api/v1/items")
    assert {i["key"] for i in now.json()["items"]} == {"acme/api#5", "acme/api#4", "acme/api#1"}


async def test_filters_judge_the_values_of_then(
    client: httpx.AsyncClient, database: Database, connection: ConnectionRef
) -> None:
    await _seed(database, connection)
    assert [k for k, *_ in await _listed(client, status_category="todo", kind="ticket")] == [
        "acme/api#2", "acme/api#1",
    ]  # fmt: skip
    assert await _listed(client, q="renamed") == []
    epic = str(item_id(connection.id, "4"))
    assert [k for k, *_ in await _listed(client, roadmap_item=epic)] == ["acme/api#1"]
    deleted = await _listed(client, include_deleted="true")
    assert ("acme/api#3", "Issue 3", "todo", True) in deleted


async def test_a_walk_over_past_pages(
    client: httpx.AsyncClient, database: Database, connection: ConnectionRef
) -> None:
    await _seed(database, connection)
    seen, cursor = [], None
    while True:
        params = {"as_of": "2026-03-02", "limit": "1"} | ({"cursor": cursor} if cursor else {})
        body = (await client.get("/api/v1/items", params=params)).json()
        seen += [i["key"] for i in body["items"]]
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert seen == ["acme/api#4", "acme/api#2", "acme/api#1"]


async def test_as_of_in_the_future_is_refused(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/items", params={"as_of": "2999-01-01"})
    assert response.status_code == 422
    assert "future" in response.json()["detail"]
