"""Sync at scale: many GitHub connections synced by one and by three `bridge worker`s.

    python bench/sync_scale.py [--connections 200] [--issues 500] [--workers 1 3]
                               [--runs 2] [--sims 2] [--interval 40]

Simulators: --sims processes (uvicorn, each on its own free loopback port, each
serving the same world) of
`build_sim_app(World.repositories("acme", [repo-0 … repo-N-1], issues, issues // 10),
github=GitHubSimOptions(rate_limit=10**9))`; connection repo-n reads simulator
n % sims, so the simulators share the load. Before any timing, the first page of every
repository is read once from every simulator (that builds its sorted listing).

Per phase (a worker count), on a fresh PostgreSQL database bench_sync_scale_<pid>_<k>:
  setup. the schema, then N github connections `repo-n` (scope acme/repo-n, a token,
     --interval) created through app.connections.service.create in one job session
     (BRIDGE_SECRET_KEY is the same for the setup and the workers); untimed;
  run. start W `bridge worker` processes (BRIDGE_DATABASE_URL, BRIDGE_SECRET_KEY) at
     t0; every scheduler picks up every connection (a job per connection; see below for
     when its first tick comes). Poll the database every 0.5 s; done when every
     connection has a succeeded sync run. Then SIGINT the workers.
  checks. work_items holds N x issues rows, issues per connection; every connection
     has a succeeded run; no two runs of a connection overlap. Counted and reported:
     failed runs, full runs beyond one per connection by the time every connection had
     succeeded (a connection synced in full twice: wasted work), workers that had to
     be killed because they did not stop within 30 s of SIGINT.

Timings, in items (N x issues) per second:
  - wall: t0 → the last connection's first succeeded run finished (the brief's
    measure; it includes process start-up and the scheduler's first-tick jitter);
  - active: the first run started → that same end (start-up and jitter before the
    first run excluded);
  - steady: the rate between 10% and 90% of the items created (from the runs' live
    counts), which excludes start-up, jitter and the tail.

The scheduler's first tick of a connection comes at a random moment within
max(1, interval / 4) seconds of the worker's start (app/sync/jobs.py `_add`), and then
every interval / 4; so --interval sets both the start-up jitter and how often each
worker checks every connection (--interval 3600 would spread first syncs over 15
minutes). A connection synced is due again `interval` after its run started. The
default, 40 s, keeps the jitter to 10 s while no connection is due again within a
phase of ~25 s (each syncs once).

CPU: per phase (t0 → done), the CPU time of each worker, each simulator, all postgres
processes (sampled every poll, so backends that end are counted up to their last
sample), this script, and the machine's busy cores from /proc/stat; in cores = CPU
seconds / wall seconds. Worker logs are scanned for APScheduler warnings (missed runs,
maximum running instances) and errors.

Before each phase the script waits, polling every 30 s, while another benchmark (a
process running bench/ or tap-github that is not ours) is running, and (at most
--max-wait s) while more than --max-background cores are busy; the busy cores just
before the phase are reported.

Prints a Markdown table of medians, the speed-up, and one JSON line.
Target: three workers >= 2x one worker (items/s), while the simulators are not the
bottleneck.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from common import check, free_port, log

from app.connections import service as connections
from app.connections.schemas import ConnectionCreate
from app.credentials import CredentialVault
from app.db import Database
from app.schema import upgrade_to_head

SECRET_KEY = "bench-only-key"
OWNER = "acme"
TARGET_SPEEDUP = 2.0
POLL_SECONDS = 0.5
QUIET_POLL_SECONDS = 30.0
SIM_START_TIMEOUT = 300.0
DEFAULT_ADMIN_DSN = "postgresql://postgres@127.0.0.1:5432/test"
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
LOG_PATTERNS = {
    "missed_runs": re.compile(r"was missed by"),
    "max_instances_skips": re.compile(r"maximum number of running instances"),
    "pool_timeouts": re.compile(r"QueuePool limit|TimeoutError"),
    "tracebacks": re.compile(r"^Traceback", re.MULTILINE),
    "errors": re.compile(r"\bERROR\b|failed unexpectedly"),
}

# A simulator: argv = port, repositories, issues, pull requests.
SIM_SOURCE = """
import sys
import uvicorn
from connectors.github.sim import GitHubSimOptions
from connectors.sim.server import build_sim_app
from connectors.sim.world import World

