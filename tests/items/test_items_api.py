"""GET /api/v1/items and /api/v1/items/{id}, on both databases."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from app.db import Database
from app.items.identity import item_id
from app.items.plan import ConnectionRef
from connectors.base.records import Batch
from tests.conftest import add_connection
from tests.factories import at, deletion, link, work_item
from tests.items.helpers import ingest_one


async def _all_pages(client: httpx.AsyncClient, **params: Any) -> list[dict[str, Any]]:
    seen: list[dict[str, Any]] = []
    cursor = None
    while True:
        query = params | ({"cursor": cursor} if cursor else {})
        body = (await client.get("/api/v1/items", params=query)).json()
        seen += body["items"]
        cursor = body["next_cursor"]
        if cursor is None:
            return seen


@pytest.fixture
async def seeded(database: Database, connection: ConnectionRef) -> ConnectionRef:
    records = (
        work_item(1, 1, labels=("bug",), assignees=("ana",), title="Login fails"),
        work_item(
            2, 2, labels=("ui", "bug"), status_category="in_progress", team="web", sprint="W12"
        ),
        work_item(3, 3, kind="epic", description="Covers 100% of checkout_flow"),
        work_item(4, 4, status_category="done"),
    )
    await ingest_one(database, connection, Batch(items=records))
    await ingest_one(database, connection, Batch(deletions=(deletion(4, 5),)))
    return connection


async def test_items_are_listed_newest_first_without_deleted(
    client: httpx.AsyncClient, seeded: ConnectionRef
) -> None:
    body = (await client.get("/api/v1/items")).json()
    assert [i["key"] for i in body["items"]] == ["acme/api#3", "acme/api#2", "acme/api#1"]
    assert body["next_cursor"] is None
    first = body["items"][2]
    assert first["id"] == str(item_id(seeded.id, "1"))
    assert (first["connection"], first["source"], first["external_id"]) == ("acme", "github", "1")
    assert (first["assignees"], first["labels"], first["deleted"]) == (["ana"], ["bug"], False)
    assert (first["sprint"], body["items"][1]["sprint"]) == (None, "W12")
    assert first["updated_at"] == "2026-03-02T09:01:00Z"


@pytest.mark.parametrize(
    ("params", "keys"),
    [
        ({"label": "bug"}, ["acme/api#2", "acme/api#1"]),
        ({"assignee": "ana"}, ["acme/api#1"]),
        ({"team": "web"}, ["acme/api#2"]),
        ({"sprint": "W12"}, ["acme/api#2"]),
        ({"kind": "epic"}, ["acme/api#3"]),
        ({"status_category": "in_progress"}, ["acme/api#2"]),
        ({"q": "login"}, ["acme/api#1"]),
        ({"q": "100%"}, ["acme/api#3"]),
        ({"q": "login_"}, []),  # _ is a literal, not LIKE's wildcard
        ({"q": "checkout_flow"}, ["acme/api#3"]),
        ({"updated_since": "2026-03-02T09:02:00Z"}, ["acme/api#3", "acme/api#2"]),
        ({"connection": "acme", "source": "github", "label": "ui"}, ["acme/api#2"]),
        ({"connection": "other"}, []),
        ({"source": "jira"}, []),
        ({"include_deleted": "true", "status_category": "done"}, ["acme/api#4"]),
    ],
)
async def test_filters(
    client: httpx.AsyncClient, seeded: ConnectionRef, params: dict[str, str], keys: list[str]
) -> None:
    response = await client.get("/api/v1/items", params=params)
    assert response.status_code == 200, response.text
    assert [i["key"] for i in response.json()["items"]] == keys


async def test_roadmap_item_filter_follows_links_transitively(
    client: httpx.AsyncClient, database: Database, connection: ConnectionRef
) -> None:
    records = tuple(work_item(n, n) for n in range(1, 6))
    links = (link(1, 2), link(2, 3), link(3, 1), link(4, 5))  # a cycle, and an unrelated pair
    await ingest_one(database, connection, Batch(items=records, links=links))
    root = str(item_id(connection.id, "1"))
    response = await client.get("/api/v1/items", params={"roadmap_item": root})
    assert sorted(i["key"] for i in response.json()["items"]) == [
        "acme/api#1", "acme/api#2", "acme/api#3",
    ]  # fmt: skip


@pytest.mark.parametrize(
    "params",
    [
        {"limit": "0"},
        {"limit": "501"},
        {"status_category": "finished"},
        {"kind": "story"},
        {"source": "trello"},
        {"updated_since": "last monday"},
        {"roadmap_item": "not-a-uuid"},
        {"include_deleted": "maybe"},
    ],
)
async def test_bad_filters_are_422(client: httpx.AsyncClient, params: dict[str, str]) -> None:
    response = await client.get("/api/v1/items", params=params)
    assert response.status_code == 422
    assert response.json()["detail"]


@pytest.mark.parametrize("cursor", ["garbage", "eyJ4IjoxfQ", "WyJ4IiwieSIsMV0"])
async def test_bad_cursor_is_400(client: httpx.AsyncClient, cursor: str) -> None:
    response = await client.get("/api/v1/items", params={"cursor": cursor})
    assert response.status_code == 400
    assert "invalid cursor" in response.json()["detail"]


async def test_unknown_roadmap_item_is_404(client: httpx.AsyncClient) -> None:
    response = await client.get(
        "/api/v1/items", params={"roadmap_item": "00000000-0000-0000-0000-000000000000"}
    )
    assert response.status_code == 404


async def test_pages_cover_every_item_once(
    client: httpx.AsyncClient, database: Database, connection: ConnectionRef
) -> None:
    # Several items share an updated_at, so the id must break ties.
    records = tuple(work_item(n, n // 3) for n in range(1, 24))
    await ingest_one(database, connection, Batch(items=records))
    seen = await _all_pages(client, limit=5)
    assert sorted(i["external_id"] for i in seen) == sorted(str(n) for n in range(1, 24))
    stamps = [(i["updated_at"], i["id"]) for i in seen]
    assert stamps == sorted(stamps, reverse=True)


async def test_concurrent_writes_neither_skip_nor_repeat_items(
    client: httpx.AsyncClient, database: Database, connection: ConnectionRef
) -> None:
    records = tuple(work_item(n, n) for n in range(1, 21))
    await ingest_one(database, connection, Batch(items=records))
    first = (await client.get("/api/v1/items", params={"limit": 6})).json()
    # While the walk runs: items not yet seen move to the front, a seen one moves
    # too, and new items arrive.
    moved = (work_item(2, 100, title="moved"), work_item(5, 101), work_item(19, 102))
    new = (work_item(50, 103), work_item(51, 0.5))
    await ingest_one(database, connection, Batch(items=moved + new))
    rest: list[dict[str, Any]] = []
    cursor = first["next_cursor"]
    while cursor:
        body = (await client.get("/api/v1/items", params={"limit": 6, "cursor": cursor})).json()
        rest += body["items"]
        cursor = body["next_cursor"]
    walked = [i["external_id"] for i in first["items"] + rest]
    assert len(walked) == len(set(walked)), "no item repeated"
    assert set(walked) >= {str(n) for n in range(1, 21)}, "no item that existed is skipped"
    assert "51" in walked  # new, and placed behind the cursor: seen once


async def test_removed_connection_hides_its_items(
    client: httpx.AsyncClient, database: Database
) -> None:
    await client.post("/api/v1/connections", json={"name": "gone", "kind": "github"})
    other = await add_connection(database, "kept")
    async with database.job_session() as session:
        from sqlalchemy import select

        from app.models import Connection

        gone = (
            await session.execute(select(Connection).where(Connection.name == "gone"))
        ).scalar_one()
    await ingest_one(database, ConnectionRef(gone.id, "github"), Batch(items=(work_item(1),)))
    await ingest_one(database, other, Batch(items=(work_item(2),)))
    await client.delete("/api/v1/connections/gone")
    keys = [i["connection"] for i in (await client.get("/api/v1/items")).json()["items"]]
    assert keys == ["kept"]


async def test_item_detail_has_links_both_ways_and_history_oldest_first(
    client: httpx.AsyncClient, database: Database, connection: ConnectionRef
) -> None:
    idea = work_item(1, 0, kind="roadmap_item")
    links = (link(1, 2), link(1, 99))
    await ingest_one(database, connection, Batch(items=(idea, work_item(2)), links=links))
    await ingest_one(database, connection, Batch(items=(work_item(2, 5, status="in review"),)))
    await ingest_one(
        database, connection, Batch(items=(work_item(2, 9, status="in review", title="Renamed"),))
    )

    ticket = (await client.get(f"/api/v1/items/{item_id(connection.id, '2')}")).json()
    [incoming] = ticket["links"]
    assert (incoming["kind"], incoming["origin"], incoming["direction"]) == (
        "implements", "vendor", "incoming",
    )  # fmt: skip
    assert incoming["item"]["key"] == "acme/api#1"
    history = [(h["field"], h["new"]) for h in ticket["history"] if h["field"] != "updated_at"]
    assert history == [("status", "in review"), ("title", "Renamed")]
    assert [h["at"] for h in ticket["history"]] == sorted(h["at"] for h in ticket["history"])

    roadmap = (await client.get(f"/api/v1/items/{item_id(connection.id, '1')}")).json()
    targets = {(x["direction"], x["item"]["key"] if x["item"] else None) for x in roadmap["links"]}
    assert targets == {("outgoing", "acme/api#2"), ("outgoing", None)}


@pytest.mark.parametrize("item", ["nope", "00000000-0000-0000-0000-000000000000"])
async def test_unknown_item_is_404(client: httpx.AsyncClient, item: str) -> None:
    response = await client.get(f"/api/v1/items/{item}")
    assert response.status_code == 404
    assert "no item" in response.json()["detail"]


async def test_deleted_item_is_still_readable_by_id(
    client: httpx.AsyncClient, database: Database, connection: ConnectionRef
) -> None:
    await ingest_one(database, connection, Batch(items=(work_item(1),)))
    await ingest_one(database, connection, Batch(deletions=(deletion(1, at(3).minute),)))
    body = (await client.get(f"/api/v1/items/{item_id(connection.id, '1')}")).json()
    assert body["deleted"] is True
    assert [(h["field"], h["new"]) for h in body["history"]] == [("deleted", True)]
