"""Dashboard pages at the `medium` simulated organisation, on SQLite and PostgreSQL.

    python bench/dashboard.py [--db sqlite|postgres|both] [--size medium] [--requests 30]

For each database (a new SQLite file; on PostgreSQL a new database
bench_dashboard_<pid>, dropped at the end): `bridge demo --size SIZE` as a process
(BRIDGE_SCHEDULER=off: no sync runs while measuring), which syncs the simulated
organisation over HTTP from its simulators. On PostgreSQL, then ANALYZE: this
machine's server runs with autovacuum off, so without it the planner would plan
for the empty tables of before the sync (a production server analyzes them
itself once a sync has written them). Then one client sends GET requests one
after another over keep-alive to each page: / (the roadmap), /roadmap/{id} (the
roadmap item with the most tickets), /teams, /people, /changes?since=2000-01-01 (a full page of 200)
and /connections, 3 warm-up requests then --requests measured ones. The time is the
client's, over loopback: the server's time plus a loopback round trip.

Checks: every answer is 200 HTML, and the roadmap page lists as many items as
GET /api/v1/roadmap. Prints a Markdown table (p50, p90, max in ms) and one JSON line.
Target: every page p90 < 200 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import asyncpg
import httpx
from common import check, free_port, log

ADMIN_DSN = "postgresql://postgres@127.0.0.1:5432/postgres"
SECRET_KEY = "bench-dashboard-secret-key"
TARGET_P90_MS = 200.0


def demo(env: dict[str, str], size: str) -> tuple[subprocess.Popen[str], str]:
    port, sim_port = free_port(), free_port()
    command = [str(Path(sys.executable).with_name("bridge")), "demo", "--size", size,
               "--port", str(port), "--sim-port", str(sim_port)]  # fmt: skip
    process = subprocess.Popen(
        command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    assert process.stdout is not None
    started = time.perf_counter()
    for line in process.stdout:
        log("demo: " + line.rstrip())
        if "Ctrl-C stops the demo" in line:
            log(f"demo ready after {time.perf_counter() - started:.0f} s")
            return process, f"http://127.0.0.1:{port}"
    raise SystemExit("the demo stopped before it was ready")


def pages(client: httpx.Client) -> dict[str, str]:
    roadmap = client.get("/api/v1/roadmap").json()["items"]
    busiest = max(roadmap, key=lambda entry: entry["rollup"]["tickets_total"])
    return {
        "roadmap": "/",
        "roadmap item": f"/roadmap/{busiest['item']['id']}",
        "teams": "/teams",
        "people": "/people",
        "changes": "/changes?since=2000-01-01",  # a full page: 200 changes
        "connections": "/connections",
    }


def measure(client: httpx.Client, path: str, requests: int) -> list[float]:
    times = []
    for n in range(3 + requests):
        began = time.perf_counter()
        response = client.get(path)
        elapsed = (time.perf_counter() - began) * 1000
        check(response.status_code == 200, f"{path}: {response.status_code}")
        check(response.headers["content-type"].startswith("text/html"), f"{path}: not HTML")
        if n >= 3:
            times.append(elapsed)
    return times


def run(
    db: str, url: str, size: str, requests: int, *, analyze: str | None = None
) -> dict[str, dict[str, float]]:
    env = os.environ | {"BRIDGE_DATABASE_URL": url, "BRIDGE_SECRET_KEY": SECRET_KEY,
                        "BRIDGE_SCHEDULER": "off"}  # fmt: skip
    env.pop("BRIDGE_API_TOKENS", None)
    process, base = demo(env, size)
    if analyze is not None:
        asyncio.run(admin("ANALYZE", analyze))
    try:
        with httpx.Client(base_url=base, timeout=60) as client:
            paths = pages(client)
            items = len(client.get("/api/v1/roadmap").json()["items"])
            shown = client.get("/").text.count('<tr class="roadmap-item"')
            check(shown == items, f"the roadmap page shows {shown} items, the API {items}")
            log(f"{db}: {items} roadmap items")
            results = {}
            for name, path in paths.items():
                times = sorted(measure(client, path, requests))
                results[name] = {
                    "p50": statistics.median(times),
                    "p90": times[int(0.9 * (len(times) - 1))],
                    "max": times[-1],
                }
                log(f"{db} {name}: p50 {results[name]['p50']:.1f} ms")
            return results
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=60)


async def admin(statement: str, database: str = "postgres") -> None:
    connection = await asyncpg.connect(ADMIN_DSN.rsplit("/", 1)[0] + "/" + database)
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--size", choices=["small", "medium", "large"], default="medium")
    parser.add_argument("--requests", type=int, default=30)
    args = parser.parse_args()
    results: dict[str, dict[str, dict[str, float]]] = {}
    if args.db in {"sqlite", "both"}:
        with tempfile.TemporaryDirectory() as folder:
            url = f"sqlite+aiosqlite:///{folder}/bench.db"
            results["SQLite"] = run("sqlite", url, args.size, args.requests)
    if args.db in {"postgres", "both"}:
        name = f"bench_dashboard_{os.getpid()}"
        asyncio.run(admin(f'CREATE DATABASE "{name}"'))
        try:
            url = f"postgresql+asyncpg://postgres@127.0.0.1:5432/{name}"
            results["PostgreSQL"] = run("postgres", url, args.size, args.requests, analyze=name)
        finally:
            asyncio.run(admin(f'DROP DATABASE "{name}" WITH (FORCE)'))
    print("| db | page | p50 ms | p90 ms | max ms |")
    print("|---|---|---|---|---|")
    for db, by_page in results.items():
        for page, figures in by_page.items():
            print(f"| {db} | {page} | {figures['p50']:.1f} | {figures['p90']:.1f} | "
                  f"{figures['max']:.1f} |")  # fmt: skip
    worst = max(f["p90"] for by_page in results.values() for f in by_page.values())
    print(json.dumps({"size": args.size, "results": results, "worst_p90_ms": worst,
                      "target_met": worst < TARGET_P90_MS}))  # fmt: skip


if __name__ == "__main__":
    main()
