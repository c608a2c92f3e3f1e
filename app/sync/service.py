"""Run one sync of one connection: pull batches, store them with their cursor.

Pages of a scope are ingested and committed together, up to CHECKPOINT_ITEMS,
with the last page's cursor and the run's live counts: a crash loses at most
the checkpoint in flight and the next run resumes from the last one. The run
is a sync_runs row from the start, so a running sync shows its progress.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from app.connections.service import connector_config
from app.credentials import CredentialVault
from app.db import Database
from app.graceful import finish_first
from app.items.ingest import ingest
from app.items.plan import ConnectionRef
from app.metrics import RATE_LIMIT_REMAINING, SYNC_RUNS, SYNC_SECONDS, VENDOR_REQUESTS
from app.models import Connection
from app.models.base import utcnow
from app.sync.leases import HOLDER, LeaseHeld, LeaseRepository
from app.sync.repository import CursorRepository, SyncRunRepository, plan_of
from app.sync.schemas import SyncRunRead
from connectors import get_connector
from connectors.base.contract import ConnectionConfig, Connector, PullContext
from connectors.base.http import (
    MIN_SECRET_LENGTH,
    ConditionalCache,
    FailureType,
    RetryPolicy,
    VendorClient,
    VendorError,
)
from connectors.base.records import Batch

log = logging.getLogger(__name__)

# ETags and the pages they name, shared by every run of this process (per connection).
CONDITIONAL_CACHE = ConditionalCache()
# Pages are stored together up to this many items a transaction: a checkpoint
# per page costs a commit each; a crash redoes at most this much work.
CHECKPOINT_ITEMS = 1000


@dataclass
class SyncProgress:
    """What a progress display shows while a run goes on."""

    pages: int = 0
    items: int = 0
    requests: int = 0
    rate_limit_remaining: int | None = None


ProgressCallback = Callable[[SyncProgress], None]


@dataclass(frozen=True)
class SyncTarget:
    """A run that has begun: its row exists and this process holds the lease."""

    run_id: uuid.UUID
    connection: ConnectionRef
    config: ConnectionConfig
    full: bool
    lease_ttl: timedelta


class AlreadyRunning(Exception):
    """A sync of the connection is running elsewhere; `run` is that run."""

    def __init__(self, run: SyncRunRead | None) -> None:
        super().__init__("a sync of this connection is already running")
        self.run = run


async def run_sync(
    database: Database,
    vault: CredentialVault,
    name: str,
    *,
    full: bool = False,
    http: HttpOptions | None = None,
    on_progress: ProgressCallback | None = None,
    lease_seconds: int = 60,
    only_if_due: bool = False,
) -> SyncRunRead:
    """Sync connection `name` now; the run ends succeeded or failed, never running.
    Raises AlreadyRunning when another process syncs it at this moment, and
    (with `only_if_due`) NotDue when it is not due any more."""
    target = await finish_first(
        begin_sync(
            database, vault, name, full=full, lease_seconds=lease_seconds, only_if_due=only_if_due
        )
    )
    return await execute_sync(database, target, http=http, on_progress=on_progress)


class NotDue(Exception):
    """Another worker synced the connection since the caller judged it due."""


async def begin_sync(
    database: Database,
    vault: CredentialVault,
    name: str,
    *,
    full: bool,
    lease_seconds: int,
    only_if_due: bool = False,
) -> SyncTarget:
    """Take the connection's lease and open its run (committed, so it shows at once)."""
    ttl = timedelta(seconds=lease_seconds)
    async with database.job_session() as session:
        connection, config = await connector_config(session, vault, name)
        leases, runs = LeaseRepository(session), SyncRunRepository(session)
        try:
            replaced = await leases.try_acquire(connection.id, HOLDER, utcnow(), ttl)
        except LeaseHeld as held:
            running = await runs.find(held.run_id) if held.run_id else None
            raise AlreadyRunning(SyncRunRead.of(running, name) if running else None) from None
        if only_if_due and not await _still_due(session, connection):
            raise NotDue  # the transaction rolls back: the lease is not taken
        if replaced is not None and replaced.run_id is not None:
            await runs.abandon(replaced.run_id, "its worker stopped before finishing it")
        run = await runs.start(connection.id, full=full)
        await leases.attach_run(connection.id, HOLDER, run.id)
        return SyncTarget(run.id, ConnectionRef(connection.id, connection.kind), config, full, ttl)


