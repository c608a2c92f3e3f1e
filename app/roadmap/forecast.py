"""When a roadmap item's remaining work is likely done, from each team's pace.

Each team's pace is what it completed in each of the last `WEEKS` full weeks
(points, or tickets when the rollup counts tickets): a ticket counts in the week
of its `closed_at`. A Monte Carlo run draws weekly paces from those weeks (with
replacement) until the team's remaining work on the item is done; the item is
done when its slowest team is. The forecast is the first week by which half, and
85%, of `TRIALS` runs are done; `forecast_date` is the latter (likely done by then). It assumes
each team spends its whole pace on this item, so it is the optimistic bound
when a team serves several items. A team that completed nothing in those weeks
has no pace: the item gets no forecast, and says why.
"""

from __future__ import annotations

import random
from array import array
from bisect import bisect_left
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache

from app.roadmap.rollup import NO_TEAM

WEEKS = 6
TRIALS = 1000
MAX_WEEKS = 520  # ten years: beyond that a forecast says nothing
MAX_SHARES_KEPT = 200_000  # a bound on what one shared pace remembers
LONGER_THAN_TEN_YEARS = "at the recent pace this takes more than ten years"


@dataclass(frozen=True)
class Forecast:
    p50: date | None
    p85: date | None
    reason: str | None = None  # why there is no forecast


@dataclass(frozen=True)
class Completed:
    team: str | None
    closed_at: datetime
    points: float


def weekly_pace(
    completed: Iterable[Completed], today: date, *, weeks: int = WEEKS
) -> dict[str, tuple[list[float], list[float]]]:
    """Per team, (points, tickets) completed in each of the `weeks` full weeks before
    `today`, oldest first."""
    start = today - timedelta(days=7 * weeks)
    paces: dict[str, tuple[list[float], list[float]]] = defaultdict(
        lambda: ([0.0] * weeks, [0.0] * weeks)
    )
    for item in completed:
        day = item.closed_at.date()
        if start <= day < today:
            week = (day - start).days // 7
            points, tickets = paces[item.team or NO_TEAM]
            points[week] += item.points
            tickets[week] += 1
    return dict(paces)


@lru_cache(maxsize=128)
def shared_pace(weekly: tuple[float, ...], seed: str) -> TeamPace:
    """The team's futures for these recent weeks, shared by every request until
    its recent weeks change (they change only when a week ends or a ticket closed
    in them changes), together with every share already worked out of them. At
    most 8 bytes a run a week: ten years of futures are 4 MB."""
    # Remembered forecasts hold their paces: forget them when a pace is made, so
    # no pace outlives its place in this cache.
    _likely.cache_clear()
    return TeamPace(list(weekly), seed)


class TeamPace:
    """A team's Monte Carlo futures: in run i, what it has completed after w weeks,
    each week's pace drawn from its recent weeks. Shared by every item the team
    works on (so their forecasts are comparable), and grown only as far as asked."""

    def __init__(self, weekly: list[float], seed: str, *, trials: int = TRIALS) -> None:
        self.weekly = weekly
        self.idle = not any(weekly)
        # A str seed: the same futures in every process. Not for secrets.
        self._rng = random.Random(seed)  # noqa: S311
        self._totals = [0.0] * trials
        self._after_week: list[array[float]] = []  # [w - 1] -> sorted totals after w weeks
        # Items of a roadmap leave a team the same few amounts of work: asked again,
        # a share is looked up (the futures do not depend on what is asked).
        self._shares: dict[tuple[int, float], float] = {}

    def share_done(self, weeks: int, remaining: float) -> float:
        """The share of runs in which `remaining` is done within `weeks` weeks."""
        share = self._shares.get((weeks, remaining))
        if share is None:
            if len(self._shares) >= MAX_SHARES_KEPT:
                self._shares.clear()
            share = self._shares[weeks, remaining] = self._share_done(weeks, remaining)
        return share

    def _share_done(self, weeks: int, remaining: float) -> float:
        while len(self._after_week) < weeks:
            self._totals = [total + self._rng.choice(self.weekly) for total in self._totals]
            self._after_week.append(array("d", sorted(self._totals)))
        totals = self._after_week[weeks - 1]
        return (len(totals) - bisect_left(totals, remaining)) / len(totals)


def forecast(remaining: dict[str, float], paces: dict[str, TeamPace],
             today: date) -> Forecast:  # fmt: skip
    """The first weeks by which every team is done in half and in 85% of the runs
    (teams' runs are independent, so the shares multiply)."""
    open_teams = {team: left for team, left in remaining.items() if left > 0}
    if not open_teams:
        return Forecast(today, today)
    idle = sorted(str(team) for team in open_teams if team not in paces or paces[team].idle)
    if idle:
        return Forecast(None, None, f"no completed work in {WEEKS} weeks: {', '.join(idle)}")
    return _likely(tuple((left, paces[team]) for team, left in open_teams.items()), today)


@lru_cache(maxsize=16_384)
def _likely(open_teams: tuple[tuple[float, TeamPace], ...], today: date) -> Forecast:
    """The forecast of each team's work left at its pace. Remembered: the same work
    at the same (shared) paces is forecast the same, and most roadmap items have
    not changed since the last request."""

    def done_by(weeks: int, at_least: float) -> bool:
        """Whether every team is done within `weeks` in `at_least` of the runs. Each
        share is at most 1, so once the product falls below, it stays below."""
        done = 1.0
        for left, pace in open_teams:
            done *= pace.share_done(weeks, left)
            if done < at_least:
                return False
        return True

    p50 = _first_week(done_by, 0.5, after=0)
    p85 = None if p50 is None else _first_week(done_by, 0.85, after=p50 - 1)
    if p50 is None or p85 is None:
        return Forecast(None, None, LONGER_THAN_TEN_YEARS)
    return Forecast(today + timedelta(weeks=p50), today + timedelta(weeks=p85))


def _first_week(
    done_by: Callable[[int, float], bool], at_least: float, *, after: int
) -> int | None:
    """The first week past `after` by which the share of runs done reaches
    `at_least`, if any within MAX_WEEKS. That share never falls as weeks pass, so
    the week is found by doubling and then halving the span, not week by week."""
    low, high = after, after + 1  # not done by low (or low is not a week)
    while not done_by(high, at_least):
        if high >= MAX_WEEKS:
            return None
        low, high = high, min(2 * high, MAX_WEEKS)
    while high - low > 1:
        middle = (low + high) // 2
        low, high = (low, middle) if done_by(middle, at_least) else (middle, high)
    return high
