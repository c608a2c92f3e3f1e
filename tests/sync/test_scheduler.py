"""The scheduler's jobs follow the connections; a failing connection is not retried in a storm."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import pytest
from sqlalchemy import func, select

from app.connections import service as connections
from app.connections.schemas import ConnectionUpdate
from app.db import Database
from app.models import Connection, SyncRun
from app.sync import jobs
from app.sync.jobs import SyncScheduler
from app.sync.service import NotDue, run_sync
from connectors.sim.world import World
from tests.sync.simulated import VAULT, SimulatedGitHub, add_github


async def _id(database: Database, name: str) -> uuid.UUID:
    async with database.job_session() as session:
        query = select(Connection.id).where(Connection.name == name)
        return (await session.execute(query)).scalar_one()


async def _tick(scheduler: SyncScheduler, connection_id: uuid.UUID) -> None:
    """One tick, and the sync it started (if any) to its end."""
    started = await scheduler.start_if_due(connection_id)
    if started is not None:
        await started


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
    await scheduler.stop()


async def test_a_revoked_token_fails_once_then_waits_for_an_edit(database: Database) -> None:
    github = SimulatedGitHub.of(World.single_repo("acme", "api", 5, 0), revoked=frozenset({"old"}))
    await add_github(database, "acme-gh", "acme/api", token="old")
    scheduler = SyncScheduler(database, VAULT, http=github.http)
    connection_id = await _id(database, "acme-gh")
    for _ in range(5):
        await _tick(scheduler, connection_id)
    assert await _runs(database) == 1
    assert github.list_requests() == 1
    async with database.job_session() as session:
        await connections.update(session, VAULT, "acme-gh", ConnectionUpdate(token="fresh"))  # type: ignore[arg-type]
    await _tick(scheduler, connection_id)
    assert await _runs(database) == 2


async def test_a_tick_before_the_connection_is_due_does_nothing(database: Database) -> None:
    github = SimulatedGitHub.of(World.single_repo("acme", "api", 5, 0))
    await add_github(database, "acme-gh", "acme/api")
    scheduler = SyncScheduler(database, VAULT, http=github.http)
    connection_id = await _id(database, "acme-gh")
    await _tick(scheduler, connection_id)
    await _tick(scheduler, connection_id)
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


async def test_one_process_runs_at_most_max_concurrent_syncs(
    database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = World.repositories("acme", [f"r{n}" for n in range(5)], issues=3, pull_requests=0)
    github = SimulatedGitHub.of(world)
    for n in range(5):
        await add_github(database, f"c{n}", f"acme/r{n}")
    busy, most = 0, 0

    async def counted(*args: Any, **kwargs: Any) -> Any:
        nonlocal busy, most
        busy += 1
        most = max(most, busy)
        try:
            await asyncio.sleep(0.05)  # long enough for every waiting sync to try to start
            return await run_sync(*args, **kwargs)
        finally:
            busy -= 1

    monkeypatch.setattr(jobs, "run_sync", counted)
    scheduler = SyncScheduler(database, VAULT, http=github.http, max_concurrent=2)
    started = [await scheduler.start_if_due(await _id(database, f"c{n}")) for n in range(5)]
    await asyncio.gather(*(task for task in started if task is not None))
    assert await _runs(database) == 5
    assert most == 2


async def test_a_connection_syncing_here_is_not_started_twice(database: Database) -> None:
    github = SimulatedGitHub.of(World.single_repo("acme", "api", 5, 0))
    await add_github(database, "acme-gh", "acme/api")
    scheduler = SyncScheduler(database, VAULT, http=github.http)
    connection_id = await _id(database, "acme-gh")
    first = await scheduler.start_if_due(connection_id)
    assert first is not None
    assert await scheduler.start_if_due(connection_id) is None
    await first
    assert await _runs(database) == 1


async def test_stop_cancels_syncs_in_flight_and_closes_their_runs(database: Database) -> None:
    github = SimulatedGitHub.of(World.single_repo("acme", "api", 3000, 0))
    await add_github(database, "acme-gh", "acme/api")
    scheduler = SyncScheduler(database, VAULT, http=github.http)
    task = await scheduler.start_if_due(await _id(database, "acme-gh"))
    assert task is not None
    while await _statuses(database) != ["running"]:  # noqa: ASYNC110 (polling the store)
        await asyncio.sleep(0.002)
    await scheduler.stop()
    assert task.cancelled()
    async with database.job_session() as session:
        [run] = (await session.execute(select(SyncRun))).scalars()
    assert (run.status, run.error) == ("failed", "stopped: the process shut down")


async def _statuses(database: Database) -> list[str]:
    async with database.job_session() as session:
        return list((await session.execute(select(SyncRun.status))).scalars())
