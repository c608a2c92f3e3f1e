"""The digest and the alert evaluation at scale.

    python bench/digest_alerts.py [--items 1000000] [--links 200000] [--roadmap 2000]
                                  [--changes 10000] [--runs 3] [--keep]

On PostgreSQL, the store of bench/query.py (filled by binary COPY: --items work
items, --roadmap roadmap items, ten epics each, --links links), plus, in the last
30 days, --changes status_category changes of tickets (todo → in_progress or
in_progress → done) and one target-date move for a tenth of the roadmap items.
Then, in process, --runs times each:
  digest 7d / 30d. The digest's service, as GET /api/v1/digest?since=… runs it.
  alerts first. One round of evaluation by a new alert target: every roadmap item's
     three states are written (the round a new target pays once).
  alerts steady. A round with nothing new: what `serve` and `worker` pay every
     BRIDGE_ALERTS_INTERVAL_SECONDS.
Checks: the 30-day digest counts as done exactly the tickets the filler made done
in the period that a roadmap item reaches (counted apart in SQL); the steady
round makes no alert.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from datetime import datetime, timedelta
from typing import Any

import asyncpg
from common import check, log
from query import ADMIN_DSN, SECRET_KEY, Shape, copy, filled_store, item_uuid

from app.alerts.schemas import AlertTargetCreate
from app.alerts.service import add_target, evaluate_targets
from app.config import Settings
from app.credentials import load_vault
from app.db import Database
from app.digest.service import digest
from app.models.base import utcnow


def change_rows(shape: Shape, count: int, now: datetime) -> Iterator[tuple[Any, ...]]:
    rng = random.Random(3)
    first_ticket = shape.roadmap + shape.epics
    for _ in range(count):
        item = item_uuid(first_ticket + rng.randrange(shape.tickets))
        old, new = rng.choice((("todo", "in_progress"), ("in_progress", "done")))
        at = now - timedelta(minutes=rng.randint(1, 30 * 24 * 60 - 1))
        yield (item, "status_category", json.dumps(old), json.dumps(new), at, "sync", None, at)
    for root in range(0, shape.roadmap, 10):
        at = now - timedelta(days=rng.randint(1, 29))
        yield (item_uuid(root), "due_date", json.dumps("2027-01-10"), json.dumps("2027-01-24"),
               at, "sync", None, at)  # fmt: skip


async def add_changes(dsn: str, shape: Shape, count: int) -> None:
    connection = await asyncpg.connect(dsn)
    try:
        columns = ("item_id", "field", "old", "new", "at", "origin", "change_id", "recorded_at")
        await copy(connection, "item_events", columns, change_rows(shape, count, utcnow()))
        # Each changed ticket's status now is what its last change made it.
        await connection.execute("""
            UPDATE work_items w SET status_category = last.new #>> '{}'
            FROM (SELECT DISTINCT ON (item_id) item_id, new FROM item_events
                  WHERE field = 'status_category' ORDER BY item_id, at DESC, id DESC) last
            WHERE w.id = last.item_id
        """)
        await connection.execute("ANALYZE item_events")
        await connection.execute("ANALYZE work_items")
    finally:
        await connection.close()


async def done_reached(dsn: str, since: datetime) -> int:
    """Tickets whose last status_category change after `since` made them done and
    that some roadmap item reaches (roadmap → epic → ticket), counted apart."""
    connection = await asyncpg.connect(dsn)
    try:
        return int(await connection.fetchval("""
            SELECT count(*) FROM (
              SELECT DISTINCT ON (item_id) item_id, new FROM item_events
              WHERE field = 'status_category' AND at > $1 ORDER BY item_id, at DESC, id DESC
            ) last
            WHERE last.new #>> '{}' = 'done' AND EXISTS (
              SELECT 1 FROM links r JOIN links e ON e.source_item_id = r.target_item_id
              WHERE e.target_item_id = last.item_id)
        """, since))  # fmt: skip
    finally:
        await connection.close()


async def timed(work: Callable[[], Awaitable[Any]], runs: int) -> tuple[list[float], Any]:
    seconds, result = [], None
    for _ in range(runs):
        started = time.perf_counter()
        result = await work()
        seconds.append(time.perf_counter() - started)
    return seconds, result


async def measure(url: str, runs: int, expected_done: int) -> dict[str, list[float]]:
    database = Database(url)
    figures: dict[str, list[float]] = {}
    try:
        for days in (7, 30):

            async def one(days: int = days) -> Any:
                now = utcnow()
                async with database.request_session(writes=False) as session:
                    return await digest(session, since=now - timedelta(days=days), until=now,
                                        team=None)  # fmt: skip

            figures[f"digest {days}d"], found = await timed(one, runs)
            log(f"digest {days}d: {found.totals}")
        check(found.totals.done == expected_done,
              f"digest 30d: {found.totals.done} done, SQL counts {expected_done}")  # fmt: skip
        settings = Settings(database_url=url, secret_key=SECRET_KEY)
        first, steady = [], []
        for _ in range(runs):
            async with database.job_session() as session:
                target = AlertTargetCreate.model_validate(
                    {"url": "http://127.0.0.1:9/none", "secret": str(uuid.uuid4())}
                )
                await add_target(session, load_vault(settings), target)
            seconds, _ = await timed(lambda: evaluate_targets(database, utcnow()), 1)
            first += seconds
        seconds, made = await timed(lambda: evaluate_targets(database, utcnow()), runs)
        check(made == 0, f"a round with nothing new made {made} alerts")
        steady += seconds
        figures["alerts first round"], figures["alerts steady round"] = first, steady
    finally:
        await database.dispose()
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--items", type=int, default=1_000_000)
    parser.add_argument("--links", type=int, default=200_000)
    parser.add_argument("--roadmap", type=int, default=2_000)
    parser.add_argument("--changes", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--admin-dsn", default=ADMIN_DSN)
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    args = parser.parse_args()
    shape = Shape(args.items, args.links, args.roadmap)
    with filled_store("bench_digest", shape, args.admin_dsn, keep=args.keep) as store:
        asyncio.run(add_changes(store.dsn, shape, args.changes))
        expected = asyncio.run(done_reached(store.dsn, utcnow() - timedelta(days=30)))
        figures = asyncio.run(measure(store.url, args.runs, expected))
    print("| measured | runs | median s | max s |\n|---|---|---|---|")
    for what, seconds in figures.items():
        print(f"| {what} | {len(seconds)} | {statistics.median(seconds):.2f} | "
              f"{max(seconds):.2f} |")  # fmt: skip
    print(json.dumps({what: [round(s, 3) for s in seconds] for what, seconds in figures.items()}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
