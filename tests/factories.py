"""Builders of normalized records for tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from connectors.base.records import Deletion, WorkItem

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
