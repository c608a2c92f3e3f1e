"""The group insert of received deliveries, straight through each database's driver.

It runs for every group the writer commits (writer.py), while the event loop is at
its busiest, and every step of it that goes through the loop waits behind the
requests queued there. Through SQLAlchemy's async adaptation a group took six
hops to aiosqlite's thread on SQLite (begin, execute, fetch, close, commit) and
four round trips on PostgreSQL (pre-ping, BEGIN, INSERT, COMMIT), each hop also
costing the loop CPU. Here a group is one hop to a thread that runs the whole
transaction on SQLite, and one statement committing on its own on PostgreSQL.
Either way the call returns only once the group is committed.

Each database stores the columns as the ORM does (SQLite: SQLAlchemy's own bind
processors), so the inbox reads these rows like any other.
"""

from __future__ import annotations

import asyncio
import sqlite3
import uuid
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

import orjson
from sqlalchemy.ext.asyncio import AsyncConnection

from app.db import SQLITE_PRAGMAS, Database
from app.models import WebhookDelivery
from app.models.base import table_of

deliveries = table_of(WebhookDelivery)


@dataclass(frozen=True, slots=True)
class NewDelivery:
    """A verified delivery to store: pending, never tried, due at once."""

    id: uuid.UUID
    connection_id: uuid.UUID
    delivery_id: str
    headers: dict[str, str]
    body: bytes
    received_at: datetime

    @property
    def key(self) -> tuple[str, str]:
        """What makes a delivery a duplicate, and the order groups lock rows in."""
        return str(self.connection_id), self.delivery_id


class GroupInsert(Protocol):
    async def insert(self, group: Sequence[NewDelivery]) -> set[uuid.UUID]:
        """Commit every delivery of `group` unless one with its key is stored, also
        earlier in `group`; the ids of those that were new."""

    async def close(self) -> None: ...


def group_insert_for(database: Database) -> GroupInsert:
    return SqliteGroupInsert(database) if database.is_sqlite else PostgresGroupInsert(database)


# --- SQLite: one connection of its own, used from one thread of its own ----------------

SQLITE_INSERT = """
INSERT INTO webhook_deliveries
    (id, connection_id, delivery_id, headers, body, status, attempts,
     received_at, next_attempt_at)
VALUES (?1, ?2, ?3, ?4, ?5, 'pending', 0, ?6, ?6)
ON CONFLICT (connection_id, delivery_id) DO NOTHING
"""


class SqliteGroupInsert:
    def __init__(self, database: Database) -> None:
        self._path = database.url.database or ""
        self._encode = _sqlite_encoder(database)
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="webhook-inserts")
        self._connection: sqlite3.Connection | None = None

    async def insert(self, group: Sequence[NewDelivery]) -> set[uuid.UUID]:
        return await asyncio.get_running_loop().run_in_executor(self._thread, self._insert, group)

    async def close(self) -> None:
        await asyncio.get_running_loop().run_in_executor(self._thread, self._disconnect)
        self._thread.shutdown()

    def _insert(self, group: Sequence[NewDelivery]) -> set[uuid.UUID]:
        connection = self._connection or self._connect()
        # IMMEDIATE: take the write lock now (waiting up to busy_timeout for other
        # writers) rather than fail at the first INSERT on a moved-on snapshot.
        connection.execute("BEGIN IMMEDIATE")
        try:
            new = {d.id for d in group if self._inserted(connection, d)}
            connection.execute("COMMIT")
        except BaseException:
            connection.execute("ROLLBACK")
            raise
        return new

    def _inserted(self, connection: sqlite3.Connection, delivery: NewDelivery) -> bool:
        return connection.execute(SQLITE_INSERT, self._encode(delivery)).rowcount == 1

    def _connect(self) -> sqlite3.Connection:
        # isolation_level=None: the sqlite3 module opens no transaction of its own.
        connection = sqlite3.connect(self._path, isolation_level=None)
        for pragma in SQLITE_PRAGMAS:
            connection.execute(pragma)
        self._connection = connection
        return connection

    def _disconnect(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None


def _sqlite_encoder(database: Database) -> Callable[[NewDelivery], tuple[Any, ...]]:
    """A delivery as SQLITE_INSERT's parameters, in the formats SQLAlchemy writes."""
    dialect = database.engine.dialect
    columns = ("id", "connection_id", "headers", "received_at")
    to_id, to_connection, to_headers, to_time = (
        deliveries.c[name].type.dialect_impl(dialect).bind_processor(dialect) or _same
        for name in columns
    )

    def encode(d: NewDelivery) -> tuple[Any, ...]:
        return (to_id(d.id), to_connection(d.connection_id), d.delivery_id,
                to_headers(d.headers), d.body, to_time(d.received_at))  # fmt: skip

    return encode


def _same(value: Any) -> Any:
    return value


# --- PostgreSQL: one autocommitted statement per group ---------------------------------

POSTGRES_INSERT = """
INSERT INTO webhook_deliveries
    (id, connection_id, delivery_id, headers, body, status, attempts,
     received_at, next_attempt_at)
SELECT id, connection_id, delivery_id, headers::jsonb, body, 'pending', 0,
       received_at, received_at
FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::bytea[], $6::timestamptz[])
    AS d (id, connection_id, delivery_id, headers, body, received_at)
ON CONFLICT (connection_id, delivery_id) DO NOTHING
RETURNING id
"""


class PostgresGroupInsert:
    """Groups may be written concurrently (writer.py lets a few commit at once):
    each borrows one of the connections this keeps checked out of the engine's
    pool, so no group pays for a checkout's pre-ping."""

    def __init__(self, database: Database) -> None:
        self._engine = database.engine
        self._idle: list[AsyncConnection] = []

    async def insert(self, group: Sequence[NewDelivery]) -> set[uuid.UUID]:
        connection = self._idle.pop() if self._idle else await self._engine.connect()
        try:
            raw = (await connection.get_raw_connection()).driver_connection
            assert raw is not None, "a checked-out connection has its driver's connection"
            # A single statement outside a transaction commits on its own: the group
            # is durable when its RETURNING rows arrive.
            rows = await raw.fetch(POSTGRES_INSERT, *_columns(group))
        except BaseException:
            await connection.invalidate()  # its state is unknown: never reuse it
            await connection.close()
            raise
        self._idle.append(connection)
        return {uuid.UUID(bytes=row[0].bytes) for row in rows}

    async def close(self) -> None:
        while self._idle:
            await self._idle.pop().close()


def _columns(group: Sequence[NewDelivery]) -> tuple[list[Any], ...]:
    """The group as unnest()'s arrays, one per column."""
    return (
        [d.id for d in group],
        [d.connection_id for d in group],
        [d.delivery_id for d in group],
        [orjson.dumps(d.headers).decode() for d in group],
        [d.body for d in group],
        [d.received_at for d in group],
    )
