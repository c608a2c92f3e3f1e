"""Engines, session factories and the only two commit points: one per request, one per job."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import orjson
from sqlalchemy import Table, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection as SyncConnection
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

SQLITE_PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA synchronous=NORMAL",
    "PRAGMA foreign_keys=ON",
    "PRAGMA busy_timeout=30000",
)


def _json_dumps(value: Any) -> str:
    return orjson.dumps(value).decode()


def _json_loads(value: Any) -> Any:
    # SQLite gives a JSON column NUMERIC affinity: a stored number comes back a number.
    return orjson.loads(value) if isinstance(value, str | bytes) else value


class Database:
    """One database: an engine for reads and requests, and a writer for jobs.

    On SQLite the writer opens its transactions with BEGIN IMMEDIATE, so a job
    that reads before it writes (ingest's pre-read) holds the write lock from the
    start instead of failing on a snapshot another process moved on.
    """

    def __init__(self, url: str) -> None:
        self.url = make_url(url)
        self.engine = create_async_engine(url, **self._engine_options())
        if self.is_sqlite:
            _tune_sqlite(self.engine)
        self.writer = self.engine.execution_options(sqlite_immediate=True)
        self._request_sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        self._job_sessions = async_sessionmaker(self.writer, expire_on_commit=False)

    @property
    def is_sqlite(self) -> bool:
        return self.url.get_backend_name() == "sqlite"

    def _engine_options(self) -> dict[str, Any]:
        options: dict[str, Any] = {
            "json_serializer": _json_dumps,
            "json_deserializer": _json_loads,
        }
        if not self.is_sqlite:
            options |= {
                "pool_size": 10,
                "max_overflow": 10,
                "pool_pre_ping": True,
                # PostgreSQL's JIT compiles any query it thinks costly; the roadmap's
                # walk over a million items spent longer compiling (~1.8 s) than running.
                "connect_args": {"server_settings": {"jit": "off"}},
            }
        return options

    @asynccontextmanager
    async def job_session(self) -> AsyncIterator[AsyncSession]:
        """The commit point of a job or CLI command: commit on success, roll back on error."""
        async with self._job_sessions() as session:
            yield session
            await session.commit()

    @asynccontextmanager
    async def request_session(self, *, writes: bool) -> AsyncIterator[AsyncSession]:
        """The commit point of an HTTP request (see `session_for_request`). A
        request that may write takes the writer, like a job."""
        sessions = self._job_sessions if writes else self._request_sessions
        async with sessions() as session:
            yield session
            await session.commit()

    async def dispose(self) -> None:
        await self.engine.dispose()


def _tune_sqlite(engine: AsyncEngine) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control from the sqlite3 module, so BEGIN is ours.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        for pragma in SQLITE_PRAGMAS:
            cursor.execute(pragma)
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: SyncConnection) -> None:
        immediate = connection.get_execution_options().get("sqlite_immediate", False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def dialect_of(executor: AsyncSession | AsyncConnection) -> str:
    if isinstance(executor, AsyncConnection):
        return executor.dialect.name
    bind = executor.bind
    assert bind is not None, "sessions are always bound to an engine"
    return bind.dialect.name


def upsert_insert(
    executor: AsyncSession | AsyncConnection, table: Table
) -> postgresql.Insert | sqlite.Insert:
    """An INSERT that supports ON CONFLICT, in the dialect of the session or connection."""
    if dialect_of(executor) == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)
