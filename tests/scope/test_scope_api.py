"""POST /api/v1/roadmap/{id}/baseline, manual links, and GET /api/v1/scope-changes."""

from __future__ import annotations

import httpx
from sqlalchemy import func, select

from app.items.identity import item_id
from app.models import ScopeBaseline
from connectors.base.records import Batch
from tests.factories import work_item
from tests.items.helpers import ingest_one
from tests.scope.conftest import Org, changes, issue, scope


def idea_id(org: Org) -> str:
    return str(item_id(org.tools["jira"].id, "IDEA-1"))


def issue_id(org: Org, number: int) -> str:
    return str(item_id(org.tools["github"].id, str(number)))


async def test_a_manual_baseline_resets_the_figures_and_keeps_the_older_one(
    client: httpx.AsyncClient, org: Org
) -> None:
    await org.send("github", issue(1, 20, estimate=5))  # +2 against the first baseline
    assert (await scope(client))["creep_pct"] == 20.0
    response = await client.post(f"/api/v1/roadmap/{idea_id(org)}/baseline")
    assert response.status_code == 201, response.text
    baseline = response.json()
    # #1 (5), #2 (5), ENG-1 (2): 3 tickets, 12 points.
    assert (baseline["reason"], baseline["ticket_count"], baseline["points"]) == ("manual", 3, 12)
    assert baseline["tickets"][issue_id(org, 1)] == 5
    assert baseline["target_date"] == "2026-06-30"
    figures = await scope(client)
    assert figures["baseline_at"] == baseline["taken_at"]
    assert (figures["baseline_points"], figures["creep_pct"], figures["estimate_changes"]) == (
        12, 0.0, 0,
    )  # fmt: skip
    async with org.database.job_session() as session:
        assert await session.scalar(select(func.count()).select_from(ScopeBaseline)) == 2


async def test_baseline_errors(client: httpx.AsyncClient, org: Org) -> None:
    missing = await client.post("/api/v1/roadmap/00000000-0000-0000-0000-000000000009/baseline")
    assert missing.status_code == 404
    assert (await client.post("/api/v1/roadmap/not-an-id/baseline")).status_code == 404
    ticket = await client.post(f"/api/v1/roadmap/{issue_id(org, 1)}/baseline")
    assert ticket.status_code == 422
    assert "not a roadmap item" in ticket.json()["detail"]


async def test_manual_links_add_and_remove_tickets(client: httpx.AsyncClient, org: Org) -> None:
    await ingest_one(org.database, org.tools["github"], Batch(items=(work_item(4, 5, estimate=2),)))
    made = await client.post(
        "/api/v1/links", json={"from": idea_id(org), "to": issue_id(org, 4), "kind": "implements"}
    )
    assert made.status_code == 201, made.text
    [added] = await changes(client)
    assert (added["type"], added["ticket_key"], added["points_delta"]) == (
        "ticket_added", "acme/api#4", 2,
    )  # fmt: skip
    assert added["at"] == made.json()["created_at"].replace("+00:00", "Z")
    assert (await client.delete(f"/api/v1/links/{made.json()['id']}")).status_code == 204
    removed, _ = await changes(client)
    assert (removed["type"], removed["points_delta"]) == ("ticket_removed", -2)


async def test_filters_order_and_pages(client: httpx.AsyncClient, org: Org) -> None:
    await org.send("github", issue(1, 20, estimate=5))
    await org.send("github", issue(1, 25, estimate=8))
    await org.send("github", issue(3, 30, estimate=1))
    newest = await changes(client)
    assert [c["type"] for c in newest] == ["ticket_added", "estimate_changed", "estimate_changed"]
    assert newest[0]["roadmap_item"] == idea_id(org)
    assert newest[0]["roadmap_item_key"] == "IDEA-1"
    assert len(await changes(client, type="estimate_changed")) == 2
    assert len(await changes(client, since="2026-03-02T09:25:00Z")) == 2
    assert len(await changes(client, until="2026-03-02T09:25:00Z")) == 1
    assert len(await changes(client, roadmap_item=issue_id(org, 1))) == 0
    first = (await client.get("/api/v1/scope-changes", params={"limit": 2})).json()
    rest = await client.get(
        "/api/v1/scope-changes", params={"limit": 2, "cursor": first["next_cursor"]}
    )
    assert [c["id"] for c in first["changes"] + rest.json()["changes"]] == [c["id"] for c in newest]
    assert rest.json()["next_cursor"] is None


async def test_bad_parameters(client: httpx.AsyncClient) -> None:
    for params in ({"type": "grew"}, {"roadmap_item": "x"}, {"since": "soon"}, {"limit": 0},
                   {"since": "2026-03-02", "until": "2026-03-01"}):  # fmt: skip
        response = await client.get("/api/v1/scope-changes", params=params)
        assert response.status_code == 422, params
    bad_cursor = await client.get("/api/v1/scope-changes", params={"cursor": "nope"})
    assert bad_cursor.status_code == 400
