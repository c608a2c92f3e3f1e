"""Sync leases on both databases: one holder at a time, takeover of the dead."""

from __future__ import annotations

import asyncio
import sys
from datetime import timedelta

import pytest

from app.db import Database
from app.items.plan import ConnectionRef
from app.models import SyncLease
from app.models.base import utcnow
from app.sync.leases import HOLDER, HOST, LeaseHeld, LeaseRepository, holder_is_dead

TTL = timedelta(seconds=30)


async def acquire(
    database: Database, connection: ConnectionRef, holder: str, at_offset: float = 0
) -> SyncLease | None:
    async with database.job_session() as session:
        now = utcnow() + timedelta(seconds=at_offset)
        return await LeaseRepository(session).try_acquire(connection.id, holder, now, TTL)


async def test_a_free_lease_is_taken_and_a_held_one_is_refused(
    database: Database, connection: ConnectionRef
) -> None:
    assert await acquire(database, connection, "elsewhere:1:a") is None
    with pytest.raises(LeaseHeld):
        await acquire(database, connection, "elsewhere:2:b")
    with pytest.raises(LeaseHeld):  # one run at a time, even within one process
        await acquire(database, connection, "elsewhere:1:a")


async def test_an_expired_lease_is_taken_over(
    database: Database, connection: ConnectionRef
) -> None:
    await acquire(database, connection, "elsewhere:1:a")
    replaced = await acquire(database, connection, "elsewhere:2:b", at_offset=31)
    assert replaced is not None
    assert replaced.holder == "elsewhere:1:a"
    with pytest.raises(LeaseHeld):
        await acquire(database, connection, "elsewhere:1:a")


async def test_a_dead_process_of_this_host_loses_its_lease_at_once(
    database: Database, connection: ConnectionRef
) -> None:
    ended = await asyncio.create_subprocess_exec(sys.executable, "-c", "pass")
    await ended.wait()
    dead = f"{HOST}:{ended.pid}:x"
    assert holder_is_dead(dead)
    await acquire(database, connection, dead)
    replaced = await acquire(database, connection, HOLDER)
    assert replaced is not None
    assert replaced.holder == dead


async def test_renew_and_release(database: Database, connection: ConnectionRef) -> None:
    await acquire(database, connection, "elsewhere:1:a")
    async with database.job_session() as session:
        leases = LeaseRepository(session)
        assert await leases.renew(connection.id, "elsewhere:1:a", utcnow(), TTL)
        assert not await leases.renew(connection.id, "elsewhere:2:b", utcnow(), TTL)
        await leases.release(connection.id, "elsewhere:1:a")
    assert await acquire(database, connection, "elsewhere:2:b") is None


def test_a_live_or_foreign_holder_is_not_dead() -> None:
    assert not holder_is_dead(HOLDER)
    assert not holder_is_dead("another-host:1:x")
