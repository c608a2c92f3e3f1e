"""A roadmap item's rollup: pure arithmetic over the tickets that deliver it.

Counting rules (CONTRACT.md): only tickets count (epics and roadmap items are
containers), each once however many paths reach it; cancelled tickets count on
neither side. Points are estimates; a ticket without one counts at its team's
median estimate (over the estimated tickets of that team that deliver any roadmap
item; over all teams' if the team estimated none), and `points_assumed` says how
many did. Progress is by points when any ticket is estimated, else by count.

The arithmetic works on each team's `Tally` of an item's tickets, which the
database sums up (app/roadmap/repository.py) so that a roadmap of thousands of
items does not carry every ticket into Python; `tally` is its twin for tickets
rebuilt one by one from history.
"""

from __future__ import annotations

import statistics
import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Literal

from typing_extensions import TypedDict  # pydantic needs it on Python < 3.12

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


@dataclass(slots=True)
class Tally:
    """One team's counted (not cancelled) tickets that deliver one roadmap item."""

    tickets: int = 0
    done: int = 0
    estimated: int = 0
    points: float = 0.0  # the sum of the estimates there are
    points_done: float = 0.0
    unestimated_done: int = 0
    latest_due: date | None = None
    in_progress: int = 0
    points_in_progress: float = 0.0  # the sum of the in-progress estimates there are
    unestimated_in_progress: int = 0

    def plus(self, other: Tally) -> Tally:
        """Both tallies as one (one team's tickets in two connections)."""
        dues = [due for due in (self.latest_due, other.latest_due) if due is not None]
        return Tally(
            self.tickets + other.tickets, self.done + other.done,
            self.estimated + other.estimated, self.points + other.points,
            self.points_done + other.points_done,
            self.unestimated_done + other.unestimated_done, max(dues, default=None),
            self.in_progress + other.in_progress,
            self.points_in_progress + other.points_in_progress,
            self.unestimated_in_progress + other.unestimated_in_progress,
        )  # fmt: skip


def tally(tickets: Iterable[Ticket]) -> dict[str | None, Tally]:
    """Each team's tally of `tickets` (the same sums the database makes; a missing
    and an empty team are one: no team)."""
    tallies: dict[str | None, Tally] = defaultdict(Tally)
    for ticket in tickets:
        if ticket.status_category == "cancelled":
            continue
        counts, done = tallies[ticket.team or None], ticket.status_category == "done"
        started = ticket.status_category == "in_progress"
        counts.tickets += 1
        counts.done += done
        counts.in_progress += started
        if ticket.estimate is None:
            counts.unestimated_done += done
            counts.unestimated_in_progress += started
        else:
            counts.estimated += 1
            counts.points += ticket.estimate
            counts.points_done += ticket.estimate if done else 0.0
            counts.points_in_progress += ticket.estimate if started else 0.0
        if ticket.due_date is not None:
            counts.latest_due = max(counts.latest_due or ticket.due_date, ticket.due_date)
    return dict(tallies)


@dataclass(slots=True)
class Figures:
    tickets_total: int = 0
    tickets_done: int = 0
    points_total: float = 0.0
    points_done: float = 0.0
    tickets_in_progress: int = 0
    points_in_progress: float = 0.0


class TeamFigures(TypedDict):
    """One team's part of a rollup. A typed dict, not an object: a roadmap carries
    tens of thousands of them, and a dict of numbers is the least work for the
    garbage collector and goes to JSON as it is."""

    tickets_total: int
    tickets_done: int
    points_total: float
    points_done: float


def _count_in(total: Figures, counts: Tally, median: float | None) -> TeamFigures:
    """Add a team's tickets to `total`; its own figures. Without a median (counting
    by tickets, or nobody estimates) points are the estimates there are; with one,
    each unestimated ticket counts at it."""
    points, done, started = counts.points, counts.points_done, counts.points_in_progress
    if median is not None:
        points += (counts.tickets - counts.estimated) * median
        done += counts.unestimated_done * median
        started += counts.unestimated_in_progress * median
    total.tickets_total += counts.tickets
    total.tickets_done += counts.done
    total.points_total += points
    total.points_done += done
    total.tickets_in_progress += counts.in_progress
    total.points_in_progress += started
    return {"tickets_total": counts.tickets, "tickets_done": counts.done,
            "points_total": points, "points_done": done}  # fmt: skip


