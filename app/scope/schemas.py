"""The API's view of scope tracking (CONTRACT.md: GET /api/v1/scope-changes,
POST /api/v1/roadmap/{id}/baseline)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

ChangeType = Literal[
    "ticket_added", "ticket_removed", "estimate_changed", "target_date_moved",
    "description_changed", "reopened",
]  # fmt: skip


class ScopeChangeRead(BaseModel):
    id: int
    roadmap_item: str = Field(description="the roadmap item's id")
    roadmap_item_key: str | None
    ticket: str | None = Field(description="the ticket's id; null for the item's own fields")
    ticket_key: str | None
    type: ChangeType
    old: Any = Field(description="estimate, target date, status category or description before")
    new: Any
    points_delta: float | None = Field(
        description="ticket_added: +estimate; ticket_removed: -estimate; estimate_changed: "
        "new - old (an unknown estimate counts 0); null otherwise"
    )
    days: int | None = Field(description="target_date_moved: new - old target date, in days")
    summary: str | None = Field(description="description_changed: the words added and removed")
    at: datetime = Field(description="when the change happened in its tool")
    recorded_at: datetime


class ScopeChangePage(BaseModel):
    changes: list[ScopeChangeRead]
    next_cursor: str | None


class BaselineRead(BaseModel):
    id: str
    roadmap_item: str
    taken_at: datetime
    reason: Literal["committed", "target_date", "manual"]
    tickets: dict[str, float | None] = Field(description="ticket id -> estimate at the baseline")
    ticket_count: int
    points: float = Field(description="the sum of the tickets' known estimates")
    target_date: date | None
    description: str | None