port, repos, issues, pull_requests = (int(arg) for arg in sys.argv[1:5])
names = [f"repo-{n}" for n in range(repos)]
world = World.repositories("acme", names, issues, pull_requests)
app = build_sim_app(world, github=GitHubSimOptions(rate_limit=10**9))
uvicorn.run(app, host="127.0.0.1", port=port, access_log=False, log_level="warning")
"""


# --- CPU accounting and quiet ---------------------------------------------------------------


def _stat_fields(pid: int) -> list[str]:
    """comm, then the fields after it, of /proc/PID/stat (index 1 = state)."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    return [stat[stat.index("(") + 1 : stat.rindex(")")], *stat[stat.rindex(")") + 2 :].split()]


def cpu_seconds(pid: int) -> float:
    fields = _stat_fields(pid)
    return (int(fields[12]) + int(fields[13])) / CLOCK_TICKS  # utime, stime


def machine_ticks() -> tuple[int, int]:
    """(busy, total) jiffies of all CPUs from /proc/stat."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + values[4]  # idle, iowait
    return sum(values[:8]) - idle, sum(values[:8])


class PostgresCpu:
    """CPU time of every process named postgres, summed over the processes seen at any
    sample: (pid, start time) -> first and last CPU seconds seen."""

    def __init__(self) -> None:
        self.seen: dict[tuple[int, str], list[float]] = {}
        self.sample(baseline=True)

    def sample(self, *, baseline: bool = False) -> None:
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            with contextlib.suppress(OSError, IndexError, ValueError):
                fields = _stat_fields(int(entry.name))
                if fields[0] != "postgres":
                    continue
                cpu = (int(fields[12]) + int(fields[13])) / CLOCK_TICKS
                key = (int(entry.name), fields[20])  # pid, start time
                if key in self.seen:
                    self.seen[key][1] = cpu
                else:  # new since the baseline: all its CPU time is ours
                    self.seen[key] = [cpu if baseline else 0.0, cpu]

    def seconds(self) -> float:
        return sum(last - first for first, last in self.seen.values())


def _parents() -> dict[int, int]:
    parents = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError, IndexError, ValueError):
                parents[int(entry.name)] = int(_stat_fields(int(entry.name))[2])
    return parents


def other_benchmarks() -> list[str]:
    """Running benchmarks (bench/ or tap-github) that are not this process, its
    ancestors or its descendants."""
    parents = _parents()
    ours = {os.getpid()}
    pid = os.getpid()
    while pid in parents and parents[pid] > 1:
        pid = parents[pid]
        ours.add(pid)
    grew = True
    while grew:
        children = {p for p, parent in parents.items() if parent in ours} - ours
        grew = bool(children)
        ours |= children
    found = []
    for pid in parents:
        if pid in ours:
            continue
        with contextlib.suppress(OSError):
            command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
            if "bench/" in command or "tap-github" in command:
                found.append(f"{pid}: {command.strip()[:120]}")
    return found


def wait_until_quiet(max_background: float, max_wait: float) -> float:
    """Wait while another benchmark runs (as long as it takes), and while the machine
    is busier than `max_background` cores (at most `max_wait` seconds: tests of other
    sessions come and go). The busy cores measured last."""
    waited = 0.0
    while True:
        if running := other_benchmarks():
            log(f"waiting {QUIET_POLL_SECONDS:.0f} s: another benchmark runs: {running}")
        elif (busy := busy_cores(2.0)) > max_background and waited < max_wait:
            log(f"waiting {QUIET_POLL_SECONDS:.0f} s: the machine is busy ({busy:.2f} cores)")
            waited += QUIET_POLL_SECONDS
        else:
            return busy
        time.sleep(QUIET_POLL_SECONDS)


def offline_env(extra: dict[str, str]) -> dict[str, str]:
    """The environment without BRIDGE_* settings or proxies, plus `extra`."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("BRIDGE_") and "PROXY" not in k.upper()
    }
    return env | {"NO_PROXY": "127.0.0.1", "no_proxy": "127.0.0.1"} | extra


