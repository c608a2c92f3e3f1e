"""What the conformance suite (connectors/base/testing.py) needs to know of Linear."""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from connectors.base.testing import ConformanceKit, WebhookSample
from connectors.base.webhooks import hmac_sha256_hex
from connectors.linear.connector import LinearConnector
from connectors.linear.sim import LinearSim
from connectors.linear.sim_render import Workspace, team_keys
from connectors.sim.world import World

# shared/ sits beside the repository: shared/fixtures/real/linear.
REAL_PAYLOADS = Path(__file__).resolve().parents[2].parent / "shared/fixtures/real/linear"
_TIMESTAMP = re.compile(rb'"webhookTimestamp":\s*\d+')


def _webhook_samples() -> Sequence[WebhookSample]:
    samples = []
    for path in sorted(REAL_PAYLOADS.glob("*.json")):
        headers = {"Linear-Delivery": str(uuid.uuid4()), "Linear-Event": "Issue",
                   "Content-Type": "application/json"}  # fmt: skip
        samples.append(WebhookSample(path.name, headers, path.read_bytes()))
    assert samples, f"no real Linear deliveries under {REAL_PAYLOADS}"
    return samples


def delivered_now(sample: WebhookSample) -> WebhookSample:
    """The real delivery with its webhookTimestamp set to now, as Linear would send it
    today; every other byte is the captured one."""
    stamp = b'"webhookTimestamp": %d' % int(time.time() * 1000)
    return replace(sample, body=_TIMESTAMP.sub(stamp, sample.body))


def _live_keys(world: World) -> set[str]:
    workspace = Workspace(world)
    issues = {node["id"] for node in workspace.live_issues()}
    projects = {node["id"] for node in workspace.projects.values() if node["archivedAt"] is None}
    initiatives = {node["id"] for node in workspace.initiatives.values()}
    return issues | projects | initiatives


KIT = ConformanceKit(
    connector=LinearConnector,
    simulator=lambda world: LinearSim(world).app,
    scopes=lambda world: tuple(team_keys(world).values()),
    live_keys=_live_keys,
    sign=lambda secret, body: {"Linear-Signature": hmac_sha256_hex(secret, body)},
    webhook_samples=_webhook_samples,
    current=delivered_now,
)
