"""Webhook acceptance: `bridge serve` against a bare FastAPI endpoint, side by side.

    python bench/webhooks.py [--db sqlite|postgres|both] [--runs 2] [--seconds 10]
                             [--concurrency 48] [--rate 200] [--rate-seconds 10]
                             [--workers 1]

Per database and run, on a fresh store (SQLite: a file in a temp dir; PostgreSQL: a
database bench_webhooks_<pid>_<run>, dropped at the end), two servers run at once on
free loopback ports, each in its own process (or --workers processes sharing its port):

  bridge. `bridge serve --port P` with BRIDGE_SCHEDULER=off (no inbox processor
     competing: this measures acceptance = verify the signature + store the delivery
     durably + answer 202), after `bridge connections add gh --kind github
     --webhook-secret S`;
  bare. a FastAPI app with one `async def` POST /webhooks/{connection} that reads the
     body and answers 202 JSON (uvicorn, --workers workers, access log off, same loop/http
     implementations as `bridge serve`).

Deliveries: the real payload fixtures/real/github/issues.opened.json (13.5 KB), with
X-GitHub-Event: issues, a unique X-GitHub-Delivery per request (UUID-shaped: a random
prefix per phase and a counter), X-Hub-Signature-256 = "sha256=" + hex
HMAC-SHA256(S, body) and Content-Type: application/json. The head is built and signed
before timing (GitHub signs the body only, so one signature serves all); only the
delivery id is appended per request.

The load generator is a separate process (this script with --loadgen): raw HTTP/1.1
keep-alive over asyncio streams on uvloop, so it costs far less CPU than the servers.
For each server, in the same run, alternating which goes first:

  saturation. closed loop: --concurrency connections each sending back to back, 2 s of
     warm-up, then --seconds measured; accepted/s = 202s / seconds (in-flight included);
  latency. open loop: --rate deliveries/s for --rate-seconds on a fixed schedule, sent
     whether or not earlier ones were answered (a fresh connection when none is idle);
     latency is measured from the scheduled send time (no coordinated omission), and
     from the actual send too.

Checks, per run: every 202 the bridge gave is a row in webhook_deliveries (and the rows
have distinct delivery ids); wrongly signed requests (wrong secret, tampered body,
malformed and missing signature) are answered 401 and stored nowhere; a delivery sent
again is answered 200 duplicate.

CPU: per phase, the CPU time of the server, of the load generator and (PostgreSQL)
of all postgres processes, in cores (CPU seconds / wall seconds), and the machine's
busy cores from /proc/stat. Before each measured phase the script writes out what the
earlier phases left for the disk (PostgreSQL: CHECKPOINT; then sync(2)): a saturation
phase writes ~300 MB, and 20-30 s later any commit (a probe's one-row INSERTs too) could
stall ~100 ms, inside whichever phase came next. Then it waits, polling
every 30 s, while another benchmark (a process running bench/ or tap-github that is
not ours) is running, and (at most --max-wait s) while more than --max-background
cores are busy; the busy cores just before the phase are reported.

Prints a Markdown table of medians and one JSON line. Targets: Issuebridge accepted/s
>= 50% of the bare endpoint's on SQLite and on PostgreSQL, and p99 < 50 ms at
200 deliveries/s.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import hmac
import json
import os
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from common import check, free_port, log

PAYLOAD = Path("/work/shared/fixtures/real/github/issues.opened.json")
CONNECTION = "gh"
WEBHOOK_SECRET = "bench-webhook-secret"
SECRET_KEY = "bench-only-key"
TARGET_RATIO = 0.5
TARGET_P99_MS = 50.0
WARMUP_SECONDS = 2.0
START_TIMEOUT = 60.0
QUIET_POLL_SECONDS = 30.0
MAX_RATE = 200_000  # deliveries/s: a bound on the requests of a closed loop
IDLE_REUSE_SECONDS = 3.0  # uvicorn closes keep-alive connections idle for 5 s
DEFAULT_ADMIN_DSN = "postgresql://postgres@127.0.0.1:5432/test"
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")

# The bare endpoint: argv = port.
BARE_SOURCE = """
import sys
import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

app = FastAPI()


@app.get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@app.post("/webhooks/{connection}")
async def receive(connection: str, request: Request) -> JSONResponse:
    body = await request.body()
    delivery = request.headers.get("x-github-delivery", "")
    return JSONResponse({"delivery": delivery, "duplicate": not body}, status_code=202)


