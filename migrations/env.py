"""Alembic environment: runs on a connection handed over by app/schema.py, or,
from the `alembic` command line, on the database BRIDGE_DATABASE_URL names."""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy.engine import Connection

from app.config import Settings
from app.models import Base


def run_on(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


async def run_from_command_line() -> None:
    from app.db import Database

    database = Database(Settings().database_url)
    async with database.writer.begin() as connection:
        await connection.run_sync(run_on)
    await database.dispose()


handed_over = context.config.attributes.get("connection")
if handed_over is not None:
    run_on(handed_over)
else:
    asyncio.run(run_from_command_line())
