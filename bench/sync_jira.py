"""Jira full sync: `bridge sync --full` into SQLite against the simulated Jira Cloud.

    python bench/sync_jira.py [--issues 20000] [--runs 3] [--time-zone America/Los_Angeles]

The simulator runs in its own process on a free loopback port:
`World.single_repo("acme", "api", issues=N, pull_requests=0)`, which Jira shows
as one Software project (PAY, N issues, each with its generated changelog) and
the Product Discovery project (IDEA, a few ideas). Then, `--runs` times, in a
fresh temp folder with a new SQLite file:
`bridge connections add acme --kind jira --base-url SIM/jira --scope PAY --scope IDEA`
(untimed), then `bridge sync acme --full --json`, timed as a whole process.
Checks: the run succeeded, `created` is N + ideas, work_items holds that many rows,
and item_events holds one vendor_changelog event per tracked changelog item, plus
one per status change that moved the status category.

Requests are those the simulator counted over the process, compared with the
minimum the page caps allow: /myself, /field and /status once, ceil(n / 50) search pages
per project (the cap with the changelog expanded), ceil(n / 5,000) id-listing
pages per project (the full run's reconciliation), plus the changelog pages of
issues whose changelog a search result truncates (none at this size).
Target: requests within 2 % of that minimum.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
from common import check, free_port, log

CONNECTION = "acme"
SEARCH_CAP, ID_CAP, EMBEDDED, CHANGELOG_PAGE = 50, 5000, 100, 100
TRACKED = {"status", "assignee", "points", "sprint", "duedate", "parent"}
SIM_START_TIMEOUT = 300.0

# The simulator process: argv = port, issues, time zone. It prints, once ready,
# the minimum request count and the tracked changelog items of its World (with
# the category changes the status items make).
SIM_SOURCE = """
import json, math, sys
import uvicorn
from connectors.jira.render import STATUSES
from connectors.jira.sim import JiraSimOptions
from connectors.sim.server import build_sim_app
from connectors.sim.world import World

port, issues, zone = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
world = World.single_repo("acme", "api", issues=issues, pull_requests=0)
app = build_sim_app(world, jira=JiraSimOptions(time_zone=zone))
sim = app.state.jira
per_project = {}
for entry in sim.entries():
    per_project[entry.project] = per_project.get(entry.project, 0) + 1
def category(facts):
    return "cancelled" if facts.resolution == "Won't Do" else STATUSES[facts.status][2]
tracked = truncated_pages = 0
for issue in world.all_issues():
    histories = sim.changelog.histories(issue)
    tracked += sum(1 for h in histories for n in h.items if n in set(sys.argv[4].split(",")))
    tracked += sum(1 for h in histories if category(h.old) != category(h.new))
    hidden = max(len(histories) - int(sys.argv[5]), 0)
    truncated_pages += math.ceil(hidden / int(sys.argv[6]))
print(json.dumps({"projects": per_project, "tracked": tracked,
                  "truncated_pages": truncated_pages}), flush=True)
