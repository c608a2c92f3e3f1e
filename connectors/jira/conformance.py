"""What the conformance suite (connectors/base/testing.py) needs to know of Jira."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from pathlib import Path

from connectors.base.testing import ConformanceKit, WebhookSample
from connectors.base.webhooks import hmac_sha256_hex
from connectors.jira.connector import JiraConnector
from connectors.jira.render import JiraProjects, idea_id
from connectors.jira.sim import JiraSim
from connectors.sim.world import World

# shared/ sits beside the repository: shared/fixtures/real/jira.
REAL_PAYLOADS = Path(__file__).resolve().parents[2].parent / "shared/fixtures/real/jira"


def _webhook_samples() -> Sequence[WebhookSample]:
    samples = []
    for path in sorted(REAL_PAYLOADS.glob("issue_*.json")):
        headers = {"X-Atlassian-Webhook-Identifier": str(uuid.uuid4())}
        samples.append(WebhookSample(path.name, headers, path.read_bytes()))
    assert samples, f"no real Jira deliveries under {REAL_PAYLOADS}"
    return samples


def _live_keys(world: World) -> set[str]:
    """Jira ids: every issue of the World (pull requests are not Jira issues) and every idea."""
    issues = {str(i.id) for i in world.all_issues() if not i.is_pull_request}
    return issues | {str(idea_id(item)) for item in world.roadmap.values()}


KIT = ConformanceKit(
    connector=JiraConnector,
    simulator=lambda world: JiraSim(world).app,
    scopes=lambda world: tuple(JiraProjects(world).project_keys()),
    live_keys=_live_keys,
    sign=lambda secret, body: {"X-Hub-Signature": "sha256=" + hmac_sha256_hex(secret, body)},
    webhook_samples=_webhook_samples,
)