if __name__ == "__main__":
    uvicorn.run(
        "bare:app", host="127.0.0.1", port=int(sys.argv[1]), workers=int(sys.argv[2]),
        access_log=False, log_level="warning",
    )
"""


def signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def percentile(values: Sequence[float], share: float) -> float:
    """Nearest-rank percentile (0 < share <= 1) of a non-empty sequence."""
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(share * len(ordered) + 0.5)))
    return ordered[rank - 1]


# --- CPU accounting ----------------------------------------------------------------------


def _stat_fields(pid: int) -> list[str]:
    stat = Path(f"/proc/{pid}/stat").read_text()
    return [stat[stat.index("(") + 1 : stat.rindex(")")], *stat[stat.rindex(")") + 2 :].split()]


def cpu_seconds(pid: int) -> float:
    """User + system CPU time so far of a running process and its live descendants
    (the processes of `--workers N`)."""
    fields = _stat_fields(pid)
    own = (int(fields[12]) + int(fields[13])) / CLOCK_TICKS  # utime, stime
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    total = own
    for child in children:
        with contextlib.suppress(OSError):
            total += cpu_seconds(int(child))
    return total


def postgres_cpu_seconds() -> float:
    """CPU time so far of every process named postgres (the server and its backends,
    whoever they serve: others' work shows up too). Ended backends drop out, so the
    delta over a phase can undercount short-lived backends."""
    total = 0.0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError, IndexError, ValueError):
            fields = _stat_fields(int(entry.name))
            if fields[0] == "postgres":
                total += (int(fields[12]) + int(fields[13])) / CLOCK_TICKS
    return total


def machine_busy_ticks() -> tuple[int, int]:
    """(busy, total) jiffies of all CPUs from /proc/stat."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + values[4]  # idle, iowait
    total = sum(values[:8])
    return total - idle, total


def _parents() -> dict[int, int]:
    parents = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError, IndexError, ValueError):
                parents[int(entry.name)] = int(_stat_fields(int(entry.name))[2])
    return parents


def other_benchmarks() -> list[str]:
    """Command lines of running benchmarks (bench/ or tap-github) that are neither
    this process, its ancestors nor its descendants."""
    parents = _parents()
    ours = {os.getpid()}
    pid = os.getpid()
    while pid in parents and parents[pid] > 1:  # ancestors (the shell that started us)
        pid = parents[pid]
        ours.add(pid)
    grew = True
    while grew:  # descendants
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


# --- The load generator (a separate process: this script with --loadgen) ----------------


@dataclass
class LoadSpec:
    port: int
    path: str
    mode: str  # "closed" or "open"
    seconds: float
    concurrency: int  # closed loop
    rate: float  # open loop, deliveries/s
    warmup: float  # closed loop: seconds sent before the measured ones
    signature: str
    event: str = "issues"


@dataclass
class LoadResult:
    mode: str
    seconds: float  # measured phase: first send to last answer
    sent: int
    statuses: dict[str, int]
    warmup_statuses: dict[str, int]
    errors: int
    connections: int
    latency_ms: dict[str, float]  # from the actual send
    scheduled_latency_ms: dict[str, float]  # open loop: from the scheduled send time
    offered_rate: float  # open loop: sends / schedule span
    cpu_s: float  # the load generator's own CPU time over the measured phase

    @property
    def accepted(self) -> int:
        return self.statuses.get("202", 0)

    @property
    def accepted_per_s(self) -> float:
        return self.accepted / self.seconds


class Requests:
    """The requests of a phase: one head, signed before timing (GitHub signs the body
    only), and per request a unique UUID-shaped delivery id (this phase's random
    prefix and a counter), appended to the prebuilt head at send time."""

    def __init__(self, spec: LoadSpec, body: bytes, count: int) -> None:
        self.body = body
        self.head = (
            f"POST {spec.path} HTTP/1.1\r\nHost: 127.0.0.1:{spec.port}\r\n"
            f"User-Agent: GitHub-Hookshot/bench\r\nContent-Type: application/json\r\n"
            f"X-GitHub-Event: {spec.event}\r\nX-Hub-Signature-256: {spec.signature}\r\n"
            f"Content-Length: {len(body)}\r\nX-GitHub-Delivery: "
            f"{str(uuid.uuid4())[:24]}"
        ).encode()
        self.count = count
        self.next = 0

    def take(self) -> bytes | None:
        if self.next >= self.count:
            return None
        self.next += 1
        return b"%s%012x\r\n\r\n" % (self.head, self.next)


