"""What the conformance suite (connectors/base/testing.py) needs to know of GitHub."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from pathlib import Path

from connectors.base.testing import ConformanceKit, WebhookSample
from connectors.base.webhooks import hmac_sha256_hex
from connectors.github.connector import GitHubConnector
from connectors.github.sim import GitHubSim
from connectors.sim.world import World

# shared/ sits beside the repository: shared/fixtures/real/github.
REAL_PAYLOADS = Path(__file__).resolve().parents[2].parent / "shared/fixtures/real/github"


def _webhook_samples() -> Sequence[WebhookSample]:
    samples = []
    for path in sorted(REAL_PAYLOADS.glob("issue*.json")):
        event = path.name.split(".", 1)[0]  # issues.opened.json -> issues
        headers = {"X-GitHub-Event": event, "X-GitHub-Delivery": str(uuid.uuid4())}
        samples.append(WebhookSample(path.name, headers, path.read_bytes()))
    assert samples, f"no real GitHub deliveries under {REAL_PAYLOADS}"
    return samples


def _live_keys(world: World) -> set[str]:
    return {
        f"{issue.repo}#{issue.number}" for issue in world.all_issues() if not issue.is_pull_request
    }


KIT = ConformanceKit(
    connector=GitHubConnector,
    simulator=lambda world: GitHubSim(world).app,
    scopes=lambda world: tuple(world.repos),
    live_keys=_live_keys,
    sign=lambda secret, body: {"X-Hub-Signature-256": "sha256=" + hmac_sha256_hex(secret, body)},
    webhook_samples=_webhook_samples,
)
