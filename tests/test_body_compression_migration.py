"""Migration 0010 has PostgreSQL compress webhook bodies with lz4, and its
downgrade gives them back to the server's default (PostgreSQL only: SQLite does
not compress)."""

from __future__ import annotations

from sqlalchemy import text

from app.db import Database
from tests.migration_steps import migrate

BEFORE = "5e0c3a9f71b4"  # 0009, the last revision without it

COMPRESSION = """
SELECT attcompression::text FROM pg_attribute
WHERE attrelid = 'webhook_deliveries'::regclass AND attname = 'body'
"""


async def _body_compression(database: Database) -> str:
    async with database.engine.connect() as connection:
        return str((await connection.execute(text(COMPRESSION))).scalar_one())


async def test_bodies_are_compressed_with_lz4_then_back_to_the_default(postgres_url: str) -> None:
    database = Database(postgres_url)
    try:
        assert await _body_compression(database) == "l"  # lz4
        await migrate(database, BEFORE, "downgrade")
        assert await _body_compression(database) == ""  # default_toast_compression
        await migrate(database, "head", "upgrade")
        assert await _body_compression(database) == "l"
    finally:
        await database.dispose()
