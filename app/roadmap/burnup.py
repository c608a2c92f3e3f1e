"""A roadmap item's burn-up: how many tickets delivered it (scope) and how many of
them were done, at the end of each of a few days from its creation to now, rebuilt
from history by the same walk the roadmap's `as_of` uses. Counted by tickets, so
each point is exact whatever estimates the tickets had then."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from app.roadmap.repository import RoadmapRepository
from app.roadmap.rollup import Tally

POINTS = 10


@dataclass(frozen=True)
class BurnPoint:
    day: date
    scope: int  # tickets delivering the item then (not cancelled)
    done: int


def sample_days(first: date, today: date, points: int = POINTS) -> list[date]:
    """`points` days spread evenly from `first` to `today`, both included, each once."""
    span = max((today - first).days, 0)
    days = {first + timedelta(days=round(span * n / (points - 1))) for n in range(points)}
    return sorted(days | {today})


async def burn_up(
    session: AsyncSession, item_id: uuid.UUID, *, first: date, today: date
) -> list[BurnPoint]:
    repository = RoadmapRepository(session)
    points = []
    for day in sample_days(min(first, today), today):
        moment = None if day == today else datetime.combine(day, time.max, tzinfo=UTC)
        reached = await repository.reached([item_id], as_of=moment)
        tallies = list(reached.tallies.get(item_id, {}).values())
        points.append(BurnPoint(day, _total(tallies), sum(t.done for t in tallies)))
    return points


def _total(tallies: Iterable[Tally]) -> int:
    return sum(t.tickets for t in tallies)
