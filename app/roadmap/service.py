"""GET /api/v1/roadmap: every roadmap item with the rollup of the tickets that deliver it."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from app.items.schemas import ItemRead
from app.roadmap.repository import RoadmapRepository
from app.roadmap.rollup import Rollup, roll_up, team_medians
from app.roadmap.schemas import RoadmapEntry, RoadmapRead, RollupRead, ScopeRead, TeamFigures


async def roadmap(
    session: AsyncSession, *, connection: str | None, team: str | None, today: date
) -> RoadmapRead:
    repository = RoadmapRepository(session)
    roots = await repository.roadmap_items(connection=connection, team=team)
    reached = await repository.tickets_reached([item.id for item, _ in roots])
    every_ticket = {t.id: t for tickets in reached.values() for t in tickets}
    medians = team_medians(every_ticket.values())
    entries = []
    for item, owner in roots:
        rollup = roll_up(
            reached.get(item.id, []), target_date=item.due_date, medians=medians, today=today
        )
        entries.append(RoadmapEntry(item=ItemRead.of(item, owner), rollup=_read(rollup)))
    return RoadmapRead(items=entries)


def _read(rollup: Rollup) -> RollupRead:
    return RollupRead(
        **asdict(rollup.figures),
        progress=round(rollup.progress, 4),
        progress_by=rollup.progress_by,
        points_assumed=rollup.points_assumed,
        teams={team: TeamFigures(**asdict(figures)) for team, figures in rollup.teams.items()},
        internal_due=rollup.internal_due,
        forecast_date=None,
        target_date=rollup.target_date,
        at_risk=rollup.at_risk,
        risk_reasons=rollup.risk_reasons,
        scope=ScopeRead(),
    )
