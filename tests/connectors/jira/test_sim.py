"""The simulated Jira Cloud API, driven in process, checked against real Jira payloads."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from pydantic import SecretStr
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from connectors.base.contract import ConnectionConfig
from connectors.jira.connector import JiraConnector
from connectors.jira.hooks import JiraWebhookEmitter
from connectors.jira.render import JiraProjects
from connectors.jira.sim import JiraSim, JiraSimOptions
from connectors.sim.server import build_sim_app
from connectors.sim.world import World
from tests.real_fixtures import load

AUTH = {"Authorization": "Basic YWRtaW5AYWNtZS5leGFtcGxlOnRva2Vu"}
TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}[+-]\d{4}$")
SEARCH = "/rest/api/3/search/jql"
FIELDS = ["summary", "status", "assignee", "updated", "created", "issuetype", "project"]


def client_of(sim: JiraSim) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=sim.app)
    return httpx.AsyncClient(transport=transport, base_url="http://jira.test", headers=AUTH)


async def search(sim: JiraSim, **body: Any) -> httpx.Response:
    async with client_of(sim) as client:
        return await client.post(SEARCH, json=body)


def small() -> World:
    return World.generate(seed=2, size="small")


def real_search_issue() -> dict[str, Any]:
    issue: dict[str, Any] = load("jira", "rest.search.expand_changelog.json")["issues"][0]
    return issue


async def test_issue_json_has_the_real_shape() -> None:
    sim = JiraSim(small())
    body = (await search(sim, jql="project = PAY", fields=FIELDS, expand="changelog")).json()
    ours = body["issues"][0]
    real = real_search_issue()
    assert set(ours) >= {"id", "key", "self", "fields", "changelog"}
    assert isinstance(ours["id"], str)
    assert ours["id"].isdigit()
    for name in ("status", "issuetype", "project"):
        assert set(ours["fields"][name]) >= set(real["fields"][name]) - {
            "iconUrl",
            "description",
            "avatarUrls",
            "avatarId",
        }
    assert set(ours["fields"]["status"]["statusCategory"]) >= {"id", "key", "name", "colorName"}
    assert TIMESTAMP.match(ours["fields"]["updated"])
    assert TIMESTAMP.match(real["fields"]["updated"])
    real_history = real["changelog"]["histories"][0]
    if ours["changelog"]["histories"]:
        history = ours["changelog"]["histories"][0]
        assert set(history) == set(real_history)
        assert set(history["items"][0]) == set(real_history["items"][0]) | {"fieldId"}


async def test_fields_default_to_the_id_only() -> None:
    body = (await search(JiraSim(small()), jql="project = PAY")).json()
    assert body["issues"]
    assert all(set(issue["fields"]) == set() for issue in body["issues"])


@pytest.mark.parametrize(
    ("body", "page"),
    [
        ({"fields": ["id"], "maxResults": 5000}, 5000),
        ({"fields": FIELDS, "maxResults": 1000}, 100),
        ({"fields": FIELDS, "maxResults": 1000, "expand": "changelog"}, 50),
        ({"fields": ["*all"], "maxResults": 1000}, 50),
        ({"fields": FIELDS, "maxResults": 7}, 7),
    ],
)
async def test_page_sizes_are_capped_as_jira_caps_them(body: dict[str, Any], page: int) -> None:
    world = World.single_repo("acme", "api", issues=6000, pull_requests=0)
    body = await search(JiraSim(world), jql="project = PAY", **body)
    assert len(body.json()["issues"]) == page
    assert body.json()["isLast"] is False


async def test_pages_follow_next_page_tokens_to_the_end() -> None:
    world = World.single_repo("acme", "api", issues=230, pull_requests=40)
    sim = JiraSim(world)
    keys: list[str] = []
    token = None
    async with client_of(sim) as client:
        while True:
            body = {"jql": "project = PAY ORDER BY key ASC", "fields": ["key"], "maxResults": 100}
            if token:
                body["nextPageToken"] = token
            page = (await client.post(SEARCH, json=body)).json()
            keys += [issue["key"] for issue in page["issues"]]
            token = page.get("nextPageToken")
            if page["isLast"]:
                break
    assert token is None
    assert keys == [
        f"PAY-{i.number}"
        for i in sorted(world.repo("acme/api").issues.values(), key=lambda i: i.number)
        if not i.is_pull_request
    ]


async def test_an_issue_updated_mid_walk_is_read_again_and_none_is_skipped() -> None:
    world = World.single_repo("acme", "api", issues=120, pull_requests=0)
    sim = JiraSim(world)
    body = {"jql": "project = PAY ORDER BY updated ASC", "fields": ["updated"], "maxResults": 50}
    seen: list[str] = []
    async with client_of(sim) as client:
        first = (await client.post(SEARCH, json=body)).json()
        seen += [issue["id"] for issue in first["issues"]]
        touched = world.repo("acme/api").issues
        oldest = next(i for i in touched.values() if str(i.id) == seen[0])
        world.edit_issue("acme/api", oldest.number, title="Touched")
        token = first["nextPageToken"]
        while token:
            page = (await client.post(SEARCH, json={**body, "nextPageToken": token})).json()
            seen += [issue["id"] for issue in page["issues"]]
            token = page.get("nextPageToken")
    assert set(seen) == {str(i.id) for i in touched.values()}
    assert seen.count(str(oldest.id)) == 2


async def test_updated_dates_are_read_at_minute_precision_in_the_users_zone() -> None:
    world = small()
    sim = JiraSim(world, JiraSimOptions(time_zone="America/New_York"))
    issue = next(i for i in world.all_issues() if not i.is_pull_request and i.repo.endswith("api"))
    world.edit_issue(issue.repo, issue.number, title="Now")  # at 2026-01-05 09:00:01 UTC
    project = JiraProjects(world).issue_key(issue).split("-")[0]

    async def ids(literal: str) -> set[str]:
        jql = f'project = {project} AND updated >= "{literal}"'
        return {i["id"] for i in (await search(sim, jql=jql)).json()["issues"]}

    assert str(issue.id) in await ids("2026/01/05 04:00")  # 09:00 UTC, the same minute
    assert str(issue.id) not in await ids("2026/01/05 04:01")
    assert str(issue.id) not in await ids("2026/01/05 09:00")  # UTC wall time, read as New York


async def test_embedded_changelog_keeps_the_latest_and_the_rest_is_paged() -> None:
    world = small()
    sim = JiraSim(world, JiraSimOptions(embedded_histories=1, changelog_page=2))
    issue = next(
        i
        for i in world.all_issues()
        if not i.is_pull_request and len(sim.changelog.histories(i)) >= 3
    )
    key = JiraProjects(world).issue_key(issue)
    total = len(sim.changelog.histories(issue))
    async with client_of(sim) as client:
        got = (await client.get(f"/rest/api/3/issue/{key}", params={"expand": "changelog"})).json()
        first = (await client.get(f"/rest/api/3/issue/{issue.id}/changelog")).json()
    embedded = got["changelog"]
    assert (embedded["total"], embedded["startAt"], len(embedded["histories"])) == (
        total,
        total - 1,
        1,
    )
    assert (first["startAt"], first["maxResults"], first["total"], first["isLast"]) == (
        0,
        2,
        total,
        False,
    )
    assert first["nextPage"].endswith("startAt=2&maxResults=2")
    assert embedded["histories"][0]["id"] == str(sim.changelog.histories(issue)[-1].id)


async def test_a_world_change_appends_a_history_at_its_time() -> None:
    world = small()
    sim = JiraSim(world)
    issue = next(i for i in world.all_issues() if not i.is_pull_request and i.state == "open")
    before = len(sim.changelog.histories(issue))
    world.edit_issue(issue.repo, issue.number, state="closed", state_reason="not_planned")
    histories = sim.changelog.histories(issue)
    assert len(histories) == before + 1
    assert histories[-1].at == world.clock
    assert "status" in histories[-1].items
    assert (histories[-1].new.status, histories[-1].new.resolution) == ("Done", "Won't Do")


async def test_errors_as_jira_answers_them() -> None:
    world = small()
    sim = JiraSim(world)
    victim = next(i for i in world.all_issues() if not i.is_pull_request)
    key = JiraProjects(world).issue_key(victim)
    world.delete_issue(victim.repo, victim.number)
    async with client_of(sim) as client:
        old = await client.post("/rest/api/3/search", json={"jql": "project = PAY"})
        unbounded = await client.post(SEARCH, json={"jql": "ORDER BY updated"})
        bad_token = await client.post(SEARCH, json={"jql": "project = PAY", "nextPageToken": "x!"})
        gone = await client.get(f"/rest/api/3/issue/{key}")
        anonymous = await client.get("/rest/api/3/myself", headers={"Authorization": ""})
    assert old.status_code == 410
    assert "/rest/api/3/search/jql" in old.json()["errorMessages"][0]
    assert unbounded.status_code == 400
    assert bad_token.status_code == 400
    assert gone.status_code == 404
    assert anonymous.status_code == 401


async def test_throttled_requests_carry_jiras_rate_limit_headers() -> None:
    sim = JiraSim(small(), JiraSimOptions(throttle_rate=1.0, retry_after=3))
    async with client_of(sim) as client:
        response = await client.get("/rest/api/3/myself")
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "3"
    assert response.headers["RateLimit-Reason"] == "jira-burst-based"
    assert response.headers["X-RateLimit-Remaining"] == "0"
    assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\dZ$", response.headers["X-RateLimit-Reset"])
    assert sim.stats.throttled["myself"] == 1


async def test_myself_and_field_list_name_the_zone_and_custom_fields() -> None:
    sim = JiraSim(small(), JiraSimOptions(time_zone="Asia/Kolkata"))
    async with client_of(sim) as client:
        me = (await client.get("/rest/api/3/myself")).json()
        fields = (await client.get("/rest/api/3/field")).json()
    assert me["timeZone"] == "Asia/Kolkata"
    names = {f["name"]: f["id"] for f in fields if f["custom"]}
    assert names["Story point estimate"] == "customfield_10016"
    assert names["Sprint"] == "customfield_10020"
    assert names["Target date"] == "customfield_10402"


async def test_status_list_gives_each_status_as_issues_embed_it() -> None:
    sim = JiraSim(small())
    async with client_of(sim) as client:
        listed = (await client.get("/rest/api/3/status")).json()
        body = (await search(sim, jql="project = PAY", fields=["status"])).json()
    by_id = {status["id"]: status for status in listed}
    embedded = [issue["fields"]["status"] for issue in body["issues"]]
    assert embedded
    assert all(by_id[status["id"]] == status for status in embedded)
    keys = {status["name"]: status["statusCategory"]["key"] for status in listed}
    assert (keys["To Do"], keys["In Progress"], keys["Done"]) == ("new", "indeterminate", "done")


async def test_a_status_change_that_resolves_lists_the_resolution_first() -> None:
    world = small()
    sim = JiraSim(world)
    issue = next(i for i in world.all_issues() if not i.is_pull_request and i.state == "open")
    world.edit_issue(issue.repo, issue.number, state="closed", state_reason="not_planned")
    key = JiraProjects(world).issue_key(issue)
    async with client_of(sim) as client:
        page = (await client.get(f"/rest/api/3/issue/{key}/changelog")).json()
    items = [(i["field"], i["fromString"], i["toString"]) for i in page["values"][-1]["items"]]
    left = "In Progress" if issue.assignees else "To Do"
    assert items[:2] == [("resolution", None, "Won't Do"), ("status", left, "Done")]
    real = load("jira", "issue_updated.json")["changelog"]["items"]
    assert set(page["values"][-1]["items"][0]) == set(real[0])


async def test_webhook_emitter_sends_signed_deliveries_the_connector_parses() -> None:
    received: list[tuple[dict[str, str], bytes]] = []

    async def hook(request: Request) -> Response:
        received.append((dict(request.headers), await request.body()))
        return Response(status_code=202)

    receiver = Starlette(routes=[Route("/hook", hook, methods=["POST"])])
    world = small()
    config = ConnectionConfig(
        name="jira", kind="jira", base_url="https://acme.atlassian.net",
        webhook_secret=SecretStr("s3cret"),
    )  # fmt: skip
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=receiver)) as http:
        emitter = JiraWebhookEmitter("http://receiver.test/hook", "s3cret", client=http)
        app = build_sim_app(world, jira_webhooks=[emitter])
        sim = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://sim.test")
        async with sim:
            advanced = (await sim.post("/_sim/advance?changes=40")).json()
    assert advanced["webhook_failures"] == []
    jira_changes = [c for c in advanced["changes"] if not _is_pull_request(world, c)]
    assert len(received) == len(jira_changes)
    events = []
    for headers, body in received:
        JiraConnector.verify_webhook(config, headers, body)
        result = JiraConnector.parse_webhook(config, headers, json.loads(body), datetime.now(UTC))
        assert result.batch is not None, result.ignored_because
        events.append(result.event)
        if result.event == "jira:issue_deleted":
            assert result.batch.deletions
        else:
            assert result.batch.items
    assert "jira:issue_updated" in events
    assert len({h["x-atlassian-webhook-identifier"] for h, _ in received}) == len(received)
    histories = [json.loads(b).get("changelog") for _, b in received]
    assert any(h and h["items"] for h in histories)


def _is_pull_request(world: World, change: dict[str, Any]) -> bool:
    repo = world.repo(change["repo"])
    issue = repo.issues.get(change["number"])
    if issue is not None:
        return issue.is_pull_request
    return False  # deleted or transferred away: only issues are
