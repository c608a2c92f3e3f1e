"""GET /api/v1/roadmap: every roadmap item with the rollup of the tickets that
deliver it, and when its remaining work is likely done."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncSession

from app.db import dialect_of
from app.items.as_of import values_at
from app.items.plan import TRACKED_FIELDS
from app.items.schemas import ItemRead
from app.roadmap.forecast import (
    WEEKS,
    Completed,
    Forecast,
    TeamPace,
    forecast,
    shared_pace,
    weekly_pace,
)
from app.roadmap.repository import Reached, RoadmapRepository
from app.roadmap.rollup import Medians, Rollup, roll_up, team_medians
from app.roadmap.schemas import (
    ForecastRead,
    RoadmapEntry,
    RoadmapRead,
    RollupRead,
    ScopeRead,
)
from app.schemas import trusted_model
from app.scope.metrics import ScopeFigures
from app.scope.repository import ScopeFiguresRepository

FORECAST_AFTER_TARGET = "forecast after target"
NOTHING_DELIVERS = "no tickets deliver it yet"


async def roadmap(
    session: AsyncSession,
    *,
    connection: str | None,
    team: str | None,
    today: date,
    as_of: date | None = None,
    only: uuid.UUID | None = None,
) -> RoadmapRead:
    """The roadmap now, or as it was at the end of day `as_of` (rebuilt from history).
    With `only`, that item's entry alone (none when the view lacks it), exactly as
    the whole view shows it: the teams' medians still span every item of the view."""
    moment = datetime.combine(as_of, time.max, tzinfo=UTC) if as_of else None
    today = as_of or today
    repository = RoadmapRepository(session)
    every = await repository.roadmap_rows(connection=connection, team=team, as_of=moment)
    roots = [root for root in every if only is None or root.id == only]
    shown = await _items_as_of(session, roots, moment)
    reached = await _reached(
        repository, [root.id for root in every], [root.id for root in roots], moment
    )
    medians = team_medians(reached.estimates)
    paces = await _paces(repository, medians, today)
    scopes = await ScopeFiguresRepository(session).figures(as_of=moment)
    entries = []
    for root, item in zip(roots, shown, strict=True):
        rollup = roll_up(
            reached.tallies.get(root.id, {}), target_date=item.due_date, medians=medians,
            today=today,
        )  # fmt: skip
        likely = _forecast(rollup, paces, today)
        scope = scopes.get(root.id)
        entries.append(RoadmapEntry.model_construct(item=item, rollup=_read(rollup, likely, scope)))
    return RoadmapRead(items=entries)


async def _reached(
    repository: RoadmapRepository,
    every: list[uuid.UUID],
    shown: list[uuid.UUID],
    moment: datetime | None,
) -> Reached:
    """The tallies of the roots `shown`, and the estimates of `every` root's tickets
    (the teams' medians span the whole view). Now, on PostgreSQL, the estimates
    are counted on a connection of their own while this one reads the tallies:
    the two statements run at once, on two cores."""
    if moment is not None:
        return await repository.reached(every, as_of=moment)
    session = repository.session
    if dialect_of(session) != "postgresql":
        tallies = await repository.tallies_now(every, tallied=shown)
        return Reached(tallies, await repository.estimates_now(every))
    async with AsyncSession(session.bind) as side, asyncio.TaskGroup() as both:
        tallies_task = both.create_task(repository.tallies_now(every, tallied=shown))
        estimates_task = both.create_task(RoadmapRepository(side).estimates_now(every))
    return Reached(tallies_task.result(), estimates_task.result())


async def _items_as_of(
    session: AsyncSession, roots: list[Row[Any]], moment: datetime | None
) -> list[ItemRead]:
    shown = [_shown(root) for root in roots]
    if moment is None:
        return shown
    then = await values_at(session, [root.id for root in roots], TRACKED_FIELDS, moment)
    return [read.as_then(then.get(root.id, {})) for read, root in zip(shown, roots, strict=True)]


def _shown(root: Row[Any]) -> ItemRead:
    """ItemRead.of for a row of RoadmapRepository.roadmap_rows."""
    return trusted_model(
        ItemRead, root, id=str(root.id), connection=root.connection_name,
        parent=str(root.parent_id) if root.parent_id else None,
        deleted=root.deleted_at is not None,
    )  # fmt: skip


async def recent_weeks(
    repository: RoadmapRepository, medians: Medians, today: date
) -> dict[str, tuple[list[float], list[float]]]:
    """Per team, the points and tickets it closed in each of the last WEEKS full
    weeks; a ticket without an estimate counts at its team's median."""
    start = datetime.combine(today - timedelta(weeks=WEEKS), time(), tzinfo=UTC)
    completed = [
        Completed(team, closed_at, estimate if estimate is not None else medians.of(team) or 0.0)
        for team, estimate, closed_at in await repository.completed_since(start)
    ]
    return weekly_pace(completed, today)


async def _paces(
    repository: RoadmapRepository, medians: Medians, today: date
) -> dict[str, dict[str, TeamPace]]:
    """Each team's Monte Carlo pace in points and in tickets."""
    weekly = await recent_weeks(repository, medians, today)
    return {
        "points": {t: shared_pace(tuple(pts), f"{t}/points") for t, (pts, _) in weekly.items()},
        "count": {t: shared_pace(tuple(n), f"{t}/count") for t, (_, n) in weekly.items()},
    }


def _remaining(rollup: Rollup) -> dict[str, float]:
    if rollup.progress_by == "points":
        return {team: f["points_total"] - f["points_done"] for team, f in rollup.teams.items()}
    return {team: float(f["tickets_total"] - f["tickets_done"]) for team, f in rollup.teams.items()}


def _forecast(rollup: Rollup, paces: dict[str, dict[str, TeamPace]], today: date) -> Forecast:
    """None with the reason for an item nothing delivers yet: there is nothing to
    forecast (and nothing late about it)."""
    if rollup.figures.tickets_total == 0:
        return Forecast(None, None, NOTHING_DELIVERS)
    return forecast(_remaining(rollup), paces[rollup.progress_by], today)


def _read(rollup: Rollup, likely: Forecast, scope: ScopeFigures | None) -> RollupRead:
    reasons = list(rollup.risk_reasons)
    target, total = rollup.target_date, rollup.figures
    done = total.tickets_done == total.tickets_total
    if likely.reason is not None and likely.reason != NOTHING_DELIVERS:
        reasons.append(likely.reason)
    elif target and likely.p85 and likely.p85 > target and not done:
        reasons.append(FORECAST_AFTER_TARGET)
    # Constructed, not validated (here and for each entry): every field comes from
    # the arithmetic above, and validating would copy each of a roadmap's tens of
    # thousands of team dicts.
    return RollupRead.model_construct(
        tickets_total=total.tickets_total,
        tickets_done=total.tickets_done,
        points_total=total.points_total,
        points_done=total.points_done,
        tickets_in_progress=total.tickets_in_progress,
        points_in_progress=total.points_in_progress,
        progress=round(rollup.progress, 4),
        progress_by=rollup.progress_by,
        points_assumed=rollup.points_assumed,
        teams=rollup.teams,
        internal_due=rollup.internal_due,
        forecast_date=likely.p85,
        forecast=ForecastRead.model_construct(
            p50=likely.p50, p85=likely.p85, unknown_because=likely.reason
        ),
        target_date=target,
        at_risk=bool(reasons),
        risk_reasons=reasons,
        scope=ScopeRead.model_construct(**vars(scope)) if scope else ScopeRead.model_construct(),
    )
