"""Migrations 0008 and 0009 fill what the rollup reads from the scope_reach rows a
store already holds (their team, due date and connection; the roadmap's tallies),
on both databases."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from app.db import Database
from app.items.identity import item_id
from app.models import RoadmapTally, ScopeReach
from connectors.base.records import Batch, Link
from tests.conftest import add_connection
from tests.factories import work_item
from tests.items.helpers import ingest_one
from tests.migration_steps import migrate

BEFORE = "9c4f2b7d3e01"  # 0007, the last revision without them
BEFORE_TALLIES = "d41a7e2c9b58"  # 0008


async def test_existing_reach_rows_get_their_item_s_team_due_date_and_connection(
    database: Database,
) -> None:
    jira = await add_connection(database, "jira", "jira")
    records = (
        work_item("IDEA-1", 1, key="IDEA-1", kind="roadmap_item"),
        work_item("PAY-1", 1, key="PAY-1", team="payments", due_date=date(2026, 6, 1)),
        work_item("PAY-2", 1, key="PAY-2", team=None),
    )
    links = tuple(
        Link(source_external_id="IDEA-1", target_external_id=t, kind="implements",
             stated_by="IDEA-1")
        for t in ("PAY-1", "PAY-2")
    )  # fmt: skip
    await ingest_one(database, jira, Batch(items=records, links=links))
    await migrate(database, BEFORE, "downgrade")
    await migrate(database, "head", "upgrade")
    async with database.job_session() as session:
        rows = await session.execute(
            select(ScopeReach.item_id, ScopeReach.team, ScopeReach.due_date,
                   ScopeReach.connection_id)
        )  # fmt: skip
        found = {row[0]: tuple(row[1:]) for row in rows}
    assert found == {
        item_id(jira.id, "PAY-1"): ("payments", date(2026, 6, 1), jira.id),
        item_id(jira.id, "PAY-2"): (None, None, jira.id),
    }


async def test_existing_reach_rows_are_tallied_as_scope_tracking_tallies_them(
    database: Database,
) -> None:
    jira = await add_connection(database, "jira", "jira")
    records = (
        work_item("IDEA-1", 1, key="IDEA-1", kind="roadmap_item"),
        work_item("PAY-1", 1, key="PAY-1", team="payments", estimate=3.0,
                  status_category="done", due_date=date(2026, 6, 1)),
        work_item("PAY-2", 1, key="PAY-2", team="payments", status_category="in_progress"),
        work_item("PAY-3", 1, key="PAY-3", team=None, estimate=2.0),
        work_item("PAY-4", 1, key="PAY-4", team="payments", status_category="cancelled"),
    )  # fmt: skip
    links = tuple(
        Link(source_external_id="IDEA-1", target_external_id=f"PAY-{n}", kind="implements",
             stated_by="IDEA-1")
        for n in range(1, 5)
    )  # fmt: skip
    await ingest_one(database, jira, Batch(items=records, links=links))
    tracked = await _tallies(database)
    await migrate(database, BEFORE_TALLIES, "downgrade")
    await migrate(database, "head", "upgrade")
    assert await _tallies(database) == tracked
    # tickets, done, estimated, points, points done, unestimated done, latest due,
    # in progress, points in progress, unestimated in progress
    assert {team: tuple(values[1:]) for team, *values in tracked} == {
        "payments": (2, 1, 1, 3.0, 3.0, 0, date(2026, 6, 1), 1, 0.0, 1),
        "": (1, 0, 1, 2.0, 0.0, 0, None, 0, 0.0, 0),
    }


async def _tallies(database: Database) -> set[tuple[object, ...]]:
    async with database.job_session() as session:
        rows = await session.execute(
            select(RoadmapTally.team, RoadmapTally.roadmap_item_id, RoadmapTally.tickets,
                   RoadmapTally.done, RoadmapTally.estimated, RoadmapTally.points,
                   RoadmapTally.points_done, RoadmapTally.unestimated_done,
                   RoadmapTally.latest_due, RoadmapTally.in_progress,
                   RoadmapTally.points_in_progress, RoadmapTally.unestimated_in_progress)
        )  # fmt: skip
        return {tuple(row) for row in rows}
