"""The API's view of the roadmap (CONTRACT.md: GET /api/v1/roadmap)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, Field

from app.items.schemas import ItemRead
from app.roadmap.rollup import TeamFigures


class FiguresRead(BaseModel):
    tickets_total: int
    tickets_done: int
    points_total: float
    points_done: float


class ScopeRead(BaseModel):
    """Scope against the item's newest baseline, counting the scope changes that
    happened after it was taken (GET /api/v1/scope-changes lists them); every
    figure null until a baseline is taken. An unknown estimate counts 0."""

    baseline_at: datetime | None = None
    baseline_tickets: int | None = Field(None, description="tickets in scope at the baseline")
    baseline_points: float | None = Field(
        None, description="the sum of their estimates at the baseline"
    )
    added_tickets: int | None = Field(None, description="count of ticket_added changes")
    removed_tickets: int | None = Field(None, description="count of ticket_removed changes")
    added_points: float | None = Field(
        None, description="sum of the estimates of the tickets added"
    )
    removed_points: float | None = Field(
        None, description="sum of the estimates of the tickets removed"
    )
    estimate_delta_points: float | None = Field(
        None, description="sum over estimate_changed changes of (new - old): the net change"
    )
    estimate_changes: int | None = Field(None, description="count of estimate_changed changes")
    creep_pct: float | None = Field(
        None,
        description="(added_points + the sum of the estimate increases) / baseline_points x 100,"
        " one decimal; null when baseline_points is 0",
    )
    creep_count_pct: float | None = Field(
        None, description="added_tickets / baseline_tickets x 100, one decimal"
    )
    target_date_moves: int | None = Field(None, description="count of target_date_moved changes")
    slip_days: int | None = Field(
        None, description="sum of the days of the target date moves (earlier moves subtract)"
    )
    description_changes: int | None = Field(None, description="count of description_changed")
    reopened: int | None = Field(None, description="count of reopened changes")
    volatility: float | None = Field(
        None,
        description="(added_tickets + removed_tickets + estimate_changes) / baseline_tickets,"
        " three decimals; null when baseline_tickets is 0",
    )


class ForecastRead(BaseModel):
    """When the remaining work is done in half (p50) and in 85% (p85) of simulated
    futures drawn from each team's last six weeks; null with the reason when unknown."""

    p50: date | None
    p85: date | None
    unknown_because: str | None


class RollupRead(FiguresRead):
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