@dataclass
class Rollup:
    figures: Figures
    progress: float
    progress_by: Literal["points", "count"]
    points_assumed: int
    teams: dict[str, TeamFigures] = field(default_factory=dict)
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


@dataclass(frozen=True)
class Estimates:
    """How many distinct counted tickets of `team` carry `estimate`."""

    team: str | None
    estimate: float
    tickets: int


def estimates_of(tickets: Iterable[Ticket]) -> list[Estimates]:
    """The estimates of `tickets`, each ticket once (the same counts the database makes)."""
    counts: dict[tuple[str | None, float], int] = defaultdict(int)
    for ticket in {t.id: t for t in tickets}.values():
        if ticket.estimate is not None and ticket.status_category != "cancelled":
            counts[ticket.team or None, ticket.estimate] += 1
    return [Estimates(team, estimate, n) for (team, estimate), n in counts.items()]


def team_medians(estimates: Iterable[Estimates]) -> Medians:
    by_team: dict[str | None, list[float]] = defaultdict(list)
    for counted in estimates:
        by_team[counted.team].extend([counted.estimate] * counted.tickets)
    every = [value for values in by_team.values() for value in values]
    return Medians(
        {team: statistics.median(values) for team, values in by_team.items()},
        statistics.median(every) if every else None,
    )


def roll_up(
    tallies: dict[str | None, Tally],
    *,
    target_date: date | None,
    medians: Medians,
    today: date,
) -> Rollup:
    by_points = any(counts.estimated for counts in tallies.values())
    total, assumed = Figures(), 0
    teams: dict[str, TeamFigures] = {}
    for team, counts in tallies.items():
        median = medians.of(team) if by_points else None
        if median is not None:
            assumed += counts.tickets - counts.estimated
        figures = _count_in(total, counts, median)
        name = team or NO_TEAM
        teams[name] = _both(teams[name], figures) if name in teams else figures
    rollup = Rollup(
        figures=total,
        progress=_progress(total, by_points),
        progress_by="points" if by_points else "count",
        points_assumed=assumed,
        teams=dict(sorted(teams.items())),
        internal_due=max((c.latest_due for c in tallies.values() if c.latest_due), default=None),
        target_date=target_date,
    )
    rollup.risk_reasons = _risks(rollup, today)
    rollup.at_risk = bool(rollup.risk_reasons)
    return rollup


def _both(one: TeamFigures, other: TeamFigures) -> TeamFigures:
    """Two teams shown under one name (a team literally named NO_TEAM)."""
    return {"tickets_total": one["tickets_total"] + other["tickets_total"],
            "tickets_done": one["tickets_done"] + other["tickets_done"],
            "points_total": one["points_total"] + other["points_total"],
            "points_done": one["points_done"] + other["points_done"]}  # fmt: skip


def _progress(total: Figures, by_points: bool) -> float:
    if by_points:
        return total.points_done / total.points_total if total.points_total else 0.0
    return total.tickets_done / total.tickets_total if total.tickets_total else 0.0


def _risks(rollup: Rollup, today: date) -> list[str]:
    """Why the target is at risk; nothing once every ticket is done (risk looks
    ahead: delivered work is no longer at risk, whatever its dates said)."""
    target, internal = rollup.target_date, rollup.internal_due
    if target is None or rollup.figures.tickets_done == rollup.figures.tickets_total:
        return []
    reasons = []
    if internal is not None and internal > target:
        reasons.append(INTERNAL_AFTER_TARGET)
    if target < today:
        reasons.append(TARGET_PASSED)
    return reasons
