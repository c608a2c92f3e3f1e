"""Scheduled syncs: APScheduler (3.x, asyncio) jobs, one per enabled connection.

Every process that runs the scheduler (serve, worker) keeps one job per
enabled connection, ticking a few times per interval; a tick starts a sync only
when app/sync/schedule.py says the connection is due, and the connection's lease
makes sure that, across processes, one run at a time happens. A tick returns at
once: the sync runs as a task of its own, at most `max_concurrent` per process
(the rest wait their turn), so a long sync never piles ticks up. A reconcile job
adds, changes and removes jobs as connections are added, edited, disabled or
removed, so no restart is needed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import uuid
from collections.abc import Iterator
from datetime import timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import select

from app.credentials import CredentialVault
from app.db import Database
from app.models import Connection
from app.models.base import utcnow
from app.sync.repository import plan_of
from app.sync.schedule import SyncPlan
from app.sync.service import AlreadyRunning, HttpOptions, NotDue, run_sync

log = logging.getLogger(__name__)

RECONCILE_SECONDS = 5.0
MAX_CONCURRENT_SYNCS = 8
FIRST_TICK_SPREAD_SECONDS = 2.0  # start-up ticks spread over this, whatever the interval


class SyncScheduler:
    def __init__(
        self,
        database: Database,
        vault: CredentialVault,
        *,
        lease_seconds: int = 60,
        http: HttpOptions | None = None,
        reconcile_seconds: float = RECONCILE_SECONDS,
        max_concurrent: int = MAX_CONCURRENT_SYNCS,
    ) -> None:
        self.database = database
        self.vault = vault
        self.lease_seconds = lease_seconds
        self.http = http
        self.reconcile_seconds = reconcile_seconds
        self.scheduler = AsyncIOScheduler(timezone="UTC")
        self._intervals: dict[str, int] = {}  # job id -> the interval it was made for
        self._slots = asyncio.Semaphore(max_concurrent)
        self._syncing: dict[uuid.UUID, asyncio.Task[None]] = {}  # started by this process
        self._stopped = False
        self._ticking: set[asyncio.Task[object]] = set()  # jobs in flight (APScheduler's tasks)

    def start(self) -> None:
        self.scheduler.start()
        self.scheduler.add_job(
            self.reconcile, IntervalTrigger(seconds=self.reconcile_seconds),
            id="reconcile", next_run_time=utcnow(), max_instances=1, coalesce=True,
        )  # fmt: skip

    async def stop(self) -> None:
        """No more ticks; the ticks in flight end (they are short reads of the
        database, not to be cut in half: app/graceful.py), syncs in flight are
        cancelled and close their runs."""
        self._stopped = True  # a tick already past its first await starts nothing
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)
        await asyncio.gather(*self._ticking, return_exceptions=True)
        syncs = list(self._syncing.values())
        for task in syncs:
            task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.gather(*syncs, return_exceptions=True)

    async def reconcile(self) -> None:
        """Make the jobs match the enabled connections."""
        with self._tracked():
            await self._reconcile()

    async def _reconcile(self) -> None:
        if self._stopped:
            return
        async with self.database.job_session() as session:
            query = select(Connection.id, Connection.interval_seconds).where(
                Connection.removed_at.is_(None), Connection.enabled.is_(True)
            )
            wanted = {
                f"sync:{cid}": (cid, interval) for cid, interval in await session.execute(query)
            }
        for job_id in set(self._intervals) - set(wanted):
            self.scheduler.remove_job(job_id)
            del self._intervals[job_id]
        for job_id, (connection_id, interval) in wanted.items():
            if self._intervals.get(job_id) != interval:
                self._add(job_id, connection_id, interval)

    def _add(self, job_id: str, connection_id: uuid.UUID, interval: int) -> None:
        tick = max(1.0, interval / 4)
        spread = min(tick, FIRST_TICK_SPREAD_SECONDS)  # an overdue connection starts soon
        first = utcnow() + timedelta(seconds=random.uniform(0, spread))  # noqa: S311 (spreading load)
        self.scheduler.add_job(
            self.tick, IntervalTrigger(seconds=tick), args=[connection_id], id=job_id,
            replace_existing=True, next_run_time=first, max_instances=1, coalesce=True,
        )  # fmt: skip
        self._intervals[job_id] = interval

    async def tick(self, connection_id: uuid.UUID) -> None:
        """The job of one connection."""
        with self._tracked():
            await self.start_if_due(connection_id)

    @contextlib.contextmanager
    def _tracked(self) -> Iterator[None]:
        """Note the current job's task, for `stop` to wait for."""
        task = asyncio.current_task()
        assert task is not None  # APScheduler runs every job as a task
        self._ticking.add(task)
        try:
            yield
        finally:
            self._ticking.discard(task)

    async def start_if_due(self, connection_id: uuid.UUID) -> asyncio.Task[None] | None:
        """Start the connection's sync in the background if it is due and this
        process is not syncing it already; the sync's task, or None."""
        if self._stopped or connection_id in self._syncing:
            return None
        plan, name = await self._plan(connection_id)
        if name is None or plan.due_at is None or utcnow() < plan.due_at:
            return None
        if self._stopped or connection_id in self._syncing:  # stopped, or started meanwhile
            return None
        task = asyncio.create_task(self._sync(name, full=plan.full), name=f"sync {name}")
        self._syncing[connection_id] = task
        task.add_done_callback(lambda _: self._syncing.pop(connection_id, None))
        return task

    async def _sync(self, name: str, *, full: bool) -> None:
        async with self._slots:
            try:
                await run_sync(
                    self.database, self.vault, name, full=full, http=self.http,
                    lease_seconds=self.lease_seconds, only_if_due=True,
                )  # fmt: skip
            except (AlreadyRunning, NotDue):
                return
            except Exception:  # run_sync closed its run; the scheduler goes on
                log.exception("scheduled sync of %s failed unexpectedly", name)

    async def _plan(self, connection_id: uuid.UUID) -> tuple[SyncPlan, str | None]:
        async with self.database.job_session() as session:
            connection = await session.get(Connection, connection_id)
            if connection is None or connection.removed_at is not None or not connection.enabled:
                return SyncPlan(due_at=None, full=False), None
            plan, _ = await plan_of(session, connection)
            return plan, connection.name
