"""Linear full and incremental sync: `bridge sync` into SQLite against the simulated
Linear GraphQL API.

    python bench/sync_linear.py [--issues 20000] [--runs 3] [--churn 200]

One simulator, in its own process on a free loopback port, serves
`World.single_repo("acme", "api", issues=N, pull_requests=0)` as one Linear team
(PAY) with Linear's default limits for an API key (5,000 requests and 3,000,000
complexity points an hour, 10,000 points a query). Of the N issues, those closed
over a year ago are auto-archived, as Linear does: a full sync reads only the live
ones, an incremental one archived ones too (as deletions).

Then, `--runs` times, in a fresh temp folder with a new SQLite file:
  1. `bridge connections add acme --kind linear --base-url SIM/linear --scope PAY`
     (untimed);
  2. `bridge sync acme --full --json`, timed as a whole process. Checks: the run
     succeeded, `created` equals the live issues and projects the simulator shows
     (computed here from the same seeded World), and work_items holds them;
  3. `POST /_sim/advance?changes=C` (churn), then `bridge sync acme --json` (an
     incremental run), timed the same way. Checks: it succeeded and read fewer
     issues than the full run.

items/s = items read and stored (the run's `fetched`) / seconds: process wall time,
start-up included, and in-run, from the run's own started_at/finished_at. Requests
are what bridge reports and what the simulator counted; complexity is the points
the simulator charged; CPU seconds of bridge (os.wait4) and of the simulator over
the same interval (/proc/PID/stat), since both share the machine's two cores.
Prints a Markdown table of medians and one JSON line.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
from common import check, free_port, log

CONNECTION = "acme"
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
SCOPE = "PAY"
SIM_START_TIMEOUT = 300.0

SIM_SOURCE = """
import sys
import uvicorn
from connectors.sim.server import build_sim_app
from connectors.sim.world import World

