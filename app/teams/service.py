"""Teams across tools: what each has open, its recent pace, what it delivers."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from app.errors import NotFound
from app.items.schemas import ItemRead
from app.roadmap.forecast import WEEKS
from app.roadmap.repository import RoadmapRepository
from app.roadmap.rollup import NO_TEAM, team_medians
from app.roadmap.service import recent_weeks
from app.teams.repository import tickets_by_status
from app.teams.schemas import RoadmapRef, TeamDetail, TeamList, TeamRead, WeekRead
from connectors.base.records import STATUS_CATEGORIES


async def teams(session: AsyncSession, today: date) -> TeamList:
    details = await _details(session, today)
    return TeamList(teams=[TeamRead(**d.model_dump(exclude={"delivers"})) for d in details])


async def team(session: AsyncSession, name: str, today: date) -> TeamDetail:
    for detail in await _details(session, today):
        if detail.team == name:
            return detail
    raise NotFound(f"no team {name!r} has tickets")


async def _details(session: AsyncSession, today: date) -> list[TeamDetail]:
    counts = await tickets_by_status(session)
    repository = RoadmapRepository(session)
    roots = await repository.roadmap_items(connection=None, team=None)
    reached = await repository.reached([item.id for item, _ in roots])
    delivers: dict[str, list[RoadmapRef]] = defaultdict(list)
    for item, owner in roots:
        read = ItemRead.of(item, owner)
        for name in sorted({team or NO_TEAM for team in reached.tallies.get(item.id, {})}):
            delivers[name].append(RoadmapRef(id=read.id, key=read.key, title=read.title))
    medians = team_medians(reached.estimates)
    paces = await recent_weeks(repository, medians, today)
    weeks = [today - timedelta(weeks=WEEKS - n) for n in range(WEEKS)]
    details = []
    for name in sorted(set(counts) | set(delivers)):
        points, tickets = paces.get(name, ([0.0] * WEEKS, [0.0] * WEEKS))
        by_status = {category: counts[name].get(category, 0) for category in STATUS_CATEGORIES}
        details.append(
            TeamDetail(
                team=name,
                tickets=by_status,
                work_in_progress=by_status["in_progress"],
                throughput=[
                    WeekRead(week_start=start_day, tickets=int(n), points=p)
                    for start_day, n, p in zip(weeks, tickets, points, strict=True)
                ],
                roadmap_items=len(delivers[name]),
                delivers=delivers[name],
            )
        )
    return details
