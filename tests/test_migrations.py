"""The migrations build exactly the schema the models describe, on both databases."""

from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection

from app.db import Database
from app.models import Base
from app.schema import alembic_config, head_revision, is_current, upgrade_to_head
from tests.conftest import wipe


def _drift(connection: Connection) -> list[object]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, Base.metadata))


async def test_upgrade_from_empty_leaves_no_drift(database: Database) -> None:
    async with database.engine.connect() as connection:
        assert await connection.run_sync(_drift) == []
    assert await is_current(database)


async def test_upgrade_is_idempotent(database: Database) -> None:
    await upgrade_to_head(database)
    await upgrade_to_head(database)
    assert await is_current(database)


async def test_downgrade_to_base_and_up_again(database: Database) -> None:
    await wipe(database)

    def downgrade(connection: Connection) -> None:
        config = alembic_config()
        config.attributes["connection"] = connection
        command.downgrade(config, "base")

    async with database.writer.begin() as connection:
        await connection.run_sync(downgrade)
    async with database.engine.connect() as connection:
        tables = await connection.run_sync(lambda c: inspect(c).get_table_names())
        assert set(tables) <= {"alembic_version"}
    await upgrade_to_head(database)
    async with database.engine.connect() as connection:
        assert await connection.run_sync(_drift) == []
        version = (
            await connection.execute(text("SELECT version_num FROM alembic_version"))
        ).scalar()
    assert version == head_revision()
