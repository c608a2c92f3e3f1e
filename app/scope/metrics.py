"""A roadmap item's scope figures against its newest baseline. Pure.

Only the changes that happened after the baseline was taken count:
  added_tickets, added_points       ticket_added changes; the sum of their estimates
  removed_tickets, removed_points   ticket_removed changes; the sum of their estimates
  estimate_delta_points             the sum of estimate_changed deltas (new - old)
  creep_pct        (added_points + the sum of estimate increases) / baseline_points x 100
  creep_count_pct  added_tickets / baseline_tickets x 100
  target_date_moves, slip_days      target_date_moved changes; the sum of their days
  volatility       (added_tickets + removed_tickets + estimate changes) / baseline_tickets
A ratio over a zero baseline is null. An unknown estimate counts 0.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from app.scope.detect import (
    DESCRIPTION_CHANGED,
    ESTIMATE_CHANGED,
    REOPENED,
    TARGET_DATE_MOVED,
    TICKET_ADDED,
    TICKET_REMOVED,
)


@dataclass(frozen=True)
class Baseline:
    taken_at: datetime
    tickets: int
    points: float


@dataclass(frozen=True)
class Sums:
    """The changes of one type after the baseline: how many, the sum of their
    points_delta, of their positive points_delta, and of their days."""

    count: int = 0
    points: float = 0.0
    increases: float = 0.0
    days: int = 0


@dataclass(frozen=True)
class ScopeFigures:
    baseline_at: datetime
    baseline_tickets: int
    baseline_points: float
    added_tickets: int
    removed_tickets: int
    added_points: float
    removed_points: float
    estimate_delta_points: float
    estimate_changes: int
    creep_pct: float | None
    creep_count_pct: float | None
    target_date_moves: int
    slip_days: int
    description_changes: int
    reopened: int
    volatility: float | None


def figures(baseline: Baseline, sums: dict[str, Sums]) -> ScopeFigures:
    added, removed = sums.get(TICKET_ADDED, Sums()), sums.get(TICKET_REMOVED, Sums())
    estimates, moves = sums.get(ESTIMATE_CHANGED, Sums()), sums.get(TARGET_DATE_MOVED, Sums())
    churn = added.count + removed.count + estimates.count
    return ScopeFigures(
        baseline_at=baseline.taken_at,
        baseline_tickets=baseline.tickets,
        baseline_points=baseline.points,
        added_tickets=added.count,
        removed_tickets=removed.count,
        added_points=added.points,
        removed_points=-removed.points,
        estimate_delta_points=estimates.points,
        estimate_changes=estimates.count,
        creep_pct=_ratio(added.points + estimates.increases, baseline.points, 100, 1),
        creep_count_pct=_ratio(added.count, baseline.tickets, 100, 1),
        target_date_moves=moves.count,
        slip_days=moves.days,
        description_changes=sums.get(DESCRIPTION_CHANGED, Sums()).count,
        reopened=sums.get(REOPENED, Sums()).count,
        volatility=_ratio(churn, baseline.tickets, 1, 3),
    )


def _ratio(part: float, whole: float, scale: float, digits: int) -> float | None:
    if not whole:
        return None
    return round(part / whole * scale, digits)
