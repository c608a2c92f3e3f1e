"""The simulated GitHub API, driven in process, checked against real GitHub payloads."""

from __future__ import annotations

import hashlib
import hmac
import json
import math
import re
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from connectors.github.sim import (
    GitHubSim,
    GitHubSimOptions,
    GitHubWebhookEmitter,
    decode_cursor,
    encode_cursor,
    iso,
    issues_delivery,
    node_id,
)
from connectors.sim.server import build_sim_app, vendor_base_urls
from connectors.sim.world import Change, Issue, World

FIXTURES = Path(__file__).parents[3] / "../shared/fixtures/real/github"
BASE = "http://sim.test/github"
TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
# Keys whose value is null in some real payloads and set in others.
NULLABLE = frozenset(
    {
        "assignee",
        "body",
        "closed_at",
        "closed_by",
        "description",
        "due_on",
        "homepage",
        "merged_at",
        "milestone",
        "state_reason",
        "type",
    }
)
# Fields GitHub added after rest.issues.list.json was recorded (2022). Each is in
# issues.closed.json (a 2026 delivery) except `type`, GitHub's documented issue-type object.
ISSUE_TYPE_KEYS = {
    "id",
    "node_id",
    "name",
    "description",
    "color",
    "created_at",
    "updated_at",
    "is_enabled",
}


# --- helpers ---------------------------------------------------------------------


def real(name: str) -> Any:
    path = FIXTURES / name
    assert path.is_file(), f"real GitHub fixture missing: {path}"
    return json.loads(path.read_text())


def reference_issue() -> dict[str, Any]:
    """A real REST issue with every nested object set: the list item, filled from real
    deliveries where the list's values are null or empty, plus GitHub's newer fields."""
    issue = dict(real("rest.issues.list.json")[0])
    opened = real("issues.opened.json")["issue"]
    modern = real("issues.closed.json")["issue"]
    for key in ("labels", "assignee", "assignees", "milestone", "body"):
        issue[key] = opened[key]
    for key in ("sub_issues_summary", "issue_dependencies_summary"):
        issue[key] = modern[key]
    issue["user"] = modern["user"]  # users gained user_view_type
    issue["assignee"] = issue["milestone"]["creator"] = modern["user"]
    issue["assignees"] = [modern["user"]]
    issue["type"] = None
    return issue


def reference_repository() -> dict[str, Any]:
    repository = dict(real("issues.closed.json")["repository"])
    repository["custom_properties"] = real("issues.opened.json")["repository"]["custom_properties"]
    return repository


def assert_same_shape(ours: Any, theirs: Any, path: str = "$") -> None:
    """Same keys at every level and the same JSON types (null only where GitHub has it)."""
    if ours is None or theirs is None:
        assert ours is theirs or path.rsplit(".", 1)[-1] in NULLABLE, f"{path}: {ours!r}"
        return
    assert type(ours) is type(theirs), f"{path}: {type(ours).__name__} != {type(theirs).__name__}"
    if isinstance(theirs, dict):
        assert set(ours) == set(theirs), (
            f"{path}: extra {set(ours) - set(theirs)}, missing {set(theirs) - set(ours)}"
        )
        for key, value in theirs.items():
            assert_same_shape(ours[key], value, f"{path}.{key}")
    elif isinstance(theirs, list) and theirs:
        for i, item in enumerate(ours):
            assert_same_shape(item, theirs[0], f"{path}[{i}]")


def assert_issue_shape(ours: dict[str, Any]) -> None:
    """An issue without pull_request/parent parts has the reference issue's shape."""
    kind = ours.get("type")
    assert kind is None or set(kind) == ISSUE_TYPE_KEYS
    assert_same_shape({**ours, "type": None}, reference_issue())


def sim_client(world: World, **options: Any) -> tuple[httpx.AsyncClient, GitHubSim]:
    app = build_sim_app(world, github=GitHubSimOptions(**options))
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE)
    return client, app.state.github


