"""A sync of a Linear connection against the simulated Linear API, on both databases."""

from __future__ import annotations

from dataclasses import dataclass

import httpx
from sqlalchemy import select

from app.connections import service as connections
from app.connections.schemas import ConnectionCreate
from app.db import Database
from app.items.identity import item_id
from app.models import Connection, WorkItem
from app.models.links import Link
from app.sync.service import HttpOptions, run_sync
from connectors.linear.sim import LinearSim, LinearSimOptions
from connectors.linear.sim_render import Workspace, team_keys
from connectors.sim.server import build_sim_app
from connectors.sim.world import World
from tests.sync.simulated import VAULT, FakeTime

SIM_ROOT = "http://sim.test/linear"


@dataclass
class SimulatedLinear:
    world: World
    sim: LinearSim
    clock: FakeTime
    http: HttpOptions

    @classmethod
    def of(cls, world: World, **options: object) -> SimulatedLinear:
        clock = FakeTime()
        linear = LinearSimOptions(clock=clock.time, **options)  # type: ignore[arg-type]
        app = build_sim_app(world, linear=linear)
        http = HttpOptions(transport=httpx.ASGITransport(app=app), sleep=clock.sleep,
                           clock=clock.time)  # fmt: skip
        return cls(world, app.state.linear, clock, http)

    @property
    def workspace(self) -> Workspace:
        self.sim.workspace.refresh()
        return self.sim.workspace

    def live(self) -> dict[str, str]:
        """External id → title of every live issue, project and initiative, as Linear
        shows them."""
        issues = {n["id"]: n["title"] for n in self.workspace.live_issues()}
        projects = {p["id"]: p["name"] for p in self.workspace.projects.values()}
        initiatives = {i["id"]: i["name"] for i in self.workspace.initiatives.values()}
        return issues | projects | initiatives

    def memberships(self) -> set[tuple[str, str]]:
        """(container, member): initiative → project, project → issue."""
        workspace = self.workspace
        issues = {(n["project"]["id"], n["id"]) for n in workspace.live_issues() if n["project"]}
        projects = {
            (i["id"], p["id"]) for i in workspace.initiatives.values() for p in i["projects"]
        }
        return issues | projects


async def add_linear(database: Database, name: str, *scopes: str) -> None:
    data = ConnectionCreate(name=name, kind="linear", base_url=SIM_ROOT, scopes=list(scopes),
                            token="lin_api_test")  # type: ignore[arg-type]  # fmt: skip
    async with database.job_session() as session:
        await connections.create(session, VAULT, data)


async def stored(database: Database) -> dict[str, str]:
    async with database.job_session() as session:
        rows = await session.execute(
            select(WorkItem.external_id, WorkItem.title).where(WorkItem.deleted_at.is_(None))
        )
        return {external_id: title for external_id, title in rows}


async def active_links(database: Database, expected: set[tuple[str, str]]) -> set[tuple[str, str]]:
    """The active links, as (project, issue) external ids where they are among `expected`."""
    async with database.job_session() as session:
        connection = (await session.execute(select(Connection))).scalar_one()
        rows = await session.execute(
            select(Link.source_item_id, Link.target_item_id, Link.kind)
            .where(Link.removed_at.is_(None))
        )  # fmt: skip
        found = {(source, target) for source, target, kind in rows if kind == "contains"}
    ids = {(item_id(connection.id, s), item_id(connection.id, t)): (s, t) for s, t in expected}
    assert len(found) == len(expected), "as many links as memberships"
    return {ids[pair] for pair in found if pair in ids}


def every_team(world: World) -> list[str]:
    return list(team_keys(world).values())


async def test_full_sync_stores_every_issue_and_project_with_memberships(
    database: Database,
) -> None:
    world = World.generate(seed=5, size="small")
    linear = SimulatedLinear.of(world)
    await add_linear(database, "acme-linear", *every_team(world))
    run = await run_sync(database, VAULT, "acme-linear", full=True, http=linear.http)
    assert (run.status, run.error) == ("succeeded", None)
    assert await stored(database) == linear.live()
    assert run.created == len(linear.live())
    assert run.requests == linear.sim.stats.count()
    memberships = linear.memberships()
    assert memberships, "some issues deliver a project, and projects an initiative"
    assert await active_links(database, memberships) == memberships