port, issues = (int(arg) for arg in sys.argv[1:3])
world = World.single_repo("acme", "api", issues=issues, pull_requests=0)
app = build_sim_app(world)
uvicorn.run(app, host="127.0.0.1", port=port, access_log=False, log_level="warning")
"""


class Mirror:
    """The simulator's workspace, rebuilt here from the same seed and churned in step
    with it (a World's churn is deterministic), to know what a sync must store."""

    def __init__(self, issues: int) -> None:
        from connectors.linear.sim_render import Workspace
        from connectors.sim.world import World

        self.world = World.single_repo("acme", "api", issues=issues, pull_requests=0)
        self.workspace = Workspace(self.world)

    def advance(self, changes: int) -> None:
        self.world.advance(changes)
        self.workspace.refresh()

    def live(self) -> int:
        workspace = self.workspace
        return (
            sum(1 for _ in workspace.live_issues())
            + len(workspace.projects)
            + len(workspace.initiatives)
        )


class Simulator:
    def __init__(self, issues: int, workdir: Path) -> None:
        self.issues = issues
        self.port = free_port()
        self.root = f"http://127.0.0.1:{self.port}"
        self.base_url = f"{self.root}/linear"
        self._log = workdir / "sim.log"
        self._process: subprocess.Popen[bytes] | None = None
        self._client = httpx.Client(timeout=60.0, trust_env=False)

    def start(self) -> None:
        argv = [sys.executable, "-c", SIM_SOURCE, str(self.port), str(self.issues)]
        with self._log.open("wb") as output:
            self._process = subprocess.Popen(argv, stdout=output, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + SIM_START_TIMEOUT
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise SystemExit(f"simulator exited: {self._log.read_text()[-2000:]}")
            with contextlib.suppress(httpx.TransportError):
                self.stats()
                return
            time.sleep(0.2)
        raise SystemExit(f"simulator did not answer within {SIM_START_TIMEOUT:.0f} s")

    def cpu_seconds(self) -> float:
        assert self._process is not None
        stat = Path(f"/proc/{self._process.pid}/stat").read_text()
        fields = stat[stat.rindex(")") + 2 :].split()
        return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime, stime

    def stats(self) -> dict[str, Any]:
        response = self._client.get(f"{self.root}/_sim/stats")
        response.raise_for_status()
        stats: dict[str, Any] = response.json()["linear"]
        return stats

    def advance(self, changes: int) -> None:
        self._client.post(
            f"{self.root}/_sim/advance", params={"changes": changes}
        ).raise_for_status()

    def stop(self) -> None:
        self._client.close()
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()


@contextlib.contextmanager
def simulator(issues: int, workdir: Path) -> Iterator[Simulator]:
    sim = Simulator(issues, workdir)
    try:
        sim.start()
        yield sim
    finally:
        sim.stop()


@dataclass
class SyncResult:
    kind: str  # full or incremental
    wall_s: float
    inner_s: float
    fetched: int
    created: int
    updated: int
    deleted: int
    requests_reported: int
    requests_sim: int
    complexity: float
    peak_rss_mib: float
    cpu_s: float
    sim_cpu_s: float


def _stamp(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def timed_sync(argv: list[str], folder: Path, env: dict[str, str], sim: Simulator,
               kind: str) -> SyncResult:  # fmt: skip
    before, sim_cpu = sim.stats(), sim.cpu_seconds()
    out, err = folder / f"{kind}.json", folder / f"{kind}.err"
    with out.open("wb") as stdout, err.open("wb") as stderr:
        started = time.perf_counter()
        process = subprocess.Popen(argv, cwd=folder, env=env, stdout=stdout, stderr=stderr)
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - started
    code = os.waitstatus_to_exitcode(status)
    sim_cpu = sim.cpu_seconds() - sim_cpu
    check(code == 0, f"bridge sync exited {code}: {err.read_text()[-2000:]}")
    after = sim.stats()
    run = json.loads(out.read_text())
    check(run["status"] == "succeeded", f"bridge sync {run['status']}: {run['error']}")
    return SyncResult(
        kind=kind,
        wall_s=wall,
        inner_s=(_stamp(run["finished_at"]) - _stamp(run["started_at"])).total_seconds(),
        fetched=run["fetched"],
        created=run["created"],
        updated=run["updated"],
        deleted=run["deleted"],
        requests_reported=run["requests"],
        requests_sim=after["requests"] - before["requests"],
        complexity=after["complexity"] - before["complexity"],
        peak_rss_mib=usage.ru_maxrss / 1024,
        cpu_s=usage.ru_utime + usage.ru_stime,
        sim_cpu_s=sim_cpu,
    )


def live_rows(database: Path) -> int:
    with contextlib.closing(sqlite3.connect(database)) as connection:
        query = "SELECT count(*) FROM work_items WHERE deleted_at IS NULL"
        (stored,) = connection.execute(query).fetchone()
    return int(stored)


def one_run(
    sim: Simulator, workdir: Path, mirror: Mirror, churn: int
) -> tuple[SyncResult, SyncResult]:
    folder = Path(tempfile.mkdtemp(prefix="bridge_", dir=workdir))
    database = folder / "bridge.db"
    env = {k: v for k, v in os.environ.items() if not k.startswith("BRIDGE_")}
    env |= {"BRIDGE_DATABASE_URL": f"sqlite+aiosqlite:///{database}",
            "BRIDGE_SECRET_KEY": "bench-only-key", "BRIDGE_SCHEDULER": "off",
            "NO_PROXY": "127.0.0.1", "no_proxy": "127.0.0.1"}  # fmt: skip
    bridge = str(Path(sys.executable).with_name("bridge"))
    add = [bridge, "connections", "add", CONNECTION, "--kind", "linear", "--base-url",
           sim.base_url, "--scope", SCOPE, "--token", "lin_api_bench"]  # fmt: skip
    done = subprocess.run(add, cwd=folder, env=env, capture_output=True, text=True, check=False)
    check(done.returncode == 0, f"connections add failed: {done.stderr[-2000:]}")
    full = timed_sync([bridge, "sync", CONNECTION, "--full", "--json"], folder, env, sim, "full")
    live = mirror.live()
    check(full.created == live, f"bridge created {full.created}, the simulator shows {live}")
    check(live_rows(database) == live, f"work_items holds {live_rows(database)} live rows")
    sim.advance(churn)
    mirror.advance(churn)
    incremental = timed_sync(
        [bridge, "sync", CONNECTION, "--json"], folder, env, sim, "incremental"
    )
    check(incremental.fetched < full.fetched, "the incremental run read less than the full one")
    check(live_rows(database) == mirror.live(), "after churn, the store holds what Linear shows")
    shutil.rmtree(folder)
    return full, incremental


def median(results: list[SyncResult], name: str) -> float:
    return statistics.median(getattr(r, name) for r in results)


def report(issues: int, live: int, fulls: list[SyncResult], incrementals: list[SyncResult]) -> None:
    print(f"\n{issues:,} Linear issues ({live:,} live issues and projects), "
          f"median of {len(fulls)} runs\n")  # fmt: skip
    print("| run | items/s (process) | items/s (in-run) | wall s | requests (bridge / sim) "
          "| complexity points | created | updated | deleted | CPU s bridge / sim "
          "| peak RSS |")  # fmt: skip
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for kind, results in (("full", fulls), ("incremental", incrementals)):
        read = median(results, "fetched")
        print(
            f"| {kind} | {read / median(results, 'wall_s'):,.0f} "
            f"| {read / median(results, 'inner_s'):,.0f} | {median(results, 'wall_s'):.1f} "
            f"| {median(results, 'requests_reported'):.0f} / {median(results, 'requests_sim'):.0f} "
            f"| {median(results, 'complexity'):,.0f} | {median(results, 'created'):.0f} "
            f"| {median(results, 'updated'):.0f} | {median(results, 'deleted'):.0f} "
            f"| {median(results, 'cpu_s'):.1f} / {median(results, 'sim_cpu_s'):.1f} "
            f"| {median(results, 'peak_rss_mib'):.0f} MiB |"
        )
    summary = {"issues": issues, "live": live, "full": [asdict(r) for r in fulls],
               "incremental": [asdict(r) for r in incrementals]}  # fmt: skip
    print("\n" + json.dumps(summary))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--issues", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--churn", type=int, default=200)
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="bench_linear_"))
    try:
        log(f"generating the expected workspace of {args.issues:,} issues")
        mirror = Mirror(args.issues)
        live = mirror.live()
        with simulator(args.issues, workdir) as sim:
            fulls, incrementals = [], []
            for number in range(1, args.runs + 1):
                full, incremental = one_run(sim, workdir, mirror, args.churn)
                log(f"run {number}: full {full.wall_s:.1f} s, {full.requests_sim} requests; "
                    f"incremental {incremental.wall_s:.1f} s, "
                    f"{incremental.requests_sim} requests")  # fmt: skip
                fulls.append(full)
                incrementals.append(incremental)
        report(args.issues, live, fulls, incrementals)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
