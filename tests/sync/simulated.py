"""A simulated GitHub organisation wired to a connection, for sync tests."""

from __future__ import annotations

import asyncio
import math
from dataclasses import dataclass

import httpx
from sqlalchemy import select
from starlette.applications import Starlette

from app.connections import service as connections
from app.connections.schemas import ConnectionCreate
from app.credentials import CredentialVault
from app.db import Database
from app.models import WorkItem
from app.sync.service import HttpOptions
from connectors.github.sim import GitHubSim, GitHubSimOptions
from connectors.sim.server import build_sim_app
from connectors.sim.world import World
from tests.conftest import SECRET_KEY

VAULT = CredentialVault([SECRET_KEY])
SIM_ROOT = "http://sim.test/github"


class FakeTime:
    """One clock for the simulator and the client; sleeping moves it on at once."""

    def __init__(self, start: float = 1_800_000_000.0) -> None:
        self.now = start
        self.slept: list[float] = []

    def time(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds
        await asyncio.sleep(0)


@dataclass
class SimulatedGitHub:
    world: World
    app: Starlette
    clock: FakeTime

    @classmethod
    def of(cls, world: World, **options: object) -> SimulatedGitHub:
        clock = FakeTime()
        github = GitHubSimOptions(clock=clock.time, **options)  # type: ignore[arg-type]
        return cls(world, build_sim_app(world, github=github), clock)

    @property
    def sim(self) -> GitHubSim:
        sim: GitHubSim = self.app.state.github
        return sim

    @property
    def http(self) -> HttpOptions:
        transport = httpx.ASGITransport(app=self.app)
        return HttpOptions(transport=transport, sleep=self.clock.sleep, clock=self.clock.time)

    def list_requests(self) -> int:
        return self.sim.stats.count("list_issues")

    def live_issue_titles(self, repo: str) -> dict[str, str]:
        issues = self.world.repo(repo).issues.values()
        return {f"{i.repo}#{i.number}": i.title for i in issues if not i.is_pull_request}


async def add_github(database: Database, name: str, *scopes: str, token: str = "tok") -> None:
    data = ConnectionCreate(
        name=name, kind="github", base_url=SIM_ROOT, scopes=list(scopes), token=token, team="api"
    )  # type: ignore[arg-type]
    async with database.job_session() as session:
        await connections.create(session, VAULT, data)


async def live_titles(database: Database) -> dict[str, str]:
    async with database.job_session() as session:
        rows = await session.execute(
            select(WorkItem.external_id, WorkItem.title).where(WorkItem.deleted_at.is_(None))
        )
        return {external_id: title for external_id, title in rows}


def pages(count: int, per_page: int = 100) -> int:
    return math.ceil(count / per_page)
