"""Alembic steps run by migration tests against a test database."""

from __future__ import annotations

from alembic import command
from sqlalchemy.engine import Connection

from app.db import Database
from app.schema import alembic_config


async def migrate(database: Database, to: str, step: str) -> None:
    """`step` ("upgrade" or "downgrade") the database to revision `to`."""

    def run(connection: Connection) -> None:
        config = alembic_config()
        config.attributes["connection"] = connection
        getattr(command, step)(config, to)

    async with database.writer.begin() as connection:
        await connection.run_sync(run)
