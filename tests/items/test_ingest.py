"""ingest() against a real database, on SQLite and on PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import date

import pytest

from app.db import Database
from app.items.identity import item_id
from app.items.ingest import ingest
from app.items.plan import ConnectionRef
from connectors.base.records import Batch, Cursor, Presence
from tests.conftest import add_connection
from tests.factories import at, deletion, link, work_item
from tests.items.helpers import (
    ingest_one,
    stored_cursors,
    stored_events,
    stored_items,
    stored_links,
)


async def test_first_ingest_stores_every_field_and_the_raw_payload(
    database: Database, connection: ConnectionRef
) -> None:
    record = work_item(
        7,
        kind="epic",
        description="Body",
        status="closed",
        status_category="done",
        project="Q3",
        assignees=("ana", "bo"),
        labels=("bug", "p1"),
        estimate=3.5,
        priority="high",
        start_date=date(2026, 3, 1),
        due_date=date(2026, 4, 1),
        parent_external_id="1",
        closed_at=at(3),
        raw={"deep": {"nested": [1, 2, {"x": "é"}]}},
    )
    counts = await ingest_one(database, connection, Batch(items=(record,)))
    assert counts.created == 1
    stored = (await stored_items(database))["7"]
    assert stored.id == item_id(connection.id, "7")
    assert stored.source == "github"
    assert (stored.kind, stored.status, stored.status_category) == ("epic", "closed", "done")
    assert (stored.assignees, stored.labels) == (["ana", "bo"], ["bug", "p1"])
    assert (stored.estimate, stored.priority, stored.project) == (3.5, "high", "Q3")
    assert (stored.start_date, stored.due_date) == (date(2026, 3, 1), date(2026, 4, 1))
    assert stored.parent_id == item_id(connection.id, "1")
    assert (stored.closed_at, stored.source_updated_at) == (at(3), at(0))
    assert stored.raw == {"deep": {"nested": [1, 2, {"x": "é"}]}}
    assert stored.deleted_at is None


async def test_same_batch_twice_changes_nothing(
    database: Database, connection: ConnectionRef
) -> None:
    batch = Batch(items=(work_item(1), work_item(2)))
    await ingest_one(database, connection, batch)
    before = await stored_items(database)
    counts = await ingest_one(database, connection, batch)
    assert (counts.created, counts.updated, counts.unchanged) == (0, 0, 2)
    assert await stored_events(database) == []
    after = await stored_items(database)
    assert {k: v.last_written_at for k, v in after.items()} == {
        k: v.last_written_at for k, v in before.items()
    }


async def test_changes_are_kept_as_field_events_with_vendor_time(
    database: Database, connection: ConnectionRef
) -> None:
    await ingest_one(database, connection, Batch(items=(work_item(1),)))
    changed = work_item(1, 30, status="in review", status_category="in_progress", estimate=5)
    counts = await ingest_one(database, connection, Batch(items=(changed,)), origin="webhook")
    assert counts.updated == 1
    events = {e.field: e for e in await stored_events(database)}
    assert set(events) == {"status", "status_category", "estimate", "updated_at"}
    assert (events["status"].old, events["status"].new) == ("open", "in review")
    assert (events["estimate"].old, events["estimate"].new) == (None, 5)
    assert {e.at for e in events.values()} == {at(30)}
    assert {e.origin for e in events.values()} == {"webhook"}


async def test_older_version_is_counted_stale_and_changes_nothing(
    database: Database, connection: ConnectionRef
) -> None:
    await ingest_one(database, connection, Batch(items=(work_item(1, 10, title="new"),)))
    counts = await ingest_one(database, connection, Batch(items=(work_item(1, 5, title="old"),)))
    assert counts.stale == 1
    assert (await stored_items(database))["1"].title == "new"
    assert await stored_events(database) == []


async def test_deletion_is_a_tombstone_not_a_delete(
    database: Database, connection: ConnectionRef
) -> None:
    await ingest_one(database, connection, Batch(items=(work_item(1), work_item(2))))
    counts = await ingest_one(database, connection, Batch(deletions=(deletion(1, 5),)))
    assert counts.deleted == 1
    items = await stored_items(database)
    assert items["1"].deleted_at == at(5)
    assert items["1"].title == "Issue 1"
    assert items["2"].deleted_at is None
    assert [(e.field, e.old, e.new) for e in await stored_events(database)] == [
        ("deleted", False, True)
    ]


async def test_cursor_is_stored_with_its_batch(
    database: Database, connection: ConnectionRef
) -> None:
    cursor = Cursor(scope="acme/api", value="2026-03-02T09:00:00Z")
    await ingest_one(database, connection, Batch(items=(work_item(1),), cursor=cursor))
    assert await stored_cursors(database) == {"acme/api": "2026-03-02T09:00:00Z"}


async def test_a_failed_transaction_stores_neither_items_nor_cursor(
    database: Database, connection: ConnectionRef
) -> None:
    batch = Batch(items=(work_item(1),), cursor=Cursor(scope="acme/api", value="later"))

    async def crash_before_commit() -> None:
        async with database.job_session() as session:
            await ingest(session, connection, batch, origin="sync")
            raise RuntimeError("crash after ingest, before commit")

    with pytest.raises(RuntimeError):
        await crash_before_commit()
    assert await stored_items(database) == {}
    assert await stored_cursors(database) == {}


async def test_same_external_id_in_two_connections_are_two_items(database: Database) -> None:
    first = await add_connection(database, "one")
    second = await add_connection(database, "two")
    await ingest_one(database, first, Batch(items=(work_item(1, title="A"),)))
    await ingest_one(database, second, Batch(items=(work_item(1, title="B"),)))
    async with database.job_session() as session:
        from sqlalchemy import func, select

        from app.models import WorkItem

        count = (await session.execute(select(func.count()).select_from(WorkItem))).scalar()
    assert count == 2


async def test_vendor_links_follow_what_the_item_states(
    database: Database, connection: ConnectionRef
) -> None:
    items = (work_item(1), work_item(2), work_item(3))
    await ingest_one(database, connection, Batch(items=items, links=(link(1, 2, 1),)))
    # Item 1 now states a link to 3 instead of 2; item 2 says nothing new.
    later = Batch(items=(work_item(1, 5, title="x"),), links=(link(1, 3, 1),))
    await ingest_one(database, connection, later)
    links = await stored_links(database)
    by_target = {link.target_item_id: link for link in links}
    to_two = by_target[item_id(connection.id, "2")]
    to_three = by_target[item_id(connection.id, "3")]
    assert (to_two.created_at, to_two.removed_at) == (at(0), at(5))
    assert (to_three.created_at, to_three.removed_at) == (at(5), None)
    assert {link.origin for link in links} == {"vendor"}


async def test_restated_link_is_kept_not_duplicated(
    database: Database, connection: ConnectionRef
) -> None:
    await ingest_one(database, connection, Batch(items=(work_item(1),), links=(link(1, 2, 1),)))
    again = Batch(items=(work_item(1, 5, title="y"),), links=(link(1, 2, 1),))
    await ingest_one(database, connection, again)
    links = await stored_links(database)
    assert len(links) == 1
    assert links[0].removed_at is None


async def test_item_that_cannot_state_links_keeps_them(
    database: Database, connection: ConnectionRef
) -> None:
    await ingest_one(database, connection, Batch(items=(work_item(1),), links=(link(1, 2, 1),)))
    silent = work_item(1, 5, title="z", states_links=False)
    await ingest_one(database, connection, Batch(items=(silent,)))
    assert [link.removed_at for link in await stored_links(database)] == [None]


async def test_deleted_item_ends_the_links_it_stated(
    database: Database, connection: ConnectionRef
) -> None:
    await ingest_one(database, connection, Batch(items=(work_item(1),), links=(link(1, 2, 1),)))
    await ingest_one(database, connection, Batch(deletions=(deletion(1, 9),)))
    assert [link.removed_at for link in await stored_links(database)] == [at(9)]


async def test_concurrent_ingests_of_one_item_record_each_change_once(
    database: Database, connection: ConnectionRef
) -> None:
    await ingest_one(database, connection, Batch(items=(work_item(1),)))
    newer = Batch(items=(work_item(1, 5, title="concurrent"),))
    results = await asyncio.gather(*(ingest_one(database, connection, newer) for _ in range(4)))
    assert sum(r.updated for r in results) == 1
    assert sum(r.unchanged for r in results) == 3
    titles = [e for e in await stored_events(database) if e.field == "title"]
    assert len(titles) == 1


async def test_full_listing_tombstones_what_it_lacks_in_that_scope_only(
    database: Database, connection: ConnectionRef
) -> None:
    api = tuple(work_item(n, n, scope="acme/api") for n in (1, 2, 3))
    web = (work_item(9, 1, scope="acme/web"),)
    await ingest_one(database, connection, Batch(items=api + web))
    listing = Presence(scope="acme/api", external_ids=frozenset({"1", "3"}), listed_at=at(60))
    counts = await ingest_one(database, connection, Batch(presence=(listing,)))
    assert counts.deleted == 1
    items = await stored_items(database)
    assert items["2"].deleted_at == at(60)
    assert [items[k].deleted_at for k in ("1", "3", "9")] == [None, None, None]


async def test_full_listing_spares_items_changed_after_it_began(
    database: Database, connection: ConnectionRef
) -> None:
    await ingest_one(database, connection, Batch(items=(work_item(1, 90, scope="acme/api"),)))
    listing = Presence(scope="acme/api", external_ids=frozenset(), listed_at=at(60))
    counts = await ingest_one(database, connection, Batch(presence=(listing,)))
    assert counts.deleted == 0
    assert (await stored_items(database))["1"].deleted_at is None
