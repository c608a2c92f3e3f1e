"""The database schema's version: upgrade to the newest, and tell whether it is current."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.engine import Connection

import migrations
from app.db import Database

# Any constant works; it only has to be the same for every Issuebridge process.
MIGRATION_LOCK_ID = 0x1B51D6E


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(Path(migrations.__file__).parent))
    return config


@cache
def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


async def upgrade_to_head(database: Database) -> None:
    """Idempotent; safe when several processes start at once (they take turns)."""
    async with database.writer.begin() as connection:
        if not database.is_sqlite:
            await connection.execute(
                text("SELECT pg_advisory_xact_lock(:id)"), {"id": MIGRATION_LOCK_ID}
            )
        await connection.run_sync(_upgrade)


def _upgrade(connection: Connection) -> None:
    config = alembic_config()
    config.attributes["connection"] = connection
    command.upgrade(config, "head")


async def is_current(database: Database) -> bool:
    async with database.engine.connect() as connection:
        revision = await connection.run_sync(
            lambda sync: MigrationContext.configure(sync).get_current_revision()
        )
    return revision is not None and revision == head_revision()
