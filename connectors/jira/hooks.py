"""Signed Jira webhook deliveries of World changes, from the simulated Jira.

A delivery is what a Jira admin webhook with a secret sends: the JSON body
(`timestamp`, `webhookEvent`, `issue_event_type_name`, `user`, the whole `issue`
as a REST read shows it, and for updates the `changelog` the simulator recorded
for that change) with `X-Hub-Signature: sha256=<hex HMAC of the body>`,
`X-Atlassian-Webhook-Identifier` and `X-Atlassian-Webhook-Flow: Primary`.
Pull requests are not Jira issues: their changes send nothing.

    async with JiraWebhookEmitter("http://127.0.0.1:8000/webhooks/jira", "s3cret", sim) as hook:
        responses = await hook.send(world, world.advance(10))
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

import httpx
import orjson

from connectors.base.webhooks import hmac_sha256_hex
from connectors.jira.changelog import LATER_IDS
from connectors.jira.sim import JiraSim
from connectors.sim.world import Change, World

EVENTS = {"created": "jira:issue_created", "deleted": "jira:issue_deleted",
          "transferred": "jira:issue_deleted"}  # fmt: skip
TYPE_NAMES = {"created": "issue_created", "assigned": "issue_assigned",
              "unassigned": "issue_assigned", "commented": "issue_commented",
              "closed": "issue_resolved", "reopened": "issue_reopened"}  # fmt: skip


def issue_delivery(
    sim: JiraSim, change: Change, *, secret: str, delivery_id: str | None = None
) -> tuple[dict[str, str], bytes] | None:
    """Headers and raw body of the signed delivery for one change (None: Jira sends none)."""
    if change.issue.is_pull_request:
        return None
    body = orjson.dumps(_payload(sim, change))
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": "Atlassian Webhook HTTP Client",
        "X-Atlassian-Webhook-Identifier": delivery_id or str(uuid.uuid4()),
        "X-Atlassian-Webhook-Flow": "Primary",
        "X-Hub-Signature": "sha256=" + hmac_sha256_hex(secret, body),
    }
    return headers, body


def _payload(sim: JiraSim, change: Change) -> dict[str, Any]:
    event = EVENTS.get(change.kind, "jira:issue_updated")
    entry = sim.entry_of(change.issue)
    payload: dict[str, Any] = {
        "timestamp": int(change.at.timestamp() * 1000),
        "webhookEvent": event,
        "user": sim.user_json(change.actor),
        "issue": sim.render(entry, None),
    }
    if event != "jira:issue_deleted":
        payload["issue_event_type_name"] = TYPE_NAMES.get(change.kind, "issue_generic")
    recorded = sim.history_json(change.issue, LATER_IDS + change.seq)
    if event == "jira:issue_updated" and recorded is not None:
        payload["changelog"] = {"id": recorded["id"], "items": recorded["items"]}
    return payload


class JiraWebhookEmitter:
    """POSTs signed Jira deliveries of World changes to one target URL."""

    def __init__(
        self,
        target_url: str,
        secret: str,
        sim: JiraSim | None = None,
        *,
        client: httpx.AsyncClient | None = None,
    ) -> None:
        self.target_url = target_url
        self.secret = secret
        self.sim = sim  # build_sim_app attaches its own
        self._own_client = client is None
        self._client = client or httpx.AsyncClient(timeout=10.0)

    async def send(self, world: World, changes: Iterable[Change]) -> list[httpx.Response]:
        """Deliver each change of a Jira issue, in order (`world` is the sim's own)."""
        if self.sim is None or self.sim.world is not world:
            raise ValueError("the emitter is not attached to this world's Jira simulator")
        responses = []
        for change in changes:
            delivery = issue_delivery(self.sim, change, secret=self.secret)
            if delivery is not None:
                headers, body = delivery
                response = await self._client.post(self.target_url, content=body, headers=headers)
                responses.append(response)
        return responses

    async def aclose(self) -> None:
        if self._own_client:
            await self._client.aclose()

    async def __aenter__(self) -> JiraWebhookEmitter:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()
