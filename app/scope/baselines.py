"""Baselines: a roadmap item's scope as committed, which its metrics compare against.

A baseline is taken
  - automatically, once, when the roadmap item is committed: when its status
    category becomes in_progress (`committed`) or when it first gets a target
    date (`target_date`), if it has no baseline yet. Which of the two count is
    the setting `scope_baseline_on` of the item's connection: a list of
    "committed" and "target_date" (both by default; [] for neither). Its time
    is that of the latest change in the ingest that committed the item (the
    item's own version time, or a later change of its tickets);
  - on request (`POST /api/v1/roadmap/{id}/baseline`, reason `manual`), now.
    Re-baselining adds a baseline; the older ones are kept.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from app.models.base import utcnow
from app.scope.detect import Scope, description_hash

COMMITTED, TARGET_DATE, MANUAL = "committed", "target_date", "manual"
TRIGGERS = (COMMITTED, TARGET_DATE)
SETTING = "scope_baseline_on"


def triggers_of(settings: dict[str, Any]) -> set[str]:
    """The automatic baseline triggers a connection's settings ask for."""
    wanted = settings.get(SETTING, TRIGGERS)
    if not isinstance(wanted, list | tuple):
        return set(TRIGGERS)
    return {trigger for trigger in wanted if trigger in TRIGGERS}


def commitment(before: Scope | None, after: Scope, settings: dict[str, Any]) -> str | None:
    """Why this observation commits the roadmap item, or None."""
    triggers = triggers_of(settings)
    started = after.status_category == "in_progress"
    if COMMITTED in triggers and started and (before is None or not _started(before)):
        return COMMITTED
    dated = after.target_date is not None
    if TARGET_DATE in triggers and dated and (before is None or before.target_date is None):
        return TARGET_DATE
    return None


def _started(scope: Scope) -> bool:
    return scope.status_category == "in_progress"


def baseline_row(root: uuid.UUID, scope: Scope, at: datetime, reason: str) -> dict[str, Any]:
    return {
        "id": uuid.uuid4(), "roadmap_item_id": root, "taken_at": at, "reason": reason,
        "tickets": {str(ticket): state.estimate for ticket, state in scope.tickets.items()},
        "ticket_count": len(scope.tickets), "points": scope.points,
        "target_date": scope.target_date, "description": scope.description,
        "description_hash": description_hash(scope.description), "recorded_at": utcnow(),
    }  # fmt: skip
