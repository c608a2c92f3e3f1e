"""The simulator's Linear webhook deliveries: signed, fresh, shaped like the real ones,
and parsed by the connector into what the simulated API shows."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import orjson
from pydantic import SecretStr
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from connectors.base.contract import ConnectionConfig
from connectors.linear.connector import LinearConnector
from connectors.linear.sim_render import Workspace, team_keys
from connectors.linear.sim_webhooks import LinearWebhookEmitter, issue_delivery
from connectors.sim.server import build_sim_app
from connectors.sim.world import World
from tests.real_fixtures import load

SECRET = "lin_wh_test"


def config(world: World) -> ConnectionConfig:
    return ConnectionConfig(name="lin", kind="linear", base_url="http://x",
                            scopes=tuple(team_keys(world).values()),
                            webhook_secret=SecretStr(SECRET))  # fmt: skip


def test_a_delivery_has_the_keys_of_the_real_ones() -> None:
    world = World.generate(2, "small")
    workspace = Workspace(world)
    issue = next(i for i in world.all_issues() if not i.is_pull_request)
    [change] = world.edit_issue(issue.repo, issue.number, title="A sharper title")
    headers, body = issue_delivery(workspace, change, secret=SECRET)
    payload = orjson.loads(body)
    real = load("linear", "issue.update.json")
    assert set(real) <= set(payload) | {"webhookId"}
    assert set(real["data"]) - set(payload["data"]) <= {
        "boardOrder", "sortOrder", "previousIdentifiers", "creatorId", "subscriberIds",
        "descriptionData", "startedAt",
    }  # fmt: skip
    assert payload["updatedFrom"] == {"title": change.previous["title"]}
    assert (payload["action"], payload["type"]) == ("update", "Issue")
    LinearConnector.verify_webhook(config(world), headers, body)  # signed, and fresh


async def test_the_emitter_delivers_what_the_api_shows() -> None:
    received: list[tuple[dict[str, str], bytes]] = []

    async def hook(request: Request) -> Response:
        received.append((dict(request.headers), await request.body()))
        return Response(status_code=202)

    receiver = Starlette(routes=[Route("/hook", hook, methods=["POST"])])
    world = World.generate(2, "small")
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=receiver)) as http:
        emitter = LinearWebhookEmitter("http://receiver.test/hook", SECRET, client=http)
        app = build_sim_app(world, linear_webhooks=[emitter])
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                     base_url="http://sim.test") as sim:  # fmt: skip
            advanced = (await sim.post("/_sim/advance?changes=12")).json()
    assert advanced["webhook_failures"] == []
    issues = [c for c in advanced["changes"] if not _is_pull_request(world, c)]
    assert len(received) == len(issues) > 0
    assert len({headers["linear-delivery"] for headers, _ in received}) == len(received)
    workspace = app.state.linear.workspace
    workspace.refresh()
    for headers, body in received:
        LinearConnector.verify_webhook(config(world), headers, body)
        result = LinearConnector.parse_webhook(config(world), headers, orjson.loads(body),
                                               datetime.now(UTC))  # fmt: skip
        assert result.batch is not None, result.ignored_because
        for item in result.batch.items:
            node = workspace.issue(item.external_id)
            assert node is not None
            assert item.key == node["identifier"]
        for gone in result.batch.deletions:
            assert workspace.issue(gone.external_id)["archivedAt"] is not None


def _is_pull_request(world: World, change: dict[str, object]) -> bool:
    repo = world.repo(str(change["repo"]))
    issue = repo.issues.get(int(str(change["number"])))
    return issue is not None and issue.is_pull_request
