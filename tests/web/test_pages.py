"""The dashboard's pages over a small organisation, on both databases: they show
what the API says, escape what the tools send, and link back only over http(s)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Any

import httpx
import pytest

from app.db import Database
from app.items.plan import ConnectionRef
from app.web.rows import shown_value
from connectors.base.records import Batch, Link
from tests.conftest import add_connection
from tests.factories import work_item
from tests.items.helpers import ingest_one
from tests.webhooks.helpers import add_receiving_connection, post

HOSTILE = '<script>alert("owned")</script>'


@pytest.fixture
async def organisation(database: Database) -> ConnectionRef:
    """Two roadmap items: ROAD-1 delivered by an epic and three tickets (one hostile,
    then renamed), ROAD-2 by nothing yet."""
    github = await add_connection(database, "gh", "github")
    items = (
        work_item("r1", 1, key="ROAD-1", kind="roadmap_item", team="product",
                  title="Checkout " + HOSTILE, due_date=date(2026, 9, 1)),
        work_item("r2", 1, key="ROAD-2", kind="roadmap_item", team="product",
                  title="Search", due_date=date(2026, 10, 1)),
        work_item(1, 1, kind="epic", team="web"),
        work_item(2, 1, estimate=3, parent_external_id="1", team="web",
                  status_category="in_progress", status="doing"),
        work_item(3, 1, estimate=5, parent_external_id="1", team="web",
                  status_category="done", status="closed"),
        work_item(4, 1, estimate=2, parent_external_id="1", team="api", title=HOSTILE,
                  url="javascript:alert(1)"),
    )  # fmt: skip
    delivery = Link(source_external_id="r1", target_external_id="1", kind="implements",
                    stated_by="r1")  # fmt: skip
    await ingest_one(database, github, Batch(items=items, links=(delivery,)))
    renamed = work_item(4, 2, estimate=2, parent_external_id="1", team="api",
                        title=HOSTILE + "!", url="javascript:alert(1)")  # fmt: skip
    await ingest_one(database, github, Batch(items=(renamed,)))  # a change for /changes
    return github


async def _roadmap(client: httpx.AsyncClient) -> dict[str, Any]:
    entries = (await client.get("/api/v1/roadmap")).json()["items"]
    return {entry["item"]["key"]: entry for entry in entries}


async def test_the_roadmap_page_shows_each_item_with_the_api_s_progress(
    client: httpx.AsyncClient, organisation: ConnectionRef
) -> None:
    page = await client.get("/")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    api = await _roadmap(client)
    shown = dict(re.findall(r'data-id="([^"]+)".*?data-progress="([^"]+)"', page.text, re.S))
    assert shown == {e["item"]["id"]: str(e["rollup"]["progress"]) for e in api.values()}
    # ROAD-1 by points: 5 of 10 done, 3 in progress, 2 to do.
    assert 'style="width: 50.0%"' in page.text
    assert 'style="width: 30.0%"' in page.text
    assert "2 of 2 roadmap items" in page.text


async def test_tool_text_is_escaped_and_only_web_links_are_followed(
    client: httpx.AsyncClient, organisation: ConnectionRef
) -> None:
    road = (await _roadmap(client))["ROAD-1"]["item"]
    for path in ("/", f"/roadmap/{road['id']}", "/changes?since=2000-01-01"):
        page = await client.get(path)
        assert page.status_code == 200, path
        assert HOSTILE not in page.text, path
        assert "&lt;script&gt;alert(&#34;owned&#34;)&lt;/script&gt;" in page.text, path
        assert "javascript:" not in page.text, path


async def test_the_item_page_groups_its_tickets_by_team_and_tool(
    client: httpx.AsyncClient, organisation: ConnectionRef
) -> None:
    road = (await _roadmap(client))["ROAD-1"]["item"]
    page = (await client.get(f"/roadmap/{road['id']}")).text
    groups = re.findall(r'<h3 class="group">(.*?) <span', page)
    assert groups == ["api · github", "web · github"]
    assert page.count('<tr class="ticket">') == 3  # the epic is a container, not a ticket
    assert 'href="https://github.com/acme/api/issues/2"' in page
    # A target date commits the item: its baseline is taken then (app/scope/baselines.py).
    assert "3 tickets, 10.0 points then" in page
    assert "No baseline yet" not in page
    assert "<polyline" in page


@pytest.mark.parametrize(
    "path", ["/roadmap/not-a-uuid", "/roadmap/00000000-0000-0000-0000-000000000000"]
)
async def test_an_unknown_roadmap_item_is_404(
    client: httpx.AsyncClient, organisation: ConnectionRef, path: str
) -> None:
    response = await client.get(path)
    assert response.status_code == 404
    assert "no roadmap item" in response.json()["detail"]
    page = await client.get(path, headers=BROWSER)
    assert (page.status_code, page.headers["content-type"]) == (404, "text/html; charset=utf-8")
    assert "404 Not Found" in page.text
    assert "no roadmap item with id" in page.text
    assert 'href="/teams"' in page.text  # the dashboard's navigation, to go on from there


BROWSER = {"accept": "text/html,application/xhtml+xml,*/*;q=0.8"}


async def test_a_browser_gets_errors_as_pages_and_machines_as_json(
    client: httpx.AsyncClient, organisation: ConnectionRef
) -> None:
    missing = await client.get("/no-such-page", headers=BROWSER)
    assert (missing.status_code, "404 Not Found" in missing.text) == (404, True)
    invalid = await client.get("/changes", params={"since": "last tuesday"}, headers=BROWSER)
    assert invalid.status_code == 422
    assert "text/html" in invalid.headers["content-type"]
    assert "since" in invalid.text
    api = await client.get("/api/v1/roadmap", params={"as_of": "2999-01-01"}, headers=BROWSER)
    assert api.status_code == 422
    assert "in the future" in api.json()["detail"]
    hostile = await client.get(f"/roadmap/{HOSTILE}", headers=BROWSER)
    assert hostile.status_code == 404
    assert HOSTILE not in hostile.text


@pytest.mark.parametrize(
    ("query", "keys"),
    [
        ("", ["ROAD-1", "ROAD-2"]),
        ("?team=web", ["ROAD-1"]),  # a team delivering it
        ("?team=product", ["ROAD-1", "ROAD-2"]),  # the items' own team
        ("?source=jira", []),
        ("?status=at_risk", ["ROAD-1"]),  # its teams closed nothing lately: no forecast
        ("?status=todo&source=github", ["ROAD-1", "ROAD-2"]),
    ],
)
async def test_roadmap_filters(
    client: httpx.AsyncClient, organisation: ConnectionRef, query: str, keys: list[str]
) -> None:
    page = (await client.get("/" + query)).text
    api = await _roadmap(client)
    ids = re.findall(r'<tr class="roadmap-item" data-id="([^"]+)"', page)
    assert ids == [api[key]["item"]["id"] for key in keys]


async def test_teams_people_changes_and_connections_pages(
    client: httpx.AsyncClient, organisation: ConnectionRef
) -> None:
    teams = (await client.get("/teams")).text
    assert re.findall(r'<tr class="team">\s*<td>([^<]+)</td>', teams) == ["api", "web"]
    assert (await client.get("/people")).status_code == 200
    changes = await client.get("/changes?since=2000-01-01")
    assert changes.status_code == 200
    assert "Changes since Saturday 2000-01-01 00:00 UTC" in changes.text
    connections = (await client.get("/connections")).text
    assert 'data-name="gh"' in connections
    assert "pending 0 · done 0 · ignored 0 · failed 0" in connections


async def test_a_bad_since_is_422_and_a_blank_one_means_monday(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/changes?since=yesterday")
    assert response.status_code == 422
    blank = await client.get("/changes?since=&team=&connection=")
    assert blank.status_code == 200
    assert "Changes since Monday" in blank.text


async def test_the_stylesheet_is_served(client: httpx.AsyncClient) -> None:
    response = await client.get("/static/dashboard.css")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/css")


async def test_scope_changes_since_the_baseline_show_on_both_pages(
    client: httpx.AsyncClient, database: Database, organisation: ConnectionRef
) -> None:
    road = (await _roadmap(client))["ROAD-1"]["item"]
    item_page = f"/roadmap/{road['id']}"
    added = work_item(5, 3, estimate=8, parent_external_id="1", team="web", title="Late add")
    await ingest_one(database, organisation, Batch(items=(added,)))
    scope = (await _roadmap(client))["ROAD-1"]["rollup"]["scope"]
    assert (scope["baseline_tickets"], scope["added_tickets"], scope["added_points"]) == (3, 1, 8)
    page = (await client.get(item_page)).text
    assert 'data-testid="baseline"' in page
    assert re.search(r"ticket added</span>\s*<strong>acme/api#5</strong>", page)
    assert "(+8 points)" in page
    roadmap = (await client.get("/")).text
    assert f'<span class="badge scope">scope +1 -0 creep {scope["creep_pct"]:g}%</span>' in roadmap


async def test_the_baseline_button_takes_a_baseline_now(
    client: httpx.AsyncClient, organisation: ConnectionRef
) -> None:
    road = (await _roadmap(client))["ROAD-1"]
    assert road["rollup"]["scope"]["baseline_at"].startswith("2026-03-02")  # its target date
    item_page = f"/roadmap/{road['item']['id']}"
    taken = await client.post(f"{item_page}/baseline", headers={"Origin": "http://bridge.test"})
    assert (taken.status_code, taken.headers["location"]) == (303, item_page)
    scope = (await _roadmap(client))["ROAD-1"]["rollup"]["scope"]
    assert scope["baseline_at"].startswith(datetime.now(UTC).date().isoformat())
    assert scope["baseline_tickets"] == 3


async def test_a_baseline_of_an_unknown_item_is_404(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/roadmap/00000000-0000-0000-0000-000000000000/baseline",
        headers={"Origin": "http://bridge.test"},
    )
    assert response.status_code == 404


async def test_pages_allow_only_their_own_scripts_and_no_framing(client: httpx.AsyncClient) -> None:
    page = await client.get("/")
    policy = page.headers["content-security-policy"]
    assert "script-src 'self';" in policy
    assert "frame-ancestors 'none'" in policy
    assert '<script src="/static/dashboard.js" defer></script>' in page.text
    assert "onchange=" not in page.text
    script = await client.get("/static/dashboard.js")
    assert (script.status_code, "form.submit()" in script.text) == (200, True)


async def test_connections_count_the_webhook_inbox(client: httpx.AsyncClient) -> None:
    await add_receiving_connection(client, "hooked")
    for event in ("ping", "issues", "issues"):
        assert (await post(client, {"zen": "x"}, event=event, name="hooked")).status_code == 202
    page = (await client.get("/connections")).text
    row = page[page.index('data-name="hooked"') :].split("</tr>")[0]
    assert "pending 3 · done 0 · ignored 0 · failed 0" in row


@pytest.mark.parametrize(
    ("value", "shown"),
    [(None, "—"), (["Bo Jones", "Ana Lima"], "Bo Jones, Ana Lima"), ([], "none"), (3.5, "3.5")],
)
def test_history_values_read_as_words(value: object, shown: str) -> None:
    assert shown_value(value) == shown
