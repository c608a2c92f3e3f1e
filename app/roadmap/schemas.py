"""The API's view of the roadmap (CONTRACT.md: GET /api/v1/roadmap)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, Field

from app.items.schemas import ItemRead


class TeamFigures(BaseModel):
    tickets_total: int
    tickets_done: int
    points_total: float
    points_done: float


class ScopeRead(BaseModel):
    """Scope against the item's baseline; every figure null until one is taken."""

    baseline_at: datetime | None = None
    baseline_tickets: int | None = None
    baseline_points: float | None = None
    added_tickets: int | None = None
    removed_tickets: int | None = None
    added_points: float | None = None
    removed_points: float | None = None
    estimate_delta_points: float | None = None
    creep_pct: float | None = None
    target_date_moves: int | None = None


class ForecastRead(BaseModel):
    """When the remaining work is done in half (p50) and in 85% (p85) of simulated
    futures drawn from each team's last six weeks; null with the reason when unknown."""

    p50: date | None
    p85: date | None
    unknown_because: str | None


class RollupRead(TeamFigures):
    tickets_in_progress: int
    points_in_progress: float = Field(
        description="points of the tickets in progress (by the same rules as points_total)"
    )
    progress: float = Field(ge=0, le=1)
    progress_by: Literal["points", "count"]
    points_assumed: int = Field(
        description="tickets without an estimate, counted at their team's median estimate"
    )
    teams: dict[str, TeamFigures]
    internal_due: date | None
    forecast_date: date | None = Field(description="forecast.p85: likely done by then")
    forecast: ForecastRead
    target_date: date | None
    at_risk: bool
    risk_reasons: list[str]
    scope: ScopeRead


class RoadmapEntry(BaseModel):
    item: ItemRead
    rollup: RollupRead


class RoadmapRead(BaseModel):
    items: list[RoadmapEntry]
