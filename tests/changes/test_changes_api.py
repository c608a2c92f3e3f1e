"""GET /api/v1/changes: the feed of field-level changes, on both databases."""

from __future__ import annotations

import httpx
import pytest

from app.db import Database
from app.items.plan import ConnectionRef
from connectors.base.records import Batch, FieldChange
from tests.conftest import add_connection
from tests.factories import at, work_item
from tests.items.helpers import ingest_one


@pytest.fixture
async def changed(database: Database, connection: ConnectionRef) -> ConnectionRef:
    """acme: #1 retitled at 10 and closed at 20; lin (team web): ENG-1 re-estimated at 15,
    with its vendor changelog saying it moved to In Progress at 5."""
    await ingest_one(database, connection, Batch(items=(work_item(1, 0),)))
    await ingest_one(database, connection, Batch(items=(work_item(1, 10, title="Renamed"),)))
    closed = work_item(1, 20, title="Renamed", status="closed", status_category="done")
    await ingest_one(database, connection, Batch(items=(closed,)), origin="webhook")
    linear = await add_connection(database, "lin", "linear")
    eng = {"key": "ENG-1", "team": "web", "status": "In Progress"}
    history = (FieldChange(external_id="e1", change_id="h1", field="status", old="Todo",
                           new="In Progress", at=at(5)),)  # fmt: skip
    await ingest_one(database, linear, Batch(items=(work_item("e1", 6, **eng),), history=history))
    await ingest_one(database, linear, Batch(items=(work_item("e1", 15, estimate=3, **eng),)))
    return linear


async def test_newest_first_without_updated_at(
    client: httpx.AsyncClient, changed: ConnectionRef
) -> None:
    body = (await client.get("/api/v1/changes")).json()
    shown = [
        (c["item"]["key"], c["field"], c["old"], c["new"], c["origin"]) for c in body["changes"]
    ]
    assert shown == [  # changes of one moment: the last recorded first
        ("acme/api#1", "status_category", "todo", "done", "webhook"),
        ("acme/api#1", "status", "open", "closed", "webhook"),
        ("ENG-1", "estimate", None, 3, "sync"),
        ("acme/api#1", "title", "Issue 1", "Renamed", "sync"),
        ("ENG-1", "status", "Todo", "In Progress", "vendor_changelog"),
    ]  # fmt: skip
    assert body["changes"][0]["at"] == "2026-03-02T09:20:00Z"
    assert body["next_cursor"] is None


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"team": "web"}, [("ENG-1", "estimate"), ("ENG-1", "status")]),
        ({"connection": "acme", "since": "2026-03-02T09:15:00Z"},
         [("acme/api#1", "status_category"), ("acme/api#1", "status")]),
        ({"until": "2026-03-02T09:10:00"}, [("ENG-1", "status")]),
        ({"origin": "vendor_changelog"}, [("ENG-1", "status")]),
        ({"field": "updated_at", "team": "web"}, [("ENG-1", "updated_at")]),
    ],
)  # fmt: skip
async def test_filters(
    client: httpx.AsyncClient, changed: ConnectionRef, params: dict[str, str],
    expected: list[tuple[str, str]],
) -> None:  # fmt: skip
    response = await client.get("/api/v1/changes", params=params)
    assert response.status_code == 200, response.text
    assert [(c["item"]["key"], c["field"]) for c in response.json()["changes"]] == expected


async def test_a_walk_over_pages_sees_every_change_once(
    client: httpx.AsyncClient, database: Database, connection: ConnectionRef
) -> None:
    await ingest_one(database, connection, Batch(items=tuple(work_item(n, 0) for n in range(12))))
    renamed = tuple(work_item(n, 5, title=f"T{n}", estimate=n) for n in range(12))
    await ingest_one(database, connection, Batch(items=renamed))  # 24 changes, all at minute 5
    seen, cursor = [], None
    while True:
        params = {"limit": "5"} | ({"cursor": cursor} if cursor else {})
        body = (await client.get("/api/v1/changes", params=params)).json()
        seen += [(c["item"]["key"], c["field"]) for c in body["changes"]]
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == 24
    assert len(set(seen)) == 24


@pytest.mark.parametrize(
    ("params", "code"),
    [({"since": "monday"}, 422), ({"limit": "0"}, 422), ({"cursor": "junk"}, 400)],
)
async def test_bad_input(client: httpx.AsyncClient, params: dict[str, str], code: int) -> None:
    response = await client.get("/api/v1/changes", params=params)
    assert response.status_code == code
    assert response.json()["detail"]
