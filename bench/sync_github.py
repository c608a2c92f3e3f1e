"""GitHub full sync: `bridge sync` into SQLite against meltanolabs-tap-github, side by side.

    python bench/sync_github.py [--issues 20000] [--runs 3] [--tap PATH] [--only both|bridge|tap]

One simulator serves both tools, in its own process on a free loopback port:
`World.single_repo("acme", "api", issues=N, pull_requests=N // 10)` with cursor-style
Link headers and rate limits too high to matter. Then, `--runs` times, alternating:

  bridge. In a fresh temp folder with a new SQLite file (BRIDGE_DATABASE_URL):
     `bridge connections add acme --kind github --base-url SIM/github --scope acme/api`
     (untimed), then `bridge sync acme --full --json`, timed as a whole process. Checks:
     the run succeeded, its `created` is N, and work_items holds N rows.
  tap. In a fresh temp folder: `tap-github --config c.json --catalog cat.json > out.jsonl`,
     with a catalog selecting only the `issues` stream, no token, HTTP(S)_PROXY pointed at
     a dead loopback port and NO_PROXY=127.0.0.1 (docs/benchmarks.md). Its `issues` stream
     includes pull requests (records with type "pull_request"): checks that it emitted N
     issue records and N // 10 pull-request records, N + N // 10 RECORD messages in all.

Both tools read the same N + N // 10 items over the same pages; Issuebridge skips the
pull requests, the tap emits them. Throughput is therefore compared on issues:
issues/s = N / seconds. Two timings per tool:
  - process: wall time of the whole process, interpreter start-up, imports and (for
    bridge) the schema check included;
  - in-run: bridge's `finished_at - started_at` from its JSON; the tap's `sync_duration`
    metric of the `issues` stream (from its log), which likewise excludes start-up.
Requests are what each tool reports (bridge's JSON, the tap's `http_request_count`
metrics) and what the simulator counted (GET /_sim/stats, delta over the process).
Peak RSS and CPU time of a process come from os.wait4 (per process, not cumulative);
the simulator's CPU time over the same interval from /proc/PID/stat.

Prints a Markdown table of medians, the Issuebridge / tap ratio, and one JSON line.
Target: Issuebridge issues/s >= 3x the tap's (process timings), with no more requests.
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
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import orjson
from common import check, free_port, log

OWNER, REPO = "acme", "api"
SCOPE = f"{OWNER}/{REPO}"
CONNECTION = "acme"
TARGET_RATIO = 3.0
DEFAULT_TAP = Path("/tmp/tapvenv/bin/tap-github")
SIM_START_TIMEOUT = 300.0  # seconds: generating a large world takes a while
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")

# The simulator process: argv = port, issues, pull requests.
SIM_SOURCE = """
import sys
import uvicorn
from connectors.github.sim import GitHubSimOptions
from connectors.sim.server import build_sim_app
from connectors.sim.world import World