async def _still_due(session: AsyncSession, connection: Connection) -> bool:
    """Judged again under the lease: a run may have ended since the scheduler looked."""
    plan, _ = await plan_of(session, connection)
    return plan.due_at is not None and utcnow() >= plan.due_at


async def execute_sync(
    database: Database,
    target: SyncTarget,
    *,
    http: HttpOptions | None = None,
    on_progress: ProgressCallback | None = None,
) -> SyncRunRead:
    """Pull and store, renewing the lease meanwhile; then close the run and free the lease."""
    outcome = Outcome()
    heartbeat = asyncio.create_task(_heartbeat(database, target, outcome))
    try:
        await _pull_and_store(database, target, http or HttpOptions(), on_progress, outcome)
    except VendorError as error:
        outcome.failure, outcome.error = error.failure_type, error.message
    except asyncio.CancelledError:  # the process is stopping: close the run, then stop
        outcome.failure, outcome.error = FailureType.SYSTEM, "stopped: the process shut down"
        await asyncio.shield(_finish(database, target, outcome))
        raise
    except Exception as error:  # a bug: recorded on the run and logged in full
        log.exception("sync of %s failed unexpectedly", target.config.name)
        outcome.failure = FailureType.SYSTEM
        outcome.error = _scrubbed(f"internal error: {type(error).__name__}: {error}", target.config)
    finally:
        heartbeat.cancel()
    return await _finish(database, target, outcome)


async def _pull_and_store(
    database: Database,
    target: SyncTarget,
    http: HttpOptions,
    on_progress: ProgressCallback | None,
    outcome: Outcome,
) -> None:
    connector_class = get_connector(target.config.kind)
    async with _client(connector_class, target, http) as client:
        try:
            connector = connector_class(target.config, client)
            await _pull(database, target, connector, on_progress, outcome)
        finally:
            outcome.requests = client.requests
            outcome.rate_limit_remaining = client.rate_limit_remaining


async def _heartbeat(database: Database, target: SyncTarget, outcome: Outcome) -> None:
    """Renew the lease every third of its life; note when it was lost."""
    while True:
        await asyncio.sleep(target.lease_ttl.total_seconds() / 3)
        if not await finish_first(_renew(database, target)):
            outcome.lease_lost = True
            return


async def _renew(database: Database, target: SyncTarget) -> bool:
    async with database.job_session() as session:
        return await LeaseRepository(session).renew(
            target.connection.id, HOLDER, utcnow(), target.lease_ttl
        )


@dataclass
class Outcome:
    requests: int = 0
    rate_limit_remaining: int | None = None
    failure: FailureType | None = None
    error: str | None = None
    lease_lost: bool = False


@dataclass(frozen=True)
class HttpOptions:
    """How a run talks HTTP; tests and benchmarks swap in a simulator's transport
    and a fake clock, everyone else takes the defaults."""

    transport: httpx.AsyncBaseTransport | None = None
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
    clock: Callable[[], float] = time.time


def _client(
    connector_class: type[Connector], target: SyncTarget, http: HttpOptions
) -> VendorClient:
    return VendorClient(
        target.config.base_url,
        vendor=connector_class.vendor_name,
        headers=connector_class.auth_headers(target.config),
        secrets=target.config.secrets(),
        rate_limit=connector_class.rate_limit,
        retry=http.retry,
        # A full run's pages are not asked for again with If-None-Match: keep none.
        cache=None if target.full else CONDITIONAL_CACHE,
        cache_namespace=str(target.connection.id),
        transport=http.transport,
        sleep=http.sleep,
        clock=http.clock,
    )


async def _pull(
    database: Database,
    target: SyncTarget,
    connector: Connector,
    on_progress: ProgressCallback | None,
    outcome: Outcome,
) -> None:
    cursors = await finish_first(_cursors(database, target))
    progress = SyncProgress()
    context = PullContext(started_at=utcnow(), cursors=cursors, full=target.full)
    pending: Batch | None = None
    try:
        async for batch in _read_ahead(connector.pull(context)):
            _check_lease(outcome)
            if pending is not None and not _joinable(pending, batch):
                await _store(database, target, pending, connector.client)
                pending = None
            pending = batch if pending is None else _joined(pending, batch)
            if len(pending.items) >= CHECKPOINT_ITEMS:
                await _store(database, target, pending, connector.client)
                pending = None
            _report(progress, batch, connector.client, on_progress)
    finally:
        # Pages already read are whole, with their cursor: keep them even when
        # the vendor fails on the next one.
        if pending is not None and not outcome.lease_lost:
            await _store(database, target, pending, connector.client)


