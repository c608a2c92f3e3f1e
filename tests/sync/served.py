"""A simulated GitHub on a real port, in its own process, for tests that need
real HTTP between processes (crashes, several workers)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx

SERVE = """
import sys, uvicorn
from connectors.github.sim import GitHubSimOptions
from connectors.sim.server import build_sim_app
from connectors.sim.world import World
port, repos, issues = (int(arg) for arg in sys.argv[1:4])
latency = float(sys.argv[4])
world = World.repositories("acme", [f"repo-{n}" for n in range(repos)], issues, issues // 10)
options = GitHubSimOptions(latency=latency, rate_limit=10**9)
uvicorn.run(build_sim_app(world, github=options), host="127.0.0.1", port=port, log_level="warning")
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def served_github(*, repos: int = 1, issues: int, latency: float = 0.0) -> Iterator[str]:
    """The simulator's GitHub base URL while it serves `repos` repositories
    acme/repo-N of `issues` issues each."""
    port = free_port()
    args = [str(port), str(repos), str(issues), str(latency)]
    env = os.environ | {"PYTHONPATH": os.getcwd()}
    with subprocess.Popen([sys.executable, "-c", SERVE, *args], env=env) as server:
        try:
            _wait_until_up(f"http://127.0.0.1:{port}/_sim/stats")
            yield f"http://127.0.0.1:{port}/github"
        finally:
            server.terminate()
            server.wait(timeout=10)


def _wait_until_up(url: str) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(url).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.1)
    raise AssertionError(f"the simulator did not come up at {url}")
