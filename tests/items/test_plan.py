"""The pure planning step of ingest(): which records win and what history they make."""

from __future__ import annotations

import uuid

from app.items.identity import item_id
from app.items.plan import ConnectionRef, Row, plan_batch, record_row
from tests.factories import deletion, work_item

CONNECTION = ConnectionRef(uuid.UUID(int=7), "github")


def stored(*records: object) -> dict[uuid.UUID, Row]:
    rows = [record_row(CONNECTION, r) for r in records]  # type: ignore[arg-type]
    return {row["id"]: {**row, "is_stub": False} for row in rows}


def test_new_item_is_created_without_history() -> None:
    plan = plan_batch(CONNECTION, "sync", {}, [work_item(1)], [])
    assert plan.counts.created == 1
    assert plan.events == []
    assert list(plan.rows) == [item_id(CONNECTION.id, "1")]


def test_changed_fields_become_one_event_each_at_the_vendor_time() -> None:
    newer = work_item(1, 5, title="Renamed", labels=("bug",))
    plan = plan_batch(CONNECTION, "webhook", stored(work_item(1)), [newer], [])
    changes = sorted((e["field"], e["old"], e["new"]) for e in plan.events)
    assert changes == [
        ("labels", [], ["bug"]),
        ("title", "Issue 1", "Renamed"),
        ("updated_at", "2026-03-02T09:00:00+00:00", "2026-03-02T09:05:00+00:00"),
    ]
    assert {e["at"] for e in plan.events} == {newer.source_updated_at}
    assert {e["origin"] for e in plan.events} == {"webhook"}
    assert plan.counts.updated == 1


def test_older_version_is_stale_and_changes_nothing() -> None:
    plan = plan_batch(
        CONNECTION, "sync", stored(work_item(1, 10)), [work_item(1, 5, title="x")], []
    )
    assert plan.counts.stale == 1
    assert plan.rows == {}
    assert plan.events == []


def test_same_version_same_fields_is_unchanged_and_not_rewritten() -> None:
    plan = plan_batch(CONNECTION, "sync", stored(work_item(1, 3)), [work_item(1, 3)], [])
    assert plan.counts.unchanged == 1
    assert plan.rows == {}


def test_several_versions_in_one_batch_apply_oldest_first() -> None:
    versions = [work_item(1, 9, title="C"), work_item(1, 1, title="A"), work_item(1, 4, title="B")]
    plan = plan_batch(CONNECTION, "sync", {}, versions, [])
    titles = [(e["old"], e["new"]) for e in plan.events if e["field"] == "title"]
    assert titles == [("A", "B"), ("B", "C")]
    assert plan.rows[item_id(CONNECTION.id, "1")]["title"] == "C"


def test_deletion_tombstones_and_records_it() -> None:
    plan = plan_batch(CONNECTION, "webhook", stored(work_item(1, 1)), [], [deletion(1, 2)])
    assert plan.counts.deleted == 1
    assert plan.tombstoned == {item_id(CONNECTION.id, "1"): deletion(1, 2).deleted_at}
    assert [(e["field"], e["old"], e["new"]) for e in plan.events] == [("deleted", False, True)]


def test_deletion_older_than_the_stored_version_is_stale() -> None:
    plan = plan_batch(CONNECTION, "webhook", stored(work_item(1, 5)), [], [deletion(1, 2)])
    assert plan.counts.stale == 1
    assert plan.tombstoned == {}


def test_deletion_of_unknown_item_leaves_a_stub_that_older_records_cannot_revive() -> None:
    first = plan_batch(CONNECTION, "webhook", {}, [], [deletion(1, 5)])
    stub = first.rows[item_id(CONNECTION.id, "1")]
    assert stub["deleted_at"] is not None
    assert stub["raw"] is None
    state = {stub["id"]: {**stub, "is_stub": True}}
    late_open = plan_batch(CONNECTION, "webhook", state, [work_item(1, 1)], [])
    assert late_open.counts.stale == 1
    assert late_open.rows == {}


def test_record_newer_than_a_deletion_brings_the_item_back() -> None:
    state = stored(work_item(1, 1))
    gone = {k: {**v, "deleted_at": deletion(1, 2).deleted_at} for k, v in state.items()}
    plan = plan_batch(CONNECTION, "sync", gone, [work_item(1, 3)], [])
    assert ("deleted", True, False) in {(e["field"], e["old"], e["new"]) for e in plan.events}
    assert plan.rows[item_id(CONNECTION.id, "1")]["deleted_at"] is None


def test_parent_is_the_derived_id_of_the_parent_record() -> None:
    plan = plan_batch(CONNECTION, "sync", {}, [work_item(2, parent_external_id="1")], [])
    assert plan.rows[item_id(CONNECTION.id, "2")]["parent_id"] == item_id(CONNECTION.id, "1")
