"""Ingest throughput: `app.items.ingest.ingest()` against the raw write ceiling.

    python bench/ingest.py --db sqlite|postgres|both [--items 100000] [--runs 1]

Per database and run, on a fresh store (SQLite: a file in a temp dir; PostgreSQL:
a database bench_ingest_<pid>, dropped at the end):

  A. ingest N new GitHub-like items (raw ~2.3 KB JSON each), 1000 per batch, one
     `job_session()` (one transaction) per batch;
  raw. write the very same rows (same values, same raw JSON) the fastest plain way:
     asyncpg binary COPY into `(LIKE work_items INCLUDING ALL)` on PostgreSQL,
     sqlite3 executemany INSERT into a copy of work_items on SQLite (WAL,
     synchronous=NORMAL), 1000 rows and one commit per batch; then check that the
     copy holds exactly what ingest stored;
  B. re-ingest all N with 10% changed (title, status, updated_at), and check the
     counts (updated 10%, unchanged 90%) and the item_events written.

Items are generated deterministically from --seed, one batch at a time (never the
whole list). Timings cover the write of each batch only (turning records into rows
included, generating the records not). Memory is the peak RSS (VmHWM, reset at the
start of each phase) after 20% of the items and after all of them: when batches
stream, both are the same. The rate over the last fifth of a phase against its first
fifth shows whether writes slow down as the table grows.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import sqlite3
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import orjson
from common import check, log
from sqlalchemy import JSON, Column, Date, Uuid, text

from app.db import Database
from app.items.ingest import ingest
from app.items.plan import ConnectionRef, IngestCounts, Row, record_row
from app.models import Connection
from app.models.base import UTCDateTime, table_of
from app.models.items import WorkItem as WorkItemModel
from app.schema import upgrade_to_head
from connectors.base.records import Batch, Cursor, WorkItem

BATCH_SIZE = 1000
CHANGED_SHARE = 10  # percent of the items phase B changes
CHANGED_FIELDS = ("title", "status", "updated_at")  # the tracked fields a change touches
TARGET_RATIO = 0.5
RAW_TABLE = "work_items_raw"
ITEMS = table_of(WorkItemModel)
COLUMNS: tuple[str, ...] = tuple(c.name for c in ITEMS.c)
BOOKKEEPING_COLUMNS = frozenset({"first_seen_at", "last_written_at"})
DEFAULT_ADMIN_DSN = "postgresql://postgres@127.0.0.1:5432/test"


# --- Deterministic GitHub-like items ----------------------------------------------------

REPO = "acme/widgets"
API = "https://api.github.com"
EPOCH = datetime(2023, 1, 1, tzinfo=UTC)
# Two statuses per category: a phase B change moves an item to the other one, so it
# changes `status` but never `status_category`.
STATUSES: dict[str, tuple[str, str]] = {
    "todo": ("Backlog", "Todo"),
    "in_progress": ("In Progress", "In Review"),
    "done": ("Done", "Shipped"),
    "cancelled": ("Won't fix", "Duplicate"),
}
CATEGORY_WEIGHTS = (("todo", 30), ("in_progress", 20), ("done", 45), ("cancelled", 5))
LABELS = (
    ("bug", "d73a4a"), ("enhancement", "a2eeef"), ("documentation", "0075ca"),
    ("good first issue", "7057ff"), ("help wanted", "008672"), ("question", "d876e3"),
    ("P1", "b60205"), ("P2", "fbca04"), ("P3", "0e8a16"), ("area/api", "1d76db"),
    ("area/ui", "5319e7"), ("area/sync", "c5def5"), ("needs-triage", "ededed"),
)  # fmt: skip
LOGINS = tuple(f"{first}-{last}" for first in ("ada", "bob", "cy", "dee", "eve", "fin",
               "gus", "hal") for last in ("dev", "ops", "qa", "pm"))  # fmt: skip
WORDS = (
    "sync", "webhook", "ticket", "cursor", "timeout", "retry", "page", "token", "rate",
    "limit", "schema", "migration", "label", "status", "epic", "roadmap", "link",
    "parent", "payload", "field", "error", "crash", "slow", "query", "index", "cache",
    "user", "team", "project", "board", "filter", "export", "import", "the", "a", "when",
    "after", "before", "fails", "returns", "missing", "wrong", "duplicate", "stale",
)  # fmt: skip


def _words(rng: random.Random, count: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(count))


def _user(login: str) -> dict[str, Any]:
    user_id = 10_000 + LOGINS.index(login)
    url = f"{API}/users/{login}"
    return {
        "login": login, "id": user_id, "node_id": f"MDQ6VXNlcj{user_id}",
        "avatar_url": f"https://avatars.githubusercontent.com/u/{user_id}?v=4",
        "gravatar_id": "", "url": url, "html_url": f"https://github.com/{login}",
        "followers_url": f"{url}/followers", "following_url": f"{url}/following{{/other_user}}",
        "gists_url": f"{url}/gists{{/gist_id}}", "starred_url": f"{url}/starred{{/owner}}{{/repo}}",
        "subscriptions_url": f"{url}/subscriptions", "organizations_url": f"{url}/orgs",
        "repos_url": f"{url}/repos", "events_url": f"{url}/events{{/privacy}}",
        "received_events_url": f"{url}/received_events", "type": "User", "site_admin": False,
    }  # fmt: skip


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def make_item(seed: int, index: int, *, changed: bool) -> WorkItem:
    """Item `index` of the data set, as first seen or (changed) in its newer version."""
    rng = random.Random(seed * 1_000_003 + index)
    number = index + 1
    issue_id = 1_500_000_000 + index
    html_url = f"https://github.com/{REPO}/issues/{number}"
    api_url = f"{API}/repos/{REPO}/issues/{number}"
    category = rng.choices(
        [c for c, _ in CATEGORY_WEIGHTS], weights=[w for _, w in CATEGORY_WEIGHTS]
    )[0]
    first, second = STATUSES[category]
    status = rng.choice((first, second))
    title = f"{_words(rng, rng.randint(3, 8)).capitalize()} ({number})"
    body = _words(rng, rng.randint(15, 60))
    labels = rng.sample(LABELS, rng.randint(0, 3))
    assignees = rng.sample(LOGINS, rng.choice((0, 1, 1, 1, 2)))
    author = rng.choice(LOGINS)
    created_at = EPOCH + timedelta(minutes=5 * index, seconds=rng.randint(0, 299))
    updated_at = created_at + timedelta(seconds=rng.randint(60, 200 * 86_400))
    closed = category in ("done", "cancelled")
    closed_at = updated_at if closed else None
    due = date(2024, 1, 1) + timedelta(days=rng.randint(0, 700)) if rng.random() < 0.2 else None
    parent = str(issue_id - rng.randint(1, 500)) if index > 500 and rng.random() < 0.05 else None
    estimate = float(rng.choice((1, 2, 3, 5, 8))) if rng.random() < 0.4 else None
    priority = next((name for name, _ in labels if name in ("P1", "P2", "P3")), None)
    if changed:  # a newer version: new title and status, a day or more later
        title = f"{title} [edited]"
        status = second if status == first else first
        updated_at += timedelta(days=1, seconds=rng.randint(0, 86_400))
    reason = "not_planned" if category == "cancelled" else "completed"
    raw = {
        "url": api_url, "repository_url": f"{API}/repos/{REPO}",
        "labels_url": f"{api_url}/labels{{/name}}", "comments_url": f"{api_url}/comments",
        "events_url": f"{api_url}/events", "html_url": html_url, "id": issue_id,
        "node_id": f"I_kwDOAbCdEf{issue_id:x}", "number": number, "title": title,
        "user": _user(author),
        "labels": [
            {"id": 4_000_000 + LABELS.index((name, color)), "name": name, "color": color,
             "url": f"{API}/repos/{REPO}/labels/{name}", "default": False, "description": None}
            for name, color in labels
        ],
        "state": "closed" if closed else "open", "locked": False,
        "assignees": [{"login": login, "id": 10_000 + LOGINS.index(login)} for login in assignees],
        "milestone": {"title": "Next", "due_on": due.isoformat()} if due else None,
        "comments": rng.randint(0, 30), "created_at": _iso(created_at),
        "updated_at": _iso(updated_at), "closed_at": _iso(closed_at) if closed_at else None,
        "author_association": "MEMBER", "body": body,
        "reactions": {"url": f"{api_url}/reactions", "total_count": 0, "+1": 0, "-1": 0},
        "project_status": status,
        "state_reason": reason if closed else None,
    }  # fmt: skip
    return WorkItem(
        external_id=str(issue_id),
        key=f"{REPO}#{number}",
        scope=REPO,
        url=html_url,
        title=title,
        description=body,
        status=status,
        status_category=category,
        team="platform",
        project=REPO,
        assignees=tuple(assignees),
        labels=tuple(name for name, _ in labels),
        estimate=estimate,
        priority=priority,
        due_date=due,
        parent_external_id=parent,
        created_at=created_at,
        updated_at=updated_at,
        closed_at=closed_at,
        source_updated_at=updated_at,
        raw=raw,
    )


def mean_raw_bytes(seed: int, count: int, sample: int = 1000) -> float:
    """Mean size of an item's raw JSON, over the first `sample` items."""
    sizes = [
        len(orjson.dumps(make_item(seed, i, changed=False).raw)) for i in range(min(sample, count))
    ]
    return statistics.mean(sizes)


