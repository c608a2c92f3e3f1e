"""Read queries at scale: `GET /api/v1/items` with two filters, and `GET /api/v1/roadmap`.

    python bench/query.py [--items 1000000] [--links 200000] [--roadmap 2000]
                          [--requests 200] [--roadmap-requests 30] [--keep]

On PostgreSQL, in a fresh database bench_query_<pid> (dropped at the end unless
--keep): `bridge migrate`, three connections (github, jira, linear) added with
`bridge connections add`, then the store is filled with binary COPY (this measures
reading, not writing): --items work items over 24 teams: --roadmap roadmap items,
ten epics per roadmap item (half of them delivering one), the rest tickets, each
with a ~1 KB raw payload, statuses 35% todo, 20% in progress, 40% done, 5%
cancelled, estimates on 70%, due dates on 30%; and --links active links: every
roadmap item to five epics, the rest from random epics to random tickets. A
tenth of the tickets have a past status change in item_events. Then ANALYZE. Then every roadmap
item's scope is computed once, as scope tracking stores it after ingests (states
and reach: what the roadmap's rollup reads), and the scope tables are analyzed
(autovacuum is off on the bench server).

`bridge serve` runs on that database (BRIDGE_SCHEDULER=off) and one client sends
requests one after another over keep-alive (latency, not throughput):
  items. --requests times GET /api/v1/items?team=T&status_category=C (limit 100)
     with a team and category drawn per request, after 10 warm-up requests;
  roadmap. --roadmap-requests times GET /api/v1/roadmap (every roadmap item with
     its rollup and forecast), after 2 warm-up requests.
Checks: every answer is 200; an items page holds only items of the asked team and
category; the roadmap lists --roadmap items and their ticket totals add up to the
tickets the links reach, counted independently in SQL.

Prints a Markdown table (p50, p90, p99, max in ms) and one JSON line.
Targets: items p99 < 50 ms; roadmap p99 < 500 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import orjson
from common import check, free_port, log
from sqlalchemy import text

from app.db import Database
from app.scope.detect import Timing
from app.scope.repository import ScopeRepository
from app.scope.track import refresh

ADMIN_DSN = "postgresql://postgres@127.0.0.1:5432/postgres"
SECRET_KEY = "q5eM0nqJx3Yc4d3oJkq7m5wq0bqkq3GxW0Cz8QJmJ5E="
TEAMS = [f"team-{n:02d}" for n in range(24)]
CATEGORIES = ("todo", "in_progress", "done", "cancelled")
WEIGHTS = (35, 20, 40, 5)
NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)
EPICS_PER_ROADMAP_ITEM = 5
TARGET_ITEMS_P99_MS = 50.0
TARGET_ROADMAP_P99_MS = 500.0


@dataclass(frozen=True)
class Shape:
    items: int
    links: int
    roadmap: int

    @property
    def epics(self) -> int:
        return self.roadmap * EPICS_PER_ROADMAP_ITEM * 2  # half of them delivered to roadmap

    @property
    def tickets(self) -> int:
        return self.items - self.roadmap - self.epics


def bridge(env: dict[str, str], *args: str) -> str:
    command = [str(Path(sys.executable).with_name("bridge")), *args]
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    check(done.returncode == 0, f"bridge {' '.join(args)}: {done.stderr[-1000:]}")
    return done.stdout


def item_rows(
    shape: Shape, connections: list[uuid.UUID], rng: random.Random
) -> Iterator[tuple[Any, ...]]:
    """(kind, index) -> a work_items row, ids derived so links can name them."""
    raw = json.dumps({"fields": {"summary": "x" * 700, "labels": ["a", "b"], "n": 1}})
    for index in range(shape.items):
        kind = (
            "roadmap_item"
            if index < shape.roadmap
            else ("epic" if index < shape.roadmap + shape.epics else "ticket")
        )
        connection = connections[index % len(connections)]
        team = TEAMS[index % len(TEAMS)]
        category = rng.choices(CATEGORIES, WEIGHTS)[0] if kind == "ticket" else "in_progress"
        updated = NOW - timedelta(minutes=index)
        created = updated - timedelta(days=30)
        closed = updated if category == "done" else None
        estimate = float(rng.choice((1, 2, 3, 5, 8))) if rng.random() < 0.7 else None
        due = (NOW + timedelta(days=rng.randint(-30, 120))).date() if rng.random() < 0.3 else None
        yield (
            item_uuid(index), connection, "jira", f"x{index}", f"K{index % 97}-{index}", "scope",
            f"https://tool.example/items/{index}", kind, f"Item {index} title words", "Body text",
            category, category, team, "proj", json.dumps(["p" + str(index % 500)]),
            json.dumps(["bug"] if index % 7 == 0 else []), estimate, "P2", None, due, None, None,
            created, updated, closed, updated, raw, None, updated, updated,
        )  # fmt: skip


COLUMNS = (
    "id", "connection_id", "source", "external_id", "key", "scope", "url", "kind", "title",
    "description", "status", "status_category", "team", "project", "assignees", "labels",
    "estimate", "priority", "start_date", "due_date", "parent_id", "sprint", "created_at",
    "updated_at", "closed_at", "source_updated_at", "raw", "deleted_at", "first_seen_at",
    "last_written_at",
)  # fmt: skip


def item_uuid(index: int) -> uuid.UUID:
    return uuid.UUID(int=index + 1)


def link_rows(shape: Shape, rng: random.Random) -> Iterator[tuple[Any, ...]]:
    first_epic, first_ticket = shape.roadmap, shape.roadmap + shape.epics
    delivered_epics = shape.roadmap * EPICS_PER_ROADMAP_ITEM
    for root in range(shape.roadmap):
        for n in range(EPICS_PER_ROADMAP_ITEM):
            epic = first_epic + root * EPICS_PER_ROADMAP_ITEM + n
            yield link(root, epic, "implements", "vendor", NOW)
    for _ in range(shape.links - delivered_epics):
        epic = first_epic + rng.randrange(shape.epics)
        ticket = first_ticket + rng.randrange(shape.tickets)
        yield link(epic, ticket, "parent", "parent", NOW - timedelta(days=rng.randint(0, 60)))


def link(source: int, target: int, kind: str, origin: str, at: datetime) -> tuple[Any, ...]:
    return (uuid.uuid4(), item_uuid(source), item_uuid(target), kind, origin, item_uuid(target),
            at, None)  # fmt: skip


def event_rows(shape: Shape, rng: random.Random) -> Iterator[tuple[Any, ...]]:
    first_ticket = shape.roadmap + shape.epics
    for _ in range(shape.tickets // 10):
        item = item_uuid(first_ticket + rng.randrange(shape.tickets))
        at = NOW - timedelta(days=rng.randint(0, 90))
        yield (item, "status", json.dumps("todo"), json.dumps("in_progress"), at, "sync", None, at)


async def fill(dsn: str, shape: Shape, connections: list[uuid.UUID]) -> None:
    rng = random.Random(7)
    connection = await asyncpg.connect(dsn)
    try:
        await copy(connection, "work_items", COLUMNS, item_rows(shape, connections, rng))
        await copy(connection, "links", ("id", "source_item_id", "target_item_id", "kind",
                   "origin", "stated_by_item_id", "created_at", "removed_at"),
                   link_rows(shape, rng))  # fmt: skip
        await copy(connection, "item_events", ("item_id", "field", "old", "new", "at", "origin",
                   "change_id", "recorded_at"), event_rows(shape, rng))  # fmt: skip
        await connection.execute("ANALYZE")
    finally:
        await connection.close()


async def copy(
    connection: asyncpg.Connection, table: str, columns: tuple[str, ...], rows: Iterator[Any]
) -> None:
    started, total, chunk = time.monotonic(), 0, []
    for row in rows:
        chunk.append(row)
        if len(chunk) == 50_000:
            await connection.copy_records_to_table(table, records=chunk, columns=list(columns))
            total, chunk = total + len(chunk), []
    if chunk:
        await connection.copy_records_to_table(table, records=chunk, columns=list(columns))
        total += len(chunk)
    log(f"copied {total:,} rows into {table} in {time.monotonic() - started:.1f} s")


async def compute_scopes(url: str) -> None:
    """Every roadmap item's scope computed once, committed, then analyzed: what a
    store whose items all came through ingest holds."""
    database = Database(url)
    try:
        started = time.perf_counter()
        async with database.job_session() as session:
            repository = ScopeRepository(session)
            roots = await repository.roadmap_items(await repository.all_roadmap_items())
            await refresh(repository, roots, {root: Timing(NOW) for root in roots})
        async with database.job_session() as session:
            await session.execute(text("ANALYZE scope_states"))
            await session.execute(text("ANALYZE scope_reach"))
        log(f"every roadmap item's scope computed in {time.perf_counter() - started:.1f} s")
    finally:
        await database.dispose()


async def reachable_tickets(dsn: str) -> int:
    """Tickets reached from each roadmap item (each once per item), counted apart from
    the app: roadmap -> epic -> ticket is the only shape the filler makes."""
    connection = await asyncpg.connect(dsn)
    try:
        return int(
            await connection.fetchval("""
            SELECT count(*) FROM (
              SELECT DISTINCT r.source_item_id, t.id
              FROM links r JOIN links e ON e.source_item_id = r.target_item_id
              JOIN work_items t ON t.id = e.target_item_id
              WHERE t.kind = 'ticket' AND t.status_category <> 'cancelled') reached
        """)
        )
    finally:
        await connection.close()


def timed(
    client: httpx.Client, path: str, params: dict[str, str] | None = None
) -> tuple[float, Any]:
    started = time.perf_counter()
    response = client.get(path, params=params)
    elapsed = (time.perf_counter() - started) * 1000
    check(
        response.status_code == 200,
        f"{path} {params}: {response.status_code} {response.text[:300]}",
    )
    return elapsed, orjson.loads(response.content)


def percentiles(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)

    def at(share: float) -> float:
        return round(ordered[max(0, min(len(ordered) - 1, round(share * len(ordered)) - 1))], 1)

    return {"p50": at(0.5), "p90": at(0.9), "p99": at(0.99), "max": round(ordered[-1], 1),
            "mean": round(statistics.fmean(ordered), 1)}  # fmt: skip


def measure(
    base: str, args: argparse.Namespace, shape: Shape, expected_tickets: int
) -> dict[str, Any]:
    rng = random.Random(11)
    with httpx.Client(base_url=base, timeout=120, trust_env=False) as client:
        items_ms = []
        for n in range(args.requests + 10):
            team, category = rng.choice(TEAMS), rng.choice(CATEGORIES)
            params = {"team": team, "status_category": category, "limit": "100"}
            elapsed, body = timed(client, "/api/v1/items", params)
            fits = all(
                i["team"] == team and i["status_category"] == category for i in body["items"]
            )
            check(fits, "an items page holds items of another team or category")
            if n >= 10:
                items_ms.append(elapsed)
        roadmap_ms = []
        for n in range(args.roadmap_requests + 2):
            elapsed, body = timed(client, "/api/v1/roadmap")
            if n >= 2:
                roadmap_ms.append(elapsed)
        check(len(body["items"]) == shape.roadmap, f"roadmap lists {len(body['items'])} items")
        total = sum(entry["rollup"]["tickets_total"] for entry in body["items"])
        check(
            total == expected_tickets,
            f"rollups count {total} tickets, SQL counts {expected_tickets}",
        )
    return {"items": percentiles(items_ms), "roadmap": percentiles(roadmap_ms),
            "roadmap_bytes": len(orjson.dumps(body))}  # fmt: skip


@dataclass(frozen=True)
class Store:
    dsn: str  # for asyncpg
    url: str  # for bridge (SQLAlchemy)
    env: dict[str, str]  # for bridge commands on it


@contextmanager
def filled_store(prefix: str, shape: Shape, admin_dsn: str, *, keep: bool) -> Iterator[Store]:
    """A new PostgreSQL database named after `prefix` and this process, migrated by
    `bridge migrate`, with a github, a jira and a linear connection added by `bridge
    connections add`, then filled with `shape` by COPY; dropped afterwards unless `keep`."""
    name = f"{prefix}_{os.getpid()}"
    dsn = admin_dsn.rsplit("/", 1)[0] + f"/{name}"
    url = dsn.replace("postgresql://", "postgresql+asyncpg://", 1)
    asyncio.run(admin(admin_dsn, f"CREATE DATABASE {name}"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("BRIDGE_")} | {
        "BRIDGE_DATABASE_URL": url, "BRIDGE_SECRET_KEY": SECRET_KEY, "BRIDGE_SCHEDULER": "off",
    }  # fmt: skip
    try:
        bridge(env, "migrate")
        for kind in ("github", "jira", "linear"):
            extra = ["--base-url", "https://acme.atlassian.net"] if kind == "jira" else []
            bridge(env, "connections", "add", f"c-{kind}", "--kind", kind, *extra)
        log(f"filling {shape}")
        asyncio.run(fill(dsn, shape, asyncio.run(connection_ids(dsn))))
        yield Store(dsn, url, env)
    finally:
        if not keep:
            asyncio.run(admin(admin_dsn, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--items", type=int, default=1_000_000)
    parser.add_argument("--links", type=int, default=200_000)
    parser.add_argument("--roadmap", type=int, default=2_000)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--roadmap-requests", type=int, default=30)
    parser.add_argument("--admin-dsn", default=ADMIN_DSN)
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    args = parser.parse_args()
    shape = Shape(args.items, args.links, args.roadmap)
    check(shape.tickets > 0 and args.links > args.roadmap * EPICS_PER_ROADMAP_ITEM, "bad shape")
    server = None
    with filled_store("bench_query", shape, args.admin_dsn, keep=args.keep) as store:
        try:
            asyncio.run(compute_scopes(store.url))
            expected = asyncio.run(reachable_tickets(store.dsn))
            port = free_port()
            server = subprocess.Popen(
                [str(Path(sys.executable).with_name("bridge")), "serve", "--port", str(port)],
                env=store.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            )  # fmt: skip
            base = f"http://127.0.0.1:{port}"
            wait_ready(base)
            result = measure(base, args, shape, expected)
        finally:
            if server is not None:
                server.terminate()
                server.wait(timeout=30)
    report(shape, args, result)
    return 0


def wait_ready(base: str) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/readyz", trust_env=False).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.3)
    raise SystemExit("bridge serve did not become ready")


async def admin(dsn: str, sql: str) -> None:
    connection = await asyncpg.connect(dsn)
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


async def connection_ids(dsn: str) -> list[uuid.UUID]:
    connection = await asyncpg.connect(dsn)
    try:
        return [
            row["id"] for row in await connection.fetch("SELECT id FROM connections ORDER BY name")
        ]
    finally:
        await connection.close()


def report(shape: Shape, args: argparse.Namespace, result: dict[str, Any]) -> None:
    rows = [("GET /api/v1/items?team&status_category", result["items"], TARGET_ITEMS_P99_MS),
            ("GET /api/v1/roadmap", result["roadmap"], TARGET_ROADMAP_P99_MS)]  # fmt: skip
    print("| request | p50 ms | p90 ms | p99 ms | max ms | target p99 |")
    print("|---|---|---|---|---|---|")
    for label, figures, target in rows:
        met = "met" if figures["p99"] < target else "**not met**"
        print(f"| {label} | {figures['p50']} | {figures['p90']} | {figures['p99']} | "
              f"{figures['max']} | < {target:.0f} ms: {met} |")  # fmt: skip
    summary = {"benchmark": "query",
               "store": {"items": shape.items, "links": shape.links, "roadmap": shape.roadmap},
               "requests": args.requests, "roadmap_requests": args.roadmap_requests,
               "latency_ms": {"items": result["items"], "roadmap": result["roadmap"]},
               "roadmap_bytes": result["roadmap_bytes"],
               "date": date.today().isoformat()}  # fmt: skip
    print(json.dumps(summary))


if __name__ == "__main__":
    raise SystemExit(main())
