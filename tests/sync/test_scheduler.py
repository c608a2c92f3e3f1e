"""The scheduler's jobs follow the connections; a failing connection is not retried in a storm."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import func, select

from app.connections import service as connections
from app.connections.schemas import ConnectionUpdate
from app.db import Database
from app.models import Connection, SyncRun
from app.sync.jobs import SyncScheduler
from app.sync.service import NotDue, run_sync
from connectors.sim.world import World
from tests.sync.simulated import VAULT, SimulatedGitHub, add_github


async def _id(database: Database, name: str) -> uuid.UUID:
    async with database.job_session() as session:
        query = select(Connection.id).where(Connection.name == name)
        return (await session.execute(query)).scalar_one()


async def _runs(database: Database) -> int:
    async with database.job_session() as session:
        return (await session.execute(select(func.count()).select_from(SyncRun))).scalar_one()


async def test_jobs_appear_change_and_disappear_with_connections(database: Database) -> None:
    scheduler = SyncScheduler(database, VAULT)
    scheduler.scheduler.start(paused=True)  # jobs are kept, none runs
    await add_github(database, "one", "acme/api")
    await add_github(database, "two", "acme/web")
    await scheduler.reconcile()
    jobs = {job.id: job for job in scheduler.scheduler.get_jobs()}
    assert set(jobs) == {f"sync:{await _id(database, 'one')}", f"sync:{await _id(database, 'two')}"}
    async with database.job_session() as session:
        await connections.update(session, VAULT, "one", ConnectionUpdate(enabled=False))
        await connections.update(session, VAULT, "two", ConnectionUpdate(interval=40))
    await scheduler.reconcile()
    [job] = scheduler.scheduler.get_jobs()
    assert job.id == f"sync:{await _id(database, 'two')}"
    assert job.trigger.interval.total_seconds() == 10  # a tick every quarter interval
    async with database.job_session() as session:
        await connections.remove(session, "two")
    await scheduler.reconcile()
    assert scheduler.scheduler.get_jobs() == []
    scheduler.shutdown()


async def test_a_revoked_token_fails_once_then_waits_for_an_edit(database: Database) -> None:
    github = SimulatedGitHub.of(World.single_repo("acme", "api", 5, 0), revoked=frozenset({"old"}))
    await add_github(database, "acme-gh", "acme/api", token="old")
    scheduler = SyncScheduler(database, VAULT, http=github.http)
    connection_id = await _id(database, "acme-gh")
    for _ in range(5):
        await scheduler.tick(connection_id)
    assert await _runs(database) == 1
    assert github.list_requests() == 1
    async with database.job_session() as session:
        await connections.update(session, VAULT, "acme-gh", ConnectionUpdate(token="fresh"))  # type: ignore[arg-type]
    await scheduler.tick(connection_id)
    assert await _runs(database) == 2


async def test_a_tick_before_the_connection_is_due_does_nothing(database: Database) -> None:
    github = SimulatedGitHub.of(World.single_repo("acme", "api", 5, 0))
    await add_github(database, "acme-gh", "acme/api")
    scheduler = SyncScheduler(database, VAULT, http=github.http)
    connection_id = await _id(database, "acme-gh")
    await scheduler.tick(connection_id)
    await scheduler.tick(connection_id)
    assert await _runs(database) == 1


async def test_a_run_judged_due_before_another_worker_ran_it_does_not_run_again(
    database: Database,
) -> None:
    github = SimulatedGitHub.of(World.single_repo("acme", "api", 5, 0))
    await add_github(database, "acme-gh", "acme/api")
    await run_sync(database, VAULT, "acme-gh", http=github.http)  # "another worker"
    with pytest.raises(NotDue):
        await run_sync(database, VAULT, "acme-gh", http=github.http, only_if_due=True)
    assert await _runs(database) == 1
