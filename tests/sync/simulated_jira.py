"""A simulated Jira site wired to a connection, for sync tests."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
from sqlalchemy import select
from starlette.applications import Starlette

from app.connections import service as connections
from app.connections.schemas import ConnectionCreate
from app.db import Database
from app.models import Connection, ItemEvent, WorkItem
from app.models.links import Link
from app.sync.service import HttpOptions
from connectors.jira.render import JiraProjects, idea_id
from connectors.jira.sim import JiraSim, JiraSimOptions
from connectors.sim.server import build_sim_app
from connectors.sim.world import World
from tests.sync.simulated import VAULT, FakeTime

SIM_ROOT = "http://sim.test/jira"
TOKEN = "admin@acme.example:api-token"


@dataclass
class SimulatedJira:
    world: World
    app: Starlette
    clock: FakeTime

    @classmethod
    def of(cls, world: World, **options: Any) -> SimulatedJira:
        return cls(world, build_sim_app(world, jira=JiraSimOptions(**options)), FakeTime())

    @property
    def sim(self) -> JiraSim:
        sim: JiraSim = self.app.state.jira
        return sim

    @property
    def http(self) -> HttpOptions:
        transport = httpx.ASGITransport(app=self.app)
        return HttpOptions(transport=transport, sleep=self.clock.sleep, clock=self.clock.time)

    def scopes(self) -> list[str]:
        return JiraProjects(self.world).project_keys()

    def expected_titles(self) -> dict[str, str]:
        """Jira id → summary of every issue and idea the site shows."""
        issues = {str(i.id): i.title for i in self.world.all_issues() if not i.is_pull_request}
        ideas = {str(idea_id(item)): item.title for item in self.world.roadmap.values()}
        return issues | ideas


async def add_jira(
    database: Database, name: str, scopes: list[str], settings: dict[str, Any] | None = None
) -> None:
    fields = {"name": name, "kind": "jira", "base_url": SIM_ROOT, "scopes": scopes}
    data = ConnectionCreate.model_validate(fields | {"token": TOKEN, "settings": settings or {}})
    async with database.job_session() as session:
        await connections.create(session, VAULT, data)


async def items_of(database: Database, name: str, *, deleted: bool = False) -> dict[str, Any]:
    """external id → stored row, of one connection (live ones, or only tombstones)."""
    async with database.job_session() as session:
        rows = await session.execute(
            select(WorkItem)
            .join(Connection, Connection.id == WorkItem.connection_id)
            .where(Connection.name == name)
            .where(WorkItem.deleted_at.is_not(None) if deleted else WorkItem.deleted_at.is_(None))
        )
        return {item.external_id: item for item in rows.scalars()}


async def vendor_events(database: Database, name: str) -> list[tuple[str, str, Any, Any]]:
    """(external id, field, old, new) of every vendor_changelog event of a connection;
    parents (stored as item ids) are shown by their external ids."""
    async with database.job_session() as session:
        rows = await session.execute(
            select(WorkItem.external_id, ItemEvent.field, ItemEvent.old, ItemEvent.new)
            .join(WorkItem, WorkItem.id == ItemEvent.item_id)
            .join(Connection, Connection.id == WorkItem.connection_id)
            .where(Connection.name == name, ItemEvent.origin == "vendor_changelog")
        )
        events = list(rows)
    ids = {str(row.id): key for key, row in (await items_of(database, name)).items()}
    return [
        (key, field, ids.get(old, old), ids.get(new, new))
        if field == "parent_id"
        else (key, field, old, new)
        for key, field, old, new in events
    ]


async def active_links(database: Database, name: str) -> set[tuple[str, str, str]]:
    """(source external id, target external id, kind) of a connection's live vendor links."""
    items = {row.id: key for key, row in (await items_of(database, name)).items()}
    async with database.job_session() as session:
        rows = await session.execute(
            select(Link.source_item_id, Link.target_item_id, Link.kind).where(
                Link.removed_at.is_(None), Link.origin == "vendor"
            )
        )
        return {
            (items[source], items[target], kind)
            for source, target, kind in rows
            if source in items and target in items
        }