# --- Simulators -------------------------------------------------------------------------------


class Simulator:
    def __init__(self, repos: int, issues: int, workdir: Path, index: int) -> None:
        self.repos = repos
        self.issues = issues
        self.port = free_port()
        self.root = f"http://127.0.0.1:{self.port}"
        self.base_url = f"{self.root}/github"
        self._log = workdir / f"sim-{index}.log"
        argv = [sys.executable, "-c", SIM_SOURCE, str(self.port), str(repos), str(issues)]
        argv.append(str(issues // 10))
        with self._log.open("wb") as output:
            self.process = subprocess.Popen(
                argv, stdout=output, stderr=subprocess.STDOUT, env=offline_env({})
            )

    @property
    def pid(self) -> int:
        return self.process.pid

    def wait_up(self, client: httpx.Client) -> None:
        deadline = time.monotonic() + SIM_START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"simulator exited: {self._log.read_text()[-2000:]}")
            with contextlib.suppress(httpx.TransportError):
                if client.get(f"{self.root}/_sim/stats").status_code == 200:
                    return
            time.sleep(0.2)
        raise SystemExit(f"simulator did not answer within {SIM_START_TIMEOUT:.0f} s")

    def warm_up(self, client: httpx.Client) -> None:
        """Build every repository's sorted listing (as the sync asks for it)."""
        params = {"state": "all", "sort": "updated", "direction": "asc", "per_page": "100"}
        headers = {"Authorization": "Bearer bench"}
        for n in range(self.repos):
            url = f"{self.base_url}/repos/{OWNER}/repo-{n}/issues"
            client.get(url, params=params, headers=headers).raise_for_status()

    def requests(self, client: httpx.Client) -> int:
        stats = client.get(f"{self.root}/_sim/stats").json()["github"]
        return sum(int(n) for n in stats["requests"].values())

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@contextlib.contextmanager
def simulators(count: int, repos: int, issues: int, workdir: Path) -> Iterator[list[Simulator]]:
    started: list[Simulator] = []
    try:
        started = [Simulator(repos, issues, workdir, i) for i in range(count)]
        with httpx.Client(timeout=60.0, trust_env=False) as client:
            for sim in started:
                sim.wait_up(client)
            for sim in started:
                sim.warm_up(client)
        yield started
    finally:
        for sim in started:
            sim.stop()


# --- The database -------------------------------------------------------------------------------


class Store:
    """A fresh PostgreSQL database for one phase."""

    def __init__(self, admin_dsn: str, phase: int) -> None:
        self.admin_dsn = admin_dsn
        self.database = f"bench_sync_scale_{os.getpid()}_{phase}"
        self.dsn = admin_dsn.rsplit("/", 1)[0] + f"/{self.database}"
        self.url = self.dsn.replace("postgresql://", "postgresql+asyncpg://", 1)

    async def _admin(self, sql: str) -> None:
        connection = await asyncpg.connect(self.admin_dsn)
        try:
            await connection.execute(sql)
        finally:
            await connection.close()

    async def create(self) -> None:
        await self.drop()
        await self._admin(f"CREATE DATABASE {self.database}")

    async def drop(self) -> None:
        await self._admin(f"DROP DATABASE IF EXISTS {self.database} WITH (FORCE)")


async def setup(store: Store, sims: Sequence[Simulator], count: int, interval: int) -> None:
    await store.create()
    database = Database(store.url)
    try:
        await upgrade_to_head(database)
        vault = CredentialVault([SECRET_KEY])
        async with database.job_session() as session:
            for n in range(count):
                data = ConnectionCreate(
                    name=f"repo-{n}", kind="github", base_url=sims[n % len(sims)].base_url,
                    scopes=[f"{OWNER}/repo-{n}"], token="bench", interval=interval,
                )  # fmt: skip
                await connections.create(session, vault, data)
    finally:
        await database.dispose()


PROGRESS_SQL = """
SELECT coalesce(sum(created), 0) AS created,
       count(DISTINCT connection_id) FILTER (WHERE status = 'succeeded') AS succeeded,
       count(*) FILTER (WHERE status = 'running') AS running,
       count(*) FILTER (WHERE status = 'failed') AS failed,
       count(*) AS runs,
       count(*) FILTER (WHERE "full") AS full_runs
FROM sync_runs
"""


@dataclass
class Progress:
    at: float  # seconds since t0
    created: int
    succeeded: int
    running: int
    failed: int
    runs: int
    full_runs: int


# --- One phase --------------------------------------------------------------------------------


@dataclass
class PhaseResult:
    workers: int
    connections: int
    items: int
    wall_s: float  # t0 -> the last connection's first success
    active_s: float  # the first run's start -> the same end
    steady_items_per_s: float  # between 10% and 90% of the items created
    first_start_s: float  # t0 -> the first run's start
    last_first_start_s: float  # t0 -> the last connection's first run's start
    max_running: int
    runs: int  # by the time the workers stopped
    failed_runs: int
    full_runs_at_done: int  # full runs started by the time every connection succeeded once
    full_runs: int  # by the time the workers stopped
    killed_workers: int  # workers that did not stop within 30 s of SIGINT
    worker_cores: list[float]
    sim_cores: list[float]
    postgres_cores: float
    script_cores: float
    machine_busy_cores: float
    background_busy_cores: float
    sim_requests: int
    log_counts: dict[str, int]
    timeline: list[tuple[float, int, int, int]] = field(default_factory=list)

    @property
    def items_per_s(self) -> float:
        return self.items / self.wall_s

    @property
    def active_items_per_s(self) -> float:
        return self.items / self.active_s


def _time_at(timeline: Sequence[Progress], created: float) -> float:
    """When `created` items had been created (linear between polls)."""
    for before, after in itertools.pairwise(timeline):
        if before.created <= created <= after.created and after.created > before.created:
            share = (created - before.created) / (after.created - before.created)
            return before.at + share * (after.at - before.at)
    raise ValueError(f"the timeline never reaches {created} items")


def busy_cores(seconds: float) -> float:
    busy, total = machine_ticks()
    time.sleep(seconds)
    busy2, total2 = machine_ticks()
    return (busy2 - busy) / max(1, total2 - total) * (os.cpu_count() or 1)


@dataclass
class Polled:
    timeline: list[Progress]
    wall_s: float  # t0 -> the poll that saw every connection succeeded
    worker_cpu: list[float]  # CPU seconds of each worker at that poll
    postgres_cpu: float
    firsts: dict[str, datetime]  # first start, last first start, last first success


FIRSTS_SQL = """
SELECT min(first_start) AS first_start, max(first_start) AS last_first_start,
       max(first_done) AS done
FROM (SELECT connection_id, min(started_at) AS first_start,
             min(finished_at) FILTER (WHERE status = 'succeeded') AS first_done
      FROM sync_runs GROUP BY connection_id) AS per_connection
"""


async def poll(
    store: Store,
    processes: Sequence[subprocess.Popen[bytes]],
    logs: Sequence[Path],
    t0: float,
    count: int,
    give_up_after: float,
) -> Polled:
    """Watch the runs until every connection has succeeded once."""
    timeline: list[Progress] = []
    worker_cpu = [0.0] * len(processes)
    postgres = PostgresCpu()
    connection = await asyncpg.connect(store.dsn)
    try:
        while True:
            await asyncio.sleep(POLL_SECONDS)
            row = await connection.fetchrow(PROGRESS_SQL)
            at = time.perf_counter() - t0
            timeline.append(Progress(at, *(int(row[k]) for k in range(6))))
            postgres.sample()
            for i, process in enumerate(processes):
                check(process.poll() is None, f"worker {i} exited: {logs[i].read_text()[-2000:]}")
                worker_cpu[i] = cpu_seconds(process.pid)
            if timeline[-1].succeeded >= count:
                break
            check(at < give_up_after, f"not done after {give_up_after:.0f} s: {timeline[-1]}")
        wall = time.perf_counter() - t0
        firsts = dict(await connection.fetchrow(FIRSTS_SQL))
    finally:
        await connection.close()
    return Polled(timeline, wall, worker_cpu, postgres.seconds(), firsts)


def start_workers(
    workers: int, env: dict[str, str], logs: Sequence[Path]
) -> list[subprocess.Popen[bytes]]:
    bridge = str(Path(sys.executable).with_name("bridge"))
    processes = []
    for path in logs[:workers]:
        with path.open("wb") as output:
            command = [bridge, "worker"]
            worker = subprocess.Popen(
                command,
                env=env,
                stdout=output,
                stderr=subprocess.STDOUT,
                preexec_fn=_default_sigint,
            )
            processes.append(worker)
    return processes


def _default_sigint() -> None:
    """In the worker before exec: SIGINT back to its default, so that Python turns it
    into KeyboardInterrupt even when this script runs in the background of a
    non-interactive shell (which starts it with SIGINT ignored, inherited)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def stop_workers(processes: Sequence[subprocess.Popen[bytes]]) -> int:
    """SIGINT every worker; the number that had to be killed after 30 s."""
    for process in processes:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
    killed = 0
    deadline = time.monotonic() + 30
    for process in processes:
        try:
            process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
            killed += 1
    return killed


async def checked_counts(store: Store, count: int, issues: int) -> tuple[int, int, int]:
    """Check what was stored; (runs, failed runs, full runs) by the time the workers
    stopped."""
    connection = await asyncpg.connect(store.dsn)
    try:
        await _check_store(connection, count, issues)
        overlaps = await _overlaps(connection)
        check(not overlaps, f"overlapping runs: {overlaps[:5]}")
        final = await connection.fetchrow(PROGRESS_SQL)  # runs after the last poll included
        return int(final["runs"]), int(final["failed"]), int(final["full_runs"])
    finally:
        await connection.close()


def run_phase(
    store: Store, sims: Sequence[Simulator], workers: int, args: argparse.Namespace, workdir: Path
) -> PhaseResult:
    count, issues = args.connections, args.issues
    asyncio.run(setup(store, sims, count, args.interval))
    log(f"{count} connections set up")
    background = wait_until_quiet(args.max_background, args.max_wait)
    env = offline_env({"BRIDGE_DATABASE_URL": store.url, "BRIDGE_SECRET_KEY": SECRET_KEY})
    logs = [workdir / f"worker-{workers}-{i}.log" for i in range(workers)]
    with httpx.Client(timeout=30.0, trust_env=False) as client:
        sim_requests = sum(sim.requests(client) for sim in sims)
        sim_cpu = [cpu_seconds(sim.pid) for sim in sims]
        script_cpu = time.process_time()
        busy, total = machine_ticks()
        t0_wall = datetime.now(UTC)
        t0 = time.perf_counter()
        processes = start_workers(workers, env, logs)
        try:
            polled = asyncio.run(poll(store, processes, logs, t0, count, args.timeout))
            busy2, total2 = machine_ticks()
            sim_cpu = [cpu_seconds(sim.pid) - cpu for sim, cpu in zip(sims, sim_cpu, strict=True)]
            script_cpu = time.process_time() - script_cpu
            sim_requests = sum(sim.requests(client) for sim in sims) - sim_requests
        finally:
            log(f"stopping {workers} worker(s), {time.perf_counter() - t0:.1f} s after start")
            killed = stop_workers(processes)
            log(
                f"stopped ({killed} killed after 30 s),"
                f" {time.perf_counter() - t0:.1f} s after start"
            )
    runs, failed, full_runs = asyncio.run(checked_counts(store, count, issues))

    def since_t0(moment: datetime) -> float:
        return (moment - t0_wall).total_seconds()

    firsts, timeline, wall_poll = polled.firsts, polled.timeline, polled.wall_s
    wall = since_t0(firsts["done"])
    items = count * issues
    steady = 0.8 * items / (_time_at(timeline, 0.9 * items) - _time_at(timeline, 0.1 * items))
    text = "\n".join(path.read_text(errors="replace") for path in logs)
    log_counts = {name: len(pattern.findall(text)) for name, pattern in LOG_PATTERNS.items()}
    if log_counts["tracebacks"]:
        log(f"first traceback in the worker logs, shortened:\n{_first_traceback(text)}")
    cores = os.cpu_count() or 1
    return PhaseResult(
        workers=workers, connections=count, items=items, wall_s=wall,
        active_s=wall - since_t0(firsts["first_start"]),
        steady_items_per_s=steady,
        first_start_s=since_t0(firsts["first_start"]),
        last_first_start_s=since_t0(firsts["last_first_start"]),
        max_running=max(p.running for p in timeline), runs=runs, failed_runs=failed,
        full_runs_at_done=timeline[-1].full_runs, full_runs=full_runs, killed_workers=killed,
        worker_cores=[c / wall_poll for c in polled.worker_cpu],
        sim_cores=[c / wall_poll for c in sim_cpu],
        postgres_cores=polled.postgres_cpu / wall_poll,
        script_cores=script_cpu / wall_poll,
        machine_busy_cores=(busy2 - busy) / max(1, total2 - total) * cores,
        background_busy_cores=background, sim_requests=sim_requests, log_counts=log_counts,
        timeline=[(round(p.at, 2), p.created, p.succeeded, p.running) for p in timeline],
    )  # fmt: skip


def _first_traceback(text: str) -> str:
    """The first traceback of a log: the line before it, its first frames, its last
    frames and the exception."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("Traceback"))
    end = next(
        (i for i in range(start + 1, len(lines)) if not lines[i].startswith(" ")), len(lines) - 1
    )
    block = lines[max(0, start - 1) : end + 1]
    if len(block) > 24:
        block = [*block[:8], "    ...", *block[-14:]]
    return "\n".join(block)


async def _check_store(connection: asyncpg.Connection, count: int, issues: int) -> None:
    stored = await connection.fetchval("SELECT count(*) FROM work_items")
    check(stored == count * issues, f"work_items holds {stored} rows, not {count * issues}")
    uneven = await connection.fetch(
        "SELECT connection_id, count(*) FROM work_items GROUP BY connection_id"
        " HAVING count(*) <> $1",
        issues,
    )
    check(not uneven, f"connections without exactly {issues} items: {uneven[:5]}")
    synced = await connection.fetchval(
        "SELECT count(DISTINCT connection_id) FROM sync_runs WHERE status = 'succeeded'"
    )
    check(synced == count, f"{synced} of {count} connections have a succeeded run")


async def _overlaps(connection: asyncpg.Connection) -> list[str]:
    rows = await connection.fetch(
        "SELECT connection_id, started_at, finished_at FROM sync_runs"
        " ORDER BY connection_id, started_at"
    )
    found = []
    for earlier, later in itertools.pairwise(rows):
        if earlier["connection_id"] != later["connection_id"]:
            continue
        if earlier["finished_at"] is None or earlier["finished_at"] > later["started_at"]:
            found.append(f"{earlier['connection_id']}: {earlier['started_at']}")
    return found


# --- Report -------------------------------------------------------------------------------------


@dataclass
class Summary:
    workers: int
    runs: int
    items: int
    items_per_s: float
    active_items_per_s: float
    steady_items_per_s: float
    wall_s: float
    first_start_s: float
    last_first_start_s: float
    max_running: int
    failed_runs: int
    duplicate_full_runs: int  # full runs beyond one per connection, by the end (max)
    killed_workers: int
    worker_cores: float  # all workers together
    worker_cores_each: list[float]
    sim_cores: float  # all simulators together
    postgres_cores: float
    machine_busy_cores: float
    sim_requests: int
    log_counts: dict[str, int]
    per_run: list[dict[str, Any]]


def _median(values: Sequence[float]) -> float:
    return round(statistics.median(values), 3)


def summarize(results: list[PhaseResult]) -> Summary:
    return Summary(
        workers=results[0].workers,
        runs=len(results),
        items=results[0].items,
        items_per_s=_median([r.items_per_s for r in results]),
        active_items_per_s=_median([r.active_items_per_s for r in results]),
        steady_items_per_s=_median([r.steady_items_per_s for r in results]),
        wall_s=_median([r.wall_s for r in results]),
        first_start_s=_median([r.first_start_s for r in results]),
        last_first_start_s=_median([r.last_first_start_s for r in results]),
        max_running=max(r.max_running for r in results),
        failed_runs=sum(r.failed_runs for r in results),
        duplicate_full_runs=max(r.full_runs_at_done - r.connections for r in results),
        killed_workers=sum(r.killed_workers for r in results),
        worker_cores=_median([sum(r.worker_cores) for r in results]),
        worker_cores_each=[
            _median([r.worker_cores[i] for r in results]) for i in range(results[0].workers)
        ],
        sim_cores=_median([sum(r.sim_cores) for r in results]),
        postgres_cores=_median([r.postgres_cores for r in results]),
        machine_busy_cores=_median([r.machine_busy_cores for r in results]),
        sim_requests=round(_median([r.sim_requests for r in results])),
        log_counts={
            name: sum(r.log_counts[name] for r in results) for name in results[0].log_counts
        },
        per_run=[
            {
                **{k: v for k, v in asdict(r).items() if k != "timeline"},
                "items_per_s": round(r.items_per_s, 1),
                "active_items_per_s": round(r.active_items_per_s, 1),
                "timeline_every_5th": r.timeline[::5],
            }
            for r in results
        ],
    )


def markdown(summaries: Sequence[Summary]) -> str:
    header = (
        "workers", "runs", "wall s", "items/s (wall)", "items/s (active)", "items/s (steady)",
        "first run / last first run starts at s", "max concurrent runs", "failed runs",
        "duplicate full runs",
        "cores: workers (each) / sims / postgres / machine", "sim requests",
    )  # fmt: skip
    lines = [f"| {' | '.join(header)} |", f"|{'---|' * len(header)}"]
    for s in summaries:
        each = ", ".join(f"{c:.2f}" for c in s.worker_cores_each)
        cells = (
            str(s.workers), str(s.runs), f"{s.wall_s:.1f}", f"{s.items_per_s:,.0f}",
            f"{s.active_items_per_s:,.0f}", f"{s.steady_items_per_s:,.0f}",
            f"{s.first_start_s:.1f} / {s.last_first_start_s:.1f}", str(s.max_running),
            str(s.failed_runs), str(s.duplicate_full_runs),
            f"{s.worker_cores:.2f} ({each}) / {s.sim_cores:.2f} / {s.postgres_cores:.2f} / "
            f"{s.machine_busy_cores:.2f}",
            str(s.sim_requests),
        )  # fmt: skip
        lines.append(f"| {' | '.join(cells)} |")
    return "\n".join(lines)


def run_all(args: argparse.Namespace, sims: Sequence[Simulator], workdir: Path) -> int:
    results: dict[int, list[PhaseResult]] = {w: [] for w in args.workers}
    phase = 0
    for run in range(1, args.runs + 1):
        order = args.workers if run % 2 else list(reversed(args.workers))
        for workers in order:
            phase += 1
            store = Store(args.admin_dsn, phase)
            log(f"run {run}: {workers} worker(s), database {store.database}")
            try:
                result = run_phase(store, sims, workers, args, workdir)
            finally:
                asyncio.run(store.drop())
            log(
                f"run {run}: {workers} worker(s): {result.items_per_s:,.0f} items/s over"
                f" {result.wall_s:.1f} s (active {result.active_items_per_s:,.0f},"
                f" steady {result.steady_items_per_s:,.0f}); first runs started"
                f" {result.first_start_s:.1f}..{result.last_first_start_s:.1f} s;"
                f" max running {result.max_running}; runs {result.runs}, failed"
                f" {result.failed_runs}, full {result.full_runs_at_done} by the end"
                f" ({result.full_runs} by the stop); cores: workers"
                f" {[round(c, 2) for c in result.worker_cores]}, sims"
                f" {[round(c, 2) for c in result.sim_cores]}, postgres"
                f" {result.postgres_cores:.2f}, machine {result.machine_busy_cores:.2f}"
                f" (before {result.background_busy_cores:.2f}); logs {result.log_counts}"
            )
            results[workers].append(result)

    summaries = [summarize(results[w]) for w in args.workers]
    print(markdown(summaries))
    summary: dict[str, Any] = {
        "benchmark": "sync_scale",
        "connections": args.connections,
        "issues": args.issues,
        "sims": args.sims,
        "interval": args.interval,
        "target_speedup": TARGET_SPEEDUP,
        "cores": os.cpu_count(),
        **{f"workers_{s.workers}": asdict(s) for s in summaries},
    }
    if len(summaries) >= 2:
        one, many = summaries[0], summaries[-1]
        speedups = {
            "wall": many.items_per_s / one.items_per_s,
            "active": many.active_items_per_s / one.active_items_per_s,
            "steady": many.steady_items_per_s / one.steady_items_per_s,
        }
        print(
            f"\n{many.workers} workers / {one.workers}: "
            + ", ".join(f"{name} {value:.2f}x" for name, value in speedups.items())
            + f" (target >= {TARGET_SPEEDUP:.0f}x)"
        )
        summary |= {
            "speedup": {k: round(v, 3) for k, v in speedups.items()},
            "meets_target": speedups["wall"] >= TARGET_SPEEDUP,
        }
    print(json.dumps(summary, separators=(",", ":")))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--connections", type=int, default=200)
    parser.add_argument("--issues", type=int, default=500, help="per connection")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 3])
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--sims", type=int, default=2, help="simulator processes")
    parser.add_argument("--interval", type=int, default=40, help="seconds, per connection")
    parser.add_argument("--timeout", type=float, default=1200.0, help="seconds per phase")
    parser.add_argument(
        "--max-background",
        type=float,
        default=0.5,
        help="before a phase, wait while more cores than this are busy",
    )
    parser.add_argument(
        "--max-wait", type=float, default=600.0, help="seconds to wait at most for --max-background"
    )
    parser.add_argument("--admin-dsn", default=DEFAULT_ADMIN_DSN,
                        help="a PostgreSQL database to run CREATE/DROP DATABASE from")  # fmt: skip
    args = parser.parse_args(argv)
    # Stopped with SIGTERM: unwind, so servers, workers and databases are cleaned up.
    signal.signal(signal.SIGTERM, lambda _signal, _frame: sys.exit(143))
    check(args.connections >= 1 and args.issues >= 10, "need connections >= 1, issues >= 10")
    check(args.runs >= 1 and args.sims >= 1 and min(args.workers) >= 1, "bad arguments")
    with tempfile.TemporaryDirectory(prefix="bench_sync_scale_") as scratch:
        workdir = Path(scratch)
        log(f"{args.sims} simulator(s): {args.connections} repositories x {args.issues} issues")
        with simulators(args.sims, args.connections, args.issues, workdir) as sims:
            log(f"simulators up and warm: pids {[s.pid for s in sims]}")
            return run_all(args, sims, workdir)


if __name__ == "__main__":
    sys.exit(main())
