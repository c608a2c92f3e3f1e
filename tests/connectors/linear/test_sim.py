"""The simulated Linear GraphQL API: schema, filters, paging, complexity, limits,
and how it renders and follows the World."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from connectors.linear import queries
from connectors.linear.sim import LinearSim, LinearSimOptions
from connectors.linear.sim_render import team_keys
from connectors.sim.world import World

TEAM_KEYS = ["PAY", "WEB", "PLA", "MOB", "DAT", "IDE"]  # payments, web, platform, ...


class FakeClock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


async def post(sim: LinearSim, query: str, token: str | None = "lin_api_key",
               **variables: Any) -> httpx.Response:  # fmt: skip
    headers = {"Authorization": token} if token else {}
    transport = httpx.ASGITransport(app=sim.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://linear.test") as client:
        body = {"query": query, "variables": variables}
        return await client.post("/graphql", json=body, headers=headers)


async def data(sim: LinearSim, query: str, **variables: Any) -> dict[str, Any]:
    response = await post(sim, query, **variables)
    assert response.status_code == 200, response.text
    body = response.json()
    assert "errors" not in body, body
    result: dict[str, Any] = body["data"]
    return result


def world() -> World:
    return World.generate(seed=3, size="small")


TEAM_ISSUES = """
query($key: String!, $archived: Boolean, $after: String, $first: Int) {
  issues(filter: {team: {key: {eq: $key}}}, includeArchived: $archived, first: $first,
         after: $after) {
    nodes { id identifier title archivedAt trashed updatedAt }
    pageInfo { hasNextPage endCursor }
  }
}"""


async def test_teams_have_keys() -> None:
    found = await data(LinearSim(world()), "{ teams { nodes { key name } } }")
    assert sorted(t["key"] for t in found["teams"]["nodes"]) == sorted(TEAM_KEYS)


async def test_issues_are_numbered_per_team_in_creation_order() -> None:
    the_world = world()
    sim = LinearSim(the_world)
    created = sorted(
        (i for i in the_world.all_issues()
         if not i.is_pull_request and the_world.repo(i.repo).team == "payments"),
        key=lambda i: i.id,
    )  # fmt: skip
    found = await data(sim, TEAM_ISSUES, key="PAY", archived=True, first=250)
    nodes = found["issues"]["nodes"]  # ordered by createdAt, Linear's default
    assert [n["identifier"] for n in nodes] == [f"PAY-{n}" for n in range(1, len(created) + 1)]
    assert [n["title"] for n in nodes] == [i.title for i in created]


async def test_archived_issues_only_with_include_archived() -> None:
    sim = LinearSim(world())
    every = (await data(sim, TEAM_ISSUES, key="PAY", archived=True, first=250))["issues"]["nodes"]
    live = (await data(sim, TEAM_ISSUES, key="PAY", first=250))["issues"]["nodes"]
    archived = [n for n in every if n["archivedAt"] is not None]
    assert archived, "issues closed over a year ago are auto-archived"
    assert [n for n in every if n["archivedAt"] is None] == live


async def test_a_deleted_issue_is_trashed_and_bumped() -> None:
    the_world = world()
    sim = LinearSim(the_world)
    before = (await data(sim, TEAM_ISSUES, key="PAY", first=250))["issues"]["nodes"]
    victim = next(i for i in the_world.repo("acme/payments-api").issues.values()
                  if not i.is_pull_request and i.state == "open")  # fmt: skip
    the_world.delete_issue(victim.repo, victim.number)
    live = (await data(sim, TEAM_ISSUES, key="PAY", first=250))["issues"]["nodes"]
    every = (await data(sim, TEAM_ISSUES, key="PAY", archived=True, first=250))["issues"]["nodes"]
    [gone] = [n for n in before if n not in live]
    [trashed] = [n for n in every if n["id"] == gone["id"]]
    stamp = the_world.clock.strftime("%Y-%m-%dT%H:%M:%S.000Z")
    assert (trashed["trashed"], trashed["archivedAt"], trashed["updatedAt"]) == (True, stamp, stamp)


async def test_an_edit_shows_up_after_the_cursor() -> None:
    the_world = world()
    sim = LinearSim(the_world)
    mark = the_world.clock.strftime("%Y-%m-%dT%H:%M:%S.000Z")
    query = """query($since: DateTimeOrDuration) {
      issues(filter: {updatedAt: {gt: $since}}, orderBy: updatedAt) {
        nodes { title updatedAt } } }"""
    assert (await data(sim, query, since=mark))["issues"]["nodes"] == []
    victim = next(i for i in the_world.all_issues() if not i.is_pull_request)
    the_world.edit_issue(victim.repo, victim.number, title="Renamed in the World")
    [node] = (await data(sim, query, since=mark))["issues"]["nodes"]
    assert node == {"title": "Renamed in the World",
                    "updatedAt": the_world.clock.strftime("%Y-%m-%dT%H:%M:%S.000Z")}  # fmt: skip


async def test_cursor_pages_cover_the_list_once() -> None:
    sim = LinearSim(world())
    whole = (await data(sim, TEAM_ISSUES, key="WEB", archived=True, first=250))["issues"]["nodes"]
    walked: list[dict[str, Any]] = []
    after = None
    while True:
        page = await data(sim, TEAM_ISSUES, key="WEB", archived=True, first=7, after=after)
        walked += page["issues"]["nodes"]
        if not page["issues"]["pageInfo"]["hasNextPage"]:
            break
        after = page["issues"]["pageInfo"]["endCursor"]
    assert walked == whole
    assert len(whole) > 7


async def test_filters_combine() -> None:
    sim = LinearSim(world())
    query = """{ issues(first: 100, filter: {or: [{state: {type: {eq: "started"}}},
                                                  {labels: {some: {name: {eq: "bug"}}}}],
                                            team: {key: {in: ["PAY", "WEB"]}}}) {
        nodes { state { type } team { key } labels(first: 10) { nodes { name } } } } }"""
    nodes = (await data(sim, query))["issues"]["nodes"]
    assert nodes
    for node in nodes:
        assert node["team"]["key"] in ("PAY", "WEB")
        labels = {label["name"] for label in node["labels"]["nodes"]}
        assert node["state"]["type"] == "started" or "bug" in labels


async def test_a_project_spans_the_teams_of_its_issues() -> None:
    the_world = world()
    sim = LinearSim(the_world)
    query = """{ projects(first: 40) { nodes { name targetDate status { type }
        teams(first: 10) { nodes { key } }
        issues(first: 100) { nodes { title team { key } } } } } }"""
    projects = (await data(sim, query))["projects"]["nodes"]
    assert len(projects) == len(the_world.roadmap)
    spanning = [p for p in projects if len(p["teams"]["nodes"]) > 1]
    assert spanning, "some roadmap item is delivered by several teams"
    keys = team_keys(the_world)
    for project in spanning:
        owners = {keys[i.team] for i in the_world.roadmap.values() if i.title == project["name"]}
        teams = {t["key"] for t in project["teams"]["nodes"]}
        issue_teams = {i["team"]["key"] for i in project["issues"]["nodes"]}
        assert issue_teams <= teams
        assert teams - issue_teams <= owners


async def test_an_unknown_field_is_a_validation_error() -> None:
    response = await post(LinearSim(world()), "{ issues { nodes { nope } } }")
    assert response.status_code == 400
    [error] = response.json()["errors"]
    assert error["message"] == "Cannot query field 'nope' on type 'Issue'."
    assert error["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"


async def test_an_unknown_issue_is_an_entity_error() -> None:
    response = await post(LinearSim(world()), '{ issue(id: "no-such-issue") { id } }')
    [error] = response.json()["errors"]
    assert (error["message"], error["extensions"]["code"]) == (
        "Entity not found: Issue", "INVALID_INPUT")  # fmt: skip


async def test_without_a_key_the_request_is_refused() -> None:
    response = await post(LinearSim(world()), "{ viewer { id } }", token=None)
    assert response.status_code == 401
    assert response.json()["errors"][0]["extensions"]["code"] == "AUTHENTICATION_ERROR"


async def test_page_size_is_capped() -> None:
    response = await post(LinearSim(world()), "{ issues(first: 251) { nodes { id } } }")
    assert response.json()["errors"][0]["message"] == "Argument first must be between 0 and 250"


async def test_complexity_over_the_limit_is_refused() -> None:
    query = "{ issues(first: 250) { nodes { id children(first: 100) { nodes { id } } } } }"
    response = await post(LinearSim(world()), query)
    assert response.status_code == 400
    [error] = response.json()["errors"]
    assert error["extensions"]["code"] == "QUERY_TOO_COMPLEX"
    # the connection, and per issue its node, id and child connection of 100 nodes with ids:
    # 1 + 250 * (1 + 0.1 + (1 + 100 * (1 + 0.1))) = 28,026
    assert "complexity is 28026 " in error["message"]


@pytest.mark.parametrize(
    ("query", "root", "size", "filter_"),
    [
        (queries.ISSUES, "issues", queries.ISSUES_PAGE_SIZE, {"team": {"key": {"eq": "PAY"}}}),
        (queries.ISSUES, "issues", queries.CHANGES_PAGE_SIZE, {"team": {"key": {"eq": "PAY"}}}),
        (queries.PROJECTS, "projects", queries.PROJECTS_PAGE_SIZE, {}),
        (queries.INITIATIVES, "initiatives", queries.INITIATIVES_PAGE_SIZE, {}),
    ],
)
async def test_the_connector_queries_fit_the_limit(
    query: str, root: str, size: int, filter_: dict[str, Any]
) -> None:
    sim = LinearSim(World.generate(seed=3, size="medium"))
    response = await post(sim, query, filter=filter_, first=size, archived=True)
    assert response.status_code == 200, response.text
    assert response.json()["data"][root]["nodes"]
    cost = int(response.headers["x-complexity"])
    assert cost <= sim.options.max_complexity
    assert cost == pytest.approx(queries.expected_cost(root, size), rel=0.02)


async def test_rate_limit_headers_count_down_and_refill() -> None:
    clock = FakeClock()
    sim = LinearSim(world(), LinearSimOptions(clock=clock))
    first = await post(sim, "{ viewer { id name } }")
    second = await post(sim, "{ viewer { id name } }")
    assert first.headers["x-ratelimit-requests-limit"] == "5000"
    assert first.headers["x-ratelimit-requests-remaining"] == "4999"
    assert second.headers["x-ratelimit-requests-remaining"] == "4998"
    assert first.headers["x-complexity"] == "2"  # 1 + 0.2, rounded up
    assert int(second.headers["x-ratelimit-complexity-remaining"]) == 3_000_000 - 3  # 2 x 1.2
    clock.now += 3600 / 5000 * 2  # two requests' worth of refill
    third = await post(sim, "{ viewer { id } }")
    assert third.headers["x-ratelimit-requests-remaining"] == "4999"


@pytest.mark.parametrize("status", [400, 429])
async def test_a_spent_budget_is_ratelimited(status: int) -> None:
    options = LinearSimOptions(clock=FakeClock(), forced_complexity_remaining=5,
                               exhausted_status=status)  # fmt: skip
    sim = LinearSim(world(), options)
    assert (await post(sim, "{ viewer { id } }")).status_code == 200  # 1.1 points
    refused = await post(sim, "{ teams { nodes { id key name } } }")  # 1 + 50 * 1.3 points
    assert refused.status_code == status
    assert refused.json()["errors"][0]["extensions"]["code"] == "RATELIMITED"
    assert int(refused.headers["x-ratelimit-complexity-remaining"]) == 3


async def test_sub_issues_are_children_of_their_parent() -> None:
    the_world = world()
    sim = LinearSim(the_world)
    epic = next(i for i in the_world.all_issues() if the_world.sub_issues(i.repo, i.number))
    query = """query($id: String!) { issue(id: $id) { title
        children(first: 100) { nodes { title parent { title } } } } }"""
    [node] = [n for n in sim.workspace.issues.values() if n["title"] == epic.title][:1]
    found = (await data(sim, query, id=node["identifier"]))["issue"]
    expected = sorted(i.title for i in the_world.sub_issues(epic.repo, epic.number))
    assert sorted(c["title"] for c in found["children"]["nodes"]) == expected
    assert {c["parent"]["title"] for c in found["children"]["nodes"]} == {epic.title}


async def test_last_reads_the_end_of_the_list() -> None:
    sim = LinearSim(world())
    whole = (await data(sim, TEAM_ISSUES, key="MOB", first=250))["issues"]["nodes"]
    query = """{ issues(last: 3, filter: {team: {key: {eq: "MOB"}}}) {
        nodes { identifier } pageInfo { hasPreviousPage hasNextPage } } }"""
    found = (await data(sim, query))["issues"]
    assert [n["identifier"] for n in found["nodes"]] == [n["identifier"] for n in whole[-3:]]
    assert found["pageInfo"] == {"hasPreviousPage": True, "hasNextPage": False}


async def test_initiatives_group_the_projects_due_in_a_quarter() -> None:
    the_world = world()
    sim = LinearSim(the_world)
    query = """{ initiatives(first: 50) { nodes { name status targetDate
        projects(first: 50) { nodes { name targetDate } } } } }"""
    nodes = (await data(sim, query))["initiatives"]["nodes"]
    quarters = {f"{i.target_date.year} Q{(i.target_date.month - 1) // 3 + 1}"
                for i in the_world.roadmap.values()}  # fmt: skip
    assert {n["name"] for n in nodes} == {f"{q} goals" for q in quarters}
    grouped = sum(len(n["projects"]["nodes"]) for n in nodes)
    assert grouped == len(the_world.roadmap)
    clock = the_world.clock.date().isoformat()
    for node in nodes:
        assert {p["targetDate"] for p in node["projects"]["nodes"]} == {node["targetDate"]}
        assert (node["status"] == "Completed") == (node["targetDate"] < clock)


async def test_a_team_lists_its_own_issues_and_projects() -> None:
    sim = LinearSim(world())
    query = """{ team(id: "PAY") { key issues(first: 5) { nodes { identifier } }
        projects(first: 50) { nodes { teams(first: 10) { nodes { key } } } } } }"""
    team = (await data(sim, query))["team"]
    top = (await data(sim, TEAM_ISSUES, key="PAY", first=5))["issues"]["nodes"]
    assert team["issues"]["nodes"] == [{"identifier": n["identifier"]} for n in top]
    projects = team["projects"]["nodes"]
    assert projects
    assert all("PAY" in {t["key"] for t in p["teams"]["nodes"]} for p in projects)