uvicorn.run(app, host="127.0.0.1", port=port, access_log=False, log_level="warning")
"""


class Simulator:
    def __init__(self, issues: int, zone: str, workdir: Path) -> None:
        self.port = free_port()
        self.root = f"http://127.0.0.1:{self.port}"
        self.base_url = f"{self.root}/jira"
        self.issues, self.zone = issues, zone
        self._out = workdir / "sim.out"
        self._process: subprocess.Popen[bytes] | None = None
        self._client = httpx.Client(timeout=30.0, trust_env=False)
        self.facts: dict[str, Any] = {}

    def start(self) -> None:
        argv = [sys.executable, "-c", SIM_SOURCE, str(self.port), str(self.issues), self.zone]
        argv += [",".join(sorted(TRACKED)), str(EMBEDDED), str(CHANGELOG_PAGE)]
        with self._out.open("wb") as output:
            self._process = subprocess.Popen(argv, stdout=output, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + SIM_START_TIMEOUT
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise SystemExit(f"simulator exited: {self._out.read_text()[-2000:]}")
            with contextlib.suppress(httpx.TransportError):
                self.requests()
                self.facts = json.loads(self._out.read_text().splitlines()[0])
                return
            time.sleep(0.2)
        raise SystemExit(f"simulator did not answer within {SIM_START_TIMEOUT:.0f} s")

    def requests(self) -> dict[str, int]:
        response = self._client.get(f"{self.root}/_sim/stats")
        response.raise_for_status()
        counts: dict[str, int] = response.json()["jira"]["requests"]
        return counts

    def minimum_requests(self) -> int:
        projects: dict[str, int] = self.facts["projects"]
        pages = sum(math.ceil(n / SEARCH_CAP) + math.ceil(n / ID_CAP) for n in projects.values())
        return 3 + pages + int(self.facts["truncated_pages"])  # /myself, /field, /status

    def stop(self) -> None:
        self._client.close()
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
            self._process.wait(timeout=10)


@contextlib.contextmanager
def simulator(issues: int, zone: str, workdir: Path) -> Iterator[Simulator]:
    sim = Simulator(issues, zone, workdir)
    try:
        sim.start()
        yield sim
    finally:
        sim.stop()


def run_checked(argv: Sequence[str], *, cwd: Path, env: dict[str, str]) -> str:
    done = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    check(done.returncode == 0, f"{' '.join(argv)} exited {done.returncode}: {done.stderr[-2000:]}")
    return done.stdout


def bridge_env(database: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BRIDGE_")}
    return env | {
        "BRIDGE_DATABASE_URL": f"sqlite+aiosqlite:///{database}",
        "BRIDGE_SECRET_KEY": "bench-only-key",
        "BRIDGE_SCHEDULER": "off",
    }


def one_run(sim: Simulator, workdir: Path) -> dict[str, Any]:
    database = workdir / "bridge.db"
    env = bridge_env(database)
    bridge = str(Path(sys.executable).with_name("bridge"))
    scopes = [arg for key in sim.facts["projects"] for arg in ("--scope", key)]
    run_checked(
        [bridge, "connections", "add", CONNECTION, "--kind", "jira", "--base-url", sim.base_url,
         "--token", "bench@acme.example:token", *scopes],
        cwd=workdir, env=env,
    )  # fmt: skip
    before = sim.requests()
    started = time.perf_counter()
    output = run_checked([bridge, "sync", CONNECTION, "--full", "--json"], cwd=workdir, env=env)
    wall = time.perf_counter() - started
    after = sim.requests()
    run = json.loads(output)
    expected = sum(sim.facts["projects"].values())
    check(run["status"] == "succeeded", f"the sync failed: {run['error']}")
    check(run["created"] == expected, f"created {run['created']}, expected {expected}")
    with sqlite3.connect(database) as db:
        rows = db.execute("select count(*) from work_items").fetchone()[0]
        events = db.execute(
            "select count(*) from item_events where origin = 'vendor_changelog'"
        ).fetchone()[0]
    check(rows == expected, f"work_items holds {rows} rows, expected {expected}")
    check(
        events == sim.facts["tracked"], f"{events} history events, expected {sim.facts['tracked']}"
    )
    inner = (_stamp(run["finished_at"]) - _stamp(run["started_at"])).total_seconds()
    by_endpoint = {k: n - before.get(k, 0) for k, n in after.items() if n != before.get(k, 0)}
    return {
        "items": expected,
        "wall_s": wall,
        "inner_s": inner,
        "requests": sum(by_endpoint.values()),
        "by_endpoint": by_endpoint,
        "history_events": events,
    }


def _stamp(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--issues", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--time-zone", default="America/Los_Angeles")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-jira-") as tmp:
        root = Path(tmp)
        with simulator(args.issues, args.time_zone, root) as sim:
            minimum = sim.minimum_requests()
            log(f"simulator up: {sim.facts}; minimum requests {minimum}")
            results = []
            for index in range(args.runs):
                workdir = root / f"run-{index}"
                workdir.mkdir()
                result = one_run(sim, workdir)
                log(f"run {index + 1}: {json.dumps(result)}")
                results.append(result)
    items = results[0]["items"]
    wall = statistics.median(r["wall_s"] for r in results)
    inner = statistics.median(r["inner_s"] for r in results)
    requests = statistics.median(r["requests"] for r in results)
    over = (requests - minimum) / minimum * 100
    print("| items | items/s (process) | items/s (in-run) | wall s | requests | minimum | over |")
    print("|---|---|---|---|---|---|---|")
    print(
        f"| {items:,} | {items / wall:,.0f} | {items / inner:,.0f} | {wall:.2f} | "
        f"{requests:.0f} | {minimum} | {over:.1f} % |"
    )
    summary = {"items": items, "wall_s": wall, "inner_s": inner, "requests": requests,
               "minimum": minimum, "over_pct": over, "runs": results}  # fmt: skip
    print(json.dumps(summary))
    return 0 if over <= 2.0 else 1


if __name__ == "__main__":
    sys.exit(main())
