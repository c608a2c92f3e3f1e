"""Every vendor simulator on one ASGI app, over one World, plus control endpoints.

    app = build_sim_app(World.generate(seed=1, size="medium"))
    # /github/...            the simulated GitHub REST API (api.github.com)
    # POST /linear/graphql   the simulated Linear GraphQL API (api.linear.app)
    # POST /_sim/advance?changes=K   churn K changes; returns them as JSON
    # GET  /_sim/stats       request counts per vendor and endpoint, and the world clock

Serving it on a port is the CLI's job (uvicorn); tests drive it in process
with httpx.ASGITransport. Later vendors mount beside GitHub under the prefixes
in `PREFIXES`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Protocol

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Mount, Route

from connectors.github.sim import GitHubSim, GitHubSimOptions, GitHubWebhookEmitter, iso
from connectors.jira.hooks import JiraWebhookEmitter
from connectors.jira.sim import JiraSim, JiraSimOptions
from connectors.linear.sim import LinearSim, LinearSimOptions
from connectors.linear.sim_webhooks import LinearWebhookEmitter
from connectors.sim.world import Change, World

PREFIXES: dict[str, str] = {"github": "/github", "jira": "/jira", "linear": "/linear"}
"""Where each vendor's API lives under the simulator's root (later: gitlab /gitlab/api/v4, ...)."""

MAX_ADVANCE = 10_000


def vendor_base_urls(root_url: str) -> dict[str, str]:
    """Each vendor's API base URL under a running simulator, e.g. {"github": ".../github"}."""
    root = root_url.rstrip("/")
    return {vendor: f"{root}{prefix}" for vendor, prefix in PREFIXES.items()}


def build_sim_app(
    world: World,
    *,
    github: GitHubSimOptions | None = None,
    github_webhooks: Sequence[GitHubWebhookEmitter] = (),
    jira: JiraSimOptions | None = None,
    jira_webhooks: Sequence[JiraWebhookEmitter] = (),
    linear: LinearSimOptions | None = None,
    linear_webhooks: Sequence[LinearWebhookEmitter] = (),
) -> Starlette:
    """The simulators of every vendor over `world`, and the /_sim control endpoints.

    `github_webhooks`, `jira_webhooks` and `linear_webhooks` receive a signed delivery
    for each change `/_sim/advance` makes (each in its vendor's format).
    The GitHubSim is `app.state.github`, the JiraSim `app.state.jira`, the LinearSim
    `app.state.linear`, the world `app.state.world`.
    """
    github_sim = GitHubSim(world, github)
    jira_sim = JiraSim(world, jira)
    for hook in jira_webhooks:
        hook.sim = jira_sim
    linear_sim = LinearSim(world, linear)

    async def advance(request: Request) -> JSONResponse:
        raw = request.query_params.get("changes", "10")
        if not raw.isdigit() or not 0 < int(raw) <= MAX_ADVANCE:
            detail = f"changes must be an integer in 1..{MAX_ADVANCE}"
            return JSONResponse({"detail": detail}, status_code=422)
        changes = world.advance(int(raw))
        emitters: list[WebhookEmitter] = [*github_webhooks, *jira_webhooks, *linear_webhooks]
        failures = await _deliver(world, changes, emitters)
        return JSONResponse(
            {
                "clock": iso(world.clock),
                "changes": [change.as_json() for change in changes],
                "webhook_failures": failures,
            }
        )

    async def stats(request: Request) -> JSONResponse:
        return JSONResponse(
            {
                "clock": iso(world.clock),
                "github": github_sim.stats.as_json(),
                "jira": jira_sim.stats.as_json(),
                "linear": linear_sim.stats.as_json(),
            }
        )

    app = Starlette(
        routes=[
            Route("/_sim/advance", advance, methods=["POST"]),
            Route("/_sim/stats", stats, methods=["GET"]),
            Mount(PREFIXES["github"], app=github_sim.app),
            Mount(PREFIXES["jira"], app=jira_sim.app),
            Mount(PREFIXES["linear"], app=linear_sim.app),
        ]
    )
    app.state.world = world
    app.state.github = github_sim
    app.state.jira = jira_sim
    app.state.linear = linear_sim
    return app


class WebhookEmitter(Protocol):
    target_url: str

    async def send(self, world: World, changes: Iterable[Change]) -> list[httpx.Response]: ...


async def _deliver(
    world: World, changes: Sequence[Change], emitters: Sequence[WebhookEmitter]
) -> list[str]:
    """Send the changes to every emitter; a dead receiver is reported, not fatal to churn."""
    failures: list[str] = []
    for emitter in emitters:
        try:
            responses = await emitter.send(world, changes)
        except httpx.HTTPError as error:
            failures.append(f"{emitter.target_url}: {error!r}")
            continue
        failures += [
            f"{emitter.target_url}: HTTP {r.status_code}" for r in responses if r.status_code >= 300
        ]
    return failures
