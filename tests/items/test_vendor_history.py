"""The vendor's own record of past changes (Jira's changelog, Linear's updatedFrom)
stored as history by ingest(), on SQLite and on PostgreSQL."""

from __future__ import annotations

from typing import Any

from app.db import Database
from app.items.identity import item_id
from app.items.plan import ConnectionRef
from connectors.base.records import Batch, FieldChange
from tests.factories import at, work_item
from tests.items.helpers import ingest_one, stored_events, stored_items


def change(
    number: int, change_id: str, field: Any, old: Any, new: Any, minute: float
) -> FieldChange:
    return FieldChange(
        external_id=str(number), change_id=change_id, field=field, old=old, new=new, at=at(minute)
    )


async def test_changelog_of_a_new_item_becomes_its_past(
    database: Database, connection: ConnectionRef
) -> None:
    record = work_item(1, 30, status="In Progress", status_category="in_progress", sprint="S2")
    history = (
        change(1, "100:status", "status", "To Do", "In Progress", 10),
        change(1, "101:sprint", "sprint", "S1", "S2", 20),
        change(1, "101:parent", "parent", None, "9", 20),
    )
    counts = await ingest_one(database, connection, Batch(items=(record,), history=history))
    assert counts.created == 1
    assert (await stored_items(database))["1"].sprint == "S2"
    events = [(e.field, e.old, e.new, e.at, e.origin) for e in await stored_events(database)]
    assert events == [
        ("status", "To Do", "In Progress", at(10), "vendor_changelog"),
        ("sprint", "S1", "S2", at(20), "vendor_changelog"),
        ("parent_id", None, str(item_id(connection.id, "9")), at(20), "vendor_changelog"),
    ]


async def test_a_change_read_again_is_kept_once(
    database: Database, connection: ConnectionRef
) -> None:
    history = (change(1, "100:status", "status", "To Do", "Done", 10),)
    await ingest_one(database, connection, Batch(items=(work_item(1, 10),), history=history))
    again = (*history, change(1, "100:status", "status", "To Do", "Done", 10))
    await ingest_one(database, connection, Batch(items=(work_item(1, 10),), history=again))
    assert [(e.field, e.new) for e in await stored_events(database)] == [("status", "Done")]


async def test_a_recorded_change_is_not_also_diffed(
    database: Database, connection: ConnectionRef
) -> None:
    """The changelog says how status moved; ingest still records what it alone saw."""
    await ingest_one(database, connection, Batch(items=(work_item(1, 0, status="To Do"),)))
    newer = work_item(1, 30, status="Done", status_category="done", estimate=3)
    history = (change(1, "200:status", "status", "To Do", "Done", 25),)
    await ingest_one(database, connection, Batch(items=(newer,), history=history))
    events = {(e.field, e.origin): (e.old, e.new, e.at) for e in await stored_events(database)}
    assert events[("status", "vendor_changelog")] == ("To Do", "Done", at(25))
    assert ("status", "sync") not in events
    # The category moved with the recorded status change, when it happened.
    assert events[("status_category", "sync")] == ("todo", "done", at(25))
    assert events[("estimate", "sync")] == (None, 3, at(30))


async def test_a_diffed_category_change_shares_the_id_of_the_status_change_that_made_it(
    database: Database, connection: ConnectionRef
) -> None:
    """A webhook carries the status change but not its category: ingest's diff finds
    the category change and gives it the id the changelog gives it when read later."""
    await ingest_one(database, connection, Batch(items=(work_item(1, 0, status="To Do"),)))
    done = work_item(1, 30, status="Done", status_category="done")
    status = change(1, "200:status", "status", "To Do", "Done", 30)
    hook = Batch(items=(done,), history=(status,))
    await ingest_one(database, connection, hook, origin="webhook")
    category = change(1, "200:status>status_category", "status_category", "todo", "done", 30)
    await ingest_one(database, connection, Batch(items=(done,), history=(status, category)))
    events = [(e.field, e.origin, e.change_id) for e in await stored_events(database)
              if e.field != "updated_at"]  # fmt: skip
    assert sorted(events) == [
        ("status", "vendor_changelog", "200:status"),
        ("status_category", "webhook", "200:status>status_category"),
    ]


async def test_a_category_change_read_first_is_not_diffed_again_by_a_webhook(
    database: Database, connection: ConnectionRef
) -> None:
    await ingest_one(database, connection, Batch(items=(work_item(1, 0, status="To Do"),)))
    done = work_item(1, 30, status="Done", status_category="done")
    status = change(1, "200:status", "status", "To Do", "Done", 30)
    category = change(1, "200:status>status_category", "status_category", "todo", "done", 30)
    await ingest_one(database, connection, Batch(items=(done,), history=(status, category)))
    hook = Batch(items=(done,), history=(status,))
    await ingest_one(database, connection, hook, origin="webhook")
    events = [(e.field, e.origin, e.change_id) for e in await stored_events(database)
              if e.field != "updated_at"]  # fmt: skip
    assert sorted(events) == [
        ("status", "vendor_changelog", "200:status"),
        ("status_category", "vendor_changelog", "200:status>status_category"),
    ]


async def test_a_change_older_than_the_stored_version_does_not_hide_a_new_diff(
    database: Database, connection: ConnectionRef
) -> None:
    await ingest_one(database, connection, Batch(items=(work_item(1, 20, status="A"),)))
    history = (change(1, "1:status", "status", "X", "A", 5),)
    await ingest_one(
        database, connection, Batch(items=(work_item(1, 30, status="B"),), history=history)
    )
    events = {(e.field, e.origin): (e.old, e.new) for e in await stored_events(database)}
    assert events[("status", "sync")] == ("A", "B")
    assert events[("status", "vendor_changelog")] == ("X", "A")


async def test_history_of_an_unknown_item_is_dropped(
    database: Database, connection: ConnectionRef
) -> None:
    history = (change(404, "1:status", "status", "A", "B", 5),)
    counts = await ingest_one(database, connection, Batch(history=history))
    assert counts.created == 0
    assert await stored_events(database) == []


async def test_history_of_a_stored_item_may_come_alone(
    database: Database, connection: ConnectionRef
) -> None:
    await ingest_one(database, connection, Batch(items=(work_item(1, 0),)))
    history = (change(1, "7:assignees", "assignees", [], ["ana"], 5),)
    await ingest_one(database, connection, Batch(history=history), origin="webhook")
    assert [(e.field, e.old, e.new) for e in await stored_events(database)] == [
        ("assignees", [], ["ana"])
    ]


async def test_a_sprint_change_is_history(database: Database, connection: ConnectionRef) -> None:
    await ingest_one(database, connection, Batch(items=(work_item(1, 0, sprint="S1"),)))
    await ingest_one(database, connection, Batch(items=(work_item(1, 5, sprint="S2"),)))
    assert ("sprint", "S1", "S2") in [
        (e.field, e.old, e.new) for e in await stored_events(database)
    ]
