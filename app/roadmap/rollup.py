"""A roadmap item's rollup: pure arithmetic over the tickets that deliver it.

Counting rules (CONTRACT.md): only tickets count (epics and roadmap items are
containers), each once however many paths reach it; cancelled tickets count on
neither side. Points are estimates; a ticket without one counts at its team's
median estimate (over the estimated tickets of that team that deliver any roadmap
item; over all teams' if the team estimated none), and `points_assumed` says how
many did. Progress is by points when any ticket is estimated, else by count.
"""

from __future__ import annotations

import statistics
import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Literal

INTERNAL_AFTER_TARGET = "internal dates after target"
TARGET_PASSED = "target date passed with work open"
NO_TEAM = "(no team)"


@dataclass(frozen=True)
class Ticket:
    id: uuid.UUID
    team: str | None
    status_category: str
    estimate: float | None
    due_date: date | None


@dataclass
class Figures:
    tickets_total: int = 0
    tickets_done: int = 0
    points_total: float = 0.0
    points_done: float = 0.0

    def add(self, points: float, done: bool) -> None:
        self.tickets_total += 1
        self.points_total += points
        if done:
            self.tickets_done += 1
            self.points_done += points


@dataclass
class Rollup:
    figures: Figures
    progress: float
    progress_by: Literal["points", "count"]
    points_assumed: int
    teams: dict[str, Figures] = field(default_factory=dict)
    internal_due: date | None = None
    target_date: date | None = None
    at_risk: bool = False
    risk_reasons: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Medians:
    """Median estimates of estimated, not cancelled tickets: per team, and overall
    for a team that estimated none."""

    by_team: dict[str | None, float]
    overall: float | None

    def of(self, team: str | None) -> float | None:
        return self.by_team.get(team, self.overall)


def team_medians(tickets: Iterable[Ticket]) -> Medians:
    estimates: dict[str | None, list[float]] = defaultdict(list)
    for ticket in tickets:
        if ticket.estimate is not None and ticket.status_category != "cancelled":
            estimates[ticket.team].append(ticket.estimate)
    every = [value for values in estimates.values() for value in values]
    return Medians(
        {team: statistics.median(values) for team, values in estimates.items()},
        statistics.median(every) if every else None,
    )


def roll_up(
    tickets: Iterable[Ticket],
    *,
    target_date: date | None,
    medians: Medians,
    today: date,
) -> Rollup:
    counted = [t for t in tickets if t.status_category != "cancelled"]
    by_points = any(t.estimate is not None for t in counted)
    total, assumed = Figures(), 0
    teams: dict[str, Figures] = defaultdict(Figures)
    for ticket in counted:
        points = ticket.estimate
        if points is None and by_points:
            points = medians.of(ticket.team)
            assumed += points is not None
        points = points or 0.0
        done = ticket.status_category == "done"
        total.add(points, done)
        teams[ticket.team or NO_TEAM].add(points, done)
    rollup = Rollup(
        figures=total,
        progress=_progress(total, by_points),
        progress_by="points" if by_points else "count",
        points_assumed=assumed,
        teams=dict(sorted(teams.items())),
        internal_due=max((t.due_date for t in counted if t.due_date), default=None),
        target_date=target_date,
    )
    rollup.risk_reasons = _risks(rollup, today)
    rollup.at_risk = bool(rollup.risk_reasons)
    return rollup


def _progress(total: Figures, by_points: bool) -> float:
    if by_points:
        return total.points_done / total.points_total if total.points_total else 0.0
    return total.tickets_done / total.tickets_total if total.tickets_total else 0.0


def _risks(rollup: Rollup, today: date) -> list[str]:
    reasons = []
    target, internal = rollup.target_date, rollup.internal_due
    if target is not None and internal is not None and internal > target:
        reasons.append(INTERNAL_AFTER_TARGET)
    open_work = rollup.figures.tickets_done < rollup.figures.tickets_total
    if target is not None and target < today and open_work:
        reasons.append(TARGET_PASSED)
    return reasons