port, issues, pull_requests = (int(arg) for arg in sys.argv[1:4])
world = World.single_repo("acme", "api", issues=issues, pull_requests=pull_requests)
options = GitHubSimOptions(
    link_style="cursor", unauthenticated_rate_limit=10**9, rate_limit=10**9
)
app = build_sim_app(world, github=options)
uvicorn.run(app, host="127.0.0.1", port=port, access_log=False, log_level="warning")
"""


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a running process so far."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat[stat.rindex(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime, stime


# --- The simulator ------------------------------------------------------------------------


class Simulator:
    """The simulator in a subprocess, on a free loopback port."""

    def __init__(self, issues: int, pull_requests: int, workdir: Path) -> None:
        self.issues = issues
        self.pull_requests = pull_requests
        self.port = free_port()
        self.root = f"http://127.0.0.1:{self.port}"
        self.base_url = f"{self.root}/github"
        self._log = workdir / "sim.log"
        self._process: subprocess.Popen[bytes] | None = None
        self._client = httpx.Client(timeout=30.0, trust_env=False)

    @property
    def pid(self) -> int:
        assert self._process is not None
        return self._process.pid

    def start(self) -> None:
        argv = [sys.executable, "-c", SIM_SOURCE, str(self.port)]
        argv += [str(self.issues), str(self.pull_requests)]
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

    def warm_up(self) -> None:
        """Build the sorted listing and the renderer for this base URL before any timing."""
        self._client.get(f"{self.base_url}/repos/{SCOPE}").raise_for_status()
        params = {"state": "all", "sort": "updated", "direction": "asc", "per_page": "100"}
        first = self._client.get(f"{self.base_url}/repos/{SCOPE}/issues", params=params)
        first.raise_for_status()

    def stats(self) -> dict[str, Any]:
        response = self._client.get(f"{self.root}/_sim/stats")
        response.raise_for_status()
        stats: dict[str, Any] = response.json()["github"]
        return stats

    def requests(self) -> dict[str, int]:
        counts: dict[str, int] = self.stats()["requests"]
        return counts

    def stop(self) -> None:
        self._client.close()
        if self._process is None or self._process.poll() is not None:
            return
        self._process.terminate()
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()


@contextlib.contextmanager
def simulator(issues: int, pull_requests: int, workdir: Path) -> Iterator[Simulator]:
    sim = Simulator(issues, pull_requests, workdir)
    try:
        sim.start()
        yield sim
    finally:
        sim.stop()


# --- Measured processes ---------------------------------------------------------------


@dataclass
class Measured:
    """One process, run alone and waited for with wait4."""

    returncode: int
    wall_s: float
    cpu_s: float  # user + system
    peak_rss_mib: float
    sim_cpu_s: float  # the simulator's CPU time over the same interval
    sim_requests: int  # requests the simulator counted over the same interval
    sim_by_endpoint: dict[str, int]


def measure(
    argv: Sequence[str],
    *,
    cwd: Path,
    env: dict[str, str],
    stdout: Path,
    stderr: Path,
    sim: Simulator,
) -> Measured:
    before = sim.requests()
    sim_cpu = cpu_seconds(sim.pid)
    with stdout.open("wb") as out, stderr.open("wb") as err:
        started = time.perf_counter()
        process = subprocess.Popen(argv, cwd=cwd, env=env, stdout=out, stderr=err)
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    sim_cpu = cpu_seconds(sim.pid) - sim_cpu
    after = sim.requests()
    delta = {k: n - before.get(k, 0) for k, n in after.items() if n != before.get(k, 0)}
    return Measured(
        returncode=process.returncode,
        wall_s=wall,
        cpu_s=usage.ru_utime + usage.ru_stime,
        peak_rss_mib=usage.ru_maxrss / 1024,  # KiB on Linux
        sim_cpu_s=sim_cpu,
        sim_requests=sum(delta.values()),
        sim_by_endpoint=delta,
    )


def run_checked(argv: Sequence[str], *, cwd: Path, env: dict[str, str]) -> str:
    done = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    check(done.returncode == 0, f"{' '.join(argv)} exited {done.returncode}: {done.stderr[-2000:]}")
    return done.stdout


def offline_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """The environment without tokens, with every proxied request going to a dead port."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("BRIDGE_", "TAP_GITHUB_", "GITHUB_")) and "PROXY" not in k.upper()
    }
    dead = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    env |= {"HTTP_PROXY": dead, "HTTPS_PROXY": dead, "NO_PROXY": "127.0.0.1"}
    env |= {"http_proxy": dead, "https_proxy": dead, "no_proxy": "127.0.0.1"}
    return env | (extra or {})


# --- One run of each tool ---------------------------------------------------------------


@dataclass
class RunResult:
    tool: str
    wall_s: float  # the whole process
    inner_s: float  # the sync itself, start-up excluded
    issues: int  # issues stored (bridge) or emitted (tap)
    items_read: int  # issues and pull requests read from the simulator
    requests_reported: int
    requests_sim: int
    peak_rss_mib: float
    cpu_s: float
    sim_cpu_s: float

    @property
    def issues_per_s(self) -> float:
        return self.issues / self.wall_s

    @property
    def inner_issues_per_s(self) -> float:
        return self.issues / self.inner_s


