"""What one batch changes, worked out in memory before anything is written.

Pure: given what the store holds for the batch's items (their tracked fields,
version, tombstone, and `is_stub` for rows that never held data), it decides per item
whether each record is new, newer, identical or stale, and which field-level
events that produces. Versions of one item within a batch are applied oldest
first, so a batch holding several versions records each change once.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from app.items.identity import item_id
from connectors.base.records import Deletion, FieldChange, WorkItem, implied_change_id

# Fields whose every change is kept as history (item_events).
TRACKED_FIELDS: tuple[str, ...] = (
    "key", "url", "kind", "title", "description", "status", "status_category", "team",
    "project", "assignees", "labels", "estimate", "priority", "start_date", "due_date",
    "parent_id", "sprint", "created_at", "updated_at", "closed_at",
)  # fmt: skip
VENDOR_CHANGELOG = "vendor_changelog"
# Column → the column whose change moves it: a status_category change found by a
# diff of two versions between which the vendor recorded a status change is that
# status change's doing, and shares its time and identity (see moved_id).
MOVED_BY: dict[str, str] = {"status_category": "status"}
DELETED_FIELD = "deleted"

Row = dict[str, Any]


@dataclass
class IngestCounts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    stale: int = 0
    deleted: int = 0

    def add(self, other: IngestCounts) -> None:
        for name in ("created", "updated", "unchanged", "stale", "deleted"):
            setattr(self, name, getattr(self, name) + getattr(other, name))


@dataclass(frozen=True)
class ConnectionRef:
    """What ingest needs to know of the connection a batch came from."""

    id: uuid.UUID
    kind: str


@dataclass
class IngestPlan:
    rows: dict[uuid.UUID, Row] = field(default_factory=dict)  # whole rows to upsert
    events: list[Row] = field(default_factory=list)
    counts: IngestCounts = field(default_factory=IngestCounts)
    # Items whose newest applied record states its links, with that record's time.
    link_statements: dict[uuid.UUID, datetime] = field(default_factory=dict)
    # Items tombstoned by this batch, with the time of deletion (applied after rows).
    tombstoned: dict[uuid.UUID, datetime] = field(default_factory=dict)
    # Items with a key or URL the store did not know them by: others may name them.
    newly_named: set[uuid.UUID] = field(default_factory=set)
    # Items that never held data before: nothing derived from them is stored yet.
    first_seen: set[uuid.UUID] = field(default_factory=set)


def _identity(connection: ConnectionRef, external_id: str) -> Row:
    return {
        "id": item_id(connection.id, external_id),
        "connection_id": connection.id,
        "source": connection.kind,
        "external_id": external_id,
    }


def record_row(connection: ConnectionRef, record: WorkItem) -> Row:
    """The work_items row of one record (every column but the bookkeeping ones)."""
    parent = record.parent_external_id
    # One literal rather than _identity(...) | {...}: ingest builds one per record.
    return {
        "id": item_id(connection.id, record.external_id),
        "connection_id": connection.id,
        "source": connection.kind,
        "external_id": record.external_id,
        "key": record.key,
        "scope": record.scope,
        "url": record.url,
        "kind": record.kind,
        "title": record.title,
        "description": record.description,
        "status": record.status,
        "status_category": record.status_category,
        "team": record.team,
        "project": record.project,
        "assignees": list(record.assignees),
        "labels": list(record.labels),
        "estimate": record.estimate,
        "priority": record.priority,
        "start_date": record.start_date,
        "due_date": record.due_date,
        "parent_id": item_id(connection.id, parent) if parent else None,
        "sprint": record.sprint,
        "created_at": record.created_at,
        "updated_at": record.updated_at,
        "closed_at": record.closed_at,
        "source_updated_at": record.source_updated_at,
        "raw": record.raw,
        "deleted_at": None,
    }


def tombstone_row(connection: ConnectionRef, deletion: Deletion) -> Row:
    """A row for an item we learn was deleted before we ever saw it alive."""
    at = deletion.deleted_at
    return _identity(connection, deletion.external_id) | {
        "key": deletion.key or deletion.external_id,
        "scope": None,
        "url": None, "kind": "ticket", "title": "", "description": None, "status": "",
        "status_category": "todo", "team": None, "project": None, "assignees": [],
        "labels": [], "estimate": None, "priority": None, "start_date": None,
        "due_date": None, "parent_id": None, "sprint": None, "created_at": None, "updated_at": at,
        "closed_at": None, "source_updated_at": at, "raw": None, "deleted_at": at,
    }  # fmt: skip


def jsonable(value: Any) -> Any:
    """An event value as JSON: times and dates in ISO 8601, ids as strings."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    return value


