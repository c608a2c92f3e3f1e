"""Run one sync of one connection: pull batches, store each with its cursor.

Every batch is ingested and committed together with its cursor and the run's
live counts, so a crash loses at most the batch in flight and the next run
resumes from the last checkpoint. The run is a sync_runs row from the start,
so a running sync shows its progress.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import httpx

from app.connections.service import connector_config
from app.credentials import CredentialVault
from app.db import Database
from app.items.ingest import ingest
from app.items.plan import ConnectionRef
from app.models.base import utcnow
from app.sync.repository import CursorRepository, SyncRunRepository
from app.sync.schemas import SyncRunRead
from connectors import get_connector
from connectors.base.contract import ConnectionConfig, Connector, PullContext
from connectors.base.http import (
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
    run_id: uuid.UUID
    connection: ConnectionRef
    config: ConnectionConfig


async def run_sync(
    database: Database,
    vault: CredentialVault,
    name: str,
    *,
    full: bool = False,
    http: HttpOptions | None = None,
    on_progress: ProgressCallback | None = None,
) -> SyncRunRead:
    """Sync connection `name` now; the run ends succeeded or failed, never running."""
    target = await _start(database, vault, name, full=full)
    outcome = Outcome()
    try:
        connector_class = get_connector(target.config.kind)
        async with _client(connector_class, target, http or HttpOptions()) as client:
            try:
                connector = connector_class(target.config, client)
                await _pull(database, target, connector, full, on_progress)
            finally:
                outcome.requests = client.requests
    except VendorError as error:
        outcome.failure, outcome.error = error.failure_type, error.message
    except Exception as error:  # a bug: recorded on the run and logged in full
        log.exception("sync of %s failed unexpectedly", name)
        outcome.failure = FailureType.SYSTEM
        outcome.error = _scrubbed(f"internal error: {type(error).__name__}: {error}", target.config)
    return await _finish(database, target, outcome)


@dataclass
class Outcome:
    requests: int = 0
    failure: FailureType | None = None
    error: str | None = None


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
        cache=CONDITIONAL_CACHE,
        cache_namespace=str(target.connection.id),
        transport=http.transport,
        sleep=http.sleep,
        clock=http.clock,
    )


async def _start(
    database: Database, vault: CredentialVault, name: str, *, full: bool
) -> SyncTarget:
    async with database.job_session() as session:
        connection, config = await connector_config(session, vault, name)
        run = await SyncRunRepository(session).start(connection.id, full=full)
        return SyncTarget(run.id, ConnectionRef(connection.id, connection.kind), config)


async def _pull(
    database: Database,
    target: SyncTarget,
    connector: Connector,
    full: bool,
    on_progress: ProgressCallback | None,
) -> None:
    async with database.job_session() as session:
        cursors = await CursorRepository(session).load(target.connection.id)
    progress = SyncProgress()
    context = PullContext(started_at=utcnow(), cursors=cursors, full=full)
    async for batch in connector.pull(context):
        await _store(database, target, batch, connector.client)
        progress.pages += 1
        progress.items += len(batch.items)
        progress.requests = connector.client.requests
        progress.rate_limit_remaining = connector.client.rate_limit_remaining
        if on_progress is not None:
            on_progress(progress)


async def _store(
    database: Database, target: SyncTarget, batch: Batch, client: VendorClient
) -> None:
    """One checkpoint: the batch, its cursor and the run's counts, in one transaction."""
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
        return SyncRunRead.of(run, target.config.name)


def _scrubbed(message: str, config: ConnectionConfig) -> str:
    for secret in config.secrets():
        message = message.replace(secret, "***")
    return message
