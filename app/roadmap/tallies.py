"""roadmap_tallies: each roadmap item's sums per connection and team, kept from
scope_reach and read by the roadmap.

Scope tracking calls `retally` for the roadmap items whose scope_reach rows it
wrote, in the same transaction, so the tallies never disagree with the rows they
sum. They are recomputed from those rows in SQL, not patched by deltas: an
upsert and a delete of what no longer exists, so two transactions retallying one
roadmap item at once (two connections' ingests) both end in a valid row, and
neither fails on a key the other inserted.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, delete, exists, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.db import upsert_insert
from app.items.sql import chunked, id_in
from app.models import Connection, RoadmapTally, ScopeReach
from app.models.base import table_of
from app.roadmap.rollup import Tally

tallies = table_of(RoadmapTally)
reach = table_of(ScopeReach)
connections = table_of(Connection)
SUMMED = (
    "tickets", "done", "estimated", "points", "points_done", "unestimated_done", "latest_due",
    "in_progress", "points_in_progress", "unestimated_in_progress",
)  # fmt: skip
NO_TEAM_KEY = ""


def team_key(team: ColumnElement[str | None]) -> ColumnElement[str]:
    """The tallies' key for a team: a missing and an empty team are one (no team)."""
    return func.coalesce(team, NO_TEAM_KEY)


def sums(rows: Any) -> list[ColumnElement[Any]]:
    """A team's Tally (in SUMMED's order) of the counted rows `rows` (a table or a
    subquery with status_category, estimate and due_date), for a GROUP BY."""
    done = rows.c.status_category == "done"
    started = rows.c.status_category == "in_progress"
    unestimated = rows.c.estimate.is_(None)
    return [
        func.count(), func.count().filter(done), func.count(rows.c.estimate),
        func.coalesce(func.sum(rows.c.estimate), 0.0),
        func.coalesce(func.sum(rows.c.estimate).filter(done), 0.0),
        func.count().filter(and_(done, unestimated)), func.max(rows.c.due_date),
        func.count().filter(started),
        func.coalesce(func.sum(rows.c.estimate).filter(started), 0.0),
        func.count().filter(and_(started, unestimated)),
    ]  # fmt: skip


async def retally(session: AsyncSession, roots: Sequence[uuid.UUID]) -> None:
    """Bring the tallies of `roots` in line with their counted scope_reach rows."""
    for chunk in chunked(sorted(roots)):
        await session.execute(_upsert(session, chunk))
        await session.execute(_delete_stale(session, chunk))


def _upsert(session: AsyncSession, roots: Sequence[uuid.UUID]) -> Any:
    team = team_key(reach.c.team)
    summed = (
        select(reach.c.roadmap_item_id, reach.c.connection_id, team, *sums(reach))
        .where(id_in(session, reach.c.roadmap_item_id, roots), reach.c.counted)
        .group_by(reach.c.roadmap_item_id, reach.c.connection_id, team)
        # One order of keys for every writer: two upserts of one root lock its rows
        # in the same order, so they wait for each other instead of deadlocking.
        .order_by(reach.c.roadmap_item_id, reach.c.connection_id, team)
    )
    statement = upsert_insert(session, tallies).from_select(
        ["roadmap_item_id", "connection_id", "team", *SUMMED], summed
    )
    return statement.on_conflict_do_update(
        index_elements=[tallies.c.roadmap_item_id, tallies.c.connection_id, tallies.c.team],
        set_={name: statement.excluded[name] for name in SUMMED},
    )


def _delete_stale(session: AsyncSession, roots: Sequence[uuid.UUID]) -> Any:
    """The tallies of (root, connection, team) that no counted row sums to any more."""
    still_counted = exists().where(
        reach.c.roadmap_item_id == tallies.c.roadmap_item_id,
        reach.c.connection_id == tallies.c.connection_id,
        team_key(reach.c.team) == tallies.c.team,
        reach.c.counted,
    )
    return delete(tallies).where(id_in(session, tallies.c.roadmap_item_id, roots), ~still_counted)


async def read(
    session: AsyncSession, roots: Sequence[uuid.UUID]
) -> dict[uuid.UUID, dict[str | None, Tally]]:
    """Per root, each team's tally over the live connections (a team with tickets in
    two connections adds up both)."""
    found: dict[uuid.UUID, dict[str | None, Tally]] = defaultdict(dict)
    for root, team, *values in await session.execute(_kept(session, roots)):
        by_team = found[root]
        name = team or None
        if name in by_team:
            by_team[name] = by_team[name].plus(Tally(*values))
        else:
            by_team[name] = Tally(*values)
    return found


def _kept(session: AsyncSession, roots: Sequence[uuid.UUID]) -> Select[Any]:
    live = select(connections.c.id).where(connections.c.removed_at.is_(None))
    return select(
        tallies.c.roadmap_item_id, tallies.c.team, *(tallies.c[name] for name in SUMMED)
    ).where(id_in(session, tallies.c.roadmap_item_id, roots), tallies.c.connection_id.in_(live))