def changed_indexes(seed: int, count: int) -> frozenset[int]:
    return frozenset(random.Random(seed).sample(range(count), count * CHANGED_SHARE // 100))


def item_batches(
    seed: int, count: int, changed: frozenset[int] = frozenset()
) -> Iterator[list[WorkItem]]:
    """The data set, BATCH_SIZE items at a time."""
    for start in range(0, count, BATCH_SIZE):
        stop = min(start + BATCH_SIZE, count)
        yield [make_item(seed, i, changed=i in changed) for i in range(start, stop)]


# --- Measuring ------------------------------------------------------------------------


class PeakRss:
    """Peak resident memory since the last reset (Linux VmHWM; reset via clear_refs)."""

    def reset(self) -> None:
        # Where not resettable, the peak is the process's peak so far.
        with contextlib.suppress(OSError):
            Path("/proc/self/clear_refs").write_text("5")

    def mib(self) -> float:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
        raise RuntimeError("no VmHWM in /proc/self/status")


@dataclass
class PhaseStats:
    rows: int = 0
    seconds: float = 0.0
    peak_mib_checkpoint: float = 0.0  # after the first fifth of the items
    peak_mib_end: float = 0.0
    # Rates over the first and the last fifth (in whole batches): equal unless a write
    # slows down as the table grows.
    first_fifth_rows_per_s: float = 0.0
    last_fifth_rows_per_s: float = 0.0

    @property
    def rows_per_s(self) -> float:
        return self.rows / self.seconds


async def run_phase(
    batches: Iterator[list[WorkItem]],
    write: Callable[[list[WorkItem]], Awaitable[None]],
    total: int,
) -> PhaseStats:
    """Time `write` over every batch; generating the batches is not timed."""
    fifth = total // 5
    peak = PeakRss()
    stats = PhaseStats()
    last_fifth_from = (0, 0.0)  # (rows, seconds) where the last fifth begins
    peak.reset()
    for batch in batches:
        started = time.perf_counter()
        await write(batch)
        stats.seconds += time.perf_counter() - started
        before, stats.rows = stats.rows, stats.rows + len(batch)
        if before < fifth <= stats.rows:
            stats.peak_mib_checkpoint = peak.mib()
            stats.first_fifth_rows_per_s = stats.rows / stats.seconds
        if stats.rows <= total - fifth:
            last_fifth_from = (stats.rows, stats.seconds)
    stats.peak_mib_end = peak.mib()
    rows, seconds = last_fifth_from
    stats.last_fifth_rows_per_s = (stats.rows - rows) / (stats.seconds - seconds)
    return stats


# --- The raw write paths, on the rows ingest writes -----------------------------------


def full_rows(ref: ConnectionRef, batch: Sequence[WorkItem]) -> list[Row]:
    now = datetime.now(UTC)
    return [
        {**record_row(ref, record), "first_seen_at": now, "last_written_at": now}
        for record in batch
    ]


def _json(value: Any) -> str:
    return orjson.dumps(value).decode()


def _uuid_hex(value: uuid.UUID) -> str:
    return value.hex


def _naive_utc_text(value: datetime) -> str:
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")


Converter = Callable[[Any], Any]


def _converters(*, sqlite: bool) -> tuple[tuple[str, Converter | None], ...]:
    """Per work_items column, how a Python value becomes what the driver takes: JSON
    as text on both; on SQLite also what SQLAlchemy stores there for uuids, aware
    datetimes (naive UTC text, app/models/base.py) and dates."""

    def converter(column: Column[Any]) -> Converter | None:
        if isinstance(column.type, JSON):
            return _json
        if not sqlite:
            return None
        if isinstance(column.type, Uuid):
            return _uuid_hex
        if isinstance(column.type, UTCDateTime):
            return _naive_utc_text
        if isinstance(column.type, Date):
            return date.isoformat
        return None

    return tuple((column.name, converter(column)) for column in ITEMS.c)


POSTGRES_CONVERTERS = _converters(sqlite=False)
SQLITE_CONVERTERS = _converters(sqlite=True)


def to_record(row: Row, converters: tuple[tuple[str, Converter | None], ...]) -> tuple[Any, ...]:
    return tuple(
        row[name] if convert is None or row[name] is None else convert(row[name])
        for name, convert in converters
    )


# --- The two databases ----------------------------------------------------------------


class Target:
    name: str
    url: str

    async def create(self) -> None:
        raise NotImplementedError

    async def drop(self) -> None:
        raise NotImplementedError

    async def raw_phase(self, ref: ConnectionRef, seed: int, items: int) -> PhaseStats:
        raise NotImplementedError

    def same_value(self, column: str) -> str:
        raise NotImplementedError


class SqliteTarget(Target):
    name = "sqlite"

    def __init__(self) -> None:
        self.directory = tempfile.TemporaryDirectory(prefix="bench_ingest_")
        self.path = Path(self.directory.name) / "bench.db"
        self.url = f"sqlite+aiosqlite:///{self.path}"

    async def create(self) -> None:
        pass  # the file comes with the first connection

    async def drop(self) -> None:
        self.directory.cleanup()

    async def raw_phase(self, ref: ConnectionRef, seed: int, items: int) -> PhaseStats:
        connection = sqlite3.connect(self.path)
        try:
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute("PRAGMA synchronous=NORMAL")
            # A copy of work_items with the same indexes (foreign keys unchecked, like
            # LIKE ... INCLUDING ALL on PostgreSQL).
            ddl = connection.execute(
                "SELECT sql FROM sqlite_master WHERE tbl_name = 'work_items' AND sql IS NOT NULL"
                " ORDER BY type DESC"  # the table before its indexes
            ).fetchall()
            for (statement,) in ddl:
                connection.execute(statement.replace("work_items", RAW_TABLE))
            connection.commit()
            names = ", ".join(f'"{c}"' for c in COLUMNS)
            marks = ", ".join("?" for _ in COLUMNS)
            insert = f"INSERT INTO {RAW_TABLE} ({names}) VALUES ({marks})"

            async def write(batch: list[WorkItem]) -> None:
                connection.executemany(
                    insert, [to_record(r, SQLITE_CONVERTERS) for r in full_rows(ref, batch)]
                )
                connection.commit()

            return await run_phase(item_batches(seed, items), write, items)
        finally:
            connection.close()

    def same_value(self, column: str) -> str:
        return f'w."{column}" IS r."{column}"'


class PostgresTarget(Target):
    name = "postgres"

    def __init__(self, admin_dsn: str) -> None:
        self.admin_dsn = admin_dsn
        self.database = f"bench_ingest_{os.getpid()}"
        self.dsn = self.admin_dsn.rsplit("/", 1)[0] + f"/{self.database}"
        self.url = self.dsn.replace("postgresql://", "postgresql+asyncpg://", 1)

    async def _admin(self, statement: str) -> None:
        connection = await asyncpg.connect(self.admin_dsn)
        try:
            await connection.execute(statement)
        finally:
            await connection.close()

    async def create(self) -> None:
        await self.drop()
        await self._admin(f"CREATE DATABASE {self.database}")

    async def drop(self) -> None:
        await self._admin(f"DROP DATABASE IF EXISTS {self.database} WITH (FORCE)")

    async def raw_phase(self, ref: ConnectionRef, seed: int, items: int) -> PhaseStats:
        connection = await asyncpg.connect(self.dsn)
        try:
            await connection.execute(
                f"CREATE TABLE {RAW_TABLE} (LIKE work_items INCLUDING ALL)"
            )  # same indexes, same lz4 compression of raw

            async def write(batch: list[WorkItem]) -> None:
                await connection.copy_records_to_table(
                    RAW_TABLE,
                    records=[to_record(r, POSTGRES_CONVERTERS) for r in full_rows(ref, batch)],
                    columns=COLUMNS,
                )

            return await run_phase(item_batches(seed, items), write, items)
        finally:
            await connection.close()

    def same_value(self, column: str) -> str:
        return f'w."{column}" IS NOT DISTINCT FROM r."{column}"'


# --- One run --------------------------------------------------------------------------


@dataclass
class RunResult:
    phase_a: PhaseStats
    phase_b: PhaseStats
    raw: PhaseStats
    counts_a: IngestCounts
    counts_b: IngestCounts
    events_added_b: int
    raw_json_bytes: float  # mean size of one item's raw JSON


async def scalar(database: Database, sql: str) -> int:
    async with database.job_session() as session:
        value = (await session.execute(text(sql))).scalar_one()
    return int(value)


async def ingest_phase(
    database: Database, ref: ConnectionRef, batches: Iterator[list[WorkItem]], items: int
) -> tuple[PhaseStats, IngestCounts]:
    counts = IngestCounts()

    async def write(batch: list[WorkItem]) -> None:
        cursor = Cursor(scope=f"repos/{REPO}/issues", value=batch[-1].raw["updated_at"])
        async with database.job_session() as session:
            result = await ingest(
                session, ref, Batch(items=tuple(batch), cursor=cursor), origin="sync"
            )
        counts.add(result.counts)

    return await run_phase(batches, write, items), counts


async def run_once(target: Target, items: int, seed: int) -> RunResult:
    await target.create()
    database = Database(target.url)
    try:
        await upgrade_to_head(database)
        async with database.job_session() as session:
            connection = Connection(
                name="bench", kind="github", base_url=API, scopes=[REPO], settings={}
            )
            session.add(connection)
        ref = ConnectionRef(id=connection.id, kind=connection.kind)

        log(f"{target.name}: phase A, ingest {items} new items")
        phase_a, counts_a = await ingest_phase(database, ref, item_batches(seed, items), items)
        check(counts_a == IngestCounts(created=items), f"phase A counts {counts_a}")
        events_a = await scalar(database, "SELECT count(*) FROM item_events")

        log(f"{target.name}: raw write of the same rows")
        raw = await target.raw_phase(ref, seed, items)
        same = " AND ".join(target.same_value(c) for c in COLUMNS if c not in BOOKKEEPING_COLUMNS)
        identical = await scalar(
            database,
            f"SELECT count(*) FROM work_items w JOIN {RAW_TABLE} r ON r.id = w.id WHERE {same}",
        )
        check(identical == items, f"{identical} of {items} raw rows equal what ingest stored")

        log(f"{target.name}: phase B, re-ingest {items} items, {CHANGED_SHARE}% changed")
        changed = changed_indexes(seed, items)
        phase_b, counts_b = await ingest_phase(
            database, ref, item_batches(seed, items, changed), items
        )
        expected = IngestCounts(updated=len(changed), unchanged=items - len(changed))
        check(counts_b == expected, f"phase B counts {counts_b}, expected {expected}")
        events_b = await scalar(database, "SELECT count(*) FROM item_events") - events_a
        check(
            events_b == len(changed) * len(CHANGED_FIELDS),
            f"phase B added {events_b} item_events, expected {len(changed) * len(CHANGED_FIELDS)}",
        )
        return RunResult(
            phase_a, phase_b, raw, counts_a, counts_b, events_b, mean_raw_bytes(seed, items)
        )
    finally:
        await database.dispose()
        await target.drop()


# --- Report ---------------------------------------------------------------------------


@dataclass
class Summary:
    db: str
    runs: int
    items: int
    ingest_a_rows_s: float
    ingest_b_rows_s: float
    raw_rows_s: float
    ratio_a: float
    ratio_b: float
    peak_rss_mib_20pct: float
    peak_rss_mib_100pct: float
    # Rate over the last fifth of the items / over the first fifth (1.0: steady).
    steadiness_a: float
    steadiness_b: float
    raw_json_bytes: float
    events_added_b: int
    per_run: list[dict[str, Any]] = field(default_factory=list)


def steadiness(phase: PhaseStats) -> float:
    return phase.last_fifth_rows_per_s / phase.first_fifth_rows_per_s


def summarize(db: str, items: int, results: list[RunResult]) -> Summary:
    def median(values: list[float]) -> float:
        return round(statistics.median(values), 3)

    ratios_a = [r.phase_a.rows_per_s / r.raw.rows_per_s for r in results]
    ratios_b = [r.phase_b.rows_per_s / r.raw.rows_per_s for r in results]
    return Summary(
        db=db,
        runs=len(results),
        items=items,
        ingest_a_rows_s=median([r.phase_a.rows_per_s for r in results]),
        ingest_b_rows_s=median([r.phase_b.rows_per_s for r in results]),
        raw_rows_s=median([r.raw.rows_per_s for r in results]),
        ratio_a=median(ratios_a),  # median of same-run ratios
        ratio_b=median(ratios_b),
        # Peak of the ingest phases (A and B), after 20% and after 100% of the items.
        peak_rss_mib_20pct=median(
            [max(r.phase_a.peak_mib_checkpoint, r.phase_b.peak_mib_checkpoint) for r in results]
        ),
        peak_rss_mib_100pct=median(
            [max(r.phase_a.peak_mib_end, r.phase_b.peak_mib_end) for r in results]
        ),
        steadiness_a=median([steadiness(r.phase_a) for r in results]),
        steadiness_b=median([steadiness(r.phase_b) for r in results]),
        raw_json_bytes=median([r.raw_json_bytes for r in results]),
        events_added_b=results[-1].events_added_b,
        per_run=[
            {
                "a": round(r.phase_a.rows_per_s, 1),
                "b": round(r.phase_b.rows_per_s, 1),
                "raw": round(r.raw.rows_per_s, 1),
                "ratio_a": round(a, 3),
                "ratio_b": round(b, 3),
                "fifths_rows_s": {
                    name: [round(p.first_fifth_rows_per_s), round(p.last_fifth_rows_per_s)]
                    for name, p in (("a", r.phase_a), ("b", r.phase_b), ("raw", r.raw))
                },
                "peak_a_mib": [
                    round(r.phase_a.peak_mib_checkpoint, 1),
                    round(r.phase_a.peak_mib_end, 1),
                ],
                "peak_b_mib": [
                    round(r.phase_b.peak_mib_checkpoint, 1),
                    round(r.phase_b.peak_mib_end, 1),
                ],
            }
            for r, a, b in zip(results, ratios_a, ratios_b, strict=True)
        ],
    )


def markdown(summaries: list[Summary]) -> str:
    items = summaries[0].items
    header = (
        "db", "runs", "ingest A (new) rows/s", f"ingest B ({CHANGED_SHARE}% changed) rows/s",
        "raw rows/s", "A / raw", "B / raw", "A, B last / first fifth",
        f"peak RSS @{items // 5:,}", f"peak RSS @{items:,}",
    )  # fmt: skip
    lines = [f"| {' | '.join(header)} |", f"|{'---|' * len(header)}"]
    for s in summaries:
        cells = (
            s.db, str(s.runs), f"{s.ingest_a_rows_s:,.0f}", f"{s.ingest_b_rows_s:,.0f}",
            f"{s.raw_rows_s:,.0f}", f"{s.ratio_a:.2f}", f"{s.ratio_b:.2f}",
            f"{s.steadiness_a:.2f}, {s.steadiness_b:.2f}",
            f"{s.peak_rss_mib_20pct:.0f} MiB", f"{s.peak_rss_mib_100pct:.0f} MiB",
        )  # fmt: skip
        lines.append(f"| {' | '.join(cells)} |")
    return "\n".join(lines)


async def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--seed", type=int, default=20_261_128)
    parser.add_argument("--admin-dsn", default=DEFAULT_ADMIN_DSN,
                        help="a PostgreSQL database to run CREATE/DROP DATABASE from")  # fmt: skip
    args = parser.parse_args(argv)
    check(args.items >= 10, "--items must be at least 10")

    summaries = []
    for db in ("sqlite", "postgres") if args.db == "both" else (args.db,):
        results = []
        for run in range(1, args.runs + 1):
            target: Target = SqliteTarget() if db == "sqlite" else PostgresTarget(args.admin_dsn)
            log(f"{db}: run {run} of {args.runs}")
            result = await run_once(target, args.items, args.seed)
            log(
                f"{db}: run {run}: A {result.phase_a.rows_per_s:,.0f} rows/s,"
                f" B {result.phase_b.rows_per_s:,.0f} rows/s,"
                f" raw {result.raw.rows_per_s:,.0f} rows/s"
            )
            results.append(result)
        summaries.append(summarize(db, args.items, results))

    print(markdown(summaries))
    summary = {
        "benchmark": "ingest",
        "target_ratio": TARGET_RATIO,
        "meets_target": all(min(s.ratio_a, s.ratio_b) >= TARGET_RATIO for s in summaries),
        **{s.db: asdict(s) for s in summaries},
    }
    print(json.dumps(summary, separators=(",", ":")))
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
