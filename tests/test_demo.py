"""`bridge demo`, the README's first command, as a newcomer runs it."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import httpx

from connectors.jira.render import JiraProjects
from connectors.linear.sim_render import Workspace
from connectors.sim.world import World


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def test_demo_serves_the_synced_organisation(tmp_path: Path) -> None:
    port, sim_port = free_port(), free_port()
    env = os.environ | {"BRIDGE_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'demo.db'}"}
    env.pop("BRIDGE_API_TOKENS", None)
    env.pop("BRIDGE_SECRET_KEY", None)
    ports = ["--port", str(port), "--sim-port", str(sim_port)]
    command = [sys.executable, "-m", "app.cli", "demo", *ports]
    with subprocess.Popen(
        command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    ) as demo:
        try:
            _check_demo(demo, port)
        finally:
            demo.send_signal(signal.SIGINT)
            assert demo.wait(timeout=20) is not None


def _epoch_of(output: str) -> datetime:
    """The demo's organisation ends its history at the hour the demo started."""
    found = re.search(r"its history up to (\S+)", output)
    assert found, output
    return datetime.fromisoformat(found.group(1))


def _check_demo(demo: subprocess.Popen[str], port: int) -> None:
    """It says where it listens, and serves exactly the simulated issues."""
    lines = []
    assert demo.stdout is not None
    for line in demo.stdout:
        lines.append(line)
        if "Ctrl-C stops the demo" in line:
            break
    output = "".join(lines)
    assert f"http://127.0.0.1:{port}" in output, output
    url = f"http://127.0.0.1:{port}/api/v1/items"
    items = httpx.get(url, params={"limit": 500, "source": "github"}).json()
    world = World.generate(1, "small", epoch=_epoch_of(output))
    expected = {f"{i.repo}#{i.number}" for i in world.all_issues() if not i.is_pull_request}
    assert {item["key"] for item in items["items"]} == expected
    assert items["next_cursor"] is None
    jira = httpx.get(url, params={"limit": 500, "source": "jira"}).json()
    projects = JiraProjects(world)
    ideas = {f"IDEA-{key.split('-')[1]}" for key in world.roadmap}
    issues = {projects.issue_key(i) for i in world.all_issues() if not i.is_pull_request}
    assert {item["key"] for item in jira["items"]} == issues | ideas
    teams = {item["team"] for item in jira["items"] if item["project"] != "IDEA"}
    assert teams == set(world.teams)
    linear = httpx.get(url, params={"limit": 500, "source": "linear"}).json()
    workspace = Workspace(world)
    linear_issues = {node["identifier"] for node in workspace.live_issues()}
    linear_projects = {node["name"] for node in workspace.projects.values()}
    initiatives = {node["name"] for node in workspace.initiatives.values()}
    assert {
        item["key"] for item in linear["items"]
    } == linear_issues | linear_projects | initiatives
    assert linear["next_cursor"] is None
