"""`bridge serve --workers N`: several server processes on one port, one store."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

from tests.conftest import SECRET_KEY
from tests.real_fixtures import raw_bytes
from tests.sync.served import free_port
from tests.webhooks.helpers import WEBHOOK_SECRET, signed_headers

BODY = raw_bytes("github", "issues.opened.json")


def _server_processes(pid: int) -> list[int]:
    """The children that serve (multiprocessing also starts a resource tracker)."""
    children = [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    return [c for c in children if b"spawn_main" in Path(f"/proc/{c}/cmdline").read_bytes()]


def _wait_ready(base: str, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert server.poll() is None, "bridge serve exited"
        try:
            if httpx.get(f"{base}/readyz").status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise AssertionError("bridge serve --workers 2 never became ready")


def test_two_workers_share_the_port_and_the_store(db_url: str) -> None:
    port = free_port()
    env = os.environ | {"BRIDGE_DATABASE_URL": db_url, "BRIDGE_SECRET_KEY": SECRET_KEY,
                        "BRIDGE_SCHEDULER": "off"}  # fmt: skip
    env.pop("BRIDGE_API_TOKENS", None)
    command = [sys.executable, "-m", "app.cli", "serve", "--port", str(port), "--workers", "2"]
    base = f"http://127.0.0.1:{port}"
    with subprocess.Popen(command, env=env, stderr=subprocess.DEVNULL) as server:
        try:
            _wait_ready(base, server)
            assert len(_server_processes(server.pid)) == 2
            added = httpx.post(
                f"{base}/api/v1/connections",
                json={"name": "gh", "kind": "github", "webhook_secret": WEBHOOK_SECRET},
            )
            assert added.status_code == 201, added.text

            def deliver(n: int) -> int:
                headers = signed_headers(BODY, delivery=f"d-{n}")
                with httpx.Client() as client:  # a connection each: spread over the workers
                    return client.post(
                        f"{base}/webhooks/gh", content=BODY, headers=headers
                    ).status_code

            with ThreadPoolExecutor(8) as pool:
                assert set(pool.map(deliver, range(40))) == {202}
            stored = httpx.get(f"{base}/api/v1/webhook-deliveries", params={"limit": 500})
            assert len(stored.json()["deliveries"]) == 40
        finally:
            server.send_signal(signal.SIGTERM)
            assert server.wait(timeout=30) == 0


def test_workers_must_be_at_least_one(db_url: str) -> None:
    env = os.environ | {"BRIDGE_DATABASE_URL": db_url, "BRIDGE_SECRET_KEY": SECRET_KEY}
    command = [sys.executable, "-m", "app.cli", "serve", "--workers", "0"]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode != 0
    assert "--workers" in done.stderr