class Planner:
    """Applies a batch's records and deletions to a copy of the stored state."""

    def __init__(
        self,
        connection: ConnectionRef,
        origin: str,
        stored: dict[uuid.UUID, Row],
        recorded: dict[uuid.UUID, list[FieldChange]] | None = None,
    ):
        self.connection = connection
        self.origin = origin
        self.state = stored
        # The changes the vendor recorded itself, per item, oldest first: they are
        # history already, so diffing must not record them a second time.
        self.recorded = recorded or {}
        self.plan = IngestPlan()

    def apply_record(self, record: WorkItem) -> None:
        row = record_row(self.connection, record)
        current = self.state.get(row["id"])
        if current is None:
            self._write(row)
            self.plan.counts.created += 1
            self.plan.newly_named.add(row["id"])
            self.plan.first_seen.add(row["id"])
        elif _is_stale(current, record.source_updated_at):
            self.plan.counts.stale += 1
            return
        else:
            self._update(current, row)
        if record.states_links:
            self.plan.link_statements[row["id"]] = record.source_updated_at
        self.plan.tombstoned.pop(row["id"], None)

    def apply_deletion(self, deletion: Deletion) -> None:
        stub = tombstone_row(self.connection, deletion)
        current = self.state.get(stub["id"])
        at = deletion.deleted_at
        if current is None:
            self._write(stub)
            self.state[stub["id"]] = {**stub, "is_stub": True}
        elif current["deleted_at"] is not None or at < current["source_updated_at"]:
            self.plan.counts.stale += 1
            return
        else:
            self.state[stub["id"]] = {**current, "deleted_at": at}
            self._event(current["id"], DELETED_FIELD, False, True, at)
        self.plan.counts.deleted += 1
        self.plan.tombstoned[stub["id"]] = at
        self.plan.link_statements.pop(stub["id"], None)

    def _update(self, current: Row, row: Row) -> None:
        at = row["source_updated_at"]
        if current.get("is_stub"):  # deleted before we ever saw it; now its first data
            self._write(row)
            self.plan.counts.created += 1
            self.plan.newly_named.add(row["id"])
            return
        changes = [(name, current[name], row[name]) for name in TRACKED_FIELDS]
        changes = [change for change in changes if change[1] != change[2]]
        resurrected = current["deleted_at"] is not None
        recorded = self._recorded_between(row["id"], current["source_updated_at"], at)
        self._diff_events(row["id"], changes, recorded, at)
        if resurrected:
            self._event(row["id"], DELETED_FIELD, True, False, at)
        if resurrected or any(name in ("key", "url") for name, _, _ in changes):
            self.plan.newly_named.add(row["id"])
        if changes or resurrected:
            self.plan.counts.updated += 1
        else:
            self.plan.counts.unchanged += 1
        if changes or resurrected or at > current["source_updated_at"]:
            self._write(row)

    def _diff_events(
        self,
        item: uuid.UUID,
        changes: list[tuple[str, Any, Any]],
        recorded: dict[str, FieldChange],
        at: datetime,
    ) -> None:
        """An event per changed field the vendor did not record itself; one that a
        recorded change moved (a status change, the category) takes its time and id."""
        for name, old, new in changes:
            if name in recorded:
                continue
            mover = recorded.get(MOVED_BY.get(name, ""))
            if mover is None:
                self._event(item, name, old, new, at)
            else:
                self._event(item, name, old, new, mover.at, moved_id(mover, name))

    def _recorded_between(
        self, item: uuid.UUID, after: datetime, until: datetime
    ) -> dict[str, FieldChange]:
        """Column → the vendor's latest recorded change of it in (after, until]."""
        changes = self.recorded.get(item, ())
        return {column_of(c.field): c for c in changes if after < c.at <= until}

    def vendor_events(self, changes: list[FieldChange]) -> None:
        """One event per change the vendor recorded, for items the store will hold;
        the repository skips those already kept (same item and change id)."""
        seen: set[tuple[uuid.UUID, str]] = set()
        for change in changes:
            item = item_id(self.connection.id, change.external_id)
            if item not in self.state or (item, change.change_id) in seen:
                continue
            seen.add((item, change.change_id))
            self.plan.events.append(
                {"item_id": item, "field": column_of(change.field),
                 "old": self._vendor_value(change.field, change.old),
                 "new": self._vendor_value(change.field, change.new),
                 "at": change.at, "origin": VENDOR_CHANGELOG, "change_id": change.change_id}
            )  # fmt: skip

    def _vendor_value(self, name: str, value: Any) -> Any:
        if name == "parent" and isinstance(value, str):
            return str(item_id(self.connection.id, value))
        return value

    def _write(self, row: Row) -> None:
        self.state[row["id"]] = row
        self.plan.rows[row["id"]] = row

    def _event(
        self, item: uuid.UUID, name: str, old: Any, new: Any, at: datetime,
        change_id: str | None = None,
    ) -> None:  # fmt: skip
        self.plan.events.append(
            {"item_id": item, "field": name, "old": jsonable(old), "new": jsonable(new),
             "at": at, "origin": self.origin, "change_id": change_id}
        )  # fmt: skip


def moved_id(mover: FieldChange, column: str) -> str:
    """The id of the change of `column` that the vendor's change `mover` made, as
    the vendor's full record states it: a webhook's diff and a later read of the
    changelog then keep it once."""
    return implied_change_id(mover.change_id, column)


def column_of(field: str) -> str:
    """The work_items column a vendor history field describes."""
    return "parent_id" if field == "parent" else field


def _is_stale(current: Row, version: datetime) -> bool:
    if current["deleted_at"] is not None and version <= current["deleted_at"]:
        return True
    return bool(version < current["source_updated_at"])


def plan_batch(
    connection: ConnectionRef,
    origin: str,
    stored: dict[uuid.UUID, Row],
    records: list[WorkItem],
    deletions: list[Deletion],
    history: list[FieldChange] | None = None,
) -> IngestPlan:
    """Apply every record and deletion, oldest version first (a deletion after a
    record of the same time), to the stored state; add the vendor's own history
    of the items; return what to write."""
    recorded: dict[uuid.UUID, list[FieldChange]] = {}
    for change in sorted(history or (), key=lambda change: change.at):
        recorded.setdefault(item_id(connection.id, change.external_id), []).append(change)
    planner = Planner(connection, origin, stored, recorded)
    steps: list[tuple[datetime, int, WorkItem | Deletion]] = [
        (record.source_updated_at, 0, record) for record in records
    ]
    steps += [(deletion.deleted_at, 1, deletion) for deletion in deletions]
    steps.sort(key=lambda step: (step[0], step[1]))
    for _, _, step in steps:
        if isinstance(step, WorkItem):
            planner.apply_record(step)
        else:
            planner.apply_deletion(step)
    planner.vendor_events(list(history or ()))
    return planner.plan
