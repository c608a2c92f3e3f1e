"""Scope detection at scale: the incremental path against a full recomputation.

    python bench/scope.py [--items 1000000] [--links 200000] [--roadmap 2000]
                          [--batches 5] [--batch 1000] [--keep]

On PostgreSQL, in a fresh database bench_scope_<pid> (dropped at the end unless
--keep), the store of bench/query.py is built with binary COPY (--items work
items: --roadmap roadmap items, ten epics each, half of them delivering it, the
rest tickets; --links active links). Then every roadmap item's scope is computed
once (what scope tracking stores: states and reach), committed and analyzed.

Each of --batches rounds picks --batch tickets (half inside some scope, half drawn
from all tickets), raises their estimates by 1 in one UPDATE, and times, each in
its own transaction rolled back afterwards:
  incremental. track_scope() for those tickets: what ingest runs after a batch;
  full. refresh() over every roadmap item: every scope walked again and compared.
Both must find the same number of scope changes. One more round times the
incremental path for --batch tickets that reach no roadmap item.

Prints a Markdown table (median ms per batch) and one JSON line.
Target: incremental at least 20x faster than the full recomputation at 1,000,000 items.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import date
from typing import Any

from common import check, log
from query import ADMIN_DSN, EPICS_PER_ROADMAP_ITEM, NOW, Shape, filled_store
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from app.db import Database
from app.scope.detect import Timing
from app.scope.repository import ScopeRepository
from app.scope.track import refresh, track_scope

TARGET_RATIO = 20.0
IN_SCOPE = """
    SELECT DISTINCT e.target_item_id FROM links r JOIN links e
    ON e.source_item_id = r.target_item_id WHERE r.kind = 'implements'"""
OUTSIDE = """
    SELECT t.id FROM work_items t WHERE t.kind = 'ticket' AND NOT EXISTS (
      SELECT 1 FROM links e JOIN links r ON r.target_item_id = e.source_item_id
      WHERE e.target_item_id = t.id AND r.kind = 'implements') LIMIT :n"""


async def full(session: AsyncSession) -> int:
    repository = ScopeRepository(session)
    roots = await repository.roadmap_items(await repository.all_roadmap_items())
    return (await refresh(repository, roots, {root: Timing(NOW) for root in roots})).changes


async def timed(
    database: Database, tickets: list[uuid.UUID], run: Callable[[AsyncSession], Awaitable[int]]
) -> tuple[float, int]:
    """(ms, changes found) of `run` after raising the tickets' estimates; rolled back."""
    async with database.job_session() as session:
        await session.execute(
            text("UPDATE work_items SET estimate = coalesce(estimate, 0) + 1 WHERE id = ANY(:ids)"),
            {"ids": tickets},
        )
        started = time.perf_counter()
        found = await run(session)
        elapsed = (time.perf_counter() - started) * 1000
        await session.rollback()
    return elapsed, found


async def measure(url: str, args: argparse.Namespace) -> dict[str, Any]:
    database = Database(url)
    rng = random.Random(5)
    try:
        async with database.job_session() as session:
            started = time.perf_counter()
            await full(session)  # the first computation: every state and reach row
            log(f"first computation of every scope: {time.perf_counter() - started:.1f} s")
        async with database.job_session() as session:
            # What autovacuum does after a table fills (it is off on the bench server).
            await session.execute(text("ANALYZE scope_reach"))
            await session.execute(text("ANALYZE scope_states"))
            inside = list((await session.execute(text(IN_SCOPE))).scalars())
            every = list((await session.execute(text(
                "SELECT id FROM work_items WHERE kind = 'ticket'"))).scalars())  # fmt: skip
            outside = list((await session.execute(text(OUTSIDE), {"n": args.batch})).scalars())
        rounds = []
        for n in range(args.batches):
            half = args.batch // 2
            tickets = list({*rng.sample(inside, half), *rng.sample(every, args.batch - half)})
            touched = dict.fromkeys(tickets, NOW)
            quick_ms, quick = await timed(database, tickets, lambda s, t=touched: track_scope(s, t))
            full_ms, whole = await timed(database, tickets, full)
            check(quick == whole, f"incremental found {quick} changes, full {whole}")
            log(f"batch {n}: incremental {quick_ms:.0f} ms, full {full_ms:.0f} ms, {quick} changes")
            rounds.append((quick_ms, full_ms, quick))
        touched = dict.fromkeys(outside, NOW)
        none_ms, none = await timed(database, outside, lambda s: track_scope(s, touched))
        check(none == 0, f"{none} changes for tickets outside every scope")
    finally:
        await database.dispose()
    return {
        "incremental_ms": round(statistics.median(r[0] for r in rounds), 1),
        "full_ms": round(statistics.median(r[1] for r in rounds), 1),
        "changes_per_batch": round(statistics.median(r[2] for r in rounds)),
        "outside_ms": round(none_ms, 1),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--items", type=int, default=1_000_000)
    parser.add_argument("--links", type=int, default=200_000)
    parser.add_argument("--roadmap", type=int, default=2_000)
    parser.add_argument("--batches", type=int, default=5)
    parser.add_argument("--batch", type=int, default=1_000)
    parser.add_argument("--admin-dsn", default=ADMIN_DSN)
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    args = parser.parse_args()
    shape = Shape(args.items, args.links, args.roadmap)
    check(shape.tickets > 0 and args.links > args.roadmap * EPICS_PER_ROADMAP_ITEM, "bad shape")
    with filled_store("bench_scope", shape, args.admin_dsn, keep=args.keep) as store:
        result = asyncio.run(measure(store.url, args))
    report(shape, args, result)
    return 0


def report(shape: Shape, args: argparse.Namespace, result: dict[str, Any]) -> None:
    ratio = result["full_ms"] / result["incremental_ms"]
    met = "met" if ratio >= TARGET_RATIO else "**not met**"
    print("| items | batch | incremental ms | full recomputation ms | ratio | changes | "
          "outside every scope ms |")  # fmt: skip
    print("|---|---|---|---|---|---|---|")
    print(f"| {shape.items:,} | {args.batch:,} | {result['incremental_ms']} | "
          f"{result['full_ms']} | {ratio:.1f}x (>= {TARGET_RATIO:.0f}x: {met}) | "
          f"{result['changes_per_batch']} | {result['outside_ms']} |")  # fmt: skip
    summary = {"benchmark": "scope",
               "store": {"items": shape.items, "links": shape.links, "roadmap": shape.roadmap},
               "batch": args.batch, "batches": args.batches, **result,
               "ratio": round(ratio, 1), "date": date.today().isoformat()}  # fmt: skip
    print(json.dumps(summary))


if __name__ == "__main__":
    raise SystemExit(main())
