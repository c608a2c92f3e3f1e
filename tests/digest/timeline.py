"""One hand-built quarter across three tools: a Jira Product Discovery idea
delivered by GitHub issues and Linear issues, with its history.

Minutes after T0 (2026-03-02 09:00 UTC); the digests read from minute 60 on.
   0  GitHub #7 (web, todo, 2 pts), #8 (web, in progress, 3 pts); Linear ENG-1
      (platform, todo, 5 pts), ENG-2 (platform, todo, 1 pt), ENG-3 (platform, todo).
      IDEA-1 (target 2026-06-15) names #7, #8 and ENG-1; IDEA-2 names nothing.
  30  IDEA-1's target moves to 2026-06-30              (before the period)
  70  #7 todo → in progress                            started
  80  #8 in progress → done                            done
  90  IDEA-1 names ENG-2 too; target → 2026-07-14      added, slipped +14
  95  IDEA-1 names ENG-3 too                           (added ...
 100  IDEA-1 stops naming #7                           removed
 105  IDEA-1 stops naming ENG-3                        ... and removed: no news)
 110  ENG-1 cancelled                                  removed
 120  IDEA-1's target → 2026-07-10                     slipped -4 (net +10)
"""

from __future__ import annotations

from datetime import date
from typing import Any

from app.db import Database
from app.items.plan import ConnectionRef
from connectors.base.records import Batch, WorkItem
from tests.conftest import add_connection
from tests.factories import at, work_item
from tests.items.helpers import ingest_one

SINCE = at(60)
GITHUB = "https://github.com/acme/api/issues/{}"
LINEAR = "https://linear.app/acme/issue/{}"


def github(number: int, minute: float, **fields: Any) -> WorkItem:
    return work_item(number, minute, team="web", **fields)


def linear(key: str, minute: float, **fields: Any) -> WorkItem:
    return work_item(key, minute, key=key, url=LINEAR.format(key), team="platform", **fields)


def idea(key: str, minute: float, target: date | None, *names: str) -> WorkItem:
    text = "Delivered by " + " ".join(names) if names else "Not planned yet"
    return work_item(
        key, minute, key=key, url=f"https://acme.atlassian.net/browse/{key}",
        kind="roadmap_item", team="product", description=text, due_date=target,
    )  # fmt: skip


async def build(database: Database) -> dict[str, ConnectionRef]:
    tools = {
        "jira": await add_connection(database, "jira", "jira"),
        "github": await add_connection(database, "gh", "github"),
        "linear": await add_connection(database, "lin", "linear"),
    }
    n7, n8, eng1, eng2, eng3 = (GITHUB.format(7), GITHUB.format(8), LINEAR.format("ENG-1"),
                                LINEAR.format("ENG-2"), LINEAR.format("ENG-3"))  # fmt: skip

    async def jira(*items: WorkItem) -> None:
        await ingest_one(database, tools["jira"], Batch(items=items))

    await ingest_one(database, tools["github"], Batch(items=(
        github(7, 0, estimate=2), github(8, 0, estimate=3, status_category="in_progress"),
    )))  # fmt: skip
    await ingest_one(database, tools["linear"], Batch(items=(
        linear("ENG-1", 0, estimate=5), linear("ENG-2", 0, estimate=1), linear("ENG-3", 0),
    )))  # fmt: skip
    await jira(idea("IDEA-1", 0, date(2026, 6, 15), n7, n8, eng1), idea("IDEA-2", 0, None))
    await jira(idea("IDEA-1", 30, date(2026, 6, 30), n7, n8, eng1))
    await ingest_one(database, tools["github"], Batch(items=(
        github(7, 70, estimate=2, status_category="in_progress"),
    )))  # fmt: skip
    await ingest_one(database, tools["github"], Batch(items=(
        github(8, 80, estimate=3, status_category="done"),
    )), origin="webhook")  # fmt: skip
    await jira(idea("IDEA-1", 90, date(2026, 7, 14), n7, n8, eng1, eng2))
    await jira(idea("IDEA-1", 95, date(2026, 7, 14), n7, n8, eng1, eng2, eng3))
    await jira(idea("IDEA-1", 100, date(2026, 7, 14), n8, eng1, eng2, eng3))
    await jira(idea("IDEA-1", 105, date(2026, 7, 14), n8, eng1, eng2))
    await ingest_one(database, tools["linear"], Batch(items=(
        linear("ENG-1", 110, estimate=5, status_category="cancelled"),
    )))  # fmt: skip
    await jira(idea("IDEA-1", 120, date(2026, 7, 10), n8, eng1, eng2))
    return tools