async def test_incremental_sync_stores_exactly_what_changed(database: Database) -> None:
    world = World.generate(seed=5, size="small")
    linear = SimulatedLinear.of(world)
    await add_linear(database, "acme-linear", *every_team(world))
    await run_sync(database, VAULT, "acme-linear", http=linear.http)
    before = linear.sim.stats.count()
    edited = [i for i in world.all_issues() if not i.is_pull_request and i.state == "open"][:5]
    for issue in edited:
        world.edit_issue(issue.repo, issue.number, title=f"Changed {issue.key}")
    run = await run_sync(database, VAULT, "acme-linear", http=linear.http)
    assert (run.status, run.created, run.updated, run.deleted) == ("succeeded", 0, 5, 0)
    # one projects query and one issues query per team, one initiatives query in all
    assert linear.sim.stats.count() - before == 2 * len(every_team(world)) + 1
    assert await stored(database) == linear.live()


async def test_churn_and_a_removed_issue_reach_the_store(database: Database) -> None:
    world = World.generate(seed=5, size="small")
    linear = SimulatedLinear.of(world)
    await add_linear(database, "acme-linear", *every_team(world))
    await run_sync(database, VAULT, "acme-linear", http=linear.http)
    world.advance(40)
    victim = next(i for i in world.all_issues() if not i.is_pull_request and i.state == "open")
    [victim_node] = [n for n in linear.workspace.live_issues() if n["title"] == victim.title][:1]
    world.delete_issue(victim.repo, victim.number)
    run = await run_sync(database, VAULT, "acme-linear", http=linear.http)
    assert run.status == "succeeded"
    assert run.deleted >= 1
    live = await stored(database)
    assert victim_node["id"] not in live
    assert live == linear.live()


async def test_only_the_connection_s_teams_are_read(database: Database) -> None:
    world = World.generate(seed=5, size="small")
    linear = SimulatedLinear.of(world)
    await add_linear(database, "pay-only", "PAY")
    run = await run_sync(database, VAULT, "pay-only", full=True, http=linear.http)
    assert run.status == "succeeded"
    issues = {n["id"] for n in linear.workspace.live_issues() if n["team"]["key"] == "PAY"}
    projects = {
        p["id"] for p in linear.workspace.projects.values()
        if any(t["key"] == "PAY" for t in p["teams"])
    }  # fmt: skip
    initiatives = {i["id"] for i in linear.workspace.initiatives.values()}  # PAY comes first
    assert set(await stored(database)) == issues | projects | initiatives


async def test_a_small_complexity_budget_is_paced_not_spent(database: Database) -> None:
    world = World.single_repo("acme", "api", issues=1_200, pull_requests=0)
    # Linear's refill (3M points an hour), from a bucket holding little more than a page.
    linear = SimulatedLinear.of(world, forced_complexity_remaining=10_000)
    await add_linear(database, "acme-linear", "PAY")
    run = await run_sync(database, VAULT, "acme-linear", full=True, http=linear.http)
    assert (run.status, run.error) == ("succeeded", None)
    assert await stored(database) == linear.live()
    assert linear.sim.stats.count(400) == 0, "never refused: it slowed down instead"
    assert linear.clock.slept, "it waited for the bucket to refill"
    assert max(linear.clock.slept) < 60, "a few seconds at a time, not a refusal's minute"


async def test_a_nearly_spent_request_budget_is_paced_not_spent(database: Database) -> None:
    world = World.single_repo("acme", "api", issues=1_200, pull_requests=0)
    linear = SimulatedLinear.of(world, forced_requests_remaining=3)
    await add_linear(database, "acme-linear", "PAY")
    run = await run_sync(database, VAULT, "acme-linear", full=True, http=linear.http)
    assert (run.status, run.error) == ("succeeded", None)
    assert await stored(database) == linear.live()
    assert linear.sim.stats.count(400) == 0, "never refused: it slowed down instead"
    assert linear.clock.slept, "it spaced its requests out"
