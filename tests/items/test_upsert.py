"""The work_items upsert at driver level (app/items/upsert.py): what it stores,
upserted or (rows known absent, on PostgreSQL) copied in, is what the ORM reads
back, and it never replaces a newer stored version."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from app.db import Database
from app.items.plan import ConnectionRef, record_row, tombstone_row
from app.items.upsert import upsert_rows
from app.models.base import utcnow
from tests.factories import at, deletion, work_item
from tests.items.helpers import stored_items


@pytest.mark.parametrize("known_absent", [False, True], ids=["upserted", "copied"])
async def test_every_column_is_stored_as_the_orm_reads_it(
    database: Database, connection: ConnectionRef, known_absent: bool
) -> None:
    record = work_item(
        7, 3, assignees=("ada", "bob"), labels=("bug",), estimate=2.5, priority="P1",
        start_date=date(2026, 1, 5), due_date=date(2026, 2, 1), parent_external_id="6",
        sprint="S1", closed_at=at(4), description="Steps\nto reproduce",
    )  # fmt: skip
    now = utcnow()
    rows = [record_row(connection, record), tombstone_row(connection, deletion(8, 5))]
    async with database.job_session() as session:
        absent = {row["id"] for row in rows} if known_absent else set()
        await upsert_rows(session, rows, now, absent)
    stored = await stored_items(database)
    for row in rows:
        item = stored[row["external_id"]]
        assert {name: getattr(item, name) for name in row} == row
        assert item.first_seen_at == item.last_written_at == now


async def test_an_older_version_never_replaces_a_newer_one(
    database: Database, connection: ConnectionRef
) -> None:
    newer = record_row(connection, work_item(7, 10, title="Newer"))
    older = record_row(connection, work_item(7, 5, title="Older"))
    first = utcnow()
    async with database.job_session() as session:
        await upsert_rows(session, [newer], first)
    async with database.job_session() as session:
        await upsert_rows(session, [older], first + timedelta(minutes=1))
    item = (await stored_items(database))["7"]
    assert (item.title, item.source_updated_at, item.last_written_at) == ("Newer", at(10), first)
