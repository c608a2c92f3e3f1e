"""POST /api/v1/links and DELETE /api/v1/links/{id}: manual links, on both databases."""

from __future__ import annotations

import httpx

from app.db import Database
from app.items.identity import item_id
from app.items.plan import ConnectionRef
from connectors.base.records import Batch
from tests.factories import work_item
from tests.items.helpers import ingest_one


async def _two_items(database: Database, connection: ConnectionRef) -> tuple[str, str]:
    epic = work_item(1, 1, kind="epic")
    await ingest_one(database, connection, Batch(items=(epic, work_item(2, 1))))
    return str(item_id(connection.id, "1")), str(item_id(connection.id, "2"))


async def test_a_manual_link_shows_on_both_items_and_in_the_rollup_filter(
    client: httpx.AsyncClient, database: Database, connection: ConnectionRef
) -> None:
    epic, ticket = await _two_items(database, connection)
    made = await client.post("/api/v1/links", json={"from": epic, "to": ticket})
    assert made.status_code == 201, made.text
    body = made.json()
    assert (body["from"], body["to"], body["kind"], body["origin"]) == (
        epic, ticket, "implements", "manual",
    )  # fmt: skip
    again = await client.post("/api/v1/links", json={"from": epic, "to": ticket})
    assert (again.status_code, again.json()["id"]) == (200, body["id"])
    detail = (await client.get(f"/api/v1/items/{ticket}")).json()
    assert [(link["origin"], link["direction"]) for link in detail["links"]] == [
        ("manual", "incoming")
    ]
    linked = await client.get("/api/v1/items", params={"roadmap_item": epic})
    assert [item["id"] for item in linked.json()["items"]] == [ticket]


async def test_a_removed_manual_link_is_gone_but_kept_as_history(
    client: httpx.AsyncClient, database: Database, connection: ConnectionRef
) -> None:
    epic, ticket = await _two_items(database, connection)
    link = (await client.post("/api/v1/links", json={"from": epic, "to": ticket})).json()
    assert (await client.delete(f"/api/v1/links/{link['id']}")).status_code == 204
    assert (await client.delete(f"/api/v1/links/{link['id']}")).status_code == 404
    assert (await client.get(f"/api/v1/items/{ticket}")).json()["links"] == []


async def test_derived_links_cannot_be_removed_by_hand(
    client: httpx.AsyncClient, database: Database, connection: ConnectionRef
) -> None:
    epic = work_item(1, 1, kind="epic")
    child = work_item(2, 1, parent_external_id="1")
    await ingest_one(database, connection, Batch(items=(epic, child)))
    detail = (await client.get(f"/api/v1/items/{item_id(connection.id, '2')}")).json()
    [parent_link] = detail["links"]
    response = await client.delete(f"/api/v1/links/{parent_link['id']}")
    assert response.status_code == 409
    assert "parent" in response.json()["detail"]


async def test_bad_links_are_refused_with_a_reason(
    client: httpx.AsyncClient, database: Database, connection: ConnectionRef
) -> None:
    epic, _ = await _two_items(database, connection)
    unknown = "00000000-0000-0000-0000-000000000000"
    cases = [
        ({"from": epic, "to": epic}, 422, "itself"),
        ({"from": epic, "to": unknown}, 404, "'to'"),
        ({"from": "nope", "to": epic}, 422, "'from'"),
        ({"from": epic}, 422, "to"),
        ({"from": epic, "to": unknown, "kind": ""}, 422, "kind"),
        ({"from": epic, "to": unknown, "extra": 1}, 422, "extra"),
    ]
    for body, code, said in cases:
        response = await client.post("/api/v1/links", json=body)
        assert response.status_code == code, (body, response.text)
        assert said in str(response.json()["detail"]), (body, response.text)
    assert (await client.delete("/api/v1/links/not-a-uuid")).status_code == 404