class FakeClock:
    def __init__(self, now: float = 1_767_600_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def one_repo(issues: int = 250, pull_requests: int = 70) -> World:
    return World.single_repo("octo", "hello", issues=issues, pull_requests=pull_requests, seed=3)


def plain_issue(world: World, **conditions: Any) -> Issue:
    """A live issue (not a PR, not a sub-issue) with labels, assignees and a milestone."""
    return next(
        i
        for i in world.all_issues()
        if not i.is_pull_request
        and i.parent is None
        and i.labels
        and i.assignees
        and i.milestone
        and all(getattr(i, k) == v for k, v in conditions.items())
    )


def link_urls(response: httpx.Response) -> dict[str, str]:
    header = response.headers.get("link", "")
    return {rel: url for url, rel in re.findall(r'<([^>]+)>; rel="(\w+)"', header)}


async def walk(client: httpx.AsyncClient, url: str) -> list[httpx.Response]:
    pages = [await client.get(url)]
    while "next" in link_urls(pages[-1]):
        pages.append(await client.get(link_urls(pages[-1])["next"]))
    return pages


# --- payload shapes --------------------------------------------------------------


async def test_listed_issue_has_the_keys_and_types_of_the_real_payloads() -> None:
    world = World.generate(1, "small")
    issue = plain_issue(world, state="open")
    client, _ = sim_client(world)
    async with client:
        response = await client.get(f"/repos/{issue.repo}/issues", params={"per_page": 100})
        page = response.json()
        while not any(i["number"] == issue.number for i in page):
            response = await client.get(link_urls(response)["next"])
            page = response.json()
    ours = next(i for i in page if i["number"] == issue.number)
    assert_issue_shape(ours)


async def test_issue_type_object_is_set_on_typed_issues() -> None:
    world = World.generate(1, "small")
    issue = next(i for i in world.all_issues() if i.issue_type == "Bug")
    client, _ = sim_client(world)
    async with client:
        ours = (await client.get(f"/repos/{issue.repo}/issues/{issue.number}")).json()
    assert set(ours["type"]) == ISSUE_TYPE_KEYS
    assert ours["type"]["name"] == "Bug"
    assert ours["type"]["node_id"].startswith("IT_")


async def test_pull_request_carries_the_real_pull_request_object() -> None:
    world = one_repo()
    pr = next(i for i in world.all_issues() if i.is_pull_request and i.merged_at)
    client, _ = sim_client(world)
    async with client:
        ours = (await client.get(f"/repos/octo/hello/issues/{pr.number}")).json()
    theirs = real("issues.milestoned.json")["issue"]
    # merged_at joined pull_request after this 2019 delivery was recorded.
    assert set(ours["pull_request"]) == set(theirs["pull_request"]) | {"merged_at"}
    assert TIMESTAMP.match(ours["pull_request"]["merged_at"])
    assert type(ours["draft"]) is type(theirs["draft"])
    assert ours["html_url"] == f"https://github.com/octo/hello/pull/{pr.number}"
    assert ours["node_id"].startswith("PR_")


async def test_sub_issue_points_at_its_parent_and_the_parent_counts_it() -> None:
    world = World.generate(2, "medium")
    sub = next(i for i in world.all_issues() if i.parent is not None)
    client, _ = sim_client(world)
    async with client:
        child = (await client.get(f"/repos/{sub.repo}/issues/{sub.number}")).json()
        parent = (await client.get(child["parent_issue_url"])).json()
    assert child["parent_issue_url"] == f"{BASE}/repos/{sub.repo}/issues/{sub.parent}"
    siblings = world.sub_issues(sub.repo, parent["number"])
    assert parent["sub_issues_summary"]["total"] == len(siblings)
    assert parent["sub_issues_summary"]["completed"] == sum(s.state == "closed" for s in siblings)
    assert "epic" in [label["name"] for label in parent["labels"]]


async def test_single_issue_adds_closed_by_like_the_real_single_get() -> None:
    world = World.generate(1, "small")
    issue = plain_issue(world, state="closed")
    client, _ = sim_client(world)
    async with client:
        ours = (await client.get(f"/repos/{issue.repo}/issues/{issue.number}")).json()
    assert "closed_by" in real("rest.issue.create_response.json")
    assert set(ours) - set(reference_issue()) == {"closed_by"}
    assert ours["closed_by"]["login"] == issue.closed_by
    assert ours["state_reason"] in ("completed", "not_planned")


async def test_repository_has_the_real_repository_shape() -> None:
    world = one_repo()
    client, _ = sim_client(world)
    async with client:
        ours = (await client.get("/repos/octo/hello")).json()
        by_id = (await client.get(f"/repositories/{ours['id']}")).json()
    extra = {"organization", "network_count", "subscribers_count"}  # GET adds these
    assert_same_shape({k: v for k, v in ours.items() if k not in extra}, reference_repository())
    assert set(ours["organization"]) == set(ours["owner"])
    assert (ours["full_name"], ours["owner"]["type"]) == ("octo/hello", "Organization")
    assert by_id == ours


async def test_api_urls_use_the_request_base_and_timestamps_github_format() -> None:
    world = World.generate(1, "small")
    issue = plain_issue(world)
    client, _ = sim_client(world)
    async with client:
        ours = (await client.get(f"/repos/{issue.repo}/issues/{issue.number}")).json()
    assert ours["url"] == f"{BASE}/repos/{issue.repo}/issues/{issue.number}"
    assert ours["repository_url"] == f"{BASE}/repos/{issue.repo}"
    assert ours["user"]["url"].startswith(f"{BASE}/users/")
    assert ours["labels"][0]["url"].startswith(f"{BASE}/repos/{issue.repo}/labels/")
    assert ours["milestone"]["url"].startswith(f"{BASE}/repos/{issue.repo}/milestones/")
    assert ours["html_url"] == f"https://github.com/{issue.repo}/issues/{issue.number}"
    stamps = [ours["created_at"], ours["updated_at"], ours["milestone"]["created_at"]]
    assert all(TIMESTAMP.match(s) for s in stamps)


def test_node_ids_are_minted_like_github_mints_them() -> None:
    delivery = real("issues.closed.json")
    issue, repository = delivery["issue"], delivery["repository"]
    assert node_id("I", repository["id"], issue["id"]) == issue["node_id"]
    assert node_id("R", repository["id"]) == repository["node_id"]
    assert node_id("U", issue["user"]["id"]) == issue["user"]["node_id"]


# --- listing ---------------------------------------------------------------------


async def test_page_links_walk_every_issue_and_pull_request() -> None:
    world = one_repo(issues=250, pull_requests=70)
    client, _ = sim_client(world)
    repo_id = world.repo("octo/hello").id
    base = f"{BASE}/repositories/{repo_id}/issues?state=all&per_page=100"
    async with client:
        pages = await walk(client, "/repos/octo/hello/issues?state=all&per_page=100")
    assert len(pages) == math.ceil((250 + 70) / 100) == 4
    assert [p.headers["link"] for p in pages] == [
        f'<{base}&page=2>; rel="next", <{base}&page=4>; rel="last"',
        f'<{base}&page=1>; rel="prev", <{base}&page=3>; rel="next", '
        f'<{base}&page=4>; rel="last", <{base}&page=1>; rel="first"',
        f'<{base}&page=2>; rel="prev", <{base}&page=4>; rel="next", '
        f'<{base}&page=4>; rel="last", <{base}&page=1>; rel="first"',
        f'<{base}&page=3>; rel="prev", <{base}&page=1>; rel="first"',
    ]
    items = [item for page in pages for item in page.json()]
    assert sorted(i["number"] for i in items) == list(range(1, 321))
    assert sum("pull_request" in i for i in items) == 70


async def test_cursor_links_walk_every_item_without_last() -> None:
    world = one_repo(issues=250, pull_requests=70)
    client, _ = sim_client(world, link_style="cursor")
    repo_id = world.repo("octo/hello").id
    base = re.escape(f"{BASE}/repositories/{repo_id}/issues?state=all&per_page=100")
    next_only = re.compile(rf'^<{base}&after=[\w%-]+>; rel="next"$')
    both = re.compile(rf'^<{base}&before=[\w%-]+>; rel="prev", <{base}&after=[\w%-]+>; rel="next"$')
    prev_only = re.compile(rf'^<{base}&before=[\w%-]+>; rel="prev"$')
    async with client:
        pages = await walk(client, "/repos/octo/hello/issues?state=all&per_page=100")
    links = [p.headers["link"] for p in pages]
    assert len(pages) == 4
    assert next_only.match(links[0])
    assert prev_only.match(links[3])
    assert all(both.match(link) for link in links[1:3])
    assert sorted(i["number"] for p in pages for i in p.json()) == list(range(1, 321))


async def test_cursor_prev_link_returns_the_previous_page() -> None:
    world = one_repo()
    client, _ = sim_client(world, link_style="cursor")
    async with client:
        first = await client.get("/repos/octo/hello/issues?state=all&per_page=50")
        second = await client.get(link_urls(first)["next"])
        back = await client.get(link_urls(second)["prev"])
    assert back.json() == first.json()
    assert [i["number"] for i in second.json()] == list(range(270, 220, -1))


async def test_request_with_after_gets_cursor_links_in_page_style() -> None:
    world = one_repo()
    client, _ = sim_client(world)
    after = encode_cursor((0, 0))  # before every key: asc order starts at the beginning
    async with client:
        response = await client.get(
            "/repos/octo/hello/issues",
            params={"state": "all", "direction": "asc", "per_page": 10, "after": after},
        )
    assert [i["number"] for i in response.json()] == list(range(1, 11))
    assert set(link_urls(response)) == {"next"}
    assert "after=" in link_urls(response)["next"]


async def test_page_offset_limit_refuses_deep_pages_and_links_with_cursors() -> None:
    client, _ = sim_client(one_repo(), page_offset_limit=200)
    async with client:
        deep = await client.get("/repos/octo/hello/issues?state=all&per_page=100&page=3")
        pages = await walk(client, "/repos/octo/hello/issues?state=all&per_page=100")
        small = await client.get("/repos/octo/hello/issues?state=open&per_page=100&page=2")
    assert deep.status_code == 422
    assert deep.json()["message"].startswith("Pagination with the page parameter is not supported")
    assert all("after=" in link_urls(p)["next"] for p in pages[:-1])
    assert sorted(i["number"] for p in pages for i in p.json()) == list(range(1, 321))
    assert small.status_code == 200


async def test_bad_cursor_is_rejected_with_422() -> None:
    client, _ = sim_client(one_repo())
    async with client:
        response = await client.get("/repos/octo/hello/issues", params={"after": "nonsense!"})
    assert response.status_code == 422
    assert decode_cursor(encode_cursor((1_767_600_000, 7))) == (1_767_600_000, 7)


async def test_no_link_header_when_everything_fits_one_page() -> None:
    client, _ = sim_client(one_repo(issues=20, pull_requests=5))
    async with client:
        response = await client.get("/repos/octo/hello/issues?state=all&per_page=100")
    assert len(response.json()) == 25
    assert "link" not in response.headers


async def test_per_page_defaults_to_30_and_is_capped_at_100() -> None:
    client, _ = sim_client(one_repo())
    async with client:
        default = await client.get("/repos/octo/hello/issues?state=all")
        capped = await client.get("/repos/octo/hello/issues?state=all&per_page=500")
    assert len(default.json()) == 30
    assert len(capped.json()) == 100
    assert link_urls(capped)["last"].endswith("per_page=500&page=4")


async def test_state_filter_defaults_to_open() -> None:
    world = one_repo()
    issues = list(world.all_issues())
    client, _ = sim_client(world)
    counts = {}
    async with client:
        for state in ("", "open", "closed", "all"):
            pages = await walk(client, f"/repos/octo/hello/issues?state={state}&per_page=100")
            found = [i for p in pages for i in p.json()]
            assert len({i["state"] for i in found}) == (2 if state == "all" else 1)
            counts[state] = len(found)
    assert counts[""] == counts["open"] == sum(i.state == "open" for i in issues)
    assert counts["closed"] == sum(i.state == "closed" for i in issues)
    assert counts["all"] == len(issues)


@pytest.mark.parametrize(
    ("params", "key", "descending"),
    [
        ({}, lambda i: i["created_at"], True),
        ({"direction": "asc"}, lambda i: i["created_at"], False),
        ({"sort": "updated", "direction": "asc"}, lambda i: i["updated_at"], False),
        ({"sort": "updated"}, lambda i: i["updated_at"], True),
        ({"sort": "comments"}, lambda i: i["comments"], True),
    ],
)
async def test_sort_and_direction_order_the_whole_listing(
    params: dict[str, str], key: Callable[[dict[str, Any]], Any], descending: bool
) -> None:
    client, _ = sim_client(one_repo())
    async with client:
        query = {"state": "all", "per_page": "100", **params}
        pages = await walk(client, f"/repos/octo/hello/issues?{httpx.QueryParams(query)}")
    values = [key(i) for p in pages for i in p.json()]
    assert len(values) == 320
    assert values == sorted(values, reverse=descending)


async def test_since_returns_items_updated_at_or_after_it() -> None:
    world = one_repo()
    client, _ = sim_client(world)
    stamps = []
    for number in (5, 9, 13):
        (change,) = world.edit_issue("octo/hello", number, title=f"Edited {number}")
        stamps.append(change.at)
    async with client:
        updated = await client.get(
            "/repos/octo/hello/issues",
            params={"state": "all", "sort": "updated", "direction": "asc", "since": iso(stamps[1])},
        )
        created = await client.get(
            "/repos/octo/hello/issues", params={"state": "all", "since": iso(stamps[1])}
        )
        bad = await client.get("/repos/octo/hello/issues", params={"since": "yesterday"})
    assert [i["number"] for i in updated.json()] == [9, 13]
    assert sorted(i["number"] for i in created.json()) == [9, 13]
    assert bad.status_code == 422


# --- conditional requests and rate limits ----------------------------------------


async def test_etag_answers_304_without_body_or_budget_cost() -> None:
    world = one_repo()
    client, sim = sim_client(world)
    async with client:
        first = await client.get("/repos/octo/hello/issues")
        etag = first.headers["etag"]
        again = await client.get("/repos/octo/hello/issues", headers={"If-None-Match": etag})
        world.edit_issue("octo/hello", 320, title="Changed")
        changed = await client.get("/repos/octo/hello/issues", headers={"If-None-Match": etag})
    assert re.fullmatch(r'"[0-9a-f]{64}"', etag)
    assert (again.status_code, again.content) == (304, b"")
    assert again.headers["x-ratelimit-remaining"] == first.headers["x-ratelimit-remaining"]
    assert again.headers["x-ratelimit-used"] == "1"
    assert changed.status_code == 200
    assert changed.headers["etag"] != etag
    assert sim.stats.not_modified("list_issues") == 1


@pytest.mark.parametrize("status", [403, 429])
async def test_exhausted_budget_answers_the_configured_status(status: int) -> None:
    clock = FakeClock()
    client, _ = sim_client(one_repo(), forced_remaining=2, exhausted_status=status, clock=clock)
    headers = {"Authorization": "Bearer t0ken"}
    async with client:
        ok = [await client.get("/repos/octo/hello/issues", headers=headers) for _ in range(2)]
        spent = await client.get("/repos/octo/hello/issues", headers=headers)
    assert [r.status_code for r in ok] == [200, 200]
    assert ok[1].headers["x-ratelimit-remaining"] == "0"
    assert spent.status_code == status
    assert spent.json()["message"].startswith("API rate limit exceeded for user ID")
    assert spent.json()["documentation_url"].startswith("https://docs.github.com/")
    assert spent.headers["x-ratelimit-remaining"] == "0"
    assert spent.headers["x-ratelimit-limit"] == "5000"
    assert spent.headers["x-ratelimit-reset"] == str(int(clock.now) + 3600)
    assert spent.headers["x-ratelimit-resource"] == "core"


async def test_budget_refills_when_the_injected_clock_passes_reset() -> None:
    clock = FakeClock()
    client, _ = sim_client(one_repo(), forced_remaining=0, clock=clock)
    async with client:
        spent = await client.get("/repos/octo/hello")
        clock.now = float(spent.headers["x-ratelimit-reset"])
        refilled = await client.get("/repos/octo/hello")
    assert spent.status_code == 403
    assert refilled.status_code == 200
    assert refilled.headers["x-ratelimit-remaining"] == "59"
    assert refilled.headers["x-ratelimit-reset"] == str(int(clock.now) + 3600)


async def test_each_token_has_its_own_budget_and_anonymous_requests_share_one() -> None:
    client, _ = sim_client(one_repo())
    async with client:
        anonymous = [await client.get("/repos/octo/hello") for _ in range(3)]
        token_a = await client.get("/repos/octo/hello", headers={"Authorization": "token a"})
        token_b = await client.get("/repos/octo/hello", headers={"Authorization": "Bearer b"})
    assert [r.headers["x-ratelimit-remaining"] for r in anonymous] == ["59", "58", "57"]
    assert token_a.headers["x-ratelimit-limit"] == "5000"
    assert token_a.headers["x-ratelimit-remaining"] == "4999"
    assert token_b.headers["x-ratelimit-remaining"] == "4999"


async def test_secondary_limit_answers_403_with_retry_after_until_it_passes() -> None:
    clock = FakeClock()
    client, _ = sim_client(
        one_repo(), secondary_limit_after=2, secondary_retry_after=30, clock=clock
    )
    async with client:
        ok = [await client.get("/repos/octo/hello") for _ in range(2)]
        limited = await client.get("/repos/octo/hello")
        clock.now += 10
        still = await client.get("/repos/octo/hello")
        clock.now += 21
        after = await client.get("/repos/octo/hello")
    assert [r.status_code for r in ok] == [200, 200]
    assert limited.status_code == 403
    assert "You have exceeded a secondary rate limit" in limited.json()["message"]
    assert (limited.headers["retry-after"], still.headers["retry-after"]) == ("30", "20")
    assert int(limited.headers["x-ratelimit-remaining"]) > 0
    assert after.status_code == 200


async def test_bad_credentials_answer_401() -> None:
    client, _ = sim_client(one_repo(), tokens=frozenset({"good", "old"}), revoked={"old"})
    async with client:
        good = await client.get("/repos/octo/hello", headers={"Authorization": "Bearer good"})
        revoked = await client.get("/repos/octo/hello", headers={"Authorization": "Bearer old"})
        unknown = await client.get("/repos/octo/hello", headers={"Authorization": "token x"})
    assert good.status_code == 200
    for response in (revoked, unknown):
        assert response.status_code == 401
        assert response.json()["message"] == "Bad credentials"
        assert response.json()["documentation_url"].startswith("https://docs.github.com/")


async def test_every_response_carries_rate_limit_headers() -> None:
    world = one_repo()
    world.delete_issue(
        "octo/hello", next(i.number for i in world.all_issues() if not i.is_pull_request)
    )
    client, _ = sim_client(world, revoked={"old"})
    async with client:
        responses = [
            await client.get("/repos/octo/hello/issues"),
            await client.get("/repos/octo/nope/issues"),
            await client.get("/repos/octo/hello/issues/9999"),
            await client.get("/nothing/here"),
            await client.get("/repos/octo/hello", headers={"Authorization": "Bearer old"}),
        ]
    assert [r.status_code for r in responses] == [200, 404, 404, 404, 401]
    for response in responses:
        assert {
            "x-ratelimit-limit",
            "x-ratelimit-remaining",
            "x-ratelimit-used",
            "x-ratelimit-reset",
            "x-ratelimit-resource",
        } <= set(response.headers)


# --- gone issues -----------------------------------------------------------------


async def test_deleted_issue_answers_410_and_leaves_the_list() -> None:
    world = one_repo(issues=20, pull_requests=0)
    world.delete_issue("octo/hello", 7)
    client, _ = sim_client(world)
    async with client:
        gone = await client.get("/repos/octo/hello/issues/7")
        listed = await client.get("/repos/octo/hello/issues?state=all")
        missing = await client.get("/repos/octo/hello/issues/99")
    assert gone.status_code == 410
    assert gone.json()["message"] == "This issue was deleted"
    assert 7 not in [i["number"] for i in listed.json()]
    assert len(listed.json()) == 19
    assert (missing.status_code, missing.json()["message"]) == (404, "Not Found")


async def test_transferred_issue_answers_301_to_the_new_issue() -> None:
    world = World.generate(1, "small")
    issue = plain_issue(world)
    target = world.repo(next(name for name in world.repos if name != issue.repo))
    new_number = target.next_number
    world.transfer_issue(issue.repo, issue.number, target.full_name)
    client, _ = sim_client(world)
    async with client:
        moved = await client.get(f"/repos/{issue.repo}/issues/{issue.number}")
        followed = await client.get(moved.headers["location"])
    assert moved.status_code == 301
    assert moved.headers["location"] == f"{BASE}/repositories/{target.id}/issues/{new_number}"
    assert followed.status_code == 200
    assert (followed.json()["number"], followed.json()["title"]) == (new_number, issue.title)


# --- faults ----------------------------------------------------------------------


async def statuses(world: World, n: int, **options: Any) -> list[int]:
    client, _ = sim_client(world, **options)
    async with client:
        auth = {"Authorization": "Bearer t"}
        return [(await client.get("/repos/octo/hello", headers=auth)).status_code for _ in range(n)]


async def test_error_rate_injects_502s_repeatably() -> None:
    world = one_repo(issues=5, pull_requests=0)
    first = await statuses(world, 300, error_rate=0.2, seed=11)
    again = await statuses(world, 300, error_rate=0.2, seed=11)
    assert first == again
    assert set(first) == {200, 502}
    assert 0.13 < first.count(502) / 300 < 0.27


async def test_truncate_rate_cuts_json_bodies_short() -> None:
    world = one_repo(issues=5, pull_requests=0)
    client, _ = sim_client(world, truncate_rate=0.5, seed=4)
    broken = 0
    async with client:
        for _ in range(100):
            response = await client.get(
                "/repos/octo/hello/issues", headers={"Authorization": "Bearer t"}
            )
            assert response.status_code == 200
            try:
                orjson.loads(response.content)
            except orjson.JSONDecodeError:
                broken += 1
    assert 35 <= broken <= 65


async def test_latency_delays_each_response() -> None:
    client, _ = sim_client(one_repo(issues=5, pull_requests=0), latency=0.05)
    async with client:
        started = time.perf_counter()
        await client.get("/repos/octo/hello")
        elapsed = time.perf_counter() - started
    assert elapsed >= 0.05


# --- graphql, stats, control -----------------------------------------------------


async def test_graphql_answers_the_taps_repository_id_lookup() -> None:
    world = one_repo()
    query = (
        'query {repo0: repository(name: "HELLO", owner: "octo") { nameWithOwner databaseId } '
        'repo1: repository(name: "nope", owner: "octo") { nameWithOwner databaseId } '
        "rateLimit { cost } }"
    )
    client, _ = sim_client(world)
    async with client:
        response = await client.post("/graphql", json={"query": query})
    body = response.json()
    assert response.status_code == 200
    assert response.headers["x-ratelimit-resource"] == "graphql"
    assert body["data"] == {
        "repo0": {"nameWithOwner": "octo/hello", "databaseId": world.repo("octo/hello").id},
        "repo1": None,
        "rateLimit": {"cost": 1},
    }
    assert body["errors"][0]["type"] == "NOT_FOUND"
    assert body["errors"][0]["path"] == ["repo1"]


async def test_stats_count_requests_and_304s_per_endpoint() -> None:
    client, sim = sim_client(one_repo())
    async with client:
        first = await client.get("/repos/octo/hello/issues")
        await client.get(
            "/repos/octo/hello/issues", headers={"If-None-Match": first.headers["etag"]}
        )
        await client.get("/repos/octo/hello/issues?page=2")
        await client.get("/repos/octo/hello/issues/1")
        stats = (await client.get("http://sim.test/_sim/stats")).json()
    assert sim.stats.count("list_issues") == 3
    assert stats["github"] == {
        "requests": {"get_issue": 1, "list_issues": 3},
        "responses": {"get_issue": {"200": 1}, "list_issues": {"200": 2, "304": 1}},
    }


async def test_control_advance_churns_the_world_the_api_serves() -> None:
    world = World.generate(1, "small")
    before = world.clock
    client, _ = sim_client(world)
    async with client:
        response = await client.post("http://sim.test/_sim/advance?changes=12")
        rejected = await client.post("http://sim.test/_sim/advance?changes=0")
        body = response.json()
        change = next(c for c in body["changes"] if c["kind"] not in ("deleted", "transferred"))
        listed = await client.get(
            f"/repos/{change['repo']}/issues",
            params={"state": "all", "sort": "updated", "since": iso(before), "per_page": 100},
        )
    assert response.status_code == 200
    assert rejected.status_code == 422
    assert len(body["changes"]) >= 12
    assert body["clock"] == iso(world.clock)
    assert change["number"] in [i["number"] for i in listed.json()]
    assert all(i["updated_at"] >= iso(before) for i in listed.json())


def test_vendor_base_urls_name_each_mounted_api() -> None:
    assert vendor_base_urls("http://127.0.0.1:8900/") == {
        "github": "http://127.0.0.1:8900/github",
        "jira": "http://127.0.0.1:8900/jira",
        "linear": "http://127.0.0.1:8900/linear",
    }


# --- webhooks --------------------------------------------------------------------

SECRET = "s3cret"


def delivery(world: World, change: Change) -> tuple[dict[str, str], dict[str, Any]]:
    built = issues_delivery(world, change, secret=SECRET)
    assert built is not None
    headers, body = built
    expected = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(headers["X-Hub-Signature-256"], expected)
    return headers, json.loads(body)


def test_webhook_delivery_is_signed_and_shaped_like_the_real_one() -> None:
    world = World.generate(1, "small")
    change = world.create_issue("acme/payments-api", title="New", body="Hello", labels=["bug"])
    headers, payload = delivery(world, change)
    assert headers["X-GitHub-Event"] == "issues"
    assert uuid.UUID(headers["X-GitHub-Delivery"])
    assert headers["User-Agent"].startswith("GitHub-Hookshot/")
    assert headers["Content-Type"] == "application/json"
    assert headers["X-GitHub-Hook-ID"].isdigit()
    theirs = real("issues.opened.json")
    assert list(payload) == list(theirs)
    assert payload["action"] == "opened"
    assert_same_shape(payload["repository"], reference_repository())
    assert_same_shape(payload["sender"], real("issues.closed.json")["sender"])
    issue = {**payload["issue"], "assignee": None, "milestone": None}
    reference = {**reference_issue(), "assignee": None, "milestone": None, "assignees": []}
    assert_same_shape({**issue, "assignees": []}, reference)


@pytest.mark.parametrize(
    ("fixture", "edit"),
    [
        ("issues.edited.json", {"title": "Renamed"}),
        ("issues.closed.json", {"state": "closed"}),
        ("issues.labeled.json", {"labels": ["bug", "question"]}),
        ("issues.unlabeled.json", {"labels": []}),
        ("issues.assigned.json", {"assignees": ["someone-new"]}),
        ("issues.milestoned.json", {"milestone": 2}),
    ],
)
def test_webhook_actions_carry_the_real_extras(fixture: str, edit: dict[str, Any]) -> None:
    world = World.generate(1, "small")
    issue = plain_issue(world, state="open")
    old_title = issue.title
    if fixture == "issues.unlabeled.json":
        world.edit_issue(issue.repo, issue.number, labels=["bug"])
    if fixture == "issues.milestoned.json":
        world.edit_issue(issue.repo, issue.number, milestone=None)
    changes = world.edit_issue(issue.repo, issue.number, **edit)
    _, payload = delivery(world, changes[0])
    theirs = real(fixture)
    assert payload["action"] == theirs["action"]
    assert list(payload) == list(theirs)
    modern_user = real("issues.closed.json")["sender"]  # users gained user_view_type
    if "label" in theirs:
        assert_same_shape(payload["label"], theirs["label"])
    if "milestone" in theirs:
        assert_same_shape(payload["milestone"], {**theirs["milestone"], "creator": modern_user})
    if "assignee" in theirs:
        assert set(payload["assignee"]) == set(theirs["assignee"]) | {"user_view_type"}
    if fixture == "issues.edited.json":
        assert payload["changes"] == {"title": {"from": old_title}}


def test_deleted_and_transferred_deliveries_have_the_real_shape() -> None:
    world = World.generate(1, "small")
    first, second = [i for i in world.all_issues() if not i.is_pull_request][:2]
    target = next(name for name in world.repos if name != second.repo)
    _, deleted = delivery(world, world.delete_issue(first.repo, first.number))
    moved, opened = world.transfer_issue(second.repo, second.number, target)
    _, transferred = delivery(world, moved)
    _, reopened_there = delivery(world, opened)
    # issues.deleted.json went to a GitHub App; a repository hook has no `installation`.
    assert list(deleted) == [k for k in real("issues.deleted.json") if k != "installation"]
    theirs = real("issues.transferred.json")
    assert list(transferred) == list(theirs)
    assert set(transferred["changes"]) == set(theirs["changes"])
    assert_same_shape(transferred["changes"]["new_repository"], reference_repository())
    assert transferred["changes"]["new_issue"]["repository_url"].endswith(f"/repos/{target}")
    assert reopened_there["action"] == "opened"
    assert set(reopened_there["changes"]) == {"old_issue", "old_repository"}


def test_changes_github_reports_elsewhere_make_no_issues_delivery() -> None:
    world = World.generate(1, "small")
    issue = plain_issue(world)
    (commented,) = world.edit_issue(issue.repo, issue.number, comments=issue.comments + 1)
    assert issues_delivery(world, commented, secret=SECRET) is None


async def test_emitter_posts_signed_deliveries_to_its_target() -> None:
    received: list[tuple[dict[str, str], bytes]] = []

    async def hook(request: Request) -> Response:
        received.append((dict(request.headers), await request.body()))
        return Response(status_code=202)

    receiver = Starlette(routes=[Route("/hook", hook, methods=["POST"])])
    world = World.generate(1, "small")
    transport = httpx.ASGITransport(app=receiver)
    async with httpx.AsyncClient(transport=transport) as http:
        emitter = GitHubWebhookEmitter("http://receiver.test/hook", SECRET, client=http)
        app = build_sim_app(world, github_webhooks=[emitter])
        sim = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://sim.test")
        async with sim:
            advanced = (await sim.post("/_sim/advance?changes=8")).json()
    assert advanced["webhook_failures"] == []
    assert len(received) == sum(c["kind"] != "commented" for c in advanced["changes"])
    for headers, body in received:
        signature = hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
        assert headers["x-hub-signature-256"] == f"sha256={signature}"
        assert json.loads(body)["issue"]["number"] > 0
    assert len({h["x-github-delivery"] for h, _ in received}) == len(received)