def _stamp(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def bridge_run(sim: Simulator, workdir: Path) -> RunResult:
    folder = Path(tempfile.mkdtemp(prefix="bridge_", dir=workdir))
    database = folder / "bridge.db"
    env = offline_env(
        {
            "BRIDGE_DATABASE_URL": f"sqlite+aiosqlite:///{database}",
            "BRIDGE_SECRET_KEY": "bench-only-key",
            "BRIDGE_SCHEDULER": "off",
        }
    )
    bridge = str(Path(sys.executable).with_name("bridge"))
    add = [bridge, "connections", "add", CONNECTION, "--kind", "github"]
    add += ["--base-url", sim.base_url, "--scope", SCOPE, "--token", "bench"]
    run_checked(add, cwd=folder, env=env)

    measured = measure(
        [bridge, "sync", CONNECTION, "--full", "--json"],
        cwd=folder,
        env=env,
        stdout=folder / "sync.json",
        stderr=folder / "sync.err",
        sim=sim,
    )
    error = (folder / "sync.err").read_text()[-2000:]
    check(measured.returncode == 0, f"bridge sync exited {measured.returncode}: {error}")
    run = json.loads((folder / "sync.json").read_text())
    check(run["status"] == "succeeded", f"bridge sync {run['status']}: {run['error']}")
    check(run["created"] == sim.issues, f"bridge created {run['created']}, not {sim.issues}")
    with contextlib.closing(sqlite3.connect(database)) as connection:
        (stored,) = connection.execute("SELECT count(*) FROM work_items").fetchone()
    check(stored == sim.issues, f"work_items holds {stored} rows, not {sim.issues}")
    listed = measured.sim_by_endpoint.get("list_issues", 0)
    pages = -(-(sim.issues + sim.pull_requests) // 100)
    check(listed >= pages, f"bridge made {listed} list requests, fewer than {pages} pages")
    log(f"bridge: {listed} list requests, by endpoint {measured.sim_by_endpoint}")
    shutil.rmtree(folder)
    return RunResult(
        tool="Issuebridge (bridge sync, SQLite)",
        wall_s=measured.wall_s,
        inner_s=(_stamp(run["finished_at"]) - _stamp(run["started_at"])).total_seconds(),
        issues=stored,
        items_read=sim.issues + sim.pull_requests,  # every page of the list is read
        requests_reported=run["requests"],
        requests_sim=measured.sim_requests,
        peak_rss_mib=measured.peak_rss_mib,
        cpu_s=measured.cpu_s,
        sim_cpu_s=measured.sim_cpu_s,
    )


def tap_catalog(tap: Path, sim: Simulator, workdir: Path) -> tuple[Path, Path]:
    """Write the tap's config and a catalog selecting only `issues` (from --discover)."""
    config = workdir / "tap-config.json"
    settings = {
        "api_url_base": sim.base_url,
        "repositories": [SCOPE],
        "start_date": "2000-01-01T00:00:00Z",
    }
    config.write_text(json.dumps(settings))
    discover = [str(tap), "--config", str(config), "--discover"]
    discovered = json.loads(run_checked(discover, cwd=workdir, env=offline_env()))
    names = []
    for stream in discovered["streams"]:
        names.append(stream["tap_stream_id"])
        for entry in stream["metadata"]:
            if entry["breadcrumb"] == []:
                entry["metadata"]["selected"] = stream["tap_stream_id"] == "issues"
    check("issues" in names, f"the tap discovered no issues stream: {names}")
    catalog = workdir / "tap-catalog.json"
    catalog.write_text(json.dumps(discovered))
    return config, catalog


def tap_metrics(log_text: str) -> tuple[float, int]:
    """The `issues` stream's sync_duration and http_request_count, summed over contexts."""
    duration, requests = 0.0, 0
    for line in log_text.splitlines():
        _, found, payload = line.partition("METRIC: ")
        if not found:
            continue
        metric = json.loads(payload)
        tags = metric.get("tags", {})
        if metric["metric"] == "sync_duration" and tags.get("stream") == "issues":
            duration += float(metric["value"])
        elif metric["metric"] == "http_request_count":
            requests += int(metric["value"])
    return duration, requests


def tap_run(tap: Path, config: Path, catalog: Path, sim: Simulator, workdir: Path) -> RunResult:
    folder = Path(tempfile.mkdtemp(prefix="tap_", dir=workdir))
    output = folder / "out.jsonl"
    measured = measure(
        [str(tap), "--config", str(config), "--catalog", str(catalog)],
        cwd=folder,
        env=offline_env(),
        stdout=output,
        stderr=folder / "tap.err",
        sim=sim,
    )
    log_text = (folder / "tap.err").read_text()
    check(measured.returncode == 0, f"tap-github exited {measured.returncode}: {log_text[-2000:]}")
    kinds: dict[str, int] = {}
    records = 0
    with output.open("rb") as lines:
        for line in lines:
            message = orjson.loads(line)
            if message["type"] == "RECORD" and message["stream"] == "issues":
                records += 1
                kind = message["record"].get("type")
                kinds[kind] = kinds.get(kind, 0) + 1
    issues, pulls = kinds.get("issue", 0), kinds.get("pull_request", 0)
    check(issues == sim.issues, f"the tap emitted {issues} issues, not {sim.issues}")
    check(pulls == sim.pull_requests, f"the tap emitted {pulls} PRs, not {sim.pull_requests}")
    check(records == issues + pulls, f"the tap emitted {records} records: {kinds}")
    duration, reported = tap_metrics(log_text)
    log(f"tap: {records} records {kinds}, by endpoint {measured.sim_by_endpoint}")
    shutil.rmtree(folder)
    return RunResult(
        tool="meltanolabs-tap-github (to a JSONL file)",
        wall_s=measured.wall_s,
        inner_s=duration,
        issues=issues,
        items_read=records,
        requests_reported=reported,
        requests_sim=measured.sim_requests,
        peak_rss_mib=measured.peak_rss_mib,
        cpu_s=measured.cpu_s,
        sim_cpu_s=measured.sim_cpu_s,
    )


# --- Report -----------------------------------------------------------------------------


@dataclass
class Summary:
    tool: str
    runs: int
    issues_per_s: float
    inner_issues_per_s: float
    items_per_s: float  # issues and pull requests read, per process second
    wall_s: float
    inner_s: float
    requests_reported: int
    requests_sim: int
    peak_rss_mib: float
    issues: int
    items_read: int
    cpu_s: float
    sim_cpu_s: float
    per_run: list[dict[str, Any]]


def summarize(results: list[RunResult]) -> Summary:
    def median(values: Sequence[float]) -> float:
        return round(statistics.median(values), 3)

    return Summary(
        tool=results[0].tool,
        runs=len(results),
        issues_per_s=median([r.issues_per_s for r in results]),
        inner_issues_per_s=median([r.inner_issues_per_s for r in results]),
        items_per_s=median([r.items_read / r.wall_s for r in results]),
        wall_s=median([r.wall_s for r in results]),
        inner_s=median([r.inner_s for r in results]),
        requests_reported=round(median([r.requests_reported for r in results])),
        requests_sim=round(median([r.requests_sim for r in results])),
        peak_rss_mib=median([r.peak_rss_mib for r in results]),
        issues=results[0].issues,
        items_read=results[0].items_read,
        cpu_s=median([r.cpu_s for r in results]),
        sim_cpu_s=median([r.sim_cpu_s for r in results]),
        per_run=[
            {
                "wall_s": round(r.wall_s, 3),
                "inner_s": round(r.inner_s, 3),
                "issues_per_s": round(r.issues_per_s, 1),
                "requests_sim": r.requests_sim,
                "peak_rss_mib": round(r.peak_rss_mib, 1),
                "cpu_s": round(r.cpu_s, 2),
                "sim_cpu_s": round(r.sim_cpu_s, 2),
            }
            for r in results
        ],
    )


def markdown(summaries: list[Summary]) -> str:
    header = (
        "tool", "issues/s (process)", "issues/s (in-run)", "wall s", "in-run s",
        "requests (own / sim)", "peak RSS MiB", "items read (issues + PRs)", "issues out",
        "CPU s (tool / sim)",
    )  # fmt: skip
    lines = [f"| {' | '.join(header)} |", f"|{'---|' * len(header)}"]
    for s in summaries:
        cells = (
            s.tool, f"{s.issues_per_s:,.0f}", f"{s.inner_issues_per_s:,.0f}",
            f"{s.wall_s:.2f}", f"{s.inner_s:.2f}", f"{s.requests_reported} / {s.requests_sim}",
            f"{s.peak_rss_mib:.0f}", f"{s.items_read:,}", f"{s.issues:,}",
            f"{s.cpu_s:.1f} / {s.sim_cpu_s:.1f}",
        )  # fmt: skip
        lines.append(f"| {' | '.join(cells)} |")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--issues", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--tap", type=Path, default=DEFAULT_TAP, help="the tap-github executable")
    parser.add_argument("--only", choices=("both", "bridge", "tap"), default="both")
    args = parser.parse_args(argv)
    check(args.issues >= 10, "--issues must be at least 10")
    check(args.runs >= 1, "--runs must be at least 1")
    tools = ("bridge", "tap") if args.only == "both" else (args.only,)
    if "tap" in tools:
        check(args.tap.exists(), f"{args.tap} not found: pip install meltanolabs-tap-github")

    pull_requests = args.issues // 10
    results: dict[str, list[RunResult]] = {tool: [] for tool in tools}
    with tempfile.TemporaryDirectory(prefix="bench_sync_github_") as scratch:
        workdir = Path(scratch)
        log(f"simulator: {args.issues} issues + {pull_requests} pull requests")
        with simulator(args.issues, pull_requests, workdir) as sim:
            log(f"simulator: pid {sim.pid} at {sim.base_url}")
            sim.warm_up()
            if "tap" in tools:
                config, catalog = tap_catalog(args.tap, sim, workdir)
            for run in range(1, args.runs + 1):
                for tool in tools:
                    log(f"{tool}: run {run} of {args.runs}")
                    if tool == "bridge":
                        result = bridge_run(sim, workdir)
                    else:
                        result = tap_run(args.tap, config, catalog, sim, workdir)
                    log(
                        f"{tool}: run {run}: {result.issues_per_s:,.0f} issues/s,"
                        f" {result.wall_s:.2f} s (in-run {result.inner_s:.2f} s),"
                        f" {result.requests_sim} requests, {result.peak_rss_mib:.0f} MiB,"
                        f" CPU {result.cpu_s:.1f} s, simulator CPU {result.sim_cpu_s:.1f} s"
                    )
                    results[tool].append(result)

    summaries = {tool: summarize(runs) for tool, runs in results.items()}
    print(markdown(list(summaries.values())))
    summary: dict[str, Any] = {
        "benchmark": "sync_github",
        "issues": args.issues,
        "pull_requests": pull_requests,
        "runs": args.runs,
        "target_ratio": TARGET_RATIO,
        **{tool: asdict(s) for tool, s in summaries.items()},
    }
    if len(summaries) == 2:
        bridge, tap = summaries["bridge"], summaries["tap"]
        ratio = bridge.issues_per_s / tap.issues_per_s
        inner_ratio = bridge.inner_issues_per_s / tap.inner_issues_per_s
        fewer_requests = bridge.requests_sim <= tap.requests_sim
        print(
            f"\nIssuebridge / tap issues/s: {ratio:.2f}x by process wall time,"
            f" {inner_ratio:.2f}x in-run (target >= {TARGET_RATIO:.0f}x by process);"
            f" requests {bridge.requests_sim} vs {tap.requests_sim}"
        )
        summary |= {
            "ratio": round(ratio, 3),
            "ratio_in_run": round(inner_ratio, 3),
            "no_more_requests": fewer_requests,
            "meets_target": ratio >= TARGET_RATIO and fewer_requests,
        }
    print(json.dumps(summary, separators=(",", ":")))
    return 0


if __name__ == "__main__":
    sys.exit(main())
