"""Property: whatever the order, duplication and batching of deliveries, the
store ends equal to the newest version of each item, with each change in its
history once, and nothing lost. On SQLite and on PostgreSQL."""

from __future__ import annotations

import asyncio
import itertools
from dataclasses import dataclass
from typing import Any

import orjson
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.db import Database
from app.items.plan import TRACKED_FIELDS, jsonable, record_row
from connectors.base.records import Batch, Deletion, WorkItem
from tests.conftest import add_connection, wipe
from tests.factories import at, deletion, work_item
from tests.items.helpers import ingest_one, stored_events, stored_items

Delivery = WorkItem | Deletion


@dataclass
class Scenario:
    versions: dict[str, list[WorkItem]]  # per item, oldest first
    deletions: dict[str, Deletion]  # items deleted after their last version
    deliveries: list[Delivery]
    batch_sizes: list[int]
    in_order: bool


@st.composite
def item_versions(draw: st.DrawFn, number: int) -> list[WorkItem]:
    minutes = draw(st.lists(st.integers(0, 500), min_size=1, max_size=5, unique=True))
    return [
        work_item(
            number,
            minute,
            title=draw(st.sampled_from(["Fix login", "Fix login!", "Refactor"])),
            status_category=draw(st.sampled_from(["todo", "in_progress", "done"])),
            labels=tuple(draw(st.lists(st.sampled_from(["bug", "ui", "p1"]), unique=True))),
            estimate=draw(st.sampled_from([None, 1.0, 3.0, 8.0])),
        )
        for minute in sorted(minutes)
    ]


@st.composite
def scenarios(draw: st.DrawFn) -> Scenario:
    count = draw(st.integers(1, 4))
    versions = {str(n): draw(item_versions(n)) for n in range(1, count + 1)}
    deleted = {
        key: deletion(key, (history[-1].source_updated_at - at(0)).total_seconds() / 60 + 1)
        for key, history in versions.items()
        if draw(st.booleans())
    }
    deliveries: list[Delivery] = [v for history in versions.values() for v in history]
    deliveries += list(deleted.values())
    deliveries = [d for d in deliveries for _ in range(draw(st.integers(1, 3)))]
    in_order = draw(st.booleans())
    if in_order:
        deliveries.sort(key=_time)
    else:
        deliveries = draw(st.permutations(deliveries))
    sizes = draw(st.lists(st.integers(1, 6), min_size=len(deliveries), max_size=len(deliveries)))
    return Scenario(versions, deleted, deliveries, sizes, in_order)


def _j(value: Any) -> str:
    """A value as JSON text: comparable and hashable, whatever its type. JSON has
    one number type (and SQLite hands back a whole float as an integer)."""
    value = jsonable(value)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return orjson.dumps(value).decode()


def _time(delivery: Delivery) -> Any:
    return delivery.deleted_at if isinstance(delivery, Deletion) else delivery.source_updated_at


def _batches(scenario: Scenario) -> list[Batch]:
    batches, rest = [], list(scenario.deliveries)
    for size in scenario.batch_sizes:
        if not rest:
            break
        chunk, rest = rest[:size], rest[size:]
        items = tuple(d for d in chunk if isinstance(d, WorkItem))
        deletions = tuple(d for d in chunk if isinstance(d, Deletion))
        batches.append(Batch(items=items, deletions=deletions))
    return batches


def _changes(history: list[WorkItem], connection: Any) -> list[tuple[str, Any, Any, Any]]:
    """Every real change between consecutive versions, as (field, old, new, at)."""
    rows = [record_row(connection, version) for version in history]
    return [
        (name, _j(before[name]), _j(after[name]), after["source_updated_at"])
        for before, after in itertools.pairwise(rows)
        for name in TRACKED_FIELDS
        if before[name] != after[name]
    ]


def _possible_changes(history: list[WorkItem], connection: Any) -> set[tuple[str, str, str, Any]]:
    """Any net change from one version to a later one: what may be recorded when
    the versions between them arrive late (stale) or never."""
    rows = [record_row(connection, version) for version in history]
    return {
        (name, _j(before[name]), _j(after[name]), after["source_updated_at"])
        for k, after in enumerate(rows)
        for before in rows[:k]
        for name in TRACKED_FIELDS
        if before[name] != after[name]
    }


async def _run(db_url: str, scenario: Scenario) -> None:
    database = Database(db_url)
    try:
        await wipe(database)
        connection = await add_connection(database)
        for batch in _batches(scenario):
            await ingest_one(database, connection, batch)
        stored = await stored_items(database)
        events = await stored_events(database)
    finally:
        await database.dispose()

    assert set(stored) == set(scenario.versions), "every item is stored"
    for key, history in scenario.versions.items():
        row = stored[key]
        newest = history[-1]
        if key in scenario.deletions:
            assert row.deleted_at == scenario.deletions[key].deleted_at
            continue
        assert row.deleted_at is None
        expected = record_row(connection, newest)
        for name in (*TRACKED_FIELDS, "source_updated_at", "raw"):
            assert getattr(row, name) == expected[name], name

    by_item: dict[Any, list[tuple[str, Any, Any, Any]]] = {}
    for event in events:
        change = (event.field, _j(event.old), _j(event.new), event.at)
        by_item.setdefault(event.item_id, []).append(change)
    for key, history in scenario.versions.items():
        item = record_row(connection, history[0])["id"]
        recorded = by_item.get(item, [])
        field_changes = [e for e in recorded if e[0] != "deleted"]
        assert len(set(recorded)) == len(recorded), "no change is recorded twice"
        assert set(field_changes) <= _possible_changes(history, connection), "only real changes"
        for name in TRACKED_FIELDS:
            chain = sorted((e for e in field_changes if e[0] == name), key=lambda e: e[3])
            for earlier, later in itertools.pairwise(chain):
                assert earlier[2] == later[1], f"{name} history is a chain"
        if scenario.in_order:
            assert sorted(field_changes, key=str) == sorted(_changes(history, connection), key=str)
            deleted = [e for e in recorded if e[0] == "deleted"]
            assert deleted == ([("deleted", "false", "true", scenario.deletions[key].deleted_at)]
                               if key in scenario.deletions else [])  # fmt: skip


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(scenario=scenarios())
def test_any_delivery_order_converges_to_the_newest_versions(
    db_url: str, scenario: Scenario
) -> None:
    asyncio.run(_run(db_url, scenario))