async def _cursors(database: Database, target: SyncTarget) -> dict[str, str]:
    async with database.job_session() as session:
        return await CursorRepository(session).load(target.connection.id)


async def _read_ahead(batches: AsyncIterator[Batch], depth: int = 2) -> AsyncIterator[Batch]:
    """`batches`, with up to `depth` of them fetched while earlier ones are being
    stored: the vendor's latency and the database's work overlap."""
    queue: asyncio.Queue[Batch | None] = asyncio.Queue(maxsize=depth)

    async def fetch() -> None:
        try:
            async for batch in batches:
                await queue.put(batch)
        finally:
            await queue.put(None)

    fetcher = asyncio.create_task(fetch())
    try:
        while (batch := await queue.get()) is not None:
            yield batch
        await fetcher  # raises what ended the fetching, if anything did
    finally:
        fetcher.cancel()


def _check_lease(outcome: Outcome) -> None:
    if outcome.lease_lost:
        raise VendorError(
            "the sync lost its lease (another worker took the connection over)",
            FailureType.SYSTEM,
        )


def _joinable(first: Batch, then: Batch) -> bool:
    """Pages of one scope, neither a full listing, are stored together."""
    scopes = {b.cursor.scope for b in (first, then) if b.cursor is not None}
    return len(scopes) <= 1 and not first.presence and not then.presence


def _joined(first: Batch, then: Batch) -> Batch:
    return Batch(
        items=first.items + then.items,
        links=first.links + then.links,
        deletions=first.deletions + then.deletions,
        history=first.history + then.history,
        cursor=then.cursor or first.cursor,
    )


def _report(
    progress: SyncProgress, batch: Batch, client: VendorClient, on_progress: ProgressCallback | None
) -> None:
    progress.pages += 1
    progress.items += len(batch.items)
    progress.requests = client.requests
    progress.rate_limit_remaining = client.rate_limit_remaining
    if on_progress is not None:
        on_progress(progress)


async def _store(
    database: Database, target: SyncTarget, batch: Batch, client: VendorClient
) -> None:
    """One checkpoint: the batch, its cursor and the run's counts, in one
    transaction, stored whole even when the sync is cancelled meanwhile."""
    await finish_first(_checkpoint(database, target, batch, client))


async def _checkpoint(
    database: Database, target: SyncTarget, batch: Batch, client: VendorClient
) -> None:
    async with database.job_session() as session:
        result = await ingest(session, target.connection, batch, origin="sync")
        run = await SyncRunRepository(session).get(target.run_id)
        run.fetched += len(batch.items)
        for name in ("created", "updated", "unchanged", "stale", "deleted"):
            setattr(run, name, getattr(run, name) + getattr(result.counts, name))
        run.requests = client.requests


async def _finish(database: Database, target: SyncTarget, outcome: Outcome) -> SyncRunRead:
    async with database.job_session() as session:
        run = await SyncRunRepository(session).get(target.run_id)
        run.status = "failed" if outcome.failure else "succeeded"
        run.failure_type = outcome.failure.value if outcome.failure else None
        run.error = outcome.error
        run.requests = outcome.requests
        run.finished_at = utcnow()
        await LeaseRepository(session).release(target.connection.id, HOLDER)
        finished = SyncRunRead.of(run, target.config.name)
    _observe(target, finished, outcome)
    return finished


def _observe(target: SyncTarget, run: SyncRunRead, outcome: Outcome) -> None:
    source = target.connection.kind
    SYNC_RUNS.labels(source, run.failure_type or "succeeded").inc()
    if run.finished_at is not None:
        SYNC_SECONDS.labels(source).observe((run.finished_at - run.started_at).total_seconds())
    VENDOR_REQUESTS.labels(source).inc(run.requests)
    if outcome.rate_limit_remaining is not None:
        RATE_LIMIT_REMAINING.labels(target.config.name).set(outcome.rate_limit_remaining)


def _scrubbed(message: str, config: ConnectionConfig) -> str:
    for secret in config.secrets():
        if len(secret) >= MIN_SECRET_LENGTH:  # a shorter one would mangle the message
            message = message.replace(secret, "***")
    return message