class HttpConnection:
    """One keep-alive HTTP/1.1 connection, a request at a time."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer
        self.last_used = time.monotonic()
        self.usable = True

    @classmethod
    async def open(cls, port: int) -> HttpConnection:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        sock = writer.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return cls(reader, writer)

    async def post(self, head: bytes, body: bytes) -> int:
        """Send one request, read its whole answer; its status code."""
        self.writer.writelines((head, body))
        await self.writer.drain()
        block = await self.reader.readuntil(b"\r\n\r\n")
        status = int(block[9:12])
        lowered = block.lower()
        at = lowered.find(b"\r\ncontent-length:")
        if at < 0:
            raise RuntimeError(f"an answer without Content-Length: {block[:200]!r}")
        length = int(lowered[at + 17 : lowered.index(b"\r\n", at + 2)])
        await self.reader.readexactly(length)
        if b"\r\nconnection: close" in lowered:
            self.usable = False
        self.last_used = time.monotonic()
        return status

    def close(self) -> None:
        self.usable = False
        self.writer.close()


def _summary_ms(values: Sequence[float]) -> dict[str, float]:
    if not values:
        return {}
    return {
        "p50": round(percentile(values, 0.50) * 1000, 2),
        "p90": round(percentile(values, 0.90) * 1000, 2),
        "p99": round(percentile(values, 0.99) * 1000, 2),
        "max": round(max(values) * 1000, 2),
        "mean": round(statistics.fmean(values) * 1000, 2),
    }


async def closed_loop(spec: LoadSpec, body: bytes) -> LoadResult:
    total = int((spec.seconds + spec.warmup) * MAX_RATE)
    requests = Requests(spec, body, total)
    connections = [await HttpConnection.open(spec.port) for _ in range(spec.concurrency)]
    statuses: Counter[str] = Counter()
    warmup: Counter[str] = Counter()
    latencies: list[float] = []
    errors = 0
    loop = asyncio.get_running_loop()
    measuring = False
    deadline = loop.time() + spec.warmup

    async def worker(connection: HttpConnection) -> None:
        nonlocal errors
        while loop.time() < deadline and (head := requests.take()) is not None:
            counting = measuring
            started = time.perf_counter()
            try:
                status = await connection.post(head, requests.body)
            except (OSError, asyncio.IncompleteReadError, RuntimeError):
                errors += counting
                return
            if counting:
                latencies.append(time.perf_counter() - started)
                statuses[str(status)] += 1
            else:
                warmup[str(status)] += 1

    await asyncio.gather(*(worker(c) for c in connections))
    measuring = True
    cpu = time.process_time()
    started = time.perf_counter()
    deadline = loop.time() + spec.seconds
    await asyncio.gather(*(worker(c) for c in connections))
    elapsed = time.perf_counter() - started
    cpu = time.process_time() - cpu
    for connection in connections:
        connection.close()
    check(requests.next < total, f"ran out of the {total} requests")
    return LoadResult(
        mode="closed", seconds=elapsed, sent=sum(statuses.values()) + errors,
        statuses=dict(statuses), warmup_statuses=dict(warmup), errors=errors,
        connections=len(connections), latency_ms=_summary_ms(latencies),
        scheduled_latency_ms={}, offered_rate=0.0, cpu_s=cpu,
    )  # fmt: skip


async def open_loop(spec: LoadSpec, body: bytes) -> LoadResult:
    count = round(spec.rate * spec.seconds)
    requests = Requests(spec, body, count)
    idle: list[HttpConnection] = [await HttpConnection.open(spec.port) for _ in range(8)]
    opened = len(idle)
    statuses: Counter[str] = Counter()
    latencies: list[float] = []
    scheduled: list[float] = []
    errors = 0

    async def one(head: bytes, due: float) -> None:
        nonlocal errors, opened
        connection = None
        while idle and connection is None:
            candidate = idle.pop()
            if candidate.usable and time.monotonic() - candidate.last_used < IDLE_REUSE_SECONDS:
                connection = candidate
            else:
                candidate.close()
        try:
            if connection is None:
                connection = await HttpConnection.open(spec.port)
                opened += 1
            sent = time.perf_counter()
            status = await connection.post(head, requests.body)
        except (OSError, asyncio.IncompleteReadError, RuntimeError):
            errors += 1
            if connection is not None:
                connection.close()
            return
        done = time.perf_counter()
        latencies.append(done - sent)
        scheduled.append(done - due)
        statuses[str(status)] += 1
        if connection.usable:
            idle.append(connection)

    cpu = time.process_time()
    start = time.perf_counter() + 0.05
    tasks = []
    for i in range(count):
        due = start + i / spec.rate
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        head = requests.take()
        assert head is not None
        tasks.append(asyncio.create_task(one(head, due)))
    span = time.perf_counter() - start
    await asyncio.gather(*tasks)
    elapsed = time.perf_counter() - start
    cpu = time.process_time() - cpu
    for connection in idle:
        connection.close()
    return LoadResult(
        mode="open", seconds=elapsed, sent=count, statuses=dict(statuses), warmup_statuses={},
        errors=errors, connections=opened, latency_ms=_summary_ms(latencies),
        scheduled_latency_ms=_summary_ms(scheduled), offered_rate=count / span if span else 0.0,
        cpu_s=cpu,
    )  # fmt: skip


def loadgen_main(raw_spec: str) -> int:
    spec = LoadSpec(**json.loads(raw_spec))
    body = PAYLOAD.read_bytes()
    with contextlib.suppress(ImportError):
        import uvloop

        asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
    run = closed_loop if spec.mode == "closed" else open_loop
    result = asyncio.run(run(spec, body))
    print(json.dumps(asdict(result)))
    return 0


def run_load(spec: LoadSpec) -> LoadResult:
    argv = [sys.executable, __file__, "--loadgen", json.dumps(asdict(spec))]
    done = subprocess.run(argv, capture_output=True, text=True, check=False)
    check(done.returncode == 0, f"load generator exited {done.returncode}: {done.stderr[-2000:]}")
    return LoadResult(**json.loads(done.stdout))


# --- Servers and stores ------------------------------------------------------------------


class Server:
    """A server in a subprocess on a free loopback port."""

    def __init__(self, name: str, argv: list[str], env: dict[str, str], port: int, log_path: Path):
        self.name = name
        self.port = port
        self.root = f"http://127.0.0.1:{port}"
        self._log = log_path
        with log_path.open("wb") as output:
            self.process = subprocess.Popen(argv, env=env, stdout=output, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"{name} exited: {log_path.read_text()[-2000:]}")
            with contextlib.suppress(httpx.TransportError):
                if httpx.get(f"{self.root}/healthz", trust_env=False).status_code == 200:
                    return
            time.sleep(0.2)
        raise SystemExit(f"{name} did not answer within {START_TIMEOUT:.0f} s")

    @property
    def pid(self) -> int:
        return self.process.pid

    def log_tail(self) -> str:
        return self._log.read_text()[-2000:]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


class Store:
    name: str
    url: str

    def settle(self) -> None:
        """Write out what earlier phases left for the disk (the OS's dirty pages),
        so a phase does not pay for the writes of the one before it."""
        os.sync()

    def create(self) -> None:
        raise NotImplementedError

    def drop(self) -> None:
        raise NotImplementedError

    def deliveries(self) -> tuple[int, int]:
        """(rows, distinct delivery ids) in webhook_deliveries."""
        raise NotImplementedError


class SqliteStore(Store):
    name = "sqlite"

    def __init__(self, workdir: Path) -> None:
        self.path = workdir / "bridge.db"
        self.url = f"sqlite+aiosqlite:///{self.path}"

    def create(self) -> None:
        pass  # the file comes with `bridge connections add`

    def drop(self) -> None:
        for suffix in ("", "-wal", "-shm", ".secret-key"):
            Path(f"{self.path}{suffix}").unlink(missing_ok=True)

    def deliveries(self) -> tuple[int, int]:
        with contextlib.closing(sqlite3.connect(self.path)) as connection:
            row = connection.execute(
                "SELECT count(*), count(DISTINCT delivery_id) FROM webhook_deliveries"
            ).fetchone()
        return int(row[0]), int(row[1])


class PostgresStore(Store):
    name = "postgres"

    def __init__(self, admin_dsn: str, run: int) -> None:
        self.admin_dsn = admin_dsn
        self.database = f"bench_webhooks_{os.getpid()}_{run}"
        self.dsn = admin_dsn.rsplit("/", 1)[0] + f"/{self.database}"
        self.url = self.dsn.replace("postgresql://", "postgresql+asyncpg://", 1)

    async def _execute(self, dsn: str, sql: str) -> list[Any]:
        connection = await asyncpg.connect(dsn)
        try:
            return list(await connection.fetch(sql))
        finally:
            await connection.close()

    def create(self) -> None:
        self.drop()
        asyncio.run(self._execute(self.admin_dsn, f"CREATE DATABASE {self.database}"))

    def drop(self) -> None:
        sql = f"DROP DATABASE IF EXISTS {self.database} WITH (FORCE)"
        asyncio.run(self._execute(self.admin_dsn, sql))

    def settle(self) -> None:
        # A checkpoint writes out the dirty shared buffers too, then os.sync() the rest.
        asyncio.run(self._execute(self.admin_dsn, "CHECKPOINT"))
        super().settle()

    def deliveries(self) -> tuple[int, int]:
        sql = "SELECT count(*), count(DISTINCT delivery_id) FROM webhook_deliveries"
        row = asyncio.run(self._execute(self.dsn, sql))[0]
        return int(row[0]), int(row[1])


def bridge_env(store: Store) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BRIDGE_")}
    return env | {
        "BRIDGE_DATABASE_URL": store.url,
        "BRIDGE_SECRET_KEY": SECRET_KEY,
        "BRIDGE_SCHEDULER": "off",
    }


@contextlib.contextmanager
def servers(store: Store, workdir: Path, workers: int) -> Iterator[dict[str, Server]]:
    bridge = str(Path(sys.executable).with_name("bridge"))
    env = bridge_env(store)
    add = [bridge, "connections", "add", CONNECTION, "--kind", "github"]
    add += ["--webhook-secret", WEBHOOK_SECRET]
    done = subprocess.run(add, env=env, capture_output=True, text=True, check=False)
    check(done.returncode == 0, f"bridge connections add exited {done.returncode}: {done.stderr}")
    started: dict[str, Server] = {}
    try:
        port = free_port()
        serve = [bridge, "serve", "--port", str(port), "--workers", str(workers)]
        started["bridge"] = Server("bridge serve", serve, env, port, workdir / "bridge.log")
        port = free_port()
        (workdir / "bare.py").write_text(BARE_SOURCE)
        bare = [sys.executable, str(workdir / "bare.py"), str(port), str(workers)]
        bare_env = dict(os.environ) | {"PYTHONPATH": str(workdir)}
        started["bare"] = Server("bare FastAPI", bare, bare_env, port, workdir / "bare.log")
        yield started
    finally:
        for server in started.values():
            server.stop()


# --- Phases, checks and one run -----------------------------------------------------------


@dataclass
class Phase:
    """One load phase against one server, with the CPU it took."""

    load: LoadResult
    wall_s: float
    server_cores: float
    loadgen_cores: float
    postgres_cores: float
    machine_busy_cores: float
    background_busy_cores: float  # the machine's busy cores just before the phase

    @property
    def p99_ms(self) -> float:
        return self.load.scheduled_latency_ms.get("p99", self.load.latency_ms.get("p99", 0.0))


def busy_cores(seconds: float) -> float:
    busy, total = machine_busy_ticks()
    time.sleep(seconds)
    busy2, total2 = machine_busy_ticks()
    cores = os.cpu_count() or 1
    return (busy2 - busy) / max(1, total2 - total) * cores


def measured_phase(
    server: Server, spec: LoadSpec, args: argparse.Namespace, *, postgres: bool
) -> Phase:
    background = wait_until_quiet(args.max_background, args.max_wait)
    server_cpu = cpu_seconds(server.pid)
    pg_cpu = postgres_cpu_seconds() if postgres else 0.0
    busy, total = machine_busy_ticks()
    started = time.perf_counter()
    load = run_load(spec)
    wall = time.perf_counter() - started
    busy2, total2 = machine_busy_ticks()
    server_cpu = cpu_seconds(server.pid) - server_cpu
    pg_cpu = postgres_cpu_seconds() - pg_cpu if postgres else 0.0
    # The whole loadgen process ran for `wall` (start-up and warm-up included): CPU shares
    # of the servers are over that span; the loadgen's over its measured phase.
    cores = os.cpu_count() or 1
    return Phase(
        load=load,
        wall_s=wall,
        server_cores=server_cpu / wall,
        loadgen_cores=load.cpu_s / load.seconds,
        postgres_cores=pg_cpu / wall,
        machine_busy_cores=(busy2 - busy) / max(1, total2 - total) * cores,
        background_busy_cores=background,
    )


def verification(server: Server, body: bytes) -> dict[str, Any]:
    """Wrongly signed deliveries get 401; a delivery sent twice gets 200 duplicate.
    Returns the number of new deliveries it stored (one)."""
    url = f"{server.root}/webhooks/{CONNECTION}"
    good = signature(WEBHOOK_SECRET, body)
    wrong = {
        "wrong secret": (body, signature("not-the-secret", body)),
        "tampered body": (body.replace(b'"opened"', b'"closed"', 1), good),
        "malformed signature": (body, "sha256=" + "zz" * 32),
        "sha1 prefix": (body, good.replace("sha256=", "sha1=")),
        "no signature": (body, None),
    }
    answers: dict[str, int] = {}
    with httpx.Client(trust_env=False, timeout=30.0) as client:
        for name, (content, signed) in wrong.items():
            headers = {"X-GitHub-Event": "issues", "X-GitHub-Delivery": str(uuid.uuid4()),
                       "Content-Type": "application/json"}  # fmt: skip
            if signed is not None:
                headers["X-Hub-Signature-256"] = signed
            answers[name] = client.post(url, content=content, headers=headers).status_code
        headers = {"X-GitHub-Event": "issues", "X-GitHub-Delivery": str(uuid.uuid4()),
                   "X-Hub-Signature-256": good, "Content-Type": "application/json"}  # fmt: skip
        first = client.post(url, content=body, headers=headers)
        again = client.post(url, content=body, headers=headers)
    check(all(code == 401 for code in answers.values()), f"wrong signatures answered {answers}")
    check(first.status_code == 202, f"a signed delivery answered {first.status_code}")
    check(
        again.status_code == 200 and again.json().get("duplicate") is True,
        f"the same delivery again answered {again.status_code} {again.text}",
    )
    return {"wrong_signature_statuses": answers, "duplicate_status": again.status_code}


@dataclass
class RunResult:
    phases: dict[str, dict[str, Phase]]  # target -> "saturation" | "latency" -> phase
    rows: int
    accepted: int
    checks: dict[str, Any]


def run_once(store: Store, run: int, args: argparse.Namespace) -> RunResult:
    body = PAYLOAD.read_bytes()
    postgres = store.name == "postgres"
    with tempfile.TemporaryDirectory(prefix="bench_webhooks_") as scratch:
        workdir = Path(scratch)
        if isinstance(store, SqliteStore):
            store.path = workdir / "bridge.db"
            store.url = f"sqlite+aiosqlite:///{store.path}"
        store.create()
        try:
            with servers(store, workdir, args.workers) as started:
                order = ("bare", "bridge") if run % 2 else ("bridge", "bare")
                phases: dict[str, dict[str, Phase]] = {name: {} for name in order}
                signed = signature(WEBHOOK_SECRET, body)
                for kind in ("saturation", "latency"):
                    for name in order:
                        server = started[name]
                        spec = LoadSpec(
                            port=server.port, path=f"/webhooks/{CONNECTION}",
                            mode="closed" if kind == "saturation" else "open",
                            seconds=args.seconds if kind == "saturation" else args.rate_seconds,
                            concurrency=args.concurrency, rate=args.rate,
                            warmup=WARMUP_SECONDS if kind == "saturation" else 0.0,
                            signature=signed,
                        )  # fmt: skip
                        log(f"{store.name} run {run}: {name} {kind}")
                        store.settle()
                        phase = measured_phase(server, spec, args, postgres=postgres)
                        phases[name][kind] = phase
                        log(
                            f"{store.name} run {run}: {name} {kind}:"
                            f" {phase.load.accepted_per_s:,.0f} accepted/s,"
                            f" statuses {phase.load.statuses}, errors {phase.load.errors},"
                            f" latency {phase.load.latency_ms},"
                            f" from schedule {phase.load.scheduled_latency_ms},"
                            f" cores: server {phase.server_cores:.2f},"
                            f" loadgen {phase.loadgen_cores:.2f},"
                            f" postgres {phase.postgres_cores:.2f},"
                            f" machine {phase.machine_busy_cores:.2f}"
                            f" (before: {phase.background_busy_cores:.2f})"
                        )
                        if phase.load.errors or set(phase.load.statuses) != {"202"}:
                            log(f"{name} log: {server.log_tail()}")
                checks = verification(started["bridge"], body)
            accepted = 1  # the verification's one new delivery
            for phase in phases["bridge"].values():
                accepted += phase.load.accepted + phase.load.warmup_statuses.get("202", 0)
            rows, distinct = store.deliveries()
            check(rows == distinct, f"{rows} rows but {distinct} distinct delivery ids")
            check(rows == accepted, f"webhook_deliveries holds {rows} rows, {accepted} were 202")
            log(f"{store.name} run {run}: {rows} rows stored = {accepted} deliveries accepted")
            return RunResult(phases=phases, rows=rows, accepted=accepted, checks=checks)
        finally:
            store.drop()


# --- Report -------------------------------------------------------------------------------


@dataclass
class TargetSummary:
    accepted_per_s: float
    saturation_latency_ms: dict[str, float]
    latency_ms_from_schedule: dict[str, float]
    latency_ms_from_send: dict[str, float]
    offered_rate: float
    server_cores_saturation: float
    loadgen_cores_saturation: float
    postgres_cores_saturation: float
    machine_busy_cores_saturation: float
    server_cores_at_rate: float


@dataclass
class Summary:
    db: str
    runs: int
    bridge: TargetSummary
    bare: TargetSummary
    ratio: float  # median of the same-run ratios
    p99_ms_at_rate: float  # the bridge's, from the scheduled send time
    meets_ratio: bool
    meets_p99: bool
    per_run: list[dict[str, Any]] = field(default_factory=list)


def _median(values: Sequence[float]) -> float:
    return round(statistics.median(values), 3)


def _median_dict(dicts: Sequence[dict[str, float]]) -> dict[str, float]:
    keys = dicts[0].keys() if dicts else ()
    return {key: _median([d[key] for d in dicts]) for key in keys}


def summarize_target(results: list[RunResult], target: str) -> TargetSummary:
    saturation = [r.phases[target]["saturation"] for r in results]
    rate = [r.phases[target]["latency"] for r in results]
    return TargetSummary(
        accepted_per_s=_median([p.load.accepted_per_s for p in saturation]),
        saturation_latency_ms=_median_dict([p.load.latency_ms for p in saturation]),
        latency_ms_from_schedule=_median_dict([p.load.scheduled_latency_ms for p in rate]),
        latency_ms_from_send=_median_dict([p.load.latency_ms for p in rate]),
        offered_rate=_median([p.load.offered_rate for p in rate]),
        server_cores_saturation=_median([p.server_cores for p in saturation]),
        loadgen_cores_saturation=_median([p.loadgen_cores for p in saturation]),
        postgres_cores_saturation=_median([p.postgres_cores for p in saturation]),
        machine_busy_cores_saturation=_median([p.machine_busy_cores for p in saturation]),
        server_cores_at_rate=_median([p.server_cores for p in rate]),
    )


def summarize(db: str, results: list[RunResult]) -> Summary:
    ratios = [
        r.phases["bridge"]["saturation"].load.accepted_per_s
        / r.phases["bare"]["saturation"].load.accepted_per_s
        for r in results
    ]
    bridge = summarize_target(results, "bridge")
    ratio = _median(ratios)
    p99 = bridge.latency_ms_from_schedule["p99"]
    return Summary(
        db=db, runs=len(results), bridge=bridge, bare=summarize_target(results, "bare"),
        ratio=ratio, p99_ms_at_rate=p99, meets_ratio=ratio >= TARGET_RATIO,
        meets_p99=p99 < TARGET_P99_MS,
        per_run=[
            {
                "ratio": round(ratio_of_run, 3),
                "rows": r.rows,
                **{
                    f"{target}_{kind}": {
                        "accepted_per_s": round(p.load.accepted_per_s, 1),
                        "statuses": p.load.statuses,
                        "errors": p.load.errors,
                        "latency_ms": p.load.latency_ms,
                        "from_schedule_ms": p.load.scheduled_latency_ms,
                        "connections": p.load.connections,
                        "cores": {
                            "server": round(p.server_cores, 2),
                            "loadgen": round(p.loadgen_cores, 2),
                            "postgres": round(p.postgres_cores, 2),
                            "machine": round(p.machine_busy_cores, 2),
                            "before": round(p.background_busy_cores, 2),
                        },
                    }
                    for target, kinds in r.phases.items()
                    for kind, p in kinds.items()
                },
                "checks": r.checks,
            }
            for r, ratio_of_run in zip(results, ratios, strict=True)
        ],
    )  # fmt: skip


def markdown(summaries: list[Summary], args: argparse.Namespace) -> str:
    header = (
        "db", "server", "runs", f"accepted/s (c={args.concurrency})", "vs bare",
        "p50 / p99 ms at saturation", f"p50 / p99 ms at {args.rate:g}/s (from schedule)",
        "p99 ms from send", "cores at saturation: server / loadgen / postgres / machine",
    )  # fmt: skip
    lines = [f"| {' | '.join(header)} |", f"|{'---|' * len(header)}"]
    for s in summaries:
        for name, t in (("Issuebridge (bridge serve)", s.bridge), ("bare FastAPI", s.bare)):
            sat, rate = t.saturation_latency_ms, t.latency_ms_from_schedule
            cells = (
                s.db, name, str(s.runs), f"{t.accepted_per_s:,.0f}",
                f"{s.ratio:.2f}" if t is s.bridge else "1.00",
                f"{sat['p50']:.1f} / {sat['p99']:.1f}", f"{rate['p50']:.1f} / {rate['p99']:.1f}",
                f"{t.latency_ms_from_send['p99']:.1f}",
                f"{t.server_cores_saturation:.2f} / {t.loadgen_cores_saturation:.2f} / "
                f"{t.postgres_cores_saturation:.2f} / {t.machine_busy_cores_saturation:.2f}",
            )  # fmt: skip
            lines.append(f"| {' | '.join(cells)} |")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--db", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--seconds", type=float, default=10.0, help="saturation phase")
    parser.add_argument("--concurrency", type=int, default=48)
    parser.add_argument(
        "--workers", type=int, default=1, help="server processes, for both servers alike"
    )
    parser.add_argument("--rate", type=float, default=200.0, help="deliveries/s, open loop")
    parser.add_argument("--rate-seconds", type=float, default=10.0)
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
    parser.add_argument("--loadgen", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    # Stopped with SIGTERM: unwind, so servers, workers and databases are cleaned up.
    signal.signal(signal.SIGTERM, lambda _signal, _frame: sys.exit(143))
    if args.loadgen:
        return loadgen_main(args.loadgen)
    check(PAYLOAD.exists(), f"{PAYLOAD} is missing")
    check(args.runs >= 1 and args.concurrency >= 1 and args.rate > 0, "bad arguments")
    check(shutil.which("bridge", path=str(Path(sys.executable).parent)) is not None,
          "run with the project's virtual environment (no bridge next to python)")  # fmt: skip

    summaries = []
    for db in ("sqlite", "postgres") if args.db == "both" else (args.db,):
        results = []
        for run in range(1, args.runs + 1):
            store: Store = (
                SqliteStore(Path(tempfile.gettempdir()))
                if db == "sqlite"
                else PostgresStore(args.admin_dsn, run)
            )
            results.append(run_once(store, run, args))
        summaries.append(summarize(db, results))

    print(markdown(summaries, args))
    summary = {
        "benchmark": "webhooks",
        "payload_bytes": len(PAYLOAD.read_bytes()),
        "concurrency": args.concurrency,
        "workers": args.workers,
        "seconds": args.seconds,
        "rate": args.rate,
        "target_ratio": TARGET_RATIO,
        "target_p99_ms": TARGET_P99_MS,
        "meets_target": all(s.meets_ratio and s.meets_p99 for s in summaries),
        **{s.db: asdict(s) for s in summaries},
    }
    print(json.dumps(summary, separators=(",", ":")))
    return 0


if __name__ == "__main__":
    sys.exit(main())
