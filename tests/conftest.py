"""Test databases: every store test runs on SQLite and on PostgreSQL.

SQLite: a migrated template file, copied for each test. PostgreSQL: a database
of this run's own (created on the server named by ISSUEBRIDGE_TEST_POSTGRES,
default the local `test` one), migrated once and emptied before each test.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path

import asyncpg
import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.engine import make_url

from app.config import Settings
from app.db import Database
from app.items.plan import ConnectionRef
from app.main import create_app
from app.models import Base, Connection
from app.schema import upgrade_to_head

POSTGRES_SERVER = os.environ.get(
    "ISSUEBRIDGE_TEST_POSTGRES", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
)
SECRET_KEY = "test-secret-key"
TABLES = [table.name for table in reversed(Base.metadata.sorted_tables)]


async def _migrate(url: str) -> None:
    database = Database(url)
    await upgrade_to_head(database)
    await database.dispose()


def _plain(url: str) -> str:
    """asyncpg wants postgresql://, SQLAlchemy postgresql+asyncpg://."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "bridge.db"
    asyncio.run(_migrate(f"sqlite+aiosqlite:///{path}"))
    return path


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    name = f"issuebridge_test_{os.getpid()}_{uuid.uuid4().hex[:8]}"

    async def admin(statement: str) -> None:
        connection = await asyncpg.connect(_plain(POSTGRES_SERVER))
        try:
            await connection.execute(statement)
        finally:
            await connection.close()

    asyncio.run(admin(f'CREATE DATABASE "{name}"'))
    url = make_url(POSTGRES_SERVER).set(database=name).render_as_string(hide_password=False)
    asyncio.run(_migrate(url))
    yield url
    asyncio.run(admin(f'DROP DATABASE "{name}" WITH (FORCE)'))


async def wipe(database: Database) -> None:
    async with database.writer.begin() as connection:
        if database.is_sqlite:
            for table in TABLES:
                await connection.execute(text(f"DELETE FROM {table}"))
        else:
            await connection.execute(text(f"TRUNCATE {', '.join(TABLES)} RESTART IDENTITY"))


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The URL of an empty, migrated database of each kind."""
    if request.param == "sqlite":
        path = tmp_path / "bridge.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        return f"sqlite+aiosqlite:///{path}"
    url: str = request.getfixturevalue("postgres_url")
    asyncio.run(_wipe_url(url))
    return url


async def _wipe_url(url: str) -> None:
    database = Database(url)
    await wipe(database)
    await database.dispose()


@pytest.fixture
async def database(db_url: str) -> AsyncIterator[Database]:
    database = Database(db_url)
    yield database
    await database.dispose()


async def add_connection(
    database: Database, name: str = "acme", kind: str = "github"
) -> ConnectionRef:
    async with database.job_session() as session:
        connection = Connection(
            name=name,
            kind=kind,
            base_url="https://api.github.com",
            scopes=[],
            team=None,
            settings={},
        )
        session.add(connection)
        await session.flush()
        return ConnectionRef(connection.id, connection.kind)


@pytest.fixture
async def connection(database: Database) -> ConnectionRef:
    return await add_connection(database)


def settings_for(db_url: str, **overrides: object) -> Settings:
    values = {"database_url": db_url, "secret_key": SECRET_KEY, "scheduler": False} | overrides
    return Settings(**values)  # type: ignore[arg-type]


@pytest.fixture
def settings(db_url: str) -> Settings:
    return settings_for(db_url)


async def started(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bridge.test") as client:
            yield client


@pytest.fixture
async def client(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    async for client in started(create_app(settings)):
        yield client


@pytest.fixture
def client_factory(settings: Settings) -> Callable[..., Awaitable[None]]:
    """For sync tests: run `work(client)` against a started app, in a fresh loop."""

    async def run(work: Callable[[httpx.AsyncClient], Awaitable[None]]) -> None:
        async for client in started(create_app(settings)):
            await work(client)

    return run
