"""Builders of normalized records for tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from connectors.base.records import Deletion, Link, WorkItem

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def work_item(number: int | str, minute: float = 0, **fields: Any) -> WorkItem:
    """Issue `number` as seen at T0 + `minute` (its version and updated_at)."""
    version = at(minute)
    values: dict[str, Any] = {
        "external_id": str(number),
        "key": f"acme/api#{number}",
        "url": f"https://github.com/acme/api/issues/{number}",
        "title": f"Issue {number}",
        "status": "open",
        "status_category": "todo",
        "team": "payments",
        "created_at": T0,
        "updated_at": version,
        "source_updated_at": version,
        "raw": {"number": number, "seen": version.isoformat()},
    }
    return WorkItem(**(values | fields))


def deletion(number: int | str, minute: float) -> Deletion:
    return Deletion(external_id=str(number), deleted_at=at(minute))


def link(source: int, target: int, stated_by: int | None = None, kind: str = "implements") -> Link:
    """A vendor link from item `source` to item `target`, stated by `source` unless said."""
    return Link(
        source_external_id=str(source),
        target_external_id=str(target),
        kind=kind,
        stated_by=str(source if stated_by is None else stated_by),
    )
