"""Linear's `updatedFrom` (the previous values an `update` delivery carries) as
FieldChange records, so the old values become history the vendor itself stated.

Only fields whose previous value can be put in the store's normalized form are
mapped: the others are ids (`stateId`, `assigneeId`, `labelIds`...) whose names
the delivery does not carry, and ingest records those changes from its own diff.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from connectors.base.records import FieldChange, HistoryField, HistoryValue, WorkItem
from connectors.linear.normalize import PRIORITY_LABELS


def _text(value: Any) -> HistoryValue:
    return None if value is None else str(value)


def _number(value: Any) -> HistoryValue:
    return None if value is None else float(value)


def _priority(value: Any) -> HistoryValue:
    return None if value is None else PRIORITY_LABELS.get(int(value))


# Linear's field → (our field, how its previous value is normalized).
PREVIOUS: dict[str, tuple[HistoryField, Callable[[Any], HistoryValue]]] = {
    "title": ("title", _text),
    "description": ("description", _text),
    "estimate": ("estimate", _number),
    "priority": ("priority", _priority),
    "dueDate": ("due_date", _text),
    "parentId": ("parent", _text),
}


def current(item: WorkItem, field: HistoryField) -> HistoryValue:
    """The item's value of `field`, in the form FieldChange stores."""
    value = {
        "title": item.title,
        "description": item.description,
        "estimate": item.estimate,
        "priority": item.priority,
        "due_date": item.due_date.isoformat() if item.due_date else None,
        "parent": item.parent_external_id,
    }[field]
    return value


def field_changes(item: WorkItem, updated_from: dict[str, Any] | None) -> tuple[FieldChange, ...]:
    """One FieldChange per mapped field of `updated_from`, dated at the item's version.

    Linear gives a change no id of its own; the item's `updatedAt` and the field name
    are stable across redeliveries, so together they identify it.
    """
    changes = []
    stamp = item.source_updated_at
    for name, previous in (updated_from or {}).items():
        if name not in PREVIOUS:
            continue
        field, normalize = PREVIOUS[name]
        changes.append(
            FieldChange(
                external_id=item.external_id,
                change_id=f"{stamp.isoformat()}:{field}",
                field=field,
                old=normalize(previous),
                new=current(item, field),
                at=stamp,
            )
        )
    return tuple(changes)
