"""Leases: at most one sync of a connection at a time, across any number of
processes sharing the database.

A lease is a row per connection naming its holder (host:pid:nonce) and when it
expires. A running sync renews it (heartbeat); a lease past its expiry, or one
held by a process of this host that no longer exists, is taken over. The
claim is one INSERT … ON CONFLICT DO UPDATE … WHERE, atomic on both databases.
"""

from __future__ import annotations

import os
import socket
import uuid
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.db import upsert_insert
from app.metrics import LEASE_TAKEOVERS
from app.models import SyncLease
from app.models.base import table_of

leases = table_of(SyncLease)
HOST = socket.gethostname()
# This process, as a lease holder.
HOLDER = f"{HOST}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def holder_is_dead(holder: str) -> bool:
    """True when `holder` was a process of this host that has ended."""
    host, _, rest = holder.partition(":")
    pid = rest.partition(":")[0]
    if host != HOST or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def _replaceable(lease: SyncLease, now: datetime) -> bool:
    return lease.expires_at < now or holder_is_dead(lease.holder)


class LeaseRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def current(self, connection_id: uuid.UUID) -> SyncLease | None:
        return await self.session.get(SyncLease, connection_id, populate_existing=True)

    async def try_acquire(
        self, connection_id: uuid.UUID, holder: str, now: datetime, ttl: timedelta
    ) -> SyncLease | None:
        """Take the lease; the lease it replaced (to close its run), or None when
        it was free. Raises LeaseHeld when a live run holds it, this process's own
        included: one run per connection at a time."""
        previous = await self.current(connection_id)
        if previous is not None and not _replaceable(previous, now):
            raise LeaseHeld(previous.run_id)
        statement = upsert_insert(self.session, leases).values(
            connection_id=connection_id, holder=holder, run_id=None, acquired_at=now,
            expires_at=now + ttl,
        )  # fmt: skip
        # Against a racing claimer: replace only the row we judged, or an expired one.
        judged = previous.holder if previous is not None else None
        claim = statement.on_conflict_do_update(
            index_elements=[leases.c.connection_id],
            set_={
                c: statement.excluded[c] for c in ("holder", "run_id", "acquired_at", "expires_at")
            },
            where=(leases.c.holder == judged) | (leases.c.expires_at < now),
        ).returning(leases.c.holder)
        if (await self.session.execute(claim)).first() is None:
            raise LeaseHeld(previous.run_id if previous else None)
        if previous is not None:
            LEASE_TAKEOVERS.inc()
        return previous

    async def attach_run(self, connection_id: uuid.UUID, holder: str, run_id: uuid.UUID) -> None:
        await self.session.execute(
            update(leases)
            .where(leases.c.connection_id == connection_id, leases.c.holder == holder)
            .values(run_id=run_id)
        )

    async def renew(
        self, connection_id: uuid.UUID, holder: str, now: datetime, ttl: timedelta
    ) -> bool:
        """Push the expiry on; False when the lease is no longer ours."""
        result = await self.session.execute(
            update(leases)
            .where(leases.c.connection_id == connection_id, leases.c.holder == holder)
            .values(expires_at=now + ttl)
            .returning(leases.c.holder)
        )
        return result.first() is not None

    async def release(self, connection_id: uuid.UUID, holder: str) -> None:
        await self.session.execute(
            delete(leases).where(leases.c.connection_id == connection_id, leases.c.holder == holder)
        )

    async def held(self) -> dict[uuid.UUID, uuid.UUID | None]:
        """Connection id → run id of every lease (live or not)."""
        rows = await self.session.execute(select(leases.c.connection_id, leases.c.run_id))
        return {connection: run for connection, run in rows}


class LeaseHeld(Exception):
    """Another live process syncs this connection now (its run id, when known)."""

    def __init__(self, run_id: uuid.UUID | None) -> None:
        super().__init__(f"a sync is running: run {run_id}")
        self.run_id = run_id
