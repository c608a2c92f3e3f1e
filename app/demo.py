"""`bridge demo`: the simulated organisation, the service, a connection per
team and a first sync, in one command and one process, with no token needed."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime

import uvicorn
from starlette.applications import Starlette

from app.config import Settings
from app.connections import service as connections
from app.connections.schemas import ConnectionCreate, ConnectionUpdate
from app.credentials import CredentialVault, load_vault
from app.db import Database
from app.errors import NotFound
from app.main import create_app
from app.schema import upgrade_to_head
from app.sync.schemas import SyncRunRead
from app.sync.service import run_sync
from connectors.github.sim import GitHubSimOptions
from connectors.jira.render import JiraProjects
from connectors.linear.sim_render import team_keys
from connectors.sim.server import build_sim_app, vendor_base_urls
from connectors.sim.world import Size, World

# The simulator takes any token; sending one earns the larger rate-limit budget.
DEMO_TOKEN = "demo-token"  # noqa: S105 (not a secret)
# Jira Cloud takes EMAIL:API_TOKEN (Basic auth); the simulator takes any.
DEMO_JIRA_TOKEN = "demo@acme.example:demo-token"  # noqa: S105 (not a secret)


@dataclass(frozen=True)
class DemoOptions:
    host: str = "127.0.0.1"
    port: int = 8000
    sim_port: int = 8900
    seed: int = 1
    size: Size = "small"


async def run_demo(settings: Settings, options: DemoOptions) -> None:
    world = World.generate(options.seed, options.size, epoch=demo_epoch())
    sim = _server(build_sim_app(world, github=GitHubSimOptions()), options.host, options.sim_port)
    tasks = [asyncio.create_task(sim.serve())]
    await _until_started(sim)
    urls = vendor_base_urls(f"http://{options.host}:{options.sim_port}")
    runs = await _connect_and_sync(settings, world, urls)
    # The service starts once the first syncs are done, so its scheduler finds
    # them done instead of racing them.
    api = _server(create_app(settings), options.host, options.port)
    tasks.append(asyncio.create_task(api.serve()))
    await _until_started(api)
    _report(options, world, urls, runs)
    # Either server stopping (Ctrl-C reaches one of them) stops the other.
    await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    sim.should_exit = api.should_exit = True
    await asyncio.gather(*tasks)


def demo_epoch() -> datetime:
    """The generated history ends at the current hour, so the demo's dates are
    today's: some targets ahead, some behind, and changes this week."""
    return datetime.now(UTC).replace(minute=0, second=0, microsecond=0)


def _server(app: Starlette, host: str, port: int) -> uvicorn.Server:
    config = uvicorn.Config(app, host=host, port=port, log_level="warning", access_log=False)
    return uvicorn.Server(config)


async def _until_started(*servers: uvicorn.Server) -> None:
    while not all(server.started for server in servers):
        if any(server.should_exit for server in servers):
            raise OSError("a demo server could not start: is its port in use?")
        await asyncio.sleep(0.05)


async def _connect_and_sync(
    settings: Settings, world: World, urls: dict[str, str]
) -> list[SyncRunRead]:
    """One GitHub connection per team, over that team's repositories, one Jira
    connection over every simulated Jira project and one Linear connection over
    every team; then a sync of each."""
    database = Database(settings.database_url)
    vault = load_vault(settings)
    scopes: dict[str, list[str]] = defaultdict(list)
    for repo in world.repos.values():
        scopes[repo.team].append(repo.full_name)
    try:
        await upgrade_to_head(database)
        names = [
            await _ensure(database, vault, team, repos, urls["github"])
            for team, repos in scopes.items()
        ]
        names.append(await _ensure_jira(database, vault, world, urls["jira"]))
        names.append(await _ensure_linear(database, vault, world, urls["linear"]))
        return [await run_sync(database, vault, name) for name in names]
    finally:
        await database.dispose()


async def _ensure(
    database: Database, vault: CredentialVault, team: str, repos: list[str], base_url: str
) -> str:
    """Create the team's demo connection, or point an existing one at this simulator."""
    name = f"demo-{team}"
    async with database.job_session() as session:
        try:
            await connections.update(session, vault, name, ConnectionUpdate(base_url=base_url))
        except NotFound:
            data = ConnectionCreate(
                name=name, kind="github", base_url=base_url, scopes=repos, team=team,
                token=DEMO_TOKEN,
            )  # fmt: skip
            await connections.create(session, vault, data)
    return name


async def _ensure_jira(
    database: Database, vault: CredentialVault, world: World, base_url: str
) -> str:
    """The demo's Jira connection: every team's project and the Product Discovery one,
    each project's items under the team of the GitHub connections."""
    name = "demo-jira"
    projects = JiraProjects(world)
    async with database.job_session() as session:
        try:
            await connections.update(session, vault, name, ConnectionUpdate(base_url=base_url))
        except NotFound:
            data = ConnectionCreate(
                name=name, kind="jira", base_url=base_url, scopes=projects.project_keys(),
                token=DEMO_JIRA_TOKEN, settings={"teams": projects.by_key},
            )  # fmt: skip
            await connections.create(session, vault, data)
    return name


async def _ensure_linear(
    database: Database, vault: CredentialVault, world: World, base_url: str
) -> str:
    """The demo's Linear connection, over every team of the simulated workspace."""
    name = "demo-linear"
    async with database.job_session() as session:
        try:
            await connections.update(session, vault, name, ConnectionUpdate(base_url=base_url))
        except NotFound:
            teams = list(team_keys(world).values())
            data = ConnectionCreate(
                name=name, kind="linear", base_url=base_url, scopes=teams, token=DEMO_TOKEN
            )
            await connections.create(session, vault, data)
    return name


def _report(
    options: DemoOptions, world: World, urls: dict[str, str], runs: list[SyncRunRead]
) -> None:
    created, updated = sum(run.created for run in runs), sum(run.updated for run in runs)
    service = f"http://{options.host}:{options.port}"
    print(f"simulated organisation: seed {options.seed}, {options.size}, its history up to "
          f"{world.epoch.isoformat()}")  # fmt: skip
    print(f"simulated GitHub: {urls['github']}")
    print(f"simulated Jira: {urls['jira']}")
    print(f"simulated Linear: {urls['linear']}/graphql")
    print(f"synced {len(runs)} connections: {created} items created, {updated} updated")
    for run in runs:
        if run.status == "failed":
            print(f"  sync of {run.connection} failed: {run.error}")
    print(f"Issuebridge: {service}  (dashboard: {service}/, items: {service}/api/v1/items, "
          f"API docs: {service}/docs)")  # fmt: skip
    print("Ctrl-C stops the demo.", flush=True)
